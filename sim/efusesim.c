/* The virtual eFuse controller: see sim/efusesim.h. */
#include "efusesim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fpy_es_is_rdata(uint32_t i)
{
    for (unsigned b = 0; b < FPY_EFUSE_BLOCKS; b++) {
        unsigned first = fpy_efuse_rdata_index(b, 0);
        if (i >= first && i < first + fpy_efuse_block_words(b))
            return 1;
    }
    return 0;
}

static void fpy_es_reload(fpy_efusesim *s);

void fpy_efusesim_reset(fpy_efusesim *s)
{
    memset(s->regs, 0, sizeof s->regs);
    fpy_es_reload(s);
}

void fpy_efusesim_init(fpy_efusesim *s, const fpy_efuse *fuses)
{
    memset(s, 0, sizeof *s);
    s->fuses = *fuses;
    /* only the fuse words are the chip's memory; a file written by
     * espefuse's emulator may hold its last register values too */
    for (unsigned i = 0; i < FPY_EFUSE_WORDS; i++)
        if (!fpy_es_is_rdata(i))
            s->fuses.w[i] = 0;
    fpy_efusesim_reset(s);
}

/* ---- the file -------------------------------------------------------------- */

static int fpy_es_fail(fpy_efusesim *s, const char *what)
{
    snprintf(s->msg, sizeof s->msg, "eFuse file %s: %s: %s", s->path, what, strerror(errno));
    s->save_rc = FPY_ERR_IO;
    return FPY_ERR_IO;
}

static int fpy_es_write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Beside the old file, then renamed over it: a crash leaves the old
 * fuses or the new ones, never half a file. */
static int fpy_es_save(fpy_efusesim *s)
{
    if (s->path[0] == '\0')
        return FPY_OK;
    uint8_t buf[FPY_EFUSE_MEM_SIZE];
    char tmp[FPY_EFUSESIM_PATH_MAX + 8];
    fpy_efuse_encode(&s->fuses, buf);
    snprintf(tmp, sizeof tmp, "%s.XXXXXX", s->path);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return fpy_es_fail(s, "cannot create a temporary file beside it");
    int bad = fchmod(fd, 0644) != 0 || fpy_es_write_all(fd, buf, sizeof buf) != 0 ||
              fsync(fd) != 0;
    if (close(fd) != 0)
        bad = 1;
    if (bad || rename(tmp, s->path) != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return fpy_es_fail(s, "cannot save the burnt fuses");
    }
    s->save_rc = FPY_OK;
    s->msg[0] = '\0';
    return FPY_OK;
}

/* 0: read; 1: no file; -1: error in err. */
static int fpy_es_load(const char *path, fpy_efuse *e, char *err, size_t errlen)
{
    uint8_t buf[FPY_EFUSE_MEM_SIZE + 1];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return 1;
    if (fd < 0) {
        snprintf(err, errlen, "eFuse file %s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    size_t n = 0;
    for (;;) {
        ssize_t k = read(fd, buf + n, sizeof buf - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0 || (n += (size_t)k) == sizeof buf)
            break;
    }
    close(fd);
    fpy_diag d = {0};
    if (fpy_efuse_decode(buf, n, e, &d) != FPY_OK) {
        snprintf(err, errlen, "eFuse file %s: %s%zu bytes, but an ESP32's eFuse file "
                 "(espefuse --virt) has %u; it was left as it is",
                 path, n == sizeof buf ? "more than " : "", n == sizeof buf ? n - 1 : n,
                 (unsigned)FPY_EFUSE_MEM_SIZE);
        return -1;
    }
    return 0;
}

int fpy_efusesim_open(fpy_efusesim *s, const char *path, const uint8_t mac[6], char *err,
                      size_t errlen)
{
    fpy_efuse e;
    if (strlen(path) >= FPY_EFUSESIM_PATH_MAX) {
        snprintf(err, errlen, "eFuse file %s: path too long", path);
        return -1;
    }
    int r = fpy_es_load(path, &e, err, errlen);
    if (r < 0)
        return -1;
    if (r == 1)
        fpy_efuse_new(&e, mac);
    fpy_efusesim_init(s, &e);
    memcpy(s->path, path, strlen(path) + 1);
    if (r == 1 && fpy_es_save(s) != FPY_OK) {
        snprintf(err, errlen, "%s", s->msg);
        return -1;
    }
    return 0;
}

/* ---- the registers --------------------------------------------------------- */

uint32_t fpy_efusesim_read(const fpy_efusesim *s, uint32_t off)
{
    if (off >= FPY_EFUSE_MEM_SIZE || off % 4u != 0)
        return 0;
    return s->regs[off / 4u];
}

/* RDATA reloaded: the firmware's burn (ESP-IDF's) ends with READ. */
static void fpy_es_reload(fpy_efusesim *s)
{
    for (unsigned b = 0; b < FPY_EFUSE_BLOCKS; b++)
        for (unsigned k = 0; k < fpy_efuse_block_words(b); k++) {
            unsigned i = fpy_efuse_rdata_index(b, k);
            s->regs[i] = fpy_efuse_read_word(&s->fuses, i);
        }
}

int fpy_efusesim_burn(fpy_efusesim *s, const fpy_efuse *want, fpy_diag *d)
{
    FPY_TRY(fpy_efuse_check_burn(&s->fuses, want, d));
    if (!fpy_efuse_merge(&s->fuses, want))
        return FPY_OK;
    s->burns++;
    fpy_es_reload(s);
    return fpy_es_save(s);
}

/* PGM: each block's write data into the fuses; bits under a burnt WR_DIS
 * bit are not burnt (no error: the chip has nowhere to report it). */
static int fpy_es_program(fpy_efusesim *s)
{
    fpy_efuse want;
    memset(&want, 0, sizeof want);
    for (unsigned b = 0; b < FPY_EFUSE_BLOCKS; b++)
        for (unsigned k = 0; k < fpy_efuse_block_words(b); k++)
            want.w[fpy_efuse_rdata_index(b, k)] = s->regs[fpy_efuse_wdata_index(b, k)];
    if (!fpy_efuse_merge(&s->fuses, &want))
        return FPY_OK;
    s->burns++;
    return fpy_es_save(s);
}

static void fpy_es_read_cmd(fpy_efusesim *s)
{
    fpy_es_reload(s);
    for (unsigned b = 0; b < FPY_EFUSE_BLOCKS; b++)
        for (unsigned k = 0; k < fpy_efuse_block_words(b); k++)
            s->regs[fpy_efuse_wdata_index(b, k)] = 0;
}

int fpy_efusesim_write(fpy_efusesim *s, uint32_t off, uint32_t value)
{
    if (off >= FPY_EFUSE_MEM_SIZE || off % 4u != 0)
        return FPY_OK;
    uint32_t i = off / 4u;
    if (fpy_es_is_rdata(i) || off == FPY_EFUSE_STATUS || off == FPY_EFUSE_DEC_STATUS)
        return FPY_OK; /* read-only */
    if (off != FPY_EFUSE_CMD) {
        s->regs[i] = value;
        return FPY_OK;
    }
    int rc = FPY_OK;
    uint32_t conf = s->regs[FPY_EFUSE_CONF / 4u];
    if ((value & FPY_EFUSE_CMD_PGM) && conf == FPY_EFUSE_CONF_WRITE)
        rc = fpy_es_program(s);
    else if ((value & FPY_EFUSE_CMD_READ) && conf == FPY_EFUSE_CONF_READ)
        fpy_es_read_cmd(s);
    s->regs[i] = 0; /* done at once */
    return rc;
}
