/*
 * What may run on a FiPy: the one rule for a VM image, used by the boot,
 * the update engine and every command that takes a VM (fipy/boot.h,
 * fipy/fota.h, fipytool flash create / fota apply).  The rule for
 * bytecode is fpy_bc_verify_mem / fpy_bc_verify_flash (fipy/bcimage.h),
 * whose checks are shared the same way.
 *
 * lib/fw sits below lib/boot and lib/fota: it holds what both need (this
 * rule, the FOTA record of fipy/fotarec.h, the bytecode image format of
 * fipy/bcimage.h) so that neither includes the other (docs/modules.md).
 */
#ifndef FIPY_FW_H
#define FIPY_FW_H

#include <stdint.h>

#include "fipy/image.h"

/* Caller-owned working memory for reading images from flash (~6 KiB). */
typedef struct fpy_fw_work {
    fpy_image_info info;
    uint8_t scratch[2048];
} fpy_fw_work;

/*
 * What a VM's 24-byte image header alone must say: an ESP32 app image
 * (magic 0xE9, 1..16 segments, chip id ESP32) with an appended SHA-256
 * (hash_appended = 1): without it an image is protected by an 8-bit
 * checksum alone.  The update engine applies it to an update's first
 * bytes before it erases anything; fpy_fw_vm_check applies it to every
 * image it verifies.
 */
int fpy_fw_vm_header_check(const fpy_image_header *h, fpy_diag *d);

/*
 * The rule "this VM may boot": fpy_fw_vm_header_check, and the whole
 * image verifies as an ESP32 app (fpy_image_verify with
 * FPY_IMAGE_CHECK_APP: segments, checksum, SHA-256, esp_app_desc_t).
 * On success w->info describes it and *abi (if not NULL) is its ABI.
 */
int fpy_fw_vm_check(const fpy_image_src *src, fpy_fw_work *w, uint32_t *abi, fpy_diag *d);

/* The ABI version of a VM: the major number of its app version
 * (esp_app_desc_t.version, "3.1.0" or "v3.1" -> 3); 0 when it has none. */
uint32_t fpy_fw_vm_abi(const fpy_image_info *info);
/* The same rule on a version string. */
uint32_t fpy_fw_abi_of_version(const char *version);

#endif
