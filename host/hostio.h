/*
 * Host-only helpers: files (whole-file reads, atomic writes, locked
 * in-place updates), error messages from diagnostics, and small JSON
 * output helpers.  Nothing here is used by the device-side core.
 */
#ifndef FIPY_HOSTIO_H
#define FIPY_HOSTIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "fipy/err.h"

/*
 * Files, as docs/files.md describes: every write is atomic (temporary
 * file, fsync, rename), keeps a symlink and writes its target, keeps the
 * mode and owner of the file it replaces, and holds an exclusive flock()
 * on the file it replaces; every read holds a shared one.  On failure an
 * English reason naming the file is written to errbuf.
 */

/* Read a whole file into a malloc'd buffer (*buf, *len; free() it).
 * `limit` caps the size accepted (FPY_ERR_NOSPC beyond it). */
int fpy_file_read(const char *path, size_t limit, uint8_t **buf, size_t *len,
                  char *errbuf, size_t errlen);

/* Write `len` bytes to `path`: "-" is standard output; an existing FIFO
 * or character device is written as it is (never replaced); a regular
 * file, existing or not, is replaced atomically, and refused when it is
 * read-only or has other hard links; anything else is refused.  A failed
 * write leaves `path` as it was. */
int fpy_file_write(const char *path, const void *buf, size_t len,
                   char *errbuf, size_t errlen);

/* FPY_ERR_EXISTS when the output `out` is the same file as one of the
 * `n` inputs `in` (same device and inode: a symlink, a hard link, "./x"
 * all count); NULL entries and "-" are skipped.  Commands call it before
 * doing anything, so an input is never replaced by its own output. */
int fpy_file_distinct(const char *out, const char *const *in, size_t n,
                      char *errbuf, size_t errlen);

/*
 * A file held for a command that reads or updates it in place (a flash
 * image, an NVS partition).  A reader takes a shared lock, reads the
 * bytes and lets go.  A writer takes an exclusive lock on the real file
 * (symlinks followed), keeps it until close, works on `buf`, and
 * fpy_lockedfile_save() replaces the file atomically if `buf` changed:
 * two writers of one file take turns and neither update is lost.
 */
typedef struct fpy_lockedfile {
    const char *name;  /* the path as given, for messages */
    char *target;      /* writer: the file to replace; malloc'd */
    int fd;            /* writer: open and locked until close; else -1 */
    struct stat st;    /* writer: the locked file's owner and mode */
    uint8_t *buf;      /* the file's bytes: the command's to change */
    size_t len;
    uint8_t *orig;     /* writer: the bytes as read */
} fpy_lockedfile;

#define FPY_FILE_READ 0
#define FPY_FILE_WRITE 1

/* Open and read `path` (at most `limit` bytes) for FPY_FILE_READ or
 * FPY_FILE_WRITE.  A writer's file must be a regular file that
 * fpy_file_write could replace. */
int fpy_lockedfile_open(fpy_lockedfile *lf, const char *path, int mode, size_t limit,
                        char *errbuf, size_t errlen);
/* Writer: if `buf` differs from what was read, replace the file with it
 * (atomically; the lock is held throughout).  Nothing changed: nothing
 * is written.  Call it only when the command succeeded. */
int fpy_lockedfile_save(fpy_lockedfile *lf, char *errbuf, size_t errlen);
/* Free the bytes and let go of the lock (unsaved changes are dropped). */
void fpy_lockedfile_close(fpy_lockedfile *lf);

/* "what (field 'x') at offset 0x18: expected 0xe9, found 0x00" */
void fpy_diag_format(const fpy_diag *d, int err, char *out, size_t outlen);

/* Print "fipytool: <context>: <diag message>" to stderr. */
void fpy_report(const char *context, const fpy_diag *d, int err);

/* JSON string literal with escapes, to `f`. */
void fpy_json_str(FILE *f, const char *s);
/* Lowercase hex of `len` bytes into out (2*len+1 bytes). */
void fpy_hex(const uint8_t *b, size_t len, char *out);

#endif
