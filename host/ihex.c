/*
 * Intel HEX reading (see ihex.h): records one line at a time into chunks
 * (address, length, line) and their bytes in file order; then the chunks
 * sorted by address, overlaps refused, and the bytes laid out by address
 * in regions.
 */
#include "ihex.h"

#include <stdlib.h>
#include <string.h>

#include "fipy/bytes.h"

#define FPY_IHEX_MAX_REC (5u + 255u) /* length, address (2), type, data, checksum */
#define FPY_IHEX_TOP 0x100000000ull  /* the first address past 32 bits */

/* The bytes of one data record: file bytes raw[at, at + len). */
typedef struct fpy_ihex_chunk {
    uint64_t addr;
    uint32_t len;
    uint32_t line;
    size_t at;
} fpy_ihex_chunk;

typedef struct fpy_ihex_reader {
    fpy_ihex *h;
    uint8_t *raw;    /* data bytes in file order; at most len / 2 */
    size_t nraw;
    fpy_ihex_chunk *chunk;
    size_t nchunk, cap;
    uint64_t base;   /* from the last 02 or 04 record */
} fpy_ihex_reader;

/* A diag for `line` with expected and found values (a line number, when
 * set, is what a message names instead of an offset). */
static int fpy_ihex_fail(fpy_diag *d, int err, const char *what, const char *field,
                         uint32_t line, uint64_t expected, uint64_t found)
{
    fpy_diag_val(d, err, what, field, 0, expected, found);
    if (d != NULL)
        d->line = line;
    return err;
}

int fpy_ihex_detect(const uint8_t *buf, size_t len)
{
    return len > 0 && buf[0] == ':';
}

static uint8_t fpy_hexbyte(const char *p)
{
    return (uint8_t)(fpy_hex_digit(p[0]) << 4 | fpy_hex_digit(p[1]));
}

/* The bytes of line p[0, n) (n > 0) into rec[0, *nrec), after checking
 * the shape in intelhex's order: ':', hex digits in pairs, 5 bytes at
 * least, then the length byte. */
static int fpy_ihex_decode(const char *p, size_t n, uint32_t line, uint8_t *rec,
                           size_t *nrec, fpy_diag *d)
{
    if (p[0] != ':')
        return fpy_diag_line(d, FPY_ERR_CORRUPT, "not a record: a line must start with ':'",
                             "record", line);
    for (size_t i = 1; i < n; i++)
        if (fpy_hex_digit(p[i]) < 0)
            return fpy_diag_line(d, FPY_ERR_CORRUPT,
                                 p[i] == ' ' || p[i] == '\t' ? "space or tab inside a record"
                                                             : "not a hex digit in a record",
                                 "record", line);
    size_t digits = n - 1u;
    if (digits % 2u != 0)
        return fpy_diag_line(d, FPY_ERR_CORRUPT, "odd number of hex digits", "record", line);
    if (digits / 2u < 5u)
        return fpy_ihex_fail(d, FPY_ERR_CORRUPT, "record shorter than 5 bytes", "record",
                             line, 5u, digits / 2u);
    uint8_t len = fpy_hexbyte(p + 1);
    if (digits / 2u != 5u + len)
        return fpy_ihex_fail(d, FPY_ERR_CORRUPT, "length byte does not match the data bytes",
                             "length", line, len, digits / 2u - 5u);
    *nrec = digits / 2u;
    for (size_t i = 0; i < *nrec; i++)
        rec[i] = fpy_hexbyte(p + 1 + 2 * i);
    return FPY_OK;
}

static int fpy_ihex_add_data(fpy_ihex_reader *r, const uint8_t *rec, uint32_t line,
                             fpy_diag *d)
{
    uint32_t len = rec[0];
    uint64_t addr = r->base + ((uint32_t)rec[1] << 8 | rec[2]);
    if (len == 0)
        return FPY_OK;
    if (addr + len > FPY_IHEX_TOP)
        return fpy_ihex_fail(d, FPY_ERR_RANGE, "data runs past address 0xffffffff",
                             "address", line, FPY_IHEX_TOP - len, addr);
    if (r->nchunk == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        fpy_ihex_chunk *c = realloc(r->chunk, cap * sizeof *c);
        if (c == NULL)
            return fpy_diag_line(d, FPY_ERR_NOSPC, "out of memory", NULL, line);
        r->chunk = c;
        r->cap = cap;
    }
    r->chunk[r->nchunk++] = (fpy_ihex_chunk){addr, len, line, r->nraw};
    memcpy(r->raw + r->nraw, rec + 4, len);
    r->nraw += len;
    return FPY_OK;
}

/* Records other than data: their shape, then their effect. */
static int fpy_ihex_control(fpy_ihex_reader *r, const uint8_t *rec, uint32_t line,
                            fpy_diag *d)
{
    uint8_t type = rec[3];
    uint8_t want = type == FPY_IHEX_EOF ? 0u
                   : type == FPY_IHEX_EXT_SEGMENT || type == FPY_IHEX_EXT_LINEAR ? 2u
                                                                                 : 4u;
    if (rec[0] != want)
        return fpy_ihex_fail(d, FPY_ERR_CORRUPT, "wrong length for a record of this type",
                             "length", line, want, rec[0]);
    if (rec[1] != 0 || rec[2] != 0)
        return fpy_ihex_fail(d, FPY_ERR_CORRUPT, "address field of this record type must be 0",
                             "address", line, 0, (uint32_t)rec[1] << 8 | rec[2]);
    uint32_t v = (uint32_t)rec[4] << 8 | rec[5];
    if (type == FPY_IHEX_EOF)
        r->h->has_eof = 1;
    else if (type == FPY_IHEX_EXT_SEGMENT)
        r->base = (uint64_t)v * 16u;
    else if (type == FPY_IHEX_EXT_LINEAR)
        r->base = (uint64_t)v << 16;
    else if (r->h->start_type != 0)
        return fpy_diag_line(d, FPY_ERR_CORRUPT, "second start address record", "start",
                             line);
    else {
        r->h->start_type = type;
        r->h->start = v << 16 | (uint32_t)rec[6] << 8 | rec[7];
    }
    return FPY_OK;
}

static int fpy_ihex_record(fpy_ihex_reader *r, const char *p, size_t n, uint32_t line,
                           fpy_diag *d)
{
    uint8_t rec[FPY_IHEX_MAX_REC] = {0};
    size_t nrec = 0;
    FPY_TRY(fpy_ihex_decode(p, n, line, rec, &nrec, d));
    if (rec[3] > FPY_IHEX_START_LINEAR)
        return fpy_ihex_fail(d, FPY_ERR_UNSUPPORTED, "unknown record type (00 to 05 exist)",
                             "type", line, FPY_IHEX_START_LINEAR, rec[3]);
    unsigned sum = 0;
    for (size_t i = 0; i + 1u < nrec; i++)
        sum += rec[i];
    uint8_t want = (uint8_t)(0x100u - (sum & 0xFFu));
    if (rec[nrec - 1u] != want)
        return fpy_ihex_fail(d, FPY_ERR_CHECKSUM, "record checksum mismatch", "checksum",
                             line, want, rec[nrec - 1u]);
    if (rec[3] == FPY_IHEX_DATA)
        return fpy_ihex_add_data(r, rec, line, d);
    return fpy_ihex_control(r, rec, line, d);
}

/* Every line up to the end-of-file record or the end of the text. */
static int fpy_ihex_read_lines(fpy_ihex_reader *r, const char *text, size_t len,
                               fpy_diag *d)
{
    uint32_t line = 0;
    size_t i = 0;
    while (i < len && !r->h->has_eof) {
        size_t end = i;
        while (end < len && text[end] != '\n' && text[end] != '\r')
            end++;
        line++;
        if (end > i)
            FPY_TRY(fpy_ihex_record(r, text + i, end - i, line, d));
        /* "\r\n" ends one line; a lone "\r" or "\n" ends one too */
        if (end + 1u < len && text[end] == '\r' && text[end + 1u] == '\n')
            end++;
        i = end < len ? end + 1u : end;
    }
    return FPY_OK;
}

static int fpy_ihex_chunk_cmp(const void *a, const void *b)
{
    const fpy_ihex_chunk *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* Sort the chunks, refuse overlaps (naming the later line of the first
 * overlapping pair), lay the bytes out by address and cut regions. */
static int fpy_ihex_layout(fpy_ihex_reader *r, fpy_diag *d)
{
    fpy_ihex *h = r->h;
    if (r->nchunk == 0)
        return FPY_OK;
    qsort(r->chunk, r->nchunk, sizeof *r->chunk, fpy_ihex_chunk_cmp);
    for (size_t i = 1; i < r->nchunk; i++) {
        const fpy_ihex_chunk *a = &r->chunk[i - 1], *b = &r->chunk[i];
        if (b->addr < a->addr + a->len)
            return fpy_ihex_fail(d, FPY_ERR_CORRUPT,
                                 "address already holds data from another line (expected: "
                                 "the first free address)", "address",
                                 a->line > b->line ? a->line : b->line,
                                 a->addr + a->len, b->addr);
    }
    h->bytes = malloc(r->nraw);
    h->region = malloc(r->nchunk * sizeof *h->region);
    if (h->bytes == NULL || h->region == NULL)
        return fpy_diag_set(d, FPY_ERR_NOSPC, "out of memory", NULL, 0);
    for (size_t i = 0; i < r->nchunk; i++) {
        const fpy_ihex_chunk *c = &r->chunk[i];
        fpy_ihex_region *last = h->nregion ? &h->region[h->nregion - 1] : NULL;
        if (last != NULL && (uint64_t)last->addr + last->len == c->addr)
            last->len += c->len;
        else
            h->region[h->nregion++] =
                (fpy_ihex_region){(uint32_t)c->addr, c->len, h->bytes + h->nbytes};
        memcpy(h->bytes + h->nbytes, r->raw + c->at, c->len);
        h->nbytes += c->len;
    }
    return FPY_OK;
}

int fpy_ihex_parse(const char *text, size_t len, fpy_ihex *h, fpy_diag *d)
{
    *h = (fpy_ihex){0};
    fpy_ihex_reader r = {.h = h, .raw = malloc(len / 2u + 1u)};
    int rc = r.raw != NULL ? FPY_OK : fpy_diag_set(d, FPY_ERR_NOSPC, "out of memory", NULL, 0);
    if (rc == FPY_OK)
        rc = fpy_ihex_read_lines(&r, text, len, d);
    if (rc == FPY_OK)
        rc = fpy_ihex_layout(&r, d);
    free(r.raw);
    free(r.chunk);
    if (rc != FPY_OK)
        fpy_ihex_free(h);
    return rc;
}

void fpy_ihex_free(fpy_ihex *h)
{
    free(h->region);
    free(h->bytes);
    *h = (fpy_ihex){0};
}
