/* Locking, symlink targets and atomic replacement of files: see file_int.h. */
#include "file_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "fipy/err.h"

#define FPY_FILE_MAX_LINKS 40   /* as the kernel's own limit */
#define FPY_FILE_LOCK_TRIES 100 /* a path replaced this often while we wait: give up */

static char *fpy_file_dup(const char *s, size_t n)
{
    char *p = malloc(n + 1u);
    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* The directory part of `path` ("." for a bare name); malloc'd or NULL. */
static char *fpy_file_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return fpy_file_dup(".", 1);
    return fpy_file_dup(path, slash == path ? 1u : (size_t)(slash - path));
}

/* The path a symlink points to, relative targets taken from its directory. */
static char *fpy_file_follow(const char *link, const struct stat *st)
{
    size_t cap = (size_t)st->st_size + 2u;
    if (cap < 256u)
        cap = 256u; /* /proc's links report a size of 0 */
    char *t = NULL;
    ssize_t n;
    for (;;) {
        free(t);
        if ((t = malloc(cap)) == NULL || (n = readlink(link, t, cap)) < 0) {
            free(t);
            return NULL;
        }
        if ((size_t)n < cap)
            break;
        cap *= 2u;
    }
    t[n] = '\0';
    if (t[0] == '/')
        return t;
    char *dir = fpy_file_dir(link);
    size_t len = dir ? strlen(dir) + (size_t)n + 2u : 0;
    char *full = dir ? malloc(len) : NULL;
    if (full != NULL)
        snprintf(full, len, "%s/%s", dir, t);
    free(dir);
    free(t);
    return full;
}

char *fpy_file_target(const char *path, char *err, size_t errlen)
{
    char *cur = fpy_file_dup(path, strlen(path));
    for (int hops = 0; cur != NULL && hops <= FPY_FILE_MAX_LINKS; hops++) {
        struct stat st;
        if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode))
            return cur; /* missing: the file to create; else the file itself */
        char *next = fpy_file_follow(cur, &st);
        free(cur);
        cur = next;
    }
    if (cur != NULL)
        snprintf(err, errlen, "%s: too many levels of symbolic links", path);
    else
        snprintf(err, errlen, "%s: cannot follow the symbolic link: %s", path,
                 strerror(errno));
    free(cur);
    return NULL;
}

const char *fpy_file_kind(mode_t mode)
{
    if (S_ISREG(mode))
        return "a regular file";
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    return "a special file";
}

static int fpy_file_not_regular(const char *name, mode_t mode, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s is %s, not a file fipytool can update in place", name,
             fpy_file_kind(mode));
    return FPY_ERR_UNSUPPORTED;
}

static int fpy_file_open_err(const char *name, char *err, size_t errlen)
{
    snprintf(err, errlen, "cannot open %s: %s", name, strerror(errno));
    return FPY_ERR_IO;
}

/* One attempt: open, lock, and 1 if `path` still names the locked file. */
static int fpy_file_lock_once(const char *path, const char *name, int exclusive, int *fd,
                              struct stat *st, char *err, size_t errlen)
{
    struct stat now;
    *fd = -1;
    if (exclusive && stat(path, &now) == 0 && !S_ISREG(now.st_mode))
        return fpy_file_not_regular(name, now.st_mode, err, errlen);
    if ((*fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(*fd, st) != 0) {
        int rc = fpy_file_open_err(name, err, errlen);
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
        return rc;
    }
    if (!S_ISREG(st->st_mode)) /* FIFOs, devices: read as they are, never locked */
        return exclusive ? fpy_file_not_regular(name, st->st_mode, err, errlen) : 1;
    while (flock(*fd, exclusive ? LOCK_EX : LOCK_SH) != 0) {
        if (errno != EINTR) {
            snprintf(err, errlen, "cannot lock %s: %s", name, strerror(errno));
            return FPY_ERR_IO;
        }
    }
    return stat(path, &now) == 0 && now.st_dev == st->st_dev && now.st_ino == st->st_ino;
}

int fpy_file_lock(const char *path, const char *name, int exclusive, int *fd, struct stat *st,
                  char *err, size_t errlen)
{
    for (int tries = 0; tries < FPY_FILE_LOCK_TRIES; tries++) {
        int rc = fpy_file_lock_once(path, name, exclusive, fd, st, err, errlen);
        if (rc == 1)
            return FPY_OK;
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
        if (rc < 0)
            return rc;
        /* replaced while we waited for the lock: lock the new file */
    }
    snprintf(err, errlen, "%s keeps being replaced by other processes; try again", name);
    return FPY_ERR_IO;
}

int fpy_file_replaceable(const char *path, const char *name, const struct stat *st, char *err,
                         size_t errlen)
{
    if (!S_ISREG(st->st_mode))
        return fpy_file_not_regular(name, st->st_mode, err, errlen);
    if ((st->st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0 || access(path, W_OK) != 0) {
        snprintf(err, errlen, "%s is read-only (mode %04o): fipytool does not replace it; "
                              "make it writable first", name, (unsigned)(st->st_mode & 07777));
        return FPY_ERR_STATE;
    }
    if (st->st_nlink > 1) {
        snprintf(err, errlen, "%s has %lu hard links: replacing it would leave the other names "
                              "with the old bytes, so fipytool does not write it",
                 name, (unsigned long)st->st_nlink);
        return FPY_ERR_STATE;
    }
    return FPY_OK;
}

/* 0, or -1 with errno set. */
static int fpy_file_write_fd(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int fpy_file_write_all(int fd, const char *name, const void *buf, size_t len, char *err,
                       size_t errlen)
{
    if (fpy_file_write_fd(fd, buf, len) == 0)
        return FPY_OK;
    snprintf(err, errlen, "cannot write %s: %s", name, strerror(errno));
    return errno == ENOSPC || errno == EFBIG ? FPY_ERR_NOSPC : FPY_ERR_IO;
}

/* The new file gets the old one's owner and mode (chown first: it clears
 * set-id bits), or a new file's mode: 0666 less the umask. */
static int fpy_file_attrs(int fd, const struct stat *old)
{
    if (old == NULL) {
        mode_t um = umask(0);
        umask(um);
        return fchmod(fd, 0666 & ~um);
    }
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -1;
    if ((st.st_uid != old->st_uid || st.st_gid != old->st_gid) &&
        fchown(fd, old->st_uid, old->st_gid) != 0)
        return -1;
    return fchmod(fd, old->st_mode & 07777);
}

/* Attributes, bytes, fsync, close: the temporary file complete or an error. */
static int fpy_file_fill(int fd, const struct stat *old, const void *buf, size_t len,
                         const char *name, char *err, size_t errlen)
{
    const char *step = "give the new file the owner and mode of";
    int ok = fpy_file_attrs(fd, old) == 0;
    if (ok && (step = "write", fpy_file_write_fd(fd, buf, len) != 0))
        ok = 0;
    if (ok && (step = "sync", fsync(fd) != 0))
        ok = 0;
    int e = errno;
    if (close(fd) != 0 && ok) {
        step = "write";
        ok = 0;
        e = errno;
    }
    if (ok)
        return FPY_OK;
    snprintf(err, errlen, "cannot %s %s: %s; %s is unchanged", step, name, strerror(e), name);
    return e == ENOSPC || e == EFBIG ? FPY_ERR_NOSPC : FPY_ERR_IO;
}

/* A kill between the temporary file's creation and the rename would leave
 * the temporary file behind: hold the usual kill signals until the rename
 * is done (they are delivered then, with the new file in place). */
static void fpy_signals_hold(sigset_t *saved)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGINT);
    sigaddset(&s, SIGTERM);
    sigaddset(&s, SIGHUP);
    sigaddset(&s, SIGQUIT);
    sigprocmask(SIG_BLOCK, &s, saved);
}

/* Make the rename durable.  Best effort: some file systems refuse to
 * fsync a directory, and the new file is in place either way. */
static void fpy_file_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

static int fpy_file_swap(char *tmp, const char *dir, const char *target, const char *name,
                         const struct stat *old, const void *buf, size_t len, char *err,
                         size_t errlen)
{
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create a temporary file in %s to write %s: %s", dir, name,
                 strerror(errno));
        return FPY_ERR_IO;
    }
    int rc = fpy_file_fill(fd, old, buf, len, name, err, errlen);
    if (rc == FPY_OK && rename(tmp, target) != 0) {
        snprintf(err, errlen, "cannot put the new %s in place: %s; %s is unchanged", name,
                 strerror(errno), name);
        rc = FPY_ERR_IO;
    }
    if (rc != FPY_OK)
        unlink(tmp);
    else
        fpy_file_sync_dir(dir);
    return rc;
}

int fpy_file_replace(const char *target, const char *name, const struct stat *old,
                     const void *buf, size_t len, char *err, size_t errlen)
{
    static const char pattern[] = "/.fipytool-XXXXXX"; /* short: long names still fit */
    char *dir = fpy_file_dir(target);
    size_t n = dir != NULL ? strlen(dir) + sizeof pattern : 0;
    char *tmp = dir != NULL ? malloc(n) : NULL;
    if (tmp == NULL) {
        free(dir);
        snprintf(err, errlen, "out of memory writing %s", name);
        return FPY_ERR_NOSPC;
    }
    snprintf(tmp, n, "%s%s", dir, pattern);
    sigset_t saved;
    fpy_signals_hold(&saved);
    int rc = fpy_file_swap(tmp, dir, target, name, old, buf, len, err, errlen);
    sigprocmask(SIG_SETMASK, &saved, NULL);
    free(tmp);
    free(dir);
    return rc;
}

/* Room for more bytes: FPY_ERR_RANGE past `limit`, FPY_ERR_NOSPC without memory. */
static int fpy_file_grow(uint8_t **p, size_t *cap, size_t limit)
{
    if (*cap > limit)
        return FPY_ERR_RANGE;
    uint8_t *q = realloc(*p, *cap * 2u);
    if (q == NULL)
        return FPY_ERR_NOSPC;
    *p = q;
    *cap *= 2u;
    return FPY_OK;
}

int fpy_file_read_fd(int fd, const char *name, size_t limit, uint8_t **buf, size_t *len,
                     char *err, size_t errlen)
{
    struct stat st;
    size_t cap = 65536, n = 0;
    /* a regular file's size, plus one byte to see its end without growing */
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        cap = (size_t)st.st_size < limit ? (size_t)st.st_size + 1u : limit + 1u;
    uint8_t *p = malloc(cap);
    int rc = p == NULL ? FPY_ERR_NOSPC : FPY_OK;
    while (rc == FPY_OK) {
        if (n == cap && (rc = fpy_file_grow(&p, &cap, limit)) != FPY_OK)
            break;
        ssize_t got = read(fd, p + n, cap - n);
        if (got == 0)
            break;
        if (got > 0)
            n += (size_t)got;
        else if (errno != EINTR)
            rc = FPY_ERR_IO;
    }
    if (rc == FPY_OK && n > limit)
        rc = FPY_ERR_RANGE;
    if (rc == FPY_ERR_IO)
        snprintf(err, errlen, "cannot read %s: %s", name, strerror(errno));
    else if (rc == FPY_ERR_RANGE)
        snprintf(err, errlen, "%s is larger than %zu bytes", name, limit);
    else if (rc != FPY_OK)
        snprintf(err, errlen, "out of memory reading %s", name);
    if (rc != FPY_OK) {
        free(p);
        return rc == FPY_ERR_RANGE ? FPY_ERR_NOSPC : rc;
    }
    *buf = p;
    *len = n;
    return FPY_OK;
}
