/* Whole-file reads, safe writes, and files held for in-place updates. */
#include "hostio.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file_int.h"

int fpy_file_read(const char *path, size_t limit, uint8_t **buf, size_t *len,
                  char *errbuf, size_t errlen)
{
    int fd;
    struct stat st;
    *buf = NULL;
    *len = 0;
    FPY_TRY(fpy_file_lock(path, path, 0, &fd, &st, errbuf, errlen));
    int rc = fpy_file_read_fd(fd, path, limit, buf, len, errbuf, errlen);
    close(fd);
    return rc;
}

static int fpy_file_write_stdout(const void *buf, size_t len, char *errbuf, size_t errlen)
{
    if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0) {
        snprintf(errbuf, errlen, "cannot write to standard output: %s", strerror(errno));
        return FPY_ERR_IO;
    }
    return FPY_OK;
}

/* A FIFO or a character device takes the bytes as they come: replacing
 * it with a regular file would break whoever reads it (or, as root,
 * replace a system device such as /dev/full).  A FIFO whose reader left
 * is an error message (EPIPE), not a death by SIGPIPE. */
static int fpy_file_write_node(const char *path, const void *buf, size_t len, char *errbuf,
                               size_t errlen)
{
    struct sigaction ign, old;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    int fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(errbuf, errlen, "cannot open %s: %s", path, strerror(errno));
        return FPY_ERR_IO;
    }
    sigaction(SIGPIPE, &ign, &old);
    int rc = fpy_file_write_all(fd, path, buf, len, errbuf, errlen);
    sigaction(SIGPIPE, &old, NULL);
    if (close(fd) != 0 && rc == FPY_OK) {
        snprintf(errbuf, errlen, "cannot write %s: %s", path, strerror(errno));
        rc = FPY_ERR_IO;
    }
    return rc;
}

/* A path that names nothing yet (or a dangling symlink): a new file. */
static int fpy_file_create(const char *path, const void *buf, size_t len, char *errbuf,
                           size_t errlen)
{
    char *target = fpy_file_target(path, errbuf, errlen);
    if (target == NULL)
        return FPY_ERR_IO;
    int rc = fpy_file_replace(target, path, NULL, buf, len, errbuf, errlen);
    free(target);
    return rc;
}

int fpy_file_write(const char *path, const void *buf, size_t len, char *errbuf, size_t errlen)
{
    struct stat st;
    if (strcmp(path, "-") == 0)
        return fpy_file_write_stdout(buf, len, errbuf, errlen);
    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            return fpy_file_create(path, buf, len, errbuf, errlen);
        snprintf(errbuf, errlen, "cannot write %s: %s", path, strerror(errno));
        return FPY_ERR_IO;
    }
    if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))
        return fpy_file_write_node(path, buf, len, errbuf, errlen);
    if (!S_ISREG(st.st_mode)) {
        snprintf(errbuf, errlen, "%s is %s: fipytool writes regular files, FIFOs and "
                                 "character devices", path, fpy_file_kind(st.st_mode));
        return FPY_ERR_UNSUPPORTED;
    }
    fpy_lockedfile lf;
    int rc = fpy_lockedfile_open(&lf, path, FPY_FILE_WRITE, 0, errbuf, errlen);
    if (rc == FPY_OK)
        rc = fpy_file_replace(lf.target, path, &lf.st, buf, len, errbuf, errlen);
    fpy_lockedfile_close(&lf);
    return rc;
}

/* Regular files only: a terminal read and written is one inode, and fine. */
static int fpy_file_stat_reg(const char *path, struct stat *st)
{
    return path != NULL && strcmp(path, "-") != 0 && stat(path, st) == 0 &&
           S_ISREG(st->st_mode);
}

int fpy_file_distinct(const char *out, const char *const *in, size_t n, char *errbuf,
                      size_t errlen)
{
    struct stat so, si;
    if (!fpy_file_stat_reg(out, &so))
        return FPY_OK;
    for (size_t i = 0; i < n; i++) {
        if (fpy_file_stat_reg(in[i], &si) && si.st_dev == so.st_dev && si.st_ino == so.st_ino) {
            snprintf(errbuf, errlen, "the output %s is the same file as the input %s: writing "
                                     "it would destroy what is read; choose another output",
                     out, in[i]);
            return FPY_ERR_EXISTS;
        }
    }
    return FPY_OK;
}

/* ---- files held for an in-place update -------------------------------------------- */

static int fpy_lockedfile_hold(fpy_lockedfile *lf, const char *path, char *errbuf,
                               size_t errlen)
{
    lf->target = fpy_file_target(path, errbuf, errlen);
    if (lf->target == NULL)
        return FPY_ERR_IO;
    FPY_TRY(fpy_file_lock(lf->target, path, 1, &lf->fd, &lf->st, errbuf, errlen));
    return fpy_file_replaceable(lf->target, path, &lf->st, errbuf, errlen);
}

int fpy_lockedfile_open(fpy_lockedfile *lf, const char *path, int mode, size_t limit,
                        char *errbuf, size_t errlen)
{
    memset(lf, 0, sizeof *lf);
    lf->name = path;
    lf->fd = -1;
    int fd = -1, rc;
    if (mode == FPY_FILE_WRITE) {
        rc = fpy_lockedfile_hold(lf, path, errbuf, errlen);
        fd = lf->fd;
    } else {
        rc = fpy_file_lock(path, path, 0, &fd, &lf->st, errbuf, errlen);
    }
    /* limit 0: the lock alone, for fpy_file_write */
    if (rc == FPY_OK && limit > 0)
        rc = fpy_file_read_fd(fd, path, limit, &lf->buf, &lf->len, errbuf, errlen);
    if (rc == FPY_OK && mode == FPY_FILE_WRITE && limit > 0) {
        lf->orig = malloc(lf->len ? lf->len : 1u);
        if (lf->orig == NULL) {
            snprintf(errbuf, errlen, "out of memory reading %s", path);
            rc = FPY_ERR_NOSPC;
        } else {
            memcpy(lf->orig, lf->buf, lf->len);
        }
    }
    if (mode != FPY_FILE_WRITE && fd >= 0)
        close(fd); /* a reader has its bytes: let writers in */
    if (rc != FPY_OK)
        fpy_lockedfile_close(lf);
    return rc;
}

int fpy_lockedfile_save(fpy_lockedfile *lf, char *errbuf, size_t errlen)
{
    if (lf->orig == NULL) {
        snprintf(errbuf, errlen, "%s was not opened for writing", lf->name);
        return FPY_ERR_STATE;
    }
    if (memcmp(lf->buf, lf->orig, lf->len) == 0)
        return FPY_OK;
    FPY_TRY(fpy_file_replace(lf->target, lf->name, &lf->st, lf->buf, lf->len, errbuf, errlen));
    memcpy(lf->orig, lf->buf, lf->len);
    return FPY_OK;
}

void fpy_lockedfile_close(fpy_lockedfile *lf)
{
    if (lf->fd >= 0)
        close(lf->fd); /* after the rename: the lock covered the whole update */
    free(lf->target);
    free(lf->buf);
    free(lf->orig);
    const char *name = lf->name;
    memset(lf, 0, sizeof *lf);
    lf->name = name;
    lf->fd = -1;
}
