/*
 * Encrypted flash over a raw chip: see cryptflash.h for the contract and
 * docs/formats/flash-encryption.md for the scheme and the ranges.
 */
#include "cryptflash.h"

#include <string.h>

#include "fipy/bytes.h"

/* Reads and programs go through one buffer of a chip page at most. */
#define FPY_CF_BUF FPY_FLASH_PAGE

_Static_assert(FPY_CF_BUF % FPY_FLASHCRYPT_BLOCK == 0, "buffer holds whole blocks");

int fpy_cryptflash_ranges_add(fpy_cryptflash_ranges *rs, uint32_t addr, uint32_t len)
{
    if (addr % FPY_FLASHCRYPT_BLOCK != 0 || len % FPY_FLASHCRYPT_BLOCK != 0)
        return FPY_ERR_ALIGN;
    if (len == 0 || len > UINT32_MAX - addr)
        return FPY_ERR_INVAL;
    if (rs->count > FPY_CRYPTFLASH_MAX_RANGES)
        return FPY_ERR_INVAL;
    if (rs->count > 0) {
        fpy_cryptflash_range *last = &rs->r[rs->count - 1u];
        uint32_t end = last->addr + last->len;
        if (addr < end)
            return FPY_ERR_INVAL;
        if (addr == end) {
            last->len += len;
            return FPY_OK;
        }
    }
    if (rs->count == FPY_CRYPTFLASH_MAX_RANGES)
        return FPY_ERR_NOSPC;
    rs->r[rs->count++] = (fpy_cryptflash_range){addr, len};
    return FPY_OK;
}

int fpy_cryptflash_area_encrypted(fpy_area_kind kind)
{
    switch (kind) {
    case FPY_AREA_BOOTLOADER: /* ESP-IDF: always, with flash encryption on */
    case FPY_AREA_PTABLE:
    case FPY_AREA_OTADATA:    /* data/ota: always (is_partition_encrypted) */
    case FPY_AREA_VM_SLOT:    /* app partitions: always */
    case FPY_AREA_BC_SLOT:    /* fipy: the user's program */
    case FPY_AREA_VMSTORE:    /* fipy: the FOTA record (which pair, which slot) */
        return 1;
    case FPY_AREA_NVS:        /* ESP-IDF: never (NVS has its own encryption) */
    case FPY_AREA_PHY:
    case FPY_AREA_STORAGE:    /* a data partition without the encrypted flag */
    case FPY_AREA_RESERVED:
        return 0;
    }
    return 0;
}

int fpy_cryptflash_ranges_fipy(const fpy_layout *l, fpy_cryptflash_ranges *out)
{
    fpy_cryptflash_ranges rs;
    memset(&rs, 0, sizeof rs);
    if (l == NULL || out == NULL)
        return FPY_ERR_INVAL;
    for (size_t i = 0; i < l->count; i++) {
        const fpy_area *a = &l->areas[i];
        if (fpy_cryptflash_area_encrypted(a->kind))
            FPY_TRY(fpy_cryptflash_ranges_add(&rs, a->offset, a->size));
    }
    *out = rs;
    return FPY_OK;
}

int fpy_cryptflash_init(fpy_cryptflash *c, const fpy_flash *raw,
                        const uint8_t key[FPY_FLASHCRYPT_KEY_LEN], unsigned conf,
                        const fpy_cryptflash_ranges *ranges)
{
    fpy_cryptflash_ranges rs;
    memset(&rs, 0, sizeof rs);
    if (c == NULL || raw == NULL || key == NULL || ranges == NULL ||
        conf > FPY_FLASHCRYPT_CONF_MAX || ranges->count > FPY_CRYPTFLASH_MAX_RANGES)
        return FPY_ERR_INVAL;
    /* Rebuilt through _add: one place checks alignment and order. */
    for (uint32_t i = 0; i < ranges->count; i++) {
        const fpy_cryptflash_range *r = &ranges->r[i];
        FPY_TRY(fpy_cryptflash_ranges_add(&rs, r->addr, r->len));
        uint32_t end = r->addr + r->len;
        if (end > raw->geo.size || end > FPY_FLASHCRYPT_ADDR_END)
            return FPY_ERR_RANGE;
    }
    c->raw = *raw;
    memcpy(c->key, key, FPY_FLASHCRYPT_KEY_LEN);
    c->conf = conf;
    c->ranges = rs;
    return FPY_OK;
}

void fpy_cryptflash_bind(fpy_cryptflash *c, fpy_flash *out)
{
    out->ops = &fpy_cryptflash_ops;
    out->ctx = c;
    out->geo = c->raw.geo;
}

/* The end of the piece of [addr, end) that starts at addr and is all
 * encrypted or all plain; *enc says which. */
static uint32_t fpy_cf_piece(const fpy_cryptflash *c, uint32_t addr, uint32_t end, int *enc)
{
    for (uint32_t i = 0; i < c->ranges.count; i++) {
        const fpy_cryptflash_range *r = &c->ranges.r[i];
        uint32_t rend = r->addr + r->len;
        if (addr < r->addr) {
            *enc = 0;
            return end < r->addr ? end : r->addr;
        }
        if (addr < rend) {
            *enc = 1;
            return end < rend ? end : rend;
        }
    }
    *enc = 0;
    return end;
}

int fpy_cryptflash_is_encrypted(const fpy_cryptflash *c, uint32_t addr)
{
    int enc;
    (void)fpy_cf_piece(c, addr, addr + 1u, &enc);
    return enc;
}

/* Decrypt, in place, the blocks of buf (raw bytes of flash at `addr`, n
 * a multiple of 16) that are not erased; erased blocks stay 0xFF.  Runs
 * of written blocks go to the cipher in one call (one key set-up per
 * 32-byte group rather than per block). */
static int fpy_cf_decrypt_blocks(const fpy_cryptflash *c, uint32_t addr, uint8_t *buf,
                                 uint32_t n)
{
    uint32_t off = 0;
    while (off < n) {
        if (fpy_is_erased(buf + off, FPY_FLASHCRYPT_BLOCK)) {
            off += FPY_FLASHCRYPT_BLOCK;
            continue;
        }
        uint32_t run = off + FPY_FLASHCRYPT_BLOCK;
        while (run < n && !fpy_is_erased(buf + run, FPY_FLASHCRYPT_BLOCK))
            run += FPY_FLASHCRYPT_BLOCK;
        FPY_TRY(fpy_flashcrypt_decrypt(c->key, c->conf, addr + off, buf + off, buf + off,
                                       run - off));
        off = run;
    }
    return FPY_OK;
}

/* [addr, addr+len) inside one range: the whole blocks around it are read
 * raw (ranges are on 16 bytes, so they lie in the same range), decrypted
 * and the span cut out. */
static int fpy_cf_read_enc(const fpy_cryptflash *c, uint32_t addr, uint8_t *dst, uint32_t len)
{
    uint8_t buf[FPY_CF_BUF];
    while (len > 0) {
        uint32_t skip = addr % FPY_FLASHCRYPT_BLOCK;
        uint32_t first = addr - skip;
        uint32_t want = fpy_align_up32(skip + (len < FPY_CF_BUF ? len : FPY_CF_BUF),
                                       FPY_FLASHCRYPT_BLOCK);
        uint32_t n = want < FPY_CF_BUF ? want : FPY_CF_BUF;
        FPY_TRY(fpy_flash_read(&c->raw, first, buf, n));
        FPY_TRY(fpy_cf_decrypt_blocks(c, first, buf, n));
        uint32_t take = n - skip < len ? n - skip : len;
        memcpy(dst, buf + skip, take);
        addr += take;
        dst += take;
        len -= take;
    }
    return FPY_OK;
}

static int fpy_cf_read(void *ctx, uint32_t addr, void *buf, uint32_t len)
{
    const fpy_cryptflash *c = ctx;
    uint8_t *dst = buf;
    if (len > UINT32_MAX - addr)
        return FPY_ERR_RANGE;
    uint32_t end = addr + len;
    while (addr < end) {
        int enc;
        uint32_t to = fpy_cf_piece(c, addr, end, &enc);
        FPY_TRY(enc ? fpy_cf_read_enc(c, addr, dst, to - addr)
                    : fpy_flash_read(&c->raw, addr, dst, to - addr));
        dst += to - addr;
        addr = to;
    }
    return FPY_OK;
}

/* Every encrypted piece of the program on 16 bytes, checked before
 * anything is written: a refused program writes nothing. */
static int fpy_cf_check_program(const fpy_cryptflash *c, uint32_t addr, uint32_t end)
{
    while (addr < end) {
        int enc;
        uint32_t to = fpy_cf_piece(c, addr, end, &enc);
        if (enc && (addr % FPY_FLASHCRYPT_BLOCK != 0 || to % FPY_FLASHCRYPT_BLOCK != 0))
            return FPY_ERR_ALIGN;
        addr = to;
    }
    return FPY_OK;
}

/* Encrypt and program raw, a chip page at most at a time and never
 * across one: a page-aligned page from fpy_pagewriter stays one program
 * below, so the power-loss harness cuts at the same points as on plain
 * flash. */
static int fpy_cf_program_enc(const fpy_cryptflash *c, uint32_t addr, const uint8_t *src,
                              uint32_t len)
{
    uint8_t buf[FPY_CF_BUF];
    uint32_t page = c->raw.geo.page_size < FPY_CF_BUF ? c->raw.geo.page_size : FPY_CF_BUF;
    if (page < FPY_FLASHCRYPT_BLOCK)
        page = FPY_FLASHCRYPT_BLOCK;
    while (len > 0) {
        uint32_t n = page - addr % page;
        n = n < len ? n : len;
        FPY_TRY(fpy_flashcrypt_encrypt(c->key, c->conf, addr, src, buf, n));
        FPY_TRY(fpy_flash_program(&c->raw, addr, buf, n));
        addr += n;
        src += n;
        len -= n;
    }
    return FPY_OK;
}

static int fpy_cf_program(void *ctx, uint32_t addr, const void *buf, uint32_t len)
{
    const fpy_cryptflash *c = ctx;
    const uint8_t *src = buf;
    if (len > UINT32_MAX - addr)
        return FPY_ERR_RANGE;
    uint32_t end = addr + len;
    FPY_TRY(fpy_cf_check_program(c, addr, end));
    while (addr < end) {
        int enc;
        uint32_t to = fpy_cf_piece(c, addr, end, &enc);
        FPY_TRY(enc ? fpy_cf_program_enc(c, addr, src, to - addr)
                    : fpy_flash_program(&c->raw, addr, src, to - addr));
        src += to - addr;
        addr = to;
    }
    return FPY_OK;
}

static int fpy_cf_erase(void *ctx, uint32_t addr)
{
    const fpy_cryptflash *c = ctx;
    return fpy_flash_erase(&c->raw, addr, c->raw.geo.sector_size);
}

const fpy_flash_ops fpy_cryptflash_ops = {fpy_cf_read, fpy_cf_program, fpy_cf_erase};
