/*
 * NVS flash access: entries, the entry-state bitmap, page headers.
 *
 * Every change NVS makes on flash only clears bits: a program lands on
 * erased entries, and a state change (page or entry) rewrites a word with
 * more zero bits.  The bitmap is rewritten one aligned 32-bit word at a
 * time, as ESP-IDF does, after reading the word back, because a program
 * may never ask for a 0 -> 1 transition.
 */
#include <string.h>

#include "fipy/bytes.h"
#include "nvs_int.h"

uint32_t fpy_nvs_page_addr(const fpy_nvs *nvs, uint32_t page)
{
    return nvs->base + page * FPY_NVS_PAGE_SIZE;
}

uint32_t fpy_nvs_entry_addr(const fpy_nvs *nvs, uint32_t page, uint32_t index)
{
    return fpy_nvs_page_addr(nvs, page) + FPY_NVS_FIRST_ENTRY + index * FPY_NVS_ENTRY_SIZE;
}

int fpy_nvs_read_raw(const fpy_nvs *nvs, uint32_t page, uint32_t index,
                     uint8_t raw[FPY_NVS_ENTRY_SIZE])
{
    return fpy_flash_read(&nvs->flash, fpy_nvs_entry_addr(nvs, page, index), raw,
                          FPY_NVS_ENTRY_SIZE);
}

int fpy_nvs_read_item(const fpy_nvs *nvs, const fpy_nvs_loc *loc, fpy_nvs_item *it)
{
    uint8_t raw[FPY_NVS_ENTRY_SIZE];
    FPY_TRY(fpy_nvs_read_raw(nvs, loc->page, loc->index, raw));
    fpy_nvs_item_decode(raw, it);
    return FPY_OK;
}

int fpy_nvs_read_bitmap(const fpy_nvs *nvs, uint32_t page, uint8_t bm[FPY_NVS_BITMAP_SIZE])
{
    return fpy_flash_read(&nvs->flash, fpy_nvs_page_addr(nvs, page) + FPY_NVS_BITMAP_OFFSET,
                          bm, FPY_NVS_BITMAP_SIZE);
}

/* Every mutation goes through here: a failure leaves the RAM index
 * possibly out of step with flash, so the store refuses work until init. */
static int fpy_nvs_prog(fpy_nvs *nvs, uint32_t addr, const void *buf, uint32_t len)
{
    int rc = fpy_flash_program(&nvs->flash, addr, buf, len);
    nvs->report.mutations++;
    if (rc != FPY_OK)
        nvs->ready = 0;
    return rc;
}

/*
 * One bitmap word from `have` to `want`.  An entry going from EMPTY (11)
 * to ERASED (00) is first taken to ILLEGAL (01): a torn program clears
 * only some of the bits it was asked to, and a direct 11 -> 00 could stop
 * at WRITTEN (10), bringing whatever bytes lie in the entry back to life.
 * Via 01, every intermediate state reads as "not an item".
 */
static int fpy_nvs_apply_word(fpy_nvs *nvs, uint32_t addr, uint32_t have, uint32_t want)
{
    uint8_t b[4];
    uint32_t lo = 0x55555555u; /* bit 0 of every pair */
    uint32_t was_empty = have & (have >> 1) & lo;
    uint32_t now_erased = ~want & (~want >> 1) & lo;
    uint32_t empty_to_erased = was_empty & now_erased;
    if (empty_to_erased != 0) {
        uint32_t step = have & ~(empty_to_erased << 1);
        fpy_put_le32(b, step);
        FPY_TRY(fpy_nvs_prog(nvs, addr, b, 4));
    }
    fpy_put_le32(b, want);
    return fpy_nvs_prog(nvs, addr, b, 4);
}

int fpy_nvs_apply_bitmap(fpy_nvs *nvs, uint32_t page, const uint8_t have[32],
                         const uint8_t want[32], int descending)
{
    uint32_t base = fpy_nvs_page_addr(nvs, page) + FPY_NVS_BITMAP_OFFSET;
    for (uint32_t k = 0; k < FPY_NVS_BITMAP_SIZE / 4u; k++) {
        uint32_t w = descending ? FPY_NVS_BITMAP_SIZE / 4u - 1u - k : k;
        uint32_t h = fpy_get_le32(have + 4u * w);
        uint32_t v = fpy_get_le32(want + 4u * w) & h; /* never ask for 0 -> 1 */
        if (v != h)
            FPY_TRY(fpy_nvs_apply_word(nvs, base + 4u * w, h, v));
    }
    return FPY_OK;
}

static void fpy_nvs_count_change(fpy_nvs_page *p, fpy_nvs_estate from, fpy_nvs_estate to)
{
    if (from == FPY_NVS_ES_WRITTEN && p->used > 0)
        p->used--;
    if (from == FPY_NVS_ES_ERASED && p->erased > 0)
        p->erased--;
    if (to == FPY_NVS_ES_WRITTEN)
        p->used++;
    if (to == FPY_NVS_ES_ERASED)
        p->erased++;
}

static int fpy_nvs_mark_range(fpy_nvs *nvs, uint32_t page, uint32_t first, uint32_t count,
                              fpy_nvs_estate state)
{
    uint8_t have[FPY_NVS_BITMAP_SIZE], want[FPY_NVS_BITMAP_SIZE];
    fpy_nvs_page *p = &nvs->pages[page];
    FPY_TRY(fpy_nvs_read_bitmap(nvs, page, have));
    memcpy(want, have, sizeof want);
    for (uint32_t i = first; i < first + count; i++) {
        fpy_nvs_estate old = fpy_nvs_bitmap_get(have, i);
        if (old == state || (old == FPY_NVS_ES_ERASED && state == FPY_NVS_ES_WRITTEN))
            continue;
        fpy_nvs_bitmap_set(want, i, state);
        fpy_nvs_count_change(p, old, state);
    }
    return fpy_nvs_apply_bitmap(nvs, page, have, want, state == FPY_NVS_ES_ERASED);
}

/*
 * An item's header entry changes state in a program of its own: WRITTEN
 * before its payload, ERASED after it.  A torn program clears any subset
 * of the bits it was given, so a header sharing a bitmap word with its
 * payload could otherwise end up ERASED (or EMPTY) next to payload
 * entries still marked WRITTEN, and payload bytes would be read as items.
 * This way a cut leaves, at worst, a WRITTEN header whose span is not all
 * WRITTEN: an incomplete item, which init erases whole.
 */
int fpy_nvs_mark(fpy_nvs *nvs, uint32_t page, uint32_t first, uint32_t count,
                 fpy_nvs_estate state)
{
    if (first >= FPY_NVS_ENTRY_COUNT || count == 0 || count > FPY_NVS_ENTRY_COUNT - first)
        return FPY_ERR_INVAL;
    if (state == FPY_NVS_ES_WRITTEN) {
        FPY_TRY(fpy_nvs_mark_range(nvs, page, first, 1, state));
        return count > 1 ? fpy_nvs_mark_range(nvs, page, first + 1u, count - 1u, state) : FPY_OK;
    }
    if (count > 1)
        FPY_TRY(fpy_nvs_mark_range(nvs, page, first + 1u, count - 1u, state));
    return fpy_nvs_mark_range(nvs, page, first, 1, state);
}

int fpy_nvs_set_page_state(fpy_nvs *nvs, uint32_t page, uint32_t state)
{
    uint8_t b[4];
    fpy_put_le32(b, state);
    return fpy_nvs_prog(nvs, fpy_nvs_page_addr(nvs, page) + FPY_NVS_HDR_STATE, b, 4);
}

int fpy_nvs_erase_page(fpy_nvs *nvs, uint32_t page)
{
    fpy_nvs_page *p = &nvs->pages[page];
    nvs->report.mutations++;
    int rc = fpy_flash_erase(&nvs->flash, fpy_nvs_page_addr(nvs, page), FPY_NVS_PAGE_SIZE);
    if (rc != FPY_OK) {
        nvs->ready = 0;
        return rc;
    }
    memset(p, 0, sizeof *p);
    p->kind = FPY_NVS_PK_FREE;
    if (nvs->cur == page)
        nvs->cur = FPY_NVS_NO_PAGE;
    return FPY_OK;
}

/* A fresh page: header with the next sequence number, state ACTIVE. */
int fpy_nvs_write_header(fpy_nvs *nvs, uint32_t page)
{
    uint8_t hdr[32];
    fpy_nvs_page *p = &nvs->pages[page];
    fpy_nvs_header_encode(hdr, FPY_NVS_STATE_ACTIVE, nvs->next_seq, FPY_NVS_VERSION_2);
    FPY_TRY(fpy_nvs_prog(nvs, fpy_nvs_page_addr(nvs, page), hdr, sizeof hdr));
    memset(p, 0, sizeof *p);
    p->kind = FPY_NVS_PK_ACTIVE;
    p->seq = nvs->next_seq++;
    return FPY_OK;
}

/* ---- staged programming ------------------------------------------------------------ */

void fpy_nvs_stage_start(fpy_nvs_stage *s, fpy_nvs *nvs, uint32_t page, uint32_t index)
{
    s->nvs = nvs;
    fpy_pagewriter_start(&s->pw, &nvs->flash, fpy_nvs_entry_addr(nvs, page, index), 0);
}

/* As fpy_nvs_prog does for single programs: count them, and refuse work
 * until init after a failure. */
static int fpy_nvs_stage_done(fpy_nvs_stage *s, int rc)
{
    s->nvs->report.mutations += s->pw.mutations;
    s->pw.mutations = 0;
    if (rc != FPY_OK)
        s->nvs->ready = 0;
    return rc;
}

int fpy_nvs_stage_put(fpy_nvs_stage *s, const uint8_t *data, uint32_t len)
{
    return fpy_nvs_stage_done(s, fpy_pagewriter_put(&s->pw, data, len));
}

/* Entries start 32-byte aligned, so padding the stream to whole entries
 * never crosses a flash page. */
int fpy_nvs_stage_end(fpy_nvs_stage *s)
{
    uint8_t ff[FPY_NVS_ENTRY_SIZE];
    uint32_t end = s->pw.addr + s->pw.len;
    uint32_t pad = (FPY_NVS_ENTRY_SIZE - end % FPY_NVS_ENTRY_SIZE) % FPY_NVS_ENTRY_SIZE;
    memset(ff, FPY_FLASH_ERASED, pad);
    int rc = fpy_pagewriter_put(&s->pw, ff, pad);
    return fpy_nvs_stage_done(s, rc != FPY_OK ? rc : fpy_pagewriter_flush(&s->pw));
}
