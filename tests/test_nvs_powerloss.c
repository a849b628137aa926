/*
 * NVS under power loss, one operation at a time (nvs_powerloss.h): single
 * updates, garbage collections and erases with many torn variants per
 * cut point, blobs whose payload looks like entries, and cuts while init
 * repairs what an earlier cut left.  The long random sequences are in
 * test_nvs_powerloss_seq.c.
 */
#include <stdio.h>
#include <stdlib.h>

#include "nvs_powerloss.h"
#include "testutil.h"

/* A cut while init repairs the image another cut left. */
static void test_cut_during_recovery(void **state)
{
    (void)state;
    uint32_t n = fpy_npl_long() ? 60u : 16u, failures = 0, cuts = 0;
    fpy_npl_op *ops = calloc(64, sizeof *ops);
    fpy_npl_ctx *c = calloc(1, sizeof *c);
    fpy_npl_gen_ops(ops, 64, 77, 3000);
    c->ops = ops;
    c->pages = 4;
    for (uint32_t k = 0; k < n; k++) {
        char name[64];
        c->prefix = 20u + k % 30u;
        c->count = 2;
        c->torn_setup_at = (int)(1u + k * 7u % 23u);
        snprintf(name, sizeof name, "nvs double fault %u", (unsigned)k);
        fpy_pl_scenario s = {name, c, fpy_npl_setup, fpy_npl_run, fpy_npl_check};
        fpy_pl_options opt = fpy_npl_opts(3);
        fpy_pl_result r;
        assert_int_equal(fpy_pl_run(&s, &opt, &r), 0);
        failures += r.failures;
        cuts += r.cut_points;
    }
    printf("nvs double faults: %u cut points, %u failures\n", (unsigned)cuts,
           (unsigned)failures);
    free(c);
    free(ops);
    assert_int_equal(failures, 0);
}

static void test_update_cut_leaves_old_or_new(void **state)
{
    (void)state;
    const fpy_npl_op seq[] = {
        {FPY_NPL_SET, 0, 0, FPY_NPL_U32, 0, 1},    {FPY_NPL_SET, 0, 2, FPY_NPL_STR, 50, 2},
        {FPY_NPL_SET, 0, 4, FPY_NPL_BLOB, 900, 3}, {FPY_NPL_SET, 0, 0, FPY_NPL_U32, 0, 2},
        {FPY_NPL_SET, 0, 2, FPY_NPL_STR, 70, 5},   {FPY_NPL_SET, 0, 4, FPY_NPL_BLOB, 1200, 6},
        {FPY_NPL_SET, 0, 3, FPY_NPL_STR, 10, 7},   {FPY_NPL_SET, 0, 3, FPY_NPL_U32, 0, 8},
    };
    uint32_t f = 0;
    f += fpy_npl_single(seq, 3, 1, 4, "nvs update u32");
    f += fpy_npl_single(seq, 4, 1, 4, "nvs update string");
    f += fpy_npl_single(seq, 5, 1, 4, "nvs update blob");
    f += fpy_npl_single(seq, 7, 1, 4, "nvs update changes type");
    assert_int_equal(f, 0);
}

static void test_gc_cut(void **state)
{
    (void)state;
    /* Ten strings of about 400 bytes (14 entries each) on a 3-page store:
     * live data fills more than a page, so every collection copies
     * entries, strings across bitmap words and 256-byte programs.  Each run
     * is an update that collects (found by running the sequence without
     * faults), so every step of a collection is cut and torn: FULL,
     * FREEING, the copy, its bitmap, the erase of the old page. */
    enum { N = 60, GCS = 3 };
    fpy_npl_op *seq = calloc(N, sizeof *seq);
    fpy_npl_ctx *c = calloc(1, sizeof *c);
    for (uint32_t i = 0; i < N; i++)
        seq[i] = (fpy_npl_op){FPY_NPL_SET, (uint8_t)(i % 2), (uint8_t)(i / 2 % FPY_NPL_KEYS),
                              FPY_NPL_STR, 380u + i * 7u % 40u, i + 1u};
    c->ops = seq;
    c->pages = 3;
    uint32_t f = 0, gcs = 0;
    for (uint32_t at = fpy_npl_next_gc(c, 0, N); at < N && gcs < GCS;
         at = fpy_npl_next_gc(c, at + 1u, N), gcs++)
        f += fpy_npl_single(seq, at, 1, 3, "nvs gc");
    assert_int_equal(gcs, GCS);
    free(c);
    free(seq);
    assert_int_equal(f, 0);
}

static void test_erase_cuts(void **state)
{
    (void)state;
    const fpy_npl_op seq[] = {
        {FPY_NPL_SET, 0, 0, FPY_NPL_U32, 0, 1},     {FPY_NPL_SET, 0, 2, FPY_NPL_STR, 90, 2},
        {FPY_NPL_SET, 0, 4, FPY_NPL_BLOB, 5000, 3}, {FPY_NPL_SET, 1, 1, FPY_NPL_U32, 0, 4},
        {FPY_NPL_ERASE, 0, 4, 0, 0, 0},             {FPY_NPL_ERASE_ALL, 0, 0, 0, 0, 0},
        {FPY_NPL_SET, 1, 3, FPY_NPL_BLOB, 10, 5},
    };
    uint32_t f = 0;
    f += fpy_npl_single(seq, 4, 1, 6, "nvs erase blob");
    f += fpy_npl_single(seq, 5, 1, 6, "nvs erase_all");
    f += fpy_npl_single(seq, 0, 2, 6, "nvs first writes");
    assert_int_equal(f, 0);
}

static void test_torn_repair_never_revives_payload(void **state)
{
    (void)state;
    const fpy_npl_op seq[] = {
        {FPY_NPL_SET, 0, 0, FPY_NPL_U32, 0, 1},
        {FPY_NPL_SET, 0, 4, FPY_NPL_BLOB, 1600, FPY_NPL_GHOST_SEED},
        {FPY_NPL_ERASE, 0, 4, 0, 0, 0},
        {FPY_NPL_SET, 0, 0, FPY_NPL_U32, 0, 2},
        {FPY_NPL_SET, 0, 4, FPY_NPL_BLOB, 1600, FPY_NPL_GHOST_SEED},
        {FPY_NPL_ERASE_ALL, 0, 0, 0, 0, 0},
    };
    uint32_t failures = 0;
    /* writing and erasing the blob (by key and with its namespace), torn
     * 64 ways at every mutation */
    failures += fpy_npl_single_n(seq, 1, 1, 4, "nvs ghost write", 64);
    failures += fpy_npl_single_n(seq, 2, 1, 4, "nvs ghost erase", 64);
    failures += fpy_npl_single_n(seq, 5, 1, 4, "nvs ghost erase_all", 64);
    fpy_npl_ctx *c = calloc(1, sizeof *c);
    c->ops = seq;
    c->prefix = 1;
    c->count = 1;
    c->pages = 4;
    /* the blob's program is torn at each of its mutations in turn; the
     * run's init repairs that, and is torn in turn, 24 ways each */
    for (int at = 1; at <= 10; at++) {
        c->torn_setup_at = at;
        fpy_pl_scenario s = {"nvs torn repair", c, fpy_npl_setup, fpy_npl_run, fpy_npl_check};
        fpy_pl_options opt = fpy_npl_opts(fpy_npl_long() ? 64u : 24u);
        fpy_pl_result r;
        assert_int_equal(fpy_pl_run(&s, &opt, &r), 0);
        failures += r.failures;
    }
    free(c);
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_update_cut_leaves_old_or_new),
        cmocka_unit_test(test_gc_cut),
        cmocka_unit_test(test_erase_cuts),
        cmocka_unit_test(test_cut_during_recovery),
        cmocka_unit_test(test_torn_repair_never_revives_payload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
