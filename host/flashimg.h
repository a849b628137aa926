/*
 * A FiPy flash image file (8 MiB) opened as a simulated flash, with its
 * layout.  The file is mapped MAP_SHARED, so every program and erase lands
 * in it as it happens: if the host process dies half-way, the file is left
 * exactly as a power cut would leave the chip, which the device-side code
 * is built to survive.
 */
#ifndef FIPY_FLASHIMG_H
#define FIPY_FLASHIMG_H

#include <stddef.h>

#include "fipy/flashsim.h"
#include "fipy/layout.h"
#include "hostio.h"

typedef struct fpy_flashimg {
    fpy_flashfile ff;
    fpy_flashsim sim;
    fpy_flash flash;
    const fpy_layout *layout;
    int layout_from_table; /* 1: read from the partition table at 0x8000 */
} fpy_flashimg;

/*
 * Open `path` (an existing 8 MiB image).  `layout` names the layout
 * ("nonble"/"ble"), or NULL to take it from the image's partition table
 * (ota_1 at 0x110000: non-BLE; at 0x140000: BLE); a blank table means
 * non-BLE.  A table that is neither is an error naming what was found.
 */
int fpy_flashimg_open(fpy_flashimg *fi, const char *path, const char *layout, char *err,
                      size_t errlen);
void fpy_flashimg_close(fpy_flashimg *fi);

/* Which FiPy layout a decoded partition table at 0x8000 describes. */
int fpy_flashimg_detect(const fpy_flash *f, const fpy_layout **out, char *err, size_t errlen);

#endif
