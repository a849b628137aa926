/*
 * Space in the NVS store: writing an item, moving to a new page, and
 * garbage collection by page rotation with one page always kept free.
 *
 * Write order of one item (power-safe): program the header entry and the
 * payload entries, then mark them WRITTEN.  Until the mark lands, the
 * entries are "written but never marked" and init erases them; after it,
 * the item is complete.
 *
 * Garbage collection (ESP-IDF's requestNewPage with one free page left):
 * the victim is the page with the most entries not in use; it is marked
 * FREEING, its WRITTEN entries are copied to the free page (header first,
 * entries, then the bitmap in one program), and it is erased.  A cut
 * anywhere leaves either the FREEING page intact (init throws away the
 * half-written copy and does it again) or the copy complete.
 */
#include <string.h>

#include "nvs_int.h"

uint32_t fpy_nvs_free_pages(const fpy_nvs *nvs)
{
    uint32_t n = 0;
    for (uint32_t p = 0; p < nvs->npages; p++)
        n += nvs->pages[p].kind == FPY_NVS_PK_FREE || nvs->pages[p].kind == FPY_NVS_PK_CORRUPT;
    return n;
}

/* Free pages are taken round-robin after the current one, which spreads
 * the erases over the partition. */
static uint32_t fpy_nvs_pick_free(const fpy_nvs *nvs)
{
    uint32_t start = nvs->cur == FPY_NVS_NO_PAGE ? 0 : nvs->cur + 1u;
    for (uint32_t k = 0; k < nvs->npages; k++) {
        uint32_t p = (start + k) % nvs->npages;
        uint8_t kind = nvs->pages[p].kind;
        if (kind == FPY_NVS_PK_FREE || kind == FPY_NVS_PK_CORRUPT)
            return p;
    }
    return FPY_NVS_NO_PAGE;
}

/* A page that may hold leftovers of a torn write or erase is erased
 * before it gets a header. */
static int fpy_nvs_prepare_free(fpy_nvs *nvs, uint32_t p)
{
    if (nvs->pages[p].kind == FPY_NVS_PK_CORRUPT)
        FPY_TRY(fpy_nvs_erase_page(nvs, p));
    return FPY_OK;
}

static int fpy_nvs_activate(fpy_nvs *nvs, uint32_t p)
{
    FPY_TRY(fpy_nvs_prepare_free(nvs, p));
    FPY_TRY(fpy_nvs_write_header(nvs, p));
    nvs->cur = p;
    return FPY_OK;
}

/* The page with the most entries not in use; ties go to the older page. */
static uint32_t fpy_nvs_pick_victim(const fpy_nvs *nvs)
{
    uint32_t best = FPY_NVS_NO_PAGE, best_unused = 0;
    for (uint32_t p = fpy_nvs_first_page(nvs); p != FPY_NVS_NO_PAGE;
         p = fpy_nvs_following_page(nvs, p)) {
        uint32_t unused = FPY_NVS_ENTRY_COUNT - nvs->pages[p].used;
        if (nvs->pages[p].kind != FPY_NVS_PK_FREEING && unused > best_unused) {
            best = p;
            best_unused = unused;
        }
    }
    return best;
}

/* Copy the WRITTEN entries of `from` to the start of `to`, keeping their
 * tags; returns the count in *n. */
static int fpy_nvs_copy_entries(fpy_nvs *nvs, uint32_t from, uint32_t to, uint32_t *n)
{
    uint8_t bm[FPY_NVS_BITMAP_SIZE], raw[FPY_NVS_ENTRY_SIZE];
    fpy_nvs_stage st;
    FPY_TRY(fpy_nvs_read_bitmap(nvs, from, bm));
    fpy_nvs_stage_start(&st, nvs, to, 0);
    *n = 0;
    for (uint32_t i = 0; i < FPY_NVS_ENTRY_COUNT; i++) {
        if (fpy_nvs_bitmap_get(bm, i) != FPY_NVS_ES_WRITTEN)
            continue;
        FPY_TRY(fpy_nvs_read_raw(nvs, from, i, raw));
        FPY_TRY(fpy_nvs_stage_put(&st, raw, sizeof raw));
        nvs->pages[to].tag[*n] = nvs->pages[from].tag[i];
        (*n)++;
    }
    return fpy_nvs_stage_end(&st);
}

int fpy_nvs_move_page(fpy_nvs *nvs, uint32_t from, uint32_t to)
{
    uint8_t have[FPY_NVS_BITMAP_SIZE], want[FPY_NVS_BITMAP_SIZE];
    uint32_t n = 0;
    FPY_TRY(fpy_nvs_prepare_free(nvs, to));
    FPY_TRY(fpy_nvs_write_header(nvs, to));
    FPY_TRY(fpy_nvs_copy_entries(nvs, from, to, &n));
    memset(have, 0xFF, sizeof have);
    memset(want, 0xFF, sizeof want);
    for (uint32_t i = 0; i < n; i++)
        fpy_nvs_bitmap_set(want, i, FPY_NVS_ES_WRITTEN);
    /* The whole bitmap in as few programs as possible: the copy becomes
     * real only when this lands; until then init redoes the move. */
    FPY_TRY(fpy_nvs_apply_bitmap(nvs, to, have, want, 0));
    nvs->pages[to].next_free = (uint8_t)n;
    nvs->pages[to].used = (uint8_t)n;
    nvs->cur = to;
    nvs->report.pages_moved++;
    return fpy_nvs_erase_page(nvs, from);
}

static int fpy_nvs_gc(fpy_nvs *nvs)
{
    uint32_t target = fpy_nvs_pick_free(nvs);
    uint32_t victim = fpy_nvs_pick_victim(nvs);
    if (target == FPY_NVS_NO_PAGE || victim == FPY_NVS_NO_PAGE)
        return FPY_ERR_NOSPC;
    FPY_TRY(fpy_nvs_prepare_free(nvs, target));
    FPY_TRY(fpy_nvs_set_page_state(nvs, victim, FPY_NVS_STATE_FREEING));
    nvs->pages[victim].kind = FPY_NVS_PK_FREEING;
    return fpy_nvs_move_page(nvs, victim, target);
}

int fpy_nvs_next_page(fpy_nvs *nvs)
{
    uint32_t cur = nvs->cur;
    if (cur != FPY_NVS_NO_PAGE && nvs->pages[cur].kind == FPY_NVS_PK_ACTIVE) {
        FPY_TRY(fpy_nvs_set_page_state(nvs, cur, FPY_NVS_STATE_FULL));
        nvs->pages[cur].kind = FPY_NVS_PK_FULL;
    }
    uint32_t nfree = fpy_nvs_free_pages(nvs);
    if (nfree == 0)
        return FPY_ERR_NOSPC;
    if (nfree >= 2)
        return fpy_nvs_activate(nvs, fpy_nvs_pick_free(nvs));
    return fpy_nvs_gc(nvs);
}

/* ESP-IDF retries once after one GC; we go on while it can help, bounded
 * by the page count, so that free space spread over several pages can
 * still be gathered for a long string. */
int fpy_nvs_reserve(fpy_nvs *nvs, uint32_t span)
{
    if (span == 0 || span > FPY_NVS_ENTRY_COUNT)
        return FPY_ERR_NOSPC;
    for (uint32_t round = 0; round <= nvs->npages; round++) {
        uint32_t cur = nvs->cur;
        if (cur != FPY_NVS_NO_PAGE && nvs->pages[cur].kind == FPY_NVS_PK_ACTIVE &&
            FPY_NVS_ENTRY_COUNT - nvs->pages[cur].next_free >= span)
            return FPY_OK;
        FPY_TRY(fpy_nvs_next_page(nvs));
    }
    return FPY_ERR_NOSPC;
}

static void fpy_nvs_fill_varlen(fpy_nvs_item *it, const void *payload, uint32_t len)
{
    it->span = (uint8_t)fpy_nvs_span_for(len);
    it->data[0] = (uint8_t)len;
    it->data[1] = (uint8_t)(len >> 8);
    it->data[2] = 0xFF;
    it->data[3] = 0xFF;
    uint32_t crc = fpy_nvs_crc(payload, len);
    for (uint32_t k = 0; k < 4; k++)
        it->data[4 + k] = (uint8_t)(crc >> (8 * k));
}

int fpy_nvs_write_item(fpy_nvs *nvs, fpy_nvs_item *it, const void *payload, uint32_t len,
                       fpy_nvs_loc *loc)
{
    uint8_t raw[FPY_NVS_ENTRY_SIZE];
    fpy_nvs_stage st;
    int varlen = fpy_nvs_type_is_varlen(it->type);
    if (varlen && len > FPY_NVS_CHUNK_MAX)
        return FPY_ERR_NOSPC;
    if (varlen)
        fpy_nvs_fill_varlen(it, payload, len);
    else
        it->span = 1;
    FPY_TRY(fpy_nvs_reserve(nvs, it->span));
    uint32_t p = nvs->cur, i = nvs->pages[p].next_free;
    fpy_nvs_item_encode(it, raw);
    fpy_nvs_stage_start(&st, nvs, p, i);
    /* From here the entries count as used even if we are cut off. */
    nvs->pages[p].next_free = (uint8_t)(i + it->span);
    FPY_TRY(fpy_nvs_stage_put(&st, raw, sizeof raw));
    if (varlen)
        FPY_TRY(fpy_nvs_stage_put(&st, payload, len));
    FPY_TRY(fpy_nvs_stage_end(&st));
    FPY_TRY(fpy_nvs_mark(nvs, p, i, it->span, FPY_NVS_ES_WRITTEN));
    nvs->pages[p].tag[i] = fpy_nvs_tag(it->ns, it->key, it->chunk);
    loc->page = p;
    loc->index = i;
    return FPY_OK;
}

/* After a new value is complete, the old one goes (an update of any type,
 * a blob's previous version).  Bounded: each pass drops one item. */
int fpy_nvs_erase_twins(fpy_nvs *nvs, uint8_t ns, const char key[FPY_NVS_KEY_SIZE],
                        const fpy_nvs_loc *keep)
{
    for (uint32_t n = 0; n < nvs->npages * FPY_NVS_ENTRY_COUNT; n++) {
        fpy_nvs_loc loc;
        fpy_nvs_item it;
        int rc = fpy_nvs_find(nvs, ns, key, FPY_NVS_CHUNK_ANY, keep, &loc, &it);
        if (rc == FPY_ERR_NOTFOUND)
            return FPY_OK;
        FPY_TRY(rc);
        FPY_TRY(fpy_nvs_drop_value(nvs, &loc, &it));
    }
    return FPY_OK;
}
