/*
 * Reading gen_esp32part CSV (ESP-IDF v5.5.1 from_csv semantics).
 *
 * Three passes over the caller's text, none of which copies it:
 *   0. the whole text must be UTF-8 (Python decodes the file first; a
 *      UTF-8 byte order mark is skipped, as its 'utf-8-sig' codec does);
 *   1. each line is split into fields and parsed (syntax errors, in
 *      line order, before any placement error, as the tool reports them);
 *   2. the same lines are parsed again and placed: automatic offsets,
 *      negative sizes, ascending explicit offsets.
 * Parsing twice costs a little time and saves a per-row scratch array.
 */
#include "part_csv.h"

#include <string.h>

#include "pytext.h"

#define FPY_PART_NFIELDS 6u
#define FPY_PART_AUTO_OFFSET (-1)

typedef struct fpy_part_span {
    size_t off;
    size_t len;
} fpy_part_span;

/* One data line, parsed but not yet placed. */
typedef struct fpy_part_row {
    fpy_part_span name;
    uint32_t type;
    uint32_t subtype;
    uint32_t flags;
    int has_offset;
    int64_t offset;
    int64_t size; /* negative: "ends at -size" */
} fpy_part_row;

/* The parsing context of one line: the text, the options (keywords,
 * bootloader offsets), and where we are, for diagnostics. */
typedef struct fpy_part_lctx {
    const uint8_t *s;
    const fpy_part_opts *o;
    uint32_t line;
    uint32_t index; /* row number, the future entry index */
    fpy_diag *d;
} fpy_part_lctx;

/* A diag for text input: line instead of offset, with values; index
 * FPY_PART_NO_OTHER when the problem is not in one entry. */
static int fpy_part_diag_line_val(fpy_diag *d, int err, const char *what, const char *field,
                                  uint32_t line, uint32_t index, uint64_t expected,
                                  uint64_t found)
{
    fpy_diag_val(d, err, what, field, 0, expected, found);
    if (d != NULL) {
        d->has_offset = 0;
        d->line = line;
    }
    if (index != FPY_PART_NO_OTHER)
        fpy_diag_index(d, index);
    return err;
}

static int fpy_part_diag_line(fpy_diag *d, int err, const char *what, const char *field,
                              uint32_t line, uint32_t index)
{
    fpy_diag_line(d, err, what, field, line);
    if (index != FPY_PART_NO_OTHER)
        fpy_diag_index(d, index);
    return err;
}

static int fpy_part_err(const fpy_part_lctx *c, int err, const char *what,
                        const char *field)
{
    return fpy_part_diag_line(c->d, err, what, field, c->line, c->index);
}

/* ---- lines ------------------------------------------------------------- */

/*
 * The line starting at *pos: its content [*pos, end) and the position
 * after its line break.  Validates UTF-8 on the way; returns 0, or -1 at
 * an invalid byte.
 */
static int fpy_part_line(const uint8_t *s, size_t len, size_t *pos,
                         fpy_part_span *content)
{
    size_t i = *pos;
    content->off = i;
    while (i < len) {
        size_t br = fpy_py_linebreak_len(s + i, len - i);
        if (br != 0) {
            content->len = i - content->off;
            *pos = i + br;
            return 0;
        }
        size_t ch = fpy_py_utf8_len(s + i, len - i);
        if (ch == 0)
            return -1;
        i += ch;
    }
    content->len = i - content->off;
    *pos = i;
    return 0;
}

/* Where the text starts: after a UTF-8 byte order mark, which
 * gen_esp32part 5.5 skips.  The UTF-16 and UTF-32 ones it also reads are
 * refused (FF FE also starts UTF-32 LE). */
static int fpy_part_text_start(const uint8_t *s, size_t len, size_t *start, fpy_diag *d)
{
    *start = 0;
    if (len >= 3 && s[0] == 0xEFu && s[1] == 0xBBu && s[2] == 0xBFu)
        *start = 3;
    else if ((len >= 2 && ((s[0] == 0xFFu && s[1] == 0xFEu) || (s[0] == 0xFEu && s[1] == 0xFFu))) ||
             (len >= 4 && s[0] == 0 && s[1] == 0 && s[2] == 0xFEu && s[3] == 0xFFu))
        return fpy_part_diag_line(d, FPY_ERR_UNSUPPORTED,
                                  "UTF-16 or UTF-32 text: save the CSV as UTF-8", "text", 1,
                                  FPY_PART_NO_OTHER);
    return FPY_OK;
}

static int fpy_part_check_utf8(const uint8_t *s, size_t len, size_t pos, fpy_diag *d)
{
    uint32_t line = 0;
    fpy_part_span sp;
    while (pos < len) {
        line++;
        if (fpy_part_line(s, len, &pos, &sp) != 0)
            return fpy_part_diag_line(d, FPY_ERR_CORRUPT, "invalid UTF-8", "text", line,
                                      FPY_PART_NO_OTHER);
    }
    return FPY_OK;
}

/* Comment or blank once stripped: gen_esp32part skips it. */
static int fpy_part_skip_line(const uint8_t *s, fpy_part_span *ln)
{
    fpy_py_strip(s, &ln->off, &ln->len, FPY_PY_STR);
    return ln->len == 0 || s[ln->off] == '#';
}

static int fpy_part_is_word(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_';
}

/* A reference os.path.expandvars() would expand: $word or ${...}. */
static int fpy_part_has_var(const uint8_t *s, fpy_part_span ln)
{
    const uint8_t *p = s + ln.off;
    for (size_t i = 0; i + 1 < ln.len; i++) {
        if (p[i] != '$')
            continue;
        if (fpy_part_is_word(p[i + 1]))
            return 1;
        if (p[i + 1] == '{' && memchr(p + i + 2, '}', ln.len - i - 2) != NULL)
            return 1;
    }
    return 0;
}

/* ---- fields -------------------------------------------------------------- */

/* Split on ',' with no quoting; missing fields are empty, extra ones are
 * ignored; each field is stripped. */
static void fpy_part_fields(const uint8_t *s, fpy_part_span ln,
                            fpy_part_span f[FPY_PART_NFIELDS])
{
    size_t pos = ln.off, end = ln.off + ln.len;
    for (unsigned k = 0; k < FPY_PART_NFIELDS; k++) {
        f[k].off = pos;
        while (pos < end && s[pos] != ',')
            pos++;
        f[k].len = pos - f[k].off;
        fpy_py_strip(s, &f[k].off, &f[k].len, FPY_PY_STR);
        if (pos < end)
            pos++; /* past the comma */
    }
}

/* Which keywords a number field accepts. */
typedef enum fpy_part_kwset {
    FPY_PART_KW_NONE,
    FPY_PART_KW_TYPE,
    FPY_PART_KW_SUBTYPE
} fpy_part_kwset;

/* parse_int's keywords[v.lower()]. */
static int fpy_part_kw(const fpy_part_lctx *c, fpy_part_kwset set, uint8_t type, const char *s,
                       size_t n, uint32_t *v)
{
    if (set == FPY_PART_KW_TYPE)
        return fpy_part_kw_type(s, n, 1, v);
    if (set == FPY_PART_KW_SUBTYPE)
        return fpy_part_kw_subtype(c->o, type, s, n, 1, v);
    return 0;
}

/* The suffix rule: each trailing k/K multiplies by 1024 and each m/M by
 * 1024^2 (parse_int applies them one by one, recursively).  Returns the
 * total power of 1024, capped: past 4 anything non-zero is too big. */
static unsigned fpy_part_suffixes(const uint8_t *s, size_t *n)
{
    unsigned pow = 0;
    while (*n > 0) {
        uint8_t c = s[*n - 1];
        if (c == 'k' || c == 'K')
            pow += 1;
        else if (c == 'm' || c == 'M')
            pow += 2;
        else
            break;
        (*n)--;
        if (pow > 5)
            pow = 5;
    }
    return pow;
}

/* Magnitudes past this fit no field; below it every product is exact. */
#define FPY_PART_NUM_MAX ((uint64_t)1 << 40)

static int fpy_part_scale(const fpy_py_intval *v, unsigned pow, int64_t *out)
{
    if (v->mag == 0) {
        *out = 0; /* 0 x anything: Python's ints do not overflow */
        return 1;
    }
    if (v->big || pow > 4 || v->mag > (FPY_PART_NUM_MAX >> (10u * pow)))
        return 0;
    int64_t m = (int64_t)(v->mag << (10u * pow));
    *out = v->neg ? -m : m;
    return 1;
}

/* gen_esp32part's parse_int(): suffixes, then int(s, 0), then keywords. */
static int fpy_part_number(const fpy_part_lctx *c, fpy_part_span f, fpy_part_kwset set,
                           uint8_t type, const char *field, int64_t *out)
{
    const uint8_t *s = c->s + f.off;
    size_t n = f.len;
    unsigned pow = fpy_part_suffixes(s, &n);
    fpy_py_intval v;
    uint32_t kv = 0;
    if (fpy_py_int(s, n, 0, FPY_PY_INT, &v)) {
        if (!fpy_part_scale(&v, pow, out))
            return fpy_part_err(c, FPY_ERR_RANGE, "number too large", field);
        return FPY_OK;
    }
    if (fpy_part_kw(c, set, type, (const char *)s, n, &kv)) {
        /* "appk" is 0 x 1024 = app: parse_int allows it, so do we. */
        fpy_py_intval k = {kv, 0, 0, 0};
        if (!fpy_part_scale(&k, pow, out))
            return fpy_part_err(c, FPY_ERR_RANGE, "number too large", field);
        return FPY_OK;
    }
    if (v.leading_zero)
        return fpy_part_err(c, FPY_ERR_CORRUPT,
                            "decimal number with a leading zero (write 0x.. or drop the 0)",
                            field);
    if (set == FPY_PART_KW_NONE)
        return fpy_part_err(c, FPY_ERR_CORRUPT,
                            "not a number (decimal, 0x, 0o or 0b, optional K or M suffix)",
                            field);
    return fpy_part_err(c, FPY_ERR_CORRUPT, "neither a number nor a known keyword", field);
}

static int fpy_part_byte(const fpy_part_lctx *c, fpy_part_span f, fpy_part_kwset set,
                         uint8_t type, const char *field, uint32_t *out)
{
    int64_t v = 0;
    FPY_TRY(fpy_part_number(c, f, set, type, field, &v));
    if (v < 0)
        return fpy_part_err(c, FPY_ERR_RANGE, "negative value", field);
    if (v > 0xFF)
        return fpy_part_diag_line_val(c->d, FPY_ERR_RANGE, "value does not fit in a byte",
                                      field, c->line, c->index, 0xFF, (uint64_t)v);
    *out = (uint32_t)v;
    return FPY_OK;
}

static int fpy_part_subtype(const fpy_part_lctx *c, fpy_part_span f, fpy_part_row *r)
{
    if (f.len != 0)
        return fpy_part_byte(c, f, FPY_PART_KW_SUBTYPE, (uint8_t)r->type, "subtype",
                             &r->subtype);
    if (r->type == FPY_PTYPE_APP)
        return fpy_part_err(c, FPY_ERR_CORRUPT, "an app partition needs a subtype",
                            "subtype");
    /* data "undefined", for every other type too */
    if (!fpy_part_kw_subtype(c->o, FPY_PTYPE_DATA, "undefined", 9, 0, &r->subtype))
        r->subtype = FPY_PART_SUB_DATA_UNDEFINED;
    return FPY_OK;
}

/* Flags: words joined by ':', exact and case-sensitive; empty words are
 * ignored ("encrypted::readonly" is fine, "Encrypted" is not). */
static int fpy_part_flags(const fpy_part_lctx *c, fpy_part_span f, uint32_t *flags)
{
    const uint8_t *s = c->s + f.off;
    size_t i = 0;
    *flags = 0;
    while (i <= f.len) {
        size_t j = i;
        while (j < f.len && s[j] != ':')
            j++;
        size_t n = j - i;
        if (n == 9 && memcmp(s + i, "encrypted", 9) == 0)
            *flags |= FPY_PART_FLAG_ENCRYPTED;
        else if (n == 8 && memcmp(s + i, "readonly", 8) == 0)
            *flags |= FPY_PART_FLAG_READONLY;
        else if (n != 0)
            return fpy_part_err(c, FPY_ERR_CORRUPT,
                                "unknown flag (known: encrypted, readonly, joined by ':')",
                                "flags");
        i = j + 1;
    }
    return FPY_OK;
}

static int fpy_part_address(const fpy_part_lctx *c, fpy_part_span f, const char *field,
                            int64_t *v, int *present)
{
    *present = f.len != 0;
    if (!*present)
        return FPY_OK;
    return fpy_part_number(c, f, FPY_PART_KW_NONE, 0, field, v);
}

/* An offset that comes from an option rather than the CSV field. */
static int fpy_part_opt_offset(const fpy_part_lctx *c, int given, uint32_t value,
                               const char *missing, fpy_part_row *r)
{
    if (!given)
        return fpy_part_err(c, FPY_ERR_INVAL, missing, "offset");
    r->has_offset = 1;
    r->offset = value;
    return FPY_OK;
}

/* The offset field.  gen_esp32part 5.5 takes the primary and recovery
 * bootloaders' offsets from its options and the primary table's from
 * --offset, without reading the field. */
static int fpy_part_row_offset(const fpy_part_lctx *c, fpy_part_span f, fpy_part_row *r)
{
    const fpy_part_opts *o = c->o;
    uint8_t type = (uint8_t)r->type, sub = (uint8_t)r->subtype;
    if (type == FPY_PART_TYPE_BOOTLOADER && fpy_part_subtype_is(o, type, sub, "primary"))
        return fpy_part_opt_offset(c, o != NULL && o->has_primary_bootloader,
                                   o != NULL ? o->primary_bootloader : 0,
                                   "a primary bootloader entry needs "
                                   "--primary-bootloader-offset", r);
    if (type == FPY_PART_TYPE_BOOTLOADER && fpy_part_subtype_is(o, type, sub, "recovery"))
        return fpy_part_opt_offset(c, o != NULL && o->has_recovery_bootloader,
                                   o != NULL ? o->recovery_bootloader : 0,
                                   "a recovery bootloader entry needs "
                                   "--recovery-bootloader-offset", r);
    if (type == FPY_PART_TYPE_PARTITION_TABLE && fpy_part_subtype_is(o, type, sub, "primary"))
        return fpy_part_opt_offset(c, 1, fpy_part_table_offset(o), NULL, r);
    return fpy_part_address(c, f, "offset", &r->offset, &r->has_offset);
}

/* The size field.  A bootloader entry spans from the primary bootloader to
 * the table, a partition_table entry one sector; the field is not read. */
static int fpy_part_row_size(const fpy_part_lctx *c, fpy_part_span f, fpy_part_row *r)
{
    const fpy_part_opts *o = c->o;
    int has_size = 0;
    if (r->type == FPY_PART_TYPE_BOOTLOADER) {
        if (o == NULL || !o->has_primary_bootloader)
            return fpy_part_err(c, FPY_ERR_INVAL, "a bootloader entry's size is the table "
                                                  "offset minus --primary-bootloader-offset: "
                                                  "give it", "size");
        r->size = (int64_t)fpy_part_table_offset(o) - o->primary_bootloader;
        return FPY_OK;
    }
    if (r->type == FPY_PART_TYPE_PARTITION_TABLE) {
        r->size = FPY_PART_SECTOR;
        return FPY_OK;
    }
    FPY_TRY(fpy_part_address(c, f, "size", &r->size, &has_size));
    if (!has_size)
        return fpy_part_err(c, FPY_ERR_CORRUPT, "size is empty", "size");
    return FPY_OK;
}

/* Parse one data line (already stripped) in gen_esp32part's field order. */
static int fpy_part_row_parse(const fpy_part_lctx *c, fpy_part_span ln, fpy_part_row *r)
{
    fpy_part_span f[FPY_PART_NFIELDS];
    if (fpy_part_has_var(c->s, ln))
        return fpy_part_err(c, FPY_ERR_UNSUPPORTED,
                            "environment variable reference ($NAME): fipy does not expand "
                            "variables; write the value",
                            "text");
    if (memchr(c->s + ln.off, 0, ln.len) != NULL)
        return fpy_part_err(c, FPY_ERR_CORRUPT, "NUL byte in a partition line", "text");
    memset(r, 0, sizeof *r);
    fpy_part_fields(c->s, ln, f);
    r->name = f[0];
    if (f[1].len == 0)
        return fpy_part_err(c, FPY_ERR_CORRUPT, "type is empty", "type");
    FPY_TRY(fpy_part_byte(c, f[1], FPY_PART_KW_TYPE, 0, "type", &r->type));
    FPY_TRY(fpy_part_subtype(c, f[2], r));
    FPY_TRY(fpy_part_row_offset(c, f[3], r));
    FPY_TRY(fpy_part_row_size(c, f[4], r));
    FPY_TRY(fpy_part_flags(c, f[5], &r->flags));
    if (r->has_offset && r->offset < 0)
        return fpy_part_err(c, FPY_ERR_RANGE, "offset is negative", "offset");
    return FPY_OK;
}

/* ---- placement ------------------------------------------------------------- */

/* Where automatic placement stands: the end of the last placed partition. */
typedef struct fpy_part_placer {
    int64_t last_end;
    uint32_t placed;
} fpy_part_placer;

static int fpy_part_place(const fpy_part_lctx *c, const fpy_part_row *r, fpy_part_placer *pl,
                          fpy_part_entry *e)
{
    int64_t off = r->offset, size = r->size;
    if (fpy_part_is_primary(c->o, (uint8_t)r->type, (uint8_t)r->subtype)) {
        e->offset = (uint32_t)off; /* from the options; not placed */
        e->size = (uint32_t)size;
        return FPY_OK;
    }
    if (r->has_offset && off < pl->last_end)
        return fpy_part_diag_line_val(
            c->d, FPY_ERR_CORRUPT,
            pl->placed == 0 ? "offset inside the partition table's sector"
                            : "offset below the end of the previous partition "
                              "(explicit offsets must ascend)",
            "offset", c->line, c->index, (uint64_t)pl->last_end, (uint64_t)off);
    if (!r->has_offset) {
        int64_t a = r->type == FPY_PTYPE_APP ? FPY_PART_APP_ALIGN : FPY_PART_DATA_ALIGN;
        off = (pl->last_end + a - 1) / a * a;
    }
    if (size < 0)
        size = -size - off; /* "-X": the partition ends at X */
    if (off > (int64_t)UINT32_MAX)
        return fpy_part_diag_line_val(c->d, FPY_ERR_RANGE, "offset does not fit 32 bits",
                                      "offset", c->line, c->index, UINT32_MAX, (uint64_t)off);
    if (size < 0)
        return fpy_part_diag_line_val(c->d, FPY_ERR_RANGE,
                                      "negative size ends before the partition starts", "size",
                                      c->line, c->index, (uint64_t)off, (uint64_t)(-r->size));
    if (size > (int64_t)UINT32_MAX)
        return fpy_part_diag_line_val(c->d, FPY_ERR_RANGE, "size does not fit 32 bits", "size",
                                      c->line, c->index, UINT32_MAX, (uint64_t)size);
    e->offset = (uint32_t)off;
    e->size = (uint32_t)size;
    pl->last_end = off + size;
    pl->placed++;
    return FPY_OK;
}

static void fpy_part_fill(const uint8_t *s, const fpy_part_row *r, uint32_t line,
                          fpy_part_entry *e)
{
    size_t n = r->name.len < FPY_PART_LABEL_LEN ? r->name.len : FPY_PART_LABEL_LEN;
    memset(e, 0, sizeof *e);
    /* gen_esp32part packs the name with '16s': cut silently at 16 bytes. */
    memcpy(e->label, s + r->name.off, n);
    e->name_cut = r->name.len > FPY_PART_LABEL_LEN;
    e->type = (uint8_t)r->type;
    e->subtype = (uint8_t)r->subtype;
    e->flags = r->flags;
    e->line = line;
}

/* ---- the passes --------------------------------------------------------------- */

typedef struct fpy_part_pass {
    const uint8_t *s;
    size_t len;
    size_t pos; /* starts after a byte order mark */
    uint32_t line;
    const fpy_part_opts *o;
} fpy_part_pass;

/* Next data line (comments and blanks skipped); 0 at the end.  The text
 * was checked by fpy_part_check_utf8, so fpy_part_line cannot fail. */
static int fpy_part_next(fpy_part_pass *p, fpy_part_span *ln)
{
    while (p->pos < p->len) {
        p->line++;
        (void)fpy_part_line(p->s, p->len, &p->pos, ln);
        if (!fpy_part_skip_line(p->s, ln))
            return 1;
    }
    return 0;
}

static int fpy_part_check_rows(fpy_part_pass p, fpy_diag *d)
{
    fpy_part_span ln;
    fpy_part_row r;
    uint32_t rows = 0, extra_line = 0;
    while (fpy_part_next(&p, &ln)) {
        fpy_part_lctx c = {p.s, p.o, p.line, rows, d};
        FPY_TRY(fpy_part_row_parse(&c, ln, &r));
        if (rows == FPY_PART_MAX_ENTRIES)
            extra_line = p.line;
        rows++;
    }
    if (rows > FPY_PART_MAX_ENTRIES)
        return fpy_part_diag_line_val(d, FPY_ERR_NOSPC, "more partitions than a table holds",
                                      "count", extra_line, FPY_PART_MAX_ENTRIES,
                                      FPY_PART_MAX_ENTRIES, rows);
    return FPY_OK;
}

static int fpy_part_place_rows(fpy_part_pass p, fpy_part_table *t, fpy_diag *d)
{
    fpy_part_span ln;
    fpy_part_row r;
    fpy_part_placer pl = {(int64_t)fpy_part_table_offset(p.o) + FPY_PART_SECTOR, 0};
    while (fpy_part_next(&p, &ln) && t->count < FPY_PART_MAX_ENTRIES) {
        fpy_part_lctx c = {p.s, p.o, p.line, t->count, d};
        FPY_TRY(fpy_part_row_parse(&c, ln, &r));
        fpy_part_entry *e = &t->entries[t->count];
        fpy_part_fill(p.s, &r, p.line, e);
        FPY_TRY(fpy_part_place(&c, &r, &pl, e));
        t->count++;
    }
    return FPY_OK;
}

int fpy_part_from_csv(const char *text, size_t len, const fpy_part_opts *o,
                      fpy_part_table *t, fpy_diag *d)
{
    const uint8_t *s = (const uint8_t *)text;
    fpy_part_pass p = {s, len, 0, 0, o};
    memset(t, 0, sizeof *t);
    t->has_md5 = (o == NULL || !o->no_md5) ? 1 : 0;
    FPY_TRY(fpy_part_opts_check(o, d));
    FPY_TRY(fpy_part_text_start(s, len, &p.pos, d));
    FPY_TRY(fpy_part_check_utf8(s, len, p.pos, d));
    FPY_TRY(fpy_part_check_rows(p, d));
    return fpy_part_place_rows(p, t, d);
}

/* ---- --extra-partition-subtypes ------------------------------------------------ */

static int fpy_part_extra_err(fpy_diag *d, const char *what, const char *field)
{
    return fpy_part_diag_line(d, FPY_ERR_INVAL, what, field, 0, FPY_PART_NO_OTHER);
}

static int fpy_part_extra_name(const uint8_t *s, fpy_part_span f, fpy_part_extra *x,
                               fpy_diag *d)
{
    if (f.len == 0 || f.len > FPY_PART_KW_MAX)
        return fpy_part_extra_err(d, "the name must have 1 to 32 characters", "name");
    for (size_t i = 0; i < f.len; i++)
        if (!fpy_part_is_word(s[f.off + i]))
            return fpy_part_extra_err(d, "the name must be letters, digits and '_'", "name");
    memcpy(x->name, s + f.off, f.len);
    x->name[f.len] = '\0';
    return FPY_OK;
}

int fpy_part_extra_parse(const char *text, size_t len, fpy_part_extra *x, fpy_diag *d)
{
    const uint8_t *s = (const uint8_t *)text;
    fpy_part_span f[FPY_PART_NFIELDS], all = {0, len};
    fpy_py_intval v;
    uint32_t type = 0;
    size_t commas = 0;
    memset(x, 0, sizeof *x);
    for (size_t i = 0; i < len; i++)
        commas += s[i] == ',';
    if (commas < 2)
        return fpy_part_extra_err(d, "not TYPE,NAME,VALUE", "text");
    fpy_part_fields(s, all, f);
    if (!fpy_part_kw_type(text + f[0].off, f[0].len, 0, &type))
        return fpy_part_extra_err(d, "the type must be app, data, bootloader or "
                                     "partition_table", "type");
    x->type = (uint8_t)type;
    FPY_TRY(fpy_part_extra_name(s, f[1], x, d));
    if (!fpy_py_int(s + f[2].off, f[2].len, 16, FPY_PY_INT, &v) || v.big ||
        (v.neg && v.mag != 0) || v.mag > 0xFF)
        return fpy_part_extra_err(d, "the value must be a hex number from 0 to ff", "value");
    x->subtype = (uint8_t)v.mag;
    return FPY_OK;
}
