/*
 * esptool's flasher stub, emulated (issue 14): when esptool uploads its
 * own stub to RAM (MEM_BEGIN/MEM_DATA/MEM_END), the virtual board
 * recognises it by the facts in ../shared/docs/stub_and_rfc2217.md, says
 * "OHAI" and from then on speaks the stub's protocol: 2 status bytes,
 * 16 KiB blocks, ERASE_FLASH/ERASE_REGION/READ_FLASH, a raw MD5, ....  It
 * never executes Xtensa code (docs/sim.md says what is emulated and
 * what is not).
 *
 * Frames in (decoded SLIP), packets out through fpy_devout: the board
 * SLIP-encodes and paces them.
 */
#ifndef FIPY_STUBDEV_H
#define FIPY_STUBDEV_H

#include <stddef.h>
#include <stdint.h>

#include "devout.h"
#include "fipy/flash.h"
#include "flashsim.h"

/* One RAM segment as uploaded (MEM_BEGIN address, the MEM_DATA bytes). */
typedef struct fpy_ram_seg {
    uint32_t addr;
    const uint8_t *data;
    uint32_t len;
} fpy_ram_seg;

/*
 * Which of esptool's four ESP32 stubs the upload is, or NULL for any other
 * RAM program (the board then prints a clear message and replies: it
 * cannot run Xtensa code):
 *   "5.3.1"    esptool 5.3.1's default (esp-flasher-stub 1.0.0)
 *   "5.3.1/1"  5.3.1 --stub-version 1 (legacy flasher stub 1.11.1)
 *   "4.8.1"    esptool 4.8.1's default (legacy flasher stub 1.3.0)
 *   "4.8.1/2"  4.8.1 --stub-version 2 (esp-rs flasher stub 0.3.0)
 * The rule: entry is the image's entry point, and the segments are exactly
 * its text and its data segment (in any order), each at its address, of
 * its length and with its SHA-256.  The strings are static.
 */
const char *fpy_stubdev_recognise(const fpy_ram_seg *segs, size_t nseg, uint32_t entry);

/*
 * What the stub needs from the board besides flash and output; a zeroed
 * struct (or NULL) is a board without registers, reboot or timing.
 */
typedef struct fpy_stubdev_hooks {
    void *ctx;
    /* The board's register map (the same as the ROM loader's, so that
     * esptool's SPI1 flash-ID dance and eFuse reads work in stub mode).
     * NULL: READ_REG answers 0 and WRITE_REG changes nothing.  An address
     * the board does not model reads as 0 and ignores writes; the stub
     * itself applies WRITE_REG's mask (reading the old value first). */
    uint32_t (*read_reg)(void *ctx, uint32_t addr);
    void (*write_reg)(void *ctx, uint32_t addr, uint32_t value);
    /* The stub leaves: RUN_USER_CODE (no reply), or FLASH_END/DEFL_END(0)
     * under a legacy stub (after the reply).  The board resets the chip
     * (straps decide ROM download or the app) and frees the stub once
     * fpy_stubdev_frame has returned (not inside this call); it sees no
     * more frames.  NULL: the stub stays. */
    void (*reboot)(void *ctx);
    /* The simulated NOR under the flash, for timing: each reply's busy_us
     * is the flash time (stats.time_ns) the work before it took.  NULL:
     * busy_us is only the fixed delays (OHAI, WRITE_REG's delay_us). */
    fpy_flashsim *sim;
} fpy_stubdev_hooks;

typedef struct fpy_stubdev fpy_stubdev;

/*
 * Start the stub `which` (a string fpy_stubdev_recognise returned) over
 * the board's flash: OHAI goes out through out at once.  f, out and the
 * hooks' pointers must outlive the stub (the structs themselves are
 * copied).  NULL for an unknown `which` or out of memory.
 */
fpy_stubdev *fpy_stubdev_start(const fpy_flash *f, const fpy_devout *out, const char *which,
                               const fpy_stubdev_hooks *hooks);
void fpy_stubdev_free(fpy_stubdev *s);
/* One decoded frame from the host (any bytes: a bad frame gets the stub's
 * error reply, or none where the real stub sends none). */
void fpy_stubdev_frame(fpy_stubdev *s, const uint8_t *frame, size_t n);

#endif
