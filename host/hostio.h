/*
 * Host-only helpers: whole-file I/O, error messages from diagnostics, a
 * file-backed flash array, and small JSON output helpers.  Nothing here
 * is used by the device-side core.
 */
#ifndef FIPY_HOSTIO_H
#define FIPY_HOSTIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fipy/err.h"

/* Read a whole file into a malloc'd buffer (*buf, *len; free() it).
 * `limit` caps the size accepted (FPY_ERR_NOSPC beyond it).  On failure
 * an English reason is written to errbuf. */
int fpy_file_read(const char *path, size_t limit, uint8_t **buf, size_t *len,
                  char *errbuf, size_t errlen);

/* Write `len` bytes to `path` through a temporary file in the same
 * directory and rename(), so an existing good file is never left
 * half-written.  "-" writes to standard output. */
int fpy_file_write(const char *path, const void *buf, size_t len,
                   char *errbuf, size_t errlen);

/* "what (field 'x') at offset 0x18: expected 0xe9, found 0x00" */
void fpy_diag_format(const fpy_diag *d, int err, char *out, size_t outlen);

/* Print "fipytool: <context>: <diag message>" to stderr. */
void fpy_report(const char *context, const fpy_diag *d, int err);

/* A file mapped as the array of a simulated flash (MAP_SHARED): writes
 * land in the file, so the flash persists across processes.  A missing
 * file is created at `size` bytes of 0xFF; an existing one must have
 * exactly `size` bytes. */
typedef struct fpy_flashfile {
    uint8_t *mem;
    size_t size;
    int fd;
} fpy_flashfile;

int fpy_flashfile_open(fpy_flashfile *ff, const char *path, size_t size,
                       int create, char *errbuf, size_t errlen);
void fpy_flashfile_close(fpy_flashfile *ff);

/* JSON string literal with escapes, to `f`. */
void fpy_json_str(FILE *f, const char *s);
/* Lowercase hex of `len` bytes into out (2*len+1 bytes). */
void fpy_hex(const uint8_t *b, size_t len, char *out);

#endif
