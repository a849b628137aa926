/*
 * Fuzz the NVS page and entry parser and the store's loader with
 * arbitrary partition bytes (1 to 8 pages).  Checked on every input:
 *  - classifying every page and entry never reads outside the page;
 *  - the store mounts read-only or returns an error, and every key it
 *    lists can be read (or is reported corrupt) without crashing;
 *  - mounted read-write, its repairs only ever clear bits (the simulated
 *    flash refuses anything else) and are complete: a second mount has
 *    nothing left to repair;
 *  - a repaired store takes a new value and reads it back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fipy/nvs.h"

#include "flashsim.h"
#define FPY_FZ_MAX_PAGES 8u

static uint8_t fpy_fz_mem[FPY_FZ_MAX_PAGES * FPY_NVS_PAGE_SIZE];
static uint8_t fpy_fz_buf[FPY_NVS_CHUNK_MAX * FPY_FZ_MAX_PAGES];
static fpy_nvs_page fpy_fz_pages[FPY_FZ_MAX_PAGES];

static void fpy_fz_walk(const uint8_t *img, uint32_t npages)
{
    for (uint32_t p = 0; p < npages; p++) {
        const uint8_t *page = img + p * FPY_NVS_PAGE_SIZE;
        fpy_nvs_page_view v;
        fpy_nvs_item it;
        fpy_nvs_verdict verdict;
        const char *field;
        fpy_nvs_page_parse(page, &v);
        if (v.next_free > FPY_NVS_ENTRY_COUNT)
            abort();
        for (uint32_t i = 0, n = 1; i < FPY_NVS_ENTRY_COUNT; i += n) {
            n = fpy_nvs_classify(page + FPY_NVS_BITMAP_OFFSET, v.next_free, i,
                                 fpy_nvs_page_entry(page, i), &it, &verdict, &field);
            if (n == 0 || i + n > FPY_NVS_ENTRY_COUNT)
                abort();
            if (verdict == FPY_NVS_V_ITEM && fpy_nvs_type_is_varlen(it.type))
                (void)fpy_nvs_crc(fpy_nvs_page_entry(page, i + 1u), fpy_nvs_item_vsize(&it));
        }
    }
}

static void fpy_fz_read_all(fpy_nvs *nvs)
{
    fpy_nvs_iter it;
    fpy_nvs_stats st;
    if (fpy_nvs_stats_get(nvs, &st) != FPY_OK || st.used_entries > st.total_entries)
        abort();
    if (fpy_nvs_iter_start(&it, nvs, NULL, FPY_NVS_TYPE_ANY) != FPY_OK)
        return;
    for (uint32_t n = 0; n < FPY_FZ_MAX_PAGES * FPY_NVS_ENTRY_COUNT; n++) {
        fpy_nvs_handle h;
        size_t len = sizeof fpy_fz_buf;
        uint64_t raw;
        int rc = fpy_nvs_iter_next(&it);
        if (rc == FPY_ERR_NOTFOUND)
            return;
        if (rc != FPY_OK)
            abort();
        if (fpy_nvs_open(nvs, it.info.ns_name, FPY_NVS_READONLY, &h) != FPY_OK)
            continue; /* a key in a namespace with no name entry */
        if (it.info.type == FPY_NVS_TYPE_STR)
            (void)fpy_nvs_get_str(&h, it.info.key, (char *)fpy_fz_buf, &len);
        else if (it.info.type == FPY_NVS_TYPE_BLOB)
            (void)fpy_nvs_get_blob(&h, it.info.key, fpy_fz_buf, &len);
        else
            (void)fpy_nvs_get_int(&h, it.info.key, (fpy_nvs_type)it.info.type, &raw);
    }
    abort(); /* more keys than entries */
}

static int fpy_fz_mount(fpy_nvs *nvs, const fpy_flash *f, uint32_t npages, int ro)
{
    fpy_nvs_cfg cfg = {f, 0, npages * FPY_NVS_PAGE_SIZE, fpy_fz_pages, FPY_FZ_MAX_PAGES,
                       (uint8_t)ro};
    int rc = fpy_nvs_init(nvs, &cfg);
    if (rc == FPY_ERR_NOT_ERASED)
        abort(); /* NVS asked the flash to set a bit */
    return rc;
}

/* Read-write: repair, mount again (nothing to do), write and read back. */
static void fpy_fz_write(fpy_nvs *nvs, const fpy_flash *f, uint32_t npages)
{
    fpy_nvs_handle h;
    uint32_t v = 0;
    if (fpy_fz_mount(nvs, f, npages, 0) != FPY_OK)
        return;
    if (fpy_fz_mount(nvs, f, npages, 0) != FPY_OK || nvs->report.mutations != 0)
        abort();
    fpy_fz_read_all(nvs);
    if (fpy_nvs_open(nvs, "fuzz", FPY_NVS_READWRITE, &h) != FPY_OK)
        return;
    int rc = fpy_nvs_set_u32(&h, "probe", 0xA5A5A5A5u);
    if (rc == FPY_ERR_NOT_ERASED)
        abort();
    if (rc == FPY_OK && (fpy_nvs_get_u32(&h, "probe", &v) != FPY_OK || v != 0xA5A5A5A5u))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t npages = (uint32_t)((size + FPY_NVS_PAGE_SIZE - 1u) / FPY_NVS_PAGE_SIZE);
    fpy_flash_geometry geo;
    fpy_flashsim sim;
    fpy_flash f;
    fpy_nvs nvs;
    if (npages < 2)
        npages = 2;
    if (npages > FPY_FZ_MAX_PAGES)
        npages = FPY_FZ_MAX_PAGES;
    geo = (fpy_flash_geometry){npages * FPY_NVS_PAGE_SIZE, FPY_NVS_PAGE_SIZE, 256u, 4u};
    memset(fpy_fz_mem, 0xFF, sizeof fpy_fz_mem);
    memcpy(fpy_fz_mem, data, size < geo.size ? size : geo.size);
    fpy_fz_walk(fpy_fz_mem, npages);
    if (fpy_flashsim_init(&sim, &geo, fpy_fz_mem, NULL, NULL) != FPY_OK)
        abort();
    fpy_flashsim_bind(&sim, &f);
    if (fpy_fz_mount(&nvs, &f, npages, 1) == FPY_OK)
        fpy_fz_read_all(&nvs);
    fpy_fz_write(&nvs, &f, npages);
    return 0;
}
