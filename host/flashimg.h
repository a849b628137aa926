/*
 * A FiPy flash image file (8 MiB) held as a simulated flash, with its
 * layout.  The whole file is read into memory under a lock
 * (fpy_lockedfile, docs/files.md) and the command runs on the simulated
 * flash over those bytes; fpy_flashimg_save() then replaces the file
 * atomically.  So a command that fails, or is killed, leaves the file as
 * it was, and two commands on one image take turns.
 */
#ifndef FIPY_FLASHIMG_H
#define FIPY_FLASHIMG_H

#include <stddef.h>

#include "fipy/layout.h"
#include "hostio.h"
#include "flashsim.h"

typedef struct fpy_flashimg {
    fpy_lockedfile file;
    fpy_flashsim sim;
    fpy_flash flash;
    const fpy_layout *layout;
    int layout_from_table; /* 1: read from the partition table at 0x8000 */
} fpy_flashimg;

/*
 * Which layout an image has (docs/files.md, "Layout").  The partition
 * table at 0x8000 decides:
 *   - a FiPy layout's table: that layout; `want` (a layout name or NULL)
 *     must agree, else FPY_ERR_INVAL naming both;
 *   - no table (the 0xC00 bytes at 0x8000 all erased): `want`, or non-BLE;
 *   - a table that decodes but is not a FiPy layout, or does not decode:
 *     refused (FPY_ERR_UNSUPPORTED / the decoder's error) for a writer
 *     (`write`); a reader gets the layout it names in `want`.
 * An unknown `want` is FPY_ERR_INVAL.  `img` holds at least 0x9000 bytes;
 * messages start with `name`.  *from_table (may be NULL): 1 when the
 * table gave the layout.
 */
int fpy_flashimg_layout(const uint8_t *img, const char *name, const char *want, int write,
                        const fpy_layout **out, int *from_table, char *err, size_t errlen);

/*
 * Read `path` (an existing 8 MiB image) for reading or writing
 * (FPY_FILE_READ/WRITE, hostio.h), and find its layout as above.  A
 * writer holds the file locked until fpy_flashimg_close.  Returns
 * FPY_ERR_INVAL only when `layout` is unknown or contradicts the image
 * (a usage error); other failures are the file's.
 */
int fpy_flashimg_open(fpy_flashimg *fi, const char *path, const char *layout, int mode,
                      char *err, size_t errlen);
/* Write the image back if the command changed it; call only on success. */
int fpy_flashimg_save(fpy_flashimg *fi, char *err, size_t errlen);
/* Let go of the file; unsaved changes are dropped. */
void fpy_flashimg_close(fpy_flashimg *fi);

#endif
