/*
 * The virtual FiPy's protection at each start from flash, as its eFuses
 * and its bootloader configuration make it (docs/security.md):
 *  - flash encryption (FLASH_CRYPT_CNT odd): the firmware's flash is the
 *    chip through sim/cryptflash.h with the key in BLOCK1, which the
 *    hardware uses even when software may not read it;
 *  - secure boot (ABS_DONE_0): before anything from flash runs, the
 *    bootloader at 0x1000 must carry a configuration whose key's SHA-256
 *    is BLOCK2 and a secure boot v1 signature by that key (the ROM's
 *    check; the chip's own v1 check is an AES digest of the bootloader,
 *    docs/security.md says why the virtual board checks a signature);
 *  - the policy (lib/sec) from the bootloader's configuration: signed
 *    images only, anti-rollback with the VM floor in SECURE_VERSION.
 */
#include <stdio.h>
#include <string.h>

#include "fipy/layout.h"
#include "fipy/sig.h"
#include "vboard_int.h"

/* The firmware's view of the flash for this start. */
int fpy_vb_fw_view(fpy_vboard *b)
{
    const fpy_efuse *e = fpy_vboard_efuse(b);
    uint8_t key[FPY_EFUSE_KEY_LEN];
    uint32_t conf;
    fpy_cryptflash_ranges rs;
    b->fw = &b->flash;
    if (!fpy_efuse_flash_crypt_on(e))
        return FPY_OK;
    FPY_TRY(fpy_efuse_get_key(e, 1, key));
    FPY_TRY(fpy_efuse_get(e, FPY_EFUSE_FLASH_CRYPT_CONFIG, &conf));
    /* both FiPy layouts encrypt the same ranges (docs/formats/flash-encryption.md) */
    FPY_TRY(fpy_cryptflash_ranges_fipy(fpy_layout_get(FPY_LAYOUT_NONBLE), &rs));
    FPY_TRY(fpy_cryptflash_init(&b->cf, &b->flash, key, conf, &rs));
    memset(key, 0, sizeof key);
    fpy_cryptflash_bind(&b->cf, &b->cfflash);
    b->fw = &b->cfflash;
    return FPY_OK;
}

static int fpy_vb_floor(void *ctx, uint32_t *v)
{
    *v = fpy_efuse_secure_version(fpy_vboard_efuse(ctx));
    return FPY_OK;
}

/* Anti-rollback's burn: SECURE_VERSION's thermometer bits, saved with
 * the board's eFuses. */
static int fpy_vb_floor_raise(void *ctx, uint32_t v)
{
    fpy_vboard *b = ctx;
    fpy_efuse want = *fpy_vboard_efuse(b);
    FPY_TRY(fpy_efuse_burn_secure_version(&want, v, NULL));
    return fpy_vboard_efuse_burn(b, &want);
}

static const fpy_sec_ops fpy_vb_sec_ops = {fpy_vb_floor, fpy_vb_floor_raise};

/* The ROM's secure boot check of the bootloader: 0, or -1 with why. */
static int fpy_vb_rom_check(fpy_vboard *b, int has_cfg, char *why, size_t n)
{
    uint8_t digest[FPY_SHA256_LEN], want[FPY_EFUSE_KEY_LEN];
    fpy_sig_block blk;
    fpy_diag d = {0};
    if (!has_cfg) {
        snprintf(why, n, "secure boot check fail: the bootloader at 0x1000 carries no "
                         "verification key");
        return -1;
    }
    if (fpy_sha256_buf(b->bcfg.pub, sizeof b->bcfg.pub, digest) != FPY_OK ||
        fpy_efuse_get_key(fpy_vboard_efuse(b), 2, want) != FPY_OK ||
        memcmp(digest, want, sizeof digest) != 0) {
        snprintf(why, n, "secure boot check fail: the bootloader's key is not the one whose "
                         "digest is burnt in BLOCK2");
        return -1;
    }
    fpy_image_src src = fpy_image_src_flash(b->fw, FPY_BOOTLOADER_OFFSET,
                                            0x8000u - FPY_BOOTLOADER_OFFSET);
    int rc = fpy_sig_app_verify(&src, b->bcfg.pub, b->w.scratch, sizeof b->w.scratch,
                                &b->w.info, &blk, &d);
    if (rc != FPY_OK) {
        snprintf(why, n, "secure boot check fail: the bootloader's signature: %s (%s)",
                 d.what != NULL ? d.what : "refused", fpy_strerror(rc));
        return -1;
    }
    return 0;
}

int fpy_vb_protection(fpy_vboard *b, char *why, size_t n)
{
    const fpy_efuse *e = fpy_vboard_efuse(b);
    uint32_t abs_done = 0;
    fpy_diag d = {0};
    b->sec_on = 0;
    int rc = fpy_bootcfg_find(b->fw, b->w.scratch, sizeof b->w.scratch, &b->w.info, &b->bcfg,
                              &d);
    if (rc != FPY_OK && rc != FPY_ERR_NOTFOUND) {
        snprintf(why, n, "the bootloader's configuration: %s (%s)",
                 d.what != NULL ? d.what : "refused", fpy_strerror(rc));
        return -1;
    }
    (void)fpy_efuse_get(e, FPY_EFUSE_ABS_DONE_0, &abs_done);
    if (abs_done && fpy_vb_rom_check(b, rc == FPY_OK, why, n) != 0)
        return -1;
    if (rc != FPY_OK)
        return 0;
    b->sec = (fpy_sec){(b->bcfg.flags & FPY_BOOTCFG_F_SIGNED) ? b->bcfg.pub : NULL,
                       (b->bcfg.flags & FPY_BOOTCFG_F_ANTI_ROLLBACK) ? 1u : 0u,
                       &fpy_vb_sec_ops, b};
    b->sec_on = 1;
    return 0;
}

void fpy_vb_protection_line(fpy_vboard *b)
{
    const fpy_efuse *e = fpy_vboard_efuse(b);
    uint32_t abs_done = 0;
    (void)fpy_efuse_get(e, FPY_EFUSE_ABS_DONE_0, &abs_done);
    int crypt = fpy_efuse_flash_crypt_on(e);
    if (!b->sec_on && !abs_done && !crypt)
        return;
    fpy_vb_line(b, 0, "fipy boot: secure boot %s, flash encryption %s, %s, anti-rollback %s "
                      "(VM >= %u)",
                abs_done ? "on" : "off", crypt ? "on" : "off",
                b->sec_on && b->sec.pub != NULL ? "signed images only" : "unsigned images run",
                b->sec_on && b->sec.anti_rollback ? "on" : "off", fpy_efuse_secure_version(e));
}
