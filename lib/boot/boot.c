/* The boot: gather facts, decide (decide.c), act.  See fipy/boot.h. */
#include "fipy/boot.h"

#include <string.h>

#include "fipy/bcimage.h"
#include "fipy/otadata.h"

#define FPY_BOOT_APPS 2u /* ota_0, ota_1 on the FiPy */

/* What one boot learned about each slot, verified at most once. */
typedef struct fpy_slots {
    int8_t vm_state[2];  /* -1 unknown, 0 bad, 1 ok */
    uint32_t vm_abi[2];
    uint8_t vm_digest[2][FPY_SHA256_LEN];
    int8_t bc_state[2];  /* -1 unknown, 0 bad, 1 ok, 2 empty */
    uint32_t bc_abi[2];
    uint8_t bc_digest[2][FPY_SHA256_LEN];
} fpy_slots;

uint32_t fpy_boot_vm_abi(const fpy_image_info *info)
{
    if (!info->has_app_desc)
        return 0;
    const char *v = info->app_desc.version;
    if (*v == 'v' || *v == 'V')
        v++;
    uint32_t abi = 0;
    int digits = 0;
    for (; *v >= '0' && *v <= '9' && digits < 9; v++, digits++)
        abi = abi * 10u + (uint32_t)(*v - '0');
    return abi;
}

static void fpy_note(fpy_boot_result *res, int rc, const fpy_diag *d, const char *what)
{
    if (res->diag_rc != FPY_OK)
        return;
    res->diag_rc = rc;
    res->diag = *d;
    res->diag_what = what;
}

static int fpy_check_vm(const fpy_flash *f, const fpy_boot_cfg *cfg, fpy_boot_work *w,
                        fpy_slots *s, unsigned slot, fpy_boot_result *res)
{
    static const char *const names[2] = {"VM slot 0", "VM slot 1"};
    if (s->vm_state[slot] >= 0)
        return FPY_OK;
    const fpy_area *a = fpy_layout_area(cfg->layout, FPY_AREA_VM_SLOT, slot);
    fpy_image_src src = fpy_image_src_flash(f, a->offset, a->size);
    fpy_diag d = {0};
    int rc = fpy_image_verify(&src, w->scratch, sizeof w->scratch, FPY_IMAGE_CHECK_APP,
                              &w->info, &d);
    if (rc == FPY_ERR_POWERLOSS || rc == FPY_ERR_IO)
        return rc;
    s->vm_state[slot] = rc == FPY_OK;
    if (rc != FPY_OK) {
        fpy_note(res, rc, &d, names[slot]);
        return FPY_OK;
    }
    s->vm_abi[slot] = fpy_boot_vm_abi(&w->info);
    memcpy(s->vm_digest[slot], w->info.digest_calc, FPY_SHA256_LEN);
    return FPY_OK;
}

static int fpy_check_bc(const fpy_flash *f, const fpy_boot_cfg *cfg, fpy_boot_work *w,
                        fpy_slots *s, unsigned slot, fpy_boot_result *res)
{
    static const char *const names[2] = {"bytecode slot 0", "bytecode slot 1"};
    if (s->bc_state[slot] >= 0)
        return FPY_OK;
    const fpy_area *a = fpy_layout_area(cfg->layout, FPY_AREA_BC_SLOT, slot);
    fpy_bc_header h;
    fpy_diag d = {0};
    int rc = fpy_bc_verify_flash(f, a->offset, a->size, NULL, w->scratch, sizeof w->scratch,
                                 &h, &d);
    if (rc == FPY_ERR_POWERLOSS || rc == FPY_ERR_IO)
        return rc;
    if (rc == FPY_ERR_NOTFOUND) {
        s->bc_state[slot] = 2;
        return FPY_OK;
    }
    s->bc_state[slot] = rc == FPY_OK;
    if (rc != FPY_OK) {
        fpy_note(res, rc, &d, names[slot]);
        return FPY_OK;
    }
    s->bc_abi[slot] = h.vm_abi;
    memcpy(s->bc_digest[slot], h.sha256, FPY_SHA256_LEN);
    return FPY_OK;
}

/* Classify the pair (vm, bc); verifies what it needs, once. */
static int fpy_pair(const fpy_flash *f, const fpy_boot_cfg *cfg, fpy_boot_work *w,
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

static int fpy_abnormal(int reason)
{
    return reason == FPY_RESET_WATCHDOG || reason == FPY_RESET_PANIC;
}

/* A device with no record yet: run whatever ESP-IDF's otadata selects. */
static int fpy_initial_record(const fpy_flash *f, const fpy_boot_cfg *cfg, fpy_rec *r)
{
    fpy_otadata od;
    const fpy_area *ota = fpy_layout_area(cfg->layout, FPY_AREA_OTADATA, 0);
    fpy_rec_default(r);
    FPY_TRY(fpy_otadata_read(f, ota->offset, &od));
    int a = fpy_otadata_active(&od);
    if (a >= 0)
        r->vm_cur = r->vm_last = (uint8_t)fpy_otadata_slot(od.e[a].seq, FPY_BOOT_APPS);
    return FPY_OK;
}

static int fpy_gather(const fpy_flash *f, const fpy_boot_cfg *cfg, fpy_boot_work *w,
                      fpy_slots *s, fpy_boot_result *res)
{
    fpy_rec *r = &res->rec;
    fpy_boot_facts *x = &res->facts;
    int copy;
    int rc = fpy_rec_load(f, &cfg->store, r, &copy);
    if (rc != FPY_OK && rc != FPY_ERR_NOTFOUND)
        return rc;
    res->rec_found = rc == FPY_OK;
    if (!res->rec_found)
        FPY_TRY(fpy_initial_record(f, cfg, r));
    uint8_t trials = cfg->trial_boots ? cfg->trial_boots : 1u;
    uint8_t limit = cfg->loop_limit ? cfg->loop_limit : 3u;
    x->mode = r->mode;
    if (r->mode == FPY_REC_TEST_BOOTED)
        x->trigger = r->boot_count >= trials ? FPY_BT_YES : FPY_BT_NO;
    else
        x->trigger = (r->mode == FPY_REC_STABLE && fpy_abnormal(res->reset_reason) &&
                      r->boot_count + 1u >= limit) ? FPY_BT_YES : FPY_BT_NO;
    FPY_TRY(fpy_pair(f, cfg, w, s, r->vm_cur, r->bc_cur, res, &x->cur));
    x->last = x->cur;
    if (r->vm_last != r->vm_cur || r->bc_last != r->bc_cur)
        FPY_TRY(fpy_pair(f, cfg, w, s, r->vm_last, r->bc_last, res, &x->last));
    x->prev = FPY_PAIR_VMBAD;
    /* The previous pair only matters when the current one is in doubt:
     * skip verifying it on an ordinary boot. */
    int need_prev = !(r->mode == FPY_REC_STABLE && x->cur == FPY_PAIR_OK &&
                      x->trigger == FPY_BT_NO);
    if (r->has_prev && need_prev)
        FPY_TRY(fpy_pair(f, cfg, w, s, r->vm_prev, r->bc_prev, res, &x->prev));
    return FPY_OK;
}

/* The record as the chosen action leaves it. */
static void fpy_next_record(const fpy_boot_row *row, const fpy_boot_result *res,
                            const fpy_slots *s, fpy_rec *n)
{
    *n = res->rec;
    n->reason = row->rule;
    switch (row->action) {
    case FPY_BOOT_TRIAL:
        n->mode = FPY_REC_TEST_BOOTED;
        n->boot_count = 1;
        break;
    case FPY_BOOT_TRIAL_AGAIN:
        n->boot_count++;
        break;
    case FPY_BOOT_ROLLBACK:
        n->vm_cur = n->vm_last;
        n->bc_cur = n->bc_last;
        n->mode = FPY_REC_STABLE;
        n->boot_count = 0;
        n->flags |= FPY_REC_F_ROLLED_BACK;
        break;
    case FPY_BOOT_REVERT:
        n->vm_cur = n->vm_last = n->vm_prev;
        n->bc_cur = n->bc_last = n->bc_prev;
        n->has_prev = 0;
        n->mode = FPY_REC_STABLE;
        n->boot_count = 0;
        n->flags |= FPY_REC_F_LOOP_REVERT;
        break;
    case FPY_BOOT_RUN:
        if (fpy_abnormal(res->reset_reason) && n->boot_count < 255u)
            n->boot_count++;
        break;
    case FPY_BOOT_NONE:
        break;
    }
    for (unsigned i = 0; i < 2; i++) {
        if (s->vm_state[i] == 1)
            memcpy(n->vm_digest[i], s->vm_digest[i], FPY_SHA256_LEN);
        if (s->bc_state[i] == 1)
            memcpy(n->bc_digest[i], s->bc_digest[i], FPY_SHA256_LEN);
    }
}

static int fpy_rec_differs(const fpy_rec *a, const fpy_rec *b)
{
    return a->vm_cur != b->vm_cur || a->vm_last != b->vm_last || a->bc_cur != b->bc_cur ||
           a->bc_last != b->bc_last || a->mode != b->mode || a->boot_count != b->boot_count ||
           a->flags != b->flags || a->has_prev != b->has_prev || a->vm_prev != b->vm_prev ||
           a->bc_prev != b->bc_prev;
}

int fpy_boot_sync_otadata(const fpy_flash *f, uint32_t base, unsigned slot, uint32_t state)
{
    fpy_otadata od;
    FPY_TRY(fpy_otadata_read(f, base, &od));
    for (unsigned i = 0; i < 2; i++) {
        /* A trial of another slot that is not running any more failed, as
         * ESP-IDF's bootloader would conclude; one of this slot is
         * updated in place below (VALID on accept). */
        int stale = od.e[i].state == FPY_OTA_PENDING_VERIFY &&
                    fpy_otadata_slot(od.e[i].seq, FPY_BOOT_APPS) != slot;
        if (stale && fpy_otadata_is_valid(&od.e[i])) {
            FPY_TRY(fpy_otadata_set_state(f, base, i, FPY_OTA_ABORTED));
            od.e[i].state = FPY_OTA_ABORTED;
        }
    }
    int a = fpy_otadata_active(&od);
    if (a >= 0 && fpy_otadata_slot(od.e[a].seq, FPY_BOOT_APPS) == slot) {
        if (od.e[a].state == state)
            return FPY_OK;
        return fpy_otadata_set_state(f, base, (unsigned)a, state);
    }
    unsigned idx;
    fpy_ota_entry e;
    FPY_TRY(fpy_otadata_plan_set_boot(&od, slot, FPY_BOOT_APPS, 1, &idx, &e));
    e.state = state;
    return fpy_otadata_write_entry(f, base, idx, &e);
}

static void fpy_fill_result(const fpy_boot_cfg *cfg, const fpy_slots *s,
                            fpy_boot_result *res)
{
    const fpy_rec *r = &res->rec;
    uint8_t status = res->facts.cur;
    if (res->row->action == FPY_BOOT_ROLLBACK)
        status = res->facts.last;
    else if (res->row->action == FPY_BOOT_REVERT)
        status = res->facts.prev;
    res->vm_slot = r->vm_cur;
    res->bc_slot = r->bc_cur;
    res->vm_addr = fpy_layout_area(cfg->layout, FPY_AREA_VM_SLOT, r->vm_cur)->offset;
    res->bc_addr = fpy_layout_area(cfg->layout, FPY_AREA_BC_SLOT, r->bc_cur)->offset;
    res->status = status;
    res->run_bytecode = status == FPY_PAIR_OK;
    res->test_mode = r->mode != FPY_REC_STABLE;
    res->vm_abi = s->vm_abi[r->vm_cur];
}

int fpy_boot_run(const fpy_flash *f, const fpy_sys *sys, const fpy_boot_cfg *cfg,
                 fpy_boot_work *w, fpy_boot_result *res)
{
    fpy_slots s;
    memset(res, 0, sizeof *res);
    memset(&s, 0xFF, sizeof s);
    for (unsigned i = 0; i < 2; i++)
        s.vm_state[i] = s.bc_state[i] = -1;
    res->reset_reason = sys->ops->reset_reason(sys->ctx);
    FPY_TRY(fpy_gather(f, cfg, w, &s, res));
    res->row = fpy_boot_decide(&res->facts);
    if (res->row->action == FPY_BOOT_NONE)
        return FPY_ERR_NOTFOUND;
    fpy_rec next;
    fpy_next_record(res->row, res, &s, &next);
    /* The record is written before the VM runs: a trial that crashes
     * must find TEST_BOOTED at the next boot. */
    if (!res->rec_found || fpy_rec_differs(&next, &res->rec))
        FPY_TRY(fpy_rec_commit(f, &cfg->store, &next));
    res->rec = next;
    fpy_fill_result(cfg, &s, res);
    uint32_t state = (res->test_mode && next.vm_cur != next.vm_last) ? FPY_OTA_PENDING_VERIFY
                                                                     : FPY_OTA_VALID;
    const fpy_area *ota = fpy_layout_area(cfg->layout, FPY_AREA_OTADATA, 0);
    FPY_TRY(fpy_boot_sync_otadata(f, ota->offset, res->vm_slot, state));
    return sys->ops->wdt_start(sys->ctx, cfg->wdt_ms ? cfg->wdt_ms : FPY_SFW_BOOT_WDT_MS);
}
