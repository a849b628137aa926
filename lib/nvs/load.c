/*
 * fpy_nvs_init: scan the pages, rebuild the RAM index, and finish or undo
 * whatever a power cut interrupted.  The decisions are ESP-IDF's
 * (PageManager::load, Page::load, Storage::init), made stricter where the
 * fault model needs it (docs/nvs.md, "Recovery"):
 *
 *  1. Each page is classified from its header (nvs_format.c).
 *  2. An interrupted garbage collection (a FREEING page) whose copy had
 *     started: the copy, the newest page, is erased.
 *  3. Each page's entries are walked: entries programmed but never marked,
 *     illegal states, bad headers and incomplete items are marked ERASED.
 *  4. The FREEING page is copied again and erased.
 *  5. Blob indexes whose chunks do not add up are dropped; of two copies of
 *     a key the newer complete one stays; blob indexes are checked again;
 *     chunks no index claims go.
 *
 * Every step only clears bits and is idempotent, so a cut during init is
 * handled by the next init.  Read-only, the same decisions change only the
 * RAM index.
 */
#include <string.h>

#include "fipy/bytes.h"
#include "nvs_int.h"

/* ---- headers ---------------------------------------------------------------- */

static int fpy_nvs_rest_erased(const fpy_nvs *nvs, uint32_t p, int *erased)
{
    uint8_t scratch[64];
    return fpy_flash_is_erased(&nvs->flash, fpy_nvs_page_addr(nvs, p) + 4u,
                               FPY_NVS_PAGE_SIZE - 4u, scratch, sizeof scratch, erased);
}

static int fpy_nvs_load_header(fpy_nvs *nvs, uint32_t p)
{
    uint8_t raw[32];
    fpy_nvs_header h;
    fpy_nvs_pwhy why;
    int erased = 1;
    fpy_nvs_page *pg = &nvs->pages[p];
    memset(pg, 0, sizeof *pg);
    FPY_TRY(fpy_flash_read(&nvs->flash, fpy_nvs_page_addr(nvs, p), raw, sizeof raw));
    fpy_nvs_header_decode(raw, &h);
    if (h.state == FPY_NVS_STATE_EMPTY)
        FPY_TRY(fpy_nvs_rest_erased(nvs, p, &erased));
    fpy_nvs_pkind kind = fpy_nvs_page_kind(&h, erased, &why);
    if (kind == FPY_NVS_PK_NEWER)
        return FPY_ERR_UNSUPPORTED;
    pg->kind = (uint8_t)kind;
    nvs->report.pages_corrupt += kind == FPY_NVS_PK_CORRUPT;
    if (fpy_nvs_in_list(pg)) {
        pg->seq = h.seq;
        if (h.seq >= nvs->next_seq)
            nvs->next_seq = h.seq + 1u;
    }
    return FPY_OK;
}

/* ---- entries ------------------------------------------------------------------- */

static int fpy_nvs_dirty_map(const fpy_nvs *nvs, uint32_t p, uint8_t dirty[16])
{
    uint8_t raw[FPY_NVS_ENTRY_SIZE];
    memset(dirty, 0, 16);
    for (uint32_t i = 0; i < FPY_NVS_ENTRY_COUNT; i++) {
        FPY_TRY(fpy_nvs_read_raw(nvs, p, i, raw));
        if (!fpy_is_erased(raw, sizeof raw))
            dirty[i / 8u] = (uint8_t)(dirty[i / 8u] | (1u << (i % 8u)));
    }
    return FPY_OK;
}

static void fpy_nvs_want_erased(uint8_t want[32], uint32_t first, uint32_t n)
{
    for (uint32_t k = first; k < first + n && k < FPY_NVS_ENTRY_COUNT; k++)
        fpy_nvs_bitmap_set(want, k, FPY_NVS_ES_ERASED);
}

/* Walk the entries: tag sound items, and set in `want` the entries that
 * must become ERASED.  The headers of incomplete items go in `heads`:
 * they are erased only after their payload (see fpy_nvs_mark). */
static int fpy_nvs_walk(fpy_nvs *nvs, uint32_t p, const uint8_t bm[32], uint8_t want[32],
                        uint8_t heads[16])
{
    fpy_nvs_page *pg = &nvs->pages[p];
    uint8_t raw[FPY_NVS_ENTRY_SIZE];
    fpy_nvs_item it;
    fpy_nvs_verdict v;
    for (uint32_t i = 0, n = 1; i < pg->next_free; i += n) {
        FPY_TRY(fpy_nvs_read_raw(nvs, p, i, raw));
        n = fpy_nvs_classify(bm, pg->next_free, i, raw, &it, &v, NULL);
        if (v == FPY_NVS_V_ITEM) {
            pg->tag[i] = fpy_nvs_tag(it.ns, it.key, it.chunk);
        } else if (v != FPY_NVS_V_ERASED && v != FPY_NVS_V_FREE) {
            fpy_nvs_want_erased(want, i, n);
            nvs->report.entries_dropped += n;
            if (n > 1)
                heads[i / 8u] = (uint8_t)(heads[i / 8u] | (1u << (i % 8u)));
            if (i + n > pg->next_free) /* an incomplete item's empty tail */
                pg->next_free = (uint8_t)(i + n);
        }
    }
    return FPY_OK;
}

static void fpy_nvs_count(fpy_nvs_page *pg, const uint8_t bm[32])
{
    pg->used = 0;
    pg->erased = 0;
    for (uint32_t i = 0; i < FPY_NVS_ENTRY_COUNT; i++) {
        fpy_nvs_estate s = fpy_nvs_bitmap_get(bm, i);
        pg->used = (uint8_t)(pg->used + (s == FPY_NVS_ES_WRITTEN));
        pg->erased = (uint8_t)(pg->erased + (s != FPY_NVS_ES_WRITTEN && s != FPY_NVS_ES_EMPTY));
    }
}

/* Payload entries first, then the headers of the items they belong to. */
static int fpy_nvs_repair(fpy_nvs *nvs, uint32_t p, const uint8_t bm[32],
                          const uint8_t want[32], const uint8_t heads[16])
{
    uint8_t first[FPY_NVS_BITMAP_SIZE];
    memcpy(first, want, sizeof first);
    for (uint32_t i = 0; i < FPY_NVS_ENTRY_COUNT; i++)
        if (((uint32_t)heads[i / 8u] >> (i % 8u)) & 1u)
            fpy_nvs_bitmap_set(first, i, fpy_nvs_bitmap_get(bm, i));
    FPY_TRY(fpy_nvs_apply_bitmap(nvs, p, bm, first, 1));
    return fpy_nvs_apply_bitmap(nvs, p, first, want, 1);
}

static int fpy_nvs_load_entries(fpy_nvs *nvs, uint32_t p)
{
    uint8_t bm[FPY_NVS_BITMAP_SIZE], want[FPY_NVS_BITMAP_SIZE], dirty[16], heads[16] = {0};
    fpy_nvs_page *pg = &nvs->pages[p];
    FPY_TRY(fpy_nvs_read_bitmap(nvs, p, bm));
    FPY_TRY(fpy_nvs_dirty_map(nvs, p, dirty));
    pg->next_free = (uint8_t)fpy_nvs_next_free(bm, dirty);
    memcpy(want, bm, sizeof want);
    FPY_TRY(fpy_nvs_walk(nvs, p, bm, want, heads));
    fpy_nvs_count(pg, want);
    if (nvs->read_only || memcmp(bm, want, sizeof bm) == 0)
        return FPY_OK;
    return fpy_nvs_repair(nvs, p, bm, want, heads);
}

/* ---- interrupted garbage collection ------------------------------------------------ */

static uint32_t fpy_nvs_find_kind(const fpy_nvs *nvs, uint8_t kind)
{
    for (uint32_t p = fpy_nvs_first_page(nvs); p != FPY_NVS_NO_PAGE;
         p = fpy_nvs_following_page(nvs, p))
        if (nvs->pages[p].kind == kind)
            return p;
    return FPY_NVS_NO_PAGE;
}

static uint32_t fpy_nvs_newest(const fpy_nvs *nvs)
{
    uint32_t last = FPY_NVS_NO_PAGE;
    for (uint32_t p = fpy_nvs_first_page(nvs); p != FPY_NVS_NO_PAGE;
         p = fpy_nvs_following_page(nvs, p))
        last = p;
    return last;
}

/* GC writes its copy to a page with a newer seq than any other: if a
 * FREEING page exists and the newest page is ACTIVE, that page is the
 * unfinished copy.  The FREEING page still has everything. */
static int fpy_nvs_drop_half_copy(fpy_nvs *nvs)
{
    uint32_t freeing = fpy_nvs_find_kind(nvs, FPY_NVS_PK_FREEING);
    uint32_t newest = fpy_nvs_newest(nvs);
    if (freeing == FPY_NVS_NO_PAGE || newest == freeing ||
        nvs->pages[newest].kind != FPY_NVS_PK_ACTIVE)
        return FPY_OK;
    if (nvs->read_only) { /* not read at all: it may hold a torn bitmap */
        nvs->pages[newest].kind = FPY_NVS_PK_CORRUPT;
        return FPY_OK;
    }
    return fpy_nvs_erase_page(nvs, newest);
}

static int fpy_nvs_finish_moves(fpy_nvs *nvs)
{
    for (uint32_t n = 0; n < nvs->npages && !nvs->read_only; n++) {
        uint32_t from = fpy_nvs_find_kind(nvs, FPY_NVS_PK_FREEING);
        uint32_t to = FPY_NVS_NO_PAGE;
        for (uint32_t p = 0; p < nvs->npages && to == FPY_NVS_NO_PAGE; p++)
            if (nvs->pages[p].kind == FPY_NVS_PK_FREE || nvs->pages[p].kind == FPY_NVS_PK_CORRUPT)
                to = p;
        if (from == FPY_NVS_NO_PAGE || to == FPY_NVS_NO_PAGE)
            return FPY_OK;
        FPY_TRY(fpy_nvs_move_page(nvs, from, to));
    }
    return FPY_OK;
}

/* ---- items across pages ------------------------------------------------------------ */

/* A blob index whose chunks are missing or do not add up is dropped
 * (ESP-IDF Storage::init); its chunks then go as orphans. */
static int fpy_nvs_check_blobs(fpy_nvs *nvs)
{
    fpy_nvs_loc loc = {0, 0};
    fpy_nvs_item it;
    int rc;
    while ((rc = fpy_nvs_next_item(nvs, &loc, &it)) == FPY_OK) {
        if (it.type == FPY_NVS_TYPE_BLOB_IDX) {
            rc = fpy_nvs_blob_check(nvs, &it);
            if (rc == FPY_ERR_CORRUPT) {
                FPY_TRY(fpy_nvs_drop(nvs, &loc, 1));
                nvs->report.blobs_dropped++;
            } else {
                FPY_TRY(rc);
            }
        }
        loc.index++;
    }
    return rc == FPY_ERR_NOTFOUND ? FPY_OK : rc;
}

/* Of two copies, the loser is the older one, unless the newer one's
 * payload fails its CRC. */
static int fpy_nvs_loser(const fpy_nvs *nvs, const fpy_nvs_loc *a, const fpy_nvs_item *ia,
                         const fpy_nvs_loc *b, const fpy_nvs_item *ib, int *a_loses)
{
    int a_newer = fpy_nvs_is_newer(nvs, a, b);
    const fpy_nvs_loc *nl = a_newer ? a : b;
    const fpy_nvs_item *ni = a_newer ? ia : ib;
    int newer_bad = 0;
    if (fpy_nvs_type_is_varlen(ni->type)) {
        int rc = fpy_nvs_check_payload(nvs, nl, ni);
        if (rc != FPY_OK && rc != FPY_ERR_CHECKSUM)
            return rc;
        newer_bad = rc == FPY_ERR_CHECKSUM;
    }
    *a_loses = a_newer ? newer_bad : !newer_bad;
    return FPY_OK;
}

/* Settle every copy of the item at loc; *gone says whether it lost. */
static int fpy_nvs_settle(fpy_nvs *nvs, const fpy_nvs_loc *loc, const fpy_nvs_item *it,
                          int *gone)
{
    *gone = 0;
    for (uint32_t n = 0; n < nvs->npages * FPY_NVS_ENTRY_COUNT && !*gone; n++) {
        fpy_nvs_loc ol;
        fpy_nvs_item other;
        int a_loses = 0;
        int rc = fpy_nvs_find(nvs, it->ns, it->key, it->chunk, loc, &ol, &other);
        if (rc == FPY_ERR_NOTFOUND)
            return FPY_OK;
        FPY_TRY(rc);
        FPY_TRY(fpy_nvs_loser(nvs, loc, it, &ol, &other, &a_loses));
        FPY_TRY(fpy_nvs_drop(nvs, a_loses ? loc : &ol, a_loses ? it->span : other.span));
        nvs->report.duplicates++;
        *gone = a_loses;
    }
    return FPY_OK;
}

static int fpy_nvs_check_duplicates(fpy_nvs *nvs)
{
    fpy_nvs_loc loc = {0, 0};
    fpy_nvs_item it;
    int rc, gone;
    while ((rc = fpy_nvs_next_item(nvs, &loc, &it)) == FPY_OK) {
        FPY_TRY(fpy_nvs_settle(nvs, &loc, &it, &gone));
        loc.index++;
    }
    return rc == FPY_ERR_NOTFOUND ? FPY_OK : rc;
}

static int fpy_nvs_is_claimed(const fpy_nvs *nvs, const fpy_nvs_item *chunk, int *claimed)
{
    fpy_nvs_loc il;
    fpy_nvs_item idx;
    int rc = fpy_nvs_find(nvs, chunk->ns, chunk->key, FPY_NVS_CHUNK_ANY, NULL, &il, &idx);
    *claimed = 0;
    if (rc == FPY_ERR_NOTFOUND)
        return FPY_OK;
    FPY_TRY(rc);
    uint32_t start = fpy_nvs_item_blob_start(&idx), count = fpy_nvs_item_blob_count(&idx);
    *claimed = idx.type == FPY_NVS_TYPE_BLOB_IDX && chunk->chunk >= start &&
               chunk->chunk < start + count;
    return FPY_OK;
}

static int fpy_nvs_check_orphans(fpy_nvs *nvs)
{
    fpy_nvs_loc loc = {0, 0};
    fpy_nvs_item it;
    int rc, claimed;
    while ((rc = fpy_nvs_next_item(nvs, &loc, &it)) == FPY_OK) {
        if (it.type == FPY_NVS_TYPE_BLOB) {
            FPY_TRY(fpy_nvs_is_claimed(nvs, &it, &claimed));
            if (!claimed) {
                FPY_TRY(fpy_nvs_drop(nvs, &loc, it.span));
                nvs->report.orphans++;
            }
        }
        loc.index++;
    }
    return rc == FPY_ERR_NOTFOUND ? FPY_OK : rc;
}

static int fpy_nvs_load_namespaces(fpy_nvs *nvs)
{
    fpy_nvs_loc loc = {0, 0};
    fpy_nvs_item it;
    int rc;
    memset(nvs->ns_used, 0, sizeof nvs->ns_used);
    while ((rc = fpy_nvs_next_item(nvs, &loc, &it)) == FPY_OK) {
        if (it.ns == FPY_NVS_NS_TABLE && it.type == FPY_NVS_TYPE_U8)
            nvs->ns_used[it.data[0] / 8u] |= (uint8_t)(1u << (it.data[0] % 8u));
        loc.index++;
    }
    return rc == FPY_ERR_NOTFOUND ? FPY_OK : rc;
}

/* ---- init ------------------------------------------------------------------------------ */

static int fpy_nvs_check_cfg(const fpy_nvs_cfg *cfg)
{
    if (cfg == NULL || cfg->flash == NULL || cfg->pages == NULL ||
        cfg->flash->geo.sector_size != FPY_NVS_PAGE_SIZE)
        return FPY_ERR_INVAL;
    /* the page writer and the seam divide by these: checked once, here */
    FPY_TRY(fpy_flash_check_geometry(&cfg->flash->geo));
    if (cfg->base % FPY_NVS_PAGE_SIZE != 0 || cfg->size % FPY_NVS_PAGE_SIZE != 0 ||
        cfg->size == 0 || cfg->size / FPY_NVS_PAGE_SIZE > cfg->page_cap)
        return FPY_ERR_INVAL;
    if (!fpy_in_bounds(cfg->base, cfg->size, cfg->flash->geo.size))
        return FPY_ERR_RANGE;
    if (!cfg->read_only && cfg->size < 2u * FPY_NVS_PAGE_SIZE)
        return FPY_ERR_INVAL;
    return FPY_OK;
}

static void fpy_nvs_pick_current(fpy_nvs *nvs)
{
    uint32_t newest = fpy_nvs_newest(nvs);
    nvs->cur = newest != FPY_NVS_NO_PAGE && nvs->pages[newest].kind == FPY_NVS_PK_ACTIVE
                   ? newest
                   : FPY_NVS_NO_PAGE;
}

static int fpy_nvs_load(fpy_nvs *nvs)
{
    for (uint32_t p = 0; p < nvs->npages; p++)
        FPY_TRY(fpy_nvs_load_header(nvs, p));
    FPY_TRY(fpy_nvs_drop_half_copy(nvs));
    for (uint32_t p = 0; p < nvs->npages; p++)
        if (fpy_nvs_in_list(&nvs->pages[p]))
            FPY_TRY(fpy_nvs_load_entries(nvs, p));
    fpy_nvs_pick_current(nvs);
    FPY_TRY(fpy_nvs_finish_moves(nvs));
    FPY_TRY(fpy_nvs_check_blobs(nvs));
    FPY_TRY(fpy_nvs_check_duplicates(nvs));
    /* Settling duplicate chunks (a generated image may hold the same blob
     * key twice, both in chunk range 0x00) can break an index that looked
     * whole: check again before the orphans go. */
    FPY_TRY(fpy_nvs_check_blobs(nvs));
    FPY_TRY(fpy_nvs_check_orphans(nvs));
    FPY_TRY(fpy_nvs_load_namespaces(nvs));
    fpy_nvs_pick_current(nvs);
    return FPY_OK;
}

int fpy_nvs_init(fpy_nvs *nvs, const fpy_nvs_cfg *cfg)
{
    FPY_TRY(fpy_nvs_check_cfg(cfg));
    memset(nvs, 0, sizeof *nvs);
    nvs->flash = *cfg->flash;
    nvs->base = cfg->base;
    nvs->npages = cfg->size / FPY_NVS_PAGE_SIZE;
    nvs->pages = cfg->pages;
    nvs->read_only = cfg->read_only ? 1u : 0u;
    nvs->cur = FPY_NVS_NO_PAGE;
    nvs->ready = 1; /* the repairs below need it; cleared on any failure */
    int rc = fpy_nvs_load(nvs);
    if (rc == FPY_OK && !nvs->read_only && fpy_nvs_free_pages(nvs) == 0)
        rc = FPY_ERR_NOSPC;
    if (rc != FPY_OK)
        nvs->ready = 0;
    return rc;
}
