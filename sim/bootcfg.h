/*
 * The virtual board's bootloader configuration: what a FiPy's
 * second-stage bootloader is built with when it is protected (the
 * verification key and the policy), carried inside the bootloader image
 * at 0x1000 as one DRAM segment, so that secure boot's check of the
 * bootloader covers it.  ESP-IDF compiles the same into its bootloader
 * (signature_verification_key.bin, CONFIG_SECURE_*); the virtual board's
 * boot is built in, so it reads them from here.  docs/formats/boot-config.md.
 *
 *   0x00  8   magic "FPYBCFG1"
 *   0x08  u32 version, 1
 *   0x0C  u32 flags: bit 0 signed images only, bit 1 anti-rollback
 *   0x10  64  verification key X||Y (P-256, big-endian each)
 *   0x50  12  reserved, 0
 *   0x5C  u32 crc32_le(0xFFFFFFFF) over 0x00-0x5B
 *
 * The segment loads at FPY_BOOTCFG_LOAD; any other segment is not it.
 */
#ifndef FIPY_BOOTCFG_H
#define FIPY_BOOTCFG_H

#include <stdint.h>

#include "fipy/err.h"
#include "fipy/flash.h"
#include "fipy/hash.h"
#include "fipy/image.h"

#define FPY_BOOTCFG_LEN 0x60u
#define FPY_BOOTCFG_LOAD 0x3FFF0800u /* DRAM, after the bootloader's data */
#define FPY_BOOTCFG_VERSION 1u
#define FPY_BOOTCFG_F_SIGNED 0x1u
#define FPY_BOOTCFG_F_ANTI_ROLLBACK 0x2u
#define FPY_BOOTCFG_F_KNOWN 0x3u

#define FPY_BOOTCFG_OFF_MAGIC 0x00u
#define FPY_BOOTCFG_OFF_VERSION 0x08u
#define FPY_BOOTCFG_OFF_FLAGS 0x0Cu
#define FPY_BOOTCFG_OFF_PUB 0x10u
#define FPY_BOOTCFG_OFF_RESERVED 0x50u
#define FPY_BOOTCFG_OFF_CRC 0x5Cu
_Static_assert(FPY_BOOTCFG_OFF_PUB + FPY_P256_PUB_LEN == FPY_BOOTCFG_OFF_RESERVED, "key, then 0s");
_Static_assert(FPY_BOOTCFG_OFF_CRC + 4u == FPY_BOOTCFG_LEN, "the CRC ends it");

typedef struct fpy_bootcfg {
    uint32_t flags;
    uint8_t pub[FPY_P256_PUB_LEN];
} fpy_bootcfg;

void fpy_bootcfg_encode(const fpy_bootcfg *c, uint8_t raw[FPY_BOOTCFG_LEN]);
/* FPY_ERR_CORRUPT (magic, CRC, reserved bytes), FPY_ERR_UNSUPPORTED
 * (version, unknown flags), with a diag naming the field. */
int fpy_bootcfg_decode(const uint8_t *raw, uint32_t len, fpy_bootcfg *c, fpy_diag *d);

/*
 * The configuration of the bootloader image at 0x1000 of `f`: the image
 * is parsed (scratch as for fpy_image_parse; `info` filled) and its
 * segment at FPY_BOOTCFG_LOAD decoded.  FPY_ERR_NOTFOUND when the image
 * has no such segment (a bootloader built without protection) or 0x1000
 * holds no image; the decoder's and parser's verdicts otherwise.
 */
int fpy_bootcfg_find(const fpy_flash *f, uint8_t *scratch, uint32_t scratch_len,
                     fpy_image_info *info, fpy_bootcfg *c, fpy_diag *d);

#endif
