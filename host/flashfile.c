/* A file mapped MAP_SHARED as the array of a simulated flash. */
#include "hostio.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int fpy_ff_fill(int fd, size_t size)
{
    uint8_t blank[4096];
    memset(blank, 0xFF, sizeof blank);
    for (size_t off = 0; off < size; off += sizeof blank) {
        size_t n = size - off < sizeof blank ? size - off : sizeof blank;
        if (pwrite(fd, blank, n, (off_t)off) != (ssize_t)n)
            return FPY_ERR_IO;
    }
    return FPY_OK;
}

int fpy_flashfile_open(fpy_flashfile *ff, const char *path, size_t size,
                       int create, char *errbuf, size_t errlen)
{
    *ff = (fpy_flashfile){NULL, 0, -1};
    int fd = open(path, O_RDWR | (create ? O_CREAT : 0), 0644);
    if (fd < 0) {
        snprintf(errbuf, errlen, "cannot open %s: %s", path, strerror(errno));
        return FPY_ERR_IO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(errbuf, errlen, "cannot stat %s: %s", path, strerror(errno));
        close(fd);
        return FPY_ERR_IO;
    }
    if (st.st_size == 0 && create) {
        if (fpy_ff_fill(fd, size) != FPY_OK) {
            snprintf(errbuf, errlen, "cannot initialise %s: %s", path, strerror(errno));
            close(fd);
            return FPY_ERR_IO;
        }
    } else if ((size_t)st.st_size != size) {
        snprintf(errbuf, errlen, "%s has %lld bytes; a flash image must have %zu",
                 path, (long long)st.st_size, size);
        close(fd);
        return FPY_ERR_INVAL;
    }
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        snprintf(errbuf, errlen, "cannot map %s: %s", path, strerror(errno));
        close(fd);
        return FPY_ERR_IO;
    }
    ff->mem = m;
    ff->size = size;
    ff->fd = fd;
    return FPY_OK;
}

void fpy_flashfile_close(fpy_flashfile *ff)
{
    if (ff->mem != NULL) {
        msync(ff->mem, ff->size, MS_SYNC);
        munmap(ff->mem, ff->size);
    }
    if (ff->fd >= 0)
        close(ff->fd);
    *ff = (fpy_flashfile){NULL, 0, -1};
}
