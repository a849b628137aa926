/*
 * Host side of NVS: an NVS partition inside a file (a partition image, or
 * a whole 8 MiB FiPy flash image with NVS at 0x9000), a store over it,
 * the CSV generator with file rows read from disk, and the dump.
 */
#ifndef FIPY_NVS_HOST_H
#define FIPY_NVS_HOST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fipy/nvs.h"
#include "hostio.h"
#include "flashsim.h"

/* A file and the NVS partition in it. */
typedef struct fpy_nvs_file {
    const char *path;
    fpy_lockedfile file; /* held locked by a writer until fpy_nvs_file_free */
    uint8_t *buf;       /* the whole file (file.buf) */
    size_t len;
    uint32_t off;       /* partition offset in the file */
    uint32_t size;      /* partition size */
    int whole_flash;    /* 1: an 8 MiB flash image */
    /* a store over a copy of the partition */
    uint8_t *mem;
    fpy_flashsim sim;
    fpy_flash flash;
    fpy_nvs nvs;
    fpy_nvs_page *pages;
} fpy_nvs_file;

/*
 * Read `path` for FPY_FILE_READ or FPY_FILE_WRITE (hostio.h: a writer
 * holds the file locked until fpy_nvs_file_free) and find the partition:
 * `off`/`size` when given (non-NULL), otherwise NVS at 0x9000 (16 KiB)
 * in an 8 MiB file, or the whole file.  Without `size`, what runs from the
 * offset to the end of the file must be whole 4 KiB pages
 * (FPY_ERR_TRUNCATED otherwise).  On failure an English reason naming the
 * file is in err.
 */
int fpy_nvs_file_load(fpy_nvs_file *f, const char *path, const uint32_t *off,
                      const uint32_t *size, int mode, char *err, size_t errlen);
/*
 * A writer's checks, before anything changes (docs/files.md).  In a
 * whole flash image, the partition table at 0x8000 must be a FiPy
 * layout's or absent.  The partition must hold at least one NVS page
 * (known state, good header CRC) or be entirely erased: anything else
 * (an app image, random bytes) is refused, naming what page 0 holds.
 * With `format` such a partition is erased first, and one that already
 * holds NVS pages is refused instead: --format never erases keys.
 */
int fpy_nvs_file_prepare(fpy_nvs_file *f, int format, char *err, size_t errlen);
/* Open a store over the partition (read-only or not); the report of
 * fpy_nvs_init is in f->nvs.report. */
int fpy_nvs_file_open(fpy_nvs_file *f, int read_only);
/* Copy the partition back into the file buffer and, if that changed the
 * file, replace it atomically (fpy_lockedfile_save). */
int fpy_nvs_file_save(fpy_nvs_file *f, char *err, size_t errlen);
void fpy_nvs_file_free(fpy_nvs_file *f);
/* An empty, unopened file: what fpy_nvs_file_free leaves, and safe to free
 * (no descriptor held; a zeroed struct would name descriptor 0). */
void fpy_nvs_file_init(fpy_nvs_file *f);

/* "at offset 0x9000 of an 8 MiB flash image" or "" (for messages). */
const char *fpy_nvs_file_where(const fpy_nvs_file *f, char *buf, size_t n);

/* Generate an image from CSV text; file rows are read relative to the
 * working directory, and refused (FPY_ERR_EXISTS) when they name the
 * output file `out` (may be NULL).  On failure the message names
 * csv_name, the line and the field. */
int fpy_nvs_host_gen(const char *csv_name, const char *out, const char *text, size_t len,
                     uint32_t size, uint8_t version, uint8_t **img, uint32_t *img_len, char *err,
                     size_t errlen);

/* The dump: pages, problems (reported, skipped), namespaces and values as
 * the device sees them.  Returns the number of problems found. */
int fpy_nvs_dump(FILE *out, fpy_nvs_file *f, int json);

/* A value of `info` read through handle h, printed for people (text) or
 * as a JSON value.  Strings without their NUL, blobs as lowercase hex. */
int fpy_nvs_print_value(FILE *out, const fpy_nvs_handle *h, const fpy_nvs_info *info, int json);

#endif
