/* Signing app and bytecode images (host/sign.h); the checks are lib/sig's. */
#include <stdlib.h>
#include <string.h>

#include "fipy/bcimage.h"
#include "fipy/bytes.h"
#include "fipy/image.h"
#include "fipy/sig.h"
#include "sign.h"

int fpy_sign_kind(const uint8_t *buf, size_t len)
{
    if (len >= 4 && fpy_get_le32(buf) == FPY_BC_MAGIC)
        return FPY_SIGN_KIND_BYTECODE;
    if (len >= 1 && buf[0] == FPY_IMAGE_MAGIC)
        return FPY_SIGN_KIND_APP;
    return FPY_SIGN_KIND_UNKNOWN;
}

const char *fpy_sign_kind_name(int kind)
{
    return kind == FPY_SIGN_KIND_APP ? "app image"
           : kind == FPY_SIGN_KIND_BYTECODE ? "bytecode image" : "unknown file";
}

/* An app image as a signer sees it: valid, and how many of its bytes come
 * before a signature block (*signed_len; the rest must be nothing, or one
 * block when `replace`). */
static int fpy_sign_app_span(const uint8_t *in, size_t len, unsigned flags, uint32_t *signed_len,
                             fpy_diag *d)
{
    fpy_image_info info;
    fpy_image_src src = fpy_image_src_mem(in, len);
    if (len > 0xFFFFFFFFu - FPY_SIG_BLOCK_LEN)
        return fpy_diag_set(d, FPY_ERR_RANGE, "image too large", NULL, 0);
    FPY_TRY(fpy_image_parse(&src, NULL, 0, &info, d));
    FPY_TRY(fpy_image_check(&info, 0u, d));
    *signed_len = info.image_len;
    size_t extra = len - info.image_len;
    if (extra == 0)
        return FPY_OK;
    fpy_sig_block blk;
    int signed_already = extra == FPY_SIG_BLOCK_LEN &&
                         fpy_sig_app_locate(&src, &info, &blk, NULL) == FPY_OK;
    if (signed_already && (flags & FPY_SIGN_REPLACE))
        return FPY_OK;
    if (signed_already)
        return fpy_diag_set(d, FPY_ERR_EXISTS, "already signed (a signature block follows the "
                            "image; --replace signs it again)", "signature", info.image_len);
    return fpy_diag_val(d, FPY_ERR_CORRUPT, "bytes follow the image: ESP-IDF looks for the "
                        "signature block right after its digest (sign before padding)",
                        "image_len", info.image_len, info.image_len, len);
}

static int fpy_sign_app(const fpy_sign_key *k, const uint8_t *in, size_t len, unsigned flags,
                        uint8_t **out, size_t *out_len, fpy_diag *d)
{
    uint32_t n = 0;
    uint8_t digest[FPY_SHA256_LEN];
    FPY_TRY(fpy_sign_app_span(in, len, flags, &n, d));
    uint8_t *o = malloc((size_t)n + FPY_SIG_BLOCK_LEN);
    if (o == NULL)
        return FPY_ERR_NOSPC;
    memcpy(o, in, n);
    fpy_put_le32(o + n + FPY_SIG_OFF_VERSION, FPY_SIG_BLOCK_VERSION);
    int rc = fpy_sha256_buf(in, n, digest);
    if (rc == FPY_OK)
        rc = fpy_sign_digest(k, digest, o + n + FPY_SIG_OFF_SIG);
    if (rc != FPY_OK) {
        free(o);
        return rc;
    }
    *out = o;
    *out_len = (size_t)n + FPY_SIG_BLOCK_LEN;
    return FPY_OK;
}

static int fpy_sign_bc(const fpy_sign_key *k, const uint8_t *in, size_t len, unsigned flags,
                       uint8_t **out, size_t *out_len, fpy_diag *d)
{
    fpy_bc_header h;
    uint8_t digest[FPY_SHA256_LEN];
    FPY_TRY(fpy_bc_verify_mem(in, len, NULL, &h, d));
    if ((h.flags & FPY_BC_FLAG_SIGNED) && !(flags & FPY_SIGN_REPLACE))
        return fpy_diag_set(d, FPY_ERR_EXISTS, "already signed (flags bit 0 is set; --replace "
                            "signs it again)", "flags", FPY_BC_OFF_FLAGS);
    uint8_t *o = malloc(len);
    if (o == NULL)
        return FPY_ERR_NOSPC;
    memcpy(o, in, len);
    /* The flag and the CRC first: the signature covers both. */
    h.flags |= FPY_BC_FLAG_SIGNED;
    fpy_bc_header_encode(&h, o);
    int rc = fpy_sig_bc_digest(o, digest);
    if (rc == FPY_OK)
        rc = fpy_sign_digest(k, digest, o + FPY_BC_OFF_SIG);
    if (rc != FPY_OK) {
        free(o);
        return rc;
    }
    *out = o;
    *out_len = len;
    return FPY_OK;
}

int fpy_sign_image(const fpy_sign_key *k, const uint8_t *in, size_t len, unsigned flags,
                   uint8_t **out, size_t *out_len, fpy_diag *d)
{
    int kind = fpy_sign_kind(in, len);
    int rc;
    if (!k->has_private)
        return fpy_diag_set(d, FPY_ERR_INVAL, "signing needs a private key", "key", 0);
    if (kind == FPY_SIGN_KIND_APP)
        rc = fpy_sign_app(k, in, len, flags, out, out_len, d);
    else if (kind == FPY_SIGN_KIND_BYTECODE)
        rc = fpy_sign_bc(k, in, len, flags, out, out_len, d);
    else
        return fpy_diag_set(d, FPY_ERR_UNSUPPORTED, "neither an app image (0xE9) nor a "
                            "bytecode image (FBC1)", "magic", 0);
    if (rc != FPY_OK)
        return rc;
    /* As espsecure does: the result must verify before anyone gets it. */
    rc = fpy_sign_verify(k->pub, *out, *out_len, NULL, d);
    if (rc != FPY_OK) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

int fpy_sign_verify(const uint8_t pub[FPY_P256_PUB_LEN], const uint8_t *buf, size_t len,
                    int *kind, fpy_diag *d)
{
    fpy_image_info info;
    int k = fpy_sign_kind(buf, len);
    if (kind != NULL)
        *kind = k;
    if (k == FPY_SIGN_KIND_BYTECODE) {
        fpy_bc_header h;
        return fpy_sig_bc_verify_mem(buf, len, NULL, pub, &h, d);
    }
    if (k != FPY_SIGN_KIND_APP)
        return fpy_diag_set(d, FPY_ERR_UNSUPPORTED, "neither an app image (0xE9) nor a "
                            "bytecode image (FBC1)", "magic", 0);
    fpy_image_src src = fpy_image_src_mem(buf, len);
    fpy_sig_block blk;
    FPY_TRY(fpy_sig_app_verify(&src, pub, NULL, 0, &info, &blk, d));
    /* A file: every byte is the image's or the block's. */
    if (len != (size_t)blk.offset + FPY_SIG_BLOCK_LEN)
        return fpy_diag_val(d, FPY_ERR_CORRUPT, "bytes follow the signature block",
                            "signature", blk.offset, (uint64_t)blk.offset + FPY_SIG_BLOCK_LEN,
                            len);
    return FPY_OK;
}
