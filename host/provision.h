/*
 * What `fipytool register` prepares and `fipytool virtualize` writes
 * (docs/workflow.md): the provisioning NVS partition (namespace "fipy":
 * device_id, registered, layout), and the whole set of regions that make
 * a board a virtualized FiPy: the second-stage bootloader at 0x1000, the
 * layout's partition table, the provisioning NVS, a fresh otadata (ota_0
 * valid), a fresh FOTA record (VM slot 0, bytecode slot 0, stable) and
 * the VM in VM slot 0.  The otadata and the record are made by lib/'s own
 * writers on a simulated flash, so they are what the board itself would
 * write.
 */
#ifndef FIPY_PROVISION_H
#define FIPY_PROVISION_H

#include <stddef.h>
#include <stdint.h>

#include "fipy/layout.h"
#include "flasher.h"

#define FPY_PROVISION_NS "fipy"

/* The provisioning NVS image for the layout's NVS partition (malloc'd,
 * *len bytes: the partition's size).  FPY_OK, or an fpy_err with err. */
int fpy_provision_nvs(const fpy_layout *l, const char *device_id, const char *registered_at,
                      uint8_t **img, uint32_t *len, char *err, size_t errlen);

typedef struct fpy_provision_in {
    const fpy_layout *layout;
    const uint8_t *bootloader;
    size_t bootloader_len;
    const char *bootloader_name;   /* for messages */
    const uint8_t *vm;
    size_t vm_len;
    const char *vm_name;
    const char *device_id, *registered_at;
} fpy_provision_in;

#define FPY_PROVISION_REGIONS 6

typedef struct fpy_provision {
    fpy_flash_region r[FPY_PROVISION_REGIONS]; /* in address order */
    size_t n;
    uint8_t *mem;   /* the composed 8 MiB flash the regions point into */
} fpy_provision;

/*
 * Compose the regions.  The bootloader must fit its 28 KiB area and the VM
 * its slot (FPY_ERR_RANGE, err naming both sizes); the VM must be one the
 * boot would run (fpy_fw_vm_check).  Free with fpy_provision_free.
 */
int fpy_provision_build(const fpy_provision_in *in, fpy_provision *p, char *err, size_t errlen);
void fpy_provision_free(fpy_provision *p);

#endif
