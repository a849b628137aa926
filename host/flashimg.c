/* FiPy flash image files: see flashimg.h. */
#include "flashimg.h"

#include <stdio.h>
#include <string.h>

#include "fipy/part.h"

int fpy_flashimg_detect(const fpy_flash *f, const fpy_layout **out, char *err, size_t errlen)
{
    fpy_part_table t;
    uint8_t buf[FPY_PART_TABLE_LEN];
    *out = fpy_layout_get(FPY_LAYOUT_NONBLE);
    FPY_TRY(fpy_flash_read(f, FPY_PART_TABLE_OFFSET, buf, sizeof buf));
    if (buf[0] == 0xFF && buf[1] == 0xFF)
        return FPY_OK; /* no table yet */
    fpy_diag d = {0};
    int rc = fpy_part_decode(buf, sizeof buf, &t, &d);
    if (rc != FPY_OK) {
        snprintf(err, errlen, "the partition table at 0x8000 does not decode (%s)",
                 d.what ? d.what : fpy_strerror(rc));
        return rc;
    }
    for (int id = FPY_LAYOUT_NONBLE; id <= FPY_LAYOUT_BLE; id++) {
        const fpy_layout *l = fpy_layout_get((fpy_layout_id)id);
        const fpy_area *vm1 = fpy_layout_area(l, FPY_AREA_VM_SLOT, 1);
        for (size_t i = 0; i < t.count; i++) {
            const fpy_part_entry *e = &t.entries[i];
            if (e->type == FPY_PTYPE_APP && e->subtype == FPY_PSUB_APP_OTA_0 + 1 &&
                e->offset == vm1->offset && e->size == vm1->size) {
                *out = l;
                return FPY_OK;
            }
        }
    }
    snprintf(err, errlen, "the partition table at 0x8000 is not a FiPy layout "
                          "(no ota_1 at 0x110000 or 0x140000); use --layout");
    return FPY_ERR_UNSUPPORTED;
}

int fpy_flashimg_open(fpy_flashimg *fi, const char *path, const char *layout, char *err,
                      size_t errlen)
{
    memset(fi, 0, sizeof *fi);
    fi->ff.fd = -1;
    fpy_flash_geometry g = FPY_FLASH_GEOMETRY_FIPY();
    FPY_TRY(fpy_flashfile_open(&fi->ff, path, g.size, 0, err, errlen));
    int rc = fpy_flashsim_init(&fi->sim, &g, fi->ff.mem, NULL, NULL);
    if (rc != FPY_OK)
        snprintf(err, errlen, "cannot set up the simulated flash");
    if (rc == FPY_OK) {
        fpy_flashsim_bind(&fi->sim, &fi->flash);
        if (layout != NULL) {
            fi->layout = fpy_layout_find(layout);
            if (fi->layout == NULL) {
                snprintf(err, errlen, "no layout '%s' (nonble or ble)", layout);
                rc = FPY_ERR_INVAL;
            }
        } else {
            rc = fpy_flashimg_detect(&fi->flash, &fi->layout, err, errlen);
            fi->layout_from_table = rc == FPY_OK;
        }
    }
    if (rc != FPY_OK)
        fpy_flashfile_close(&fi->ff);
    return rc;
}

void fpy_flashimg_close(fpy_flashimg *fi)
{
    fpy_flashfile_close(&fi->ff);
}
