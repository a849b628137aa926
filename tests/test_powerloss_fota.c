/*
 * Boot and FOTA under power loss.  Every scenario is run once cleanly to
 * count its flash mutations; then, for each mutation n, power is cut just
 * before it, and operation n is torn (torn program or interrupted erase,
 * two random variants).  After each, the flash is rebooted through the
 * real boot code (fpy_boot_run) and the invariants are checked:
 *  - a verified VM (and its bytecode, if any) always boots;
 *  - the pair is all old or all new, never mixed;
 *  - after accept() returned, it never reverts; without accept(), a reset
 *    returns to the last working pair.
 * The protected variants (lib/sec) run the same with signed images, a
 * policy and anti-rollback floors (old pair version 1, new pair 2), and
 * check also that the floors moved exactly when the new pair was
 * accepted, never before (floors_ok).
 * Set FPY_PL_STRIDE=k to test every kth cut point (default 1: all), and
 * FPY_PL_SEEDS=n for n torn variants per point (default 2; `make
 * powerloss-long` uses 16).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fipy/boot.h"
#include "fipy/fota.h"
#include "fipy/otadata.h"
#include "fipy/sec.h"
#include "fixtures.h"
#include "powerloss.h"
#include "simsys.h"
#include "testutil.h"

#define OTADATA 0xD000u

typedef struct pair {
    uint8_t vm, bc;
} pair;

typedef struct sc {
    const fpy_layout *l;
    fpy_boot_cfg cfg;
    fpy_fw_work w;
    fpy_boot_result res;
    fpy_simsys ss;
    fpy_sys sys;
    uint8_t *vm_img, *bc_img;
    size_t vm_len, bc_len;
    uint8_t targets;
    pair old, new_;
    int reason;          /* reset reason for boots run() does */
    int expect;          /* what a completed run must leave (see checks) */
    int protect;         /* signed images under a policy with anti-rollback */
    uint8_t pub[64];
    fpy_sec sec;
    uint32_t vm_floor;   /* the eFuse: survives power cuts, one way */
    /* The harness runs setup once and restores the flash before each cut
     * point; the eFuse lives outside the flash, so it is restored here
     * (pl_run_fresh) to what it was after setup. */
    int (*runf)(void *ctx, const fpy_flash *f);
    int floor_saved;
    uint32_t floor_setup;
} sc;

static int ef_get(void *ctx, uint32_t *v)
{
    *v = ((sc *)ctx)->vm_floor;
    return FPY_OK;
}

static int ef_raise(void *ctx, uint32_t v)
{
    sc *c = ctx;
    if (v > c->vm_floor)
        c->vm_floor = v;
    return FPY_OK;
}

static const fpy_sec_ops ef_ops = {ef_get, ef_raise};

enum { EXPECT_TRIAL_OR_NEW, EXPECT_NEW_STABLE, EXPECT_OLD };

static sc *sc_new(void)
{
    sc *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->l = fpy_layout_get(FPY_LAYOUT_NONBLE);
    c->cfg.layout = c->l;
    c->cfg.store = FPY_REC_STORE_FIPY();
    fpy_simsys_init(&c->ss, &c->sys);
    c->vm_img = malloc(160 * 1024);
    c->bc_img = malloc(16 * 1024);
    assert_non_null(c->vm_img);
    assert_non_null(c->bc_img);
    c->vm_len = fpy_fix_vm("2.1.0", 7, 40000, c->vm_img, 160 * 1024);
    c->bc_len = fpy_fix_bc(2, 7, 9000, c->bc_img, 16 * 1024);
    c->sec = (fpy_sec){c->pub, 1, &ef_ops, c};
    c->old = (pair){0, 0};
    c->reason = FPY_RESET_RESET;
    return c;
}

/* The protected variant: the update's images at version 2, signed. */
static void sc_protect(sc *c)
{
    c->protect = 1;
    c->cfg.sec = &c->sec;
    c->vm_len = fpy_fix_vm_sv("2.1.0", 2, 7, 40000, c->vm_img, 160 * 1024);
    c->vm_len = fpy_fix_sign(c->vm_img, c->vm_len, 160 * 1024, c->pub);
    c->bc_len = fpy_fix_bc_sv(2, 2, 7, 9000, c->bc_img, 16 * 1024);
    c->bc_len = fpy_fix_sign(c->bc_img, c->bc_len, 16 * 1024, NULL);
}

static void sc_free(sc *c)
{
    free(c->vm_img);
    free(c->bc_img);
    free(c);
}

static int do_boot(sc *c, const fpy_flash *f, int reason)
{
    fpy_simsys_reset(&c->ss, reason);
    return fpy_boot_run(f, &c->sys, &c->cfg, &c->w, &c->res);
}

static uint32_t slot_addr(sc *c, fpy_area_kind k, unsigned i)
{
    return fpy_layout_area(c->l, k, i)->offset;
}

/* A device running the old pair (VM 2.0.0 + bytecode in slots 0). */
static int base_setup(sc *c, const fpy_flash *f)
{
    uint8_t *img = malloc(160 * 1024);
    if (img == NULL)
        return FPY_ERR_NOSPC;
    size_t n = fpy_fix_vm_sv("2.0.0", c->protect, 1, 40000, img, 160 * 1024);
    if (c->protect)
        n = fpy_fix_sign(img, n, 160 * 1024, NULL);
    fpy_fix_install(f, slot_addr(c, FPY_AREA_VM_SLOT, 0), img, n);
    n = fpy_fix_bc_sv(2, c->protect, 1, 5000, img, 160 * 1024);
    if (c->protect)
        n = fpy_fix_sign(img, n, 160 * 1024, NULL);
    fpy_fix_install(f, slot_addr(c, FPY_AREA_BC_SLOT, 0), img, n);
    free(img);
    c->vm_floor = 0; /* a new chip's eFuse, for each run of the scenario */
    return do_boot(c, f, FPY_RESET_RESET);
}

/* The update itself, through the engine, in 1000-byte chunks. */
static int stream_update(sc *c, const fpy_flash *f)
{
    fpy_fota u;
    fpy_fota_req q;
    FPY_TRY(fpy_fota_req_from_images(&q, (c->targets & FPY_FOTA_VM) ? c->vm_img : NULL, c->vm_len,
                                     (c->targets & FPY_FOTA_BC) ? c->bc_img : NULL, c->bc_len));
    q.vm_slot = c->new_.vm;
    q.bc_slot = c->new_.bc;
    FPY_TRY(fpy_fota_begin(&u, f, c->l, &c->cfg.store, &q, c->cfg.sec, &c->w, NULL));
    uint32_t off = 0;
    for (int part = 0; part < 2; part++) {
        uint8_t bit = part == 0 ? FPY_FOTA_VM : FPY_FOTA_BC;
        if (!(c->targets & bit))
            continue;
        const uint8_t *img = part == 0 ? c->vm_img : c->bc_img;
        size_t len = part == 0 ? c->vm_len : c->bc_len;
        for (size_t i = 0; i < len; i += 1000) {
            uint32_t k = (uint32_t)(len - i < 1000 ? len - i : 1000);
            FPY_TRY(fpy_fota_write(&u, off, img + i, k, NULL));
            off += k;
        }
    }
    FPY_TRY(fpy_fota_finish(&u, &c->w, NULL));
    return fpy_fota_commit(&u);
}

static int bad(char *why, size_t n, const char *msg, const sc *c)
{
    snprintf(why, n, "%s (booted vm %u bc %u, rule %d)", msg, c->res.vm_slot, c->res.bc_slot,
             c->res.row ? c->res.row->rule : -1);
    return 1;
}

static int is_pair(uint8_t vm, uint8_t bc, pair p);

/* Anti-rollback: the floors are the old pair's versions (1) until the new
 * pair is the accepted one and runs STABLE, then the new versions (2) of
 * what the update replaced: never before the accept, never lost after. */
static int floors_ok(sc *c, char *why, size_t n)
{
    int accepted = is_pair(c->res.rec.vm_last, c->res.rec.bc_last, c->new_) &&
                   c->res.rec.mode == FPY_REC_STABLE;
    uint32_t vm = accepted && (c->targets & FPY_FOTA_VM) ? 2u : 1u;
    uint32_t bc = accepted && (c->targets & FPY_FOTA_BC) ? 2u : 1u;
    if (c->vm_floor == vm && c->res.rec.bc_floor == bc)
        return 0;
    snprintf(why, n, "anti-rollback floors VM %u bytecode %u, want %u %u (%s; vm %u bc %u rule %d)",
             c->vm_floor, c->res.rec.bc_floor, vm, bc, accepted ? "accepted" : "not accepted",
             c->res.vm_slot, c->res.bc_slot, c->res.row ? c->res.row->rule : -1);
    return 1;
}

/* Reboot through the real boot code; the pair must be old or new, whole. */
static int boot_and_classify(sc *c, const fpy_flash *f, char *why, size_t n, int *is_new)
{
    /* Whatever the cut left, ESP-IDF's bootloader would boot the VM that
     * fipy's boot now boots (issue 13: they agree at every moment). */
    fpy_otadata od;
    fpy_otadata_pick idf;
    if (fpy_otadata_read(f, OTADATA, &od) != FPY_OK)
        return bad(why, n, "otadata unreadable", c);
    fpy_otadata_idf_pick(&od, &idf);
    int rc = do_boot(c, f, FPY_RESET_RESET);
    if (rc == FPY_OK && idf.entry >= 0 && idf.slot != c->res.vm_slot) {
        snprintf(why, n, "ESP-IDF's bootloader would boot VM %u, fipy booted %u (rule %d; %s: %s)",
                 idf.slot, c->res.vm_slot, c->res.row ? c->res.row->rule : -1,
                 c->res.diag_what ? c->res.diag_what : "-", c->res.diag.what ? c->res.diag.what : "-");
        return 1;
    }
    if (rc != FPY_OK) {
        snprintf(why, n, "boot failed: %s (rule %d)", fpy_strerror(rc),
                 c->res.row ? c->res.row->rule : -1);
        return 1;
    }
    pair p = {c->res.vm_slot, c->res.bc_slot};
    int old = p.vm == c->old.vm && p.bc == c->old.bc;
    int nw = p.vm == c->new_.vm && p.bc == c->new_.bc;
    if (!old && !nw)
        return bad(why, n, "mixed pair", c);
    if (c->res.status != FPY_PAIR_OK)
        return bad(why, n, "booted pair does not fully verify", c);
    *is_new = nw && !old;
    return c->protect && floors_ok(c, why, n);
}

/* Does slot `slot` of `kind` hold exactly this update's image? */
static int holds_new(sc *c, const fpy_flash *f, fpy_area_kind kind, unsigned slot)
{
    const uint8_t *img = kind == FPY_AREA_VM_SLOT ? c->vm_img : c->bc_img;
    size_t len = kind == FPY_AREA_VM_SLOT ? c->vm_len : c->bc_len;
    uint8_t buf[1024];
    for (size_t off = 0; off < len; off += sizeof buf) {
        uint32_t k = (uint32_t)(len - off < sizeof buf ? len - off : sizeof buf);
        if (fpy_flash_read(f, slot_addr(c, kind, slot) + (uint32_t)off, buf, k) != FPY_OK ||
            memcmp(buf, img + off, k) != 0)
            return 0;
    }
    return 1;
}

/* Three watchdog resets in a row: whatever the boot-loop guard does, a
 * fully verified pair runs, and the update that was never accepted does
 * not (the guard may go back to the genuine previous pair). */
static int loop_no_unaccepted(sc *c, const fpy_flash *f, char *why, size_t n)
{
    for (int i = 0; i < 3; i++) {
        if (do_boot(c, f, FPY_RESET_WATCHDOG) != FPY_OK || c->res.status != FPY_PAIR_OK)
            return bad(why, n, "no fully verified pair after watchdog resets", c);
        int new_vm = (c->targets & FPY_FOTA_VM) && c->res.vm_slot == c->new_.vm &&
                     holds_new(c, f, FPY_AREA_VM_SLOT, c->new_.vm);
        int new_bc = (c->targets & FPY_FOTA_BC) && c->res.bc_slot == c->new_.bc &&
                     holds_new(c, f, FPY_AREA_BC_SLOT, c->new_.bc);
        if (new_vm || new_bc)
            return bad(why, n, "the unaccepted update runs after watchdog resets", c);
    }
    return 0;
}

/* The sectors a boot may write: both record copies and both otadata
 * sectors.  Saved and restored so that several resets can be tried from
 * one state. */
typedef struct meta {
    uint8_t b[4][4096];
} meta;

static uint32_t meta_addr(const sc *c, unsigned i)
{
    return i < 2 ? c->cfg.store.addr[i] : c->cfg.store.otadata + (i - 2u) * 4096u;
}

static int meta_save(const sc *c, const fpy_flash *f, meta *m)
{
    for (unsigned i = 0; i < 4; i++)
        FPY_TRY(fpy_flash_read(f, meta_addr(c, i), m->b[i], 4096));
    return FPY_OK;
}

static int meta_restore(const sc *c, const fpy_flash *f, const meta *m)
{
    for (unsigned i = 0; i < 4; i++) {
        FPY_TRY(fpy_flash_erase(f, meta_addr(c, i), 4096));
        FPY_TRY(fpy_flash_program(f, meta_addr(c, i), m->b[i], 4096));
    }
    return FPY_OK;
}

static int is_pair(uint8_t vm, uint8_t bc, pair p)
{
    return vm == p.vm && bc == p.bc;
}

/*
 * The strict invariant for an update that was never accepted, checked
 * after the reboot boot_and_classify() just did, whatever the cut left:
 *  - the new pair never becomes the last working pair, and never runs
 *    outside test mode;
 *  - if it runs (in test mode), then a reset of ANY kind, each tried from
 *    this same state, returns to the old pair, which runs STABLE;
 *  - and a string of watchdog resets never brings it back.
 */
static int never_accepted(sc *c, const fpy_flash *f, int is_new, char *why, size_t n)
{
    static const int reasons[] = {FPY_RESET_RESET, FPY_RESET_INTERRUPT, FPY_RESET_TIMEOUT,
                                  FPY_RESET_WATCHDOG, FPY_RESET_PANIC};
    static meta m;
    if (is_pair(c->res.rec.vm_last, c->res.rec.bc_last, c->new_))
        return bad(why, n, "the never-accepted pair became the last working pair", c);
    if (is_new && !c->res.test_mode)
        return bad(why, n, "the never-accepted pair runs outside test mode", c);
    if (is_new) {
        if (meta_save(c, f, &m) != FPY_OK)
            return bad(why, n, "cannot save the record sectors", c);
        for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
            int rc = do_boot(c, f, reasons[i]);
            if (rc != FPY_OK || !is_pair(c->res.vm_slot, c->res.bc_slot, c->old) ||
                c->res.test_mode || c->res.status != FPY_PAIR_OK)
                return bad(why, n, "a reset before accept() did not return to the old pair",
                           c);
            if (meta_restore(c, f, &m) != FPY_OK)
                return bad(why, n, "cannot restore the record sectors", c);
        }
    }
    return loop_no_unaccepted(c, f, why, n);
}

/* ---- scenarios: update (VM, bytecode, both) ------------------------------ */

static int up_setup(void *ctx, const fpy_flash *f)
{
    return base_setup(ctx, f);
}

static int up_run(void *ctx, const fpy_flash *f)
{
    return stream_update(ctx, f);
}

/* A completed update boots the new pair on trial; a reset during the
 * trial (the next boot) goes back to the old one. */
static int up_check(void *ctx, const fpy_flash *f, int completed, char *why, size_t n)
{
    sc *c = ctx;
    int is_new;
    if (boot_and_classify(c, f, why, n, &is_new))
        return 1;
    if (completed && !(is_new && c->res.test_mode))
        return bad(why, n, "completed update did not start a trial", c);
    return never_accepted(c, f, is_new, why, n);
}

/* A second update, after an accepted first one: it overwrites the slots
 * of the previous pair, which the record must forget first. */
static int up2_setup(void *ctx, const fpy_flash *f)
{
    sc *c = ctx;
    c->new_ = (pair){1, 1};
    FPY_TRY(base_setup(c, f));
    FPY_TRY(stream_update(c, f));
    FPY_TRY(do_boot(c, f, FPY_RESET_RESET));
    FPY_TRY(fpy_fota_accept(f, &c->cfg.store, c->l, c->cfg.sec));
    c->old = (pair){1, 1};
    c->new_ = (pair){0, 0};
    return FPY_OK;
}

/* ---- scenario: accept ---------------------------------------------------- */

static int acc_setup(void *ctx, const fpy_flash *f)
{
    sc *c = ctx;
    FPY_TRY(base_setup(c, f));
    FPY_TRY(stream_update(c, f));
    return do_boot(c, f, FPY_RESET_RESET); /* the trial boot */
}

static int acc_run(void *ctx, const fpy_flash *f)
{
    (void)ctx;
    return fpy_fota_accept(f, &((sc *)ctx)->cfg.store, ((sc *)ctx)->l, ((sc *)ctx)->cfg.sec);
}

static int acc_check(void *ctx, const fpy_flash *f, int completed, char *why, size_t n)
{
    sc *c = ctx;
    int is_new;
    if (boot_and_classify(c, f, why, n, &is_new))
        return 1;
    if (completed && !is_new)
        return bad(why, n, "accept() returned ok but the old pair is back", c);
    if (is_new && c->res.test_mode)
        return bad(why, n, "accepted pair still in test mode", c);
    /* whatever it settled on, it stays */
    int again;
    if (boot_and_classify(c, f, why, n, &again))
        return 1;
    if (again != is_new)
        return bad(why, n, "pair changed on the following boot", c);
    return 0;
}

/* ---- scenario: the boots of a trial (start, and the rollback) ------------ */

static int trial_setup(void *ctx, const fpy_flash *f)
{
    sc *c = ctx;
    FPY_TRY(base_setup(c, f));
    return stream_update(c, f);
}

/* run = the first boot after attempt() */
static int trial_run(void *ctx, const fpy_flash *f)
{
    sc *c = ctx;
    return do_boot(c, f, FPY_RESET_RESET);
}

static int trial_check(void *ctx, const fpy_flash *f, int completed, char *why, size_t n)
{
    sc *c = ctx;
    int is_new;
    if (boot_and_classify(c, f, why, n, &is_new))
        return 1;
    /* The trial boot ran (completed): this reboot is a reset without
     * accept() and must roll back.  Otherwise the trial may start now,
     * in test mode, and the strict invariant holds either way. */
    if (completed && is_new)
        return bad(why, n, "trial survived a reset without accept()", c);
    return never_accepted(c, f, is_new, why, n);
}

static int rb_setup(void *ctx, const fpy_flash *f)
{
    sc *c = ctx;
    FPY_TRY(trial_setup(c, f));
    return do_boot(c, f, FPY_RESET_RESET);
}

/* run = the boot after the trial was reset (crash, watchdog, power) */
static int rb_run(void *ctx, const fpy_flash *f)
{
    sc *c = ctx;
    return do_boot(c, f, c->reason);
}

static int rb_check(void *ctx, const fpy_flash *f, int completed, char *why, size_t n)
{
    sc *c = ctx;
    int is_new;
    (void)completed;
    if (boot_and_classify(c, f, why, n, &is_new))
        return 1;
    if (is_new)
        return bad(why, n, "rolled-back pair came back", c);
    return never_accepted(c, f, is_new, why, n);
}

/* ---- scenarios: the boot-loop guard's revert, and mark_stable ------------- */

/* An accepted pair (1,1) that crashed twice; the previous pair is (0,0). */
static int loop_setup(void *ctx, const fpy_flash *f)
{
    sc *c = ctx;
    c->new_ = (pair){1, 1};
    FPY_TRY(base_setup(c, f));
    FPY_TRY(stream_update(c, f));
    FPY_TRY(do_boot(c, f, FPY_RESET_RESET));
    FPY_TRY(fpy_fota_accept(f, &c->cfg.store, c->l, c->cfg.sec));
    FPY_TRY(do_boot(c, f, FPY_RESET_WATCHDOG));
    FPY_TRY(do_boot(c, f, FPY_RESET_WATCHDOG));
    c->old = (pair){1, 1};
    c->new_ = (pair){0, 0};
    return FPY_OK;
}

/* run = the third crash's boot: the guard reverts to (0,0) */
static int loop_run(void *ctx, const fpy_flash *f)
{
    return do_boot(ctx, f, FPY_RESET_WATCHDOG);
}

static int loop_check(void *ctx, const fpy_flash *f, int completed, char *why, size_t n)
{
    sc *c = ctx;
    int is_new;
    if (boot_and_classify(c, f, why, n, &is_new))
        return 1;
    if (completed && !is_new)
        return bad(why, n, "the revert was lost", c);
    /* went back: the pair it went back to is no longer "previous" */
    if (is_new && (c->res.rec.has_prev || !is_pair(c->res.rec.vm_last, c->res.rec.bc_last,
                                                   c->new_)))
        return bad(why, n, "the record after the revert still names a previous pair", c);
    return 0;
}

static int stable_run(void *ctx, const fpy_flash *f)
{
    return fpy_fota_mark_stable(f, &((sc *)ctx)->cfg.store);
}

/* After mark_stable() returned, no crash loop reverts the pair. */
static int stable_check(void *ctx, const fpy_flash *f, int completed, char *why, size_t n)
{
    sc *c = ctx;
    int is_new;
    if (boot_and_classify(c, f, why, n, &is_new))
        return 1;
    if (!completed)
        return 0;
    if (is_new)
        return bad(why, n, "reverted although mark_stable() returned", c);
    for (int i = 0; i < 4; i++) {
        if (do_boot(c, f, FPY_RESET_WATCHDOG) != FPY_OK || c->res.vm_slot != c->old.vm)
            return bad(why, n, "a crash loop reverted a pair that ran stably", c);
    }
    return 0;
}

/* ---- scenario: a record write and an otadata write on their own ---------- */

static int rec_run(void *ctx, const fpy_flash *f)
{
    sc *c = ctx;
    return fpy_fota_attempt(f, &c->cfg.store, 1, 1);
}

static int rec_setup(void *ctx, const fpy_flash *f)
{
    sc *c = ctx;
    FPY_TRY(base_setup(c, f));
    c->targets = FPY_FOTA_VM | FPY_FOTA_BC;
    FPY_TRY(stream_update(c, f));
    /* undo the attempt: back to a stable record with both slots written */
    fpy_rec r;
    int copy;
    FPY_TRY(fpy_rec_load(f, &c->cfg.store, &r, &copy));
    r.vm_cur = 0;
    r.bc_cur = 0;
    r.mode = FPY_REC_STABLE;
    FPY_TRY(fpy_fw_mirror(f, OTADATA, 0, FPY_OTA_VALID, FPY_OTA_NO_FALLBACK, &r));
    return fpy_rec_commit(f, &c->cfg.store, &r);
}

static int od_run(void *ctx, const fpy_flash *f)
{
    (void)ctx;
    fpy_otadata od;
    return fpy_otadata_sync(f, OTADATA, 1, FPY_OTA_PENDING_VERIFY, 0, &od);
}

/* otadata is only a mirror: whatever a cut leaves, the record decides,
 * and the boot repairs the mirror so ESP-IDF agrees. */
static int od_check(void *ctx, const fpy_flash *f, int completed, char *why, size_t n)
{
    sc *c = ctx;
    int is_new;
    (void)completed;
    if (boot_and_classify(c, f, why, n, &is_new))
        return 1;
    if (is_new)
        return bad(why, n, "otadata alone switched the pair", c);
    if (never_accepted(c, f, is_new, why, n))
        return 1;
    fpy_otadata od;
    if (fpy_otadata_read(f, OTADATA, &od) != FPY_OK)
        return bad(why, n, "otadata unreadable", c);
    int a = fpy_otadata_active(&od);
    if (a < 0 || fpy_otadata_slot(od.e[a].seq, 2) != c->res.vm_slot)
        return bad(why, n, "otadata not repaired to the booted VM", c);
    return 0;
}

/* ---- runner ---------------------------------------------------------------- */

/* run() with the eFuse back at its state after setup. */
static int pl_run_fresh(void *ctx, const fpy_flash *f)
{
    sc *c = ctx;
    if (!c->floor_saved) {
        c->floor_setup = c->vm_floor;
        c->floor_saved = 1;
    }
    c->vm_floor = c->floor_setup;
    return c->runf(ctx, f);
}

static uint32_t total_points, total_failures;
static int protected_run; /* the next run() uses the protected variant */
static uint32_t run_stride = 1; /* every k-th cut point (FPY_PL_STRIDE overrides) */

static void run(const char *name, uint8_t targets, pair new_, int reason,
                int (*setup)(void *, const fpy_flash *), int (*runf)(void *, const fpy_flash *),
                int (*check)(void *, const fpy_flash *, int, char *, size_t))
{
    if (total_failures > 0 && getenv("FPY_PL_FAILFAST") != NULL)
        return; /* a planted bug is caught already: the verdict is known */
    sc *c = sc_new();
    c->targets = targets;
    c->new_ = new_;
    c->reason = reason;
    if (protected_run)
        sc_protect(c);
    c->runf = runf;
    fpy_pl_scenario s = {name, c, setup, pl_run_fresh, check};
    fpy_pl_options opt = {.torn_seeds = 2, .verbose = 1};
    const char *seeds = getenv("FPY_PL_SEEDS");
    if (seeds)
        opt.torn_seeds = (uint32_t)atoi(seeds);
    const char *stride = getenv("FPY_PL_STRIDE");
    opt.stride = stride ? (uint32_t)atoi(stride) : run_stride;
    fpy_pl_result r;
    assert_int_equal(fpy_pl_run(&s, &opt, &r), 0);
    total_points += r.cut_points;
    total_failures += r.failures;
    if (r.failures)
        fail_msg("%s: %u failures; first: %s", name, r.failures, r.first_failure);
    assert_true(r.mutations > 0);
    sc_free(c);
}

static const pair VM_NEW = {1, 0}, BC_NEW = {0, 1}, BOTH_NEW = {1, 1};

static void test_vm_update(void **s)
{
    (void)s;
    run("VM update", FPY_FOTA_VM, VM_NEW, 0, up_setup, up_run, up_check);
}

static void test_bytecode_update(void **s)
{
    (void)s;
    run("bytecode update", FPY_FOTA_BC, BC_NEW, 0, up_setup, up_run, up_check);
}

static void test_both_update(void **s)
{
    (void)s;
    run("VM + bytecode update", FPY_FOTA_VM | FPY_FOTA_BC, BOTH_NEW, 0, up_setup, up_run,
        up_check);
}

static void test_second_update(void **s)
{
    (void)s;
    run("second update (over prev)", FPY_FOTA_VM | FPY_FOTA_BC, (pair){0, 0}, 0, up2_setup,
        up_run, up_check);
}

static void test_accept(void **s)
{
    (void)s;
    run("accept", FPY_FOTA_VM | FPY_FOTA_BC, BOTH_NEW, 0, acc_setup, acc_run, acc_check);
}

static void test_trial_boot(void **s)
{
    (void)s;
    run("trial boot", FPY_FOTA_VM | FPY_FOTA_BC, BOTH_NEW, 0, trial_setup, trial_run,
        trial_check);
}

static void test_rollback_after_reset(void **s)
{
    (void)s;
    run("rollback after failed trial", FPY_FOTA_VM | FPY_FOTA_BC, BOTH_NEW, FPY_RESET_RESET,
        rb_setup, rb_run, rb_check);
}

static void test_rollback_after_watchdog(void **s)
{
    (void)s;
    run("watchdog during trial", FPY_FOTA_VM, VM_NEW, FPY_RESET_WATCHDOG, rb_setup, rb_run,
        rb_check);
}

static void test_record_write(void **s)
{
    (void)s;
    run("record write (attempt)", FPY_FOTA_VM | FPY_FOTA_BC, BOTH_NEW, 0, rec_setup, rec_run,
        up_check);
}

static void test_otadata_write(void **s)
{
    (void)s;
    run("otadata write", FPY_FOTA_VM | FPY_FOTA_BC, BOTH_NEW, 0, rec_setup, od_run, od_check);
}

static void test_loop_revert(void **s)
{
    (void)s;
    run("boot-loop revert", FPY_FOTA_VM | FPY_FOTA_BC, (pair){0, 0}, 0, loop_setup, loop_run,
        loop_check);
}

static void test_mark_stable(void **s)
{
    (void)s;
    run("mark_stable", FPY_FOTA_VM | FPY_FOTA_BC, (pair){0, 0}, 0, loop_setup, stable_run,
        stable_check);
}

/* The protected variants: signed pairs, a policy, anti-rollback floors. */
static void test_protected(void **s)
{
    (void)s;
    protected_run = 1;
    /* The updates' writes are the unprotected updates' (tested at every
     * point by test_powerloss_fota); here every 15th and every 3rd point,
     * for time: each boot checks two ECDSA signatures (a third of the
     * suite's time under ASan).  The floors move in accept and the boots,
     * tested at every point. */
    run_stride = 15;
    run("protected VM + bytecode update", FPY_FOTA_VM | FPY_FOTA_BC, BOTH_NEW, 0, up_setup,
        up_run, up_check);
    run_stride = 3;
    run("protected bytecode update", FPY_FOTA_BC, BC_NEW, 0, up_setup, up_run, up_check);
    run_stride = 1;
    run("protected accept", FPY_FOTA_VM | FPY_FOTA_BC, BOTH_NEW, 0, acc_setup, acc_run,
        acc_check);
    run("protected trial boot", FPY_FOTA_VM | FPY_FOTA_BC, BOTH_NEW, 0, trial_setup, trial_run,
        trial_check);
    run("protected rollback", FPY_FOTA_VM | FPY_FOTA_BC, BOTH_NEW, FPY_RESET_RESET, rb_setup,
        rb_run, rb_check);
    protected_run = 0;
}

static uint32_t min_points = 1000; /* what a whole run tests at least */

static void test_summary(void **s)
{
    (void)s;
    printf("powerloss total: %u cut points, %u failures\n", total_points, total_failures);
    assert_true(total_points > min_points);
    assert_int_equal(total_failures, 0);
}

/* `--protected`: the protected variants alone (ctest's
 * test_powerloss_protected, which the planted anti-rollback bugs name);
 * without it, everything else. */
int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--protected") == 0) {
        const struct CMUnitTest prot[] = {
            cmocka_unit_test(test_protected),
            cmocka_unit_test(test_summary),
        };
        min_points = 150;
        return cmocka_run_group_tests(prot, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vm_update),
        cmocka_unit_test(test_bytecode_update),
        cmocka_unit_test(test_both_update),
        cmocka_unit_test(test_second_update),
        cmocka_unit_test(test_accept),
        cmocka_unit_test(test_trial_boot),
        cmocka_unit_test(test_rollback_after_reset),
        cmocka_unit_test(test_rollback_after_watchdog),
        cmocka_unit_test(test_record_write),
        cmocka_unit_test(test_otadata_write),
        cmocka_unit_test(test_loop_revert),
        cmocka_unit_test(test_mark_stable),
        cmocka_unit_test(test_summary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
