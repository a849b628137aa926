/*
 * Writing CSV exactly as gen_esp32part's to_csv() (v5.3.1) does, so that
 * `fipytool partition to-csv` and `gen_esp32part.py table.bin` print the
 * same bytes.
 */
#include "fipy/part.h"

#include <string.h>

#include "part_int.h"

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

static void fpy_part_put_entry(fpy_part_out *o, const fpy_part_entry *e)
{
    fpy_part_puts(o, e->label); /* the name up to its first NUL */
    fpy_part_putc(o, ',');
    fpy_part_put_kw(o, fpy_part_type_keyword(e->type), e->type);
    fpy_part_putc(o, ',');
    fpy_part_put_kw(o, fpy_part_subtype_keyword(e->type, e->subtype), e->subtype);
    fpy_part_putc(o, ',');
    fpy_part_put_hex(o, e->offset);
    fpy_part_putc(o, ',');
    fpy_part_put_size(o, e->size);
    fpy_part_putc(o, ',');
    fpy_part_put_flags(o, e->flags);
    fpy_part_putc(o, '\n');
}

int fpy_part_to_csv(const fpy_part_table *t, char *out, size_t cap,
                    size_t *len)
{
    fpy_part_out o = {out, cap, 0, 0};
    fpy_part_puts(&o, "# ESP-IDF Partition Table\n"
                      "# Name, Type, SubType, Offset, Size, Flags\n");
    for (uint32_t i = 0; i < t->count && i < FPY_PART_MAX_ENTRIES; i++)
        fpy_part_put_entry(&o, &t->entries[i]);
    *len = o.n;
    return o.full ? FPY_ERR_NOSPC : FPY_OK;
}
