/*
 * NVS under power loss: the harness (tests/support/powerloss.h) cuts the
 * power before every program and erase, tears programs and interrupts
 * erases, then reboots and re-inits the store through the real code.
 *
 * Scenarios:
 *  - single operations (update, blob update, a GC, erase_all, namespace
 *    creation) with many torn variants per cut point;
 *  - long random sequences of set/erase/erase_all/reboot over a small
 *    store, cut in segments: the setup replays the prefix without faults,
 *    the harness cuts every mutation of the next segment;
 *  - a double fault: the image left by one cut is cut again while init
 *    repairs it.
 * After every reboot: each value whose set returned FPY_OK reads back
 * exactly; the operation that was cut leaves the old or the new value and
 * nothing else; a second init has nothing left to repair; a new value can
 * be written; and (every Nth check) erasing everything gives back the
 * whole capacity.
 *
 * FPY_NVS_PL_LONG=1 runs more seeds, longer sequences and more torn
 * variants (minutes, not seconds).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fipy/nvs.h"
#include "powerloss.h"
#include "testutil.h"

#define PL_BASE 0x1000u
#define NNS 2
#define NKEYS 5
#define MAXV 6000u

static const char *const ns_names[NNS] = {"app", "net"};
static const char *const key_names[NKEYS] = {"count", "id", "name", "mixed", "cert"};

typedef enum { V_ABSENT = 0, V_U32, V_STR, V_BLOB } vkind;
typedef enum { OP_SET, OP_ERASE, OP_ERASE_ALL, OP_REBOOT } opkind;

typedef struct val {
    uint8_t kind;
    uint32_t len;
    uint8_t bytes[MAXV];
} val;

typedef struct op {
    uint8_t what, ns, key, kind;
    uint32_t len, seed;
} op;

typedef struct model {
    val v[NNS][NKEYS];
} model;

typedef struct plctx {
    const op *ops;
    uint32_t prefix, count;     /* setup replays ops[0, prefix); run does the next count */
    uint32_t pages;
    int torn_setup_at;          /* > 0: setup cuts the op after the prefix at this mutation */
    model committed;            /* after the setup */
    model now;                  /* the run's view: completed operations */
    const op *uncertain[2];     /* operations that may or may not have happened */
    uint32_t checks;
    int fill_every;
    char run_error[160];
    fpy_nvs nvs;
    fpy_nvs_page page_mem[8];
} plctx;

/* ---- values ----------------------------------------------------------------- */

/* A blob whose payload is made of copies of a sound entry (ns 1, u32
 * "ghost"): if a repair ever marked such payload entries WRITTEN, a key
 * that nobody set would appear. */
#define GHOST_SEED 0x600D600Du

static void ghost_payload(val *out, uint32_t len)
{
    fpy_nvs_item it;
    uint8_t raw[32];
    fpy_nvs_item_init(&it, 1, FPY_NVS_TYPE_U32, "ghost");
    it.data[0] = 7;
    it.data[1] = it.data[2] = it.data[3] = 0;
    fpy_nvs_item_encode(&it, raw);
    for (uint32_t i = 0; i < len; i++)
        out->bytes[i] = raw[i % 32u];
}

static void op_value(const op *o, val *out)
{
    out->kind = o->kind;
    if (o->kind == V_BLOB && o->seed == GHOST_SEED) {
        out->len = o->len;
        ghost_payload(out, o->len);
        return;
    }
    if (o->kind == V_U32) {
        out->len = 4;
        memcpy(out->bytes, &o->seed, 4);
    } else if (o->kind == V_STR) {
        out->len = o->len + 1u;
        for (uint32_t i = 0; i < o->len; i++)
            out->bytes[i] = (uint8_t)('a' + (o->seed + i) % 26u);
        out->bytes[o->len] = 0;
    } else {
        out->len = o->len;
        for (uint32_t i = 0; i < o->len; i++)
            out->bytes[i] = (uint8_t)(o->seed * 31u + i * 7u + (i >> 8));
    }
}

static int val_eq(const val *a, const val *b)
{
    if (a->kind != b->kind)
        return 0;
    return a->kind == V_ABSENT || (a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0);
}

static void model_apply(model *m, const op *o)
{
    if (o->what == OP_SET)
        op_value(o, &m->v[o->ns][o->key]);
    else if (o->what == OP_ERASE)
        m->v[o->ns][o->key].kind = V_ABSENT;
    else if (o->what == OP_ERASE_ALL)
        for (int k = 0; k < NKEYS; k++)
            m->v[o->ns][k].kind = V_ABSENT;
}

/* ---- the store -------------------------------------------------------------------- */

static int pl_init(plctx *c, const fpy_flash *f)
{
    fpy_nvs_cfg cfg = {f, PL_BASE, c->pages * FPY_NVS_PAGE_SIZE, c->page_mem, 8, 0};
    return fpy_nvs_init(&c->nvs, &cfg);
}

static int pl_handle(plctx *c, int ns, fpy_nvs_handle *h)
{
    return fpy_nvs_open(&c->nvs, ns_names[ns], FPY_NVS_READWRITE, h);
}

static int pl_do(plctx *c, const fpy_flash *f, const op *o)
{
    fpy_nvs_handle h;
    val v;
    const char *key = key_names[o->key];
    if (o->what == OP_REBOOT)
        return pl_init(c, f);
    FPY_TRY(pl_handle(c, o->ns, &h));
    if (o->what == OP_ERASE) {
        int rc = fpy_nvs_erase_key(&h, key);
        return rc == FPY_ERR_NOTFOUND ? FPY_OK : rc;
    }
    if (o->what == OP_ERASE_ALL)
        return fpy_nvs_erase_all(&h);
    op_value(o, &v);
    if (o->kind == V_U32)
        return fpy_nvs_set_u32(&h, key, o->seed);
    if (o->kind == V_STR)
        return fpy_nvs_set_str(&h, key, (const char *)v.bytes);
    return fpy_nvs_set_blob(&h, key, v.bytes, v.len);
}

/* The value a key holds now, read through the public API. */
static int pl_read(plctx *c, int ns, int k, val *out)
{
    fpy_nvs_handle h;
    fpy_nvs_type t;
    size_t len = 0;
    out->kind = V_ABSENT;
    int rc = fpy_nvs_open(&c->nvs, ns_names[ns], FPY_NVS_READONLY, &h);
    if (rc == FPY_ERR_NOTFOUND)
        return FPY_OK;
    FPY_TRY(rc);
    rc = fpy_nvs_get_size(&h, key_names[k], &t, &len);
    if (rc == FPY_ERR_NOTFOUND)
        return FPY_OK;
    FPY_TRY(rc);
    if (len > MAXV)
        return FPY_ERR_CORRUPT;
    out->len = (uint32_t)len;
    if (t == FPY_NVS_TYPE_U32) {
        uint32_t v;
        out->kind = V_U32;
        FPY_TRY(fpy_nvs_get_u32(&h, key_names[k], &v));
        memcpy(out->bytes, &v, 4);
        return FPY_OK;
    }
    out->kind = t == FPY_NVS_TYPE_STR ? V_STR : V_BLOB;
    if (t == FPY_NVS_TYPE_STR)
        return fpy_nvs_get_str(&h, key_names[k], (char *)out->bytes, &len);
    if (t == FPY_NVS_TYPE_BLOB)
        return fpy_nvs_get_blob(&h, key_names[k], out->bytes, &len);
    return FPY_ERR_CORRUPT;
}

/* ---- checking ---------------------------------------------------------------------- */

static int op_touches(const op *o, int ns, int k)
{
    return o != NULL && o->ns == ns &&
           ((o->what != OP_ERASE_ALL && o->key == k) || o->what == OP_ERASE_ALL) &&
           o->what != OP_REBOOT;
}

/* Is `got` what (ns, k) may hold: the model's value, or the outcome of an
 * uncertain operation on it? */
static int pl_allowed(const plctx *c, int ns, int k, const val *got)
{
    static val alt;
    if (val_eq(got, &c->now.v[ns][k]))
        return 1;
    for (int u = 0; u < 2; u++) {
        const op *o = c->uncertain[u];
        if (!op_touches(o, ns, k))
            continue;
        if (o->what == OP_SET)
            op_value(o, &alt);
        else
            alt.kind = V_ABSENT;
        if (val_eq(got, &alt))
            return 1;
    }
    return 0;
}

static int pl_check_values(plctx *c, char *why, size_t n)
{
    static val got;
    for (int ns = 0; ns < NNS; ns++) {
        for (int k = 0; k < NKEYS; k++) {
            int rc = pl_read(c, ns, k, &got);
            if (rc != FPY_OK) {
                snprintf(why, n, "%s/%s: read failed (%d)", ns_names[ns], key_names[k], rc);
                return 1;
            }
            if (!pl_allowed(c, ns, k, &got)) {
                snprintf(why, n, "%s/%s: kind %d len %u is neither old nor new value",
                         ns_names[ns], key_names[k], got.kind, (unsigned)got.len);
                return 1;
            }
        }
    }
    return 0;
}

/* No key that the model does not know. */
static int pl_check_no_strangers(plctx *c, char *why, size_t n)
{
    fpy_nvs_iter it;
    int rc, keys = 0;
    if (fpy_nvs_iter_start(&it, &c->nvs, NULL, FPY_NVS_TYPE_ANY) != FPY_OK)
        return snprintf(why, n, "iteration failed"), 1;
    while ((rc = fpy_nvs_iter_next(&it)) == FPY_OK)
        keys++;
    int known = 0;
    static val got;
    for (int ns = 0; ns < NNS; ns++)
        for (int k = 0; k < NKEYS; k++)
            known += pl_read(c, ns, k, &got) == FPY_OK && got.kind != V_ABSENT;
    if (rc != FPY_ERR_NOTFOUND || keys != known) {
        snprintf(why, n, "iteration lists %d keys, reads find %d", keys, known);
        return 1;
    }
    return 0;
}

/* Everything erased, the store must give back its whole capacity: the
 * u32 keys that fit are (pages - 1) * 126 minus the namespace entries. */
static int pl_check_capacity(plctx *c, char *why, size_t n)
{
    fpy_nvs_handle h;
    char key[16];
    fpy_nvs_stats st;
    for (int ns = 0; ns < NNS; ns++)
        if (pl_handle(c, ns, &h) != FPY_OK || fpy_nvs_erase_all(&h) != FPY_OK)
            return snprintf(why, n, "erase_all failed"), 1;
    if (fpy_nvs_stats_get(&c->nvs, &st) != FPY_OK || st.used_entries != NNS)
        return snprintf(why, n, "after erase_all %u entries still used",
                        (unsigned)st.used_entries), 1;
    uint32_t want = (c->pages - 1u) * FPY_NVS_ENTRY_COUNT - NNS, got = 0;
    int rc = FPY_OK;
    for (got = 0; rc == FPY_OK && got <= want; got++) {
        snprintf(key, sizeof key, "f%u", (unsigned)got);
        rc = fpy_nvs_set_u32(&h, key, got);
    }
    if (got - 1u != want) {
        snprintf(why, n, "only %u of %u entries could be filled (rc %d)", (unsigned)(got - 1u),
                 (unsigned)want, rc);
        return 1;
    }
    return 0;
}

static int pl_check_working(plctx *c, char *why, size_t n)
{
    fpy_nvs_handle h;
    uint32_t v = 0;
    if (pl_handle(c, 0, &h) != FPY_OK || fpy_nvs_set_u32(&h, "probe", 0xC0FFEEu) != FPY_OK ||
        fpy_nvs_get_u32(&h, "probe", &v) != FPY_OK || v != 0xC0FFEEu) {
        snprintf(why, n, "a new value cannot be written after the reboot");
        return 1;
    }
    return 0;
}

static int pl_check(void *ctx, const fpy_flash *f, int completed, char *why, size_t n)
{
    plctx *c = ctx;
    if (c->run_error[0] != '\0')
        return snprintf(why, n, "%s", c->run_error), 1;
    if (completed && (c->uncertain[0] != NULL || c->uncertain[1] != NULL))
        return snprintf(why, n, "completed with an operation pending"), 1;
    int rc = pl_init(c, f);
    if (rc != FPY_OK)
        return snprintf(why, n, "init after reboot failed (%d)", rc), 1;
    if (pl_check_values(c, why, n) || pl_check_no_strangers(c, why, n))
        return 1;
    if ((rc = pl_init(c, f)) != FPY_OK || c->nvs.report.mutations != 0)
        return snprintf(why, n, "second init still repairs (rc %d, %u mutations)", rc,
                        (unsigned)c->nvs.report.mutations), 1;
    if (pl_check_working(c, why, n))
        return 1;
    if (c->fill_every > 0 && c->checks++ % (uint32_t)c->fill_every == 0)
        return pl_check_capacity(c, why, n);
    return 0;
}

/* ---- setup and run --------------------------------------------------------------------- */

/* Replay ops [0, end) without faults; the model follows what returned OK. */
static int pl_replay(plctx *c, const fpy_flash *f, uint32_t end, model *m)
{
    FPY_TRY(pl_init(c, f));
    for (uint32_t i = 0; i < end; i++) {
        int rc = pl_do(c, f, &c->ops[i]);
        if (rc == FPY_OK)
            model_apply(m, &c->ops[i]);
        else if (rc != FPY_ERR_NOSPC)
            return rc;
    }
    return FPY_OK;
}

static int pl_setup(void *ctx, const fpy_flash *f)
{
    plctx *c = ctx;
    memset(&c->committed, 0, sizeof c->committed);
    FPY_TRY(pl_replay(c, f, c->prefix, &c->committed));
    if (c->torn_setup_at <= 0)
        return FPY_OK;
    /* Leave the next operation cut at one of its mutations. */
    fpy_flashsim *sim = f->ctx;
    fpy_flashsim_arm(sim, FPY_FAULT_TORN, (uint32_t)c->torn_setup_at);
    int rc = pl_do(c, f, &c->ops[c->prefix]);
    int fired = fpy_flashsim_fault_fired(sim);
    fpy_flashsim_arm(sim, FPY_FAULT_NONE, 0);
    fpy_flashsim_reboot(sim);
    if (!fired && rc == FPY_OK)
        model_apply(&c->committed, &c->ops[c->prefix]);
    return FPY_OK;
}

/* The operation the setup cut, settled by the run's first init. */
static void pl_settle_setup_op(plctx *c, const op *o)
{
    static val got;
    for (int k = 0; k < NKEYS; k++) {
        if (!op_touches(o, o->ns, k))
            continue;
        if (pl_read(c, o->ns, k, &got) != FPY_OK || !pl_allowed(c, o->ns, k, &got)) {
            snprintf(c->run_error, sizeof c->run_error, "cut op %u left %s/%s wrong",
                     (unsigned)c->prefix, ns_names[o->ns], key_names[k]);
            return;
        }
        c->now.v[o->ns][k] = got;
    }
    c->uncertain[0] = NULL;
}

static int pl_run(void *ctx, const fpy_flash *f)
{
    plctx *c = ctx;
    uint32_t first = c->prefix + (c->torn_setup_at > 0 ? 1u : 0u);
    c->now = c->committed;
    c->run_error[0] = '\0';
    c->uncertain[0] = c->torn_setup_at > 0 ? &c->ops[c->prefix] : NULL;
    c->uncertain[1] = NULL;
    FPY_TRY(pl_init(c, f));
    if (c->uncertain[0] != NULL)
        pl_settle_setup_op(c, c->uncertain[0]);
    for (uint32_t i = first; i < first + c->count; i++) {
        const op *o = &c->ops[i];
        c->uncertain[1] = o;
        int rc = pl_do(c, f, o);
        if (rc != FPY_OK && rc != FPY_ERR_NOSPC)
            return rc;
        if (rc == FPY_OK)
            model_apply(&c->now, o);
        c->uncertain[1] = NULL;
    }
    return FPY_OK;
}

/* ---- operation sequences ------------------------------------------------------------------ */

static uint32_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint32_t)(*s >> 11);
}

static void gen_ops(op *ops, uint32_t n, uint64_t seed, uint32_t max_blob)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1u;
    for (uint32_t i = 0; i < n; i++) {
        op *o = &ops[i];
        uint32_t r = rnd(&s) % 100u;
        memset(o, 0, sizeof *o);
        o->ns = (uint8_t)(rnd(&s) % NNS);
        o->key = (uint8_t)(rnd(&s) % NKEYS);
        o->seed = rnd(&s);
        o->what = r < 72 ? OP_SET : r < 86 ? OP_ERASE : r < 90 ? OP_ERASE_ALL : OP_REBOOT;
        if (r < 30)
            o->key = 0; /* one hot key: many updates, many GCs */
        /* count, id: u32; name: string; mixed: any type; cert: blob */
        o->kind = o->key <= 1 ? V_U32 : o->key == 2 ? V_STR : o->key == 4 ? V_BLOB
                                                           : (uint8_t)(1u + rnd(&s) % 3u);
        o->len = o->kind == V_STR ? rnd(&s) % 300u : rnd(&s) % (max_blob + 1u);
        if (o->key == 3 && o->kind == V_BLOB)
            o->len %= 200u; /* big blobs only under "cert": the store never fills up */
    }
}

typedef struct pl_plan {
    uint32_t pages, ops, segment, max_blob, torn_seeds, fill_every;
    uint64_t seed;
} pl_plan;

/* Sanitizer builds run about 8x slower: half the random operations there
 * keep `make test` quick; FPY_NVS_PL_LONG=1 runs the long version anyway. */
#if defined(__SANITIZE_ADDRESS__)
#define PL_SCALE_DOWN 2u
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PL_SCALE_DOWN 2u
#endif
#endif
#ifndef PL_SCALE_DOWN
#define PL_SCALE_DOWN 1u
#endif

static int pl_long(void)
{
    const char *e = getenv("FPY_NVS_PL_LONG");
    return e != NULL && e[0] != '\0' && e[0] != '0';
}

static fpy_pl_options pl_opts(uint32_t torn_seeds)
{
    fpy_pl_options opt = {.geo = {0x8000u, 4096u, 256u, 4u}, .torn_seeds = torn_seeds,
                          .verbose = 1};
    return opt;
}

/* Sector erases of the whole sequence without faults: how much GC it does. */
static uint64_t pl_count_erases(plctx *c, uint32_t nops)
{
    fpy_flash_geometry g = {0x8000u, 4096u, 256u, 4u};
    fpy_test_flash *tf = fpy_test_flash_new(&g);
    model m;
    memset(&m, 0, sizeof m);
    assert_int_equal(pl_replay(c, &tf->flash, nops, &m), FPY_OK);
    uint64_t n = tf->sim.stats.erases;
    fpy_test_flash_free(tf);
    return n;
}

/* Run one sequence in segments; returns failures, adds up the figures. */
static uint32_t pl_sequence(const pl_plan *p, uint32_t *cuts, uint32_t *muts)
{
    op *ops = calloc(p->ops + 1u, sizeof *ops);
    plctx *c = calloc(1, sizeof *c);
    uint32_t failures = 0;
    gen_ops(ops, p->ops + 1u, p->seed, p->max_blob);
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
        fpy_pl_scenario s = {name, c, pl_setup, pl_run, pl_check};
        fpy_pl_options opt = pl_opts(p->torn_seeds);
        fpy_pl_result r;
        assert_int_equal(fpy_pl_run(&s, &opt, &r), 0);
        failures += r.failures;
        *cuts += r.cut_points;
        *muts += r.mutations;
    }
    printf("nvs seq %llu: %u ops on %u pages, %llu sector erases (GC) without faults\n",
           (unsigned long long)p->seed, (unsigned)p->ops, (unsigned)p->pages,
           (unsigned long long)pl_count_erases(c, p->ops));
    free(c);
    free(ops);
    return failures;
}

static void test_random_sequences(void **state)
{
    (void)state;
    int lng = pl_long();
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
                p.ops /= PL_SCALE_DOWN;
            }
            failures += pl_sequence(&p, &cuts, &muts);
        }
    }
    printf("nvs power loss: %u mutations in segments, %u cut points, %u failures\n",
           (unsigned)muts, (unsigned)cuts, (unsigned)failures);
    assert_int_equal(failures, 0);
}

/* A cut while init repairs the image another cut left. */
static void test_cut_during_recovery(void **state)
{
    (void)state;
    uint32_t n = pl_long() ? 60u : 16u, failures = 0, cuts = 0;
    op *ops = calloc(64, sizeof *ops);
    plctx *c = calloc(1, sizeof *c);
    gen_ops(ops, 64, 77, 3000);
    c->ops = ops;
    c->pages = 4;
    for (uint32_t k = 0; k < n; k++) {
        char name[64];
        c->prefix = 20u + k % 30u;
        c->count = 2;
        c->torn_setup_at = (int)(1u + k * 7u % 23u);
        snprintf(name, sizeof name, "nvs double fault %u", (unsigned)k);
        fpy_pl_scenario s = {name, c, pl_setup, pl_run, pl_check};
        fpy_pl_options opt = pl_opts(3);
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

/* ---- single operations, many torn variants ------------------------------------------------- */

static uint32_t pl_single_n(const op *seq, uint32_t prefix, uint32_t count, uint32_t pages,
                            const char *name, uint32_t torn)
{
    plctx *c = calloc(1, sizeof *c);
    c->ops = seq;
    c->prefix = prefix;
    c->count = count;
    c->pages = pages;
    c->fill_every = 1;
    fpy_pl_scenario s = {name, c, pl_setup, pl_run, pl_check};
    fpy_pl_options opt = pl_opts(pl_long() ? 4u * torn : torn);
    fpy_pl_result r;
    assert_int_equal(fpy_pl_run(&s, &opt, &r), 0);
    assert_true(r.mutations > 0);
    free(c);
    return r.failures;
}

static uint32_t pl_single(const op *seq, uint32_t prefix, uint32_t count, uint32_t pages,
                          const char *name)
{
    return pl_single_n(seq, prefix, count, pages, name, 6);
}

static void test_update_cut_leaves_old_or_new(void **state)
{
    (void)state;
    const op seq[] = {
        {OP_SET, 0, 0, V_U32, 0, 1},    {OP_SET, 0, 2, V_STR, 50, 2},
        {OP_SET, 0, 4, V_BLOB, 900, 3}, {OP_SET, 0, 0, V_U32, 0, 2},
        {OP_SET, 0, 2, V_STR, 70, 5},   {OP_SET, 0, 4, V_BLOB, 1200, 6},
        {OP_SET, 0, 3, V_STR, 10, 7},   {OP_SET, 0, 3, V_U32, 0, 8},
    };
    uint32_t f = 0;
    f += pl_single(seq, 3, 1, 4, "nvs update u32");
    f += pl_single(seq, 4, 1, 4, "nvs update string");
    f += pl_single(seq, 5, 1, 4, "nvs update blob");
    f += pl_single(seq, 7, 1, 4, "nvs update changes type");
    assert_int_equal(f, 0);
}

static void test_gc_cut(void **state)
{
    (void)state;
    /* 300 updates of one key fill three pages; the run's update collects. */
    op *seq = calloc(302, sizeof *seq);
    for (uint32_t i = 0; i < 302; i++)
        seq[i] = (op){OP_SET, (uint8_t)(i == 0), (uint8_t)(i % 7 == 0 ? 2 : 0),
                      (uint8_t)(i % 7 == 0 ? V_STR : V_U32), 40, i + 1u};
    uint32_t f = 0;
    for (uint32_t prefix = 240; prefix < 300; prefix += 20)
        f += pl_single(seq, prefix, 2, 4, "nvs gc");
    free(seq);
    assert_int_equal(f, 0);
}

static void test_erase_cuts(void **state)
{
    (void)state;
    const op seq[] = {
        {OP_SET, 0, 0, V_U32, 0, 1},       {OP_SET, 0, 2, V_STR, 90, 2},
        {OP_SET, 0, 4, V_BLOB, 5000, 3},   {OP_SET, 1, 1, V_U32, 0, 4},
        {OP_ERASE, 0, 4, 0, 0, 0},         {OP_ERASE_ALL, 0, 0, 0, 0, 0},
        {OP_SET, 1, 3, V_BLOB, 10, 5},
    };
    uint32_t f = 0;
    f += pl_single(seq, 4, 1, 6, "nvs erase blob");
    f += pl_single(seq, 5, 1, 6, "nvs erase_all");
    f += pl_single(seq, 0, 2, 6, "nvs first writes");
    assert_int_equal(f, 0);
}

static void test_torn_repair_never_revives_payload(void **state)
{
    (void)state;
    const op seq[] = {
        {OP_SET, 0, 0, V_U32, 0, 1},
        {OP_SET, 0, 4, V_BLOB, 1600, GHOST_SEED},
        {OP_ERASE, 0, 4, 0, 0, 0},
        {OP_SET, 0, 0, V_U32, 0, 2},
    };
    uint32_t failures = 0;
    /* writing and erasing the blob, torn 64 ways at every mutation */
    failures += pl_single_n(seq, 1, 1, 4, "nvs ghost write", 64);
    failures += pl_single_n(seq, 2, 1, 4, "nvs ghost erase", 64);
    plctx *c = calloc(1, sizeof *c);
    c->ops = seq;
    c->prefix = 1;
    c->count = 1;
    c->pages = 4;
    /* the blob's program is torn at each of its mutations in turn; the
     * run's init repairs that, and is torn in turn, 24 ways each */
    for (int at = 1; at <= 10; at++) {
        c->torn_setup_at = at;
        fpy_pl_scenario s = {"nvs torn repair", c, pl_setup, pl_run, pl_check};
        fpy_pl_options opt = pl_opts(pl_long() ? 64u : 24u);
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
        cmocka_unit_test(test_random_sequences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
