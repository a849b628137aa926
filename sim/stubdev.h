/*
 * esptool's flasher stub, emulated (issue 14): when esptool uploads its
 * own stub to RAM (MEM_BEGIN/MEM_DATA/MEM_END), the virtual board
 * recognises it by the facts in ../shared/docs/stub_and_rfc2217.md, says
 * "OHAI" and from then on speaks the stub's protocol: 2 status bytes,
 * 16 KiB blocks, ERASE_FLASH/ERASE_REGION/READ_FLASH, a raw MD5, ....  It
 * never executes Xtensa code (docs/sim.md).
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

/* One RAM segment as uploaded (MEM_BEGIN address, the MEM_DATA bytes). */
typedef struct fpy_ram_seg {
    uint32_t addr;
    const uint8_t *data;
    uint32_t len;
} fpy_ram_seg;

/* Which esptool's stub the upload is ("4.8.1", "5.3.1"), or NULL for any
 * other RAM program (the board then prints a clear message and replies:
 * it cannot run Xtensa code). */
const char *fpy_stubdev_recognise(const fpy_ram_seg *segs, size_t nseg, uint32_t entry);

typedef struct fpy_stubdev fpy_stubdev;

/* Start the stub over the board's flash (OHAI goes out through out). */
fpy_stubdev *fpy_stubdev_start(const fpy_flash *f, const fpy_devout *out, const char *which);
void fpy_stubdev_free(fpy_stubdev *s);
/* One decoded frame from the host. */
void fpy_stubdev_frame(fpy_stubdev *s, const uint8_t *frame, size_t n);

#endif
