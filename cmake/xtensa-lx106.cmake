# make cross: Debian's Xtensa compiler (gcc-xtensa-lx106) with picolibc
# (picolibc-xtensa-lx106-elf).  lx106 is the ESP8266's core: the same
# Xtensa instruction set as the ESP32's LX6 with the call0 ABI and no
# integer divider (docs/porting.md says what that changes).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR xtensa)
set(CMAKE_C_COMPILER xtensa-lx106-elf-gcc)
set(CMAKE_LINKER xtensa-lx106-elf-ld)
set(CMAKE_AR xtensa-lx106-elf-ar)
set(CMAKE_RANLIB xtensa-lx106-elf-ranlib)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
# -mlongcalls: calls may span the chip's whole address space, as ESP-IDF
# builds them.
set(CMAKE_C_FLAGS_INIT "--specs=/usr/lib/xtensa-lx106-elf/picolibc.specs -mlongcalls")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
