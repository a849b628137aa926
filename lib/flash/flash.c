/* Bounds- and alignment-checked access to a flash device. */
#include "fipy/flash.h"

static int fpy_is_pow2(uint32_t v)
{
    return v != 0 && (v & (v - 1u)) == 0;
}

int fpy_flash_check_geometry(const fpy_flash_geometry *geo)
{
    if (!fpy_is_pow2(geo->sector_size) || !fpy_is_pow2(geo->page_size) ||
        !fpy_is_pow2(geo->write_align))
        return FPY_ERR_INVAL;
    if (geo->size == 0 || geo->size % geo->sector_size != 0)
        return FPY_ERR_INVAL;
    if (geo->page_size > geo->sector_size || geo->write_align > geo->page_size)
        return FPY_ERR_INVAL;
    return FPY_OK;
}

/* What a driver returned, as the core sees it: its own failure codes
 * pass up unchanged; a positive or unknown value (a port's raw status, a
 * bug), or a code that reads as a verdict on data (CORRUPT, CHECKSUM...,
 * fpy_err_is_verdict), is an I/O failure: a device failure must never
 * make the boot judge a slot and fall back to another. */
static int fpy_flash_driver_rc(int rc)
{
    if (rc == FPY_OK)
        return FPY_OK;
    return fpy_err_is_known(rc) && !fpy_err_is_verdict(rc) ? rc : FPY_ERR_IO;
}

static int fpy_flash_range(const fpy_flash *f, uint32_t addr, uint32_t len)
{
    if (addr > f->geo.size || len > f->geo.size - addr)
        return FPY_ERR_RANGE;
    return FPY_OK;
}

int fpy_flash_read(const fpy_flash *f, uint32_t addr, void *buf, uint32_t len)
{
    FPY_TRY(fpy_flash_range(f, addr, len));
    if (len == 0)
        return FPY_OK;
    return fpy_flash_driver_rc(f->ops->read(f->ctx, addr, buf, len));
}

int fpy_flash_program(const fpy_flash *f, uint32_t addr, const void *buf,
                      uint32_t len)
{
    FPY_TRY(fpy_flash_range(f, addr, len));
    if (addr % f->geo.write_align != 0 || len % f->geo.write_align != 0)
        return FPY_ERR_ALIGN;
    if (len == 0)
        return FPY_OK;
    return fpy_flash_driver_rc(f->ops->program(f->ctx, addr, buf, len));
}

int fpy_flash_erase(const fpy_flash *f, uint32_t addr, uint32_t len)
{
    FPY_TRY(fpy_flash_range(f, addr, len));
    if (addr % f->geo.sector_size != 0 || len % f->geo.sector_size != 0)
        return FPY_ERR_ALIGN;
    for (uint32_t off = 0; off < len; off += f->geo.sector_size)
        FPY_TRY(fpy_flash_driver_rc(f->ops->erase_sector(f->ctx, addr + off)));
    return FPY_OK;
}

int fpy_flash_is_erased(const fpy_flash *f, uint32_t addr, uint32_t len,
                        uint8_t *scratch, uint32_t scratch_len, int *erased)
{
    FPY_TRY(fpy_flash_range(f, addr, len));
    if (scratch_len == 0)
        return FPY_ERR_INVAL;
    *erased = 1;
    while (len > 0) {
        uint32_t n = len < scratch_len ? len : scratch_len;
        FPY_TRY(fpy_flash_read(f, addr, scratch, n));
        if (!fpy_is_erased(scratch, n)) {
            *erased = 0;
            return FPY_OK;
        }
        addr += n;
        len -= n;
    }
    return FPY_OK;
}

/* One hash over a flash range: the two kinds differ only in their
 * context and calls. */
typedef struct fpy_flash_hasher {
    int (*update)(void *ctx, const void *data, size_t len);
    void *ctx;
} fpy_flash_hasher;

static int fpy_flash_feed(const fpy_flash *f, uint32_t addr, uint32_t len, uint8_t *scratch,
                          uint32_t scratch_len, const fpy_flash_hasher *h)
{
    int rc = fpy_flash_range(f, addr, len);
    if (rc == FPY_OK && scratch_len == 0)
        rc = FPY_ERR_INVAL;
    for (uint32_t off = 0; rc == FPY_OK && off < len;) {
        uint32_t n = len - off < scratch_len ? len - off : scratch_len;
        rc = fpy_flash_read(f, addr + off, scratch, n);
        if (rc == FPY_OK)
            rc = h->update(h->ctx, scratch, n);
        off += n;
    }
    return rc;
}

static int fpy_flash_sha_update(void *ctx, const void *data, size_t len)
{
    return fpy_sha256_update(ctx, data, len);
}

static int fpy_flash_md5_update(void *ctx, const void *data, size_t len)
{
    return fpy_md5_update(ctx, data, len);
}

int fpy_flash_sha256(const fpy_flash *f, uint32_t addr, uint32_t len, uint8_t *scratch,
                     uint32_t scratch_len, uint8_t out[FPY_SHA256_LEN])
{
    fpy_sha256 ctx;
    FPY_TRY(fpy_sha256_start(&ctx));
    const fpy_flash_hasher h = {fpy_flash_sha_update, &ctx};
    int rc = fpy_flash_feed(f, addr, len, scratch, scratch_len, &h);
    int end = fpy_sha256_finish(&ctx, out); /* ends the context on every path */
    return rc != FPY_OK ? rc : end;
}

int fpy_flash_md5(const fpy_flash *f, uint32_t addr, uint32_t len, uint8_t *scratch,
                  uint32_t scratch_len, uint8_t out[FPY_MD5_LEN])
{
    fpy_md5 ctx;
    FPY_TRY(fpy_md5_start(&ctx));
    const fpy_flash_hasher h = {fpy_flash_md5_update, &ctx};
    int rc = fpy_flash_feed(f, addr, len, scratch, scratch_len, &h);
    int end = fpy_md5_finish(&ctx, out);
    return rc != FPY_OK ? rc : end;
}
