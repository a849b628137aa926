/* The NVS power-loss model and its checks (nvs_powerloss.h). */
#include "nvs_powerloss.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static const char *const ns_names[FPY_NPL_NS] = {"app", "net"};
static const char *const key_names[FPY_NPL_KEYS] = {"count", "id", "name", "mixed", "cert"};
static const char probe_key[] = "probe"; /* written by every check */

/* ---- values ----------------------------------------------------------------- */

static void ghost_payload(fpy_npl_val *out, uint32_t len)
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

static void op_value(const fpy_npl_op *o, fpy_npl_val *out)
{
    out->kind = o->kind;
    if (o->kind == FPY_NPL_BLOB && o->seed == FPY_NPL_GHOST_SEED) {
        out->len = o->len;
        ghost_payload(out, o->len);
        return;
    }
    if (o->kind == FPY_NPL_U32) {
        out->len = 4;
        memcpy(out->bytes, &o->seed, 4);
    } else if (o->kind == FPY_NPL_STR) {
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

static int val_eq(const fpy_npl_val *a, const fpy_npl_val *b)
{
    if (a->kind != b->kind)
        return 0;
    return a->kind == FPY_NPL_ABSENT ||
           (a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0);
}

static void model_apply(fpy_npl_model *m, const fpy_npl_op *o)
{
    if (o->what == FPY_NPL_SET)
        op_value(o, &m->v[o->ns][o->key]);
    else if (o->what == FPY_NPL_ERASE)
        m->v[o->ns][o->key].kind = FPY_NPL_ABSENT;
    else if (o->what == FPY_NPL_ERASE_ALL)
        for (int k = 0; k < FPY_NPL_KEYS; k++)
            m->v[o->ns][k].kind = FPY_NPL_ABSENT;
}

/* ---- the store -------------------------------------------------------------------- */

static int pl_init(fpy_npl_ctx *c, const fpy_flash *f)
{
    fpy_nvs_cfg cfg = {f, FPY_NPL_BASE, c->pages * FPY_NVS_PAGE_SIZE, c->page_mem, 8, 0};
    return fpy_nvs_init(&c->nvs, &cfg);
}

static int pl_handle(fpy_npl_ctx *c, int ns, fpy_nvs_handle *h)
{
    return fpy_nvs_open(&c->nvs, ns_names[ns], FPY_NVS_READWRITE, h);
}

static int pl_do(fpy_npl_ctx *c, const fpy_flash *f, const fpy_npl_op *o)
{
    fpy_nvs_handle h;
    fpy_npl_val v;
    const char *key = key_names[o->key];
    if (o->what == FPY_NPL_REBOOT)
        return pl_init(c, f);
    FPY_TRY(pl_handle(c, o->ns, &h));
    if (o->what == FPY_NPL_ERASE) {
        int rc = fpy_nvs_erase_key(&h, key);
        return rc == FPY_ERR_NOTFOUND ? FPY_OK : rc;
    }
    if (o->what == FPY_NPL_ERASE_ALL)
        return fpy_nvs_erase_all(&h);
    op_value(o, &v);
    if (o->kind == FPY_NPL_U32)
        return fpy_nvs_set_u32(&h, key, o->seed);
    if (o->kind == FPY_NPL_STR)
        return fpy_nvs_set_str(&h, key, (const char *)v.bytes);
    return fpy_nvs_set_blob(&h, key, v.bytes, v.len);
}

/* The value a key holds now, read through the public API. */
static int pl_read(fpy_npl_ctx *c, int ns, int k, fpy_npl_val *out)
{
    fpy_nvs_handle h;
    fpy_nvs_type t;
    size_t len = 0;
    out->kind = FPY_NPL_ABSENT;
    int rc = fpy_nvs_open(&c->nvs, ns_names[ns], FPY_NVS_READONLY, &h);
    if (rc == FPY_ERR_NOTFOUND)
        return FPY_OK;
    FPY_TRY(rc);
    rc = fpy_nvs_get_size(&h, key_names[k], &t, &len);
    if (rc == FPY_ERR_NOTFOUND)
        return FPY_OK;
    FPY_TRY(rc);
    if (len > FPY_NPL_MAXV)
        return FPY_ERR_CORRUPT;
    out->len = (uint32_t)len;
    if (t == FPY_NVS_TYPE_U32) {
        uint32_t v;
        out->kind = FPY_NPL_U32;
        FPY_TRY(fpy_nvs_get_u32(&h, key_names[k], &v));
        memcpy(out->bytes, &v, 4);
        return FPY_OK;
    }
    out->kind = t == FPY_NVS_TYPE_STR ? FPY_NPL_STR : FPY_NPL_BLOB;
    if (t == FPY_NVS_TYPE_STR)
        return fpy_nvs_get_str(&h, key_names[k], (char *)out->bytes, &len);
    if (t == FPY_NVS_TYPE_BLOB)
        return fpy_nvs_get_blob(&h, key_names[k], out->bytes, &len);
    return FPY_ERR_CORRUPT;
}

/* ---- checking ---------------------------------------------------------------------- */

static int op_touches(const fpy_npl_op *o, int ns, int k)
{
    return o != NULL && o->ns == ns &&
           ((o->what != FPY_NPL_ERASE_ALL && o->key == k) || o->what == FPY_NPL_ERASE_ALL) &&
           o->what != FPY_NPL_REBOOT;
}

/* Is `got` what (ns, k) may hold: the model's value, or the outcome of an
 * uncertain operation on it? */
static int pl_allowed(const fpy_npl_ctx *c, int ns, int k, const fpy_npl_val *got)
{
    static fpy_npl_val alt;
    if (val_eq(got, &c->now.v[ns][k]))
        return 1;
    for (int u = 0; u < 2; u++) {
        const fpy_npl_op *o = c->uncertain[u];
        if (!op_touches(o, ns, k))
            continue;
        if (o->what == FPY_NPL_SET)
            op_value(o, &alt);
        else
            alt.kind = FPY_NPL_ABSENT;
        if (val_eq(got, &alt))
            return 1;
    }
    return 0;
}

static int pl_check_values(fpy_npl_ctx *c, char *why, size_t n)
{
    static fpy_npl_val got;
    for (int ns = 0; ns < FPY_NPL_NS; ns++) {
        for (int k = 0; k < FPY_NPL_KEYS; k++) {
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
static int pl_check_no_strangers(fpy_npl_ctx *c, char *why, size_t n)
{
    fpy_nvs_iter it;
    int rc, keys = 0;
    if (fpy_nvs_iter_start(&it, &c->nvs, NULL, FPY_NVS_TYPE_ANY) != FPY_OK)
        return snprintf(why, n, "iteration failed"), 1;
    while ((rc = fpy_nvs_iter_next(&it)) == FPY_OK)
        keys++;
    int known = 0;
    static fpy_npl_val got;
    for (int ns = 0; ns < FPY_NPL_NS; ns++)
        for (int k = 0; k < FPY_NPL_KEYS; k++)
            known += pl_read(c, ns, k, &got) == FPY_OK && got.kind != FPY_NPL_ABSENT;
    if (rc != FPY_ERR_NOTFOUND || keys != known) {
        snprintf(why, n, "iteration lists %d keys, reads find %d", keys, known);
        return 1;
    }
    return 0;
}

/* Every key erased one by one, only the namespace entries may stay in
 * use (an entry that no key owns, such as a chunk no index claims, is
 * space lost), and the store must give back its whole capacity: the u32
 * keys that fit are (pages - 1) * 126 minus the namespace entries. */
static int pl_check_capacity(fpy_npl_ctx *c, char *why, size_t n)
{
    fpy_nvs_handle h;
    char key[16];
    fpy_nvs_stats st;
    for (int ns = 0; ns < FPY_NPL_NS; ns++) {
        if (pl_handle(c, ns, &h) != FPY_OK)
            return snprintf(why, n, "open failed"), 1;
        for (int k = 0; k <= FPY_NPL_KEYS; k++) {
            int rc = fpy_nvs_erase_key(&h, k < FPY_NPL_KEYS ? key_names[k] : probe_key);
            if (rc != FPY_OK && rc != FPY_ERR_NOTFOUND)
                return snprintf(why, n, "erase_key failed (%d)", rc), 1;
        }
    }
    if (fpy_nvs_stats_get(&c->nvs, &st) != FPY_OK || st.used_entries != FPY_NPL_NS)
        return snprintf(why, n, "after erasing every key %u entries still used",
                        (unsigned)st.used_entries), 1;
    uint32_t want = (c->pages - 1u) * FPY_NVS_ENTRY_COUNT - FPY_NPL_NS, got = 0;
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

static int pl_check_working(fpy_npl_ctx *c, char *why, size_t n)
{
    fpy_nvs_handle h;
    uint32_t v = 0;
    if (pl_handle(c, 0, &h) != FPY_OK || fpy_nvs_set_u32(&h, probe_key, 0xC0FFEEu) != FPY_OK ||
        fpy_nvs_get_u32(&h, probe_key, &v) != FPY_OK || v != 0xC0FFEEu) {
        snprintf(why, n, "a new value cannot be written after the reboot");
        return 1;
    }
    return 0;
}

int fpy_npl_check(void *ctx, const fpy_flash *f, int completed, char *why, size_t n)
{
    fpy_npl_ctx *c = ctx;
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
static int pl_replay(fpy_npl_ctx *c, const fpy_flash *f, uint32_t end, fpy_npl_model *m)
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

int fpy_npl_setup(void *ctx, const fpy_flash *f)
{
    fpy_npl_ctx *c = ctx;
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
static void pl_settle_setup_op(fpy_npl_ctx *c, const fpy_npl_op *o)
{
    static fpy_npl_val got;
    for (int k = 0; k < FPY_NPL_KEYS; k++) {
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

/* Power on, an operation either works or (a set) runs out of space; any
 * other error, such as a program the flash refused, is a failure, not a
 * cut: only a cut returns FPY_ERR_POWERLOSS. */
static int pl_powered(fpy_npl_ctx *c, int rc, int nospc_ok, uint32_t i)
{
    if (rc == FPY_OK || rc == FPY_ERR_POWERLOSS || (nospc_ok && rc == FPY_ERR_NOSPC))
        return rc;
    if (c->run_error[0] == '\0')
        snprintf(c->run_error, sizeof c->run_error, "op %u failed with power on (%d)",
                 (unsigned)i, rc);
    return rc;
}

int fpy_npl_run(void *ctx, const fpy_flash *f)
{
    fpy_npl_ctx *c = ctx;
    uint32_t first = c->prefix + (c->torn_setup_at > 0 ? 1u : 0u);
    c->now = c->committed;
    c->run_error[0] = '\0';
    c->uncertain[0] = c->torn_setup_at > 0 ? &c->ops[c->prefix] : NULL;
    c->uncertain[1] = NULL;
    FPY_TRY(pl_powered(c, pl_init(c, f), 0, first));
    if (c->uncertain[0] != NULL)
        pl_settle_setup_op(c, c->uncertain[0]);
    for (uint32_t i = first; i < first + c->count; i++) {
        const fpy_npl_op *o = &c->ops[i];
        c->uncertain[1] = o;
        int rc = pl_powered(c, pl_do(c, f, o), o->what != FPY_NPL_REBOOT, i);
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

void fpy_npl_gen_ops(fpy_npl_op *ops, uint32_t n, uint64_t seed, uint32_t max_blob)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1u;
    for (uint32_t i = 0; i < n; i++) {
        fpy_npl_op *o = &ops[i];
        uint32_t r = rnd(&s) % 100u;
        memset(o, 0, sizeof *o);
        o->ns = (uint8_t)(rnd(&s) % FPY_NPL_NS);
        o->key = (uint8_t)(rnd(&s) % FPY_NPL_KEYS);
        o->seed = rnd(&s);
        o->what = r < 72 ? FPY_NPL_SET : r < 86 ? FPY_NPL_ERASE
                : r < 90 ? FPY_NPL_ERASE_ALL : FPY_NPL_REBOOT;
        if (r < 30)
            o->key = 0; /* one hot key: many updates, many GCs */
        /* count, id: u32; name: string; mixed: any type; cert: blob */
        o->kind = o->key <= 1 ? FPY_NPL_U32 : o->key == 2 ? FPY_NPL_STR
                : o->key == 4 ? FPY_NPL_BLOB : (uint8_t)(1u + rnd(&s) % 3u);
        o->len = o->kind == FPY_NPL_STR ? rnd(&s) % 300u : rnd(&s) % (max_blob + 1u);
        if (o->key == 3 && o->kind == FPY_NPL_BLOB)
            o->len %= 200u; /* big blobs only under "cert": the store never fills up */
    }
}

int fpy_npl_long(void)
{
    const char *e = getenv("FPY_NVS_PL_LONG");
    return e != NULL && e[0] != '\0' && e[0] != '0';
}

static const fpy_flash_geometry pl_geo = {0x8000u, 4096u, 256u, 4u};

fpy_pl_options fpy_npl_opts(uint32_t torn_seeds)
{
    fpy_pl_options opt = {.geo = pl_geo, .torn_seeds = torn_seeds, .verbose = 1};
    return opt;
}

/* A fresh flash with ops [0, nops) replayed on it without faults. */
static fpy_test_flash *pl_fresh(fpy_npl_ctx *c, uint32_t nops)
{
    fpy_test_flash *tf = fpy_test_flash_new(&pl_geo);
    fpy_npl_model m;
    memset(&m, 0, sizeof m);
    assert_int_equal(pl_replay(c, &tf->flash, nops, &m), FPY_OK);
    return tf;
}

/* Sector erases of the whole sequence without faults: how much GC it does. */
uint64_t fpy_npl_count_erases(fpy_npl_ctx *c, uint32_t nops)
{
    fpy_test_flash *tf = pl_fresh(c, nops);
    uint64_t n = tf->sim.stats.erases;
    fpy_test_flash_free(tf);
    return n;
}

/* The first operation at or after `from` that collects garbage (erases a
 * sector) when the sequence runs without faults; `end` if none does. */
uint32_t fpy_npl_next_gc(fpy_npl_ctx *c, uint32_t from, uint32_t end)
{
    fpy_test_flash *tf = pl_fresh(c, from);
    uint32_t i = from;
    for (; i < end; i++) {
        uint64_t before = tf->sim.stats.erases;
        int rc = pl_do(c, &tf->flash, &c->ops[i]);
        assert_true(rc == FPY_OK || rc == FPY_ERR_NOSPC);
        if (tf->sim.stats.erases > before)
            break;
    }
    fpy_test_flash_free(tf);
    return i;
}

uint32_t fpy_npl_single_n(const fpy_npl_op *seq, uint32_t prefix, uint32_t count, uint32_t pages,
                            const char *name, uint32_t torn)
{
    fpy_npl_ctx *c = calloc(1, sizeof *c);
    c->ops = seq;
    c->prefix = prefix;
    c->count = count;
    c->pages = pages;
    c->fill_every = 1;
    fpy_pl_scenario s = {name, c, fpy_npl_setup, fpy_npl_run, fpy_npl_check};
    fpy_pl_options opt = fpy_npl_opts(fpy_npl_long() ? 4u * torn : torn);
    fpy_pl_result r;
    assert_int_equal(fpy_pl_run(&s, &opt, &r), 0);
    assert_true(r.mutations > 0);
    free(c);
    return r.failures;
}

uint32_t fpy_npl_single(const fpy_npl_op *seq, uint32_t prefix, uint32_t count, uint32_t pages,
                          const char *name)
{
    return fpy_npl_single_n(seq, prefix, count, pages, name, 6);
}

