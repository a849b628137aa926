#!/bin/sh
# Numbers on the command line: one rule for every numeric option and
# argument (decimal, leading zeros still decimal; 0x and hex digits;
# nothing else), K/KB/M/MB only on sizes, negative values are values and
# not options, and sizes bounded by the FiPy's 8 MiB flash.
. "$FPY_SRC/tests/cli/common.inc"
F=$FPY_TOOL
cd "$T" || exit 1
hasf() { grep -F -q -- "$1" "$2" || fail "'$1' not in $2: $(head -3 "$2")"; }

# ---- the rule, through --abi -------------------------------------------------------
printf 'program' >payload
abi() { # abi TEXT WANT: --abi TEXT builds an image for VM ABI WANT
    expect 0 "$F" bytecode build payload --abi "$1" -o a.fbc
    has "VM ABI $2\$" "$T/out"
}
abi 17 17
abi 017 17
abi 08 8
abi 0009 9
abi 0x1F 31
abi 0X1f 31
abi 0x0010 16
abi 4294967295 4294967295
abi 0xFFFFFFFF 4294967295
for bad in ' 1' '1 ' '' '+1' '-1' '0x' '1K' '0o17' '1_0' '4294967296' '0x100000000' \
    '0x1g'; do
    expect 2 "$F" bytecode build payload --abi "$bad" -o b.fbc
    hasf "--abi: '$bad' is not a number (decimal digits, or 0x and hex digits)" "$T/err"
done
[ -e b.fbc ] && fail "a refused --abi wrote b.fbc"
expect 2 "$F" bytecode info a.fbc --abi 017x
hasf "--abi: '017x' is not a number" "$T/err"
expect 0 "$F" bytecode info a.fbc --abi 0x0FFFFFFFF

# ---- the same rule for every other number ----------------------------------------------
"$F" image mkelf -o app.elf >/dev/null || fail "mkelf"
"$F" image elf2image app.elf -o app.bin >/dev/null || fail "elf2image"
# an image 10 bytes into a file: --offset 010 is ten, not octal eight
{ printf '0123456789'; cat app.bin; } >dump10.bin
expect 0 "$F" image verify dump10.bin --offset 010
expect 0 "$F" image info dump10.bin --offset 0xA
expect 2 "$F" image verify dump10.bin --offset ' 10'
hasf "--offset: ' 10' is not a number" "$T/err"
expect 2 "$F" image elf2image app.elf -o x.bin --min-rev 0256
hasf "--min-rev: '0256' is too large: at most 255" "$T/err"
expect 0 "$F" image elf2image app.elf -o x.bin --min-rev 0255
expect 2 "$F" image mkelf -o x.elf --iram-size 1M
hasf "--iram-size: '1M' is not a number" "$T/err"
"$F" partition gen --layout nonble -o pt.bin >/dev/null || fail "partition gen"
expect 0 "$F" partition to-csv pt.bin --offset 032768
expect 2 "$F" partition to-csv pt.bin --offset 32K
hasf "--offset: '32K' is not a number" "$T/err"
expect 2 "$F" partition to-csv pt.bin --offset '0x8000 '
printf 'key,type,encoding,value\nns,namespace,,\nk,data,u8,7\n' >nvs.csv
"$F" nvs gen nvs.csv 0x3000 -o nvs.bin >/dev/null || fail "nvs gen"
{ head -c 4096 /dev/zero | tr '\0' '\377'; cat nvs.bin; } >at4k.bin
expect 0 "$F" nvs get at4k.bin ns k --offset 04096 --size 012288
has "^7\$" "$T/out"
expect 2 "$F" nvs get at4k.bin ns k --offset 0x1000 --size 0x3000g
hasf "fipytool nvs get: --size: '0x3000g' is not a number" "$T/err"
expect 0 "$F" nvs gen nvs.csv 012288 -o n2.bin
cmp -s nvs.bin n2.bin || fail "nvs gen 012288 is not nvs gen 0x3000"
expect 2 "$F" nvs gen nvs.csv ' 0x3000' -o n3.bin
hasf "SIZE: ' 0x3000' is not a number" "$T/err"
"$F" flash create flash.bin >/dev/null || fail "flash create"
expect 0 "$F" otadata set flash.bin --slot 01
has "ota_1" "$T/out"
expect 2 "$F" otadata set flash.bin --slot 1x
hasf "--slot: '1x' is not a number" "$T/err"
expect 2 "$F" fota apply flash.bin --vm app.bin --chunk 0o10

# ---- sizes: K, KB, M, MB where esptool and gen_esp32part spell them --------------------
expect 0 "$F" partition dump pt.bin --flash-size 8M
expect 0 "$F" partition dump pt.bin --flash-size 8MB
expect 0 "$F" partition dump pt.bin --flash-size 0x800000
expect 0 "$F" partition dump pt.bin --flash-size 8192k
expect 1 "$F" partition dump pt.bin --flash-size 2M
expect 2 "$F" partition dump pt.bin --flash-size 8G
hasf "--flash-size: '8G' is not a size (a number, optionally followed by K, KB, M or MB)" "$T/err"
expect 2 "$F" partition dump pt.bin --flash-size 4096M
hasf "--flash-size: '4096M' is not a size" "$T/err"
expect 0 "$F" image elf2image app.elf -o p64.bin --pad-to-size 64KB
expect 0 "$F" image elf2image app.elf -o p16.bin --pad-to-size 0x10K
cmp -s p64.bin p16.bin && fail "--pad-to-size 0x10K (16 KiB) padded like 64KB"
[ $(($(wc -c <p16.bin) % 16384)) -eq 0 ] || fail "--pad-to-size 0x10K: not a multiple of 16 KiB"

# ---- sizes are bounded by the FiPy's flash -------------------------------------------
expect 2 "$F" image elf2image app.elf -o big.bin --pad-to-size 0x80000001
hasf "--pad-to-size: '0x80000001' is too large: at most 0x800000 (8 MiB, the FiPy's flash)" "$T/err"
expect 2 "$F" image elf2image app.elf -o big.bin --pad-to-size 9MB
expect 0 "$F" image elf2image app.elf -o p8m.bin --pad-to-size 8MB
[ "$(wc -c <p8m.bin | tr -d ' ')" = 8388608 ] || fail "--pad-to-size 8MB: not 8 MiB"
expect 2 "$F" nvs gen nvs.csv 0xFFFFF000 -o big.bin
hasf "SIZE: '0xFFFFF000' is too large: at most 0x800000 (8 MiB, the FiPy's flash)" "$T/err"
expect 2 "$F" nvs gen nvs.csv 0x801000 -o big.bin
[ -e big.bin ] && fail "a refused size wrote big.bin"
expect 0 "$F" nvs gen nvs.csv 0x800000 -o n8m.bin
[ "$(wc -c <n8m.bin | tr -d ' ')" = 8388608 ] || fail "nvs gen 0x800000: not 8 MiB"
# an ELF whose image would not fit the flash (2 x 4 MiB and the rest)
"$F" image mkelf -o huge.elf --rodata-size 0x3FFFFF --irom-size 0x3FFFFF >/dev/null ||
    fail "mkelf huge"
expect 1 "$F" image elf2image huge.elf -o huge.bin
hasf "huge.elf: the image would be" "$T/err"
hasf "more than the FiPy's 8 MiB flash" "$T/err"
[ -e huge.bin ] && fail "an image over 8 MiB was written"

# ---- a negative value is a value, not an option --------------------------------------
cp nvs.bin neg.bin
for tv in "i8 -5" "i8 -128" "i16 -300" "i32 -70000" "i64 -9223372036854775808"; do
    set -- $tv
    expect 0 "$F" nvs set neg.bin ns "n$1" "$1" "$2"
    expect 0 "$F" nvs get neg.bin ns "n$1"
    has "^$2\$" "$T/out"
done
expect 0 "$F" nvs set neg.bin ns n8 i8 -7 --offset 0
expect 0 "$F" nvs get neg.bin ns n8
has "^-7\$" "$T/out"
expect 0 "$F" nvs set neg.bin ns n8 i8 -- -8
expect 2 "$F" nvs set neg.bin ns n8 i8 -129
expect 2 "$F" nvs set neg.bin ns u u8 -1
expect 2 "$F" nvs set neg.bin ns n8 i8 -x
hasf "unknown option '-x'" "$T/err"
expect 2 "$F" bytecode build payload --abi -1 -o c.fbc
hasf "--abi: '-1' is not a number" "$T/err"

finish
