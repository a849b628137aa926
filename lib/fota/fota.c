/* attempt / accept / mark_stable over the FOTA record. */
#include "fipy/fota.h"

#include "fipy/bcimage.h"
#include "fipy/bytes.h"
#include "fipy/fw.h"
#include "fipy/otadata.h"

/* Load the record and otadata; FPY_ERR_STATE when otadata is not as the
 * record says (ESP-IDF's tools changed it): a boot must take that in
 * first, or this operation would silently override it. */
static int fpy_fota_load(const fpy_flash *f, const fpy_rec_store *st, fpy_rec *r,
                         fpy_otadata *od, int *found)
{
    int copy;
    int rc = fpy_rec_load(f, st, r, &copy);
    if (rc != FPY_OK && rc != FPY_ERR_NOTFOUND)
        return rc;
    *found = rc == FPY_OK;
    FPY_TRY(fpy_otadata_read(f, st->otadata, od));
    return fpy_fw_in_sync(r, *found, od) ? FPY_OK : FPY_ERR_STATE;
}

/*
 * A new VM is attempted in three writes, so that ESP-IDF's bootloader and
 * fipy agree after a cut at any point: the record notes the intent (the
 * pair, and the otadata seq about to select it); otadata selects the VM
 * as NEW, exactly as esp_ota_set_boot_partition does; the record enters
 * TEST_NEW.  Cut after the second write, the next boot finds otadata ahead
 * of the record and takes it in with the noted bytecode slot (fipy/fw.h).
 */
static int fpy_attempt_vm(const fpy_flash *f, const fpy_rec_store *st, fpy_rec *r,
                          const fpy_otadata *od)
{
    fpy_ota_entry e;
    unsigned idx;
    FPY_TRY(fpy_otadata_plan_set_boot(od, r->vm_next, 2u, 1, &idx, &e));
    r->has_next = 1;
    r->next_seq = e.seq;
    FPY_TRY(fpy_rec_commit(f, st, r));
    return fpy_fw_mirror(f, st->otadata, r->vm_next, FPY_OTA_NEW, r->vm_cur, r);
}

int fpy_fota_attempt(const fpy_flash *f, const fpy_rec_store *st, unsigned bc_slot,
                     unsigned vm_slot)
{
    fpy_rec r;
    fpy_otadata od;
    int found;
    FPY_TRY(fpy_fota_load(f, st, &r, &od, &found));
    if (bc_slot > 1 || vm_slot > 1)
        return FPY_ERR_INVAL;
    if (r.mode != FPY_REC_STABLE)
        return FPY_ERR_STATE;
    if (bc_slot == r.bc_cur && vm_slot == r.vm_cur)
        return FPY_ERR_INVAL;
    r.vm_next = (uint8_t)vm_slot;
    r.bc_next = (uint8_t)bc_slot;
    if (vm_slot != r.vm_cur) /* ESP-IDF sees only VMs */
        FPY_TRY(fpy_attempt_vm(f, st, &r, &od));
    fpy_rec_attempt(&r, (uint8_t)vm_slot, (uint8_t)bc_slot);
    return fpy_rec_commit(f, st, &r);
}

/* The security version in the header of the bytecode in `slot`; 0 for
 * a slot whose header does not decode (it never ran: nothing to keep). */
static uint32_t fpy_fota_bc_version(const fpy_flash *f, const fpy_layout *l, unsigned slot)
{
    uint8_t raw[FPY_BC_HEADER_LEN];
    fpy_bc_header h;
    const fpy_area *a = fpy_layout_area(l, FPY_AREA_BC_SLOT, slot);
    if (a == NULL || fpy_flash_read(f, a->offset, raw, sizeof raw) != FPY_OK ||
        fpy_bc_header_decode(raw, a->size - FPY_BC_HEADER_LEN, &h, NULL) != FPY_OK)
        return 0;
    return h.security_version;
}

/* The VM's esp_app_desc_t.secure_version (image offset 0x24). */
static int fpy_fota_vm_version(const fpy_flash *f, const fpy_layout *l, unsigned slot,
                               uint32_t *v)
{
    uint8_t raw[4];
    const fpy_area *a = fpy_layout_area(l, FPY_AREA_VM_SLOT, slot);
    if (a == NULL)
        return FPY_ERR_INVAL;
    FPY_TRY(fpy_flash_read(f, a->offset + FPY_IMAGE_APP_DESC_IMAGE_OFF + 4u, raw, sizeof raw));
    *v = fpy_get_le32(raw);
    return FPY_OK;
}

int fpy_fota_accept(const fpy_flash *f, const fpy_rec_store *st, const fpy_layout *l,
                    const fpy_sec *sec)
{
    fpy_rec r;
    fpy_otadata od;
    int found;
    FPY_TRY(fpy_fota_load(f, st, &r, &od, &found));
    if (!found)
        return FPY_ERR_NOTFOUND;
    if (r.mode == FPY_REC_STABLE)
        return FPY_OK;
    if (r.mode != FPY_REC_TEST_BOOTED)
        return FPY_ERR_STATE;
    /* otadata first (the trial VM VALID, in place, as
     * esp_ota_mark_app_valid_cancel_rollback writes it), then the record:
     * a cut between leaves a VALID trial entry, which the next boot takes
     * as this accept(); a cut during the otadata write leaves the last
     * working VM selected, and the trial is rolled back, as ESP-IDF would. */
    FPY_TRY(fpy_fw_mirror(f, st->otadata, r.vm_cur, FPY_OTA_VALID, r.vm_last, &r));
    fpy_rec_accept(&r);
    int floors = sec != NULL && sec->anti_rollback;
    if (floors && l == NULL)
        return FPY_ERR_INVAL;
    uint32_t v = floors ? fpy_fota_bc_version(f, l, r.bc_cur) : 0u;
    if (v > r.bc_floor)
        r.bc_floor = v; /* in the same record write as the accept */
    FPY_TRY(fpy_rec_commit(f, st, &r));
    if (!floors)
        return FPY_OK;
    /* The eFuse after the record: a cut between leaves the floor low for
     * a moment, and the next boot of this accepted pair raises it. */
    FPY_TRY(fpy_fota_vm_version(f, l, r.vm_cur, &v));
    return fpy_sec_vm_floor_raise(sec, v);
}

int fpy_fota_mark_stable(const fpy_flash *f, const fpy_rec_store *st)
{
    fpy_rec r;
    int copy;
    FPY_TRY(fpy_rec_load(f, st, &r, &copy));
    if (r.mode != FPY_REC_STABLE ||
        (r.boot_count == 0 && (r.flags & FPY_REC_F_STABLE_RUN)))
        return FPY_OK; /* nothing to write: no wear on every call */
    r.boot_count = 0;
    r.flags |= FPY_REC_F_STABLE_RUN;
    return fpy_rec_commit(f, st, &r);
}

int fpy_fota_next_slots(const fpy_flash *f, const fpy_rec_store *st, uint8_t *vm_slot,
                        uint8_t *bc_slot)
{
    fpy_rec r;
    int copy;
    int rc = fpy_rec_load(f, st, &r, &copy);
    if (rc != FPY_OK && rc != FPY_ERR_NOTFOUND)
        return rc;
    *vm_slot = (uint8_t)(1u - r.vm_cur);
    *bc_slot = (uint8_t)(1u - r.bc_cur);
    return FPY_OK;
}
