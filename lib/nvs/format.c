/*
 * NVS format v2: entry and page codec, and the verdicts every reader of
 * NVS bytes shares (the store's loader, the dumper, the fuzz targets).
 * See include/fipy/nvs_format.h and docs/formats/nvs.md.
 */
#include "fipy/nvs_format.h"

#include <string.h>

#include "fipy/bytes.h"
#include "fipy/hash.h"

_Static_assert(FPY_NVS_FIRST_ENTRY + FPY_NVS_ENTRY_COUNT * FPY_NVS_ENTRY_SIZE ==
                   FPY_NVS_PAGE_SIZE,
               "126 entries end exactly at the end of the page");
_Static_assert(FPY_NVS_BITMAP_OFFSET + FPY_NVS_BITMAP_SIZE == FPY_NVS_FIRST_ENTRY,
               "the bitmap sits between header and entries");
_Static_assert(FPY_NVS_BITMAP_SIZE * 4u >= FPY_NVS_ENTRY_COUNT, "2 bits per entry");
_Static_assert(FPY_NVS_HDR_CRC + 4u == 32u && FPY_NVS_HDR_CRC - FPY_NVS_HDR_SEQ ==
                   FPY_NVS_HDR_CRC_LEN,
               "header CRC covers bytes 4..27 and ends the header");
_Static_assert(FPY_NVS_E_KEY + FPY_NVS_KEY_SIZE == FPY_NVS_E_DATA &&
                   FPY_NVS_E_DATA + 8u == FPY_NVS_ENTRY_SIZE,
               "key then 8 data bytes fill the entry");
_Static_assert(FPY_NVS_E_VCRC + 4u == FPY_NVS_ENTRY_SIZE &&
                   FPY_NVS_E_ISTART + 3u == FPY_NVS_ENTRY_SIZE,
               "var-length and blob-index data layouts fill the data field");
_Static_assert((FPY_NVS_ENTRY_COUNT - 1u) * FPY_NVS_ENTRY_SIZE == FPY_NVS_CHUNK_MAX,
               "one chunk fills the 125 entries after its header");

uint32_t fpy_nvs_crc(const void *data, size_t len)
{
    return fpy_crc32_le(0xFFFFFFFFu, data, len);
}

uint32_t fpy_nvs_item_crc(const uint8_t raw[FPY_NVS_ENTRY_SIZE])
{
    uint8_t buf[28];
    memcpy(buf, raw, 4);
    memcpy(buf + 4, raw + FPY_NVS_E_KEY, 24);
    return fpy_nvs_crc(buf, sizeof buf);
}

uint32_t fpy_nvs_item_hash(uint8_t ns, const char key[FPY_NVS_KEY_SIZE], uint8_t chunk)
{
    uint8_t buf[2 + FPY_NVS_KEY_SIZE];
    buf[0] = ns;
    memcpy(buf + 1, key, FPY_NVS_KEY_SIZE);
    buf[1 + FPY_NVS_KEY_SIZE] = chunk;
    return fpy_nvs_crc(buf, sizeof buf) & 0xFFFFFFu;
}

/* Keys compare like strncmp(a, b, 15): normalise to the bytes before the
 * first NUL (at most 15), zero padded. */
static void fpy_nvs_key_norm(char out[FPY_NVS_KEY_SIZE], const uint8_t *in)
{
    uint32_t n = 0;
    memset(out, 0, FPY_NVS_KEY_SIZE);
    while (n < FPY_NVS_KEY_MAX && in[n] != 0) {
        out[n] = (char)in[n];
        n++;
    }
}

void fpy_nvs_item_decode(const uint8_t raw[FPY_NVS_ENTRY_SIZE], fpy_nvs_item *it)
{
    it->ns = raw[FPY_NVS_E_NS];
    it->type = raw[FPY_NVS_E_TYPE];
    it->span = raw[FPY_NVS_E_SPAN];
    it->chunk = raw[FPY_NVS_E_CHUNK];
    it->crc = fpy_get_le32(raw + FPY_NVS_E_CRC);
    fpy_nvs_key_norm(it->key, raw + FPY_NVS_E_KEY);
    memcpy(it->data, raw + FPY_NVS_E_DATA, 8);
}

void fpy_nvs_item_encode(fpy_nvs_item *it, uint8_t raw[FPY_NVS_ENTRY_SIZE])
{
    char key[FPY_NVS_KEY_SIZE];
    fpy_nvs_key_norm(key, (const uint8_t *)it->key);
    raw[FPY_NVS_E_NS] = it->ns;
    raw[FPY_NVS_E_TYPE] = it->type;
    raw[FPY_NVS_E_SPAN] = it->span;
    raw[FPY_NVS_E_CHUNK] = it->chunk;
    memcpy(raw + FPY_NVS_E_KEY, key, FPY_NVS_KEY_SIZE);
    memcpy(raw + FPY_NVS_E_DATA, it->data, 8);
    it->crc = fpy_nvs_item_crc(raw);
    fpy_put_le32(raw + FPY_NVS_E_CRC, it->crc);
}

int fpy_nvs_item_init(fpy_nvs_item *it, uint8_t ns, uint8_t type, const char *key)
{
    size_t n = key != NULL ? fpy_strnlen(key, FPY_NVS_KEY_SIZE) : 0;
    if (n == 0 || n > FPY_NVS_KEY_MAX)
        return FPY_ERR_INVAL;
    memset(it, 0, sizeof *it);
    it->ns = ns;
    it->type = type;
    it->span = 1;
    it->chunk = FPY_NVS_CHUNK_ANY;
    memcpy(it->key, key, n);
    memset(it->data, 0xFF, sizeof it->data);
    return FPY_OK;
}

uint16_t fpy_nvs_item_vsize(const fpy_nvs_item *it)
{
    return fpy_get_le16(it->data);
}

uint32_t fpy_nvs_item_vcrc(const fpy_nvs_item *it)
{
    return fpy_get_le32(it->data + 4);
}

uint32_t fpy_nvs_item_blob_size(const fpy_nvs_item *it)
{
    return fpy_get_le32(it->data);
}

uint8_t fpy_nvs_item_blob_count(const fpy_nvs_item *it)
{
    return it->data[4];
}

uint8_t fpy_nvs_item_blob_start(const fpy_nvs_item *it)
{
    return it->data[5];
}

uint64_t fpy_nvs_item_uint(const fpy_nvs_item *it)
{
    uint32_t width = it->type & 0x0Fu;
    uint64_t v = 0;
    for (uint32_t k = width > 8 ? 8 : width; k > 0; k--)
        v = (v << 8) | it->data[k - 1];
    return v;
}

int fpy_nvs_type_is_varlen(uint8_t type)
{
    return type == FPY_NVS_TYPE_STR || type == FPY_NVS_TYPE_BLOB_V1 ||
           type == FPY_NVS_TYPE_BLOB;
}

int fpy_nvs_type_is_int(uint8_t type)
{
    switch (type) {
    case FPY_NVS_TYPE_U8: case FPY_NVS_TYPE_I8: case FPY_NVS_TYPE_U16:
    case FPY_NVS_TYPE_I16: case FPY_NVS_TYPE_U32: case FPY_NVS_TYPE_I32:
    case FPY_NVS_TYPE_U64: case FPY_NVS_TYPE_I64: case FPY_NVS_TYPE_FLOAT:
    case FPY_NVS_TYPE_DOUBLE:
        return 1;
    default:
        return 0;
    }
}

const char *fpy_nvs_type_name(uint8_t type)
{
    static const struct {
        uint8_t type;
        const char *name;
    } names[] = {
        {FPY_NVS_TYPE_U8, "u8"},     {FPY_NVS_TYPE_I8, "i8"},
        {FPY_NVS_TYPE_U16, "u16"},   {FPY_NVS_TYPE_I16, "i16"},
        {FPY_NVS_TYPE_U32, "u32"},   {FPY_NVS_TYPE_I32, "i32"},
        {FPY_NVS_TYPE_U64, "u64"},   {FPY_NVS_TYPE_I64, "i64"},
        {FPY_NVS_TYPE_FLOAT, "float"}, {FPY_NVS_TYPE_DOUBLE, "double"},
        {FPY_NVS_TYPE_STR, "string"}, {FPY_NVS_TYPE_BLOB_V1, "blob_v1"},
        {FPY_NVS_TYPE_BLOB, "blob_data"}, {FPY_NVS_TYPE_BLOB_IDX, "blob_index"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].type == type)
            return names[i].name;
    return NULL;
}

uint32_t fpy_nvs_span_for(uint32_t size)
{
    return (size + FPY_NVS_ENTRY_SIZE - 1u) / FPY_NVS_ENTRY_SIZE + 1u;
}

/* ---- page header ----------------------------------------------------------- */

void fpy_nvs_header_decode(const uint8_t raw[32], fpy_nvs_header *h)
{
    h->state = fpy_get_le32(raw + FPY_NVS_HDR_STATE);
    h->seq = fpy_get_le32(raw + FPY_NVS_HDR_SEQ);
    h->version = raw[FPY_NVS_HDR_VERSION];
    h->crc_stored = fpy_get_le32(raw + FPY_NVS_HDR_CRC);
    h->crc_calc = fpy_nvs_crc(raw + FPY_NVS_HDR_SEQ, FPY_NVS_HDR_CRC_LEN);
}

void fpy_nvs_header_encode(uint8_t raw[32], uint32_t state, uint32_t seq, uint8_t version)
{
    memset(raw, 0xFF, 32);
    fpy_put_le32(raw + FPY_NVS_HDR_STATE, state);
    fpy_put_le32(raw + FPY_NVS_HDR_SEQ, seq);
    raw[FPY_NVS_HDR_VERSION] = version;
    fpy_put_le32(raw + FPY_NVS_HDR_CRC, fpy_nvs_crc(raw + FPY_NVS_HDR_SEQ, FPY_NVS_HDR_CRC_LEN));
}

/* Order as in ESP-IDF's Page::load: erased test, CRC, version, state. */
fpy_nvs_pkind fpy_nvs_page_kind(const fpy_nvs_header *h, int rest_erased, fpy_nvs_pwhy *why)
{
    *why = FPY_NVS_PW_OK;
    if (h->state == FPY_NVS_STATE_EMPTY) {
        if (rest_erased)
            return FPY_NVS_PK_FREE;
        *why = FPY_NVS_PW_NOT_ERASED;
        return FPY_NVS_PK_CORRUPT;
    }
    if (h->crc_stored != h->crc_calc) {
        *why = FPY_NVS_PW_BAD_CRC;
        return FPY_NVS_PK_CORRUPT;
    }
    if (h->version < FPY_NVS_VERSION_2)
        return FPY_NVS_PK_NEWER;
    switch (h->state) {
    case FPY_NVS_STATE_ACTIVE: return FPY_NVS_PK_ACTIVE;
    case FPY_NVS_STATE_FULL: return FPY_NVS_PK_FULL;
    case FPY_NVS_STATE_FREEING: return FPY_NVS_PK_FREEING;
    default:
        *why = FPY_NVS_PW_BAD_STATE;
        return FPY_NVS_PK_CORRUPT;
    }
}

const char *fpy_nvs_state_name(uint32_t state)
{
    switch (state) {
    case FPY_NVS_STATE_EMPTY: return "EMPTY";
    case FPY_NVS_STATE_ACTIVE: return "ACTIVE";
    case FPY_NVS_STATE_FULL: return "FULL";
    case FPY_NVS_STATE_FREEING: return "FREEING";
    default: return NULL;
    }
}

/* ---- bitmap ------------------------------------------------------------------ */

fpy_nvs_estate fpy_nvs_bitmap_get(const uint8_t bm[FPY_NVS_BITMAP_SIZE], uint32_t i)
{
    return (fpy_nvs_estate)(((uint32_t)bm[i / 4u] >> ((i % 4u) * 2u)) & 3u);
}

void fpy_nvs_bitmap_set(uint8_t bm[FPY_NVS_BITMAP_SIZE], uint32_t i, fpy_nvs_estate s)
{
    uint32_t shift = (i % 4u) * 2u;
    bm[i / 4u] = (uint8_t)((bm[i / 4u] & ~(3u << shift)) | ((uint32_t)s << shift));
}

uint32_t fpy_nvs_next_free(const uint8_t bm[FPY_NVS_BITMAP_SIZE], const uint8_t dirty[16])
{
    uint32_t nf = 0;
    for (uint32_t i = 0; i < FPY_NVS_ENTRY_COUNT; i++) {
        uint32_t is_dirty = ((uint32_t)dirty[i / 8u] >> (i % 8u)) & 1u;
        if (fpy_nvs_bitmap_get(bm, i) != FPY_NVS_ES_EMPTY || is_dirty)
            nf = i + 1u;
    }
    return nf;
}

/* ---- entry verdicts ------------------------------------------------------------- */

static int fpy_nvs_check_varlen(const fpy_nvs_item *it, uint32_t i, const char **field)
{
    uint32_t size = fpy_nvs_item_vsize(it);
    if (it->type == FPY_NVS_TYPE_BLOB && it->chunk == FPY_NVS_CHUNK_ANY) {
        *field = "chunkIndex";
        return FPY_ERR_CORRUPT;
    }
    if (size > (FPY_NVS_ENTRY_COUNT - i - 1u) * FPY_NVS_ENTRY_SIZE) {
        *field = "data.size";
        return FPY_ERR_CORRUPT;
    }
    if (it->span > FPY_NVS_ENTRY_COUNT - i || it->span != fpy_nvs_span_for(size)) {
        *field = "span";
        return FPY_ERR_CORRUPT;
    }
    return FPY_OK;
}

int fpy_nvs_item_check(const fpy_nvs_item *it, uint32_t i, const char **field)
{
    const char *dummy;
    if (field == NULL)
        field = &dummy;
    *field = NULL;
    if (i >= FPY_NVS_ENTRY_COUNT) {
        *field = "index";
        return FPY_ERR_CORRUPT;
    }
    if (fpy_nvs_type_is_int(it->type) || it->type == FPY_NVS_TYPE_BLOB_IDX) {
        if (it->span != 1) {
            *field = "span";
            return FPY_ERR_CORRUPT;
        }
        if (it->type != FPY_NVS_TYPE_BLOB_IDX)
            return FPY_OK;
        if (it->chunk != FPY_NVS_CHUNK_ANY) {
            *field = "chunkIndex";
            return FPY_ERR_CORRUPT;
        }
        if (fpy_nvs_item_blob_size(it) > FPY_NVS_BLOB_IDX_MAX) {
            *field = "data.size";
            return FPY_ERR_CORRUPT;
        }
        return FPY_OK;
    }
    if (fpy_nvs_type_is_varlen(it->type))
        return fpy_nvs_check_varlen(it, i, field);
    *field = "type";
    return FPY_ERR_CORRUPT;
}

uint32_t fpy_nvs_classify(const uint8_t bm[FPY_NVS_BITMAP_SIZE], uint32_t next_free,
                          uint32_t i, const uint8_t raw[FPY_NVS_ENTRY_SIZE],
                          fpy_nvs_item *it, fpy_nvs_verdict *v, const char **field)
{
    const char *dummy;
    if (field == NULL)
        field = &dummy;
    *field = NULL;
    fpy_nvs_item_decode(raw, it);
    switch (fpy_nvs_bitmap_get(bm, i)) {
    case FPY_NVS_ES_EMPTY:
        *v = i < next_free ? FPY_NVS_V_STRAY : FPY_NVS_V_FREE;
        return 1;
    case FPY_NVS_ES_ERASED:
        *v = FPY_NVS_V_ERASED;
        return 1;
    case FPY_NVS_ES_ILLEGAL:
        *v = FPY_NVS_V_ILLEGAL;
        return 1;
    default:
        break;
    }
    if (it->crc != fpy_nvs_item_crc(raw)) {
        *field = "crc32";
        *v = FPY_NVS_V_BAD_CRC;
        return 1;
    }
    if (fpy_nvs_item_check(it, i, field) != FPY_OK) {
        *v = FPY_NVS_V_BAD_HEADER;
        return 1;
    }
    *v = FPY_NVS_V_ITEM;
    /* A var-length item counts only when every entry of it is WRITTEN;
     * the check above bounded the span by the end of the page. */
    for (uint32_t k = 1; k < it->span; k++) {
        if (fpy_nvs_bitmap_get(bm, i + k) != FPY_NVS_ES_WRITTEN) {
            *v = FPY_NVS_V_INCOMPLETE;
            *field = "span";
            break;
        }
    }
    return it->span;
}

const char *fpy_nvs_verdict_name(fpy_nvs_verdict v)
{
    static const char *const names[] = {
        "free", "erased", "item", "written but never marked", "illegal state",
        "bad item crc", "inconsistent header", "incomplete item",
    };
    return (unsigned)v < sizeof names / sizeof names[0] ? names[v] : "?";
}

/* ---- whole pages in memory -------------------------------------------------------- */

const uint8_t *fpy_nvs_page_entry(const uint8_t page[FPY_NVS_PAGE_SIZE], uint32_t i)
{
    return page + FPY_NVS_FIRST_ENTRY + (size_t)i * FPY_NVS_ENTRY_SIZE;
}

void fpy_nvs_page_parse(const uint8_t page[FPY_NVS_PAGE_SIZE], fpy_nvs_page_view *v)
{
    uint8_t dirty[16] = {0};
    const uint8_t *bm = page + FPY_NVS_BITMAP_OFFSET;
    memset(v, 0, sizeof *v);
    fpy_nvs_header_decode(page, &v->hdr);
    v->kind = fpy_nvs_page_kind(&v->hdr, fpy_is_erased(page + 4, FPY_NVS_PAGE_SIZE - 4u),
                                &v->why);
    for (uint32_t i = 0; i < FPY_NVS_ENTRY_COUNT; i++) {
        if (!fpy_is_erased(fpy_nvs_page_entry(page, i), FPY_NVS_ENTRY_SIZE))
            dirty[i / 8u] = (uint8_t)(dirty[i / 8u] | (1u << (i % 8u)));
        v->count[fpy_nvs_bitmap_get(bm, i)]++;
    }
    v->next_free = fpy_nvs_next_free(bm, dirty);
}
