/* Whole-file reads and crash-safe whole-file writes. */
#include "hostio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fpy_file_read(const char *path, size_t limit, uint8_t **buf, size_t *len,
                  char *errbuf, size_t errlen)
{
    *buf = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(errbuf, errlen, "cannot open %s: %s", path, strerror(errno));
        return FPY_ERR_IO;
    }
    size_t cap = 65536, n = 0;
    uint8_t *p = malloc(cap);
    int rc = FPY_OK;
    while (p != NULL) {
        if (n == cap) {
            if (cap > limit) {
                snprintf(errbuf, errlen, "%s is larger than %zu bytes", path, limit);
                rc = FPY_ERR_NOSPC;
                break;
            }
            uint8_t *q = realloc(p, cap * 2);
            if (q == NULL)
                break;
            p = q;
            cap *= 2;
        }
        size_t got = fread(p + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (p == NULL) {
        snprintf(errbuf, errlen, "out of memory reading %s", path);
        rc = FPY_ERR_NOSPC;
    } else if (rc == FPY_OK && ferror(f)) {
        snprintf(errbuf, errlen, "cannot read %s: %s", path, strerror(errno));
        rc = FPY_ERR_IO;
    } else if (rc == FPY_OK && n > limit) {
        snprintf(errbuf, errlen, "%s is larger than %zu bytes", path, limit);
        rc = FPY_ERR_NOSPC;
    }
    fclose(f);
    if (rc != FPY_OK) {
        free(p);
        return rc;
    }
    *buf = p;
    *len = n;
    return FPY_OK;
}

static int fpy_write_all(FILE *f, const void *buf, size_t len)
{
    return fwrite(buf, 1, len, f) == len ? FPY_OK : FPY_ERR_IO;
}

int fpy_file_write(const char *path, const void *buf, size_t len,
                   char *errbuf, size_t errlen)
{
    if (strcmp(path, "-") == 0) {
        if (fpy_write_all(stdout, buf, len) != FPY_OK || fflush(stdout) != 0) {
            snprintf(errbuf, errlen, "cannot write to standard output");
            return FPY_ERR_IO;
        }
        return FPY_OK;
    }
    size_t tlen = strlen(path) + 16;
    char *tmp = malloc(tlen);
    if (tmp == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return FPY_ERR_NOSPC;
    }
    snprintf(tmp, tlen, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    int rc = FPY_OK;
    if (f == NULL) {
        snprintf(errbuf, errlen, "cannot create %s: %s", tmp, strerror(errno));
        rc = FPY_ERR_IO;
    } else {
        rc = fpy_write_all(f, buf, len);
        if (fflush(f) != 0 || fsync(fileno(f)) != 0)
            rc = FPY_ERR_IO;
        if (fclose(f) != 0)
            rc = FPY_ERR_IO;
        if (rc == FPY_OK && rename(tmp, path) != 0)
            rc = FPY_ERR_IO;
        if (rc != FPY_OK) {
            snprintf(errbuf, errlen, "cannot write %s: %s", path, strerror(errno));
            unlink(tmp);
        }
    }
    free(tmp);
    return rc;
}
