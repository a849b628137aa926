/*
 * The NVS power-loss model shared by test_nvs_powerloss (single
 * operations, cuts during recovery) and test_nvs_powerloss_seq (long
 * random sequences).  The harness (powerloss.h) cuts the power before
 * every program and erase, tears programs and interrupts erases, then
 * reboots; the checks here re-init the store through the real code.
 *
 * After every reboot: each value whose set returned FPY_OK reads back
 * exactly; the operation that was cut leaves the old or the new value and
 * nothing else; no key appears that was never set; a second init has
 * nothing left to repair; a new value can be written; and (every Nth
 * check) erasing everything gives back the whole capacity.  With power
 * on, an operation may only succeed or run out of space.
 *
 * FPY_NVS_PL_LONG=1 runs more seeds, longer sequences and more torn
 * variants (minutes, not seconds).
 */
#ifndef FIPY_NVS_POWERLOSS_H
#define FIPY_NVS_POWERLOSS_H

#include <stddef.h>
#include <stdint.h>

#include "fipy/nvs.h"
#include "powerloss.h"

#define FPY_NPL_BASE 0x1000u
#define FPY_NPL_NS 2
#define FPY_NPL_KEYS 5
#define FPY_NPL_MAXV 6000u

typedef enum { FPY_NPL_ABSENT = 0, FPY_NPL_U32, FPY_NPL_STR, FPY_NPL_BLOB } fpy_npl_kind;
typedef enum { FPY_NPL_SET, FPY_NPL_ERASE, FPY_NPL_ERASE_ALL, FPY_NPL_REBOOT } fpy_npl_what;

typedef struct fpy_npl_val {
    uint8_t kind;
    uint32_t len;
    uint8_t bytes[FPY_NPL_MAXV];
} fpy_npl_val;

typedef struct fpy_npl_op {
    uint8_t what, ns, key, kind;
    uint32_t len, seed;
} fpy_npl_op;

typedef struct fpy_npl_model {
    fpy_npl_val v[FPY_NPL_NS][FPY_NPL_KEYS];
} fpy_npl_model;

typedef struct fpy_npl_ctx {
    const fpy_npl_op *ops;
    uint32_t prefix, count;         /* setup replays ops[0, prefix); run does the next count */
    uint32_t pages;
    int torn_setup_at;              /* > 0: setup cuts the op after the prefix at this mutation */
    fpy_npl_model committed;        /* after the setup */
    fpy_npl_model now;              /* the run's view: completed operations */
    const fpy_npl_op *uncertain[2]; /* operations that may or may not have happened */
    uint32_t checks;
    int fill_every;
    char run_error[160];
    fpy_nvs nvs;
    fpy_nvs_page page_mem[8];
} fpy_npl_ctx;

/* A blob whose payload is made of copies of a sound entry (ns 1, u32
 * "ghost"): if a repair ever marked such payload entries WRITTEN, a key
 * that nobody set would appear. */
#define FPY_NPL_GHOST_SEED 0x600D600Du

/* The scenario for fpy_pl_run (ctx: an fpy_npl_ctx): setup replays
 * ops[0, prefix) without faults (and, with torn_setup_at, leaves the next
 * one torn); run does the next `count`; check reboots and checks. */
int fpy_npl_setup(void *ctx, const fpy_flash *f);
int fpy_npl_run(void *ctx, const fpy_flash *f);
int fpy_npl_check(void *ctx, const fpy_flash *f, int completed, char *why, size_t n);

/* n random operations from `seed` (blobs up to max_blob bytes). */
void fpy_npl_gen_ops(fpy_npl_op *ops, uint32_t n, uint64_t seed, uint32_t max_blob);
/* 1 when FPY_NVS_PL_LONG asks for the long runs. */
int fpy_npl_long(void);
fpy_pl_options fpy_npl_opts(uint32_t torn_seeds);
/* Sector erases of ops [0, nops) without faults: how much GC they do. */
uint64_t fpy_npl_count_erases(fpy_npl_ctx *c, uint32_t nops);
/* The first operation at or after `from` that collects garbage (erases a
 * sector) when the sequence runs without faults; `end` if none does. */
uint32_t fpy_npl_next_gc(fpy_npl_ctx *c, uint32_t from, uint32_t end);
/* Cut every mutation of ops [prefix, prefix + count) of `seq` on a store
 * of `pages` pages, `torn` torn variants each (6 for fpy_npl_single);
 * returns the failures. */
uint32_t fpy_npl_single_n(const fpy_npl_op *seq, uint32_t prefix, uint32_t count,
                          uint32_t pages, const char *name, uint32_t torn);
uint32_t fpy_npl_single(const fpy_npl_op *seq, uint32_t prefix, uint32_t count,
                        uint32_t pages, const char *name);

#endif
