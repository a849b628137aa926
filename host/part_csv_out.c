/*
 * Writing CSV exactly as gen_esp32part's to_csv() (v5.5.1) does, so that
 * `fipytool partition to-csv` and `gen_esp32part.py table.bin` print the
 * same bytes; and the warnings about labels that CSV cannot carry.
 */
#include "part_csv.h"

#include <string.h>

#include "pytext.h"

typedef struct fpy_part_out {
    char *buf;
    size_t cap;
    size_t n;
    int full; /* a write did not fit */
} fpy_part_out;

static void fpy_part_put(fpy_part_out *o, const char *s, size_t n)
{
    if (o->full || n > o->cap - o->n) {
        o->full = 1;
        return;
    }
    memcpy(o->buf + o->n, s, n);
    o->n += n;
}

static void fpy_part_puts(fpy_part_out *o, const char *s)
{
    fpy_part_put(o, s, strlen(s));
}

static void fpy_part_putc(fpy_part_out *o, char c)
{
    fpy_part_put(o, &c, 1);
}

/* "%d" / "%x" of an unsigned value. */
static void fpy_part_put_num(fpy_part_out *o, uint32_t v, uint32_t base)
{
    static const char digits[] = "0123456789abcdef";
    char tmp[10];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = digits[v % base];
        v /= base;
    } while (v != 0);
    fpy_part_put(o, tmp + i, sizeof tmp - i);
}

static void fpy_part_put_hex(fpy_part_out *o, uint32_t v)
{
    fpy_part_puts(o, "0x");
    fpy_part_put_num(o, v, 16);
}

/* Sizes: whole MiB as "<n>M", else whole KiB as "<n>K", else 0x hex
 * (so 0 prints as "0M"). */
static void fpy_part_put_size(fpy_part_out *o, uint32_t v)
{
    if (v % 0x100000u == 0) {
        fpy_part_put_num(o, v / 0x100000u, 10);
        fpy_part_putc(o, 'M');
    } else if (v % 0x400u == 0) {
        fpy_part_put_num(o, v / 0x400u, 10);
        fpy_part_putc(o, 'K');
    } else {
        fpy_part_put_hex(o, v);
    }
}

static void fpy_part_put_kw(fpy_part_out *o, const char *kw, uint8_t v)
{
    if (kw != NULL)
        fpy_part_puts(o, kw);
    else
        fpy_part_put_num(o, v, 10);
}

/* Known flags in gen_esp32part's FLAGS order, joined by ':'; unknown
 * bits have no CSV spelling and are dropped, as the tool drops them. */
static void fpy_part_put_flags(fpy_part_out *o, uint32_t flags)
{
    if (flags & FPY_PART_FLAG_ENCRYPTED)
        fpy_part_puts(o, "encrypted");
    if ((flags & FPY_PART_FLAG_ENCRYPTED) && (flags & FPY_PART_FLAG_READONLY))
        fpy_part_putc(o, ':');
    if (flags & FPY_PART_FLAG_READONLY)
        fpy_part_puts(o, "readonly");
}

static void fpy_part_put_entry(fpy_part_out *o, const fpy_part_opts *opts,
                               const fpy_part_entry *e)
{
    fpy_part_puts(o, e->label); /* the name up to its first NUL */
    fpy_part_putc(o, ',');
    fpy_part_put_kw(o, fpy_part_type_keyword(e->type), e->type);
    fpy_part_putc(o, ',');
    fpy_part_put_kw(o, fpy_part_subtype_keyword(opts, e->type, e->subtype), e->subtype);
    fpy_part_putc(o, ',');
    fpy_part_put_hex(o, e->offset);
    fpy_part_putc(o, ',');
    fpy_part_put_size(o, e->size);
    fpy_part_putc(o, ',');
    fpy_part_put_flags(o, e->flags);
    fpy_part_putc(o, '\n');
}

int fpy_part_to_csv(const fpy_part_table *t, const fpy_part_opts *opts, char *out,
                    size_t cap, size_t *len)
{
    fpy_part_out o = {out, cap, 0, 0};
    fpy_part_puts(&o, "# ESP-IDF Partition Table\n"
                      "# Name, Type, SubType, Offset, Size, Flags\n");
    for (uint32_t i = 0; i < t->count && i < FPY_PART_MAX_ENTRIES; i++)
        fpy_part_put_entry(&o, opts, &t->entries[i]);
    *len = o.n;
    return o.full ? FPY_ERR_NOSPC : FPY_OK;
}

/* ---- what CSV cannot carry ------------------------------------------------ */

static int fpy_part_is_word(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_';
}

/* Would the name be read back unchanged from a to_csv line?  Not if it
 * holds a comma, starts with '#', has whitespace at either end (stripped),
 * a line break, or a '$' reference (expanded). */
static int fpy_part_csv_safe(const char *label)
{
    const uint8_t *s = (const uint8_t *)label;
    size_t n = strlen(label), off = 0, k = n;
    fpy_py_strip(s, &off, &k, FPY_PY_STR);
    if (off != 0 || k != n || (n > 0 && s[0] == '#') || memchr(s, ',', n) != NULL)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (fpy_py_linebreak_len(s + i, n - i) != 0)
            return 0;
        if (s[i] == '$' && i + 1 < n && (s[i + 1] == '{' || fpy_part_is_word(s[i + 1])))
            return 0;
    }
    return 1;
}

static int fpy_part_label_tail_clean(const fpy_part_entry *e)
{
    for (size_t i = strlen(e->label); i < FPY_PART_LABEL_LEN; i++)
        if (e->label[i] != '\0')
            return 0;
    return 1;
}

static void fpy_part_warn_label(const fpy_part_table *t, uint32_t i, const char *what,
                                uint8_t rule, fpy_part_issue *issues, size_t cap,
                                size_t *count)
{
    fpy_part_issue is;
    fpy_part_issue_at(t, i, FPY_PART_OFF_LABEL, what, "label", FPY_ERR_INVAL,
                      FPY_PART_WARNING, rule, &is);
    fpy_part_issue_push(issues, cap, count, &is);
}

static void fpy_part_check_label(const fpy_part_table *t, uint32_t i, fpy_part_issue *issues,
                                 size_t cap, size_t *count)
{
    const fpy_part_entry *e = &t->entries[i];
    if (e->name_cut)
        fpy_part_warn_label(t, i, "name longer than 16 bytes, cut to 16 (as gen_esp32part does)",
                            FPY_PART_RULE_FIPY, issues, cap, count);
    if (!fpy_py_utf8_valid((const uint8_t *)e->label, strlen(e->label)))
        fpy_part_warn_label(t, i,
                            "label is not valid UTF-8 (gen_esp32part cannot read the table back)",
                            FPY_PART_RULE_GEN, issues, cap, count);
    if (!fpy_part_label_tail_clean(e))
        fpy_part_warn_label(t, i, "label has non-zero bytes after its NUL (lost in CSV)",
                            FPY_PART_RULE_FIPY, issues, cap, count);
    if (!fpy_part_csv_safe(e->label))
        fpy_part_warn_label(t, i, "label cannot be written to CSV and read back unchanged",
                            FPY_PART_RULE_FIPY, issues, cap, count);
}

int fpy_part_check(const fpy_part_table *t, const fpy_part_opts *o,
                   fpy_part_issue *issues, size_t cap, size_t *count,
                   fpy_diag *d)
{
    size_t n = 0;
    int rc = fpy_part_validate(t, o, issues, cap, &n, d);
    if (t->count <= FPY_PART_MAX_ENTRIES && (o == NULL || !o->no_verify))
        for (uint32_t i = 0; i < t->count; i++)
            fpy_part_check_label(t, i, issues, cap, &n);
    if (count != NULL)
        *count = n;
    return rc;
}
