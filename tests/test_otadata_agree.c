/*
 * Issue 13, point 1: ESP-IDF's bootloader, ESP-IDF's otatool.py and fipy's
 * boot name the same VM slot at every moment.
 *
 * A random walk interleaves fipy's operations (attempt of a VM, a
 * bytecode or both; a boot with each kind of reset; accept; mark_stable)
 * with what ESP-IDF's tools write into otadata (otatool
 * switch_ota_partition, esp_ota_set_boot_partition once or twice,
 * esp_ota_mark_app_valid_cancel_rollback,
 * esp_ota_mark_app_invalid_rollback_and_reboot).  After every step:
 *  - what ESP-IDF's bootloader would boot next (fpy_otadata_idf_pick, the
 *    reference model) is what fipy's boot would boot after a plain reset
 *    (run on the same flash, then undone);
 *  - after a fipy step that wrote otadata (a boot, an attempt or an
 *    accept that was carried out), otatool.py selects the VM the
 *    bootloader selects (its active entry: during a trial, the trial VM,
 *    which the bootloader's next boot aborts unless it was confirmed).
 * Every slot holds a valid VM and bytecode of one ABI, so the choice is
 * the record's and otadata's alone.  FPY_AGREE_STEPS sets the walk's
 * length per seed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fipy/boot.h"
#include "fipy/fota.h"
#include "fipy/otadata.h"
#include "fipy/sfw.h"
#include "fixtures.h"
#include "simsys.h"
#include "testutil.h"

#define OD 0xD000u

typedef struct walk {
    fpy_test_flash *tf;
    fpy_simsys ss;
    fpy_sys sys;
    fpy_boot_cfg cfg;
    fpy_fw_work w;
    fpy_boot_result res;
    uint64_t rng;
    unsigned running; /* the VM slot the last boot started */
    unsigned blank;   /* steps after which otadata selected nothing */
    char log[64][48]; /* the last steps, for a failure message */
    unsigned nlog;
} walk;

static uint32_t rnd(walk *k, uint32_t n)
{
    k->rng ^= k->rng << 13;
    k->rng ^= k->rng >> 7;
    k->rng ^= k->rng << 17;
    return (uint32_t)(k->rng % n);
}

static void note(walk *k, const char *what, unsigned arg)
{
    snprintf(k->log[k->nlog % 64], sizeof k->log[0], "%s %u", what, arg);
    k->nlog++;
}

static void dump_log(const walk *k)
{
    unsigned from = k->nlog > 64 ? k->nlog - 64 : 0;
    for (unsigned i = from; i < k->nlog; i++)
        fprintf(stderr, "  step %u: %s\n", i, k->log[i % 64]);
}

static int boot(walk *k, int reason)
{
    fpy_simsys_reset(&k->ss, reason);
    int rc = fpy_boot_run(&k->tf->flash, &k->sys, &k->cfg, &k->w, &k->res);
    if (rc == FPY_OK)
        k->running = k->res.vm_slot;
    return rc;
}

/* ---- ESP-IDF's side ----------------------------------------------------- */

/* otatool.py switch_ota_partition(slot): into the sector after the newest
 * CRC-valid entry, the smallest seq >= that entry's that selects `slot`;
 * only seq and CRC are written, state and label stay as they were. */
static void otatool_switch(walk *k, unsigned slot)
{
    fpy_otadata od;
    assert_int_equal(fpy_otadata_read(&k->tf->flash, OD, &od), FPY_OK);
    int base = fpy_otadata_active_otatool(&od);
    if (fpy_otadata_is_valid_otatool(&od.e[0]) && fpy_otadata_is_valid_otatool(&od.e[1]))
        base = od.e[0].seq >= od.e[1].seq ? 0 : 1;
    uint32_t target = slot + 1u, seq = target;
    if (base >= 0) {
        uint32_t i = 0;
        while (od.e[base].seq > target % 2u + i * 2u)
            i++;
        seq = target % 2u + i * 2u;
    }
    unsigned idx = base == 0 ? 1u : 0u;
    fpy_ota_entry e = od.e[idx];
    e.seq = seq;
    e.crc = fpy_otadata_crc(seq);
    assert_int_equal(fpy_otadata_write_entry(&k->tf->flash, OD, idx, &e), FPY_OK);
}

/* The running app's entry (the active one that selects it), or -1. */
static int running_entry(walk *k)
{
    fpy_otadata od;
    assert_int_equal(fpy_otadata_read(&k->tf->flash, OD, &od), FPY_OK);
    int a = fpy_otadata_active(&od);
    return a >= 0 && fpy_otadata_slot(od.e[a].seq, 2) == k->running ? a : -1;
}

static void idf_mark(walk *k, uint32_t from, uint32_t to)
{
    fpy_otadata od;
    int a = running_entry(k);
    assert_int_equal(fpy_otadata_read(&k->tf->flash, OD, &od), FPY_OK);
    if (a >= 0 && (from == 0xFFu || od.e[a].state == from))
        assert_int_equal(fpy_otadata_set_state(&k->tf->flash, OD, (unsigned)a, to), FPY_OK);
}

/* ---- the property --------------------------------------------------------- */

typedef struct meta {
    uint8_t b[4][4096];
} meta;

static uint32_t meta_addr(const walk *k, unsigned i)
{
    return i < 2 ? k->cfg.store.addr[i] : OD + (i - 2u) * 4096u;
}

/* What fipy's boot would run after a plain reset, on this very flash,
 * with the record and otadata sectors put back afterwards. */
static unsigned fipy_pick(walk *k)
{
    static meta m;
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(fpy_flash_read(&k->tf->flash, meta_addr(k, i), m.b[i], 4096), FPY_OK);
    fpy_boot_result keep = k->res;
    unsigned running = k->running;
    fpy_simsys_reset(&k->ss, FPY_RESET_RESET);
    assert_int_equal(fpy_boot_run(&k->tf->flash, &k->sys, &k->cfg, &k->w, &k->res), FPY_OK);
    unsigned slot = k->res.vm_slot;
    for (unsigned i = 0; i < 4; i++)
        memcpy(k->tf->mem + meta_addr(k, i), m.b[i], 4096);
    k->res = keep;
    k->running = running;
    return slot;
}

static void check(walk *k, int fipy_wrote)
{
    if (getenv("AGREE_DEBUG")) {
        fpy_otadata o; fpy_rec r; int c;
        fpy_otadata_read(&k->tf->flash, OD, &o);
        int rc = fpy_rec_load(&k->tf->flash, &k->cfg.store, &r, &c);
        fprintf(stderr, "    [%u] od %u/%u %u/%u  rec(%d) cur %u/%u last %u/%u mode %u prev %u %u/%u od %u/%u next %u\n", k->nlog-1,
            o.e[0].seq, o.e[0].state, o.e[1].seq, o.e[1].state, rc, r.vm_cur, r.bc_cur, r.vm_last, r.bc_last, r.mode, r.has_prev, r.vm_prev, r.bc_prev, r.od_seq, r.od_crc, r.has_next);
    }
    fpy_otadata od;
    fpy_otadata_pick p;
    assert_int_equal(fpy_otadata_read(&k->tf->flash, OD, &od), FPY_OK);
    fpy_otadata_idf_pick(&od, &p);
    if (p.entry < 0) {
        /* No valid entry at all: ESP-IDF's bootloader runs ota_0 as a
         * plain app, with no rollback, whatever it is; fipy keeps its
         * failsafe there (docs/boot.md), and rewrites otadata at its boot. */
        k->blank++;
        return;
    }
    unsigned fipy = fipy_pick(k);
    int t = fpy_otadata_active_otatool(&od), a = fpy_otadata_active(&od);
    unsigned tool = t < 0 ? 0u : fpy_otadata_slot(od.e[t].seq, 2);
    unsigned sel = a < 0 ? 0u : fpy_otadata_slot(od.e[a].seq, 2);
    if (fipy != p.slot || (fipy_wrote && tool != sel)) {
        dump_log(k);
        fail_msg("after step %u: ESP-IDF's bootloader boots VM %u next, fipy %u; selected: "
                 "VM %u for the bootloader, %u for otatool (entries: seq %u state %u / seq "
                 "%u state %u)",
                 k->nlog - 1, p.slot, fipy, sel, tool, od.e[0].seq, od.e[0].state,
                 od.e[1].seq, od.e[1].state);
    }
}

/* ---- the walk ------------------------------------------------------------- */

static int fipy_step(walk *k)
{
    static const int reasons[] = {FPY_RESET_RESET, FPY_RESET_INTERRUPT, FPY_RESET_TIMEOUT,
                                  FPY_RESET_WATCHDOG, FPY_RESET_PANIC};
    fpy_rec r;
    int copy;
    switch (rnd(k, 4)) {
    case 0: {
        if (fpy_rec_load(&k->tf->flash, &k->cfg.store, &r, &copy) != FPY_OK)
            fpy_rec_default(&r);
        unsigned what = 1u + rnd(k, 3); /* 1 VM, 2 bytecode, 3 both */
        unsigned vm = (what & 1u) ? 1u - r.vm_cur : r.vm_cur;
        unsigned bc = (what & 2u) ? 1u - r.bc_cur : r.bc_cur;
        note(k, "attempt (1 vm, 2 bc, 3 both)", what);
        int rc = fpy_fota_attempt(&k->tf->flash, &k->cfg.store, bc, vm);
        assert_true(rc == FPY_OK || rc == FPY_ERR_STATE);
        return rc == FPY_OK;
    }
    case 1: {
        int reason = reasons[rnd(k, 5)];
        note(k, "boot, reset reason", (unsigned)reason);
        assert_int_equal(boot(k, reason), FPY_OK);
        return 1;
    }
    case 2: {
        note(k, "accept", 0);
        int rc = fpy_fota_accept(&k->tf->flash, &k->cfg.store, NULL, NULL);
        assert_true(rc == FPY_OK || rc == FPY_ERR_STATE || rc == FPY_ERR_NOTFOUND);
        return rc == FPY_OK;
    }
    default:
        note(k, "mark_stable", 0);
        assert_int_equal(fpy_fota_mark_stable(&k->tf->flash, &k->cfg.store), FPY_OK);
        return 0; /* the record only: otadata is as it was */
    }
}

static int idf_step(walk *k)
{
    unsigned slot = rnd(k, 2);
    switch (rnd(k, 5)) {
    case 0:
        note(k, "otatool switch_ota_partition", slot);
        otatool_switch(k, slot);
        break;
    case 1:
        note(k, "esp_ota_set_boot_partition", slot);
        assert_int_equal(fpy_otadata_set_boot(&k->tf->flash, OD, slot, 2, 1), FPY_OK);
        break;
    case 2:
        note(k, "esp_ota_set_boot_partition twice", slot);
        assert_int_equal(fpy_otadata_set_boot(&k->tf->flash, OD, slot, 2, 1), FPY_OK);
        assert_int_equal(fpy_otadata_set_boot(&k->tf->flash, OD, slot, 2, 1), FPY_OK);
        break;
    case 3:
        note(k, "esp_ota_mark_app_valid_cancel_rollback", k->running);
        idf_mark(k, FPY_OTA_PENDING_VERIFY, FPY_OTA_VALID);
        break;
    default:
        note(k, "esp_ota_mark_app_invalid_rollback", k->running);
        idf_mark(k, 0xFFu, FPY_OTA_INVALID);
        check(k, 0);
        note(k, "  ... and_reboot", 0);
        assert_int_equal(boot(k, FPY_RESET_RESET), FPY_OK);
        return 1;
    }
    return 0;
}

static void run_walk(uint64_t seed, unsigned steps)
{
    walk *k = calloc(1, sizeof *k);
    assert_non_null(k);
    k->tf = fpy_test_flash_new(NULL);
    k->cfg.layout = fpy_layout_get(FPY_LAYOUT_NONBLE);
    k->cfg.store = FPY_REC_STORE_FIPY();
    fpy_simsys_init(&k->ss, &k->sys);
    k->rng = seed * 0x9E3779B97F4A7C15ull + 1u;
    static uint8_t img[160 * 1024];
    for (unsigned s = 0; s < 2; s++) {
        size_t n = fpy_fix_vm(s ? "2.1.0" : "2.0.0", s + 1u, 20000, img, sizeof img);
        fpy_fix_install(&k->tf->flash, fpy_layout_area(k->cfg.layout, FPY_AREA_VM_SLOT, s)->offset,
                        img, n);
        n = fpy_fix_bc(2, s + 1u, 2000, img, sizeof img);
        fpy_fix_install(&k->tf->flash, fpy_layout_area(k->cfg.layout, FPY_AREA_BC_SLOT, s)->offset,
                        img, n);
    }
    assert_int_equal(boot(k, FPY_RESET_RESET), FPY_OK);
    check(k, 1);
    for (unsigned i = 0; i < steps; i++) {
        int fipy_wrote = rnd(k, 3) != 0 ? fipy_step(k) : idf_step(k);
        check(k, fipy_wrote);
    }
    /* the skipped states stay rare (about 0.3 %): a bug that blanked
     * otadata would otherwise make every check a skip */
    if (k->blank * 20u > steps)
        fail_msg("seed %llu: %u of %u steps left no valid otadata entry",
                 (unsigned long long)seed, k->blank, steps);
    if (getenv("FPY_AGREE_STEPS"))
        printf("seed %llu: %u steps, %u with no valid otadata entry\n",
               (unsigned long long)seed, steps, k->blank);
    fpy_test_flash_free(k->tf);
    free(k);
}

static void test_agree_at_every_step(void **state)
{
    (void)state;
    const char *e = getenv("FPY_AGREE_STEPS");
    unsigned steps = e ? (unsigned)atoi(e) : 300u;
    for (uint64_t seed = 1; seed <= 20; seed++)
        run_walk(seed, steps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agree_at_every_step),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
