/* Mirroring fipy's boot choice into otadata: see fpy_otadata_sync in
 * include/fipy/otadata.h. */
#include "fipy/otadata.h"

#include <string.h>

#define FPY_SYNC_APPS 2u /* ota_0, ota_1 on the FiPy */

/* Sequence numbers ran out: write a fresh selection from seq slot+1. The
 * order does not matter for safety: otadata only mirrors the record. */
static int fpy_otadata_restart(const fpy_flash *f, uint32_t base, const fpy_otadata *od,
                               unsigned slot, uint32_t state)
{
    fpy_ota_entry e = od->e[0];
    e.seq = slot + 1u;
    e.state = state;
    e.crc = fpy_otadata_crc(e.seq);
    FPY_TRY(fpy_flash_erase(f, base + FPY_OTADATA_SECTOR, FPY_OTADATA_SECTOR));
    return fpy_otadata_write_entry(f, base, 0, &e);
}

int fpy_otadata_sync(const fpy_flash *f, uint32_t base, unsigned slot, uint32_t state)
{
    fpy_otadata od;
    FPY_TRY(fpy_otadata_read(f, base, &od));
    for (unsigned i = 0; i < 2; i++) {
        /* A trial of another slot is over, as ESP-IDF's bootloader would
         * conclude; one of this slot is updated in place below. */
        if (od.e[i].state == FPY_OTA_PENDING_VERIFY && fpy_otadata_is_valid(&od.e[i]) &&
            fpy_otadata_slot(od.e[i].seq, FPY_SYNC_APPS) != slot) {
            FPY_TRY(fpy_otadata_set_state(f, base, i, FPY_OTA_ABORTED));
            od.e[i].state = FPY_OTA_ABORTED;
        }
    }
    int a = fpy_otadata_active(&od), t = fpy_otadata_active_otatool(&od);
    if (a >= 0 && a == t && fpy_otadata_slot(od.e[a].seq, FPY_SYNC_APPS) == slot)
        return od.e[a].state == state ? FPY_OK : fpy_otadata_set_state(f, base, (unsigned)a, state);
    /* A new entry above every CRC-valid one, so that ESP-IDF's bootloader
     * (which skips ABORTED entries) and otatool.py (which does not) both
     * select `slot`. */
    fpy_ota_entry e;
    unsigned idx = t >= 0 ? (unsigned)(1 - t) : 0u;
    int rc = fpy_otadata_next_seq(t >= 0 ? od.e[t].seq : 0u, slot, FPY_SYNC_APPS, &e.seq);
    if (rc == FPY_ERR_RANGE)
        return fpy_otadata_restart(f, base, &od, slot, state);
    FPY_TRY(rc);
    memcpy(e.label, od.e[idx].label, sizeof e.label);
    e.state = state;
    e.crc = fpy_otadata_crc(e.seq);
    return fpy_otadata_write_entry(f, base, idx, &e);
}

