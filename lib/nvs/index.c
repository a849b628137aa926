/*
 * The RAM index of the NVS store: a 16-bit tag per item header, lookups
 * that read only entries whose tag matches, page order by sequence number,
 * and dropping items (RAM always, flash unless read-only).
 */
#include <string.h>

#include "fipy/hash.h"
#include "nvs_int.h"

uint16_t fpy_nvs_tag(uint8_t ns, const char key[FPY_NVS_KEY_SIZE], uint8_t chunk)
{
    uint16_t t = (uint16_t)fpy_nvs_item_hash(ns, key, chunk);
    return t != 0 ? t : 1u; /* 0 means "no item here" */
}

int fpy_nvs_in_list(const fpy_nvs_page *p)
{
    return p->kind == FPY_NVS_PK_ACTIVE || p->kind == FPY_NVS_PK_FULL ||
           p->kind == FPY_NVS_PK_FREEING;
}

int fpy_nvs_ready(const fpy_nvs *nvs)
{
    return nvs != NULL && nvs->ready ? FPY_OK : FPY_ERR_STATE;
}

int fpy_nvs_writable(const fpy_nvs_handle *h)
{
    if (h == NULL || h->nvs == NULL)
        return FPY_ERR_INVAL;
    FPY_TRY(fpy_nvs_ready(h->nvs));
    return h->writable && !h->nvs->read_only ? FPY_OK : FPY_ERR_STATE;
}

static int fpy_nvs_loc_eq(const fpy_nvs_loc *a, uint32_t page, uint32_t index)
{
    return a != NULL && a->page == page && a->index == index;
}

static int fpy_nvs_same_key(const fpy_nvs_item *it, uint8_t ns,
                            const char key[FPY_NVS_KEY_SIZE], uint8_t chunk)
{
    return it->ns == ns && it->chunk == chunk &&
           memcmp(it->key, key, FPY_NVS_KEY_SIZE) == 0;
}

int fpy_nvs_find(const fpy_nvs *nvs, uint8_t ns, const char key[FPY_NVS_KEY_SIZE],
                 uint8_t chunk, const fpy_nvs_loc *skip, fpy_nvs_loc *loc, fpy_nvs_item *it)
{
    uint16_t tag = fpy_nvs_tag(ns, key, chunk);
    for (uint32_t p = 0; p < nvs->npages; p++) {
        const fpy_nvs_page *pg = &nvs->pages[p];
        if (!fpy_nvs_in_list(pg))
            continue;
        for (uint32_t i = 0; i < pg->next_free && i < FPY_NVS_ENTRY_COUNT; i++) {
            if (pg->tag[i] != tag || fpy_nvs_loc_eq(skip, p, i))
                continue;
            fpy_nvs_loc l = {p, i};
            FPY_TRY(fpy_nvs_read_item(nvs, &l, it));
            if (fpy_nvs_same_key(it, ns, key, chunk)) {
                *loc = l;
                return FPY_OK;
            }
        }
    }
    return FPY_ERR_NOTFOUND;
}

int fpy_nvs_next_item(const fpy_nvs *nvs, fpy_nvs_loc *loc, fpy_nvs_item *it)
{
    for (; loc->page < nvs->npages; loc->page++, loc->index = 0) {
        const fpy_nvs_page *pg = &nvs->pages[loc->page];
        if (!fpy_nvs_in_list(pg))
            continue;
        for (; loc->index < pg->next_free && loc->index < FPY_NVS_ENTRY_COUNT; loc->index++)
            if (pg->tag[loc->index] != 0)
                return fpy_nvs_read_item(nvs, loc, it);
    }
    return FPY_ERR_NOTFOUND;
}

/* (seq, page index) orders pages; ties cannot happen on a sound store
 * but an image may have them. */
static int fpy_nvs_page_before(const fpy_nvs *nvs, uint32_t a, uint32_t b)
{
    uint32_t sa = nvs->pages[a].seq, sb = nvs->pages[b].seq;
    return sa < sb || (sa == sb && a < b);
}

uint32_t fpy_nvs_first_page(const fpy_nvs *nvs)
{
    uint32_t best = FPY_NVS_NO_PAGE;
    for (uint32_t p = 0; p < nvs->npages; p++)
        if (fpy_nvs_in_list(&nvs->pages[p]) &&
            (best == FPY_NVS_NO_PAGE || fpy_nvs_page_before(nvs, p, best)))
            best = p;
    return best;
}

uint32_t fpy_nvs_following_page(const fpy_nvs *nvs, uint32_t page)
{
    uint32_t best = FPY_NVS_NO_PAGE;
    for (uint32_t p = 0; p < nvs->npages; p++) {
        if (!fpy_nvs_in_list(&nvs->pages[p]) || !fpy_nvs_page_before(nvs, page, p))
            continue;
        if (best == FPY_NVS_NO_PAGE || fpy_nvs_page_before(nvs, p, best))
            best = p;
    }
    return best;
}

int fpy_nvs_is_newer(const fpy_nvs *nvs, const fpy_nvs_loc *a, const fpy_nvs_loc *b)
{
    if (a->page == b->page)
        return a->index > b->index;
    return fpy_nvs_page_before(nvs, b->page, a->page);
}

int fpy_nvs_drop(fpy_nvs *nvs, const fpy_nvs_loc *loc, uint32_t span)
{
    fpy_nvs_page *pg = &nvs->pages[loc->page];
    if (span == 0 || loc->index + span > FPY_NVS_ENTRY_COUNT)
        span = 1;
    pg->tag[loc->index] = 0;
    if (nvs->read_only)
        return FPY_OK;
    return fpy_nvs_mark(nvs, loc->page, loc->index, span, FPY_NVS_ES_ERASED);
}

/* A blob goes index first: once the index is gone its chunks are orphans,
 * which init erases if a cut stops us before we do. */
int fpy_nvs_drop_value(fpy_nvs *nvs, const fpy_nvs_loc *loc, const fpy_nvs_item *it)
{
    FPY_TRY(fpy_nvs_drop(nvs, loc, it->span));
    if (it->type != FPY_NVS_TYPE_BLOB_IDX)
        return FPY_OK;
    uint32_t start = fpy_nvs_item_blob_start(it);
    uint32_t count = fpy_nvs_item_blob_count(it);
    for (uint32_t k = start; k < start + count && k < FPY_NVS_CHUNK_ANY; k++) {
        fpy_nvs_loc cl;
        fpy_nvs_item chunk;
        int rc = fpy_nvs_find(nvs, it->ns, it->key, (uint8_t)k, NULL, &cl, &chunk);
        if (rc == FPY_ERR_NOTFOUND)
            continue;
        FPY_TRY(rc);
        FPY_TRY(fpy_nvs_drop(nvs, &cl, chunk.span));
    }
    return FPY_OK;
}

int fpy_nvs_read_payload(const fpy_nvs *nvs, const fpy_nvs_loc *loc, uint32_t off,
                         void *buf, uint32_t len)
{
    uint32_t addr = fpy_nvs_entry_addr(nvs, loc->page, loc->index) + FPY_NVS_ENTRY_SIZE;
    if (off > FPY_NVS_CHUNK_MAX || len > FPY_NVS_CHUNK_MAX - off)
        return FPY_ERR_CORRUPT;
    return fpy_flash_read(&nvs->flash, addr + off, buf, len);
}

int fpy_nvs_check_payload(const fpy_nvs *nvs, const fpy_nvs_loc *loc, const fpy_nvs_item *it)
{
    uint8_t buf[64];
    uint32_t size = fpy_nvs_item_vsize(it), crc = 0xFFFFFFFFu;
    for (uint32_t off = 0; off < size; off += sizeof buf) {
        uint32_t n = size - off < sizeof buf ? size - off : (uint32_t)sizeof buf;
        FPY_TRY(fpy_nvs_read_payload(nvs, loc, off, buf, n));
        crc = fpy_crc32_le(crc, buf, n);
    }
    return crc == fpy_nvs_item_vcrc(it) ? FPY_OK : FPY_ERR_CHECKSUM;
}

int fpy_nvs_payload_equals(const fpy_nvs *nvs, const fpy_nvs_loc *loc, const void *data,
                           uint32_t len, int *equal)
{
    uint8_t buf[64];
    const uint8_t *d = data;
    *equal = 1;
    for (uint32_t off = 0; off < len && *equal; off += sizeof buf) {
        uint32_t n = len - off < sizeof buf ? len - off : (uint32_t)sizeof buf;
        FPY_TRY(fpy_nvs_read_payload(nvs, loc, off, buf, n));
        *equal = memcmp(buf, d + off, n) == 0;
    }
    return FPY_OK;
}
