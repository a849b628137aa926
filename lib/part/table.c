/* ESP-IDF partition table binary: decode, encode, fipy layouts, names. */
#include "fipy/part.h"

#include <string.h>

#include "fipy/bytes.h"
#include "fipy/hash.h"

/* The entry layout is esp_partition_info_t ('<2sBBLL16sL'); pin it. */
_Static_assert(FPY_PART_OFF_TYPE == FPY_PART_OFF_MAGIC + 2, "type follows magic");
_Static_assert(FPY_PART_OFF_SUBTYPE == FPY_PART_OFF_TYPE + 1, "subtype follows type");
_Static_assert(FPY_PART_OFF_OFFSET == FPY_PART_OFF_SUBTYPE + 1, "offset follows subtype");
_Static_assert(FPY_PART_OFF_SIZE == FPY_PART_OFF_OFFSET + 4, "size follows offset");
_Static_assert(FPY_PART_OFF_LABEL == FPY_PART_OFF_SIZE + 4, "label follows size");
_Static_assert(FPY_PART_OFF_FLAGS == FPY_PART_OFF_LABEL + FPY_PART_LABEL_LEN,
               "flags follow the 16-byte label");
_Static_assert(FPY_PART_OFF_FLAGS + 4 == FPY_PART_ENTRY_SIZE, "an entry is 32 bytes");
_Static_assert(FPY_PART_OFF_MD5 + FPY_PART_MD5_LEN == FPY_PART_ENTRY_SIZE,
               "the digest ends the MD5 entry");
_Static_assert(FPY_PART_MAX_SLOTS * FPY_PART_ENTRY_SIZE == FPY_PART_TABLE_LEN,
               "96 slots fill 0xC00 bytes");
_Static_assert(FPY_PART_MAX_ENTRIES + 1 == FPY_PART_MAX_SLOTS,
               "one slot is left for the end marker");
_Static_assert(FPY_PART_LABEL_LEN + 1 == sizeof(((fpy_part_entry *)0)->label),
               "label keeps a NUL after the 16 bytes");

/* ---- shared helpers ----------------------------------------------------- */

uint32_t fpy_part_table_offset(const fpy_part_opts *o)
{
    return (o != NULL && o->table_offset != 0) ? o->table_offset : FPY_PART_TABLE_OFFSET;
}

/* A binary diag about field `foff` of slot `slot`. */
static int fpy_part_bdiag(fpy_diag *d, int err, const char *what,
                          const char *field, uint32_t slot, uint32_t foff)
{
    fpy_diag_set(d, err, what, field, (uint64_t)slot * FPY_PART_ENTRY_SIZE + foff);
    fpy_diag_index(d, slot);
    return err;
}

static int fpy_part_bdiag_val(fpy_diag *d, int err, const char *what,
                              const char *field, uint32_t slot, uint32_t foff,
                              uint64_t expected, uint64_t found)
{
    fpy_diag_val(d, err, what, field, (uint64_t)slot * FPY_PART_ENTRY_SIZE + foff,
                 expected, found);
    fpy_diag_index(d, slot);
    return err;
}

/* ---- decode --------------------------------------------------------------- */

typedef enum fpy_part_slot_kind {
    FPY_PART_SLOT_ENTRY,
    FPY_PART_SLOT_MD5,
    FPY_PART_SLOT_END,
    FPY_PART_SLOT_BAD
} fpy_part_slot_kind;

/* The bootloader's classification: magic AA 50, EB EB, or the end marker
 * FF FF with type and subtype FF.  Anything else is an error. */
static fpy_part_slot_kind fpy_part_classify(const uint8_t *s)
{
    if (s[0] == FPY_PART_MAGIC0 && s[1] == FPY_PART_MAGIC1)
        return FPY_PART_SLOT_ENTRY;
    if (s[0] == FPY_PART_MD5_MAGIC && s[1] == FPY_PART_MD5_MAGIC)
        return FPY_PART_SLOT_MD5;
    if (fpy_is_erased(s, 4))
        return FPY_PART_SLOT_END;
    return FPY_PART_SLOT_BAD;
}

static void fpy_part_read_entry(const uint8_t *s, fpy_part_entry *e)
{
    memset(e, 0, sizeof *e);
    e->type = s[FPY_PART_OFF_TYPE];
    e->subtype = s[FPY_PART_OFF_SUBTYPE];
    e->offset = fpy_get_le32(s + FPY_PART_OFF_OFFSET);
    e->size = fpy_get_le32(s + FPY_PART_OFF_SIZE);
    memcpy(e->label, s + FPY_PART_OFF_LABEL, FPY_PART_LABEL_LEN);
    e->label[FPY_PART_LABEL_LEN] = '\0';
    e->flags = fpy_get_le32(s + FPY_PART_OFF_FLAGS);
}

static int fpy_part_bad_slot(const uint8_t *s, uint32_t slot, fpy_diag *d)
{
    if (s[0] == 0xFFu && s[1] == 0xFFu)
        return fpy_part_bdiag_val(d, FPY_ERR_CORRUPT,
                                  "erased magic but not an end marker (type and subtype must be FF)",
                                  s[2] != 0xFFu ? "type" : "subtype", slot,
                                  s[2] != 0xFFu ? FPY_PART_OFF_TYPE : FPY_PART_OFF_SUBTYPE,
                                  0xFF, s[2] != 0xFFu ? s[2] : s[3]);
    return fpy_part_bdiag_val(d, FPY_ERR_CORRUPT, "bad magic (not a partition, MD5 or end entry)",
                              "magic", slot, FPY_PART_OFF_MAGIC, 0x50AA, fpy_get_le16(s));
}

static int fpy_part_take_md5(const uint8_t *buf, const uint8_t *s, uint32_t slot,
                             fpy_part_table *t, fpy_diag *d)
{
    if (t->has_md5)
        return fpy_part_bdiag(d, FPY_ERR_CORRUPT, "second MD5 entry (only one is allowed)",
                              "magic", slot, FPY_PART_OFF_MAGIC);
    t->has_md5 = 1;
    if (!fpy_is_erased(s + 2, FPY_PART_OFF_MD5 - 2))
        t->quirks |= FPY_PART_Q_MD5_PAD;
    /* The bootloader hashes every slot before this one. */
    FPY_TRY(fpy_md5_buf(buf, (size_t)slot * FPY_PART_ENTRY_SIZE, t->md5_computed));
    memcpy(t->md5_stored, s + FPY_PART_OFF_MD5, FPY_PART_MD5_LEN);
    if (fpy_digest_cmp(t->md5_stored, t->md5_computed, FPY_PART_MD5_LEN) != 0)
        return fpy_part_bdiag(d, FPY_ERR_CHECKSUM, "MD5 of the entries does not match",
                              "md5", slot, FPY_PART_OFF_MD5);
    return FPY_OK;
}

static void fpy_part_take_end(const uint8_t *buf, size_t len, const uint8_t *s,
                              uint32_t slot, fpy_part_table *t)
{
    size_t start = ((size_t)slot + 1) * FPY_PART_ENTRY_SIZE;
    size_t stop = len < FPY_PART_TABLE_LEN ? len : FPY_PART_TABLE_LEN;
    t->end_slot = slot;
    /* gen_esp32part only accepts 32 x FF; the bootloader looks at 4 bytes. */
    if (!fpy_is_erased(s, FPY_PART_ENTRY_SIZE))
        t->quirks |= FPY_PART_Q_END_SHORT;
    if (start < stop && !fpy_is_erased(buf + start, stop - start))
        t->quirks |= FPY_PART_Q_TAIL;
}

static int fpy_part_decode_slot(const uint8_t *buf, size_t len, uint32_t slot,
                                fpy_part_table *t, fpy_diag *d)
{
    const uint8_t *s = buf + (size_t)slot * FPY_PART_ENTRY_SIZE;
    switch (fpy_part_classify(s)) {
    case FPY_PART_SLOT_ENTRY:
        /* The app stops at the MD5 entry and would never see this one. */
        if (t->has_md5)
            return fpy_part_bdiag(d, FPY_ERR_CORRUPT, "partition entry after the MD5 entry",
                                  "magic", slot, FPY_PART_OFF_MAGIC);
        /* Only the 96th slot can get here with 95 entries read. */
        if (t->count >= FPY_PART_MAX_ENTRIES)
            return fpy_part_bdiag(d, FPY_ERR_CORRUPT,
                                  "no end-of-table marker in the 96 slots", "magic", slot,
                                  FPY_PART_OFF_MAGIC);
        fpy_part_read_entry(s, &t->entries[t->count++]);
        return FPY_OK;
    case FPY_PART_SLOT_MD5:
        return fpy_part_take_md5(buf, s, slot, t, d);
    case FPY_PART_SLOT_END:
        fpy_part_take_end(buf, len, s, slot, t);
        return 1;
    default:
        return fpy_part_bad_slot(s, slot, d);
    }
}

int fpy_part_decode(const uint8_t *buf, size_t len, fpy_part_table *t,
                    fpy_diag *d)
{
    memset(t, 0, sizeof *t);
    for (uint32_t slot = 0; slot < FPY_PART_MAX_SLOTS; slot++) {
        size_t off = (size_t)slot * FPY_PART_ENTRY_SIZE;
        if (!fpy_in_bounds(off, FPY_PART_ENTRY_SIZE, len))
            return fpy_part_bdiag_val(d, FPY_ERR_TRUNCATED,
                                      "input ends before the end-of-table marker", "length",
                                      slot, 0, off + FPY_PART_ENTRY_SIZE, len);
        int rc = fpy_part_decode_slot(buf, len, slot, t, d);
        if (rc < 0)
            return rc;
        if (rc == 1)
            return FPY_OK;
    }
    /* 96 slots, none of them the end marker: the bootloader gives up. */
    return fpy_part_bdiag(d, FPY_ERR_CORRUPT, "no end-of-table marker in the 96 slots",
                          "magic", FPY_PART_MAX_SLOTS - 1, FPY_PART_OFF_MAGIC);
}

/* ---- encode --------------------------------------------------------------- */

static void fpy_part_write_entry(const fpy_part_entry *e, uint8_t *s)
{
    s[FPY_PART_OFF_MAGIC] = FPY_PART_MAGIC0;
    s[FPY_PART_OFF_MAGIC + 1] = FPY_PART_MAGIC1;
    s[FPY_PART_OFF_TYPE] = e->type;
    s[FPY_PART_OFF_SUBTYPE] = e->subtype;
    fpy_put_le32(s + FPY_PART_OFF_OFFSET, e->offset);
    fpy_put_le32(s + FPY_PART_OFF_SIZE, e->size);
    memcpy(s + FPY_PART_OFF_LABEL, e->label, FPY_PART_LABEL_LEN);
    fpy_put_le32(s + FPY_PART_OFF_FLAGS, e->flags);
}

int fpy_part_encode(const fpy_part_table *t, uint8_t *out, size_t cap,
                    fpy_diag *d)
{
    uint32_t max = t->has_md5 ? FPY_PART_MAX_ENTRIES_MD5 : FPY_PART_MAX_ENTRIES;
    if (cap < FPY_PART_TABLE_LEN)
        return fpy_diag_val(d, FPY_ERR_NOSPC, "output buffer smaller than a table",
                            "length", 0, FPY_PART_TABLE_LEN, cap);
    if (t->count > max) {
        int rc = fpy_diag_val(d, FPY_ERR_NOSPC,
                              "too many partitions: no slot left for the end marker",
                              "count", (uint64_t)max * FPY_PART_ENTRY_SIZE, max, t->count);
        fpy_diag_index(d, max);
        return rc;
    }
    memset(out, 0xFF, FPY_PART_TABLE_LEN);
    for (uint32_t i = 0; i < t->count; i++)
        fpy_part_write_entry(&t->entries[i], out + (size_t)i * FPY_PART_ENTRY_SIZE);
    if (t->has_md5) {
        uint8_t *m = out + (size_t)t->count * FPY_PART_ENTRY_SIZE;
        m[0] = FPY_PART_MD5_MAGIC;
        m[1] = FPY_PART_MD5_MAGIC;
        /* Bytes 2..15 stay FF from the fill. */
        FPY_TRY(fpy_md5_buf(out, (size_t)t->count * FPY_PART_ENTRY_SIZE, m + FPY_PART_OFF_MD5));
    }
    return FPY_OK;
}

/* ---- fipy layouts ----------------------------------------------------------- */

static int fpy_part_layout_entry(const fpy_area *a, uint32_t i, fpy_part_entry *e,
                                 fpy_diag *d)
{
    size_t n = strlen(a->label);
    memset(e, 0, sizeof *e);
    if (n > FPY_PART_LABEL_LEN) {
        int rc = fpy_diag_val(d, FPY_ERR_INVAL, "area label longer than 16 bytes", "label",
                              a->offset, FPY_PART_LABEL_LEN, n);
        fpy_diag_index(d, i);
        return rc;
    }
    memcpy(e->label, a->label, n);
    e->type = a->ptype;
    e->subtype = a->psubtype;
    e->offset = a->offset;
    e->size = a->size;
    return FPY_OK;
}

int fpy_part_from_layout(const fpy_layout *l, const fpy_part_opts *o,
                         fpy_part_table *t, fpy_diag *d)
{
    memset(t, 0, sizeof *t);
    t->has_md5 = (o == NULL || !o->no_md5) ? 1 : 0;
    for (size_t i = 0; i < l->count; i++) {
        const fpy_area *a = &l->areas[i];
        if (!a->in_table)
            continue;
        if (t->count >= FPY_PART_MAX_ENTRIES) {
            int rc = fpy_diag_set(d, FPY_ERR_NOSPC, "layout has more areas than a table holds",
                                  "count", a->offset);
            fpy_diag_index(d, (uint32_t)i);
            return rc;
        }
        FPY_TRY(fpy_part_layout_entry(a, (uint32_t)i, &t->entries[t->count], d));
        t->count++;
    }
    return FPY_OK;
}

/* ---- look-ups ------------------------------------------------------------------ */

const fpy_part_entry *fpy_part_find(const fpy_part_table *t, uint8_t type,
                                    int subtype)
{
    for (uint32_t i = 0; i < t->count; i++) {
        const fpy_part_entry *e = &t->entries[i];
        if (e->type == type && (subtype < 0 || e->subtype == subtype))
            return e;
    }
    return NULL;
}

const fpy_part_entry *fpy_part_find_label(const fpy_part_table *t,
                                          const char *label)
{
    for (uint32_t i = 0; i < t->count; i++)
        if (strcmp(t->entries[i].label, label) == 0)
            return &t->entries[i];
    return NULL;
}
