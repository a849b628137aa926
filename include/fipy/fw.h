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

#include "fipy/fotarec.h"
#include "fipy/image.h"
#include "fipy/layout.h"
#include "fipy/otadata.h"

/*
 * The configuration the boot and the update engine run on, checked on
 * entry: the flash geometry holds (fpy_flash_check_geometry); the layout validates (fpy_layout_validate) and fits the flash;
 * it has VM slots 0 and 1 and bytecode slots 0 and 1; the record's two
 * copies and otadata sit on sector boundaries inside the flash, apart
 * from every slot.  Otherwise fpy_layout_validate's error, or
 * FPY_ERR_INVAL, with the diag saying what: nothing is read or written on
 * a configuration that does not hold.
 */
int fpy_fw_config_check(const fpy_flash *f, const fpy_layout *l, const fpy_rec_store *st,
                        fpy_diag *d);

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

/*
 * The record and ESP-IDF's otadata, reconciled (lib/fw/reconcile.c).
 * fipy writes otadata first and then the record, which keeps a
 * fingerprint of what it wrote (od_seq, od_crc).  When otadata is not as the record
 * says, ESP-IDF's tools wrote it (esp_ota_set_boot_partition, otatool
 * switch_ota_partition, esp_ota_mark_app_valid_cancel_rollback,
 * esp_ota_mark_app_invalid_rollback_and_reboot), or a fipy write was cut
 * short; either way fipy takes in what ESP-IDF's bootloader would now
 * boot (fpy_otadata_idf_pick), so the two always name the same VM.
 * docs/boot.md has the table.
 */
typedef enum fpy_fw_adopt {
    FPY_ADOPT_NONE = 0,    /* otadata is as the record says */
    FPY_ADOPT_RESYNC,      /* it differs, but ESP-IDF boots the same VM */
    FPY_ADOPT_OWN_ATTEMPT, /* fipy's attempt() wrote otadata, not yet the record */
    FPY_ADOPT_ATTEMPT,     /* another VM selected as NEW/UNDEFINED: a trial */
    FPY_ADOPT_ACCEPT,      /* the trial VM marked VALID: accept() */
    FPY_ADOPT_ROLLBACK,    /* the trial aborted or marked invalid */
    FPY_ADOPT_SWITCH       /* another VM selected as VALID: the working pair */
} fpy_fw_adopt;

/* Mirror a choice into otadata (fpy_otadata_sync: `slot` in `state`, the
 * other entry the fallback) and note in *r what otadata now holds. */
int fpy_fw_mirror(const fpy_flash *f, uint32_t base, unsigned slot, uint32_t state,
                  unsigned fallback, fpy_rec *r);

/* Is otadata as the record says?  A record without od_seq (older
 * format) is in sync when ESP-IDF would boot its current VM; a device
 * without a record (rec_found 0) is, by definition. */
int fpy_fw_in_sync(const fpy_rec *r, int rec_found, const fpy_otadata *od);
/* Take in otadata that is not in sync: decide by the table of
 * docs/boot.md, then apply it to the record (in memory) through the
 * record's transitions.  Returns what was taken in (NONE: nothing). */
fpy_fw_adopt fpy_fw_reconcile(fpy_rec *r, int rec_found, const fpy_otadata *od);

#endif
