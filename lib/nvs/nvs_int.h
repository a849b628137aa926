/* Internal interfaces of the NVS store (lib/nvs); not a public API. */
#ifndef FIPY_NVS_INT_H
#define FIPY_NVS_INT_H

#include "fipy/nvs.h"

/* Where an item lives: page index and entry index. */
typedef struct fpy_nvs_loc {
    uint32_t page;
    uint32_t index;
} fpy_nvs_loc;

/* ---- io.c: reads, programs, the bitmap, page states --------------------------- */

uint32_t fpy_nvs_page_addr(const fpy_nvs *nvs, uint32_t page);
uint32_t fpy_nvs_entry_addr(const fpy_nvs *nvs, uint32_t page, uint32_t index);
int fpy_nvs_read_raw(const fpy_nvs *nvs, uint32_t page, uint32_t index,
                     uint8_t raw[FPY_NVS_ENTRY_SIZE]);
int fpy_nvs_read_item(const fpy_nvs *nvs, const fpy_nvs_loc *loc, fpy_nvs_item *it);
int fpy_nvs_read_bitmap(const fpy_nvs *nvs, uint32_t page, uint8_t bm[FPY_NVS_BITMAP_SIZE]);
/* Program `want` over the page's bitmap `have`, one aligned word at a
 * time (descending: highest word first, for erasing); see io.c. */
int fpy_nvs_apply_bitmap(fpy_nvs *nvs, uint32_t page, const uint8_t have[32],
                         const uint8_t want[32], int descending);
/* Mark [first, first + count) of a page WRITTEN or ERASED on flash and in
 * the page's counters. */
int fpy_nvs_mark(fpy_nvs *nvs, uint32_t page, uint32_t first, uint32_t count,
                 fpy_nvs_estate state);
int fpy_nvs_set_page_state(fpy_nvs *nvs, uint32_t page, uint32_t state);
int fpy_nvs_erase_page(fpy_nvs *nvs, uint32_t page);
int fpy_nvs_write_header(fpy_nvs *nvs, uint32_t page);

/* Sequential programming of whole entries through a page writer; its
 * programs count as the store's mutations. */
typedef struct fpy_nvs_stage {
    fpy_nvs *nvs;
    fpy_pagewriter pw;
} fpy_nvs_stage;

void fpy_nvs_stage_start(fpy_nvs_stage *s, fpy_nvs *nvs, uint32_t page, uint32_t index);
/* Append `len` bytes (the last entry padded with 0xFF by stage_end). */
int fpy_nvs_stage_put(fpy_nvs_stage *s, const uint8_t *data, uint32_t len);
int fpy_nvs_stage_end(fpy_nvs_stage *s);

/* ---- index.c: the RAM index ------------------------------------------------------ */

uint16_t fpy_nvs_tag(uint8_t ns, const char key[FPY_NVS_KEY_SIZE], uint8_t chunk);
int fpy_nvs_in_list(const fpy_nvs_page *p);   /* ACTIVE, FULL or FREEING */
/* Find the item (ns, key, chunk), skipping `skip` (may be NULL). */
int fpy_nvs_find(const fpy_nvs *nvs, uint8_t ns, const char key[FPY_NVS_KEY_SIZE],
                 uint8_t chunk, const fpy_nvs_loc *skip, fpy_nvs_loc *loc, fpy_nvs_item *it);
/* The first sound item at or after *loc, in page-index order (start at
 * {0, 0}; step past one with loc->index++); FPY_ERR_NOTFOUND at the end. */
int fpy_nvs_next_item(const fpy_nvs *nvs, fpy_nvs_loc *loc, fpy_nvs_item *it);
/* Pages in seq order: the first, and the one after `page`. */
uint32_t fpy_nvs_first_page(const fpy_nvs *nvs);
uint32_t fpy_nvs_following_page(const fpy_nvs *nvs, uint32_t page);
/* 1 when the copy at a is newer than the one at b. */
int fpy_nvs_is_newer(const fpy_nvs *nvs, const fpy_nvs_loc *a, const fpy_nvs_loc *b);
/* Forget an item in RAM and, unless read-only, mark its entries ERASED. */
int fpy_nvs_drop(fpy_nvs *nvs, const fpy_nvs_loc *loc, uint32_t span);
/* Drop an item; a BLOB_IDX takes its chunks with it. */
int fpy_nvs_drop_value(fpy_nvs *nvs, const fpy_nvs_loc *loc, const fpy_nvs_item *it);
/* Read `len` payload bytes of the var-length item at loc (from byte `off`). */
int fpy_nvs_read_payload(const fpy_nvs *nvs, const fpy_nvs_loc *loc, uint32_t off,
                         void *buf, uint32_t len);
/* FPY_OK when the var-length item's payload matches its data CRC. */
int fpy_nvs_check_payload(const fpy_nvs *nvs, const fpy_nvs_loc *loc, const fpy_nvs_item *it);
/* 1 when the payload equals data[0..len). */
int fpy_nvs_payload_equals(const fpy_nvs *nvs, const fpy_nvs_loc *loc, const void *data,
                           uint32_t len, int *equal);

/* ---- space.c: pages, garbage collection, writing items --------------------------- */

/* Make the current page able to take `span` contiguous entries. */
int fpy_nvs_reserve(fpy_nvs *nvs, uint32_t span);
/* Mark the current page FULL and move to a new one (activation or GC). */
int fpy_nvs_next_page(fpy_nvs *nvs);
/* Copy every WRITTEN entry of `from` into the erased page `to` (header
 * first, bitmap last), then erase `from`.  Used by GC and by init. */
int fpy_nvs_move_page(fpy_nvs *nvs, uint32_t from, uint32_t to);
uint32_t fpy_nvs_free_pages(const fpy_nvs *nvs);
/*
 * Write item `it` with `len` payload bytes (var-length types) on the
 * current page: entries programmed, then marked WRITTEN.  Sets it->span,
 * the size and data CRC fields and the item CRC.
 */
int fpy_nvs_write_item(fpy_nvs *nvs, fpy_nvs_item *it, const void *payload, uint32_t len,
                       fpy_nvs_loc *loc);
/* Erase every item (ns, key, 0xFF) except the one at `keep`. */
int fpy_nvs_erase_twins(fpy_nvs *nvs, uint8_t ns, const char key[FPY_NVS_KEY_SIZE],
                        const fpy_nvs_loc *keep);

/* ---- blob.c ------------------------------------------------------------------------ */

int fpy_nvs_blob_write(fpy_nvs *nvs, uint8_t ns, const char *key, const void *data,
                       uint32_t len);
int fpy_nvs_blob_read(const fpy_nvs *nvs, const fpy_nvs_item *idx, void *buf, uint32_t len);
/* FPY_OK when every chunk of the index is present and the sizes add up. */
int fpy_nvs_blob_check(const fpy_nvs *nvs, const fpy_nvs_item *idx);

/* Store usable for reading / writing: FPY_OK or FPY_ERR_STATE. */
int fpy_nvs_ready(const fpy_nvs *nvs);
int fpy_nvs_writable(const fpy_nvs_handle *h);

#endif
