/*
 * NVS under power loss, long random sequences (nvs_powerloss.h): set,
 * erase, erase_all and reboot over small stores, cut in segments: the
 * setup replays the prefix without faults, the harness cuts and tears
 * every mutation of the next segment.
 */
#include <stdio.h>
#include <stdlib.h>

#include "nvs_powerloss.h"
#include "testutil.h"

typedef struct pl_plan {
    uint32_t pages, ops, segment, max_blob, torn_seeds, fill_every;
    uint64_t seed;
} pl_plan;

/* Sanitizer builds run about 8x slower: half the random operations there
 * keep `make test` quick; FPY_NVS_PL_LONG=1 runs the long version anyway. */
#if defined(__SANITIZE_ADDRESS__)
#define FPY_NPL_SCALE_DOWN 2u
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FPY_NPL_SCALE_DOWN 2u
#endif
#endif
#ifndef FPY_NPL_SCALE_DOWN
#define FPY_NPL_SCALE_DOWN 1u
#endif

/* Run one sequence in segments; returns failures, adds up the figures. */
static uint32_t pl_sequence(const pl_plan *p, uint32_t *cuts, uint32_t *muts)
{
    fpy_npl_op *ops = calloc(p->ops + 1u, sizeof *ops);
    fpy_npl_ctx *c = calloc(1, sizeof *c);
    uint32_t failures = 0;
    fpy_npl_gen_ops(ops, p->ops + 1u, p->seed, p->max_blob);
    c->ops = ops;
    c->pages = p->pages;
    c->fill_every = (int)p->fill_every;
    for (uint32_t start = 0; start < p->ops; start += p->segment) {
        char name[64];
        snprintf(name, sizeof name, "nvs seq %llu p%u ops %u+%u",
                 (unsigned long long)p->seed, (unsigned)p->pages, (unsigned)start,
                 (unsigned)p->segment);
        c->prefix = start;
        c->count = p->segment < p->ops - start ? p->segment : p->ops - start;
        fpy_pl_scenario s = {name, c, fpy_npl_setup, fpy_npl_run, fpy_npl_check};
        fpy_pl_options opt = fpy_npl_opts(p->torn_seeds);
        fpy_pl_result r;
        assert_int_equal(fpy_pl_run(&s, &opt, &r), 0);
        failures += r.failures;
        *cuts += r.cut_points;
        *muts += r.mutations;
    }
    printf("nvs seq %llu: %u ops on %u pages, %llu sector erases (GC) without faults\n",
           (unsigned long long)p->seed, (unsigned)p->ops, (unsigned)p->pages,
           (unsigned long long)fpy_npl_count_erases(c, p->ops));
    free(c);
    free(ops);
    return failures;
}

static void test_random_sequences(void **state)
{
    (void)state;
    int lng = fpy_npl_long();
    pl_plan plans[] = {
        {4, 400, 25, 1500, 2, 32, 1},
        {4, 400, 25, 1500, 2, 32, 2},
        {6, 300, 25, 4000, 2, 32, 3},
        {3, 300, 25, 700, 2, 32, 4},
    };
    uint32_t cuts = 0, muts = 0, failures = 0;
    uint32_t rounds = lng ? 8u : 1u;
    for (uint32_t r = 0; r < rounds; r++) {
        for (size_t i = 0; i < sizeof plans / sizeof plans[0]; i++) {
            pl_plan p = plans[i];
            p.seed += 100u * r;
            if (lng) {
                p.ops *= 4u;
                p.torn_seeds = 4;
                p.fill_every = 4;
            } else {
                p.ops /= FPY_NPL_SCALE_DOWN;
            }
            failures += pl_sequence(&p, &cuts, &muts);
        }
    }
    printf("nvs power loss: %u mutations in segments, %u cut points, %u failures\n",
           (unsigned)muts, (unsigned)cuts, (unsigned)failures);
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_sequences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
