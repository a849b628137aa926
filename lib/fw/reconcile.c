/* The record and ESP-IDF's otadata, reconciled: see include/fipy/fw.h.
 * Decide and apply are kept apart; the decision is the table of
 * docs/boot.md, top row first. */
#include "fipy/fw.h"

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
    FPY_TRY(fpy_otadata_sync(f, base, slot, state, fallback, &od));
    int t = fpy_otadata_active_otatool(&od);
    r->od_seq = t >= 0 ? od.e[t].seq : 0u;
    r->od_crc = fpy_otadata_digest(&od);
    return FPY_OK;
}

/* A trial of a new VM is running or about to (not a bytecode-only one,
 * which ESP-IDF cannot see). */
static int fpy_vm_trial(const fpy_rec *r)
{
    return r->mode != FPY_REC_STABLE && r->vm_cur != r->vm_last;
}

/* The decision: the table of docs/boot.md, top row first.  `p` is what
 * ESP-IDF's bootloader would boot from `od`. */
static fpy_fw_adopt fpy_adopt_decide(const fpy_rec *r, const fpy_otadata *od,
                                     const fpy_otadata_pick *p)
{
    int t = fpy_otadata_active_otatool(od);
    if (r->has_next && t >= 0 && od->e[t].seq == r->next_seq && p->slot == r->vm_next)
        return FPY_ADOPT_OWN_ATTEMPT;
    int fresh = p->entry >= 0 && (p->state == FPY_OTA_NEW || p->state == FPY_OTA_UNDEFINED);
    if (p->slot == r->vm_cur) {
        if (fpy_vm_trial(r) && p->state == FPY_OTA_VALID)
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
 * running one for the same VM, the previous pair's if that VM is the
 * previous one, else the working one. */
static uint8_t fpy_bc_for(const fpy_rec *r, unsigned vm)
{
    if (vm == r->vm_cur)
        return r->bc_cur;
    if (r->has_prev && r->vm_prev == vm)
        return r->bc_prev;
    return r->bc_last;
}

/* The action, through the record's transitions (lib/fw/transition.c). */
static void fpy_adopt_apply(fpy_rec *r, fpy_fw_adopt how, uint8_t s)
{
    switch (how) {
    case FPY_ADOPT_OWN_ATTEMPT:
        fpy_rec_attempt(r, r->vm_next, r->bc_next);
        break;
    case FPY_ADOPT_ATTEMPT:
        fpy_rec_attempt(r, s, fpy_bc_for(r, s));
        break;
    case FPY_ADOPT_ACCEPT:
        fpy_rec_accept(r);
        break;
    case FPY_ADOPT_ROLLBACK:
        fpy_rec_rollback(r);
        break;
    case FPY_ADOPT_SWITCH: /* to the previous pair: a revert; else a new working pair */
        if (r->has_prev && r->vm_prev == s) {
            fpy_rec_go_back(r, s, r->bc_prev);
        } else {
            fpy_rec_attempt(r, s, r->bc_last);
            fpy_rec_accept(r);
        }
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
    fpy_otadata_pick p;
    fpy_otadata_idf_pick(od, &p);
    fpy_fw_adopt how = fpy_adopt_decide(r, od, &p);
    fpy_adopt_apply(r, how, (uint8_t)p.slot);
    return how;
}
