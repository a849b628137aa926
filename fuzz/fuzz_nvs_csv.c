/*
 * Fuzz the nvs_partition_gen CSV reader, the value conversions and the
 * generator with arbitrary text.  The first byte picks the partition size
 * (1..8 pages) and the format version; the rest is the CSV.  A `file` row
 * gets its own value text as the file's contents.  Checked:
 *  - reading, converting and laying out never crash or overrun;
 *  - whatever generates is a sound image: every entry of every page is a
 *    sound item (payload CRCs included) or free, and the store mounts it
 *    and reads every key back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fipy/nvs.h"
#include "nvs_gen.h"

#include "flashsim.h"
#define FPY_FZ_MAX_PAGES 8u
#define FPY_FZ_TEXT_MAX 65536u

static uint8_t fpy_fz_img[FPY_FZ_MAX_PAGES * FPY_NVS_PAGE_SIZE];
static uint8_t fpy_fz_scratch[FPY_FZ_TEXT_MAX + FPY_FZ_MAX_PAGES * FPY_NVS_PAGE_SIZE + 8u];
static char fpy_fz_fields[FPY_FZ_TEXT_MAX + 1u];
static uint8_t fpy_fz_value[FPY_NVS_CHUNK_MAX * FPY_FZ_MAX_PAGES];
static fpy_nvs_gen fpy_fz_gen;
static fpy_nvs_page fpy_fz_pages[FPY_FZ_MAX_PAGES];

static void fpy_fz_check_sound(const uint8_t *img, uint32_t len)
{
    for (uint32_t off = 0; off + FPY_NVS_PAGE_SIZE <= len; off += FPY_NVS_PAGE_SIZE) {
        const uint8_t *page = img + off;
        fpy_nvs_page_view v;
        fpy_nvs_item it;
        fpy_nvs_verdict verdict;
        fpy_nvs_page_parse(page, &v);
        if (v.kind == FPY_NVS_PK_CORRUPT || v.kind == FPY_NVS_PK_NEWER)
            abort();
        for (uint32_t i = 0, n = 1; i < FPY_NVS_ENTRY_COUNT; i += n) {
            n = fpy_nvs_classify(page + FPY_NVS_BITMAP_OFFSET, v.next_free, i,
                                 fpy_nvs_page_entry(page, i), &it, &verdict, NULL);
            if (verdict != FPY_NVS_V_ITEM && verdict != FPY_NVS_V_FREE)
                abort();
            if (verdict == FPY_NVS_V_ITEM && fpy_nvs_type_is_varlen(it.type) &&
                fpy_nvs_crc(fpy_nvs_page_entry(page, i + 1u), fpy_nvs_item_vsize(&it)) !=
                    fpy_nvs_item_vcrc(&it))
                abort();
        }
    }
}

static void fpy_fz_mount(uint8_t *img, uint32_t len)
{
    fpy_flash_geometry geo = {len, FPY_NVS_PAGE_SIZE, 256u, 4u};
    fpy_flashsim sim;
    fpy_flash f;
    fpy_nvs nvs;
    fpy_nvs_iter it;
    if (fpy_flashsim_init(&sim, &geo, img, NULL, NULL) != FPY_OK)
        abort();
    fpy_flashsim_bind(&sim, &f);
    fpy_nvs_cfg cfg = {&f, 0, len, fpy_fz_pages, FPY_FZ_MAX_PAGES, 1};
    if (fpy_nvs_init(&nvs, &cfg) != FPY_OK ||
        fpy_nvs_iter_start(&it, &nvs, NULL, FPY_NVS_TYPE_ANY) != FPY_OK)
        abort();
    while (fpy_nvs_iter_next(&it) == FPY_OK) {
        fpy_nvs_handle h;
        size_t n = sizeof fpy_fz_value;
        uint64_t raw;
        if (fpy_nvs_open(&nvs, it.info.ns_name, FPY_NVS_READONLY, &h) != FPY_OK)
            continue; /* rows before any namespace row live in namespace 0 */
        int rc = it.info.type == FPY_NVS_TYPE_STR
                     ? fpy_nvs_get_str(&h, it.info.key, (char *)fpy_fz_value, &n)
                 : it.info.type == FPY_NVS_TYPE_BLOB
                     ? fpy_nvs_get_blob(&h, it.info.key, fpy_fz_value, &n)
                     : fpy_nvs_get_int(&h, it.info.key, (fpy_nvs_type)it.info.type, &raw);
        if (rc != FPY_OK && rc != FPY_ERR_NOTFOUND && rc != FPY_ERR_INVAL)
            abort(); /* NOTFOUND/INVAL: a key shadowed by a later one of another type */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fpy_nvs_csv r;
    fpy_nvs_csv_row row;
    fpy_diag d;
    uint32_t len = 0;
    if (size < 1 || size > FPY_FZ_TEXT_MAX)
        return 0;
    uint32_t pages = 1u + (data[0] & 7u);
    uint8_t version = (data[0] & 0x80u) ? FPY_NVS_VERSION_1 : FPY_NVS_VERSION_2;
    const char *text = (const char *)data + 1;
    size_t n = size - 1u;
    if (fpy_nvs_csv_open(&r, text, n, fpy_fz_fields, n + 1u, &d) != FPY_OK)
        return 0;
    if (fpy_nvs_gen_start(&fpy_fz_gen, fpy_fz_img, sizeof fpy_fz_img, pages * FPY_NVS_PAGE_SIZE,
                          version, fpy_fz_scratch, sizeof fpy_fz_scratch, &d) != FPY_OK)
        abort();
    int rc;
    while ((rc = fpy_nvs_csv_next(&r, &row, &d)) == FPY_OK) {
        const char *v = row.field[FPY_NVS_COL_VALUE];
        if (v != NULL && row.len[FPY_NVS_COL_VALUE] > 0 && v[row.len[FPY_NVS_COL_VALUE]] != '\0')
            abort(); /* fields are NUL-terminated */
        if (fpy_nvs_gen_row(&fpy_fz_gen, &row, (const uint8_t *)v,
                            v ? row.len[FPY_NVS_COL_VALUE] : 0, &d) != FPY_OK)
            return 0;
    }
    if (rc != FPY_ERR_NOTFOUND || fpy_nvs_gen_finish(&fpy_fz_gen, &len, &d) != FPY_OK)
        return 0;
    if (len == 0 || len > pages * FPY_NVS_PAGE_SIZE || len % FPY_NVS_PAGE_SIZE != 0)
        abort();
    fpy_fz_check_sound(fpy_fz_img, len);
    fpy_fz_mount(fpy_fz_img, len);
    return 0;
}
