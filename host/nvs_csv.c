/*
 * The CSV of nvs_partition_gen.py, read the way Python reads it:
 *   open(f, 'rt', encoding='utf8')       strict UTF-8, universal newlines
 *   filter(lambda row: row[0] != '#')    whole physical lines, before CSV
 *   csv.DictReader(..., delimiter=',')   excel dialect, non-strict
 * The state machine below follows CPython's Modules/_csv.c (3.11) for the
 * excel dialect: a quote opens a quoted field only at the start of a field,
 * "" inside quotes is a quote, text after a closing quote is kept, a quoted
 * field may run over line ends, and input ending inside quotes still
 * yields the record.
 */
#include <string.h>

#include "nvs_gen.h"
#include "pytext.h"

typedef enum fpy_csv_state {
    FPY_CSV_START_RECORD,
    FPY_CSV_START_FIELD,
    FPY_CSV_IN_FIELD,
    FPY_CSV_IN_QUOTED,
    FPY_CSV_QUOTE_IN_QUOTED,
    FPY_CSV_EAT_NEWLINE
} fpy_csv_state;

static const char *const fpy_csv_names[FPY_NVS_COLS] = {"key", "type", "encoding", "value"};

static int fpy_csv_check_utf8(const uint8_t *s, size_t n, fpy_diag *d)
{
    uint32_t line = 1;
    for (size_t i = 0; i < n;) {
        size_t k = fpy_py_utf8_len(s + i, n - i);
        if (k == 0) {
            fpy_diag_line(d, FPY_ERR_CORRUPT, "not UTF-8 (Python reads the CSV as UTF-8)",
                          NULL, line);
            return FPY_ERR_CORRUPT;
        }
        line += s[i] == '\n';
        i += k;
    }
    return FPY_OK;
}

/* ---- physical lines ------------------------------------------------------------ */

/* The line at r->pos: content [*start, *start + *n), *nl = 1 when a line
 * break (\n, \r\n or \r: universal newlines) ends it. */
static void fpy_csv_line(fpy_nvs_csv *r, size_t *start, size_t *n, int *nl)
{
    size_t i = r->pos;
    *start = i;
    while (i < r->len && r->text[i] != '\n' && r->text[i] != '\r')
        i++;
    *n = i - *start;
    *nl = i < r->len;
    if (i < r->len && r->text[i] == '\r' && i + 1 < r->len && r->text[i + 1] == '\n')
        i++;
    r->pos = *nl ? i + 1 : i;
    r->line++;
}

/* ---- fields -------------------------------------------------------------------------- */

static int fpy_csv_add(fpy_nvs_csv *r, char c)
{
    if (r->used >= r->cap)
        return FPY_ERR_NOSPC;
    r->buf[r->used++] = c;
    return FPY_OK;
}

static void fpy_csv_header_field(fpy_nvs_csv *r, size_t start, size_t len)
{
    for (int k = 0; k < FPY_NVS_COLS; k++)
        if (strlen(fpy_csv_names[k]) == len && memcmp(r->buf + start, fpy_csv_names[k], len) == 0)
            r->col[k] = (int)r->nfields; /* a repeated name: the last one wins, as in a dict */
}

/* Close the field that started at buf offset `start`. */
static int fpy_csv_save(fpy_nvs_csv *r, size_t start, uint32_t line, fpy_diag *d)
{
    size_t len = r->used - start, chars = 0;
    for (size_t k = start; k < r->used; k++)
        chars += ((uint8_t)r->buf[k] & 0xC0) != 0x80;
    if (chars > FPY_NVS_CSV_FIELD_LIMIT)
        return fpy_diag_line(d, FPY_ERR_NOSPC, "field larger than Python's csv limit "
                             "(131072 characters)", NULL, line);
    if (fpy_csv_add(r, '\0') != FPY_OK)
        return fpy_diag_line(d, FPY_ERR_NOSPC, "CSV field buffer too small", NULL, line);
    if (r->header)
        fpy_csv_header_field(r, start, len);
    for (int k = 0; k < FPY_NVS_COLS; k++) {
        if (r->col[k] == (int)r->nfields) {
            r->fstart[k] = start;
            r->flen[k] = len;
            r->fhave[k] = 1;
        }
    }
    r->nfields++;
    return FPY_OK;
}

/* ---- the state machine ------------------------------------------------------------------ */

typedef struct fpy_csv_rec {
    fpy_csv_state st;
    size_t fstart;  /* buf offset of the open field */
    uint32_t line;
    fpy_diag *d;
} fpy_csv_rec;

static int fpy_csv_open_field(fpy_nvs_csv *r, fpy_csv_rec *c, char ch)
{
    c->fstart = r->used;
    if (ch == '"') {
        c->st = FPY_CSV_IN_QUOTED;
        return FPY_OK;
    }
    if (ch == ',') {
        c->st = FPY_CSV_START_FIELD;
        return fpy_csv_save(r, c->fstart, c->line, c->d);
    }
    if (ch == '\n') {
        c->st = FPY_CSV_EAT_NEWLINE;
        return fpy_csv_save(r, c->fstart, c->line, c->d);
    }
    c->st = FPY_CSV_IN_FIELD;
    return fpy_csv_add(r, ch);
}

/* One character of a record; '\n' is the line break of a physical line. */
static int fpy_csv_char(fpy_nvs_csv *r, fpy_csv_rec *c, char ch)
{
    switch (c->st) {
    case FPY_CSV_START_RECORD:
        if (ch == '\n') {
            c->st = FPY_CSV_EAT_NEWLINE; /* an empty record */
            return FPY_OK;
        }
        return fpy_csv_open_field(r, c, ch);
    case FPY_CSV_START_FIELD:
        return fpy_csv_open_field(r, c, ch);
    case FPY_CSV_IN_FIELD:
        if (ch != ',' && ch != '\n')
            return fpy_csv_add(r, ch);
        c->st = ch == ',' ? FPY_CSV_START_FIELD : FPY_CSV_EAT_NEWLINE;
        return fpy_csv_save(r, c->fstart, c->line, c->d);
    case FPY_CSV_IN_QUOTED:
        if (ch == '"') {
            c->st = FPY_CSV_QUOTE_IN_QUOTED;
            return FPY_OK;
        }
        return fpy_csv_add(r, ch);
    case FPY_CSV_QUOTE_IN_QUOTED:
        if (ch == '"') {
            c->st = FPY_CSV_IN_QUOTED;
            return fpy_csv_add(r, ch);
        }
        if (ch == ',' || ch == '\n') {
            c->st = ch == ',' ? FPY_CSV_START_FIELD : FPY_CSV_EAT_NEWLINE;
            return fpy_csv_save(r, c->fstart, c->line, c->d);
        }
        c->st = FPY_CSV_IN_FIELD; /* non-strict: "ab"cd is abcd */
        return fpy_csv_add(r, ch);
    default:
        return FPY_OK; /* only the end of line follows a line break */
    }
}

/* The end of a physical line (CPython's EOL). */
static int fpy_csv_eol(fpy_nvs_csv *r, fpy_csv_rec *c)
{
    switch (c->st) {
    case FPY_CSV_START_FIELD: /* "a,b," at the very end: one more, empty field */
        c->st = FPY_CSV_START_RECORD;
        return fpy_csv_save(r, r->used, c->line, c->d);
    case FPY_CSV_IN_FIELD:
    case FPY_CSV_QUOTE_IN_QUOTED:
        c->st = FPY_CSV_START_RECORD;
        return fpy_csv_save(r, c->fstart, c->line, c->d);
    case FPY_CSV_EAT_NEWLINE:
        c->st = FPY_CSV_START_RECORD;
        return FPY_OK;
    default:
        return FPY_OK; /* inside quotes the record goes on */
    }
}

static int fpy_csv_feed_line(fpy_nvs_csv *r, fpy_csv_rec *c, size_t start, size_t n, int nl)
{
    for (size_t i = 0; i < n; i++)
        FPY_TRY(fpy_csv_char(r, c, (char)r->text[start + i]));
    if (nl)
        FPY_TRY(fpy_csv_char(r, c, '\n'));
    return fpy_csv_eol(r, c);
}

/* Read one record (possibly empty) into buf; FPY_ERR_NOTFOUND at the end.
 * Comment lines are dropped wherever they are, before the header too:
 * they never end a record nor make an empty one. */
static int fpy_csv_record(fpy_nvs_csv *r, uint32_t *line, fpy_diag *d)
{
    fpy_csv_rec c = {FPY_CSV_START_RECORD, 0, 0, d};
    r->used = 0;
    r->nfields = 0;
    memset(r->fhave, 0, sizeof r->fhave);
    for (;;) {
        size_t start, n;
        int nl;
        if (r->pos >= r->len) {
            if (c.st == FPY_CSV_START_RECORD)
                return FPY_ERR_NOTFOUND;
            /* end of input inside quotes: the record still counts */
            return c.st == FPY_CSV_IN_QUOTED ? fpy_csv_save(r, c.fstart, c.line, d) : FPY_OK;
        }
        fpy_csv_line(r, &start, &n, &nl);
        if (n > 0 && r->text[start] == '#')
            continue; /* dropped before the CSV reader sees it */
        if (c.line == 0)
            c.line = r->line;
        int rc = fpy_csv_feed_line(r, &c, start, n, nl);
        if (rc == FPY_ERR_NOSPC && (d == NULL || d->what == NULL))
            return fpy_diag_line(d, rc, "CSV field buffer too small", NULL, r->line);
        FPY_TRY(rc);
        if (c.st == FPY_CSV_START_RECORD)
            break;
    }
    *line = c.line;
    return FPY_OK;
}

int fpy_nvs_csv_open(fpy_nvs_csv *r, const char *text, size_t len, char *buf, size_t cap,
                     fpy_diag *d)
{
    uint32_t line = 0;
    memset(r, 0, sizeof *r);
    r->text = (const uint8_t *)text;
    r->len = text != NULL ? len : 0;
    r->buf = buf;
    r->cap = cap;
    for (int k = 0; k < FPY_NVS_COLS; k++)
        r->col[k] = -1;
    if (buf == NULL || cap == 0)
        return FPY_ERR_INVAL;
    FPY_TRY(fpy_csv_check_utf8(r->text, r->len, d));
    r->header = 1;
    int rc = fpy_csv_record(r, &line, d);
    r->header = 0;
    return rc == FPY_ERR_NOTFOUND ? FPY_OK : rc; /* no header: no rows */
}

int fpy_nvs_csv_next(fpy_nvs_csv *r, fpy_nvs_csv_row *row, fpy_diag *d)
{
    uint32_t line = 0;
    memset(row, 0, sizeof *row);
    do {
        FPY_TRY(fpy_csv_record(r, &line, d));
    } while (r->nfields == 0); /* DictReader skips empty records */
    for (int k = 0; k < FPY_NVS_COLS; k++) {
        if (r->fhave[k]) {
            row->field[k] = r->buf + r->fstart[k];
            row->len[k] = r->flen[k];
        }
    }
    row->line = line;
    return FPY_OK;
}
