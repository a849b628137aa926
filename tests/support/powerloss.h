/*
 * The power-loss harness: run a flash-writing scenario, and for every
 * mutation index n of it (each program or erase call) cut the power just
 * before n, or tear operation n (torn program / interrupted erase); then
 * reboot the simulated flash and let the scenario recover through the
 * real code and check its invariants.
 *
 * In the spirit of MCUboot's run_perm_with_fails and littlefs's
 * powerloss runner, plus torn writes and interrupted erases.
 */
#ifndef FIPY_POWERLOSS_H
#define FIPY_POWERLOSS_H

#include <stddef.h>
#include <stdint.h>

#include "flashsim.h"

typedef struct fpy_pl_scenario {
    const char *name;
    void *ctx;
    /* Bring the flash to the starting state (no faults armed). */
    int (*setup)(void *ctx, const fpy_flash *f);
    /* The operation under test.  Interrupted, it returns an error
     * (normally FPY_ERR_POWERLOSS) and must not crash. */
    int (*run)(void *ctx, const fpy_flash *f);
    /* After the reboot: recover through the real code and check the
     * invariants.  `completed` is 1 when run() returned FPY_OK before
     * power went (the fault fell after its last mutation, or nowhere).
     * Return 0 when they hold; otherwise write the reason to why. */
    int (*check)(void *ctx, const fpy_flash *f, int completed, char *why, size_t whylen);
} fpy_pl_scenario;

typedef struct fpy_pl_options {
    fpy_flash_geometry geo;   /* zero size = the FiPy's */
    uint32_t torn_seeds;      /* torn variants per mutation index (default 2) */
    uint32_t stride;          /* test every stride-th index (default 1 = all) */
    fpy_flashsim_mode mode;
    int verbose;              /* print each failure to stderr */
} fpy_pl_options;

typedef struct fpy_pl_result {
    uint32_t mutations;       /* mutations of one uninterrupted run */
    uint32_t cut_points;      /* interrupted runs tested */
    uint32_t failures;        /* runs whose check failed */
    char first_failure[256];
} fpy_pl_result;

/*
 * Run the scenario once without faults (its check must pass with
 * completed = 1), then once per cut point.  Returns 0 when the harness
 * itself worked (failures are in *res), -1 when setup or the clean run
 * failed.  Prints a one-line summary per scenario.
 */
int fpy_pl_run(const fpy_pl_scenario *s, const fpy_pl_options *opt, fpy_pl_result *res);

#endif
