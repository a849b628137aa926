/*
 * fipy bytecode images: what a bytecode slot (codemem_0/1) holds.
 * Byte layout and rules: docs/formats/bytecode-image.md.
 *
 *   0x00  u32  magic 0x31434246 (bytes "FBC1")
 *   0x04  u16  format version (1)
 *   0x06  u16  header length (128)
 *   0x08  u32  VM ABI version the bytecode was built for
 *   0x0C  u32  payload length
 *   0x10  u32  flags (bit 0: signed)
 *   0x14  u32  security version (anti-rollback)
 *   0x18  u32  reserved, 0
 *   0x1C  u32  header CRC: crc32_le(0xFFFFFFFF) over 0x00-0x1B and 0x20-0x3F
 *   0x20  32   SHA-256 of the payload
 *   0x40  64   signature (ECDSA P-256 r||s), 0xFF when unsigned
 *   0x80  ...  payload (opaque here)
 *
 * The header CRC catches a torn or stale header cheaply; the SHA-256 is
 * the integrity check Secure Firmware requires ("hash does not match");
 * the ABI version must equal the VM's, or the VM refuses the bytecode.
 */
#ifndef FIPY_BCIMAGE_H
#define FIPY_BCIMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "fipy/err.h"
#include "fipy/flash.h"
#include "fipy/hash.h"

#define FPY_BC_MAGIC 0x31434246u
#define FPY_BC_FORMAT_VERSION 1u
#define FPY_BC_HEADER_LEN 128u
#define FPY_BC_SIG_LEN 64u
#define FPY_BC_FLAG_SIGNED 0x1u

#define FPY_BC_OFF_MAGIC 0x00u
#define FPY_BC_OFF_VERSION 0x04u
#define FPY_BC_OFF_HDRLEN 0x06u
#define FPY_BC_OFF_ABI 0x08u
#define FPY_BC_OFF_PAYLOAD_LEN 0x0Cu
#define FPY_BC_OFF_FLAGS 0x10u
#define FPY_BC_OFF_SECVER 0x14u
#define FPY_BC_OFF_RESERVED 0x18u
#define FPY_BC_OFF_HDR_CRC 0x1Cu
#define FPY_BC_OFF_SHA256 0x20u
#define FPY_BC_OFF_SIG 0x40u
_Static_assert(FPY_BC_OFF_SHA256 + FPY_SHA256_LEN == FPY_BC_OFF_SIG, "sha then signature");
_Static_assert(FPY_BC_OFF_SIG + FPY_BC_SIG_LEN == FPY_BC_HEADER_LEN, "header is 128 bytes");

typedef struct fpy_bc_header {
    uint32_t magic;
    uint16_t format_version;
    uint16_t header_len;
    uint32_t vm_abi;
    uint32_t payload_len;
    uint32_t flags;
    uint32_t security_version;
    uint32_t header_crc;
    uint8_t sha256[FPY_SHA256_LEN];
    uint8_t signature[FPY_BC_SIG_LEN];
} fpy_bc_header;

/* Encode a header; computes header_crc (the value in h is ignored). */
void fpy_bc_header_encode(const fpy_bc_header *h, uint8_t raw[FPY_BC_HEADER_LEN]);
/*
 * Decode and check a header: magic, format version, header length,
 * reserved word, header CRC, payload_len <= max_payload.  Errors:
 * FPY_ERR_NOTFOUND for an erased header (all 0xFF: an empty slot),
 * FPY_ERR_CORRUPT / FPY_ERR_UNSUPPORTED / FPY_ERR_RANGE with diag.
 */
int fpy_bc_header_decode(const uint8_t raw[FPY_BC_HEADER_LEN], uint32_t max_payload,
                         fpy_bc_header *h, fpy_diag *d);

/* Build an image in memory: header then payload.  `out` must hold
 * FPY_BC_HEADER_LEN + payload_len bytes. */
int fpy_bc_build(uint32_t vm_abi, uint32_t security_version, const uint8_t *payload,
                 uint32_t payload_len, uint8_t *out, uint32_t out_len);

/*
 * Verify the image in a slot of flash: header, then the payload's SHA-256
 * read in chunks through `scratch`.  If `vm_abi` is not NULL the header's
 * ABI must equal *vm_abi (FPY_ERR_STATE otherwise).  Same errors as
 * decode, plus FPY_ERR_CHECKSUM for a payload hash mismatch.
 */
int fpy_bc_verify_flash(const fpy_flash *f, uint32_t base, uint32_t slot_size,
                        const uint32_t *vm_abi, uint8_t *scratch, uint32_t scratch_len,
                        fpy_bc_header *h, fpy_diag *d);

/*
 * Verify a whole image held in memory (a .fbc file): the same checks, and
 * its length must be exactly header + payload: FPY_ERR_TRUNCATED when it
 * is shorter than a header or than the payload the header declares (diag
 * field payload_len, expected = declared, found = present),
 * FPY_ERR_CORRUPT when bytes follow the payload.
 */
int fpy_bc_verify_mem(const uint8_t *buf, size_t len, const uint32_t *vm_abi,
                      fpy_bc_header *h, fpy_diag *d);

#endif
