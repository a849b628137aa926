/* The FOTA record: see include/fipy/fotarec.h. */
#include "fipy/fotarec.h"

#include <string.h>

#include "fipy/bytes.h"
#include "fipy/otadata.h"

#define FPY_REC_OFF_MAGIC 0x00u
#define FPY_REC_OFF_SEQ 0x04u
#define FPY_REC_OFF_SLOTS 0x08u /* vm_cur, vm_last, bc_cur, bc_last */
#define FPY_REC_OFF_MODE 0x0Cu
#define FPY_REC_OFF_BOOTS 0x0Du
#define FPY_REC_OFF_FLAGS 0x0Eu
#define FPY_REC_OFF_REASON 0x0Fu
#define FPY_REC_OFF_PREV 0x10u /* has_prev, vm_prev, bc_prev */
#define FPY_REC_OFF_PAD 0x13u
#define FPY_REC_OFF_OD_SEQ 0x14u
#define FPY_REC_OFF_OD_CRC 0x18u
#define FPY_REC_OFF_NEXT 0x1Cu /* has_next, vm_next, bc_next, 0 */
#define FPY_REC_OFF_NEXT_SEQ 0x20u
#define FPY_REC_OFF_BC_FLOOR 0x24u
#define FPY_REC_OFF_RESERVED 0x28u /* zero: room for later fields */
#define FPY_REC_OFF_CRC 0xFCu
_Static_assert(FPY_REC_OFF_REASON + 1u == FPY_REC_OFF_PREV, "previous pair after reason");
_Static_assert(FPY_REC_OFF_PREV + 3u == FPY_REC_OFF_PAD, "one pad byte after the pair");
_Static_assert(FPY_REC_OFF_OD_CRC + 4u == FPY_REC_OFF_NEXT, "intent after the mirror");
_Static_assert(FPY_REC_OFF_NEXT + 4u == FPY_REC_OFF_NEXT_SEQ, "next_seq after the pair");
_Static_assert(FPY_REC_OFF_NEXT_SEQ + 4u == FPY_REC_OFF_BC_FLOOR, "floor after next_seq");
_Static_assert(FPY_REC_OFF_BC_FLOOR + 4u == FPY_REC_OFF_RESERVED, "then the reserved bytes");
_Static_assert(FPY_REC_OFF_CRC + 4u == FPY_REC_LEN, "CRC ends the record");

void fpy_rec_default(fpy_rec *r)
{
    memset(r, 0, sizeof *r);
    r->mode = FPY_REC_STABLE;
}

void fpy_rec_encode(const fpy_rec *r, uint8_t raw[FPY_REC_LEN])
{
    memset(raw, 0, FPY_REC_LEN);
    fpy_put_le32(raw + FPY_REC_OFF_MAGIC, FPY_REC_MAGIC);
    fpy_put_le32(raw + FPY_REC_OFF_SEQ, r->seq);
    raw[FPY_REC_OFF_SLOTS + 0] = r->vm_cur;
    raw[FPY_REC_OFF_SLOTS + 1] = r->vm_last;
    raw[FPY_REC_OFF_SLOTS + 2] = r->bc_cur;
    raw[FPY_REC_OFF_SLOTS + 3] = r->bc_last;
    raw[FPY_REC_OFF_MODE] = r->mode;
    raw[FPY_REC_OFF_BOOTS] = r->boot_count;
    raw[FPY_REC_OFF_FLAGS] = r->flags;
    raw[FPY_REC_OFF_REASON] = r->reason;
    raw[FPY_REC_OFF_PREV + 0] = r->has_prev;
    raw[FPY_REC_OFF_PREV + 1] = r->vm_prev;
    raw[FPY_REC_OFF_PREV + 2] = r->bc_prev;
    fpy_put_le32(raw + FPY_REC_OFF_OD_SEQ, r->od_seq);
    fpy_put_le32(raw + FPY_REC_OFF_OD_CRC, r->od_crc);
    raw[FPY_REC_OFF_NEXT + 0] = r->has_next;
    raw[FPY_REC_OFF_NEXT + 1] = r->vm_next;
    raw[FPY_REC_OFF_NEXT + 2] = r->bc_next;
    fpy_put_le32(raw + FPY_REC_OFF_NEXT_SEQ, r->next_seq);
    fpy_put_le32(raw + FPY_REC_OFF_BC_FLOOR, r->bc_floor);
    fpy_put_le32(raw + FPY_REC_OFF_CRC, fpy_crc32_le(0xFFFFFFFFu, raw, FPY_REC_OFF_CRC));
}

int fpy_rec_decode(const uint8_t raw[FPY_REC_LEN], fpy_rec *r)
{
    uint32_t magic = fpy_get_le32(raw + FPY_REC_OFF_MAGIC);
    if (magic == 0xFFFFFFFFu)
        return FPY_ERR_NOTFOUND;
    if (magic != FPY_REC_MAGIC)
        return FPY_ERR_CORRUPT;
    if (fpy_get_le32(raw + FPY_REC_OFF_CRC) != fpy_crc32_le(0xFFFFFFFFu, raw, FPY_REC_OFF_CRC))
        return FPY_ERR_CORRUPT;
    r->seq = fpy_get_le32(raw + FPY_REC_OFF_SEQ);
    r->vm_cur = raw[FPY_REC_OFF_SLOTS + 0];
    r->vm_last = raw[FPY_REC_OFF_SLOTS + 1];
    r->bc_cur = raw[FPY_REC_OFF_SLOTS + 2];
    r->bc_last = raw[FPY_REC_OFF_SLOTS + 3];
    r->mode = raw[FPY_REC_OFF_MODE];
    r->boot_count = raw[FPY_REC_OFF_BOOTS];
    r->flags = raw[FPY_REC_OFF_FLAGS];
    r->reason = raw[FPY_REC_OFF_REASON];
    r->has_prev = raw[FPY_REC_OFF_PREV + 0];
    r->vm_prev = raw[FPY_REC_OFF_PREV + 1];
    r->bc_prev = raw[FPY_REC_OFF_PREV + 2];
    r->od_seq = fpy_get_le32(raw + FPY_REC_OFF_OD_SEQ);
    r->od_crc = fpy_get_le32(raw + FPY_REC_OFF_OD_CRC);
    r->has_next = raw[FPY_REC_OFF_NEXT + 0];
    r->vm_next = raw[FPY_REC_OFF_NEXT + 1];
    r->bc_next = raw[FPY_REC_OFF_NEXT + 2];
    r->next_seq = fpy_get_le32(raw + FPY_REC_OFF_NEXT_SEQ);
    r->bc_floor = fpy_get_le32(raw + FPY_REC_OFF_BC_FLOOR); /* 0 in older records */
    /* A CRC-valid record with impossible fields was written by something
     * else: treat it as corrupt, never act on it. */
    if (r->vm_cur > 1 || r->vm_last > 1 || r->bc_cur > 1 || r->bc_last > 1 ||
        r->mode > FPY_REC_TEST_BOOTED || r->seq == 0xFFFFFFFFu || r->has_prev > 1 ||
        r->vm_prev > 1 || r->bc_prev > 1 || r->has_next > 1 || r->vm_next > 1 ||
        r->bc_next > 1)
        return FPY_ERR_CORRUPT;
    return FPY_OK;
}

/* What a device without a record runs: whatever ESP-IDF's otadata
 * selects (a board flashed by esptool or updated by an ESP-IDF app). */
static int fpy_rec_initial(const fpy_flash *f, const fpy_rec_store *st, fpy_rec *r)
{
    fpy_otadata od;
    fpy_rec_default(r);
    FPY_TRY(fpy_otadata_read(f, st->otadata, &od));
    int a = fpy_otadata_active(&od);
    if (a >= 0)
        r->vm_cur = r->vm_last = (uint8_t)fpy_otadata_slot(od.e[a].seq, 2);
    return FPY_OK;
}

int fpy_rec_load(const fpy_flash *f, const fpy_rec_store *st, fpy_rec *r, int *copy)
{
    uint8_t raw[FPY_REC_LEN];
    fpy_rec c[2];
    int ok[2];
    for (int i = 0; i < 2; i++) {
        FPY_TRY(fpy_flash_read(f, st->addr[i], raw, sizeof raw));
        ok[i] = fpy_rec_decode(raw, &c[i]) == FPY_OK;
    }
    if (!ok[0] && !ok[1]) {
        *copy = 1;
        FPY_TRY(fpy_rec_initial(f, st, r));
        return FPY_ERR_NOTFOUND;
    }
    int i = (ok[0] && ok[1]) ? (c[1].seq > c[0].seq) : ok[1];
    *r = c[i];
    *copy = i;
    return FPY_OK;
}

int fpy_rec_commit(const fpy_flash *f, const fpy_rec_store *st, fpy_rec *r)
{
    fpy_rec cur;
    int copy;
    int rc = fpy_rec_load(f, st, &cur, &copy);
    if (rc != FPY_OK && rc != FPY_ERR_NOTFOUND)
        return rc;
    uint8_t raw[FPY_REC_LEN];
    fpy_rec next = *r;
    next.seq = (rc == FPY_OK ? cur.seq : 0u) + 1u;
    if (next.seq == 0xFFFFFFFFu) /* never reached in practice: 4e9 writes */
        return FPY_ERR_NOSPC;
    fpy_rec_encode(&next, raw);
    uint32_t addr = st->addr[1 - copy];
    /* The newest copy stays intact until the new one is complete: a cut
     * leaves an erased or torn sector, which decode rejects. */
    FPY_TRY(fpy_flash_erase(f, addr, FPY_FLASH_SECTOR));
    FPY_TRY(fpy_flash_program(f, addr, raw, sizeof raw));
    r->seq = next.seq;
    return FPY_OK;
}

const char *fpy_rec_mode_name(uint8_t mode)
{
    switch (mode) {
    case FPY_REC_STABLE: return "STABLE";
    case FPY_REC_TEST_NEW: return "TEST_NEW";
    case FPY_REC_TEST_BOOTED: return "TEST_BOOTED";
    default: return "?";
    }
}
