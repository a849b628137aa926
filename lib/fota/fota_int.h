/* Inside lib/fota: the checks an update's first bytes allow (head.c). */
#ifndef FIPY_FOTA_INT_H
#define FIPY_FOTA_INT_H

#include "fipy/fota.h"

/*
 * A VM image's head: ESP32 image header, ESP32 chip, hash_appended = 1,
 * first segment DROM with room for esp_app_desc_t, its magic.  `size` is
 * the whole image's; its secure_version not below u's floor (fipy/sec.h).
 * On success *abi is the VM's ABI.
 */
int fpy_fota_vm_head_check(const fpy_fota *u, const uint8_t head[FPY_FOTA_VM_HEAD],
                           uint32_t size, uint32_t *abi, fpy_diag *d);
/*
 * A bytecode image's header: decodes (magic, format, CRC), declares
 * exactly `size` bytes, fits `slot_size`, and is built for `abi`; signed
 * when u's policy wants signatures, and not older than u's floor.
 */
int fpy_fota_bc_head_check(const fpy_fota *u, const uint8_t head[FPY_FOTA_BC_HEAD],
                           uint32_t size, uint32_t slot_size, uint32_t abi, fpy_diag *d);

#endif
