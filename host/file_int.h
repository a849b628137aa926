/*
 * The pieces every file write of fipytool is made of (docs/files.md has
 * the rules they implement).  Internal to host/: commands use hostio.h.
 * Every function that can fail writes an English reason naming the file
 * to err and returns an fpy_err code.
 */
#ifndef FIPY_FILE_INT_H
#define FIPY_FILE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* The file a write to `path` must replace: `path` with its symlinks
 * followed to the end (a dangling link names the file to create), so the
 * link is kept and its target updated.  malloc'd; NULL on failure. */
char *fpy_file_target(const char *path, char *err, size_t errlen);

/*
 * Open `path` read-only and flock() it (LOCK_SH, or LOCK_EX when
 * `exclusive`), then check that `path` still names the file that was
 * locked: a writer may have renamed a new file over it while we waited,
 * and a lock on the old one protects nothing.  If so, start again.
 * Only regular files are locked; another kind is opened as it is (an
 * exclusive lock refuses it before opening: a FIFO would block).
 * On success *fd is open (close it to unlock) and *st is its fstat.
 */
int fpy_file_lock(const char *path, const char *name, int exclusive, int *fd, struct stat *st,
                  char *err, size_t errlen);

/* Whether fipytool may replace the regular file `st` at `path`: it must
 * be writable by its mode bits as well as by access() (root passes
 * access() for any file), and have one link (renaming over a hard link
 * would leave the other names with the old bytes). */
int fpy_file_replaceable(const char *path, const char *name, const struct stat *st, char *err,
                         size_t errlen);

/*
 * Replace `target` by `len` bytes, atomically: a temporary file
 * ".fipytool-XXXXXX" in the same directory, given the mode and owner of
 * `old` (or a new file's mode when `old` is NULL), written, fsync'ed,
 * renamed over `target`, then the directory fsync'ed.  SIGINT, SIGTERM,
 * SIGHUP and SIGQUIT are held from the temporary file's creation to the
 * rename, so a kill leaves the old file or the new one and no temporary
 * file.  On failure `target` is unchanged and the temporary file removed.
 * `name` is the path as the user gave it, for messages.
 */
int fpy_file_replace(const char *target, const char *name, const struct stat *old,
                     const void *buf, size_t len, char *err, size_t errlen);

/* Write all of `buf` to `fd` (a FIFO, a device). */
int fpy_file_write_all(int fd, const char *name, const void *buf, size_t len, char *err,
                       size_t errlen);

/* Read all of `fd` (at most `limit` bytes) into a malloc'd buffer. */
int fpy_file_read_fd(int fd, const char *name, size_t limit, uint8_t **buf, size_t *len,
                     char *err, size_t errlen);

/* "a directory", "a FIFO", "a block device", ... for messages. */
const char *fpy_file_kind(mode_t mode);

#endif
