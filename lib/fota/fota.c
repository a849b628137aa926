/* attempt / accept / mark_stable over the FOTA record. */
#include "fipy/fota.h"

#include "fipy/otadata.h"

int fpy_fota_attempt(const fpy_flash *f, const fpy_rec_store *st, unsigned bc_slot,
                     unsigned vm_slot)
{
    fpy_rec r;
    int copy;
    int rc = fpy_rec_load(f, st, &r, &copy);
    if (rc != FPY_OK && rc != FPY_ERR_NOTFOUND)
        return rc;
    if (bc_slot > 1 || vm_slot > 1)
        return FPY_ERR_INVAL;
    if (r.mode != FPY_REC_STABLE)
        return FPY_ERR_STATE;
    if (bc_slot == r.bc_cur && vm_slot == r.vm_cur)
        return FPY_ERR_INVAL;
    r.vm_cur = (uint8_t)vm_slot;
    r.bc_cur = (uint8_t)bc_slot;
    r.mode = FPY_REC_TEST_NEW;
    r.boot_count = 0;
    r.flags = 0;
    return fpy_rec_commit(f, st, &r);
}

int fpy_fota_accept(const fpy_flash *f, const fpy_rec_store *st, uint32_t otadata_base)
{
    fpy_rec r;
    int copy;
    FPY_TRY(fpy_rec_load(f, st, &r, &copy));
    if (r.mode == FPY_REC_STABLE)
        return FPY_OK;
    if (r.mode != FPY_REC_TEST_BOOTED)
        return FPY_ERR_STATE;
    r.has_prev = 1;
    r.vm_prev = r.vm_last;
    r.bc_prev = r.bc_last;
    r.vm_last = r.vm_cur;
    r.bc_last = r.bc_cur;
    r.mode = FPY_REC_STABLE;
    r.boot_count = 0;
    r.flags &= (uint8_t)~FPY_REC_F_STABLE_RUN; /* the new pair has not run stably yet */
    /* The record is the commit point; otadata only mirrors it, and the
     * next boot repairs the mirror if power fails in between. */
    FPY_TRY(fpy_rec_commit(f, st, &r));
    return fpy_otadata_sync(f, otadata_base, r.vm_cur, FPY_OTA_VALID);
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
