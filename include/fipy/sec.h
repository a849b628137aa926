/*
 * Secure Firmware's protecting half on the device: the policy a protected
 * board runs under, and the one rule for "this VM / this bytecode may run
 * here" under it.  docs/security.md explains the threat model.
 *
 * A policy has up to three parts, each off when absent:
 *  - a verification key (64 bytes, X||Y, as fipy/sig.h): every VM must
 *    carry a secure boot v1 signature block and every bytecode image a
 *    header signature that verifies with it;
 *  - anti-rollback: a VM's esp_app_desc_t.secure_version must not be
 *    below the device's VM floor (ESP32: the SECURE_VERSION eFuse, read
 *    and raised through fpy_sec_ops), a bytecode header's security version
 *    not below the record's bc_floor (fipy/fotarec.h);
 *  - floors move only when a pair is accepted (fpy_fota_accept), or when
 *    the boot runs an accepted (STABLE) pair whose versions are higher
 *    (catching up after a cut between the record write and the burn).
 *
 * The boot (fipy/boot.h) treats an image refused here as one that does not
 * verify: the boot table then falls back as for any bad image.  The update
 * engine (fipy/fota.h) refuses it before it erases (from the heads) and
 * again after writing (the whole image).
 *
 * Verdicts (all pass fpy_err_is_verdict, none is FPY_ERR_NOTFOUND, so a
 * refused bytecode slot never reads as an empty one):
 *   FPY_ERR_SIGNATURE not signed ("not signed"), or the signature does not
 *                     verify with the device's key;
 *   FPY_ERR_ROLLBACK  the image's security version is below the floor
 *                     (diag field "secure_version" / "security_version",
 *                     expected = floor, found = the image's);
 * plus the underlying checks' own verdicts.
 */
#ifndef FIPY_SEC_H
#define FIPY_SEC_H

#include <stdint.h>

#include "fipy/bcimage.h"
#include "fipy/fw.h"
#include "fipy/hash.h"
#include "fipy/image.h"

/* The anti-rollback counter of VMs, kept by the platform (ESP32: eFuse
 * BLK3 SECURE_VERSION, a thermometer code: one way). */
typedef struct fpy_sec_ops {
    int (*vm_floor)(void *ctx, uint32_t *floor);
    /* Raise it to v (v > the current floor; burning is one way). */
    int (*vm_floor_raise)(void *ctx, uint32_t v);
} fpy_sec_ops;

typedef struct fpy_sec {
    const uint8_t *pub;     /* FPY_P256_PUB_LEN bytes, or NULL: no signatures */
    uint8_t anti_rollback;  /* 1: enforce and move the floors */
    const fpy_sec_ops *ops; /* the VM floor (needed with anti_rollback) */
    void *ctx;
} fpy_sec;

/* The device's floors: the VM's from the ops, the bytecode's from the
 * record.  0 when the policy is NULL or has no anti-rollback. */
int fpy_sec_vm_floor(const fpy_sec *s, uint32_t *floor);
uint32_t fpy_sec_bc_floor(const fpy_sec *s, const fpy_rec *r);

/*
 * "This VM may boot here": fpy_fw_vm_check (w->info then describes it),
 * then the signature block with the policy's key, then secure_version >=
 * vm_floor.  *abi and *secver (either may be NULL) on success.  A NULL
 * policy is fpy_fw_vm_check alone.
 */
int fpy_sec_vm_check(const fpy_sec *s, uint32_t vm_floor, const fpy_image_src *src,
                     fpy_fw_work *w, uint32_t *abi, uint32_t *secver, fpy_diag *d);

/*
 * "This bytecode may run here": fpy_bc_verify_flash (FPY_ERR_NOTFOUND for
 * an empty slot, as there), then the header signature with the policy's
 * key, then security_version >= bc_floor.  Arguments as
 * fpy_bc_verify_flash.
 */
int fpy_sec_bc_check(const fpy_sec *s, uint32_t bc_floor, const fpy_flash *f, uint32_t base,
                     uint32_t slot_size, const uint32_t *vm_abi, uint8_t *scratch,
                     uint32_t scratch_len, fpy_bc_header *h, fpy_diag *d);

/* What the heads of an update already tell (fipy/fota.h begin): a VM's
 * secure_version against the floor; a bytecode header's signed flag (its
 * signature is checked once the image is written) and security version. */
int fpy_sec_vm_head(const fpy_sec *s, uint32_t vm_floor, const fpy_image_app_desc *a,
                    fpy_diag *d);
int fpy_sec_bc_head(const fpy_sec *s, uint32_t bc_floor, const fpy_bc_header *h, fpy_diag *d);

/* Raise the VM floor to v when the policy has anti-rollback and v is
 * above it; no call to the platform otherwise. */
int fpy_sec_vm_floor_raise(const fpy_sec *s, uint32_t v);

#endif
