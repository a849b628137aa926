/*
 * The NVS store's public operations: namespaces, typed set/get, erase,
 * statistics and iteration.  Every set writes the new item in full before
 * the old one is erased (space.c), so a cut leaves one or the other.
 */
#include <string.h>

#include "fipy/bytes.h"
#include "nvs_int.h"

/* ---- namespaces ------------------------------------------------------------ */

static int fpy_nvs_ns_lookup(const fpy_nvs *nvs, const char key[FPY_NVS_KEY_SIZE], uint8_t *idx)
{
    fpy_nvs_loc loc;
    fpy_nvs_item it;
    FPY_TRY(fpy_nvs_find(nvs, FPY_NVS_NS_TABLE, key, FPY_NVS_CHUNK_ANY, NULL, &loc, &it));
    if (it.type != FPY_NVS_TYPE_U8)
        return FPY_ERR_NOTFOUND;
    *idx = it.data[0];
    return FPY_OK;
}

static int fpy_nvs_ns_create(fpy_nvs *nvs, fpy_nvs_item *it, uint8_t *idx)
{
    fpy_nvs_loc loc;
    uint32_t i = 1;
    while (i < 255u && ((uint32_t)nvs->ns_used[i / 8u] >> (i % 8u)) & 1u)
        i++;
    if (i >= 255u)
        return FPY_ERR_NOSPC;
    it->data[0] = (uint8_t)i;
    FPY_TRY(fpy_nvs_write_item(nvs, it, NULL, 0, &loc));
    nvs->ns_used[i / 8u] |= (uint8_t)(1u << (i % 8u));
    *idx = (uint8_t)i;
    return FPY_OK;
}

int fpy_nvs_open(fpy_nvs *nvs, const char *name, fpy_nvs_mode mode, fpy_nvs_handle *h)
{
    fpy_nvs_item it;
    uint8_t idx = 0;
    FPY_TRY(fpy_nvs_ready(nvs));
    FPY_TRY(fpy_nvs_item_init(&it, FPY_NVS_NS_TABLE, FPY_NVS_TYPE_U8, name));
    if (mode == FPY_NVS_READWRITE && nvs->read_only)
        return FPY_ERR_STATE;
    int rc = fpy_nvs_ns_lookup(nvs, it.key, &idx);
    if (rc == FPY_ERR_NOTFOUND && mode == FPY_NVS_READWRITE)
        rc = fpy_nvs_ns_create(nvs, &it, &idx);
    FPY_TRY(rc);
    h->nvs = nvs;
    h->ns = idx;
    h->writable = mode == FPY_NVS_READWRITE;
    return FPY_OK;
}

/* ---- lookups ------------------------------------------------------------------ */

/* The item holding `key` in the handle's namespace (any type). */
static int fpy_nvs_lookup(const fpy_nvs_handle *h, const char *key, fpy_nvs_loc *loc,
                          fpy_nvs_item *it)
{
    fpy_nvs_item probe;
    if (h == NULL || h->nvs == NULL)
        return FPY_ERR_INVAL;
    FPY_TRY(fpy_nvs_ready(h->nvs));
    FPY_TRY(fpy_nvs_item_init(&probe, h->ns, FPY_NVS_TYPE_ANY, key));
    return fpy_nvs_find(h->nvs, h->ns, probe.key, FPY_NVS_CHUNK_ANY, NULL, loc, it);
}

/* Write a new item for `it` and erase whatever the key held before. */
static int fpy_nvs_replace(const fpy_nvs_handle *h, fpy_nvs_item *it, const void *payload,
                           uint32_t len)
{
    fpy_nvs_loc loc;
    FPY_TRY(fpy_nvs_write_item(h->nvs, it, payload, len, &loc));
    return fpy_nvs_erase_twins(h->nvs, h->ns, it->key, &loc);
}

/* ---- integers ------------------------------------------------------------------- */

static int fpy_nvs_settable_int(fpy_nvs_type type)
{
    return fpy_nvs_type_is_int((uint8_t)type) && type != FPY_NVS_TYPE_FLOAT &&
           type != FPY_NVS_TYPE_DOUBLE;
}

int fpy_nvs_set_int(const fpy_nvs_handle *h, const char *key, fpy_nvs_type type, uint64_t raw)
{
    fpy_nvs_item it, old;
    fpy_nvs_loc loc;
    FPY_TRY(fpy_nvs_writable(h));
    if (!fpy_nvs_settable_int(type))
        return FPY_ERR_INVAL;
    FPY_TRY(fpy_nvs_item_init(&it, h->ns, (uint8_t)type, key));
    for (uint32_t k = 0; k < ((uint32_t)type & 0x0Fu); k++)
        it.data[k] = (uint8_t)(raw >> (8u * k));
    int rc = fpy_nvs_find(h->nvs, h->ns, it.key, FPY_NVS_CHUNK_ANY, NULL, &loc, &old);
    if (rc == FPY_OK && old.type == it.type && memcmp(old.data, it.data, 8) == 0)
        return FPY_OK; /* unchanged: no wear */
    if (rc != FPY_OK && rc != FPY_ERR_NOTFOUND)
        return rc;
    return fpy_nvs_replace(h, &it, NULL, 0);
}

int fpy_nvs_get_int(const fpy_nvs_handle *h, const char *key, fpy_nvs_type type, uint64_t *raw)
{
    fpy_nvs_loc loc;
    fpy_nvs_item it;
    FPY_TRY(fpy_nvs_lookup(h, key, &loc, &it));
    if (it.type != (uint8_t)type || !fpy_nvs_type_is_int(it.type))
        return FPY_ERR_INVAL;
    *raw = fpy_nvs_item_uint(&it);
    return FPY_OK;
}

#define FPY_NVS_INT_PAIR(name, ctype, utype, code)                                    \
    int fpy_nvs_set_##name(const fpy_nvs_handle *h, const char *key, ctype v)          \
    {                                                                                 \
        return fpy_nvs_set_int(h, key, code, (uint64_t)(utype)v);                     \
    }                                                                                 \
    int fpy_nvs_get_##name(const fpy_nvs_handle *h, const char *key, ctype *v)         \
    {                                                                                 \
        uint64_t raw = 0;                                                             \
        FPY_TRY(fpy_nvs_get_int(h, key, code, &raw));                                 \
        *v = (ctype)(utype)raw;                                                       \
        return FPY_OK;                                                                \
    }

FPY_NVS_INT_PAIR(u8, uint8_t, uint8_t, FPY_NVS_TYPE_U8)
FPY_NVS_INT_PAIR(i8, int8_t, uint8_t, FPY_NVS_TYPE_I8)
FPY_NVS_INT_PAIR(u16, uint16_t, uint16_t, FPY_NVS_TYPE_U16)
FPY_NVS_INT_PAIR(i16, int16_t, uint16_t, FPY_NVS_TYPE_I16)
FPY_NVS_INT_PAIR(u32, uint32_t, uint32_t, FPY_NVS_TYPE_U32)
FPY_NVS_INT_PAIR(i32, int32_t, uint32_t, FPY_NVS_TYPE_I32)
FPY_NVS_INT_PAIR(u64, uint64_t, uint64_t, FPY_NVS_TYPE_U64)
FPY_NVS_INT_PAIR(i64, int64_t, uint64_t, FPY_NVS_TYPE_I64)

/* ---- strings and blobs ------------------------------------------------------------------ */

int fpy_nvs_set_str(const fpy_nvs_handle *h, const char *key, const char *s)
{
    fpy_nvs_item it, old;
    fpy_nvs_loc loc;
    int same = 0;
    FPY_TRY(fpy_nvs_writable(h));
    if (s == NULL)
        return FPY_ERR_INVAL;
    uint32_t len = (uint32_t)fpy_strnlen(s, FPY_NVS_STR_MAX) + 1u;
    if (len > FPY_NVS_STR_MAX)
        return FPY_ERR_NOSPC;
    FPY_TRY(fpy_nvs_item_init(&it, h->ns, FPY_NVS_TYPE_STR, key));
    int rc = fpy_nvs_find(h->nvs, h->ns, it.key, FPY_NVS_CHUNK_ANY, NULL, &loc, &old);
    if (rc == FPY_OK && old.type == FPY_NVS_TYPE_STR && fpy_nvs_item_vsize(&old) == len)
        FPY_TRY(fpy_nvs_payload_equals(h->nvs, &loc, s, len, &same));
    else if (rc != FPY_OK && rc != FPY_ERR_NOTFOUND)
        return rc;
    return same ? FPY_OK : fpy_nvs_replace(h, &it, s, len);
}

/* A single-item value (string, v1 blob) into buf, ESP-IDF length rules. */
static int fpy_nvs_get_varlen(const fpy_nvs_handle *h, const fpy_nvs_loc *loc,
                              const fpy_nvs_item *it, void *buf, size_t *len)
{
    uint32_t size = fpy_nvs_item_vsize(it);
    if (len == NULL)
        return FPY_ERR_INVAL;
    if (buf == NULL) {
        *len = size;
        return FPY_OK;
    }
    if (*len < size)
        return FPY_ERR_NOSPC;
    FPY_TRY(fpy_nvs_read_payload(h->nvs, loc, 0, buf, size));
    if (fpy_nvs_crc(buf, size) != fpy_nvs_item_vcrc(it))
        return FPY_ERR_CHECKSUM;
    *len = size;
    return FPY_OK;
}

int fpy_nvs_get_str(const fpy_nvs_handle *h, const char *key, char *buf, size_t *len)
{
    fpy_nvs_loc loc;
    fpy_nvs_item it;
    FPY_TRY(fpy_nvs_lookup(h, key, &loc, &it));
    if (it.type != FPY_NVS_TYPE_STR)
        return FPY_ERR_INVAL;
    return fpy_nvs_get_varlen(h, &loc, &it, buf, len);
}

int fpy_nvs_set_blob(const fpy_nvs_handle *h, const char *key, const void *data, size_t len)
{
    FPY_TRY(fpy_nvs_writable(h));
    if (len > 0xFFFFFFFFu)
        return FPY_ERR_NOSPC;
    return fpy_nvs_blob_write(h->nvs, h->ns, key, data, (uint32_t)len);
}

int fpy_nvs_get_blob(const fpy_nvs_handle *h, const char *key, void *buf, size_t *len)
{
    fpy_nvs_loc loc;
    fpy_nvs_item it;
    FPY_TRY(fpy_nvs_lookup(h, key, &loc, &it));
    if (it.type == FPY_NVS_TYPE_BLOB_V1)
        return fpy_nvs_get_varlen(h, &loc, &it, buf, len);
    if (it.type != FPY_NVS_TYPE_BLOB_IDX || len == NULL)
        return FPY_ERR_INVAL;
    uint32_t size = fpy_nvs_item_blob_size(&it);
    if (buf != NULL && *len < size)
        return FPY_ERR_NOSPC;
    if (buf != NULL)
        FPY_TRY(fpy_nvs_blob_read(h->nvs, &it, buf, size));
    *len = size;
    return FPY_OK;
}

static void fpy_nvs_value_size(const fpy_nvs_item *it, uint8_t *type, uint32_t *size)
{
    *type = it->type;
    if (it->type == FPY_NVS_TYPE_BLOB_IDX) {
        *type = FPY_NVS_TYPE_BLOB;
        *size = fpy_nvs_item_blob_size(it);
    } else if (fpy_nvs_type_is_varlen(it->type)) {
        *type = it->type == FPY_NVS_TYPE_BLOB_V1 ? FPY_NVS_TYPE_BLOB : it->type;
        *size = fpy_nvs_item_vsize(it);
    } else {
        *size = (uint32_t)it->type & 0x0Fu;
    }
}

int fpy_nvs_get_size(const fpy_nvs_handle *h, const char *key, fpy_nvs_type *type,
                     size_t *len)
{
    fpy_nvs_loc loc;
    fpy_nvs_item it;
    uint8_t t;
    uint32_t size;
    FPY_TRY(fpy_nvs_lookup(h, key, &loc, &it));
    fpy_nvs_value_size(&it, &t, &size);
    if (type != NULL)
        *type = (fpy_nvs_type)t;
    if (len != NULL)
        *len = size;
    return FPY_OK;
}

/* ---- erase -------------------------------------------------------------------------- */

int fpy_nvs_erase_key(const fpy_nvs_handle *h, const char *key)
{
    fpy_nvs_loc loc;
    fpy_nvs_item it;
    FPY_TRY(fpy_nvs_writable(h));
    FPY_TRY(fpy_nvs_lookup(h, key, &loc, &it));
    return fpy_nvs_erase_twins(h->nvs, h->ns, it.key, NULL);
}

int fpy_nvs_erase_all(const fpy_nvs_handle *h)
{
    fpy_nvs_loc loc = {0, 0};
    fpy_nvs_item it;
    int rc;
    FPY_TRY(fpy_nvs_writable(h));
    while ((rc = fpy_nvs_next_item(h->nvs, &loc, &it)) == FPY_OK) {
        if (it.ns == h->ns)
            FPY_TRY(fpy_nvs_drop(h->nvs, &loc, it.span));
        loc.index++;
    }
    return rc == FPY_ERR_NOTFOUND ? FPY_OK : rc;
}

/* ---- statistics ------------------------------------------------------------------------ */

int fpy_nvs_stats_get(const fpy_nvs *nvs, fpy_nvs_stats *st)
{
    FPY_TRY(fpy_nvs_ready(nvs));
    memset(st, 0, sizeof *st);
    for (uint32_t p = 0; p < nvs->npages; p++) {
        const fpy_nvs_page *pg = &nvs->pages[p];
        uint32_t used = fpy_nvs_in_list(pg) ? pg->used : 0;
        st->total_entries += FPY_NVS_ENTRY_COUNT;
        st->used_entries += used;
        st->free_entries += FPY_NVS_ENTRY_COUNT - used;
    }
    if (st->free_entries >= FPY_NVS_ENTRY_COUNT)
        st->available_entries = st->free_entries - FPY_NVS_ENTRY_COUNT;
    for (uint32_t i = 1; i < 255u; i++)
        st->namespace_count += ((uint32_t)nvs->ns_used[i / 8u] >> (i % 8u)) & 1u;
    return FPY_OK;
}

/* ---- iteration ------------------------------------------------------------------------- */

int fpy_nvs_iter_start(fpy_nvs_iter *it, fpy_nvs *nvs, const char *ns_name, fpy_nvs_type type)
{
    memset(it, 0, sizeof *it);
    FPY_TRY(fpy_nvs_ready(nvs));
    it->nvs = nvs;
    it->ns = FPY_NVS_NS_ANY;
    it->type = (uint8_t)type;
    if (ns_name != NULL) {
        fpy_nvs_item probe;
        FPY_TRY(fpy_nvs_item_init(&probe, FPY_NVS_NS_TABLE, FPY_NVS_TYPE_U8, ns_name));
        FPY_TRY(fpy_nvs_ns_lookup(nvs, probe.key, &it->ns));
    }
    it->page = fpy_nvs_first_page(nvs);
    it->index = 0;
    return FPY_OK;
}

/* Each key once: blob chunks and namespace entries are not keys. */
static int fpy_nvs_iter_wants(const fpy_nvs_iter *it, const fpy_nvs_item *item)
{
    uint8_t t = item->type;
    if (item->ns == FPY_NVS_NS_TABLE || t == FPY_NVS_TYPE_BLOB)
        return 0;
    if (it->ns != FPY_NVS_NS_ANY && item->ns != it->ns)
        return 0;
    if (t == FPY_NVS_TYPE_BLOB_IDX || t == FPY_NVS_TYPE_BLOB_V1)
        t = FPY_NVS_TYPE_BLOB;
    return it->type == FPY_NVS_TYPE_ANY || it->type == t;
}

int fpy_nvs_ns_name(const fpy_nvs *nvs, uint8_t ns, char name[FPY_NVS_KEY_SIZE])
{
    fpy_nvs_loc loc = {0, 0};
    fpy_nvs_item it;
    int rc;
    memset(name, 0, FPY_NVS_KEY_SIZE);
    FPY_TRY(fpy_nvs_ready(nvs));
    while ((rc = fpy_nvs_next_item(nvs, &loc, &it)) == FPY_OK) {
        if (it.ns == FPY_NVS_NS_TABLE && it.type == FPY_NVS_TYPE_U8 && it.data[0] == ns) {
            memcpy(name, it.key, FPY_NVS_KEY_SIZE);
            return FPY_OK;
        }
        loc.index++;
    }
    return rc;
}

static int fpy_nvs_iter_fill(fpy_nvs_iter *it, const fpy_nvs_item *item)
{
    fpy_nvs_value_size(item, &it->info.type, &it->info.size);
    it->info.ns = item->ns;
    memcpy(it->info.key, item->key, FPY_NVS_KEY_SIZE);
    int rc = fpy_nvs_ns_name(it->nvs, item->ns, it->info.ns_name);
    return rc == FPY_ERR_NOTFOUND ? FPY_OK : rc; /* a key in no known namespace */
}

int fpy_nvs_iter_next(fpy_nvs_iter *it)
{
    FPY_TRY(fpy_nvs_ready(it->nvs));
    while (it->page != FPY_NVS_NO_PAGE) {
        const fpy_nvs_page *pg = &it->nvs->pages[it->page];
        while (it->index < pg->next_free && it->index < FPY_NVS_ENTRY_COUNT) {
            fpy_nvs_loc loc = {it->page, it->index++};
            fpy_nvs_item item;
            if (pg->tag[loc.index] == 0)
                continue;
            FPY_TRY(fpy_nvs_read_item(it->nvs, &loc, &item));
            if (fpy_nvs_iter_wants(it, &item))
                return fpy_nvs_iter_fill(it, &item);
        }
        it->page = fpy_nvs_following_page(it->nvs, it->page);
        it->index = 0;
    }
    return FPY_ERR_NOTFOUND;
}
