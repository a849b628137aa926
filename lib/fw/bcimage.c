/* fipy bytecode images: see include/fipy/bcimage.h. */
#include "fipy/bcimage.h"

#include <string.h>

#include "fipy/bytes.h"

static uint32_t fpy_bc_crc(const uint8_t raw[FPY_BC_HEADER_LEN])
{
    uint32_t c = fpy_crc32_le(0xFFFFFFFFu, raw, FPY_BC_OFF_HDR_CRC);
    return fpy_crc32_le(c, raw + FPY_BC_OFF_SHA256, FPY_SHA256_LEN);
}

void fpy_bc_header_encode(const fpy_bc_header *h, uint8_t raw[FPY_BC_HEADER_LEN])
{
    fpy_put_le32(raw + FPY_BC_OFF_MAGIC, h->magic);
    fpy_put_le16(raw + FPY_BC_OFF_VERSION, h->format_version);
    fpy_put_le16(raw + FPY_BC_OFF_HDRLEN, h->header_len);
    fpy_put_le32(raw + FPY_BC_OFF_ABI, h->vm_abi);
    fpy_put_le32(raw + FPY_BC_OFF_PAYLOAD_LEN, h->payload_len);
    fpy_put_le32(raw + FPY_BC_OFF_FLAGS, h->flags);
    fpy_put_le32(raw + FPY_BC_OFF_SECVER, h->security_version);
    fpy_put_le32(raw + FPY_BC_OFF_RESERVED, 0);
    memcpy(raw + FPY_BC_OFF_SHA256, h->sha256, FPY_SHA256_LEN);
    memcpy(raw + FPY_BC_OFF_SIG, h->signature, FPY_BC_SIG_LEN);
    fpy_put_le32(raw + FPY_BC_OFF_HDR_CRC, fpy_bc_crc(raw));
}

static void fpy_bc_fields(const uint8_t raw[FPY_BC_HEADER_LEN], fpy_bc_header *h)
{
    h->magic = fpy_get_le32(raw + FPY_BC_OFF_MAGIC);
    h->format_version = fpy_get_le16(raw + FPY_BC_OFF_VERSION);
    h->header_len = fpy_get_le16(raw + FPY_BC_OFF_HDRLEN);
    h->vm_abi = fpy_get_le32(raw + FPY_BC_OFF_ABI);
    h->payload_len = fpy_get_le32(raw + FPY_BC_OFF_PAYLOAD_LEN);
    h->flags = fpy_get_le32(raw + FPY_BC_OFF_FLAGS);
    h->security_version = fpy_get_le32(raw + FPY_BC_OFF_SECVER);
    h->header_crc = fpy_get_le32(raw + FPY_BC_OFF_HDR_CRC);
    memcpy(h->sha256, raw + FPY_BC_OFF_SHA256, FPY_SHA256_LEN);
    memcpy(h->signature, raw + FPY_BC_OFF_SIG, FPY_BC_SIG_LEN);
}

int fpy_bc_header_decode(const uint8_t raw[FPY_BC_HEADER_LEN], uint32_t max_payload,
                         fpy_bc_header *h, fpy_diag *d)
{
    if (fpy_is_erased(raw, FPY_BC_HEADER_LEN))
        return fpy_diag_set(d, FPY_ERR_NOTFOUND, "slot is empty (erased)", "magic", 0);
    fpy_bc_fields(raw, h);
    if (h->magic != FPY_BC_MAGIC)
        return fpy_diag_val(d, FPY_ERR_CORRUPT, "not a fipy bytecode image", "magic",
                            FPY_BC_OFF_MAGIC, FPY_BC_MAGIC, h->magic);
    if (h->header_crc != fpy_bc_crc(raw))
        return fpy_diag_val(d, FPY_ERR_CORRUPT, "header CRC mismatch", "header_crc",
                            FPY_BC_OFF_HDR_CRC, fpy_bc_crc(raw), h->header_crc);
    if (h->format_version != FPY_BC_FORMAT_VERSION)
        return fpy_diag_val(d, FPY_ERR_UNSUPPORTED, "unknown format version",
                            "format_version", FPY_BC_OFF_VERSION, FPY_BC_FORMAT_VERSION,
                            h->format_version);
    if (h->header_len != FPY_BC_HEADER_LEN)
        return fpy_diag_val(d, FPY_ERR_UNSUPPORTED, "unexpected header length",
                            "header_len", FPY_BC_OFF_HDRLEN, FPY_BC_HEADER_LEN, h->header_len);
    if (fpy_get_le32(raw + FPY_BC_OFF_RESERVED) != 0)
        return fpy_diag_val(d, FPY_ERR_CORRUPT, "reserved word not zero", "reserved",
                            FPY_BC_OFF_RESERVED, 0, fpy_get_le32(raw + FPY_BC_OFF_RESERVED));
    if (h->payload_len > max_payload)
        return fpy_diag_val(d, FPY_ERR_RANGE, "payload larger than the slot allows",
                            "payload_len", FPY_BC_OFF_PAYLOAD_LEN, max_payload,
                            h->payload_len);
    return FPY_OK;
}

int fpy_bc_build(uint32_t vm_abi, uint32_t security_version, const uint8_t *payload,
                 uint32_t payload_len, uint8_t *out, uint32_t out_len)
{
    if (out_len < FPY_BC_HEADER_LEN || payload_len > out_len - FPY_BC_HEADER_LEN)
        return FPY_ERR_NOSPC;
    fpy_bc_header h;
    memset(&h, 0, sizeof h);
    h.magic = FPY_BC_MAGIC;
    h.format_version = FPY_BC_FORMAT_VERSION;
    h.header_len = FPY_BC_HEADER_LEN;
    h.vm_abi = vm_abi;
    h.payload_len = payload_len;
    h.security_version = security_version;
    FPY_TRY(fpy_sha256_buf(payload, payload_len, h.sha256));
    memset(h.signature, 0xFF, sizeof h.signature);
    fpy_bc_header_encode(&h, out);
    memmove(out + FPY_BC_HEADER_LEN, payload, payload_len);
    return FPY_OK;
}

/* Header checks and the ABI a VM demands: shared by both verifiers. */
static int fpy_bc_check_header(const uint8_t raw[FPY_BC_HEADER_LEN], uint32_t max_payload,
                               const uint32_t *vm_abi, fpy_bc_header *h, fpy_diag *d)
{
    FPY_TRY(fpy_bc_header_decode(raw, max_payload, h, d));
    if (vm_abi != NULL && h->vm_abi != *vm_abi)
        return fpy_diag_val(d, FPY_ERR_STATE, "built for another VM ABI", "vm_abi",
                            FPY_BC_OFF_ABI, *vm_abi, h->vm_abi);
    return FPY_OK;
}

static int fpy_bc_check_sum(const fpy_bc_header *h, const uint8_t sum[FPY_SHA256_LEN],
                            fpy_diag *d)
{
    if (fpy_digest_cmp(sum, h->sha256, FPY_SHA256_LEN) != 0)
        return fpy_diag_set(d, FPY_ERR_CHECKSUM, "payload SHA-256 does not match the header",
                            "sha256", FPY_BC_OFF_SHA256);
    return FPY_OK;
}

int fpy_bc_verify_mem(const uint8_t *buf, size_t len, const uint32_t *vm_abi,
                      fpy_bc_header *h, fpy_diag *d)
{
    uint8_t sum[FPY_SHA256_LEN];
    if (len < FPY_BC_HEADER_LEN)
        return fpy_diag_val(d, FPY_ERR_TRUNCATED, "shorter than a bytecode header",
                            "header_len", 0, FPY_BC_HEADER_LEN, len);
    size_t body = len - FPY_BC_HEADER_LEN;
    /* A file has no slot: its only bound is its own length. */
    FPY_TRY(fpy_bc_check_header(buf, 0xFFFFFFFFu, vm_abi, h, d));
    if (h->payload_len > body)
        return fpy_diag_val(d, FPY_ERR_TRUNCATED, "file truncated: the header declares more "
                            "payload bytes than the file holds", "payload_len",
                            FPY_BC_OFF_PAYLOAD_LEN, h->payload_len, body);
    if (h->payload_len < body)
        return fpy_diag_val(d, FPY_ERR_CORRUPT, "bytes after the payload: the header declares "
                            "fewer payload bytes than the file holds", "payload_len",
                            FPY_BC_OFF_PAYLOAD_LEN, h->payload_len, body);
    FPY_TRY(fpy_sha256_buf(buf + FPY_BC_HEADER_LEN, h->payload_len, sum));
    return fpy_bc_check_sum(h, sum, d);
}

int fpy_bc_verify_flash(const fpy_flash *f, uint32_t base, uint32_t slot_size,
                        const uint32_t *vm_abi, uint8_t *scratch, uint32_t scratch_len,
                        fpy_bc_header *h, fpy_diag *d)
{
    uint8_t raw[FPY_BC_HEADER_LEN];
    uint8_t sum[FPY_SHA256_LEN];
    if (slot_size < FPY_BC_HEADER_LEN || scratch_len == 0)
        return FPY_ERR_INVAL;
    FPY_TRY(fpy_flash_read(f, base, raw, sizeof raw));
    FPY_TRY(fpy_bc_check_header(raw, slot_size - FPY_BC_HEADER_LEN, vm_abi, h, d));
    FPY_TRY(fpy_flash_sha256(f, base + FPY_BC_HEADER_LEN, h->payload_len, scratch, scratch_len,
                             sum));
    return fpy_bc_check_sum(h, sum, d);
}
