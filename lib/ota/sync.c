/* Mirroring fipy's boot choice into otadata, and what ESP-IDF's
 * bootloader would choose: see include/fipy/otadata.h. */
#include "fipy/otadata.h"

#include <string.h>

#define FPY_SYNC_APPS 2u /* ota_0, ota_1 on the FiPy */

void fpy_otadata_idf_pick(const fpy_otadata *od, fpy_otadata_pick *p)
{
    /* A PENDING_VERIFY entry at boot is a trial that was reset before it
     * was confirmed: ESP-IDF's bootloader marks it ABORTED first. */
    fpy_otadata v = *od;
    for (unsigned i = 0; i < 2; i++)
        if (v.e[i].state == FPY_OTA_PENDING_VERIFY)
            v.e[i].state = FPY_OTA_ABORTED;
    p->entry = fpy_otadata_active(&v);
    p->slot = p->entry < 0 ? 0u : fpy_otadata_slot(v.e[p->entry].seq, FPY_SYNC_APPS);
    p->state = p->entry < 0 ? FPY_OTA_UNDEFINED : v.e[p->entry].state;
}

/* Does entry i select `slot` as a VALID app, for both readers? */
static int fpy_is_fallback(const fpy_otadata *od, unsigned i, unsigned slot)
{
    return fpy_otadata_is_valid(&od->e[i]) && od->e[i].state == FPY_OTA_VALID &&
           fpy_otadata_slot(od->e[i].seq, FPY_SYNC_APPS) == slot;
}

/* How much a sector's entry is worth keeping while a new entry is
 * written: 2 it is the fallback, 1 it already selects `slot` as VALID. */
static unsigned fpy_sector_worth(const fpy_otadata *od, unsigned i, unsigned slot,
                                 unsigned fallback)
{
    if (fallback != slot && fallback < FPY_SYNC_APPS && fpy_is_fallback(od, i, fallback))
        return 2u;
    return fpy_is_fallback(od, i, slot) ? 1u : 0u;
}

/* Sequence numbers ran out: write a fresh selection from seq slot+1. */
static int fpy_otadata_restart(const fpy_flash *f, uint32_t base, const fpy_otadata *od,
                               unsigned slot, uint32_t state, fpy_otadata *out)
{
    fpy_ota_entry e = od->e[0];
    e.seq = slot + 1u;
    e.state = state;
    e.crc = fpy_otadata_crc(e.seq);
    FPY_TRY(fpy_flash_erase(f, base + FPY_OTADATA_SECTOR, FPY_OTADATA_SECTOR));
    FPY_TRY(fpy_otadata_write_entry(f, base, 0, &e));
    return fpy_otadata_read(f, base, out);
}

/* Step 1: the active entry selects `slot` in `state`.  Returns its index. */
static int fpy_sync_active(const fpy_flash *f, uint32_t base, fpy_otadata *od, unsigned slot,
                           uint32_t state, unsigned fallback, unsigned *act)
{
    int a = fpy_otadata_active(od), t = fpy_otadata_active_otatool(od);
    if (a >= 0 && a == t && fpy_otadata_slot(od->e[a].seq, FPY_SYNC_APPS) == slot) {
        *act = (unsigned)a;
        if (od->e[a].state == state)
            return FPY_OK;
        /* in place, as ESP-IDF changes a state: a cut leaves the other
         * entry, which this never touches, selecting */
        od->e[a].state = state;
        return fpy_otadata_write_entry(f, base, (unsigned)a, &od->e[a]);
    }
    /* A new entry above every CRC-valid one, so that ESP-IDF's bootloader
     * (which skips ABORTED and INVALID entries) and otatool.py (which does
     * not) both select it.  It overwrites the less useful sector: never
     * the fallback, nor an entry that already selects `slot` as VALID, so
     * that a cut during the write leaves a selection both readers agree
     * on; between equals, not the current selection (ESP-IDF's way). */
    unsigned s0 = fpy_sector_worth(od, 0, slot, fallback);
    unsigned s1 = fpy_sector_worth(od, 1, slot, fallback);
    unsigned idx = s0 != s1 ? (s0 < s1 ? 0u : 1u) : t >= 0 ? (unsigned)(1 - t) : 0u;
    fpy_ota_entry e;
    int rc = fpy_otadata_next_seq(t >= 0 ? od->e[t].seq + 1u : 0u, slot, FPY_SYNC_APPS, &e.seq);
    if (rc == FPY_ERR_RANGE) {
        *act = 0;
        return fpy_otadata_restart(f, base, od, slot, state, od);
    }
    FPY_TRY(rc);
    memcpy(e.label, od->e[idx].label, sizeof e.label);
    e.state = state;
    e.crc = fpy_otadata_crc(e.seq);
    *act = idx;
    od->e[idx] = e;
    return fpy_otadata_write_entry(f, base, idx, &e);
}

int fpy_otadata_sync(const fpy_flash *f, uint32_t base, unsigned slot, uint32_t state,
                     unsigned fallback, fpy_otadata *out)
{
    fpy_otadata *od = out;
    unsigned act;
    FPY_TRY(fpy_otadata_read(f, base, od));
    FPY_TRY(fpy_sync_active(f, base, od, slot, state, fallback, &act));
    /* Step 2: the other entry selects the fallback, VALID, below the
     * active one: where ESP-IDF's bootloader goes when the active entry is
     * aborted or marked invalid is where fipy goes.  With two slots,
     * seq - 1 selects the other slot; seq 1 has nothing below it. */
    unsigned o = 1u - act;
    if (fallback >= FPY_SYNC_APPS || fallback == slot || fpy_is_fallback(od, o, fallback) ||
        od->e[act].seq < 2u)
        return FPY_OK;
    fpy_ota_entry *e = &od->e[o];
    e->seq = od->e[act].seq - 1u;
    e->state = FPY_OTA_VALID;
    e->crc = fpy_otadata_crc(e->seq);
    return fpy_otadata_write_entry(f, base, o, e);
}
