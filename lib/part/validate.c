/*
 * Judging a partition table: gen_esp32part's verify() (v5.5.1), the
 * bootloader's esp_partition_table_verify() and the app's
 * load_partitions().  Pure: it reads the table and fills the caller's
 * issue array; nothing is changed.  (What would not survive a CSV round
 * trip is judged on the host, host/part_csv_out.c.)
 *
 * The checks run in verify()'s order (each partition, then names, then
 * overlaps, then otadata, then the TEE's otadata; then the flash size and
 * the room for the MD5 entry) so the first error is the one the tool would
 * stop at; unlike the tool, fipy goes on and lists
 * every issue.
 */
#include "fipy/part.h"

#include <string.h>

typedef struct fpy_part_vctx {
    const fpy_part_table *t;
    const fpy_part_opts *o;
    fpy_part_issue *issues;
    size_t cap;
    size_t n;
    int first_err;
    fpy_diag *d;
} fpy_part_vctx;

/* One finding, before it is placed (line or offset) and stored. */
typedef struct fpy_part_finding {
    const char *what;
    const char *field;
    int err;
    uint32_t index; /* entry, or FPY_PART_NO_OTHER for the table */
    uint32_t foff;  /* byte offset of the field inside the entry */
    uint32_t other1; /* the other entry + 1; 0: none */
    uint8_t severity;
    uint8_t rule;
    uint8_t has_values;
    uint64_t expected;
    uint64_t found;
} fpy_part_finding;

/* Name entry `index` in dg; an entry from CSV by its line, which says
 * more than an offset. */
static void fpy_part_at_entry(const fpy_part_table *t, uint32_t index, fpy_diag *dg)
{
    fpy_diag_index(dg, index);
    if (t->entries[index].line != 0) {
        dg->line = t->entries[index].line;
        dg->has_offset = 0;
    }
}

static void fpy_part_locate(const fpy_part_vctx *v, const fpy_part_finding *f,
                            fpy_diag *dg)
{
    uint32_t slot = f->index == FPY_PART_NO_OTHER ? v->t->count : f->index;
    uint64_t off = (uint64_t)slot * FPY_PART_ENTRY_SIZE + f->foff;
    if (f->has_values)
        fpy_diag_val(dg, f->err, f->what, f->field, off, f->expected, f->found);
    else
        fpy_diag_set(dg, f->err, f->what, f->field, off);
    if (f->index != FPY_PART_NO_OTHER)
        fpy_part_at_entry(v->t, f->index, dg);
}

void fpy_part_issue_at(const fpy_part_table *t, uint32_t index, uint32_t foff,
                       const char *what, const char *field, int err,
                       uint8_t severity, uint8_t rule, fpy_part_issue *is)
{
    memset(is, 0, sizeof *is);
    fpy_diag_set(&is->diag, err, what, field,
                 (uint64_t)index * FPY_PART_ENTRY_SIZE + foff);
    fpy_part_at_entry(t, index, &is->diag);
    is->err = err;
    is->other = FPY_PART_NO_OTHER;
    is->severity = severity;
    is->rule = rule;
}

void fpy_part_issue_push(fpy_part_issue *issues, size_t cap, size_t *count,
                         const fpy_part_issue *is)
{
    if (*count < cap)
        issues[*count] = *is;
    (*count)++;
}

static void fpy_part_report(fpy_part_vctx *v, const fpy_part_finding *f)
{
    fpy_part_issue is;
    memset(&is, 0, sizeof is);
    fpy_part_locate(v, f, &is.diag);
    is.err = f->err;
    is.other = f->other1 != 0 ? f->other1 - 1 : FPY_PART_NO_OTHER;
    is.severity = f->severity;
    is.rule = f->rule;
    if (f->severity == FPY_PART_ERROR && v->first_err == FPY_OK) {
        v->first_err = f->err;
        if (v->d != NULL)
            *v->d = is.diag;
    }
    fpy_part_issue_push(v->issues, v->cap, &v->n, &is);
}

#define FPY_PART_ERR(...)                                                     \
    ((fpy_part_finding){.severity = FPY_PART_ERROR, __VA_ARGS__})
#define FPY_PART_WARN(...)                                                    \
    ((fpy_part_finding){.severity = FPY_PART_WARNING, __VA_ARGS__})

/* ---- one partition ---------------------------------------------------- */

static void fpy_part_check_align(fpy_part_vctx *v, uint32_t i)
{
    const fpy_part_entry *e = &v->t->entries[i];
    uint32_t a = e->type == FPY_PTYPE_APP ? FPY_PART_APP_ALIGN : FPY_PART_DATA_ALIGN;
    if (e->offset % a != 0)
        fpy_part_report(v, &FPY_PART_ERR(.what = "offset not aligned (app: 64 KiB, others: 4 KiB)",
                                         .field = "offset", .err = FPY_ERR_ALIGN, .index = i,
                                         .foff = FPY_PART_OFF_OFFSET, .rule = FPY_PART_RULE_GEN,
                                         .has_values = 1, .expected = a, .found = e->offset));
    uint32_t sa = (v->o != NULL && v->o->secure_v1) ? 0x10000u : 0x1000u;
    if (e->type == FPY_PTYPE_APP && e->size % sa != 0)
        fpy_part_report(v, &FPY_PART_ERR(.what = "app size not a multiple of the alignment",
                                         .field = "size", .err = FPY_ERR_ALIGN, .index = i,
                                         .foff = FPY_PART_OFF_SIZE, .rule = FPY_PART_RULE_GEN,
                                         .has_values = 1, .expected = sa, .found = e->size));
}

/* Is `name` a subtype keyword of any type (verify()'s all_subtype_names)? */
static int fpy_part_is_subtype_kw(const fpy_part_opts *o, const char *name)
{
    uint32_t dummy;
    for (uint8_t type = 0; type <= FPY_PART_TYPE_PARTITION_TABLE; type++)
        if (fpy_part_kw_subtype(o, type, name, strlen(name), 0, &dummy))
            return 1;
    return 0;
}

/* verify() only warns when a name is a keyword of something else; its
 * matches are exact (case-sensitive). */
static void fpy_part_check_name_kw(fpy_part_vctx *v, uint32_t i)
{
    const fpy_part_entry *e = &v->t->entries[i];
    size_t n = strlen(e->label);
    uint32_t kv;
    if (e->name_cut)
        return;
    if (fpy_part_kw_type(e->label, n, 0, &kv) && kv != e->type)
        fpy_part_report(v, &FPY_PART_WARN(.what = "name is a type keyword of another type",
                                          .field = "label", .err = FPY_ERR_INVAL, .index = i,
                                          .foff = FPY_PART_OFF_LABEL, .rule = FPY_PART_RULE_GEN));
    int mine = fpy_part_kw_subtype(v->o, e->type, e->label, n, 0, &kv) && kv == e->subtype;
    if (!mine && fpy_part_is_subtype_kw(v->o, e->label))
        fpy_part_report(v, &FPY_PART_WARN(.what = "name is a subtype keyword that does not "
                                                  "match this partition's type and subtype",
                                          .field = "label", .err = FPY_ERR_INVAL, .index = i,
                                          .foff = FPY_PART_OFF_LABEL, .rule = FPY_PART_RULE_GEN));
}

/* Is `e` the data subtype gen_esp32part names `kw` (SUBTYPES[DATA_TYPE][kw],
 * which an extra subtype may have changed)? */
static int fpy_part_is_data(const fpy_part_vctx *v, const fpy_part_entry *e, const char *kw)
{
    return e->type == FPY_PTYPE_DATA && fpy_part_subtype_is(v->o, e->type, e->subtype, kw);
}

static void fpy_part_check_flags(fpy_part_vctx *v, uint32_t i)
{
    const fpy_part_entry *e = &v->t->entries[i];
    int always_rw = fpy_part_is_data(v, e, "ota") || fpy_part_is_data(v, e, "coredump");
    if (always_rw && (e->flags & FPY_PART_FLAG_READONLY))
        fpy_part_report(v, &FPY_PART_ERR(.what = "data/ota and data/coredump are always "
                                                 "read-write; drop the readonly flag",
                                         .field = "flags", .err = FPY_ERR_INVAL, .index = i,
                                         .foff = FPY_PART_OFF_FLAGS, .rule = FPY_PART_RULE_GEN));
    if (e->flags & ~FPY_PART_FLAGS_KNOWN)
        fpy_part_report(v, &FPY_PART_WARN(.what = "unknown flag bits (not written to CSV)",
                                          .field = "flags", .err = FPY_ERR_UNSUPPORTED,
                                          .index = i, .foff = FPY_PART_OFF_FLAGS,
                                          .rule = FPY_PART_RULE_GEN, .has_values = 1,
                                          .expected = FPY_PART_FLAGS_KNOWN, .found = e->flags));
}

/* ESP-IDF 5.5: NVS writes need 3 pages; a smaller partition is readonly. */
static void fpy_part_check_nvs_size(fpy_part_vctx *v, uint32_t i)
{
    const fpy_part_entry *e = &v->t->entries[i];
    if (fpy_part_is_data(v, e, "nvs") && e->size < FPY_PART_NVS_RW_MIN &&
        !(e->flags & FPY_PART_FLAG_READONLY))
        fpy_part_report(v, &FPY_PART_ERR(.what = "read-write NVS needs at least 0x3000 bytes: "
                                                 "flag it readonly or make it larger",
                                         .field = "size", .err = FPY_ERR_RANGE, .index = i,
                                         .foff = FPY_PART_OFF_SIZE, .rule = FPY_PART_RULE_GEN,
                                         .has_values = 1, .expected = FPY_PART_NVS_RW_MIN,
                                         .found = e->size));
}

static void fpy_part_check_empty(fpy_part_vctx *v, uint32_t i)
{
    if (v->t->entries[i].size == 0)
        fpy_part_report(v, &FPY_PART_WARN(.what = "partition is empty", .field = "size",
                                          .err = FPY_ERR_INVAL, .index = i,
                                          .foff = FPY_PART_OFF_SIZE, .rule = FPY_PART_RULE_FIPY));
}

/* gen_esp32part checks the flash size even with --no-verify (on the last
 * partition only); the bootloader refuses any partition past the chip. */
static void fpy_part_check_flash(fpy_part_vctx *v, uint32_t i)
{
    const fpy_part_entry *e = &v->t->entries[i];
    uint32_t flash = v->o != NULL ? v->o->flash_size : 0;
    uint64_t end = (uint64_t)e->offset + e->size;
    if (flash != 0 && end > flash)
        fpy_part_report(v, &FPY_PART_ERR(.what = "partition ends past the end of flash",
                                         .field = "size", .err = FPY_ERR_RANGE, .index = i,
                                         .foff = FPY_PART_OFF_SIZE, .rule = FPY_PART_RULE_BOOT,
                                         .has_values = 1, .expected = flash, .found = end));
}

/* verify()'s rules for one partition, in its order. */
static void fpy_part_check_entry(fpy_part_vctx *v, uint32_t i)
{
    fpy_part_check_align(v, i);
    fpy_part_check_name_kw(v, i);
    fpy_part_check_flags(v, i);
    fpy_part_check_nvs_size(v, i);
    fpy_part_check_empty(v, i);
}

/* ---- the whole table ---------------------------------------------------- */

static void fpy_part_check_names(fpy_part_vctx *v)
{
    const fpy_part_table *t = v->t;
    for (uint32_t i = 1; i < t->count; i++) {
        for (uint32_t j = 0; j < i; j++) {
            if (strcmp(t->entries[i].label, t->entries[j].label) != 0)
                continue;
            fpy_part_report(v, &FPY_PART_ERR(.what = "name used by an earlier partition too",
                                             .field = "label", .err = FPY_ERR_EXISTS,
                                             .index = i, .foff = FPY_PART_OFF_LABEL,
                                             .other1 = j + 1, .rule = FPY_PART_RULE_GEN));
            break;
        }
    }
}

/* Indices by ascending offset; stable, like Python's sorted(). */
static void fpy_part_sort(const fpy_part_table *t, uint8_t *order)
{
    for (uint32_t i = 0; i < t->count; i++) {
        uint32_t j = i;
        while (j > 0 && t->entries[order[j - 1]].offset > t->entries[i].offset) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = (uint8_t)i;
    }
}

static void fpy_part_check_overlaps(fpy_part_vctx *v)
{
    const fpy_part_table *t = v->t;
    uint8_t order[FPY_PART_MAX_ENTRIES];
    uint64_t first = (uint64_t)fpy_part_table_offset(v->o) + FPY_PART_SECTOR;
    fpy_part_sort(t, order);
    for (uint32_t k = 0; k < t->count; k++) {
        const fpy_part_entry *e = &t->entries[order[k]];
        if (e->offset < first && !fpy_part_is_primary(v->o, e->type, e->subtype))
            fpy_part_report(v, &FPY_PART_ERR(.what = "partition starts before the end of the "
                                                     "partition table's sector (only the "
                                                     "primary bootloader and table may)",
                                             .field = "offset", .err = FPY_ERR_RANGE,
                                             .index = order[k], .foff = FPY_PART_OFF_OFFSET,
                                             .rule = FPY_PART_RULE_GEN, .has_values = 1,
                                             .expected = first, .found = e->offset));
        if (k == 0)
            continue;
        const fpy_part_entry *p = &t->entries[order[k - 1]];
        uint64_t pend = (uint64_t)p->offset + p->size;
        if (e->offset < pend)
            fpy_part_report(v, &FPY_PART_ERR(.what = "partition overlaps another one",
                                             .field = "offset", .err = FPY_ERR_CORRUPT,
                                             .index = order[k], .foff = FPY_PART_OFF_OFFSET,
                                             .other1 = order[k - 1] + 1u, .rule = FPY_PART_RULE_GEN,
                                             .has_values = 1, .expected = pend,
                                             .found = e->offset));
    }
}

/* At most one data partition of subtype `kw`, exactly 0x2000 bytes: the
 * rule for otadata ("ota"), and from ESP-IDF 5.5 for the TEE's ("tee_ota"). */
static void fpy_part_check_otadata(fpy_part_vctx *v, const char *kw, const char *second,
                                   const char *size)
{
    const fpy_part_table *t = v->t;
    uint32_t n = 0, first = 0;
    for (uint32_t i = 0; i < t->count; i++) {
        const fpy_part_entry *e = &t->entries[i];
        if (!fpy_part_is_data(v, e, kw))
            continue;
        if (n++ == 0) {
            first = i;
            continue;
        }
        fpy_part_report(v, &FPY_PART_ERR(.what = second, .field = "subtype",
                                         .err = FPY_ERR_EXISTS, .index = i,
                                         .foff = FPY_PART_OFF_SUBTYPE, .other1 = first + 1,
                                         .rule = FPY_PART_RULE_GEN));
    }
    const fpy_part_entry *e = &t->entries[first];
    if (n == 1 && e->size != FPY_PART_OTADATA_SIZE)
        fpy_part_report(v, &FPY_PART_ERR(.what = size, .field = "size", .err = FPY_ERR_INVAL,
                                         .index = first, .foff = FPY_PART_OFF_SIZE,
                                         .rule = FPY_PART_RULE_GEN, .has_values = 1,
                                         .expected = FPY_PART_OTADATA_SIZE, .found = e->size));
}

static void fpy_part_check_md5(fpy_part_vctx *v, int verify)
{
    const fpy_part_table *t = v->t;
    if (!t->has_md5 && verify)
        fpy_part_report(v, &FPY_PART_WARN(.what = "no MD5 entry: apps built with "
                                                  "CONFIG_PARTITION_TABLE_MD5 (the default) "
                                                  "refuse the table",
                                          .field = "md5", .err = FPY_ERR_NOTFOUND,
                                          .index = FPY_PART_NO_OTHER, .rule = FPY_PART_RULE_APP));
    else if (t->has_md5 && t->count > FPY_PART_MAX_ENTRIES_MD5)
        fpy_part_report(v, &FPY_PART_ERR(.what = "too many partitions to add the MD5 entry",
                                         .field = "count", .err = FPY_ERR_NOSPC,
                                         .index = FPY_PART_NO_OTHER, .rule = FPY_PART_RULE_GEN,
                                         .has_values = 1, .expected = FPY_PART_MAX_ENTRIES_MD5,
                                         .found = t->count));
}

static void fpy_part_check_quirks(fpy_part_vctx *v)
{
    const fpy_part_table *t = v->t;
    fpy_part_finding f = FPY_PART_WARN(.field = "magic", .err = FPY_ERR_CORRUPT,
                                       .index = FPY_PART_NO_OTHER, .rule = FPY_PART_RULE_GEN);
    if (t->quirks & FPY_PART_Q_MD5_PAD) {
        f.what = "MD5 entry bytes 2..15 are not FF";
        f.foff = 2; /* the MD5 entry sits right after the partitions */
        fpy_part_report(v, &f);
    }
    if (t->quirks & FPY_PART_Q_END_SHORT) {
        f.what = "end marker is not 32 bytes of FF (the bootloader accepts it, "
                 "gen_esp32part does not)";
        f.foff = (t->end_slot - t->count) * FPY_PART_ENTRY_SIZE;
        fpy_part_report(v, &f);
    }
    if (t->quirks & FPY_PART_Q_TAIL) {
        f.what = "bytes after the end marker are not FF";
        f.field = "padding";
        f.foff = (t->end_slot + 1 - t->count) * FPY_PART_ENTRY_SIZE;
        fpy_part_report(v, &f);
    }
}

int fpy_part_validate(const fpy_part_table *t, const fpy_part_opts *o,
                      fpy_part_issue *issues, size_t cap, size_t *count,
                      fpy_diag *d)
{
    fpy_part_vctx v = {t, o, issues, cap, 0, FPY_OK, d};
    if (count != NULL)
        *count = 0;
    if (t->count > FPY_PART_MAX_ENTRIES) /* not a table any function here made */
        return fpy_diag_val(d, FPY_ERR_INVAL, "entry count larger than the table", "count", 0,
                            FPY_PART_MAX_ENTRIES, t->count);
    int verify = o == NULL || !o->no_verify;
    if (verify) {
        for (uint32_t i = 0; i < t->count; i++)
            fpy_part_check_entry(&v, i);
        fpy_part_check_names(&v);
        fpy_part_check_overlaps(&v);
        fpy_part_check_otadata(&v, "ota", "second data/ota (otadata) partition",
                               "otadata must be exactly 0x2000 bytes");
        fpy_part_check_otadata(&v, "tee_ota",
                               "second data/tee_ota (TEE otadata) partition",
                               "TEE otadata must be exactly 0x2000 bytes");
    }
    for (uint32_t i = 0; i < t->count; i++)
        fpy_part_check_flash(&v, i);
    fpy_part_check_md5(&v, verify);
    if (verify)
        fpy_part_check_quirks(&v);
    if (count != NULL)
        *count = v.n;
    return v.first_err;
}
