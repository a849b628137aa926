/*
 * Signatures: ESP-IDF's secure boot v1 signature block of an app image,
 * and the signature in a fipy bytecode image's header.  Both are ECDSA
 * over NIST P-256 with SHA-256, checked with one 64-byte public key
 * (X||Y, big-endian each: ESP-IDF's signature_verification_key.bin).
 * Byte layout and what is signed: docs/formats/signature.md.
 *
 *  - App image (secure boot v1): the 68-byte block
 *        0x00 u32  version, 0
 *        0x04 32   r, big-endian
 *        0x24 32   s, big-endian
 *    follows the image right after its checksum block and, when
 *    hash_appended, its 32-byte digest (where ESP-IDF looks for it); the
 *    signature is over the SHA-256 of every byte before the block.
 *  - Bytecode image: flags bit 0 (FPY_BC_FLAG_SIGNED) set, and header
 *    bytes 0x40-0x7F hold r||s over the SHA-256 of header bytes
 *    0x00-0x3F as stored (the flags with the signed bit, the header CRC,
 *    the payload's SHA-256): the payload is covered through its hash.
 *
 * Guarantees of the locator (it reads untrusted bytes): it reads only
 * inside the source (offset + length checked without overflow), no loop
 * but the chunked hash (bounded by the source's size), no recursion, no
 * allocation, stack < 200 bytes besides fpy_image_parse's.  Verdicts come
 * with a diag naming the field and offset.
 *
 * The verify calls need the platform's P-256 port (fipy/port.h); the
 * stub port answers FPY_ERR_IO through lib/core/hash.c.
 */
#ifndef FIPY_SIG_H
#define FIPY_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "fipy/bcimage.h"
#include "fipy/err.h"
#include "fipy/hash.h"
#include "fipy/image.h"

#define FPY_SIG_BLOCK_LEN 68u     /* esp_secure_boot_sig_block_t */
#define FPY_SIG_BLOCK_VERSION 0u  /* the only version secure boot v1 knows */
#define FPY_SIG_OFF_VERSION 0x00u
#define FPY_SIG_OFF_SIG 0x04u
#define FPY_SIG_LEN 64u           /* r||s */
_Static_assert(FPY_SIG_OFF_SIG + FPY_SIG_LEN == FPY_SIG_BLOCK_LEN, "block is 68 bytes");
_Static_assert(FPY_SIG_LEN == FPY_P256_SIG_LEN && FPY_BC_SIG_LEN == FPY_P256_SIG_LEN,
               "one signature size");

/* A signature block as found. */
typedef struct fpy_sig_block {
    uint32_t offset;            /* of the block in the source (= bytes signed) */
    uint32_t version;
    uint8_t sig[FPY_SIG_LEN];   /* r||s */
} fpy_sig_block;

/*
 * Locate and read the block of the image `src` that fpy_image_parse()
 * has described in `info`: at info->image_len.  Errors:
 *   FPY_ERR_TRUNCATED  the digest is cut short, or fewer than 68 bytes
 *                      follow the image in the source ("signature");
 *   FPY_ERR_NOTFOUND   the 68 bytes are erased (0xFF): not signed;
 *   FPY_ERR_UNSUPPORTED the version word is not 0 ("sig_version");
 *   anything the flash read returned.
 */
int fpy_sig_app_locate(const fpy_image_src *src, const fpy_image_info *info,
                       fpy_sig_block *blk, fpy_diag *d);

/*
 * The secure boot v1 check of an app image, as ESP-IDF does it: parse
 * the image (scratch as for fpy_image_parse), accept its checksum and
 * digest (fpy_image_check with no flags), locate the block, SHA-256 over
 * [0, blk->offset) and verify r||s with `pub`.  FPY_OK when valid;
 * FPY_ERR_CHECKSUM ("signature") when it does not verify with this key;
 * FPY_ERR_INVAL for a key that is not a P-256 point; the parser's,
 * check's and locator's errors.  `info` and `blk` are filled as far as
 * the steps went.
 */
int fpy_sig_app_verify(const fpy_image_src *src, const uint8_t pub[FPY_P256_PUB_LEN],
                       uint8_t *scratch, uint32_t scratch_len, fpy_image_info *info,
                       fpy_sig_block *blk, fpy_diag *d);

/* The same for an image the caller has parsed and checked already (the
 * boot's fpy_fw_vm_check has): locate, hash, verify, without reading and
 * hashing the image a second time for the parse and the digest check. */
int fpy_sig_app_verify_checked(const fpy_image_src *src, const uint8_t pub[FPY_P256_PUB_LEN],
                               const fpy_image_info *info, uint8_t *scratch,
                               uint32_t scratch_len, fpy_sig_block *blk, fpy_diag *d);

/* The digest a bytecode signature signs: SHA-256 of raw[0x00..0x3F]. */
int fpy_sig_bc_digest(const uint8_t raw[FPY_BC_HEADER_LEN], uint8_t out[FPY_SHA256_LEN]);

/*
 * Verify the signature of a bytecode header that fpy_bc_header_decode
 * (or a verify) has accepted: FPY_ERR_NOTFOUND ("flags") when the signed
 * flag is clear, FPY_ERR_CHECKSUM ("signature") when r||s does not verify
 * with `pub`, FPY_ERR_INVAL for a key off the curve.
 */
int fpy_sig_bc_check(const uint8_t raw[FPY_BC_HEADER_LEN], const uint8_t pub[FPY_P256_PUB_LEN],
                     fpy_diag *d);

/* fpy_bc_verify_mem (header, length, payload SHA-256; `vm_abi` as
 * there), then fpy_sig_bc_check. */
int fpy_sig_bc_verify_mem(const uint8_t *buf, size_t len, const uint32_t *vm_abi,
                          const uint8_t pub[FPY_P256_PUB_LEN], fpy_bc_header *h, fpy_diag *d);

/* fpy_bc_verify_flash (arguments as there), then fpy_sig_bc_check on
 * the header read again from flash. */
int fpy_sig_bc_verify_flash(const fpy_flash *f, uint32_t base, uint32_t slot_size,
                            const uint32_t *vm_abi, const uint8_t pub[FPY_P256_PUB_LEN],
                            uint8_t *scratch, uint32_t scratch_len, fpy_bc_header *h,
                            fpy_diag *d);

#endif
