/* The record and ESP-IDF's otadata, reconciled: see include/fipy/fw.h.
 * Decide and apply are kept apart; the decision is the table of
 * docs/boot.md, top row first. */
#include "fipy/fw.h"

#define FPY_FW_APPS 2u

int fpy_fw_in_sync(const fpy_rec *r, int rec_found, const fpy_otadata *od)
{
    if (!rec_found)
        return 1;
    if (r->od_seq == 0) {
        fpy_otadata_pick p;
        fpy_otadata_idf_pick(od, &p);
        return p.slot == r->vm_cur;
    }
    return fpy_otadata_digest(od) == r->od_crc;
}

int fpy_fw_mirror(const fpy_flash *f, uint32_t base, unsigned slot, uint32_t state,
                  unsigned fallback, fpy_rec *r)
{
    fpy_otadata od;
    FPY_TRY(fpy_otadata_sync(f, base, slot, state, fallback, &r->od_seq));
    FPY_TRY(fpy_otadata_read(f, base, &od));
    r->od_crc = fpy_otadata_digest(&od);
    return FPY_OK;
}

/* A trial of a new VM is running or about to (not a bytecode-only one,
 * which ESP-IDF cannot see). */
static int fpy_vm_trial(const fpy_rec *r)
{
    return r->mode != FPY_REC_STABLE && r->vm_cur != r->vm_last;
}

fpy_fw_adopt fpy_fw_adopt_decide(const fpy_rec *r, const fpy_otadata *od)
{
    fpy_otadata_pick p;
    fpy_otadata_idf_pick(od, &p);
    int t = fpy_otadata_active_otatool(od);
    if (r->has_next && t >= 0 && od->e[t].seq == r->next_seq && p.slot == r->vm_next)
        return FPY_ADOPT_OWN_ATTEMPT;
    int fresh = p.entry >= 0 && (p.state == FPY_OTA_NEW || p.state == FPY_OTA_UNDEFINED);
    if (p.slot == r->vm_cur) {
        if (fpy_vm_trial(r) && p.state == FPY_OTA_VALID)
            return FPY_ADOPT_ACCEPT;
        /* selected afresh while its trial ran: ESP-IDF starts it over */
        return fresh && r->mode == FPY_REC_TEST_BOOTED ? FPY_ADOPT_ATTEMPT : FPY_ADOPT_RESYNC;
    }
    if (fpy_vm_trial(r)) /* two slots: the other one is the last working VM */
        return FPY_ADOPT_ROLLBACK;
    if (fresh)
        return FPY_ADOPT_ATTEMPT;
    return FPY_ADOPT_SWITCH;
}

/* The bytecode that goes with VM slot `vm` when ESP-IDF selects it: the
 * previous pair's if that VM is the previous one, else the working one. */
static uint8_t fpy_bc_for(const fpy_rec *r, unsigned vm)
{
    if (r->has_prev && r->vm_prev == vm)
        return r->bc_prev;
    return r->bc_last;
}

static void fpy_to_pair(fpy_rec *r, uint8_t vm, uint8_t bc, uint8_t mode)
{
    r->vm_cur = vm;
    r->bc_cur = bc;
    r->mode = mode;
    r->boot_count = 0;
}

void fpy_fw_adopt_apply(fpy_rec *r, fpy_fw_adopt how, const fpy_otadata *od)
{
    fpy_otadata_pick p;
    fpy_otadata_idf_pick(od, &p);
    uint8_t s = (uint8_t)p.slot;
    switch (how) {
    case FPY_ADOPT_OWN_ATTEMPT:
        fpy_to_pair(r, r->vm_next, r->bc_next, FPY_REC_TEST_NEW);
        r->flags = 0;
        break;
    case FPY_ADOPT_ATTEMPT: /* the same trial over again keeps its bytecode */
        fpy_to_pair(r, s, s == r->vm_cur ? r->bc_cur : fpy_bc_for(r, s), FPY_REC_TEST_NEW);
        r->flags &= (uint8_t)~(FPY_REC_F_ROLLED_BACK | FPY_REC_F_REVERTED);
        break;
    case FPY_ADOPT_ACCEPT:
        r->has_prev = 1;
        r->vm_prev = r->vm_last;
        r->bc_prev = r->bc_last;
        r->vm_last = r->vm_cur;
        r->bc_last = r->bc_cur;
        fpy_to_pair(r, r->vm_cur, r->bc_cur, FPY_REC_STABLE);
        r->flags &= (uint8_t)~FPY_REC_F_STABLE_RUN;
        break;
    case FPY_ADOPT_ROLLBACK:
        fpy_to_pair(r, r->vm_last, r->bc_last, FPY_REC_STABLE);
        r->flags |= FPY_REC_F_ROLLED_BACK;
        break;
    case FPY_ADOPT_SWITCH:
        if (r->has_prev && r->vm_prev == s) { /* back to the previous pair */
            r->vm_last = s;
            r->bc_last = r->bc_prev;
            r->has_prev = 0;
            r->flags |= FPY_REC_F_REVERTED;
        } else {
            r->has_prev = 1;
            r->vm_prev = r->vm_last;
            r->bc_prev = r->bc_last;
            r->vm_last = s;
        }
        fpy_to_pair(r, s, r->bc_last, FPY_REC_STABLE);
        r->flags &= (uint8_t)~FPY_REC_F_STABLE_RUN;
        break;
    case FPY_ADOPT_NONE:
    case FPY_ADOPT_RESYNC:
        break;
    }
    r->has_next = 0;
}

fpy_fw_adopt fpy_fw_reconcile(fpy_rec *r, int rec_found, const fpy_otadata *od)
{
    if (fpy_fw_in_sync(r, rec_found, od))
        return FPY_ADOPT_NONE;
    fpy_fw_adopt how = fpy_fw_adopt_decide(r, od);
    fpy_fw_adopt_apply(r, how, od);
    return how;
}
