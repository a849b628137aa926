/* Signatures of app images (secure boot v1) and bytecode images: see
 * include/fipy/sig.h and docs/formats/signature.md. */
#include "fipy/sig.h"

#include <string.h>

#include "fipy/bytes.h"

/* Read src[off, off + len), which the caller has bounds-checked. */
static int fpy_sig_read(const fpy_image_src *src, uint32_t off, uint8_t *buf, uint32_t len)
{
    if (src->mem != NULL) {
        memcpy(buf, src->mem + off, len);
        return FPY_OK;
    }
    if (src->flash == NULL || src->base > 0xFFFFFFFFu - off)
        return FPY_ERR_INVAL;
    return fpy_flash_read(src->flash, src->base + off, buf, len);
}

int fpy_sig_app_locate(const fpy_image_src *src, const fpy_image_info *info,
                       fpy_sig_block *blk, fpy_diag *d)
{
    uint8_t raw[FPY_SIG_BLOCK_LEN];
    if (info->has_digest && info->digest_len < FPY_IMAGE_DIGEST_LEN)
        return fpy_diag_val(d, FPY_ERR_TRUNCATED, "image ends inside its SHA-256 digest",
                            "sha256", info->checksum_offset + 1u, FPY_IMAGE_DIGEST_LEN,
                            info->digest_len);
    blk->offset = info->image_len;
    uint32_t room = src->size >= info->image_len ? src->size - info->image_len : 0u;
    if (room < FPY_SIG_BLOCK_LEN)
        return fpy_diag_val(d, FPY_ERR_TRUNCATED, "no signature block after the image",
                            "signature", info->image_len, FPY_SIG_BLOCK_LEN, room);
    FPY_TRY(fpy_sig_read(src, info->image_len, raw, sizeof raw));
    if (fpy_is_erased(raw, sizeof raw))
        return fpy_diag_set(d, FPY_ERR_NOTFOUND, "not signed: the signature block is erased",
                            "signature", info->image_len);
    blk->version = fpy_get_le32(raw + FPY_SIG_OFF_VERSION);
    memcpy(blk->sig, raw + FPY_SIG_OFF_SIG, FPY_SIG_LEN);
    if (blk->version != FPY_SIG_BLOCK_VERSION)
        return fpy_diag_val(d, FPY_ERR_UNSUPPORTED, "signature block version is not 0",
                            "sig_version", info->image_len, FPY_SIG_BLOCK_VERSION, blk->version);
    return FPY_OK;
}

/* SHA-256 of src[0, len): in one go from memory, in scratch-sized
 * chunks from flash. */
static int fpy_sig_hash(const fpy_image_src *src, uint32_t len, uint8_t *scratch,
                        uint32_t scratch_len, uint8_t out[FPY_SHA256_LEN])
{
    if (src->mem != NULL)
        return fpy_sha256_buf(src->mem, len, out);
    if (scratch == NULL || src->flash == NULL)
        return FPY_ERR_INVAL;
    return fpy_flash_sha256(src->flash, src->base, len, scratch, scratch_len, out);
}

/* The verdict of the P-256 port, with its diag. */
static int fpy_sig_check(const uint8_t pub[FPY_P256_PUB_LEN], const uint8_t digest[FPY_SHA256_LEN],
                         const uint8_t sig[FPY_SIG_LEN], uint32_t sig_off, fpy_diag *d)
{
    int rc = fpy_p256_verify(pub, digest, sig);
    if (rc == FPY_ERR_CHECKSUM)
        return fpy_diag_set(d, rc, "signature does not verify with this key", "signature",
                            sig_off);
    if (rc == FPY_ERR_INVAL)
        return fpy_diag_set(d, rc, "public key is not a point of P-256", "key", 0);
    return rc;
}

int fpy_sig_app_verify(const fpy_image_src *src, const uint8_t pub[FPY_P256_PUB_LEN],
                       uint8_t *scratch, uint32_t scratch_len, fpy_image_info *info,
                       fpy_sig_block *blk, fpy_diag *d)
{
    FPY_TRY(fpy_image_parse(src, scratch, scratch_len, info, d));
    FPY_TRY(fpy_image_check(info, 0u, d));
    return fpy_sig_app_verify_checked(src, pub, info, scratch, scratch_len, blk, d);
}

int fpy_sig_app_verify_checked(const fpy_image_src *src, const uint8_t pub[FPY_P256_PUB_LEN],
                               const fpy_image_info *info, uint8_t *scratch,
                               uint32_t scratch_len, fpy_sig_block *blk, fpy_diag *d)
{
    uint8_t digest[FPY_SHA256_LEN];
    FPY_TRY(fpy_sig_app_locate(src, info, blk, d));
    FPY_TRY(fpy_sig_hash(src, blk->offset, scratch, scratch_len, digest));
    return fpy_sig_check(pub, digest, blk->sig, blk->offset + FPY_SIG_OFF_SIG, d);
}

int fpy_sig_bc_digest(const uint8_t raw[FPY_BC_HEADER_LEN], uint8_t out[FPY_SHA256_LEN])
{
    return fpy_sha256_buf(raw, FPY_BC_OFF_SIG, out);
}

int fpy_sig_bc_check(const uint8_t raw[FPY_BC_HEADER_LEN], const uint8_t pub[FPY_P256_PUB_LEN],
                     fpy_diag *d)
{
    uint8_t digest[FPY_SHA256_LEN];
    if ((fpy_get_le32(raw + FPY_BC_OFF_FLAGS) & FPY_BC_FLAG_SIGNED) == 0)
        return fpy_diag_set(d, FPY_ERR_NOTFOUND, "not signed: flag bit 0 is clear", "flags",
                            FPY_BC_OFF_FLAGS);
    FPY_TRY(fpy_sig_bc_digest(raw, digest));
    return fpy_sig_check(pub, digest, raw + FPY_BC_OFF_SIG, FPY_BC_OFF_SIG, d);
}

int fpy_sig_bc_verify_mem(const uint8_t *buf, size_t len, const uint32_t *vm_abi,
                          const uint8_t pub[FPY_P256_PUB_LEN], fpy_bc_header *h, fpy_diag *d)
{
    FPY_TRY(fpy_bc_verify_mem(buf, len, vm_abi, h, d));
    return fpy_sig_bc_check(buf, pub, d);
}

int fpy_sig_bc_verify_flash(const fpy_flash *f, uint32_t base, uint32_t slot_size,
                            const uint32_t *vm_abi, const uint8_t pub[FPY_P256_PUB_LEN],
                            uint8_t *scratch, uint32_t scratch_len, fpy_bc_header *h,
                            fpy_diag *d)
{
    uint8_t raw[FPY_BC_HEADER_LEN];
    FPY_TRY(fpy_bc_verify_flash(f, base, slot_size, vm_abi, scratch, scratch_len, h, d));
    FPY_TRY(fpy_flash_read(f, base, raw, sizeof raw));
    return fpy_sig_bc_check(raw, pub, d);
}
