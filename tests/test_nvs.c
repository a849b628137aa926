/* NVS store: format vectors, every type, namespaces, iteration, stats, GC. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fipy/bytes.h"
#include "fipy/nvs.h"
#include "testutil.h"

#define NVS_BASE 0x9000u

static const fpy_flash_geometry geo = {0x10000u, 4096u, 256u, 4u};

typedef struct store {
    fpy_test_flash *tf;
    fpy_nvs nvs;
    fpy_nvs_page pages[16];
    uint32_t size;
} store;

static int store_init(store *s, int read_only)
{
    fpy_nvs_cfg cfg = {&s->tf->flash, NVS_BASE, s->size, s->pages, 16, (uint8_t)read_only};
    return fpy_nvs_init(&s->nvs, &cfg);
}

static store *store_new(uint32_t pages)
{
    store *s = calloc(1, sizeof *s);
    assert_non_null(s);
    s->tf = fpy_test_flash_new(&geo);
    s->size = pages * FPY_NVS_PAGE_SIZE;
    assert_int_equal(store_init(s, 0), FPY_OK);
    return s;
}

static void store_free(store *s)
{
    fpy_test_flash_free(s->tf);
    free(s);
}

static fpy_nvs_handle open_rw(store *s, const char *ns)
{
    fpy_nvs_handle h;
    assert_int_equal(fpy_nvs_open(&s->nvs, ns, FPY_NVS_READWRITE, &h), FPY_OK);
    return h;
}

static uint64_t mutations(const store *s)
{
    return s->tf->sim.stats.programs + s->tf->sim.stats.erases;
}

/* ---- format vectors (docs/formats/nvs.md, checked against ESP-IDF tools) ---- */

static void test_crc_vectors(void **state)
{
    (void)state;
    assert_int_equal(fpy_nvs_crc("123456789", 9), 0xD202D277u);
    assert_int_equal(fpy_nvs_crc("", 0), 0xFFFFFFFFu);
    uint8_t h[32];
    fpy_nvs_header_encode(h, FPY_NVS_STATE_ACTIVE, 0, FPY_NVS_VERSION_2);
    assert_int_equal(fpy_get_le32(h + 28), 0xB9BA2D84u);
    fpy_nvs_header_encode(h, FPY_NVS_STATE_ACTIVE, 1, FPY_NVS_VERSION_2);
    assert_int_equal(fpy_get_le32(h + 28), 0x389F48A3u);
    fpy_nvs_header_encode(h, FPY_NVS_STATE_FULL, 2, FPY_NVS_VERSION_2);
    assert_int_equal(fpy_get_le32(h + 28), 0x6081E18Bu);
    fpy_nvs_header_encode(h, FPY_NVS_STATE_ACTIVE, 0, FPY_NVS_VERSION_1);
    assert_int_equal(fpy_get_le32(h + 28), 0xDCDD16C2u);
}

static void test_entry_bytes_match_esp_idf(void **state)
{
    (void)state;
    uint8_t want[32], raw[32];
    fpy_nvs_item it;
    fpy_test_unhex("010101ff 2241d736 75386b6579000000 0000000000000000 2affffffffffffff",
                   want, sizeof want);
    assert_int_equal(fpy_nvs_item_init(&it, 1, FPY_NVS_TYPE_U8, "u8key"), FPY_OK);
    it.data[0] = 42;
    fpy_nvs_item_encode(&it, raw);
    assert_memory_equal(raw, want, 32);
    assert_int_equal(it.crc, 0x36D74122u);
    assert_int_equal(fpy_nvs_item_hash(1, it.key, 0xFF), 0x6B2AF5u);
    fpy_nvs_item back;
    fpy_nvs_item_decode(raw, &back);
    assert_string_equal(back.key, "u8key");
    assert_int_equal(fpy_nvs_item_uint(&back), 42);
}

static void test_bitmap_layout(void **state)
{
    (void)state;
    uint8_t bm[32];
    memset(bm, 0xFF, sizeof bm);
    for (uint32_t i = 0; i < 4; i++)
        fpy_nvs_bitmap_set(bm, i, FPY_NVS_ES_WRITTEN);
    assert_int_equal(bm[0], 0xAA);
    assert_int_equal(bm[1], 0xFF);
    memset(bm, 0xFF, sizeof bm);
    for (uint32_t i = 0; i < FPY_NVS_ENTRY_COUNT; i++)
        fpy_nvs_bitmap_set(bm, i, FPY_NVS_ES_WRITTEN);
    assert_int_equal(bm[30], 0xAA);
    assert_int_equal(bm[31], 0xFA); /* entries 126, 127 do not exist */
    fpy_nvs_bitmap_set(bm, 5, FPY_NVS_ES_ERASED);
    assert_int_equal(fpy_nvs_bitmap_get(bm, 5), FPY_NVS_ES_ERASED);
    assert_int_equal(bm[1], 0xA2);
}

static void test_header_checks(void **state)
{
    (void)state;
    fpy_nvs_item it;
    const char *field = NULL;
    assert_int_equal(fpy_nvs_item_init(&it, 1, FPY_NVS_TYPE_STR, "s"), FPY_OK);
    it.span = 3;
    it.data[0] = 40; /* 40 bytes: 2 payload entries */
    it.data[1] = 0;
    assert_int_equal(fpy_nvs_item_check(&it, 0, &field), FPY_OK);
    assert_int_equal(fpy_nvs_item_check(&it, 124, &field), FPY_ERR_CORRUPT);
    assert_string_equal(field, "data.size");
    it.span = 2;
    assert_int_equal(fpy_nvs_item_check(&it, 0, &field), FPY_ERR_CORRUPT);
    assert_string_equal(field, "span");
    it.type = FPY_NVS_TYPE_BLOB; /* chunk index 0xFF */
    it.span = 3;
    assert_int_equal(fpy_nvs_item_check(&it, 0, &field), FPY_ERR_CORRUPT);
    assert_string_equal(field, "chunkIndex");
    it.type = 0x33;
    assert_int_equal(fpy_nvs_item_check(&it, 0, &field), FPY_ERR_CORRUPT);
    assert_string_equal(field, "type");
    assert_int_equal(fpy_nvs_item_init(&it, 1, FPY_NVS_TYPE_BLOB_IDX, "b"), FPY_OK);
    it.data[0] = 0x61; /* 508001 bytes: one more than ESP-IDF allows */
    it.data[1] = 0xC0;
    it.data[2] = 0x07;
    it.data[3] = 0x00;
    assert_int_equal(fpy_nvs_item_check(&it, 0, &field), FPY_ERR_CORRUPT);
    it.data[0] = 0x60;
    assert_int_equal(fpy_nvs_item_check(&it, 0, &field), FPY_OK);
    assert_int_equal(fpy_nvs_item_init(&it, 1, FPY_NVS_TYPE_U8, "0123456789abcdef"),
                     FPY_ERR_INVAL);
    assert_int_equal(fpy_nvs_item_init(&it, 1, FPY_NVS_TYPE_U8, ""), FPY_ERR_INVAL);
}

/* ---- every type ----------------------------------------------------------- */

static void check_all_types(store *s, const uint8_t *blob, size_t blen)
{
    fpy_nvs_handle h;
    uint8_t u8;
    int8_t i8;
    uint16_t u16;
    int16_t i16;
    uint32_t u32;
    int32_t i32;
    uint64_t u64;
    int64_t i64;
    assert_int_equal(fpy_nvs_open(&s->nvs, "types", FPY_NVS_READONLY, &h), FPY_OK);
    assert_int_equal(fpy_nvs_get_u8(&h, "u8", &u8), FPY_OK);
    assert_int_equal(u8, 0xFE);
    assert_int_equal(fpy_nvs_get_i8(&h, "i8", &i8), FPY_OK);
    assert_int_equal(i8, -128);
    assert_int_equal(fpy_nvs_get_u16(&h, "u16", &u16), FPY_OK);
    assert_int_equal(u16, 0xBEEF);
    assert_int_equal(fpy_nvs_get_i16(&h, "i16", &i16), FPY_OK);
    assert_int_equal(i16, -2);
    assert_int_equal(fpy_nvs_get_u32(&h, "u32", &u32), FPY_OK);
    assert_int_equal(u32, 0xDEADBEEFu);
    assert_int_equal(fpy_nvs_get_i32(&h, "i32", &i32), FPY_OK);
    assert_int_equal(i32, INT32_MIN);
    assert_int_equal(fpy_nvs_get_u64(&h, "u64", &u64), FPY_OK);
    assert_true(u64 == 0x0123456789ABCDEFull);
    assert_int_equal(fpy_nvs_get_i64(&h, "i64", &i64), FPY_OK);
    assert_true(i64 == -5000000000ll);
    char str[64];
    size_t len = sizeof str;
    assert_int_equal(fpy_nvs_get_str(&h, "str", str, &len), FPY_OK);
    assert_int_equal(len, 6);
    assert_string_equal(str, "hello");
    uint8_t *back = malloc(blen);
    len = blen;
    assert_int_equal(fpy_nvs_get_blob(&h, "blob", back, &len), FPY_OK);
    assert_int_equal(len, blen);
    assert_memory_equal(back, blob, blen);
    free(back);
}

static void test_every_type_round_trips(void **state)
{
    (void)state;
    store *s = store_new(4);
    fpy_nvs_handle h = open_rw(s, "types");
    uint8_t blob[1024];
    for (size_t i = 0; i < sizeof blob; i++)
        blob[i] = (uint8_t)(i * 7u + 3u);
    assert_int_equal(fpy_nvs_set_u8(&h, "u8", 0xFE), FPY_OK);
    assert_int_equal(fpy_nvs_set_i8(&h, "i8", -128), FPY_OK);
    assert_int_equal(fpy_nvs_set_u16(&h, "u16", 0xBEEF), FPY_OK);
    assert_int_equal(fpy_nvs_set_i16(&h, "i16", -2), FPY_OK);
    assert_int_equal(fpy_nvs_set_u32(&h, "u32", 0xDEADBEEFu), FPY_OK);
    assert_int_equal(fpy_nvs_set_i32(&h, "i32", INT32_MIN), FPY_OK);
    assert_int_equal(fpy_nvs_set_u64(&h, "u64", 0x0123456789ABCDEFull), FPY_OK);
    assert_int_equal(fpy_nvs_set_i64(&h, "i64", -5000000000ll), FPY_OK);
    assert_int_equal(fpy_nvs_set_str(&h, "str", "hello"), FPY_OK);
    assert_int_equal(fpy_nvs_set_blob(&h, "blob", blob, sizeof blob), FPY_OK);
    check_all_types(s, blob, sizeof blob);
    /* and after a reboot, read-only */
    assert_int_equal(store_init(s, 1), FPY_OK);
    check_all_types(s, blob, sizeof blob);
    assert_int_equal(store_init(s, 0), FPY_OK);
    assert_int_equal(s->nvs.report.mutations, 0);
    check_all_types(s, blob, sizeof blob);
    store_free(s);
}

static void test_errors_and_lengths(void **state)
{
    (void)state;
    store *s = store_new(4);
    fpy_nvs_handle h = open_rw(s, "ns"), ro;
    uint32_t v;
    assert_int_equal(fpy_nvs_get_u32(&h, "missing", &v), FPY_ERR_NOTFOUND);
    assert_int_equal(fpy_nvs_set_u8(&h, "k", 1), FPY_OK);
    assert_int_equal(fpy_nvs_get_u32(&h, "k", &v), FPY_ERR_INVAL); /* type mismatch */
    assert_int_equal(fpy_nvs_set_u8(&h, "0123456789abcdef", 1), FPY_ERR_INVAL);
    assert_int_equal(fpy_nvs_set_u8(&h, "0123456789abcde", 7), FPY_OK);
    assert_int_equal(fpy_nvs_open(&s->nvs, "nope", FPY_NVS_READONLY, &ro), FPY_ERR_NOTFOUND);
    assert_int_equal(fpy_nvs_open(&s->nvs, "ns", FPY_NVS_READONLY, &ro), FPY_OK);
    assert_int_equal(fpy_nvs_set_u8(&ro, "k", 2), FPY_ERR_STATE);
    assert_int_equal(fpy_nvs_erase_key(&ro, "k"), FPY_ERR_STATE);
    /* string lengths, ESP-IDF style */
    assert_int_equal(fpy_nvs_set_str(&h, "s", "abcdef"), FPY_OK);
    size_t len = 0;
    assert_int_equal(fpy_nvs_get_str(&h, "s", NULL, &len), FPY_OK);
    assert_int_equal(len, 7);
    char buf[7];
    len = 6;
    assert_int_equal(fpy_nvs_get_str(&h, "s", buf, &len), FPY_ERR_NOSPC);
    len = 7;
    assert_int_equal(fpy_nvs_get_str(&h, "s", buf, &len), FPY_OK);
    assert_string_equal(buf, "abcdef");
    fpy_nvs_type t;
    assert_int_equal(fpy_nvs_get_size(&h, "s", &t, &len), FPY_OK);
    assert_int_equal(t, FPY_NVS_TYPE_STR);
    assert_int_equal(len, 7);
    assert_int_equal(fpy_nvs_get_size(&h, "k", &t, &len), FPY_OK);
    assert_int_equal(t, FPY_NVS_TYPE_U8);
    assert_int_equal(len, 1);
    /* a 4000-byte string (NUL included) fits, one more does not */
    char *big = malloc(4001);
    memset(big, 'x', 4000);
    big[4000] = '\0';
    assert_int_equal(fpy_nvs_set_str(&h, "big", big), FPY_ERR_NOSPC);
    big[3999] = '\0';
    assert_int_equal(fpy_nvs_set_str(&h, "big", big), FPY_OK);
    free(big);
    store_free(s);
}

static void test_type_change_replaces(void **state)
{
    (void)state;
    store *s = store_new(4);
    fpy_nvs_handle h = open_rw(s, "ns");
    uint8_t blob[300] = {1, 2, 3};
    uint32_t v;
    assert_int_equal(fpy_nvs_set_blob(&h, "k", blob, sizeof blob), FPY_OK);
    assert_int_equal(fpy_nvs_set_u32(&h, "k", 9), FPY_OK);
    assert_int_equal(fpy_nvs_get_u32(&h, "k", &v), FPY_OK);
    assert_int_equal(v, 9);
    fpy_nvs_stats st;
    assert_int_equal(fpy_nvs_stats_get(&s->nvs, &st), FPY_OK);
    assert_int_equal(st.used_entries, 2); /* namespace + u32: chunks went too */
    assert_int_equal(fpy_nvs_set_str(&h, "k", "now a string"), FPY_OK);
    assert_int_equal(fpy_nvs_get_u32(&h, "k", &v), FPY_ERR_INVAL);
    assert_int_equal(store_init(s, 0), FPY_OK);
    assert_int_equal(s->nvs.report.duplicates + s->nvs.report.orphans, 0);
    store_free(s);
}

static void test_unchanged_value_costs_nothing(void **state)
{
    (void)state;
    store *s = store_new(4);
    fpy_nvs_handle h = open_rw(s, "ns");
    uint8_t blob[2000];
    memset(blob, 0x5A, sizeof blob);
    assert_int_equal(fpy_nvs_set_u32(&h, "n", 5), FPY_OK);
    assert_int_equal(fpy_nvs_set_str(&h, "s", "same"), FPY_OK);
    assert_int_equal(fpy_nvs_set_blob(&h, "b", blob, sizeof blob), FPY_OK);
    uint64_t before = mutations(s);
    assert_int_equal(fpy_nvs_set_u32(&h, "n", 5), FPY_OK);
    assert_int_equal(fpy_nvs_set_str(&h, "s", "same"), FPY_OK);
    assert_int_equal(fpy_nvs_set_blob(&h, "b", blob, sizeof blob), FPY_OK);
    assert_int_equal(mutations(s), before);
    blob[1999] = 0;
    assert_int_equal(fpy_nvs_set_blob(&h, "b", blob, sizeof blob), FPY_OK);
    assert_true(mutations(s) > before);
    store_free(s);
}

/* ---- blobs ----------------------------------------------------------------- */

static void test_blob_versions_alternate(void **state)
{
    (void)state;
    store *s = store_new(6);
    fpy_nvs_handle h = open_rw(s, "ns");
    uint8_t *blob = malloc(9000), *back = malloc(9000);
    for (uint32_t round = 0; round < 6; round++) {
        for (size_t i = 0; i < 9000; i++)
            blob[i] = (uint8_t)(i ^ round);
        assert_int_equal(fpy_nvs_set_blob(&h, "big", blob, 9000), FPY_OK);
        size_t len = 9000;
        assert_int_equal(fpy_nvs_get_blob(&h, "big", back, &len), FPY_OK);
        assert_memory_equal(back, blob, 9000);
        assert_int_equal(store_init(s, 0), FPY_OK);
        assert_int_equal(s->nvs.report.mutations, 0);
    }
    /* the largest blob of a 6-page store is 5 * 4000 bytes */
    uint8_t *huge = calloc(1, 20001);
    assert_int_equal(fpy_nvs_set_blob(&h, "huge", huge, 20001), FPY_ERR_NOSPC);
    free(huge);
    size_t len = 0;
    assert_int_equal(fpy_nvs_get_blob(&h, "big", NULL, &len), FPY_OK);
    assert_int_equal(len, 9000);
    len = 8999;
    assert_int_equal(fpy_nvs_get_blob(&h, "big", back, &len), FPY_ERR_NOSPC);
    assert_int_equal(fpy_nvs_erase_key(&h, "big"), FPY_OK);
    fpy_nvs_stats st;
    assert_int_equal(fpy_nvs_stats_get(&s->nvs, &st), FPY_OK);
    assert_int_equal(st.used_entries, 1);
    assert_int_equal(fpy_nvs_set_blob(&h, "empty", "", 0), FPY_OK);
    len = 5;
    assert_int_equal(fpy_nvs_get_blob(&h, "empty", back, &len), FPY_OK);
    assert_int_equal(len, 0);
    free(blob);
    free(back);
    store_free(s);
}

/* A blob update that runs out of space half-way (its first chunks are
 * written) gives back what it took: the old value stays, and the space
 * and chunk range are free for the next version (docs/nvs.md). */
static void test_blob_out_of_space_keeps_old(void **state)
{
    (void)state;
    store *s = store_new(4);
    fpy_nvs_handle h = open_rw(s, "ns");
    uint8_t *old = malloc(3000), *big = malloc(9000), *back = malloc(9000);
    for (size_t i = 0; i < 9000; i++)
        big[i] = (uint8_t)(i * 13u + 1u);
    memset(old, 0x3C, 3000);
    assert_int_equal(fpy_nvs_set_blob(&h, "b", old, 3000), FPY_OK);
    fpy_nvs_stats before, after;
    assert_int_equal(fpy_nvs_stats_get(&s->nvs, &before), FPY_OK);
    uint64_t m0 = mutations(s);
    /* 3000 + 9000 bytes need more than the 3 usable pages */
    assert_int_equal(fpy_nvs_set_blob(&h, "b", big, 9000), FPY_ERR_NOSPC);
    assert_true(mutations(s) > m0 + 3u); /* chunks were written, then erased */
    assert_int_equal(fpy_nvs_stats_get(&s->nvs, &after), FPY_OK);
    assert_int_equal(after.used_entries, before.used_entries);
    size_t len = 9000;
    assert_int_equal(fpy_nvs_get_blob(&h, "b", back, &len), FPY_OK);
    assert_int_equal(len, 3000);
    assert_memory_equal(back, old, 3000);
    /* the next version, in the range the failed one used */
    assert_int_equal(fpy_nvs_set_blob(&h, "b", big, 5000), FPY_OK);
    len = 9000;
    assert_int_equal(fpy_nvs_get_blob(&h, "b", back, &len), FPY_OK);
    assert_int_equal(len, 5000);
    assert_memory_equal(back, big, 5000);
    assert_int_equal(store_init(s, 0), FPY_OK);
    assert_int_equal(s->nvs.report.mutations, 0);
    len = 9000;
    assert_int_equal(fpy_nvs_get_blob(&h, "b", back, &len), FPY_OK);
    assert_memory_equal(back, big, 5000);
    free(old);
    free(big);
    free(back);
    store_free(s);
}

/* ---- namespaces, erase, iteration, stats ------------------------------------ */

static void test_namespaces_and_erase_all(void **state)
{
    (void)state;
    store *s = store_new(4);
    fpy_nvs_handle a = open_rw(s, "alpha"), b = open_rw(s, "beta");
    assert_int_equal(a.ns, 1);
    assert_int_equal(b.ns, 2);
    assert_int_equal(fpy_nvs_set_u32(&a, "k", 1), FPY_OK);
    assert_int_equal(fpy_nvs_set_u32(&b, "k", 2), FPY_OK);
    assert_int_equal(fpy_nvs_set_str(&a, "s", "a string"), FPY_OK);
    uint32_t v;
    assert_int_equal(fpy_nvs_get_u32(&a, "k", &v), FPY_OK);
    assert_int_equal(v, 1);
    assert_int_equal(fpy_nvs_erase_all(&a), FPY_OK);
    assert_int_equal(fpy_nvs_get_u32(&a, "k", &v), FPY_ERR_NOTFOUND);
    fpy_nvs_stats st;
    assert_int_equal(fpy_nvs_stats_get(&s->nvs, &st), FPY_OK);
    assert_int_equal(st.used_entries, 3); /* at once: two namespaces and beta's k */
    assert_int_equal(fpy_nvs_get_u32(&b, "k", &v), FPY_OK);
    assert_int_equal(v, 2);
    assert_int_equal(fpy_nvs_erase_key(&b, "k"), FPY_OK);
    assert_int_equal(fpy_nvs_erase_key(&b, "k"), FPY_ERR_NOTFOUND);
    /* the namespaces themselves stay */
    assert_int_equal(store_init(s, 0), FPY_OK);
    fpy_nvs_handle again;
    assert_int_equal(fpy_nvs_open(&s->nvs, "beta", FPY_NVS_READONLY, &again), FPY_OK);
    assert_int_equal(again.ns, 2);
    assert_int_equal(fpy_nvs_stats_get(&s->nvs, &st), FPY_OK);
    assert_int_equal(st.namespace_count, 2);
    assert_int_equal(st.used_entries, 2);
    store_free(s);
}

static void test_254_namespaces_at_most(void **state)
{
    (void)state;
    store *s = store_new(6);
    char name[16];
    fpy_nvs_handle h;
    for (int i = 1; i <= 254; i++) {
        snprintf(name, sizeof name, "ns%d", i);
        assert_int_equal(fpy_nvs_open(&s->nvs, name, FPY_NVS_READWRITE, &h), FPY_OK);
        assert_int_equal(h.ns, i);
    }
    assert_int_equal(fpy_nvs_open(&s->nvs, "onemore", FPY_NVS_READWRITE, &h), FPY_ERR_NOSPC);
    assert_int_equal(fpy_nvs_open(&s->nvs, "ns200", FPY_NVS_READWRITE, &h), FPY_OK);
    assert_int_equal(h.ns, 200);
    store_free(s);
}

static int count_keys(store *s, const char *ns, fpy_nvs_type type)
{
    fpy_nvs_iter it;
    int n = 0, rc;
    if (fpy_nvs_iter_start(&it, &s->nvs, ns, type) != FPY_OK)
        return -1;
    while ((rc = fpy_nvs_iter_next(&it)) == FPY_OK)
        n++;
    assert_int_equal(rc, FPY_ERR_NOTFOUND);
    return n;
}

static void test_iteration(void **state)
{
    (void)state;
    store *s = store_new(4);
    fpy_nvs_handle a = open_rw(s, "alpha"), b = open_rw(s, "beta");
    uint8_t blob[5000] = {0};
    assert_int_equal(fpy_nvs_set_u8(&a, "a1", 1), FPY_OK);
    assert_int_equal(fpy_nvs_set_u32(&a, "a2", 2), FPY_OK);
    assert_int_equal(fpy_nvs_set_blob(&a, "ablob", blob, sizeof blob), FPY_OK);
    assert_int_equal(fpy_nvs_set_str(&b, "b1", "x"), FPY_OK);
    assert_int_equal(count_keys(s, NULL, FPY_NVS_TYPE_ANY), 4);
    assert_int_equal(count_keys(s, "alpha", FPY_NVS_TYPE_ANY), 3);
    assert_int_equal(count_keys(s, "alpha", FPY_NVS_TYPE_BLOB), 1);
    assert_int_equal(count_keys(s, NULL, FPY_NVS_TYPE_STR), 1);
    assert_int_equal(count_keys(s, "beta", FPY_NVS_TYPE_U8), 0);
    assert_int_equal(count_keys(s, "gamma", FPY_NVS_TYPE_ANY), -1);
    fpy_nvs_iter it;
    assert_int_equal(fpy_nvs_iter_start(&it, &s->nvs, "alpha", FPY_NVS_TYPE_BLOB), FPY_OK);
    assert_int_equal(fpy_nvs_iter_next(&it), FPY_OK);
    assert_string_equal(it.info.key, "ablob");
    assert_string_equal(it.info.ns_name, "alpha");
    assert_int_equal(it.info.size, 5000);
    assert_int_equal(it.info.type, FPY_NVS_TYPE_BLOB);
    store_free(s);
}

static void test_stats_like_esp_idf(void **state)
{
    (void)state;
    store *s = store_new(4);
    fpy_nvs_stats st;
    assert_int_equal(fpy_nvs_stats_get(&s->nvs, &st), FPY_OK);
    assert_int_equal(st.total_entries, 504);
    assert_int_equal(st.used_entries, 0);
    assert_int_equal(st.free_entries, 504);
    assert_int_equal(st.available_entries, 378);
    fpy_nvs_handle h = open_rw(s, "storage");
    assert_int_equal(fpy_nvs_set_u8(&h, "u8key", 42), FPY_OK);
    assert_int_equal(fpy_nvs_set_str(&h, "greeting", "hello"), FPY_OK);
    assert_int_equal(fpy_nvs_stats_get(&s->nvs, &st), FPY_OK);
    assert_int_equal(st.used_entries, 4);
    assert_int_equal(st.free_entries, 500);
    assert_int_equal(st.namespace_count, 1);
    /* erased entries count as free, as in ESP-IDF */
    assert_int_equal(fpy_nvs_set_u8(&h, "u8key", 43), FPY_OK);
    assert_int_equal(fpy_nvs_stats_get(&s->nvs, &st), FPY_OK);
    assert_int_equal(st.used_entries, 4);
    store_free(s);
}

/* ---- garbage collection and wear ------------------------------------------------ */

static void test_gc_keeps_values_and_rotates(void **state)
{
    (void)state;
    store *s = store_new(4);
    fpy_nvs_handle h = open_rw(s, "ns");
    assert_int_equal(fpy_nvs_set_str(&h, "fixed", "stays put"), FPY_OK);
    for (uint32_t i = 0; i < 3000; i++) {
        assert_int_equal(fpy_nvs_set_u32(&h, "counter", i), FPY_OK);
        if (i % 97 == 0)
            assert_int_equal(fpy_nvs_set_u16(&h, "other", (uint16_t)i), FPY_OK);
    }
    uint32_t v;
    assert_int_equal(fpy_nvs_get_u32(&h, "counter", &v), FPY_OK);
    assert_int_equal(v, 2999);
    char buf[16];
    size_t len = sizeof buf;
    assert_int_equal(fpy_nvs_get_str(&h, "fixed", buf, &len), FPY_OK);
    assert_string_equal(buf, "stays put");
    /* ESP-IDF's victim rule (most unused entries) never moves the page of
     * static data; the other three take turns, evenly. */
    uint32_t first = NVS_BASE / 4096u, total = 0, maxw = 0, minw = 0xFFFFFFFFu, idle = 0;
    for (uint32_t p = 0; p < 4; p++) {
        uint32_t w = s->tf->wear[first + p];
        total += w;
        idle += w == 0;
        maxw = w > maxw ? w : maxw;
        minw = w != 0 && w < minw ? w : minw;
    }
    assert_true(total > 10);
    assert_int_equal(idle, 1);
    assert_true(maxw <= minw + 1);
    assert_int_equal(store_init(s, 0), FPY_OK);
    assert_int_equal(s->nvs.report.mutations, 0);
    assert_int_equal(fpy_nvs_get_u32(&h, "counter", &v), FPY_OK);
    assert_int_equal(v, 2999);
    store_free(s);
}

static void test_full_store_says_nospc_and_recovers(void **state)
{
    (void)state;
    store *s = store_new(3);
    fpy_nvs_handle h = open_rw(s, "ns");
    char key[16];
    int n = 0, rc = FPY_OK;
    for (n = 0; n < 1000 && rc == FPY_OK; n++) {
        snprintf(key, sizeof key, "k%d", n);
        rc = fpy_nvs_set_u32(&h, key, (uint32_t)n);
    }
    assert_int_equal(rc, FPY_ERR_NOSPC);
    assert_int_equal(n - 1, 2 * 126 - 1); /* two pages minus the namespace entry */
    /* everything written is still there, and erasing makes room again */
    uint32_t v;
    assert_int_equal(fpy_nvs_get_u32(&h, "k100", &v), FPY_OK);
    assert_int_equal(v, 100);
    assert_int_equal(fpy_nvs_erase_key(&h, "k5"), FPY_OK);
    assert_int_equal(fpy_nvs_set_u32(&h, "again", 1), FPY_OK);
    assert_int_equal(fpy_nvs_set_u32(&h, "again2", 1), FPY_ERR_NOSPC);
    assert_int_equal(fpy_nvs_erase_all(&h), FPY_OK);
    assert_int_equal(fpy_nvs_set_u32(&h, "fresh", 1), FPY_OK);
    store_free(s);
}

static void test_read_only_store(void **state)
{
    (void)state;
    store *s = store_new(4);
    fpy_nvs_handle h = open_rw(s, "ns");
    assert_int_equal(fpy_nvs_set_u8(&h, "k", 1), FPY_OK);
    assert_int_equal(store_init(s, 1), FPY_OK);
    assert_int_equal(fpy_nvs_open(&s->nvs, "ns", FPY_NVS_READWRITE, &h), FPY_ERR_STATE);
    assert_int_equal(fpy_nvs_open(&s->nvs, "ns", FPY_NVS_READONLY, &h), FPY_OK);
    h.writable = 1; /* even a forged handle cannot write */
    assert_int_equal(fpy_nvs_set_u8(&h, "k", 2), FPY_ERR_STATE);
    store_free(s);
}

static void test_bad_config(void **state)
{
    (void)state;
    store *s = store_new(4);
    fpy_nvs_cfg cfg = {&s->tf->flash, NVS_BASE + 1, 0x4000, s->pages, 16, 0};
    fpy_nvs nvs;
    assert_int_equal(fpy_nvs_init(&nvs, &cfg), FPY_ERR_INVAL);
    cfg.base = NVS_BASE;
    cfg.page_cap = 3;
    assert_int_equal(fpy_nvs_init(&nvs, &cfg), FPY_ERR_INVAL);
    cfg.page_cap = 16;
    cfg.size = 0x1000; /* one page cannot be written */
    assert_int_equal(fpy_nvs_init(&nvs, &cfg), FPY_ERR_INVAL);
    cfg.read_only = 1;
    assert_int_equal(fpy_nvs_init(&nvs, &cfg), FPY_OK);
    cfg.base = 0xF000;
    cfg.size = 0x2000;
    assert_int_equal(fpy_nvs_init(&nvs, &cfg), FPY_ERR_RANGE);
    store_free(s);
}

static void test_flash_error_needs_init(void **state)
{
    (void)state;
    store *s = store_new(4);
    fpy_nvs_handle h = open_rw(s, "ns");
    assert_int_equal(fpy_nvs_set_u32(&h, "k", 1), FPY_OK);
    assert_int_equal(fpy_flashsim_set_bad(&s->tf->sim, NVS_BASE / 4096u, 1), FPY_OK);
    assert_int_equal(fpy_nvs_set_u32(&h, "k", 2), FPY_ERR_BADBLOCK);
    uint32_t v;
    assert_int_equal(fpy_nvs_get_u32(&h, "k", &v), FPY_ERR_STATE);
    assert_int_equal(fpy_flashsim_set_bad(&s->tf->sim, NVS_BASE / 4096u, 0), FPY_OK);
    assert_int_equal(store_init(s, 0), FPY_OK);
    assert_int_equal(fpy_nvs_get_u32(&h, "k", &v), FPY_OK);
    assert_int_equal(v, 1);
    store_free(s);
}

/* ---- recovery rules, on images of interrupted writes (fuzz seeds) ----------- */

typedef struct image_store {
    fpy_flashsim sim;
    fpy_flash flash;
    uint8_t *mem;
    fpy_nvs nvs;
    fpy_nvs_page pages[8];
    uint32_t size;
} image_store;

static image_store *image_open(const char *name, int read_only, int expect)
{
    char rel[128];
    size_t len = 0;
    image_store *m = calloc(1, sizeof *m);
    snprintf(rel, sizeof rel, "fuzz/corpus/nvs_page/%s", name);
    m->mem = fpy_test_read_src(rel, &len);
    m->size = (uint32_t)len;
    fpy_flash_geometry g = {m->size, 4096, 256, 4};
    assert_int_equal(fpy_flashsim_init(&m->sim, &g, m->mem, NULL, NULL), FPY_OK);
    fpy_flashsim_bind(&m->sim, &m->flash);
    fpy_nvs_cfg cfg = {&m->flash, 0, m->size, m->pages, 8, (uint8_t)read_only};
    assert_int_equal(fpy_nvs_init(&m->nvs, &cfg), expect);
    return m;
}

static void image_close(image_store *m)
{
    free(m->mem);
    free(m);
}

/* After repairs, a second init has nothing left to do. */
static void image_reinit_clean(image_store *m)
{
    fpy_nvs_cfg cfg = {&m->flash, 0, m->size, m->pages, 8, 0};
    assert_int_equal(fpy_nvs_init(&m->nvs, &cfg), FPY_OK);
    assert_int_equal(m->nvs.report.mutations, 0);
}

static uint32_t image_u32(image_store *m, const char *key, int *rc)
{
    fpy_nvs_handle h;
    uint32_t v = 0;
    *rc = fpy_nvs_open(&m->nvs, "app", FPY_NVS_READONLY, &h);
    if (*rc == FPY_OK)
        *rc = fpy_nvs_get_u32(&h, key, &v);
    return v;
}

static void test_recovery_strays_and_bad_entries(void **state)
{
    (void)state;
    int rc;
    image_store *m = image_open("stray-illegal-badcrc.bin", 0, FPY_OK);
    /* entry 2 illegal, 3 bad CRC, 4 written but never marked */
    assert_int_equal(m->nvs.report.entries_dropped, 3);
    assert_int_equal(image_u32(m, "a", &rc), 1);
    (void)image_u32(m, "d", &rc);
    assert_int_equal(rc, FPY_ERR_NOTFOUND);
    fpy_nvs_page_view v;
    fpy_nvs_page_parse(m->mem, &v);
    assert_int_equal(v.count[FPY_NVS_ES_ERASED], 3);
    assert_int_equal(v.count[FPY_NVS_ES_ILLEGAL], 0);
    image_reinit_clean(m);
    image_close(m);
}

static void test_recovery_incomplete_string(void **state)
{
    (void)state;
    image_store *m = image_open("incomplete-string.bin", 0, FPY_OK);
    assert_int_equal(m->nvs.report.entries_dropped, 4); /* header and 3 payload entries */
    fpy_nvs_handle h;
    size_t len = 0;
    assert_int_equal(fpy_nvs_open(&m->nvs, "app", FPY_NVS_READONLY, &h), FPY_OK);
    assert_int_equal(fpy_nvs_get_str(&h, "s", NULL, &len), FPY_ERR_NOTFOUND);
    image_reinit_clean(m);
    image_close(m);
}

static void test_recovery_newer_copy_wins(void **state)
{
    (void)state;
    int rc;
    image_store *ro = image_open("duplicate-key.bin", 1, FPY_OK);
    assert_int_equal(image_u32(ro, "k", &rc), 2); /* read-only: decided in RAM only */
    image_close(ro);
    image_store *m = image_open("duplicate-key.bin", 0, FPY_OK);
    assert_int_equal(m->nvs.report.duplicates, 1);
    assert_int_equal(image_u32(m, "k", &rc), 2);
    image_reinit_clean(m);
    image_close(m);
}

/* Two complete copies of a key (an update cut before the old copy's
 * erase) whose newer one has a payload bit gone bad: the sound older copy
 * wins, read-only and read-write, and the bad one is erased. */
static void test_recovery_newer_copy_bad_payload(void **state)
{
    (void)state;
    store *s = store_new(4);
    fpy_nvs_handle h = open_rw(s, "app");
    char buf[32];
    size_t len;
    assert_int_equal(fpy_nvs_set_str(&h, "s", "first value"), FPY_OK);   /* entries 1, 2 */
    assert_int_equal(fpy_nvs_set_str(&h, "s", "second value"), FPY_OK);  /* entries 3, 4 */
    uint8_t *page = s->tf->mem + NVS_BASE;
    fpy_nvs_page_view v;
    fpy_nvs_page_parse(page, &v);
    assert_int_equal(v.count[FPY_NVS_ES_WRITTEN], 3);
    assert_int_equal(v.count[FPY_NVS_ES_ERASED], 2);
    uint8_t *bm = page + FPY_NVS_BITMAP_OFFSET;
    fpy_nvs_bitmap_set(bm, 1, FPY_NVS_ES_WRITTEN); /* the old copy, not yet erased */
    fpy_nvs_bitmap_set(bm, 2, FPY_NVS_ES_WRITTEN);
    page[FPY_NVS_FIRST_ENTRY + 4u * FPY_NVS_ENTRY_SIZE] &= 0xFE; /* "s" -> "r" */
    for (int ro = 1; ro >= 0; ro--) {
        assert_int_equal(store_init(s, ro), FPY_OK);
        assert_int_equal(s->nvs.report.duplicates, 1);
        assert_int_equal(fpy_nvs_open(&s->nvs, "app", FPY_NVS_READONLY, &h), FPY_OK);
        len = sizeof buf;
        assert_int_equal(fpy_nvs_get_str(&h, "s", buf, &len), FPY_OK);
        assert_string_equal(buf, "first value");
    }
    fpy_nvs_page_parse(page, &v);
    assert_int_equal(v.count[FPY_NVS_ES_WRITTEN], 3);
    assert_int_equal(store_init(s, 0), FPY_OK);
    assert_int_equal(s->nvs.report.mutations, 0);
    store_free(s);
}

static void test_recovery_blobs(void **state)
{
    (void)state;
    fpy_nvs_handle h;
    uint8_t buf[256];
    size_t len = sizeof buf;
    image_store *m = image_open("orphan-chunk.bin", 0, FPY_OK);
    assert_int_equal(m->nvs.report.orphans, 1); /* chunk 0x80 of an unfinished update */
    assert_int_equal(fpy_nvs_open(&m->nvs, "app", FPY_NVS_READONLY, &h), FPY_OK);
    assert_int_equal(fpy_nvs_get_blob(&h, "b", buf, &len), FPY_OK);
    assert_int_equal(len, 100);
    assert_int_equal(buf[99], 99);
    image_reinit_clean(m);
    image_close(m);
    m = image_open("blob-missing-chunk.bin", 0, FPY_OK);
    assert_int_equal(m->nvs.report.blobs_dropped, 1);
    assert_int_equal(m->nvs.report.orphans, 1);
    assert_int_equal(fpy_nvs_open(&m->nvs, "app", FPY_NVS_READONLY, &h), FPY_OK);
    assert_int_equal(fpy_nvs_get_blob(&h, "b", NULL, &len), FPY_ERR_NOTFOUND);
    image_reinit_clean(m);
    image_close(m);
}

static void test_recovery_interrupted_gc(void **state)
{
    (void)state;
    int rc;
    /* page 0 FREEING (seq 1), page 2 the half-written copy (seq 3) */
    image_store *m = image_open("gc-freeing-half-copy.bin", 0, FPY_OK);
    assert_int_equal(m->nvs.report.pages_moved, 1);
    assert_int_equal(image_u32(m, "a", &rc), 1);
    assert_int_equal(image_u32(m, "q", &rc), 5);
    fpy_nvs_page_view v;
    fpy_nvs_page_parse(m->mem, &v);
    assert_int_equal(v.kind, FPY_NVS_PK_FREE); /* the old page was erased */
    for (uint32_t p = 0; p < 4; p++)
        assert_int_not_equal(m->pages[p].kind, FPY_NVS_PK_FREEING);
    image_reinit_clean(m);
    image_close(m);
}

static void test_mount_refusals(void **state)
{
    (void)state;
    image_store *m = image_open("newer-version.bin", 1, FPY_ERR_UNSUPPORTED);
    image_close(m);
    m = image_open("all-pages-used.bin", 0, FPY_ERR_NOSPC); /* no free page to write with */
    image_close(m);
    m = image_open("all-pages-used.bin", 1, FPY_OK); /* but readable */
    int rc;
    assert_int_equal(image_u32(m, "k", &rc), 2);
    image_close(m);
    m = image_open("bad-header-crc.bin", 0, FPY_OK);
    assert_int_equal(m->nvs.report.pages_corrupt, 1);
    image_close(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc_vectors),
        cmocka_unit_test(test_entry_bytes_match_esp_idf),
        cmocka_unit_test(test_bitmap_layout),
        cmocka_unit_test(test_header_checks),
        cmocka_unit_test(test_every_type_round_trips),
        cmocka_unit_test(test_errors_and_lengths),
        cmocka_unit_test(test_type_change_replaces),
        cmocka_unit_test(test_unchanged_value_costs_nothing),
        cmocka_unit_test(test_blob_versions_alternate),
        cmocka_unit_test(test_blob_out_of_space_keeps_old),
        cmocka_unit_test(test_namespaces_and_erase_all),
        cmocka_unit_test(test_254_namespaces_at_most),
        cmocka_unit_test(test_iteration),
        cmocka_unit_test(test_stats_like_esp_idf),
        cmocka_unit_test(test_gc_keeps_values_and_rotates),
        cmocka_unit_test(test_full_store_says_nospc_and_recovers),
        cmocka_unit_test(test_read_only_store),
        cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_flash_error_needs_init),
        cmocka_unit_test(test_recovery_strays_and_bad_entries),
        cmocka_unit_test(test_recovery_incomplete_string),
        cmocka_unit_test(test_recovery_newer_copy_wins),
        cmocka_unit_test(test_recovery_newer_copy_bad_payload),
        cmocka_unit_test(test_recovery_blobs),
        cmocka_unit_test(test_recovery_interrupted_gc),
        cmocka_unit_test(test_mount_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
