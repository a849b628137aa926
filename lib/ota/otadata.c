/* ESP-IDF otadata: see include/fipy/otadata.h and docs/formats/otadata.md. */
#include "fipy/otadata.h"

#include <string.h>

#include "fipy/bytes.h"
#include "fipy/hash.h"

/* Offsets inside esp_ota_select_entry_t. */
#define FPY_OD_SEQ 0u
#define FPY_OD_LABEL 4u
#define FPY_OD_STATE 24u
#define FPY_OD_CRC 28u
_Static_assert(FPY_OD_LABEL + FPY_OTADATA_LABEL_LEN == FPY_OD_STATE, "label then state");
_Static_assert(FPY_OD_CRC + 4u == FPY_OTADATA_ENTRY_LEN, "esp_ota_select_entry_t is 32 bytes");

void fpy_otadata_decode(const uint8_t raw[FPY_OTADATA_ENTRY_LEN], fpy_ota_entry *e)
{
    e->seq = fpy_get_le32(raw + FPY_OD_SEQ);
    memcpy(e->label, raw + FPY_OD_LABEL, FPY_OTADATA_LABEL_LEN);
    e->state = fpy_get_le32(raw + FPY_OD_STATE);
    e->crc = fpy_get_le32(raw + FPY_OD_CRC);
}

void fpy_otadata_encode(const fpy_ota_entry *e, uint8_t raw[FPY_OTADATA_ENTRY_LEN])
{
    fpy_put_le32(raw + FPY_OD_SEQ, e->seq);
    memcpy(raw + FPY_OD_LABEL, e->label, FPY_OTADATA_LABEL_LEN);
    fpy_put_le32(raw + FPY_OD_STATE, e->state);
    fpy_put_le32(raw + FPY_OD_CRC, e->crc);
}

uint32_t fpy_otadata_crc(uint32_t seq)
{
    uint8_t b[4];
    fpy_put_le32(b, seq);
    return fpy_crc32_le(0xFFFFFFFFu, b, sizeof b);
}

int fpy_otadata_is_valid_otatool(const fpy_ota_entry *e)
{
    return e->seq != FPY_OTADATA_SEQ_BLANK && e->crc == fpy_otadata_crc(e->seq);
}

int fpy_otadata_is_valid(const fpy_ota_entry *e)
{
    return fpy_otadata_is_valid_otatool(e) && e->state != FPY_OTA_INVALID &&
           e->state != FPY_OTA_ABORTED;
}

static int fpy_od_pick(const fpy_otadata *od, int (*valid)(const fpy_ota_entry *))
{
    int v0 = valid(&od->e[0]), v1 = valid(&od->e[1]);
    if (v0 && v1)
        return od->e[1].seq > od->e[0].seq ? 1 : 0;
    return v0 ? 0 : (v1 ? 1 : -1);
}

int fpy_otadata_active(const fpy_otadata *od)
{
    return fpy_od_pick(od, fpy_otadata_is_valid);
}

int fpy_otadata_active_otatool(const fpy_otadata *od)
{
    return fpy_od_pick(od, fpy_otadata_is_valid_otatool);
}

unsigned fpy_otadata_slot(uint32_t seq, unsigned app_count)
{
    return app_count == 0 ? 0u : (unsigned)((seq - 1u) % app_count);
}

const char *fpy_otadata_state_name(uint32_t state)
{
    switch (state) {
    case FPY_OTA_NEW: return "NEW";
    case FPY_OTA_PENDING_VERIFY: return "PENDING_VERIFY";
    case FPY_OTA_VALID: return "VALID";
    case FPY_OTA_INVALID: return "INVALID";
    case FPY_OTA_ABORTED: return "ABORTED";
    case FPY_OTA_UNDEFINED: return "UNDEFINED";
    default: return NULL;
    }
}

uint32_t fpy_otadata_digest(const fpy_otadata *od)
{
    uint8_t raw[2 * FPY_OTADATA_ENTRY_LEN];
    fpy_otadata_encode(&od->e[0], raw);
    fpy_otadata_encode(&od->e[1], raw + FPY_OTADATA_ENTRY_LEN);
    return fpy_crc32_le(0xFFFFFFFFu, raw, sizeof raw);
}

int fpy_otadata_read(const fpy_flash *f, uint32_t base, fpy_otadata *od)
{
    uint8_t raw[FPY_OTADATA_ENTRY_LEN];
    for (unsigned i = 0; i < 2; i++) {
        FPY_TRY(fpy_flash_read(f, base + i * FPY_OTADATA_SECTOR, raw, sizeof raw));
        fpy_otadata_decode(raw, &od->e[i]);
    }
    return FPY_OK;
}

int fpy_otadata_write_entry(const fpy_flash *f, uint32_t base, unsigned idx,
                            const fpy_ota_entry *e)
{
    uint8_t raw[FPY_OTADATA_ENTRY_LEN];
    uint32_t addr = base + idx * FPY_OTADATA_SECTOR;
    if (idx > 1)
        return FPY_ERR_INVAL;
    fpy_otadata_encode(e, raw);
    /* ESP-IDF's order: erase, then program. A cut in between leaves this
     * sector blank, and the other sector's entry still selects an app. */
    FPY_TRY(fpy_flash_erase(f, addr, FPY_OTADATA_SECTOR));
    return fpy_flash_program(f, addr, raw, sizeof raw);
}

/* The smallest (slot+1)%n + i*n (i >= 0) not below `cur`, computed in
 * closed form: a foreign entry may carry any seq, and counting up to it
 * one step at a time could take 2^31 rounds. */
int fpy_otadata_next_seq(uint32_t cur, unsigned slot, unsigned n, uint32_t *seq)
{
    if (n == 0)
        return FPY_ERR_INVAL;
    uint64_t base = (slot + 1u) % n;
    uint64_t i = cur > base ? ((uint64_t)cur - base + n - 1u) / n : 0u;
    uint64_t v = base + i * n;
    if (v >= FPY_OTADATA_SEQ_BLANK)
        return FPY_ERR_RANGE; /* would read as blank: start over instead */
    *seq = (uint32_t)v;
    return FPY_OK;
}

int fpy_otadata_plan_set_boot(const fpy_otadata *od, unsigned slot,
                              unsigned app_count, int rollback, unsigned *idx,
                              fpy_ota_entry *out)
{
    if (app_count == 0 || slot >= app_count)
        return FPY_ERR_INVAL;
    int a = fpy_otadata_active(od);
    uint32_t seq = slot + 1u;
    *idx = 0;
    if (a >= 0) {
        FPY_TRY(fpy_otadata_next_seq(od->e[a].seq, slot, app_count, &seq));
        *idx = (unsigned)(1 - a);
    }
    *out = od->e[*idx]; /* label bytes are whatever that sector held */
    out->seq = seq;
    out->state = rollback ? FPY_OTA_NEW : FPY_OTA_UNDEFINED;
    out->crc = fpy_otadata_crc(seq);
    return FPY_OK;
}

int fpy_otadata_set_boot(const fpy_flash *f, uint32_t base, unsigned slot,
                         unsigned app_count, int rollback)
{
    fpy_otadata od;
    fpy_ota_entry e;
    unsigned idx;
    FPY_TRY(fpy_otadata_read(f, base, &od));
    FPY_TRY(fpy_otadata_plan_set_boot(&od, slot, app_count, rollback, &idx, &e));
    return fpy_otadata_write_entry(f, base, idx, &e);
}

int fpy_otadata_set_state(const fpy_flash *f, uint32_t base, unsigned idx,
                          uint32_t state)
{
    fpy_otadata od;
    if (idx > 1)
        return FPY_ERR_INVAL;
    FPY_TRY(fpy_otadata_read(f, base, &od));
    fpy_ota_entry e = od.e[idx];
    e.state = state;
    return fpy_otadata_write_entry(f, base, idx, &e);
}

int fpy_otadata_init_valid(const fpy_flash *f, uint32_t base, unsigned slot)
{
    fpy_ota_entry e;
    e.seq = slot + 1u;
    memset(e.label, 0xFF, sizeof e.label);
    e.state = FPY_OTA_VALID;
    e.crc = fpy_otadata_crc(e.seq);
    return fpy_otadata_write_entry(f, base, 0, &e);
}

int fpy_otadata_boot_select(const fpy_flash *f, uint32_t base, unsigned app_count,
                            unsigned *slot, int *from_blank)
{
    fpy_otadata od;
    fpy_otadata_pick p;
    FPY_TRY(fpy_otadata_read(f, base, &od));
    (void)app_count; /* the FiPy has two OTA slots */
    fpy_otadata_idf_pick(&od, &p);
    /* A test boot that reached a reset without being confirmed fails. */
    for (unsigned i = 0; i < 2; i++)
        if (od.e[i].state == FPY_OTA_PENDING_VERIFY)
            FPY_TRY(fpy_otadata_set_state(f, base, i, FPY_OTA_ABORTED));
    *from_blank = p.entry < 0;
    *slot = p.slot;
    if (p.entry >= 0 && p.state == FPY_OTA_NEW)
        FPY_TRY(fpy_otadata_set_state(f, base, (unsigned)p.entry, FPY_OTA_PENDING_VERIFY));
    return FPY_OK;
}
