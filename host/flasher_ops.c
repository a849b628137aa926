/* The flasher's read, verify and erase (flasher.h, docs/flasher.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fipy/bytes.h"
#include "fipy/err.h"
#include "fipy/hash.h"
#include "flasher_int.h"

static int fpy_fl_range(fpy_flasher *f, uint32_t addr, uint32_t size)
{
    if (size == 0 || addr >= f->flash_size || size > f->flash_size - addr)
        return fpy_fl_fail(f, FPY_ERR_RANGE, FPY_FLC_INPUT,
                           "0x%x bytes at 0x%x are not inside the %u MiB flash", (unsigned)size,
                           (unsigned)addr, (unsigned)(f->flash_size >> 20));
    return FPY_OK;
}

/* A read whose MD5 differs: replies carry no CRC, so a flipped bit in a
 * READ_FLASH_SLOW payload is only seen here.  Find the sectors that
 * differ (the MD5 ladder) and read them again; 1 while the whole still
 * differs, 0 when it agrees, or an error. */
static int fpy_fl_reread(fpy_flasher *f, uint32_t addr, uint32_t size, uint8_t *out)
{
    uint32_t nsec = (size + FPY_FLASHER_SECTOR - 1) / FPY_FLASHER_SECTOR;
    uint8_t *s = malloc(nsec);
    if (s == NULL)
        return fpy_fl_fail(f, FPY_ERR_NOSPC, FPY_FLC_PROTOCOL, "out of memory");
    memset(s, 1, nsec);
    f->retries++;
    fpy_fl_event(f, "retry", NULL, addr, 0, size, FPY_FLC_MISMATCH,
                 "the bytes read do not match the chip's MD5: reading the differing sectors again");
    int rc = fpy_fl_compare(f, addr, out, size, s, 0);
    for (uint32_t k = 0; rc == FPY_OK && k < nsec; k++) {
        uint32_t end = (k + 1) * FPY_FLASHER_SECTOR < size ? (k + 1) * FPY_FLASHER_SECTOR : size;
        for (uint32_t off = k * FPY_FLASHER_SECTOR; s[k] && rc == FPY_OK && off < end; off += 64)
            rc = fpy_romc_read_slow(&f->rc, addr + off, out + off,
                                    end - off < 64 ? end - off : 64);
    }
    free(s);
    if (rc != FPY_OK)
        return fpy_fl_rom_fail(f, rc, "READ_FLASH_SLOW");
    return fpy_fl_differs(f, addr, out, size);
}

int fpy_flasher_read(fpy_flasher *f, uint32_t addr, uint32_t size, uint8_t *out)
{
    FPY_TRY(fpy_fl_range(f, addr, size));
    for (uint32_t off = 0; off < size; off += 64) {
        if (fpy_fl_stopped(f)) {
            f->interrupted = 1;
            return fpy_fl_fail(f, FPY_ERR_STATE, FPY_FLC_INTERRUPTED,
                               "interrupted after reading 0x%x bytes; nothing saved", (unsigned)off);
        }
        uint32_t n = size - off < 64 ? size - off : 64;
        int rc = fpy_romc_read_slow(&f->rc, addr + off, out + off, n);
        for (unsigned k = 0; rc != FPY_OK && rc != FPY_ERR_IO && k < 3; k++) {
            f->retries++;
            fpy_fl_event(f, "retry", NULL, addr + off, off, size, fpy_fl_code(f, rc), f->rc.msg);
            (void)fpy_romc_sync(&f->rc, 5);
            rc = fpy_romc_read_slow(&f->rc, addr + off, out + off, n);
        }
        if (rc != FPY_OK)
            return fpy_fl_rom_fail(f, rc, "READ_FLASH_SLOW");
        if ((off & 0xFFFu) == 0 || off + n == size)
            fpy_fl_event(f, "read", NULL, addr, off + n, size, NULL, NULL);
    }
    int rc = fpy_fl_differs(f, addr, out, size);
    for (unsigned round = 0; rc > 0 && round < 3; round++)
        rc = fpy_fl_reread(f, addr, size, out);
    if (rc < 0)
        return rc;
    if (rc > 0)
        return fpy_fl_fail(f, FPY_ERR_CHECKSUM, FPY_FLC_MISMATCH,
                           "the bytes read at 0x%x do not match the chip's MD5 of them "
                           "(a garbled read): nothing saved",
                           (unsigned)addr);
    fpy_fl_event(f, "verify", NULL, addr, size, size, NULL, "MD5 verified");
    return FPY_OK;
}

int fpy_flasher_verify(fpy_flasher *f, const fpy_flash_region *r, size_t n, uint32_t *bad)
{
    for (size_t i = 0; i < n; i++) {
        FPY_TRY(fpy_fl_range(f, r[i].addr, (uint32_t)r[i].len));
        uint32_t len = (uint32_t)r[i].len, nsec = fpy_fl_padded(len) / FPY_FLASHER_SECTOR;
        uint8_t *s = malloc(nsec);
        if (s == NULL)
            return fpy_fl_fail(f, FPY_ERR_NOSPC, FPY_FLC_PROTOCOL, "out of memory");
        memset(s, 1, nsec);
        int rc = fpy_fl_compare(f, r[i].addr, r[i].data, len, s, 1);
        uint32_t k = 0;
        while (rc == FPY_OK && k < nsec && !s[k])
            k++;
        free(s);
        FPY_TRY(rc);
        if (k < nsec) {
            uint32_t at = r[i].addr + k * FPY_FLASHER_SECTOR;
            if (bad != NULL)
                *bad = at;
            return fpy_fl_fail(f, FPY_ERR_CHECKSUM, FPY_FLC_MISMATCH,
                               "%s differs from the flash at 0x%x: first differing sector "
                               "0x%x..0x%x (file offset 0x%x)",
                               r[i].name, (unsigned)r[i].addr, (unsigned)at,
                               (unsigned)(at + FPY_FLASHER_SECTOR), k * FPY_FLASHER_SECTOR);
        }
        fpy_fl_event(f, "verify", r[i].name, r[i].addr, len, len, NULL, "MD5 verified");
    }
    return FPY_OK;
}

int fpy_flasher_erase(fpy_flasher *f, uint32_t addr, uint32_t size)
{
    if (addr % FPY_FLASHER_SECTOR != 0 || size % FPY_FLASHER_SECTOR != 0)
        return fpy_fl_fail(f, FPY_ERR_ALIGN, FPY_FLC_INPUT,
                           "erase-region: address 0x%x and size 0x%x must be multiples of 4 KiB "
                           "(0x1000)",
                           (unsigned)addr, (unsigned)size);
    FPY_TRY(fpy_fl_range(f, addr, size));
    /* esptool 5.3.1's ROM-mode erase (rom_protocol.md §5.6): FLASH_BEGIN
     * alone; the ROM erases before it replies, and no data follows. */
    uint8_t b[16];
    fpy_put_le32(b, size);
    fpy_put_le32(b + 4, (size + FPY_ROMC_BLOCK - 1) / FPY_ROMC_BLOCK);
    fpy_put_le32(b + 8, FPY_ROMC_BLOCK);
    fpy_put_le32(b + 12, addr);
    fpy_fl_event(f, "erase", NULL, addr, 0, size, NULL, NULL);
    int rc = fpy_romc_command(&f->rc, FPY_ROM_FLASH_BEGIN, b, sizeof b, 0, 0,
                              fpy_romc_t_erase(size), NULL, NULL);
    if (rc != FPY_OK)
        return fpy_fl_rom_fail(f, rc, "FLASH_BEGIN (erase)");
    uint8_t *ff = malloc(size);
    if (ff == NULL)
        return fpy_fl_fail(f, FPY_ERR_NOSPC, FPY_FLC_PROTOCOL, "out of memory");
    memset(ff, 0xFF, size);
    rc = fpy_fl_differs(f, addr, ff, size);
    free(ff);
    if (rc < 0)
        return rc;
    if (rc > 0)
        return fpy_fl_fail(f, FPY_ERR_CHECKSUM, FPY_FLC_MISMATCH,
                           "0x%x..0x%x does not read as erased after the erase", (unsigned)addr,
                           (unsigned)(addr + size));
    fpy_fl_event(f, "erase", NULL, addr, size, size, NULL, "erased and verified");
    return FPY_OK;
}
