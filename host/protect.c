/* What protect burns and writes: see protect.h. */
#include "protect.h"

#include <stdio.h>
#include <string.h>

#include "cryptflash.h"
#include "fipy/hash.h"

static unsigned fpy_pr_bit(fpy_efuse_id id, int rd)
{
    const fpy_efuse_field *f = fpy_efuse_field_get(id);
    return rd ? f->rd_dis : f->wr_dis;
}

static int fpy_pr_blank(const uint8_t *k, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (k[i] != 0)
            return 0;
    return 1;
}

/* Step 4: RD_DIS of BLOCK1 and BLOCK2, WR_DIS of FLASH_CRYPT_CNT, BLOCK1,
 * BLOCK2: the keys unreadable, encryption never turned off. */
static void fpy_pr_lock_bits(fpy_efuse *want)
{
    (void)fpy_efuse_burn(want, FPY_EFUSE_RD_DIS, (1u << fpy_pr_bit(FPY_EFUSE_BLOCK1, 1)) |
                                                     (1u << fpy_pr_bit(FPY_EFUSE_BLOCK2, 1)),
                         NULL);
    (void)fpy_efuse_burn(want, FPY_EFUSE_WR_DIS,
                         (1u << fpy_pr_bit(FPY_EFUSE_FLASH_CRYPT_CNT, 0)) |
                             (1u << fpy_pr_bit(FPY_EFUSE_BLOCK1, 0)) |
                             (1u << fpy_pr_bit(FPY_EFUSE_BLOCK2, 0)),
                         NULL);
}

/* Step 3: encryption on (the next FLASH_CRYPT_CNT bit, when off), secure
 * boot, JTAG off, the download mode's cache and crypto off. */
static int fpy_pr_enable_bits(const fpy_efuse *e, fpy_efuse *want, char *err, size_t n)
{
    uint32_t cnt = 0;
    (void)fpy_efuse_get(e, FPY_EFUSE_FLASH_CRYPT_CNT, &cnt);
    if (!fpy_efuse_flash_crypt_on(e)) {
        unsigned bit = 0;
        while (bit < 7u && (cnt >> bit & 1u))
            bit++;
        if (bit == 7u) {
            snprintf(err, n, "FLASH_CRYPT_CNT is used up (0x%02x) with encryption off: flash "
                             "encryption can never be turned on; nothing written", cnt);
            return FPY_ERR_STATE;
        }
        (void)fpy_efuse_burn(want, FPY_EFUSE_FLASH_CRYPT_CNT, 1u << bit, NULL);
    }
    static const fpy_efuse_id on[] = {FPY_EFUSE_ABS_DONE_0, FPY_EFUSE_JTAG_DISABLE,
                                      FPY_EFUSE_DISABLE_DL_ENCRYPT, FPY_EFUSE_DISABLE_DL_DECRYPT,
                                      FPY_EFUSE_DISABLE_DL_CACHE};
    for (size_t i = 0; i < sizeof on / sizeof on[0]; i++)
        (void)fpy_efuse_burn(want, on[i], 1u, NULL);
    return FPY_OK;
}

/* What is already burnt of `want`: every bit. */
static int fpy_pr_has(const fpy_efuse *e, const fpy_efuse *want)
{
    for (unsigned i = 0; i < FPY_EFUSE_WORDS; i++)
        if ((e->w[i] & want->w[i]) != want->w[i])
            return 0;
    return 1;
}

/* The key BLOCK2 must hold, and whether it conflicts with what it holds. */
static int fpy_pr_digest(const fpy_efuse *e, const uint8_t pub[64], uint8_t digest[32],
                         char *err, size_t n)
{
    uint8_t have[FPY_EFUSE_KEY_LEN];
    FPY_TRY(fpy_sha256_buf(pub, 64, digest));
    if (!fpy_efuse_is_readable(e, FPY_EFUSE_BLOCK2))
        return FPY_OK; /* protected already: checked by the board at its next start */
    FPY_TRY(fpy_efuse_get_key(e, 2, have));
    if (!fpy_pr_blank(have, sizeof have) && memcmp(have, digest, sizeof have) != 0) {
        snprintf(err, n, "the board is protected with another key (BLOCK2 holds the digest "
                         "%02x%02x%02x%02x..., this key's is %02x%02x%02x%02x...): it would "
                         "refuse everything signed with this one; nothing written",
                 have[0], have[1], have[2], have[3], digest[0], digest[1], digest[2],
                 digest[3]);
        return FPY_ERR_STATE;
    }
    return FPY_OK;
}

/* Step 1 and the key the flash is encrypted with. */
static int fpy_pr_keys(const fpy_efuse *e, const uint8_t digest[32], const uint8_t fresh[32],
                       fpy_protect_plan *p, char *err, size_t n)
{
    uint8_t have[FPY_EFUSE_KEY_LEN];
    if (!fpy_efuse_is_readable(e, FPY_EFUSE_BLOCK1) ||
        !fpy_efuse_is_writable(e, FPY_EFUSE_FLASH_CRYPT_CNT)) {
        snprintf(err, n, "flash encryption is off but %s: fipy could not write flash the "
                         "board can read; nothing written",
                 !fpy_efuse_is_readable(e, FPY_EFUSE_BLOCK1)
                     ? "BLOCK1 holds a key software may not read"
                     : "FLASH_CRYPT_CNT is write-protected");
        return FPY_ERR_STATE;
    }
    FPY_TRY(fpy_efuse_get_key(e, 1, have));
    p->new_key = fpy_pr_blank(have, sizeof have);
    memcpy(p->key, p->new_key ? fresh : have, sizeof p->key);
    p->conf = 0xFu;
    FPY_TRY(fpy_efuse_burn_key(&p->keys, 1, p->key, NULL));
    FPY_TRY(fpy_efuse_burn(&p->keys, FPY_EFUSE_FLASH_CRYPT_CONFIG, p->conf, NULL));
    return fpy_efuse_burn_key(&p->keys, 2, digest, NULL);
}

int fpy_protect_plan_make(const fpy_efuse *e, const uint8_t pub[64],
                          const uint8_t fresh_key[FPY_EFUSE_KEY_LEN], fpy_protect_plan *p,
                          char *err, size_t errlen)
{
    uint8_t digest[FPY_SHA256_LEN];
    uint32_t coding = 0;
    memset(p, 0, sizeof *p);
    (void)fpy_efuse_get(e, FPY_EFUSE_CODING_SCHEME, &coding);
    if (coding != 0) {
        snprintf(err, errlen, "the eFuse coding scheme is %u, not none: its 24-byte keys are "
                              "not a FiPy's; nothing written", (unsigned)coding);
        return FPY_ERR_STATE;
    }
    FPY_TRY(fpy_pr_digest(e, pub, digest, err, errlen));
    p->write_flash = !fpy_efuse_flash_crypt_on(e);
    if (p->write_flash)
        FPY_TRY(fpy_pr_keys(e, digest, fresh_key, p, err, errlen));
    else if (fpy_efuse_is_readable(e, FPY_EFUSE_BLOCK2))
        FPY_TRY(fpy_efuse_burn_key(&p->enable, 2, digest, NULL));
    FPY_TRY(fpy_pr_enable_bits(e, &p->enable, err, errlen));
    fpy_pr_lock_bits(&p->lock);
    p->done = !p->write_flash && fpy_pr_has(e, &p->lock) &&
              (fpy_pr_has(e, &p->enable) || !fpy_efuse_is_readable(e, FPY_EFUSE_BLOCK2));
    return FPY_OK;
}

/* Encrypt [addr, addr+len) of the composed flash in place, 16-byte block
 * by block, leaving erased blocks erased. */
static int fpy_pr_encrypt(uint8_t *mem, uint32_t addr, uint32_t len, const fpy_protect_plan *p)
{
    for (uint32_t a = addr; a < addr + len; a += FPY_FLASHCRYPT_BLOCK)
        if (!fpy_is_erased(mem + a, FPY_FLASHCRYPT_BLOCK))
            FPY_TRY(fpy_flashcrypt_encrypt(p->key, p->conf, a, mem + a, mem + a,
                                           FPY_FLASHCRYPT_BLOCK));
    return FPY_OK;
}

int fpy_protect_regions(fpy_provision *pv, const fpy_layout *l, const fpy_protect_plan *p,
                        fpy_flash_region out[FPY_PROTECT_REGIONS], size_t *n, char *err,
                        size_t errlen)
{
    fpy_cryptflash_ranges rs;
    FPY_TRY(fpy_cryptflash_ranges_fipy(l, &rs));
    fpy_cryptflash c;
    fpy_flash none = {NULL, NULL, FPY_FLASH_GEOMETRY_FIPY()};
    FPY_TRY(fpy_cryptflash_init(&c, &none, p->key, p->conf, &rs));
    *n = 0;
    for (size_t i = 0; i < pv->n; i++) {
        fpy_flash_region r = pv->r[i];
        if (fpy_cryptflash_is_encrypted(&c, r.addr)) {
            r.len = (r.len + FPY_FLASHCRYPT_BLOCK - 1u) & ~(size_t)(FPY_FLASHCRYPT_BLOCK - 1u);
            int rc = fpy_pr_encrypt(pv->mem, r.addr, (uint32_t)r.len, p);
            if (rc != FPY_OK) {
                snprintf(err, errlen, "encrypting %s at 0x%06x: %s", r.name, (unsigned)r.addr,
                         fpy_strerror(rc));
                return rc;
            }
        }
        out[(*n)++] = r;
    }
    static const struct {
        fpy_area_kind kind;
        unsigned slot;
        const char *name;
    } wipe[] = {{FPY_AREA_VM_SLOT, 1, "VM slot 1 (erased)"},
                {FPY_AREA_BC_SLOT, 0, "bytecode slot 0 (erased)"},
                {FPY_AREA_BC_SLOT, 1, "bytecode slot 1 (erased)"}};
    for (size_t i = 0; i < sizeof wipe / sizeof wipe[0]; i++) {
        const fpy_area *a = fpy_layout_area(l, wipe[i].kind, wipe[i].slot);
        memset(pv->mem + a->offset, 0xFF, FPY_FLASH_SECTOR); /* composed erased: keep it so */
        out[(*n)++] = (fpy_flash_region){a->offset, pv->mem + a->offset, FPY_FLASH_SECTOR,
                                         wipe[i].name};
    }
    for (size_t i = 1; i < *n; i++) /* the flasher takes them in address order */
        for (size_t j = i; j > 0 && out[j - 1].addr > out[j].addr; j--) {
            fpy_flash_region t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return FPY_OK;
}
