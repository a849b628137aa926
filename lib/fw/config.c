/* The configuration check on entry: see fpy_fw_config_check in fipy/fw.h. */
#include "fipy/fw.h"

/* Does [addr, addr+len) overlap a slot of the layout? */
static int fpy_in_slot(const fpy_layout *l, uint32_t addr, uint32_t len)
{
    static const fpy_area_kind kinds[2] = {FPY_AREA_VM_SLOT, FPY_AREA_BC_SLOT};
    for (unsigned k = 0; k < 2; k++)
        for (unsigned i = 0; i < 2; i++) {
            const fpy_area *a = fpy_layout_area(l, kinds[k], i);
            if (a != NULL && (uint64_t)addr < (uint64_t)a->offset + a->size &&
                (uint64_t)a->offset < (uint64_t)addr + len)
                return 1;
        }
    return 0;
}

static int fpy_check_sector(const fpy_flash *f, const fpy_layout *l, uint32_t addr,
                            uint32_t len, const char *field, fpy_diag *d)
{
    if (addr % FPY_FLASH_SECTOR != 0 || (uint64_t)addr + len > f->geo.size)
        return fpy_diag_set(d, FPY_ERR_INVAL, "not a sector inside the flash", field, addr);
    if (fpy_in_slot(l, addr, len))
        return fpy_diag_set(d, FPY_ERR_INVAL, "overlaps a VM or bytecode slot", field, addr);
    return FPY_OK;
}

int fpy_fw_config_check(const fpy_flash *f, const fpy_layout *l, const fpy_rec_store *st,
                        fpy_diag *d)
{
    if (fpy_flash_check_geometry(&f->geo) != FPY_OK) /* the page writer divides by it */
        return fpy_diag_set(d, FPY_ERR_INVAL, "the flash geometry does not hold", "geometry",
                            0);
    if (l == NULL || l->areas == NULL)
        return fpy_diag_set(d, FPY_ERR_INVAL, "no layout", "layout", 0);
    FPY_TRY(fpy_layout_validate(l->areas, l->count, l->flash_size, d));
    if (l->flash_size > f->geo.size)
        return fpy_diag_val(d, FPY_ERR_INVAL, "the layout is larger than the flash",
                            "flash_size", 0, f->geo.size, l->flash_size);
    for (unsigned i = 0; i < 2; i++)
        if (fpy_layout_area(l, FPY_AREA_VM_SLOT, i) == NULL ||
            fpy_layout_area(l, FPY_AREA_BC_SLOT, i) == NULL)
            return fpy_diag_set(d, FPY_ERR_INVAL, "the layout lacks a VM or bytecode slot",
                                "slot", i);
    FPY_TRY(fpy_check_sector(f, l, st->addr[0], FPY_FLASH_SECTOR, "record copy 0", d));
    FPY_TRY(fpy_check_sector(f, l, st->addr[1], FPY_FLASH_SECTOR, "record copy 1", d));
    if (st->addr[0] == st->addr[1])
        return fpy_diag_set(d, FPY_ERR_INVAL, "both record copies in one sector",
                            "record copy 1", st->addr[1]);
    return fpy_check_sector(f, l, st->otadata, FPY_OTADATA_SIZE, "otadata", d);
}
