/* The power-loss harness itself: it must catch a writer that is not
 * power-safe, and pass one that is. Both are toy record stores. */
#include <stdio.h>
#include <string.h>

#include "fipy/bytes.h"
#include "fipy/hash.h"
#include "powerloss.h"
#include "testutil.h"

#define REC_BASE 0x10000u
#define OLD_VALUE 0x11111111u
#define NEW_VALUE 0x22222222u

static const fpy_flash_geometry geo = {128u * 1024u, 4096u, 256u, 4u};

/* --- naive: one copy, erased then rewritten in place ----------------- */
static int naive_write(const fpy_flash *f, uint32_t v)
{
    uint8_t b[8];
    fpy_put_le32(b, v);
    fpy_put_le32(b + 4, fpy_crc32_le(0xFFFFFFFFu, b, 4));
    FPY_TRY(fpy_flash_erase(f, REC_BASE, 4096));
    return fpy_flash_program(f, REC_BASE, b, 8);
}

static int naive_read(const fpy_flash *f, uint32_t *v)
{
    uint8_t b[8];
    FPY_TRY(fpy_flash_read(f, REC_BASE, b, 8));
    if (fpy_crc32_le(0xFFFFFFFFu, b, 4) != fpy_get_le32(b + 4))
        return FPY_ERR_CORRUPT;
    *v = fpy_get_le32(b);
    return FPY_OK;
}

/* --- two copies with a sequence number: write the older one ---------- */
static int dual_read_copy(const fpy_flash *f, int i, uint32_t *seq, uint32_t *v)
{
    uint8_t b[12];
    FPY_TRY(fpy_flash_read(f, REC_BASE + (uint32_t)i * 4096u, b, 12));
    if (fpy_get_le32(b) == 0xFFFFFFFFu ||
        fpy_crc32_le(0xFFFFFFFFu, b, 8) != fpy_get_le32(b + 8))
        return FPY_ERR_CORRUPT;
    *seq = fpy_get_le32(b);
    *v = fpy_get_le32(b + 4);
    return FPY_OK;
}

static int dual_read(const fpy_flash *f, uint32_t *v, int *newest, uint32_t *seq)
{
    uint32_t s[2], val[2];
    int ok0 = dual_read_copy(f, 0, &s[0], &val[0]) == FPY_OK;
    int ok1 = dual_read_copy(f, 1, &s[1], &val[1]) == FPY_OK;
    if (!ok0 && !ok1)
        return FPY_ERR_NOTFOUND;
    int i = (ok0 && ok1) ? (s[1] > s[0]) : ok1;
    *v = val[i];
    *newest = i;
    *seq = s[i];
    return FPY_OK;
}

static int dual_write(const fpy_flash *f, uint32_t v)
{
    uint32_t cur, seq = 0;
    int newest = 1;
    if (dual_read(f, &cur, &newest, &seq) != FPY_OK)
        newest = 1, seq = 0;
    uint32_t target = REC_BASE + (uint32_t)(1 - newest) * 4096u;
    uint8_t b[12];
    fpy_put_le32(b, seq + 1);
    fpy_put_le32(b + 4, v);
    fpy_put_le32(b + 8, fpy_crc32_le(0xFFFFFFFFu, b, 8));
    FPY_TRY(fpy_flash_erase(f, target, 4096));
    return fpy_flash_program(f, target, b, 12);
}

/* --- scenarios -------------------------------------------------------- */
typedef struct store {
    int (*write)(const fpy_flash *f, uint32_t v);
    int (*read)(const fpy_flash *f, uint32_t *v);
} store;

static int dual_read_value(const fpy_flash *f, uint32_t *v)
{
    int newest;
    uint32_t seq;
    return dual_read(f, v, &newest, &seq);
}

static int sc_setup(void *ctx, const fpy_flash *f)
{
    return ((store *)ctx)->write(f, OLD_VALUE);
}

static int sc_run(void *ctx, const fpy_flash *f)
{
    return ((store *)ctx)->write(f, NEW_VALUE);
}

/* Invariant: the record reads as the old or the new value, and as the
 * new one if the write returned success. */
static int sc_check(void *ctx, const fpy_flash *f, int completed, char *why, size_t n)
{
    uint32_t v = 0;
    int rc = ((store *)ctx)->read(f, &v);
    if (rc != FPY_OK) {
        snprintf(why, n, "record unreadable (%s)", fpy_strerror(rc));
        return 1;
    }
    if (v != OLD_VALUE && v != NEW_VALUE) {
        snprintf(why, n, "record holds 0x%08x", v);
        return 1;
    }
    if (completed && v != NEW_VALUE) {
        snprintf(why, n, "write returned ok but the old value is back");
        return 1;
    }
    return 0;
}

static void test_harness_catches_unsafe_writer(void **state)
{
    (void)state;
    store st = {naive_write, naive_read};
    fpy_pl_scenario s = {"naive single-copy record", &st, sc_setup, sc_run, sc_check};
    fpy_pl_options opt = {.geo = geo};
    fpy_pl_result r;
    assert_int_equal(fpy_pl_run(&s, &opt, &r), 0);
    assert_int_equal(r.mutations, 2); /* erase + program */
    assert_int_equal(r.cut_points, 3 + 2 * 2);
    assert_true(r.failures > 0);
}

static void test_harness_passes_safe_writer(void **state)
{
    (void)state;
    store st = {dual_write, dual_read_value};
    fpy_pl_scenario s = {"two-copy sequenced record", &st, sc_setup, sc_run, sc_check};
    fpy_pl_options opt = {.geo = geo, .torn_seeds = 16, .verbose = 1};
    fpy_pl_result r;
    assert_int_equal(fpy_pl_run(&s, &opt, &r), 0);
    assert_int_equal(r.mutations, 2);
    assert_int_equal(r.cut_points, 3 + 2 * 16);
    assert_int_equal(r.failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_harness_catches_unsafe_writer),
        cmocka_unit_test(test_harness_passes_safe_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
