/* The provisioning NVS and the regions of a virtualized FiPy (host/provision.h). */
#include "provision.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fipy/fotarec.h"
#include "fipy/fw.h"
#include "fipy/otadata.h"
#include "fipy/part.h"
#include "flashsim.h"
#include "hostio.h"
#include "nvs_host.h"

int fpy_provision_nvs(const fpy_layout *l, const char *device_id, const char *registered_at,
                      uint8_t **img, uint32_t *len, char *err, size_t errlen)
{
    const fpy_area *a = fpy_layout_area(l, FPY_AREA_NVS, 0);
    char csv[512];
    *img = NULL;
    if (a == NULL) {
        snprintf(err, errlen, "the %s layout has no NVS partition", l->name);
        return FPY_ERR_INVAL;
    }
    /* the values are ids, times and layout names: no comma, quote or
     * newline to escape, which the CSV below relies on */
    if (strpbrk(device_id, ",\"\r\n") != NULL || strpbrk(registered_at, ",\"\r\n") != NULL) {
        snprintf(err, errlen, "provisioning values may not hold commas, quotes or newlines");
        return FPY_ERR_INVAL;
    }
    int n = snprintf(csv, sizeof csv,
                     "key,type,encoding,value\n" FPY_PROVISION_NS ",namespace,,\n"
                     "device_id,data,string,%s\nregistered,data,string,%s\n"
                     "layout,data,string,%s\n",
                     device_id, registered_at, l->name);
    if (n < 0 || (size_t)n >= sizeof csv) {
        snprintf(err, errlen, "provisioning values too long");
        return FPY_ERR_RANGE;
    }
    return fpy_nvs_host_gen("provisioning NVS", NULL, csv, (size_t)n, a->size, FPY_NVS_VERSION_2, img, len, err,
                            errlen);
}

/* Place `len` bytes of `what` in area kind/index of the layout. */
static int fpy_provision_put(const fpy_provision_in *in, uint8_t *mem, fpy_area_kind kind,
                             const uint8_t *data, size_t len, const char *what, char *err,
                             size_t errlen)
{
    const fpy_area *a = fpy_layout_area(in->layout, kind, 0);
    if (a == NULL) {
        snprintf(err, errlen, "the %s layout has no room for %s", in->layout->name, what);
        return FPY_ERR_INVAL;
    }
    if (len == 0 || len > a->size) {
        snprintf(err, errlen, "%s: %zu bytes do not fit %s at 0x%x (%u bytes)", what, len,
                 a->label, (unsigned)a->offset, (unsigned)a->size);
        return FPY_ERR_RANGE;
    }
    memcpy(mem + a->offset, data, len);
    return FPY_OK;
}

/* The fresh otadata and FOTA record, by lib/'s writers on a simulated
 * flash over mem. */
static int fpy_provision_fresh(uint8_t *mem, char *err, size_t errlen)
{
    static fpy_flashsim sim;
    fpy_flash f;
    fpy_flash_geometry g = FPY_FLASH_GEOMETRY_FIPY();
    fpy_rec_store st = FPY_REC_STORE_FIPY();
    fpy_rec r;
    int rc = fpy_flashsim_init(&sim, &g, mem, NULL, NULL);
    if (rc == FPY_OK) {
        fpy_flashsim_bind(&sim, &f);
        rc = fpy_otadata_init_valid(&f, st.otadata, 0);
    }
    if (rc == FPY_OK) {
        fpy_rec_default(&r);
        rc = fpy_rec_commit(&f, &st, &r);
    }
    if (rc != FPY_OK)
        snprintf(err, errlen, "cannot make a fresh otadata and FOTA record: %s",
                 fpy_strerror(rc));
    return rc;
}

static void fpy_provision_region(fpy_provision *p, uint32_t addr, size_t len, const char *name)
{
    p->r[p->n++] = (fpy_flash_region){addr, p->mem + addr, len, name};
}

static int fpy_provision_table(const fpy_layout *l, uint8_t *mem, char *err, size_t errlen)
{
    fpy_part_table t;
    fpy_diag d = {0};
    int rc = fpy_part_from_layout(l, NULL, &t, &d);
    if (rc == FPY_OK)
        rc = fpy_part_encode(&t, mem + FPY_PART_TABLE_OFFSET, FPY_PART_TABLE_LEN, &d);
    if (rc != FPY_OK)
        snprintf(err, errlen, "cannot encode the %s partition table", l->name);
    return rc;
}

static int fpy_provision_vm_ok(const fpy_provision_in *in, char *err, size_t errlen)
{
    static fpy_fw_work w;
    fpy_diag d = {0};
    fpy_image_src src = fpy_image_src_mem(in->vm, in->vm_len);
    int rc = fpy_fw_vm_check(&src, &w, NULL, &d);
    if (rc != FPY_OK) {
        char why[300];
        fpy_diag_format(&d, rc, why, sizeof why);
        snprintf(err, errlen, "%s is not a VM the board would boot: %s", in->vm_name, why);
    }
    return rc;
}

int fpy_provision_build(const fpy_provision_in *in, fpy_provision *p, char *err, size_t errlen)
{
    const fpy_layout *l = in->layout;
    uint8_t *nvs = NULL;
    uint32_t nvs_len = 0;
    memset(p, 0, sizeof *p);
    p->mem = malloc(l->flash_size);
    if (p->mem == NULL) {
        snprintf(err, errlen, "out of memory");
        return FPY_ERR_NOSPC;
    }
    memset(p->mem, 0xFF, l->flash_size);
    int rc = fpy_provision_vm_ok(in, err, errlen);
    if (rc == FPY_OK)
        rc = fpy_provision_put(in, p->mem, FPY_AREA_BOOTLOADER, in->bootloader,
                               in->bootloader_len, in->bootloader_name, err, errlen);
    if (rc == FPY_OK)
        rc = fpy_provision_put(in, p->mem, FPY_AREA_VM_SLOT, in->vm, in->vm_len, in->vm_name,
                               err, errlen);
    if (rc == FPY_OK)
        rc = fpy_provision_table(l, p->mem, err, errlen);
    if (rc == FPY_OK)
        rc = fpy_provision_nvs(l, in->device_id, in->registered_at, &nvs, &nvs_len, err, errlen);
    if (rc == FPY_OK)
        rc = fpy_provision_put(in, p->mem, FPY_AREA_NVS, nvs, nvs_len, "provisioning NVS", err,
                               errlen);
    free(nvs);
    if (rc == FPY_OK)
        rc = fpy_provision_fresh(p->mem, err, errlen);
    if (rc != FPY_OK) {
        fpy_provision_free(p);
        return rc;
    }
    const fpy_rec_store st = FPY_REC_STORE_FIPY();
    fpy_provision_region(p, FPY_BOOTLOADER_OFFSET, in->bootloader_len, in->bootloader_name);
    fpy_provision_region(p, FPY_PART_TABLE_OFFSET, FPY_PART_TABLE_LEN, "partition table");
    fpy_provision_region(p, fpy_layout_area(l, FPY_AREA_NVS, 0)->offset, nvs_len,
                         "provisioning NVS");
    fpy_provision_region(p, st.otadata, 2u * FPY_FLASH_SECTOR, "otadata");
    fpy_provision_region(p, fpy_layout_area(l, FPY_AREA_VM_SLOT, 0)->offset, in->vm_len,
                         in->vm_name);
    fpy_provision_region(p, st.addr[0], 2u * FPY_FLASH_SECTOR, "FOTA record");
    return FPY_OK;
}

void fpy_provision_free(fpy_provision *p)
{
    free(p->mem);
    memset(p, 0, sizeof *p);
}
