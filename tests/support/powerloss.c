#include "powerloss.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fpy_pl_dev {
    fpy_flashsim sim;
    fpy_flash flash;
    uint8_t *mem;
    uint8_t *snapshot;
} fpy_pl_dev;

static int fpy_pl_dev_init(fpy_pl_dev *d, const fpy_pl_options *opt)
{
    fpy_flash_geometry g = opt->geo.size ? opt->geo : FPY_FLASH_GEOMETRY_FIPY();
    d->mem = malloc(g.size);
    d->snapshot = malloc(g.size);
    if (d->mem == NULL || d->snapshot == NULL)
        return -1;
    if (fpy_flashsim_init(&d->sim, &g, d->mem, NULL, NULL) != FPY_OK)
        return -1;
    d->sim.mode = opt->mode;
    fpy_flashsim_wipe(&d->sim);
    fpy_flashsim_bind(&d->sim, &d->flash);
    return 0;
}

static void fpy_pl_dev_free(fpy_pl_dev *d)
{
    free(d->mem);
    free(d->snapshot);
}

/* Back to the state right after setup, powered, no fault armed. */
static void fpy_pl_restore(fpy_pl_dev *d)
{
    memcpy(d->mem, d->snapshot, d->sim.geo.size);
    fpy_flashsim_arm(&d->sim, FPY_FAULT_NONE, 0);
    fpy_flashsim_reboot(&d->sim);
}

static void fpy_pl_record(fpy_pl_result *res, const fpy_pl_scenario *s, const char *kind,
                          uint32_t n, const char *why, int verbose)
{
    res->failures++;
    if (res->failures == 1)
        snprintf(res->first_failure, sizeof res->first_failure, "%s at mutation %u: %s",
                 kind, n, why);
    if (verbose)
        fprintf(stderr, "  %s: %s at mutation %u: %s\n", s->name, kind, n, why);
}

static void fpy_pl_one(fpy_pl_dev *d, const fpy_pl_scenario *s, fpy_flashsim_fault kind,
                       uint32_t n, uint64_t seed, const fpy_pl_options *opt,
                       fpy_pl_result *res)
{
    char why[200] = "";
    fpy_pl_restore(d);
    fpy_flashsim_seed(&d->sim, seed);
    fpy_flashsim_arm(&d->sim, kind, n);
    int rc = s->run(s->ctx, &d->flash);
    int completed = rc == FPY_OK && !fpy_flashsim_fault_fired(&d->sim);
    fpy_flashsim_arm(&d->sim, FPY_FAULT_NONE, 0);
    fpy_flashsim_reboot(&d->sim);
    res->cut_points++;
    if (s->check(s->ctx, &d->flash, completed, why, sizeof why) != 0)
        fpy_pl_record(res, s, kind == FPY_FAULT_CUT ? "cut" : "torn", n, why, opt->verbose);
}

int fpy_pl_run(const fpy_pl_scenario *s, const fpy_pl_options *opt, fpy_pl_result *res)
{
    fpy_pl_dev d;
    char why[200] = "";
    memset(res, 0, sizeof *res);
    memset(&d, 0, sizeof d);
    if (fpy_pl_dev_init(&d, opt) != 0 || s->setup(s->ctx, &d.flash) != FPY_OK) {
        fprintf(stderr, "powerloss %s: setup failed\n", s->name);
        fpy_pl_dev_free(&d);
        return -1;
    }
    memcpy(d.snapshot, d.mem, d.sim.geo.size);
    fpy_pl_restore(&d);
    fpy_flashsim_arm(&d.sim, FPY_FAULT_CUT, 0xFFFFFFFFu); /* count only */
    int rc = s->run(s->ctx, &d.flash);
    res->mutations = fpy_flashsim_mutations(&d.sim);
    fpy_flashsim_arm(&d.sim, FPY_FAULT_NONE, 0);
    if (rc != FPY_OK || s->check(s->ctx, &d.flash, 1, why, sizeof why) != 0) {
        fprintf(stderr, "powerloss %s: clean run failed (rc %d): %s\n", s->name, rc, why);
        fpy_pl_dev_free(&d);
        return -1;
    }
    uint32_t stride = opt->stride ? opt->stride : 1;
    uint32_t seeds = opt->torn_seeds ? opt->torn_seeds : 2;
    /* A planted bug's run (scripts/mutants sets FPY_PL_FAILFAST): the
     * first failure is the verdict, the rest would only cost time. */
    int failfast = getenv("FPY_PL_FAILFAST") != NULL;
    /* n = mutations + 1 cuts after the last operation: the run completes. */
    for (uint32_t n = 1; n <= res->mutations + 1 && !(failfast && res->failures); n += stride) {
        fpy_pl_one(&d, s, FPY_FAULT_CUT, n, n, opt, res);
        for (uint32_t k = 0; k < seeds && n <= res->mutations; k++)
            fpy_pl_one(&d, s, FPY_FAULT_TORN, n, ((uint64_t)n << 16) ^ (k + 1), opt, res);
    }
    printf("powerloss %-28s %5u mutations, %6u cut points, %u failures\n", s->name,
           res->mutations, res->cut_points, res->failures);
    fpy_pl_dev_free(&d);
    return 0;
}
