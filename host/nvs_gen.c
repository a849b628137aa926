/*
 * The page layout of esp-idf-nvs-partition-gen 0.2.0, byte for byte
 * (docs/formats/nvs.md, "Generator").  Its quirks are kept on purpose:
 * strings need one entry to spare on their page (>= where the device uses
 * >), a blob may start with an empty chunk in the last entry of a page,
 * data rows use the most recently created namespace, the last data page
 * stays ACTIVE, padding pages have no header, and the Wi-Fi keys bring
 * extra entries.
 */
#include <string.h>

#include "fipy/bytes.h"
#include "nvs_gen.h"

#define FPY_GEN_V1_MAX 1984u /* every var-length value in format v1 */

static int fpy_gen_fail(fpy_diag *d, int err, const char *what, const char *field)
{
    return fpy_diag_line(d, err, what, field, 0); /* the caller adds the line */
}

/* ---- pages ------------------------------------------------------------------- */

static uint8_t *fpy_gen_page(const fpy_nvs_gen *g)
{
    return g->img + (size_t)(g->npages - 1u) * FPY_NVS_PAGE_SIZE;
}

/* NVS.create_new_page: the previous page becomes FULL (its header CRC
 * does not cover the state), the new one ACTIVE with seq = its position. */
static int fpy_gen_new_page(fpy_nvs_gen *g, fpy_diag *d)
{
    if (g->npages > 0 && fpy_get_le32(fpy_gen_page(g)) == FPY_NVS_STATE_ACTIVE)
        fpy_put_le32(fpy_gen_page(g), FPY_NVS_STATE_FULL);
    if (g->budget == 0)
        return fpy_gen_fail(d, FPY_ERR_NOSPC, "the CSV needs more pages than the partition "
                                              "size allows", NULL);
    g->budget -= FPY_NVS_PAGE_SIZE;
    g->npages++;
    uint8_t *p = fpy_gen_page(g);
    memset(p, 0xFF, FPY_NVS_PAGE_SIZE);
    fpy_nvs_header_encode(p, FPY_NVS_STATE_ACTIVE, g->npages - 1u, g->version);
    g->e = 0;
    return FPY_OK;
}

/* Copy `n` entries' worth of bytes at the next free entry and mark them. */
static void fpy_gen_put(fpy_nvs_gen *g, const uint8_t *data, size_t len, uint32_t n)
{
    uint8_t *p = fpy_gen_page(g);
    if (len > 0)
        memcpy(p + FPY_NVS_FIRST_ENTRY + g->e * FPY_NVS_ENTRY_SIZE, data, len);
    for (uint32_t k = 0; k < n; k++, g->e++)
        fpy_nvs_bitmap_set(p + FPY_NVS_BITMAP_OFFSET, g->e, FPY_NVS_ES_WRITTEN);
}

/* An entry header with the key bytes exactly as given (Python writes
 * key.encode() over 16 zero bytes; no normalisation). */
static void fpy_gen_header(uint8_t raw[32], uint8_t ns, uint8_t type, uint8_t span,
                           uint8_t chunk, const char *key, size_t klen)
{
    memset(raw, 0xFF, 32);
    raw[FPY_NVS_E_NS] = ns;
    raw[FPY_NVS_E_TYPE] = type;
    raw[FPY_NVS_E_SPAN] = span;
    raw[FPY_NVS_E_CHUNK] = chunk;
    memset(raw + FPY_NVS_E_KEY, 0, FPY_NVS_KEY_SIZE);
    memcpy(raw + FPY_NVS_E_KEY, key, klen);
}

static void fpy_gen_seal(uint8_t raw[32])
{
    fpy_put_le32(raw + FPY_NVS_E_CRC, fpy_nvs_item_crc(raw));
}

/* ---- entries ------------------------------------------------------------------- */

typedef struct fpy_gen_key {
    const char *p;
    size_t n;
    uint8_t ns;
} fpy_gen_key;

static int fpy_gen_primitive(fpy_nvs_gen *g, const fpy_gen_key *k, uint8_t type, uint64_t raw_v,
                             fpy_diag *d)
{
    uint8_t raw[32];
    if (g->e >= FPY_NVS_ENTRY_COUNT) /* PageFullError: one retry on a new page */
        FPY_TRY(fpy_gen_new_page(g, d));
    fpy_gen_header(raw, k->ns, type, 1, FPY_NVS_CHUNK_ANY, k->p, k->n);
    for (uint32_t b = 0; b < ((uint32_t)type & 0x0Fu); b++)
        raw[FPY_NVS_E_DATA + b] = (uint8_t)(raw_v >> (8u * b));
    fpy_gen_seal(raw);
    fpy_gen_put(g, raw, sizeof raw, 1);
    return FPY_OK;
}

/* Header, then the payload in whole entries (the last padded with 0xFF). */
static void fpy_gen_varlen_item(fpy_nvs_gen *g, const fpy_gen_key *k, uint8_t type,
                                uint8_t chunk, const uint8_t *data, size_t len)
{
    uint8_t raw[32];
    uint32_t entries = (uint32_t)((len + 31u) / 32u);
    fpy_gen_header(raw, k->ns, type, (uint8_t)(entries + 1u), chunk, k->p, k->n);
    fpy_put_le16(raw + FPY_NVS_E_VSIZE, (uint16_t)len);
    fpy_put_le32(raw + FPY_NVS_E_VCRC, fpy_nvs_crc(data, len));
    fpy_gen_seal(raw);
    fpy_gen_put(g, raw, sizeof raw, 1);
    fpy_gen_put(g, data, len, entries);
}

static void fpy_gen_blob_index(fpy_nvs_gen *g, const fpy_gen_key *k, size_t len,
                               uint32_t chunks)
{
    uint8_t raw[32];
    fpy_gen_header(raw, k->ns, FPY_NVS_TYPE_BLOB_IDX, 1, FPY_NVS_CHUNK_ANY, k->p, k->n);
    fpy_put_le32(raw + FPY_NVS_E_ISIZE, (uint32_t)len);
    raw[FPY_NVS_E_ICOUNT] = (uint8_t)chunks;
    raw[FPY_NVS_E_ISTART] = FPY_NVS_VER_0;
    fpy_gen_seal(raw);
    fpy_gen_put(g, raw, sizeof raw, 1);
}

/* write_varlen_binary_data: chunks fill each page's tail (keeping one
 * entry for the chunk header); BLOB_IDX follows on the current page. */
static int fpy_gen_blob_v2(fpy_nvs_gen *g, const fpy_gen_key *k, const uint8_t *data,
                           size_t len, fpy_diag *d)
{
    size_t off = 0, remaining = len;
    uint32_t chunks = 0;
    if (g->e >= FPY_NVS_ENTRY_COUNT)
        FPY_TRY(fpy_gen_new_page(g, d));
    for (;;) {
        size_t tail = (FPY_NVS_ENTRY_COUNT - g->e - 1u) * FPY_NVS_ENTRY_SIZE;
        size_t c = remaining < tail ? remaining : tail;
        if (chunks > 255u)
            return fpy_gen_fail(d, FPY_ERR_NOSPC, "blob needs more than 255 chunks", "value");
        fpy_gen_varlen_item(g, k, FPY_NVS_TYPE_BLOB, (uint8_t)chunks, data + off, c);
        chunks++;
        remaining -= c;
        off += c;
        if (remaining > 0 || tail - c < FPY_NVS_ENTRY_SIZE)
            FPY_TRY(fpy_gen_new_page(g, d));
        if (remaining == 0)
            break;
    }
    if (chunks > 255u)
        return fpy_gen_fail(d, FPY_ERR_NOSPC, "blob needs more than 255 chunks", "value");
    fpy_gen_blob_index(g, k, len, chunks);
    return FPY_OK;
}

/* Strings (and v1 blobs) must fit one page with an entry to spare. */
static int fpy_gen_fits(const fpy_nvs_gen *g, uint32_t total, int is_v2_blob)
{
    if (g->e >= FPY_NVS_ENTRY_COUNT)
        return 0;
    return is_v2_blob || g->e + total < FPY_NVS_ENTRY_COUNT;
}

static int fpy_gen_varlen(fpy_nvs_gen *g, const fpy_gen_key *k, uint8_t type,
                          const uint8_t *data, size_t len, fpy_diag *d)
{
    int v2_blob = g->version == FPY_NVS_VERSION_2 && type == FPY_NVS_TYPE_BLOB;
    size_t max = g->version == FPY_NVS_VERSION_1 ? FPY_GEN_V1_MAX : FPY_NVS_STR_MAX;
    uint32_t total = (uint32_t)((len + 31u) / 32u) + 1u;
    if (!v2_blob && len > max)
        return fpy_gen_fail(d, FPY_ERR_NOSPC, g->version == FPY_NVS_VERSION_1
                                                  ? "value longer than 1984 bytes (version 1)"
                                                  : "string longer than 4000 bytes", "value");
    if (!fpy_gen_fits(g, total, v2_blob)) {
        FPY_TRY(fpy_gen_new_page(g, d));
        if (!fpy_gen_fits(g, total, v2_blob))
            return fpy_gen_fail(d, FPY_ERR_NOSPC, "string does not fit in one page (the "
                                                  "generator stops at 3968 bytes)", "value");
    }
    if (v2_blob)
        return fpy_gen_blob_v2(g, k, data, len, d);
    if (type == FPY_NVS_TYPE_BLOB)
        type = FPY_NVS_TYPE_BLOB_V1;
    fpy_gen_varlen_item(g, k, type, FPY_NVS_CHUNK_ANY, data, len);
    return FPY_OK;
}

/* ---- rows -------------------------------------------------------------------------- */

typedef struct fpy_gen_in {
    const uint8_t *p; /* NULL: no value column */
    size_t n;
    int is_file;
} fpy_gen_in;

/* NVS.write_entry: convert, then one entry or a var-length item in the
 * namespace created last. */
static int fpy_gen_entry(fpy_nvs_gen *g, const char *key, size_t klen, const char *enc,
                         size_t enc_len, const fpy_gen_in *v, fpy_diag *d)
{
    fpy_nvs_gen_val val;
    fpy_gen_key k = {key, klen, (uint8_t)g->ns_count};
    FPY_TRY(fpy_nvs_gen_value(enc, enc_len, v->p, v->n, v->is_file, g->scratch,
                              g->scratch_cap, &val, d));
    if (fpy_nvs_type_is_int(val.type))
        return fpy_gen_primitive(g, &k, val.type, val.raw, d);
    return fpy_gen_varlen(g, &k, val.type, val.data, val.len, d);
}

static int fpy_gen_text_entry(fpy_nvs_gen *g, const char *key, const char *enc,
                              const char *text, fpy_diag *d)
{
    fpy_gen_in v = {(const uint8_t *)text, strlen(text), 0};
    return fpy_gen_entry(g, key, strlen(key), enc, strlen(enc), &v, d);
}

static int fpy_gen_namespace(fpy_nvs_gen *g, const char *name, size_t n, fpy_diag *d)
{
    for (uint32_t i = 0; i < g->ns_count && i < FPY_NVS_GEN_MAX_NS; i++)
        if (g->ns_len[i] == n && memcmp(g->ns_names[i], name, n) == 0)
            return FPY_OK; /* seen: no entry, and rows keep the latest index */
    if (g->ns_count >= FPY_NVS_GEN_MAX_NS)
        return fpy_gen_fail(d, FPY_ERR_NOSPC, "more than 255 namespaces", "key");
    fpy_gen_key k = {name, n, FPY_NVS_NS_TABLE};
    g->ns_count++;
    FPY_TRY(fpy_gen_primitive(g, &k, FPY_NVS_TYPE_U8, g->ns_count, d));
    memcpy(g->ns_names[g->ns_count - 1u], name, n);
    g->ns_len[g->ns_count - 1u] = (uint8_t)n;
    return FPY_OK;
}

/* ---- the Wi-Fi keys (added in 0.1.9) ---------------------------------------------------- */

static int fpy_gen_key_is(const fpy_nvs_csv_row *row, const char *name)
{
    return row->len[FPY_NVS_COL_KEY] == strlen(name) &&
           memcmp(row->field[FPY_NVS_COL_KEY], name, strlen(name)) == 0;
}

static int fpy_gen_wifi_keep(fpy_nvs_wifi_val *w, const fpy_nvs_csv_row *row, fpy_diag *d)
{
    const char *v = row->field[FPY_NVS_COL_VALUE];
    size_t n = v != NULL ? row->len[FPY_NVS_COL_VALUE] : 0;
    if (n > FPY_NVS_GEN_WIFI_MAX)
        return fpy_gen_fail(d, FPY_ERR_UNSUPPORTED, "Wi-Fi value longer than 4096 bytes",
                            "value");
    w->set = n > 0;
    w->len = (uint16_t)n;
    if (n > 0)
        memcpy(w->text, v, n);
    return FPY_OK;
}

/* ap.ssid / ap.passwd / ap.authmode: once all three are set, every such
 * row first writes ap.pmk_info: 100 zero bytes and the PBKDF2 PMK. */
static int fpy_gen_wifi_ap(fpy_nvs_gen *g, const fpy_nvs_csv_row *row, fpy_diag *d)
{
    const char *v = row->field[FPY_NVS_COL_VALUE];
    if (fpy_gen_key_is(row, "ap.ssid"))
        FPY_TRY(fpy_gen_wifi_keep(&g->ap_ssid, row, d));
    else if (fpy_gen_key_is(row, "ap.passwd"))
        FPY_TRY(fpy_gen_wifi_keep(&g->ap_passwd, row, d));
    else if (!(v != NULL && row->len[FPY_NVS_COL_VALUE] == 1 && v[0] == '0'))
        FPY_TRY(fpy_gen_wifi_keep(&g->ap_authmode, row, d)); /* authmode "0" is not kept */
    if (!g->ap_ssid.set || !g->ap_passwd.set || !g->ap_authmode.set)
        return FPY_OK;
    uint8_t pmk[32];
    char hex[2 * 132 + 1];
    fpy_nvs_pbkdf2_sha1(g->ap_passwd.text, g->ap_passwd.len, g->ap_ssid.text, g->ap_ssid.len,
                        4096, pmk);
    memset(hex, '0', 200);
    for (int i = 0; i < 32; i++) {
        hex[200 + 2 * i] = "0123456789abcdef"[pmk[i] >> 4];
        hex[201 + 2 * i] = "0123456789abcdef"[pmk[i] & 15];
    }
    hex[264] = '\0';
    return fpy_gen_text_entry(g, "ap.pmk_info", "hex2bin", hex, d);
}

/* sta.ssid / sta.pswd: written from the CSV text whatever the row's type;
 * the first one brings three more blobs. */
static int fpy_gen_wifi_sta(fpy_nvs_gen *g, const fpy_nvs_csv_row *row, fpy_diag *d)
{
    static const char apinfo[] = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
                                 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
                                 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
                                 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
                                 "ffffffffffffffffffffffff";
    static const char pmk[] = "0000000000000000000000000000000000000000000000000000000000000000";
    fpy_gen_in v = {(const uint8_t *)row->field[FPY_NVS_COL_VALUE], row->len[FPY_NVS_COL_VALUE],
                    0};
    FPY_TRY(fpy_gen_entry(g, row->field[FPY_NVS_COL_KEY], row->len[FPY_NVS_COL_KEY],
                          row->field[FPY_NVS_COL_ENCODING], row->len[FPY_NVS_COL_ENCODING], &v,
                          d));
    if (g->sta_done)
        return FPY_OK;
    g->sta_done = 1;
    FPY_TRY(fpy_gen_text_entry(g, "sta.apinfo", "hex2bin", apinfo, d));
    FPY_TRY(fpy_gen_text_entry(g, "sta.pmk", "hex2bin", pmk, d));
    return fpy_gen_text_entry(g, "sta.apsw", "hex2bin", "0000", d);
}

static int fpy_gen_ascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((uint8_t)s[i] >= 0x80)
            return 0;
    return 1;
}

/* ---- API ------------------------------------------------------------------------------------ */

int fpy_nvs_gen_start(fpy_nvs_gen *g, uint8_t *img, uint32_t cap, uint32_t size,
                      uint8_t version, uint8_t *scratch, size_t scratch_cap, fpy_diag *d)
{
    memset(g, 0, sizeof *g);
    if (size % FPY_NVS_PAGE_SIZE != 0 || size < FPY_NVS_PAGE_SIZE)
        return fpy_gen_fail(d, FPY_ERR_INVAL, "size must be a multiple of 4096, at least "
                                              "4096", "size");
    if (img == NULL || cap < size || scratch == NULL)
        return fpy_gen_fail(d, FPY_ERR_NOSPC, "image buffer smaller than the size", "size");
    if (version != FPY_NVS_VERSION_1 && version != FPY_NVS_VERSION_2)
        return fpy_gen_fail(d, FPY_ERR_INVAL, "version must be 1 or 2", "version");
    g->img = img;
    g->cap = cap;
    g->size = size;
    g->version = version;
    g->scratch = scratch;
    g->scratch_cap = scratch_cap;
    /* Below 3 pages the tool makes a read-only partition: no reserved page. */
    g->read_only = size < 3u * FPY_NVS_PAGE_SIZE;
    g->budget = g->read_only ? size : size - FPY_NVS_PAGE_SIZE;
    memset(img, 0xFF, size);
    return fpy_gen_new_page(g, d);
}

static int fpy_gen_row_body(fpy_nvs_gen *g, const fpy_nvs_csv_row *row, const uint8_t *file,
                            size_t file_len, fpy_diag *d)
{
    const char *key = row->field[FPY_NVS_COL_KEY], *type = row->field[FPY_NVS_COL_TYPE];
    size_t klen = row->len[FPY_NVS_COL_KEY];
    if (fpy_gen_key_is(row, "ap.ssid") || fpy_gen_key_is(row, "ap.passwd") ||
        fpy_gen_key_is(row, "ap.authmode"))
        FPY_TRY(fpy_gen_wifi_ap(g, row, d));
    if (fpy_gen_key_is(row, "sta.ssid") || fpy_gen_key_is(row, "sta.pswd"))
        return fpy_gen_wifi_sta(g, row, d);
    int is_file = type != NULL && strcmp(type, "file") == 0 && row->len[FPY_NVS_COL_TYPE] == 4;
    if (type != NULL && row->len[FPY_NVS_COL_TYPE] == 9 && strcmp(type, "namespace") == 0)
        return fpy_gen_namespace(g, key, klen, d);
    if (is_file && row->field[FPY_NVS_COL_VALUE] == NULL)
        return fpy_gen_fail(d, FPY_ERR_INVAL, "file row has no path", "value");
    fpy_gen_in v = {is_file ? file : (const uint8_t *)row->field[FPY_NVS_COL_VALUE],
                    is_file ? file_len : row->len[FPY_NVS_COL_VALUE], is_file};
    if (is_file && v.p == NULL)
        v.p = (const uint8_t *)""; /* an empty file is b'', not None */
    return fpy_gen_entry(g, key, klen, row->field[FPY_NVS_COL_ENCODING],
                         row->len[FPY_NVS_COL_ENCODING], &v, d);
}

int fpy_nvs_gen_row(fpy_nvs_gen *g, const fpy_nvs_csv_row *row, const uint8_t *file,
                    size_t file_len, fpy_diag *d)
{
    const char *key = row->field[FPY_NVS_COL_KEY];
    size_t klen = row->len[FPY_NVS_COL_KEY];
    int rc;
    if (key == NULL)
        rc = fpy_gen_fail(d, FPY_ERR_INVAL, "row has no key (is there a 'key' column?)", "key");
    else if (!fpy_gen_ascii(key, klen))
        rc = fpy_gen_fail(d, FPY_ERR_UNSUPPORTED, "non-ASCII key (the Python tool writes "
                                                  "a broken entry)", "key");
    else if (klen > FPY_NVS_KEY_MAX)
        rc = fpy_gen_fail(d, FPY_ERR_INVAL, "key longer than 15 characters", "key");
    else
        rc = fpy_gen_row_body(g, row, file, file_len, d);
    if (rc != FPY_OK && d != NULL)
        d->line = row->line;
    return rc;
}

int fpy_nvs_gen_finish(fpy_nvs_gen *g, uint32_t *len, fpy_diag *d)
{
    (void)d;
    /* Read/write: pages without a header up to the size, the last one
     * reserved; the data pages keep their states.  Read-only: just the
     * pages made. */
    *len = g->read_only ? g->npages * FPY_NVS_PAGE_SIZE : g->size;
    return FPY_OK;
}
