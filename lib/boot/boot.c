/* The boot: gather facts, decide (decide.c), act.  See fipy/boot.h. */
#include "fipy/boot.h"

#include <string.h>

#include "fipy/bcimage.h"
#include "fipy/otadata.h"
#include "fipy/sec.h"

#define FPY_BOOT_APPS 2u /* ota_0, ota_1 on the FiPy */

/* What one boot learned about each slot, verified at most once. */
typedef struct fpy_slots {
    int8_t vm_state[2]; /* -1 unknown, 0 bad, 1 ok */
    uint32_t vm_abi[2];
    int8_t bc_state[2]; /* -1 unknown, 0 bad, 1 ok, 2 empty */
    uint32_t bc_abi[2];
    /* The security policy's view (fipy/sec.h): the floors in force and
     * each verified image's version. */
    uint32_t vm_floor, bc_floor;
    uint32_t vm_secver[2], bc_secver[2];
} fpy_slots;

static void fpy_note(fpy_boot_result *res, int rc, const fpy_diag *d, const char *what)
{
    if (res->diag_rc != FPY_OK)
        return;
    res->diag_rc = rc;
    res->diag = *d;
    res->diag_what = what;
}

static int fpy_check_vm(const fpy_flash *f, const fpy_boot_cfg *cfg, fpy_fw_work *w,
                        fpy_slots *s, unsigned slot, fpy_boot_result *res)
{
    static const char *const names[2] = {"VM slot 0", "VM slot 1"};
    if (s->vm_state[slot] >= 0)
        return FPY_OK;
    fpy_diag d = {0};
    const fpy_area *a = fpy_layout_area(cfg->layout, FPY_AREA_VM_SLOT, slot);
    fpy_image_src src = fpy_image_src_flash(f, a->offset, a->size);
    int rc = fpy_sec_vm_check(cfg->sec, s->vm_floor, &src, w, &s->vm_abi[slot],
                              &s->vm_secver[slot], &d);
    if (rc != FPY_OK && !fpy_err_is_verdict(rc))
        return rc; /* the flash failed: not a verdict on the slot */
    s->vm_state[slot] = rc == FPY_OK;
    if (rc != FPY_OK)
        fpy_note(res, rc, &d, names[slot]);
    return FPY_OK;
}

static int fpy_check_bc(const fpy_flash *f, const fpy_boot_cfg *cfg, fpy_fw_work *w,
                        fpy_slots *s, unsigned slot, fpy_boot_result *res)
{
    static const char *const names[2] = {"bytecode slot 0", "bytecode slot 1"};
    if (s->bc_state[slot] >= 0)
        return FPY_OK;
    const fpy_area *a = fpy_layout_area(cfg->layout, FPY_AREA_BC_SLOT, slot);
    fpy_bc_header h;
    fpy_diag d = {0};
    int rc = fpy_sec_bc_check(cfg->sec, s->bc_floor, f, a->offset, a->size, NULL, w->scratch,
                              sizeof w->scratch, &h, &d);
    if (rc != FPY_OK && !fpy_err_is_verdict(rc))
        return rc;
    if (rc == FPY_ERR_NOTFOUND) {
        s->bc_state[slot] = 2;
        return FPY_OK;
    }
    s->bc_state[slot] = rc == FPY_OK;
    if (rc != FPY_OK) {
        fpy_note(res, rc, &d, names[slot]);
    } else {
        s->bc_abi[slot] = h.vm_abi;
        s->bc_secver[slot] = h.security_version;
    }
    return FPY_OK;
}

/* Classify the pair (vm, bc); verifies what it needs, once. */
static int fpy_pair(const fpy_flash *f, const fpy_boot_cfg *cfg, fpy_fw_work *w,
                    fpy_slots *s, unsigned vm, unsigned bc, fpy_boot_result *res,
                    uint8_t *out)
{
    FPY_TRY(fpy_check_vm(f, cfg, w, s, vm, res));
    if (!s->vm_state[vm]) {
        *out = FPY_PAIR_VMBAD;
        return FPY_OK;
    }
    FPY_TRY(fpy_check_bc(f, cfg, w, s, bc, res));
    if (s->bc_state[bc] == 2)
        *out = FPY_PAIR_NOBC;
    else if (s->bc_state[bc] == 1 && s->bc_abi[bc] == s->vm_abi[vm])
        *out = FPY_PAIR_OK;
    else
        *out = FPY_PAIR_BCBAD;
    return FPY_OK;
}

/* The best pair of any VM slot that verifies: fully verified first, then
 * without bytecode, then with refused bytecode. */
static int fpy_alt(const fpy_flash *f, const fpy_boot_cfg *cfg, fpy_fw_work *w,
                   fpy_slots *s, fpy_boot_result *res)
{
    static const uint8_t order[3] = {FPY_PAIR_OK, FPY_PAIR_NOBC, FPY_PAIR_BCBAD};
    res->facts.alt = FPY_PAIR_VMBAD;
    for (unsigned k = 0; k < 3; k++)
        for (unsigned vm = 0; vm < 2; vm++)
            for (unsigned bc = 0; bc < 2; bc++) {
                uint8_t st;
                FPY_TRY(fpy_pair(f, cfg, w, s, vm, bc, res, &st));
                if (st == order[k]) {
                    res->facts.alt = st;
                    res->alt_vm = (uint8_t)vm;
                    res->alt_bc = (uint8_t)bc;
                    return FPY_OK;
                }
            }
    return FPY_OK;
}

static int fpy_abnormal(int reason)
{
    return reason == FPY_RESET_WATCHDOG || reason == FPY_RESET_PANIC;
}

static uint8_t fpy_trigger(const fpy_boot_cfg *cfg, const fpy_rec *r, int reason)
{
    uint8_t trials = cfg->trial_boots ? cfg->trial_boots : 1u;
    uint8_t limit = cfg->loop_limit ? cfg->loop_limit : 3u;
    if (r->mode == FPY_REC_TEST_BOOTED)
        return r->boot_count >= trials ? FPY_BT_YES : FPY_BT_NO;
    /* The boot-loop guard only doubts a pair that never ran stably. */
    int loop = r->mode == FPY_REC_STABLE && fpy_abnormal(reason) &&
               !(r->flags & FPY_REC_F_STABLE_RUN) && r->boot_count + 1u >= limit;
    return loop ? FPY_BT_YES : FPY_BT_NO;
}

static int fpy_gather(const fpy_flash *f, const fpy_boot_cfg *cfg, fpy_fw_work *w,
                      fpy_slots *s, fpy_boot_result *res)
{
    fpy_rec *r = &res->rec;
    fpy_boot_facts *x = &res->facts;
    int copy;
    int rc = fpy_rec_load(f, &cfg->store, r, &copy);
    if (rc != FPY_OK && rc != FPY_ERR_NOTFOUND)
        return rc;
    res->rec_found = rc == FPY_OK;
    /* What ESP-IDF's tools (or a cut fipy write) left in otadata is taken
     * in first, as ESP-IDF's bootloader would take it (fipy/fw.h). */
    fpy_otadata od;
    FPY_TRY(fpy_otadata_read(f, cfg->store.otadata, &od));
    res->adopted = (uint8_t)fpy_fw_reconcile(r, res->rec_found, &od);
    FPY_TRY(fpy_sec_vm_floor(cfg->sec, &s->vm_floor));
    s->bc_floor = fpy_sec_bc_floor(cfg->sec, r);
    x->mode = r->mode;
    x->trigger = fpy_trigger(cfg, r, res->reset_reason);
    FPY_TRY(fpy_pair(f, cfg, w, s, r->vm_cur, r->bc_cur, res, &x->cur));
    x->last = x->cur;
    if (r->vm_last != r->vm_cur || r->bc_last != r->bc_cur)
        FPY_TRY(fpy_pair(f, cfg, w, s, r->vm_last, r->bc_last, res, &x->last));
    x->prev = FPY_PAIR_VMBAD;
    x->alt = FPY_PAIR_VMBAD;
    /* The previous pair only matters when the current one is in doubt:
     * an ordinary boot does not verify it. */
    int need_prev = !(r->mode == FPY_REC_STABLE && x->cur == FPY_PAIR_OK &&
                      x->trigger == FPY_BT_NO);
    if (r->has_prev && need_prev)
        FPY_TRY(fpy_pair(f, cfg, w, s, r->vm_prev, r->bc_prev, res, &x->prev));
    uint8_t named = (uint8_t)(x->cur | x->last | x->prev);
    if (!(named & FPY_PAIR_VM_OK))
        FPY_TRY(fpy_alt(f, cfg, w, s, res));
    return FPY_OK;
}

/* The record as the chosen action leaves it. */
static void fpy_next_record(const fpy_boot_row *row, const fpy_boot_result *res, fpy_rec *n)
{
    *n = res->rec;
    n->reason = row->rule;
    switch (row->action) {
    case FPY_BOOT_TRIAL:
        n->mode = FPY_REC_TEST_BOOTED;
        n->boot_count = 1;
        break;
    case FPY_BOOT_TRIAL_AGAIN:
    case FPY_BOOT_UNCONFIRMED:
        n->mode = FPY_REC_TEST_BOOTED;
        if (n->boot_count < 255u)
            n->boot_count++;
        break;
    case FPY_BOOT_ROLLBACK:
        fpy_rec_rollback(n);
        break;
    case FPY_BOOT_REVERT:
        fpy_rec_go_back(n, n->vm_prev, n->bc_prev);
        break;
    case FPY_BOOT_FALLBACK:
        fpy_rec_go_back(n, res->alt_vm, res->alt_bc);
        break;
    case FPY_BOOT_RUN:
        if (fpy_abnormal(res->reset_reason) && n->boot_count < 255u)
            n->boot_count++;
        break;
    case FPY_BOOT_NONE:
        break;
    }
}

static int fpy_rec_differs(const fpy_rec *a, const fpy_rec *b)
{
    return a->vm_cur != b->vm_cur || a->vm_last != b->vm_last || a->bc_cur != b->bc_cur ||
           a->bc_last != b->bc_last || a->mode != b->mode || a->boot_count != b->boot_count ||
           a->flags != b->flags || a->has_prev != b->has_prev || a->vm_prev != b->vm_prev ||
           a->bc_prev != b->bc_prev || a->od_seq != b->od_seq || a->od_crc != b->od_crc ||
           a->has_next != b->has_next || a->bc_floor != b->bc_floor;
}

static void fpy_fill_result(const fpy_boot_cfg *cfg, const fpy_slots *s,
                            fpy_boot_result *res)
{
    const fpy_rec *r = &res->rec;
    switch (res->row->action) {
    case FPY_BOOT_ROLLBACK: res->status = res->facts.last; break;
    case FPY_BOOT_REVERT: res->status = res->facts.prev; break;
    case FPY_BOOT_FALLBACK: res->status = res->facts.alt; break;
    default: res->status = res->facts.cur; break;
    }
    res->vm_slot = r->vm_cur;
    res->bc_slot = r->bc_cur;
    res->vm_addr = fpy_layout_area(cfg->layout, FPY_AREA_VM_SLOT, r->vm_cur)->offset;
    res->bc_addr = fpy_layout_area(cfg->layout, FPY_AREA_BC_SLOT, r->bc_cur)->offset;
    res->run_bytecode = res->status == FPY_PAIR_OK;
    res->test_mode = r->mode != FPY_REC_STABLE;
    res->vm_abi = s->vm_abi[r->vm_cur];
}

/*
 * Anti-rollback catches up when the pair that runs is an accepted one
 * (STABLE): the record's bytecode floor moves in the record write of this
 * boot; the VM floor (eFuse) is burnt after that write, so a cut between
 * leaves it for the next boot to raise.  A trial moves nothing: only its
 * accept() does (fipy/sec.h).
 */
static void fpy_floor_next(const fpy_boot_cfg *cfg, const fpy_slots *s, fpy_rec *n)
{
    if (cfg->sec == NULL || !cfg->sec->anti_rollback || n->mode != FPY_REC_STABLE ||
        s->bc_state[n->bc_cur] != 1)
        return;
    if (s->bc_secver[n->bc_cur] > n->bc_floor)
        n->bc_floor = s->bc_secver[n->bc_cur];
}

/*
 * Write the choice before the VM runs: otadata first (ESP-IDF marks a VM
 * on trial PENDING_VERIFY with the last working VM as its fallback; a
 * bytecode-only trial, and a pair that is the only one left, keep the VM
 * VALID), then the record, which keeps what otadata now says.  A cut
 * between the two leaves otadata ahead of the record, and the next boot
 * takes it in as ESP-IDF's bootloader would: a trial whose PENDING_VERIFY
 * landed counts as started, and that boot rolls it back.  Each write only
 * when something changes: an ordinary power-on writes nothing.
 */
static int fpy_boot_write(const fpy_flash *f, const fpy_boot_cfg *cfg,
                          const fpy_boot_result *res, fpy_rec *next)
{
    fpy_boot_action act = res->row->action;
    int trial = (act == FPY_BOOT_TRIAL || act == FPY_BOOT_TRIAL_AGAIN) &&
                next->vm_cur != next->vm_last;
    uint32_t state = trial ? FPY_OTA_PENDING_VERIFY : FPY_OTA_VALID;
    unsigned fallback = trial ? next->vm_last
                        : next->has_prev ? next->vm_prev : FPY_OTA_NO_FALLBACK;
    FPY_TRY(fpy_fw_mirror(f, cfg->store.otadata, next->vm_cur, state, fallback, next));
    next->has_next = 0;
    if (!res->rec_found || res->adopted || fpy_rec_differs(next, &res->rec))
        FPY_TRY(fpy_rec_commit(f, &cfg->store, next));
    return FPY_OK;
}

int fpy_boot_run(const fpy_flash *f, const fpy_sys *sys, const fpy_boot_cfg *cfg,
                 fpy_fw_work *w, fpy_boot_result *res)
{
    fpy_slots s;
    memset(res, 0, sizeof *res);
    memset(&s, 0xFF, sizeof s); /* every slot state -1: not verified yet */
    res->reset_reason = sys->ops->reset_reason(sys->ctx);
    int rc = fpy_fw_config_check(f, cfg->layout, &cfg->store, &res->diag);
    if (rc != FPY_OK) {
        res->diag_rc = rc;
        res->diag_what = "configuration";
        return rc;
    }
    FPY_TRY(fpy_gather(f, cfg, w, &s, res));
    res->row = fpy_boot_decide(&res->facts);
    if (res->row->action == FPY_BOOT_NONE)
        return FPY_ERR_NOTFOUND;
    fpy_rec next;
    fpy_next_record(res->row, res, &next);
    fpy_floor_next(cfg, &s, &next);
    FPY_TRY(fpy_boot_write(f, cfg, res, &next));
    res->rec = next;
    fpy_fill_result(cfg, &s, res);
    if (next.mode == FPY_REC_STABLE && s.vm_state[next.vm_cur] == 1)
        FPY_TRY(fpy_sec_vm_floor_raise(cfg->sec, s.vm_secver[next.vm_cur]));
    return sys->ops->wdt_start(sys->ctx, cfg->wdt_ms ? cfg->wdt_ms : FPY_SFW_BOOT_WDT_MS);
}
