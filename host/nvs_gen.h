/*
 * NVS partition images from the CSV of ESP-IDF's nvs_partition_gen.py
 * (esp-idf-nvs-partition-gen 0.2.0): the same bytes for the same input.
 * Host-only (the device reads and writes NVS through include/fipy/nvs.h);
 * Python's text rules come from pytext.h.
 *
 *   parse   fpy_nvs_csv_open / fpy_nvs_csv_next: the CSV as Python reads
 *           it (lines starting with '#' dropped first, then csv.DictReader
 *           with the excel dialect: quotes, doubled quotes, fields across
 *           lines; the first record names the columns)
 *   decide  fpy_nvs_gen_value: one row's encoding and value to bytes and an
 *           item type (u8..i64 with Python int() syntax, string, hex2bin,
 *           base64 with a2b_base64's leniency, binary, blob_fill,
 *           blob_sz_fill)
 *   act     fpy_nvs_gen_row: the generator's page layout, quirks included
 *           (docs/formats/nvs.md, "Generator"), into the caller's image.
 *
 * Nothing allocates or does I/O: a `file` row's contents are read by the
 * caller and passed in.  Guarantees for untrusted CSV: never reads outside
 * [text, text + len), never writes past the caller's buffers, loops are
 * bounded by the input, nothing recurses.  Errors leave a diag with the
 * line, and the field (column) at fault.
 *
 * Where the Python tool would produce garbage or crash with a traceback
 * (non-ASCII keys, non-ASCII 'binary' text, Unicode digits in integers),
 * fipy refuses the row with FPY_ERR_UNSUPPORTED instead.
 */
#ifndef FIPY_NVS_GEN_H
#define FIPY_NVS_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "fipy/err.h"
#include "fipy/nvs_format.h"

/* ---- CSV ------------------------------------------------------------------ */

enum {
    FPY_NVS_COL_KEY = 0,
    FPY_NVS_COL_TYPE,
    FPY_NVS_COL_ENCODING,
    FPY_NVS_COL_VALUE,
    FPY_NVS_COLS
};

/* Python's csv.field_size_limit() default, in characters. */
#define FPY_NVS_CSV_FIELD_LIMIT 131072u

typedef struct fpy_nvs_csv_row {
    const char *field[FPY_NVS_COLS]; /* NUL-terminated; NULL: the row is too short */
    size_t len[FPY_NVS_COLS];
    uint32_t line;                   /* physical line where the record starts */
} fpy_nvs_csv_row;

typedef struct fpy_nvs_csv {
    const uint8_t *text;
    size_t len;
    size_t pos;
    uint32_t line;            /* physical lines consumed */
    int col[FPY_NVS_COLS];    /* column of each named field, -1 if absent */
    char *buf;                /* caller's scratch for field text */
    size_t cap;
    size_t used;
    int header;               /* reading the header record */
    uint32_t nfields;         /* fields of the record so far */
    size_t fstart[FPY_NVS_COLS]; /* the named columns of the current record */
    size_t flen[FPY_NVS_COLS];
    uint8_t fhave[FPY_NVS_COLS];
} fpy_nvs_csv;

/*
 * Start reading `text` (UTF-8; invalid UTF-8 or a NUL byte is an error, as
 * in Python) and read the header record.  `buf` receives field text: len + 1
 * bytes always suffice.  Columns are found by their exact names "key",
 * "type", "encoding", "value"; a missing one is an error only when a row
 * needs it, as in Python.
 */
int fpy_nvs_csv_open(fpy_nvs_csv *r, const char *text, size_t len, char *buf, size_t cap,
                     fpy_diag *d);
/* The next non-empty record: FPY_OK, FPY_ERR_NOTFOUND at the end, or an error. */
int fpy_nvs_csv_next(fpy_nvs_csv *r, fpy_nvs_csv_row *row, fpy_diag *d);

/* ---- values ------------------------------------------------------------------ */

typedef struct fpy_nvs_gen_val {
    uint8_t type;      /* FPY_NVS_TYPE_*: an integer, STR, or BLOB for any blob */
    uint64_t raw;      /* integers: the value, two's complement, zero-extended */
    const uint8_t *data; /* STR/BLOB: the bytes (in the caller's scratch or the input) */
    size_t len;
} fpy_nvs_gen_val;

/*
 * Convert one value as nvs_partition_gen's write_entry does.  `value` is
 * the CSV text (is_file = 0; NULL when the row has no value column) or a
 * file's bytes (is_file = 1).  Decoded bytes go to scratch (a value never
 * decodes to more than max(value_len + 1, N of blob_fill + 4) bytes);
 * FPY_ERR_NOSPC if it is too small.  The diag names the field at fault.
 */
int fpy_nvs_gen_value(const char *encoding, size_t enc_len, const uint8_t *value,
                      size_t value_len, int is_file, uint8_t *scratch, size_t cap,
                      fpy_nvs_gen_val *out, fpy_diag *d);

/* PBKDF2-HMAC-SHA1 (the Wi-Fi PMK the generator adds for ap.* rows). */
void fpy_nvs_pbkdf2_sha1(const uint8_t *pw, size_t pwlen, const uint8_t *salt,
                         size_t saltlen, uint32_t iterations, uint8_t out[32]);

/* ---- the generator ---------------------------------------------------------------- */

#define FPY_NVS_GEN_MAX_NS 255u   /* the 256th namespace overflows a u8 in Python too */
#define FPY_NVS_GEN_WIFI_MAX 4096u /* longest ap.ssid / ap.passwd value kept */

typedef struct fpy_nvs_wifi_val {
    uint8_t set;       /* Python truthiness: a non-empty string */
    uint16_t len;
    uint8_t text[FPY_NVS_GEN_WIFI_MAX];
} fpy_nvs_wifi_val;

typedef struct fpy_nvs_gen {
    uint8_t *img;
    uint32_t cap;
    uint32_t size;        /* requested partition size */
    uint32_t budget;      /* bytes of pages still allowed (Python's self.size) */
    uint32_t npages;      /* pages created */
    uint32_t e;           /* next entry on the current page */
    uint8_t version;      /* FPY_NVS_VERSION_2 (default) or _1 */
    uint8_t read_only;    /* size 0x1000 or 0x2000: no reserved page, no padding */
    uint8_t sta_done;     /* the Wi-Fi station extras were written */
    uint32_t ns_count;
    char ns_names[FPY_NVS_GEN_MAX_NS][FPY_NVS_KEY_SIZE]; /* namespaces written */
    uint8_t ns_len[FPY_NVS_GEN_MAX_NS];
    fpy_nvs_wifi_val ap_ssid, ap_passwd, ap_authmode;
    uint8_t *scratch;     /* caller's buffer for decoded values */
    size_t scratch_cap;
} fpy_nvs_gen;

/*
 * Start an image of `size` bytes (a multiple of 4096, at least 4096) in
 * img[0..cap), cap >= size.  `version`: FPY_NVS_VERSION_2 or _1.
 * `scratch` holds decoded values: `size` + 8 bytes suffice, since a value
 * that decodes to more cannot fit in the partition.
 */
int fpy_nvs_gen_start(fpy_nvs_gen *g, uint8_t *img, uint32_t cap, uint32_t size,
                      uint8_t version, uint8_t *scratch, size_t scratch_cap, fpy_diag *d);
/*
 * Add one CSV row.  For a row of type "file", `file`/`file_len` are the
 * contents of the file it names (read by the caller relative to the working
 * directory, as Python does); ignored otherwise.  Errors name the row's
 * line and field.
 */
int fpy_nvs_gen_row(fpy_nvs_gen *g, const fpy_nvs_csv_row *row, const uint8_t *file,
                    size_t file_len, fpy_diag *d);
/* Finish (padding pages and the reserved page) and give the file length. */
int fpy_nvs_gen_finish(fpy_nvs_gen *g, uint32_t *len, fpy_diag *d);

#endif
