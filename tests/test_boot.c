/* The boot decision: one test per table row, properties over every input,
 * and whole boots on a simulated FiPy flash. */
#include <stdlib.h>
#include <string.h>

#include "fipy/bcimage.h"
#include "fipy/boot.h"
#include "fipy/fota.h"
#include "fipy/otadata.h"
#include "fixtures.h"
#include "simsys.h"
#include "testutil.h"

/* ---- the table ----------------------------------------------------------- */

static int rule_alt(uint8_t mode, uint8_t cur, uint8_t last, uint8_t prev, uint8_t trig,
                    uint8_t alt)
{
    fpy_boot_facts x = {mode, cur, last, prev, trig, alt};
    return fpy_boot_decide(&x)->rule;
}

static int rule_for(uint8_t mode, uint8_t cur, uint8_t last, uint8_t prev, uint8_t trig)
{
    return rule_alt(mode, cur, last, prev, trig, FPY_PAIR_VMBAD);
}

static void test_row_trial_reset(void **state)
{
    (void)state;
    assert_int_equal(rule_for(FPY_REC_TEST_BOOTED, FPY_PAIR_OK, FPY_PAIR_OK, FPY_PAIR_VMBAD,
                              FPY_BT_YES), FPY_BOOT_R_TRIAL_RESET);
    /* even if the trial pair has gone bad since */
    assert_int_equal(rule_for(FPY_REC_TEST_BOOTED, FPY_PAIR_VMBAD, FPY_PAIR_NOBC,
                              FPY_PAIR_VMBAD, FPY_BT_YES), FPY_BOOT_R_TRIAL_RESET);
}

static void test_row_trial_continue(void **state)
{
    (void)state;
    assert_int_equal(rule_for(FPY_REC_TEST_BOOTED, FPY_PAIR_OK, FPY_PAIR_OK, FPY_PAIR_VMBAD,
                              FPY_BT_NO), FPY_BOOT_R_TRIAL_CONTINUE);
    assert_int_equal(rule_for(FPY_REC_TEST_BOOTED, FPY_PAIR_NOBC, FPY_PAIR_NOBC,
                              FPY_PAIR_VMBAD, FPY_BT_NO), FPY_BOOT_R_TRIAL_CONTINUE);
}

static void test_row_trial_start(void **state)
{
    (void)state;
    assert_int_equal(rule_for(FPY_REC_TEST_NEW, FPY_PAIR_OK, FPY_PAIR_OK, FPY_PAIR_VMBAD,
                              FPY_BT_NO), FPY_BOOT_R_TRIAL_START);
    assert_int_equal(rule_for(FPY_REC_TEST_NEW, FPY_PAIR_OK, FPY_PAIR_VMBAD, FPY_PAIR_VMBAD,
                              FPY_BT_NO), FPY_BOOT_R_TRIAL_START);
    /* a VM-only update on a device that has no bytecode yet */
    assert_int_equal(rule_for(FPY_REC_TEST_NEW, FPY_PAIR_NOBC, FPY_PAIR_NOBC, FPY_PAIR_VMBAD,
                              FPY_BT_NO), FPY_BOOT_R_TRIAL_START);
}

static void test_row_trial_invalid(void **state)
{
    (void)state;
    static const uint8_t bad[] = {FPY_PAIR_BCBAD, FPY_PAIR_VMBAD};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(rule_for(FPY_REC_TEST_NEW, bad[i], FPY_PAIR_OK, FPY_PAIR_VMBAD,
                                  FPY_BT_NO), FPY_BOOT_R_TRIAL_INVALID);
        assert_int_equal(rule_for(FPY_REC_TEST_BOOTED, bad[i], FPY_PAIR_OK, FPY_PAIR_VMBAD,
                                  FPY_BT_NO), FPY_BOOT_R_TRIAL_INVALID);
    }
}

static void test_row_unconfirmed(void **state)
{
    (void)state;
    assert_int_equal(rule_for(FPY_REC_TEST_BOOTED, FPY_PAIR_OK, FPY_PAIR_VMBAD, FPY_PAIR_OK,
                              FPY_BT_YES), FPY_BOOT_R_UNCONFIRMED);
    assert_int_equal(rule_for(FPY_REC_TEST_NEW, FPY_PAIR_BCBAD, FPY_PAIR_VMBAD,
                              FPY_PAIR_VMBAD, FPY_BT_NO), FPY_BOOT_R_UNCONFIRMED);
}

static void test_row_loop_revert(void **state)
{
    (void)state;
    assert_int_equal(rule_for(FPY_REC_STABLE, FPY_PAIR_OK, FPY_PAIR_OK, FPY_PAIR_OK,
                              FPY_BT_YES), FPY_BOOT_R_LOOP_REVERT);
    /* no previous pair: keep booting what there is */
    assert_int_equal(rule_for(FPY_REC_STABLE, FPY_PAIR_OK, FPY_PAIR_OK, FPY_PAIR_VMBAD,
                              FPY_BT_YES), FPY_BOOT_R_STABLE);
}

static void test_row_bc_revert(void **state)
{
    (void)state;
    assert_int_equal(rule_for(FPY_REC_STABLE, FPY_PAIR_BCBAD, FPY_PAIR_BCBAD, FPY_PAIR_OK,
                              FPY_BT_NO), FPY_BOOT_R_BC_REVERT);
}

static void test_row_vm_revert(void **state)
{
    (void)state;
    assert_int_equal(rule_for(FPY_REC_STABLE, FPY_PAIR_VMBAD, FPY_PAIR_VMBAD, FPY_PAIR_NOBC,
                              FPY_BT_NO), FPY_BOOT_R_VM_REVERT);
}

static void test_row_stable(void **state)
{
    (void)state;
    assert_int_equal(rule_for(FPY_REC_STABLE, FPY_PAIR_OK, FPY_PAIR_OK, FPY_PAIR_VMBAD,
                              FPY_BT_NO), FPY_BOOT_R_STABLE);
    assert_int_equal(rule_for(FPY_REC_STABLE, FPY_PAIR_NOBC, FPY_PAIR_NOBC, FPY_PAIR_VMBAD,
                              FPY_BT_NO), FPY_BOOT_R_STABLE);
    /* bytecode bad, nothing to revert to: the VM starts without it */
    assert_int_equal(rule_for(FPY_REC_STABLE, FPY_PAIR_BCBAD, FPY_PAIR_BCBAD, FPY_PAIR_VMBAD,
                              FPY_BT_NO), FPY_BOOT_R_STABLE);
}

static void test_row_last_fallback(void **state)
{
    (void)state;
    /* not a state the record reaches (STABLE means cur == last), but the
     * table stays total and safe */
    assert_int_equal(rule_for(FPY_REC_STABLE, FPY_PAIR_VMBAD, FPY_PAIR_OK, FPY_PAIR_VMBAD,
                              FPY_BT_NO), FPY_BOOT_R_LAST_FALLBACK);
}

static void test_row_prev_fallback(void **state)
{
    (void)state;
    assert_int_equal(rule_for(FPY_REC_TEST_BOOTED, FPY_PAIR_VMBAD, FPY_PAIR_VMBAD,
                              FPY_PAIR_OK, FPY_BT_YES), FPY_BOOT_R_PREV_FALLBACK);
    assert_int_equal(rule_for(FPY_REC_STABLE, FPY_PAIR_VMBAD, FPY_PAIR_VMBAD, FPY_PAIR_BCBAD,
                              FPY_BT_NO), FPY_BOOT_R_PREV_FALLBACK);
}

static void test_row_alt_fallback(void **state)
{
    (void)state;
    assert_int_equal(rule_alt(FPY_REC_STABLE, FPY_PAIR_VMBAD, FPY_PAIR_VMBAD, FPY_PAIR_VMBAD,
                              FPY_BT_NO, FPY_PAIR_NOBC), FPY_BOOT_R_ALT_FALLBACK);
    assert_int_equal(rule_alt(FPY_REC_TEST_NEW, FPY_PAIR_VMBAD, FPY_PAIR_VMBAD,
                              FPY_PAIR_VMBAD, FPY_BT_NO, FPY_PAIR_OK), FPY_BOOT_R_ALT_FALLBACK);
}

static void test_row_none(void **state)
{
    (void)state;
    assert_int_equal(rule_for(FPY_REC_STABLE, FPY_PAIR_VMBAD, FPY_PAIR_VMBAD, FPY_PAIR_VMBAD,
                              FPY_BT_NO), FPY_BOOT_R_NONE);
    assert_int_equal(rule_for(FPY_REC_TEST_BOOTED, FPY_PAIR_VMBAD, FPY_PAIR_VMBAD,
                              FPY_PAIR_VMBAD, FPY_BT_YES), FPY_BOOT_R_NONE);
}

/* Over every input: the chosen pair's VM always verifies, NONE only when
 * no pair at all has a VM that verifies, a trial only starts on a pair
 * whose bytecode verifies or is absent, and every row is reachable. */
static void test_table_properties(void **state)
{
    (void)state;
    static const uint8_t st[] = {FPY_PAIR_OK, FPY_PAIR_NOBC, FPY_PAIR_BCBAD, FPY_PAIR_VMBAD};
    unsigned nrows;
    const fpy_boot_row *rows = fpy_boot_table(&nrows);
    unsigned hits[16] = {0};
    for (uint8_t m = 0; m <= FPY_REC_TEST_BOOTED; m++)
        for (int c = 0; c < 4; c++)
            for (int l = 0; l < 4; l++)
                for (int p = 0; p < 4; p++)
                    for (int a = 0; a < 4; a++)
                        for (uint8_t t = FPY_BT_NO; t <= FPY_BT_YES; t++) {
                            fpy_boot_facts x = {m, st[c], st[l], st[p], t, st[a]};
                            const fpy_boot_row *r = fpy_boot_decide(&x);
                            hits[r - rows]++;
                            uint8_t booted = r->action == FPY_BOOT_ROLLBACK ? x.last
                                             : r->action == FPY_BOOT_REVERT ? x.prev
                                             : r->action == FPY_BOOT_FALLBACK ? x.alt : x.cur;
                            uint8_t any = (uint8_t)(x.cur | x.last | x.prev | x.alt);
                            if (r->action != FPY_BOOT_NONE)
                                assert_true(booted & FPY_PAIR_VM_OK);
                            else
                                assert_false(any & FPY_PAIR_VM_OK);
                            if (r->action == FPY_BOOT_TRIAL || r->action == FPY_BOOT_TRIAL_AGAIN)
                                assert_true(x.cur & (FPY_PAIR_OK | FPY_PAIR_NOBC));
                            /* a spent trial with a working last pair always rolls back */
                            if (m == FPY_REC_TEST_BOOTED && t == FPY_BT_YES &&
                                (x.last & FPY_PAIR_VM_OK))
                                assert_int_equal(r->action, FPY_BOOT_ROLLBACK);
                        }
    for (unsigned i = 0; i < nrows; i++) {
        assert_int_equal(rows[i].rule, i + 1);
        if (hits[i] == 0)
            fail_msg("row %u is unreachable", rows[i].rule);
    }
}

/* ---- whole boots on a simulated FiPy ------------------------------------ */

typedef struct board {
    fpy_test_flash *tf;
    fpy_simsys ss;
    fpy_sys sys;
    fpy_boot_cfg cfg;
    fpy_fw_work w;
    fpy_boot_result res;
    const fpy_layout *l;
    uint8_t img[160 * 1024];
} board;

static uint32_t area(board *b, fpy_area_kind k, unsigned i)
{
    return fpy_layout_area(b->l, k, i)->offset;
}

static void put_vm(board *b, unsigned slot, const char *ver, uint32_t seed)
{
    size_t n = fpy_fix_vm(ver, seed, 40000, b->img, sizeof b->img);
    fpy_fix_install(&b->tf->flash, area(b, FPY_AREA_VM_SLOT, slot), b->img, n);
}

static void put_bc(board *b, unsigned slot, uint32_t abi, uint32_t seed)
{
    size_t n = fpy_fix_bc(abi, seed, 3000, b->img, sizeof b->img);
    fpy_fix_install(&b->tf->flash, area(b, FPY_AREA_BC_SLOT, slot), b->img, n);
}

/* Flip one byte of a slot (bit rot or a bad write). */
static void damage(board *b, uint32_t addr)
{
    b->tf->mem[addr] ^= 0x5A;
}

static board *board_new(void)
{
    board *b = calloc(1, sizeof *b);
    assert_non_null(b);
    b->tf = fpy_test_flash_new(NULL);
    b->l = fpy_layout_get(FPY_LAYOUT_NONBLE);
    fpy_simsys_init(&b->ss, &b->sys);
    b->cfg.layout = b->l;
    b->cfg.store = FPY_REC_STORE_FIPY();
    put_vm(b, 0, "2.0.0", 1);
    put_bc(b, 0, 2, 1);
    return b;
}

static void board_free(board *b)
{
    fpy_test_flash_free(b->tf);
    free(b);
}

static int boot(board *b, int reason)
{
    fpy_simsys_reset(&b->ss, reason);
    return fpy_boot_run(&b->tf->flash, &b->sys, &b->cfg, &b->w, &b->res);
}

/* What ESP-IDF's own bootloader would pick from the otadata fipy left
 * (read-only: on a copy of the flash). */
static unsigned esp_idf_pick(board *b)
{
    fpy_test_flash *copy = fpy_test_flash_new(NULL);
    memcpy(copy->mem, b->tf->mem, FPY_FLASH_SIZE_8M);
    unsigned slot;
    int blank;
    assert_int_equal(fpy_otadata_boot_select(&copy->flash, 0xD000, 2, &slot, &blank), FPY_OK);
    assert_false(blank);
    fpy_test_flash_free(copy);
    return slot;
}

static void test_fresh_board_boots_slot0(void **state)
{
    (void)state;
    board *b = board_new();
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    assert_int_equal(b->res.row->rule, FPY_BOOT_R_STABLE);
    assert_false(b->res.rec_found);
    assert_int_equal(b->res.vm_slot, 0);
    assert_int_equal(b->res.vm_addr, 0x10000);
    assert_int_equal(b->res.bc_addr, 0x210000);
    assert_true(b->res.run_bytecode);
    assert_false(b->res.test_mode);
    assert_int_equal(b->res.vm_abi, 2);
    assert_true(b->ss.wdt_armed);
    assert_int_equal(b->ss.wdt_timeout_ms, 30000);
    assert_int_equal(esp_idf_pick(b), 0);
    /* a second ordinary boot writes nothing */
    uint64_t before = b->tf->sim.stats.erases;
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    assert_true(b->res.rec_found);
    assert_int_equal(b->tf->sim.stats.erases, before);
    board_free(b);
}

static void test_trial_then_reset_rolls_back(void **state)
{
    (void)state;
    board *b = board_new();
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    put_vm(b, 1, "2.1.0", 2);
    put_bc(b, 1, 2, 2);
    assert_int_equal(fpy_fota_attempt(&b->tf->flash, &b->cfg.store, 1, 1), FPY_OK);
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    assert_int_equal(b->res.row->rule, FPY_BOOT_R_TRIAL_START);
    assert_true(b->res.test_mode);
    assert_int_equal(b->res.vm_slot, 1);
    assert_int_equal(b->res.bc_slot, 1);
    /* ESP-IDF's view while the trial runs: ota_1 active, PENDING_VERIFY;
     * its bootloader would roll back at the next reset, as fipy does. */
    fpy_otadata od;
    assert_int_equal(fpy_otadata_read(&b->tf->flash, 0xD000, &od), FPY_OK);
    int a = fpy_otadata_active(&od);
    assert_true(a >= 0);
    assert_int_equal(fpy_otadata_slot(od.e[a].seq, 2), 1);
    assert_int_equal(od.e[a].state, FPY_OTA_PENDING_VERIFY);
    assert_int_equal(esp_idf_pick(b), 0);
    /* power cycle without accept() */
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    assert_int_equal(b->res.row->rule, FPY_BOOT_R_TRIAL_RESET);
    assert_false(b->res.test_mode);
    assert_int_equal(b->res.vm_slot, 0);
    assert_int_equal(b->res.bc_slot, 0);
    assert_true(b->res.rec.flags & FPY_REC_F_ROLLED_BACK);
    assert_int_equal(esp_idf_pick(b), 0);
    /* otatool.py, which ignores the state, agrees too */
    assert_int_equal(fpy_otadata_read(&b->tf->flash, 0xD000, &od), FPY_OK);
    a = fpy_otadata_active_otatool(&od);
    assert_true(a >= 0);
    assert_int_equal(fpy_otadata_slot(od.e[a].seq, 2), 0);
    board_free(b);
}

static void test_trial_accept_sticks(void **state)
{
    (void)state;
    board *b = board_new();
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    put_vm(b, 1, "2.1.0", 2);
    put_bc(b, 1, 2, 2);
    assert_int_equal(fpy_fota_accept(&b->tf->flash, &b->cfg.store, NULL, NULL), FPY_OK); /* noop */
    assert_int_equal(fpy_fota_attempt(&b->tf->flash, &b->cfg.store, 1, 1), FPY_OK);
    assert_int_equal(fpy_fota_attempt(&b->tf->flash, &b->cfg.store, 1, 1), FPY_ERR_STATE);
    assert_int_equal(fpy_fota_accept(&b->tf->flash, &b->cfg.store, NULL, NULL), FPY_ERR_STATE);
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    assert_int_equal(fpy_fota_accept(&b->tf->flash, &b->cfg.store, NULL, NULL), FPY_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
        assert_int_equal(b->res.row->rule, FPY_BOOT_R_STABLE);
        assert_int_equal(b->res.vm_slot, 1);
        assert_int_equal(b->res.bc_slot, 1);
        assert_false(b->res.test_mode);
        assert_int_equal(esp_idf_pick(b), 1);
    }
    assert_true(b->res.rec.has_prev);
    assert_int_equal(b->res.rec.vm_prev, 0);
    board_free(b);
}

static void test_watchdog_during_trial_rolls_back(void **state)
{
    (void)state;
    board *b = board_new();
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    put_vm(b, 1, "2.1.0", 2);
    assert_int_equal(fpy_fota_attempt(&b->tf->flash, &b->cfg.store, 0, 1), FPY_OK);
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    assert_int_equal(b->res.row->rule, FPY_BOOT_R_TRIAL_START);
    /* the new VM hangs: never feeds the bootloader's 30 s watchdog */
    assert_false(fpy_simsys_advance(&b->ss, 29999));
    assert_true(fpy_simsys_advance(&b->ss, 1));
    assert_int_equal(boot(b, FPY_RESET_WATCHDOG), FPY_OK);
    assert_true(fpy_sfw_watchdog_triggered(&b->sys));
    assert_int_equal(b->res.reset_reason, FPY_RESET_WATCHDOG);
    assert_int_equal(b->res.row->rule, FPY_BOOT_R_TRIAL_RESET);
    assert_int_equal(b->res.vm_slot, 0);
    board_free(b);
}

static void test_attempted_pair_that_does_not_verify(void **state)
{
    (void)state;
    board *b = board_new();
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    put_vm(b, 1, "2.1.0", 2);
    damage(b, area(b, FPY_AREA_VM_SLOT, 1) + 0x4000);
    assert_int_equal(fpy_fota_attempt(&b->tf->flash, &b->cfg.store, 0, 1), FPY_OK);
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    assert_int_equal(b->res.row->rule, FPY_BOOT_R_TRIAL_INVALID);
    assert_int_equal(b->res.vm_slot, 0);
    assert_string_equal(b->res.diag_what, "VM slot 1");
    assert_int_equal(b->res.diag_rc, FPY_ERR_CHECKSUM);
    board_free(b);
}

/* The simulated flash, except that reads touching [lo, hi) answer `rc`. */
typedef struct failing_reads {
    fpy_flashsim *sim;
    uint32_t lo, hi;
    int rc;
} failing_reads;

static int fr_read(void *ctx, uint32_t addr, void *buf, uint32_t len)
{
    failing_reads *fr = ctx;
    if (addr < fr->hi && addr + len > fr->lo)
        return fr->rc;
    return fpy_flashsim_ops.read(fr->sim, addr, buf, len);
}

static int fr_program(void *ctx, uint32_t addr, const void *buf, uint32_t len)
{
    return fpy_flashsim_ops.program(((failing_reads *)ctx)->sim, addr, buf, len);
}

static int fr_erase(void *ctx, uint32_t addr)
{
    return fpy_flashsim_ops.erase_sector(((failing_reads *)ctx)->sim, addr);
}

static void test_flash_failure_while_verifying_is_passed_up(void **state)
{
    (void)state;
    static const fpy_flash_ops ops = {fr_read, fr_program, fr_erase};
    /* a driver's own error, and a raw status the seam takes as I/O */
    static const int driver_rc[] = {FPY_ERR_TIMEOUT, 1};
    static const int want[] = {FPY_ERR_TIMEOUT, FPY_ERR_IO};
    for (size_t i = 0; i < 2; i++) {
        board *b = board_new();
        assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
        put_vm(b, 1, "2.1.0", 2);
        assert_int_equal(fpy_fota_attempt(&b->tf->flash, &b->cfg.store, 0, 1), FPY_OK);
        uint8_t *before = malloc(FPY_FLASH_SIZE_8M);
        assert_non_null(before);
        memcpy(before, b->tf->mem, FPY_FLASH_SIZE_8M);
        uint32_t vm1 = area(b, FPY_AREA_VM_SLOT, 1);
        failing_reads fr = {&b->tf->sim, vm1 + 0x4000, vm1 + 0x4100, driver_rc[i]};
        fpy_flash f = {&ops, &fr, b->tf->flash.geo};
        fpy_simsys_reset(&b->ss, FPY_RESET_RESET);
        /* not "slot 1 does not verify" (which would end the trial and
         * write the record): the boot stops and writes nothing */
        assert_int_equal(fpy_boot_run(&f, &b->sys, &b->cfg, &b->w, &b->res), want[i]);
        assert_memory_equal(b->tf->mem, before, FPY_FLASH_SIZE_8M);
        free(before);
        board_free(b);
    }
}

static void test_bytecode_for_another_abi_is_refused(void **state)
{
    (void)state;
    board *b = board_new();
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    put_bc(b, 1, 3, 9); /* built for ABI 3; the VM is ABI 2 */
    assert_int_equal(fpy_fota_attempt(&b->tf->flash, &b->cfg.store, 1, 0), FPY_OK);
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    assert_int_equal(b->res.row->rule, FPY_BOOT_R_TRIAL_INVALID);
    assert_int_equal(b->res.bc_slot, 0);
    assert_true(b->res.run_bytecode);
    board_free(b);
}

static void test_nothing_bootable_is_reported(void **state)
{
    (void)state;
    board *b = board_new();
    damage(b, area(b, FPY_AREA_VM_SLOT, 0) + 0x100);
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_ERR_NOTFOUND);
    assert_int_equal(b->res.row->rule, FPY_BOOT_R_NONE);
    assert_non_null(strstr(b->res.row->why, "ROM serial loader"));
    assert_false(b->ss.wdt_armed);
    board_free(b);
}

static void test_empty_bytecode_slot_boots_vm_alone(void **state)
{
    (void)state;
    board *b = board_new();
    assert_int_equal(fpy_flash_erase(&b->tf->flash, area(b, FPY_AREA_BC_SLOT, 0), 0x1000),
                     FPY_OK);
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    assert_int_equal(b->res.facts.cur, FPY_PAIR_NOBC);
    assert_false(b->res.run_bytecode);
    board_free(b);
}

static void accepted_update(board *b)
{
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    put_vm(b, 1, "2.1.0", 2);
    put_bc(b, 1, 2, 2);
    assert_int_equal(fpy_fota_attempt(&b->tf->flash, &b->cfg.store, 1, 1), FPY_OK);
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    assert_int_equal(fpy_fota_accept(&b->tf->flash, &b->cfg.store, NULL, NULL), FPY_OK);
}

/* After a revert or fallback: the pair (vm, bc) is the working pair, the
 * record on flash says so, and it names no previous pair any more (the
 * one it went back to was that pair). */
static void assert_went_back(board *b, unsigned vm, unsigned bc)
{
    fpy_rec r;
    int copy;
    assert_int_equal(b->res.vm_slot, vm);
    assert_int_equal(b->res.bc_slot, bc);
    assert_int_equal(fpy_rec_load(&b->tf->flash, &b->cfg.store, &r, &copy), FPY_OK);
    assert_int_equal(r.mode, FPY_REC_STABLE);
    assert_int_equal(r.vm_cur, vm);
    assert_int_equal(r.vm_last, vm);
    assert_int_equal(r.bc_cur, bc);
    assert_int_equal(r.bc_last, bc);
    assert_int_equal(r.has_prev, 0);
    assert_int_equal(r.boot_count, 0);
    assert_true(r.flags & FPY_REC_F_REVERTED);
}

static void test_boot_loop_guard_reverts(void **state)
{
    (void)state;
    board *b = board_new();
    accepted_update(b);
    /* the accepted pair crashes before it ever reports a stable run */
    assert_int_equal(boot(b, FPY_RESET_PANIC), FPY_OK);
    assert_int_equal(b->res.rec.boot_count, 1);
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK); /* an ordinary reset: no count */
    assert_int_equal(b->res.rec.boot_count, 1);
    assert_int_equal(boot(b, FPY_RESET_WATCHDOG), FPY_OK);
    assert_int_equal(b->res.vm_slot, 1);
    assert_int_equal(b->res.rec.boot_count, 2);
    assert_int_equal(boot(b, FPY_RESET_WATCHDOG), FPY_OK);
    assert_int_equal(b->res.row->rule, FPY_BOOT_R_LOOP_REVERT);
    assert_went_back(b, 0, 0);
    assert_int_equal(esp_idf_pick(b), 0);
    /* more crashes: nothing older to go to, the pair keeps running */
    for (int i = 0; i < 4; i++) {
        assert_int_equal(boot(b, FPY_RESET_WATCHDOG), FPY_OK);
        assert_int_equal(b->res.vm_slot, 0);
    }
    board_free(b);
}

static void test_guard_never_reverts_after_a_stable_run(void **state)
{
    (void)state;
    board *b = board_new();
    accepted_update(b);
    assert_int_equal(fpy_fota_mark_stable(&b->tf->flash, &b->cfg.store), FPY_OK);
    uint64_t e = b->tf->sim.stats.erases;
    assert_int_equal(fpy_fota_mark_stable(&b->tf->flash, &b->cfg.store), FPY_OK);
    assert_int_equal(b->tf->sim.stats.erases, e); /* no write when nothing changes */
    for (int i = 0; i < 10; i++) {
        assert_int_equal(boot(b, FPY_RESET_WATCHDOG), FPY_OK);
        assert_int_equal(b->res.row->rule, FPY_BOOT_R_STABLE);
        assert_int_equal(b->res.vm_slot, 1);
    }
    board_free(b);
}

static void test_corrupt_bytecode_reverts_to_previous(void **state)
{
    (void)state;
    board *b = board_new();
    accepted_update(b);
    damage(b, area(b, FPY_AREA_BC_SLOT, 1) + 0x200);
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    assert_int_equal(b->res.row->rule, FPY_BOOT_R_BC_REVERT);
    assert_went_back(b, 0, 0);
    board_free(b);
}


static void test_vm_update_without_bytecode_is_trialled(void **state)
{
    (void)state;
    board *b = board_new();
    assert_int_equal(fpy_flash_erase(&b->tf->flash, area(b, FPY_AREA_BC_SLOT, 0), 0x1000),
                     FPY_OK);
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    put_vm(b, 1, "2.1.0", 2);
    assert_int_equal(fpy_fota_attempt(&b->tf->flash, &b->cfg.store, 0, 1), FPY_OK);
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    assert_int_equal(b->res.row->rule, FPY_BOOT_R_TRIAL_START);
    assert_int_equal(b->res.vm_slot, 1);
    assert_false(b->res.run_bytecode);
    board_free(b);
}

static void test_unconfirmed_pair_can_still_be_accepted(void **state)
{
    (void)state;
    board *b = board_new();
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    put_vm(b, 1, "2.1.0", 2);
    put_bc(b, 1, 2, 2);
    assert_int_equal(fpy_fota_attempt(&b->tf->flash, &b->cfg.store, 1, 1), FPY_OK);
    damage(b, area(b, FPY_AREA_VM_SLOT, 0) + 0x300); /* the working VM rots */
    for (int i = 0; i < 2; i++) {
        assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
        assert_int_equal(b->res.row->rule, i == 0 ? FPY_BOOT_R_TRIAL_START
                                                  : FPY_BOOT_R_UNCONFIRMED);
        assert_int_equal(b->res.vm_slot, 1);
    }
    assert_int_equal(b->res.rec.mode, FPY_REC_TEST_BOOTED);
    assert_int_equal(fpy_fota_accept(&b->tf->flash, &b->cfg.store, NULL, NULL), FPY_OK);
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    assert_int_equal(b->res.row->rule, FPY_BOOT_R_STABLE);
    assert_int_equal(b->res.vm_slot, 1);
    board_free(b);
}

static void test_new_device_runs_what_otadata_selects(void **state)
{
    (void)state;
    board *b = board_new();
    put_vm(b, 1, "2.0.1", 5); /* esptool wrote ota_1; otatool switched to it */
    assert_int_equal(fpy_otadata_set_boot(&b->tf->flash, 0xD000, 1, 2, 0), FPY_OK);
    uint8_t vm, bc;
    assert_int_equal(fpy_fota_next_slots(&b->tf->flash, &b->cfg.store, &vm, &bc), FPY_OK);
    assert_int_equal(vm, 0); /* an update must not target the running slot 1 */
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    assert_false(b->res.rec_found);
    assert_int_equal(b->res.vm_slot, 1);
    board_free(b);
}

static void test_foreign_seq_near_the_top_converges(void **state)
{
    (void)state;
    board *b = board_new();
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    fpy_ota_entry e;
    memset(&e, 0xFF, sizeof e);
    e.seq = 0xFFFFFFFEu; /* selects ota_1 */
    e.state = FPY_OTA_VALID;
    e.crc = fpy_otadata_crc(e.seq);
    assert_int_equal(fpy_otadata_write_entry(&b->tf->flash, 0xD000, 1, &e), FPY_OK);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
        assert_int_equal(b->res.vm_slot, 0);
        assert_int_equal(esp_idf_pick(b), 0);
        fpy_otadata od;
        assert_int_equal(fpy_otadata_read(&b->tf->flash, 0xD000, &od), FPY_OK);
        assert_int_equal(fpy_otadata_slot(od.e[fpy_otadata_active_otatool(&od)].seq, 2), 0);
    }
    board_free(b);
}

static void test_fallback_to_the_other_slot(void **state)
{
    (void)state;
    board *b = board_new();
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    put_vm(b, 1, "2.0.0", 3);
    damage(b, area(b, FPY_AREA_VM_SLOT, 0) + 0x300);
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    assert_int_equal(b->res.row->rule, FPY_BOOT_R_ALT_FALLBACK);
    assert_went_back(b, 1, 0); /* the bytecode of ABI 2 still runs */
    assert_true(b->res.run_bytecode);
    assert_int_equal(esp_idf_pick(b), 1);
    board_free(b);
}

/* A bytecode-only update, accepted: (0,1) runs, (0,0) is the previous
 * pair.  Then VM slot 0, which every pair the record names uses, breaks:
 * the boot falls back to VM slot 1, and the record must forget the
 * previous pair, whose VM is gone. */
static void test_fallback_forgets_the_previous_pair(void **state)
{
    (void)state;
    board *b = board_new();
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    put_bc(b, 1, 2, 5);
    assert_int_equal(fpy_fota_attempt(&b->tf->flash, &b->cfg.store, 1, 0), FPY_OK);
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    assert_int_equal(fpy_fota_accept(&b->tf->flash, &b->cfg.store, NULL, NULL), FPY_OK);
    put_vm(b, 1, "2.0.0", 3);
    damage(b, area(b, FPY_AREA_VM_SLOT, 0) + 0x300);
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    assert_int_equal(b->res.row->rule, FPY_BOOT_R_ALT_FALLBACK);
    assert_went_back(b, 1, 0);
    board_free(b);
}

/* Issue 13: a configuration that does not hold is refused before the boot
 * or the update engine reads or writes anything. */
static void test_bad_configuration_is_refused_on_entry(void **state)
{
    (void)state;
    board *b = board_new();
    static const fpy_area overlap[] = {
        {.label = "ota_0", .offset = 0x10000, .size = 0x100000, .kind = FPY_AREA_VM_SLOT},
        /* overlaps ota_0 */
        {.label = "ota_1", .offset = 0x100000, .size = 0x100000, .kind = FPY_AREA_VM_SLOT,
         .index = 1},
    };
    static const fpy_area no_bc[] = {
        {.label = "ota_0", .offset = 0x10000, .size = 0x100000, .kind = FPY_AREA_VM_SLOT},
        {.label = "ota_1", .offset = 0x110000, .size = 0x100000, .kind = FPY_AREA_VM_SLOT,
         .index = 1},
    };
    fpy_layout bad = *b->cfg.layout;
    bad.areas = overlap;
    bad.count = 2;
    const fpy_layout *good = b->cfg.layout;
    uint64_t w0 = b->tf->sim.stats.erases + b->tf->sim.stats.pages_programmed;
    b->cfg.layout = &bad;
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_ERR_CORRUPT); /* fpy_layout_validate's */
    bad.areas = no_bc;
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_ERR_INVAL);
    assert_string_equal(b->res.diag_what, "configuration");
    bad.flash_size = 16u << 20; /* larger than the flash */
    bad.areas = good->areas;
    bad.count = good->count;
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_ERR_INVAL);
    b->cfg.layout = good;
    fpy_boot_cfg keep = b->cfg;
    b->cfg.store.addr[1] = b->cfg.store.addr[0]; /* one sector for both copies */
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_ERR_INVAL);
    b->cfg.store = keep.store;
    b->cfg.store.otadata = area(b, FPY_AREA_VM_SLOT, 1); /* otadata inside a slot */
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_ERR_INVAL);
    b->cfg.store.otadata = 0xD100; /* not a sector */
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_ERR_INVAL);
    b->cfg.store = keep.store;
    fpy_flash odd = b->tf->flash;
    odd.geo.page_size = 0; /* a port's geometry that does not hold */
    fpy_simsys_reset(&b->ss, FPY_RESET_RESET);
    assert_int_equal(fpy_boot_run(&odd, &b->sys, &b->cfg, &b->w, &b->res), FPY_ERR_INVAL);
    assert_string_equal(b->res.diag.field, "geometry");
    b->cfg.store.otadata = 0xD100;
    fpy_fota u;
    fpy_fota_req q;
    fpy_diag d = {0};
    memset(&q, 0, sizeof q);
    assert_int_equal(fpy_fota_begin(&u, &b->tf->flash, good, &b->cfg.store, &q, NULL, &b->w, &d),
                     FPY_ERR_INVAL);
    assert_string_equal(d.field, "otadata");
    assert_int_equal(b->tf->sim.stats.erases + b->tf->sim.stats.pages_programmed, w0);
    b->cfg = keep;
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    board_free(b);
}

static void test_esp_idf_set_boot_and_mark_valid_are_read(void **state)
{
    (void)state;
    board *b = board_new();
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    put_vm(b, 1, "2.1.0", 2);
    /* an ESP-IDF app: esp_ota_set_boot_partition(ota_1), rollback on */
    assert_int_equal(fpy_otadata_set_boot(&b->tf->flash, 0xD000, 1, 2, 1), FPY_OK);
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    assert_int_equal(b->res.adopted, FPY_ADOPT_ATTEMPT);
    assert_int_equal(b->res.row->rule, FPY_BOOT_R_TRIAL_START);
    assert_int_equal(b->res.vm_slot, 1);
    /* the new app: esp_ota_mark_app_valid_cancel_rollback() */
    fpy_otadata od;
    assert_int_equal(fpy_otadata_read(&b->tf->flash, 0xD000, &od), FPY_OK);
    int a = fpy_otadata_active(&od);
    assert_int_equal(fpy_otadata_set_state(&b->tf->flash, 0xD000, (unsigned)a, FPY_OTA_VALID),
                     FPY_OK);
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_OK);
    assert_int_equal(b->res.adopted, FPY_ADOPT_ACCEPT);
    assert_int_equal(b->res.row->rule, FPY_BOOT_R_STABLE);
    assert_int_equal(b->res.vm_slot, 1);
    assert_int_equal(boot(b, FPY_RESET_WATCHDOG), FPY_OK); /* and it sticks */
    assert_int_equal(b->res.vm_slot, 1);
    board_free(b);
}

static void test_vm_without_digest_is_not_booted(void **state)
{
    (void)state;
    board *b = board_new();
    size_t n = fpy_fix_vm_ex("2.0.0", 1, 40000, 1, b->img, sizeof b->img);
    fpy_fix_install(&b->tf->flash, area(b, FPY_AREA_VM_SLOT, 0), b->img, n);
    assert_int_equal(boot(b, FPY_RESET_RESET), FPY_ERR_NOTFOUND);
    assert_string_equal(b->res.diag_what, "VM slot 0");
    assert_string_equal(b->res.diag.field, "hash_appended");
    board_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_row_trial_reset),
        cmocka_unit_test(test_row_trial_continue),
        cmocka_unit_test(test_row_trial_start),
        cmocka_unit_test(test_row_trial_invalid),
        cmocka_unit_test(test_row_unconfirmed),
        cmocka_unit_test(test_row_loop_revert),
        cmocka_unit_test(test_row_bc_revert),
        cmocka_unit_test(test_row_vm_revert),
        cmocka_unit_test(test_row_stable),
        cmocka_unit_test(test_row_last_fallback),
        cmocka_unit_test(test_row_prev_fallback),
        cmocka_unit_test(test_row_alt_fallback),
        cmocka_unit_test(test_row_none),
        cmocka_unit_test(test_table_properties),
        cmocka_unit_test(test_fresh_board_boots_slot0),
        cmocka_unit_test(test_trial_then_reset_rolls_back),
        cmocka_unit_test(test_trial_accept_sticks),
        cmocka_unit_test(test_watchdog_during_trial_rolls_back),
        cmocka_unit_test(test_attempted_pair_that_does_not_verify),
        cmocka_unit_test(test_flash_failure_while_verifying_is_passed_up),
        cmocka_unit_test(test_bytecode_for_another_abi_is_refused),
        cmocka_unit_test(test_nothing_bootable_is_reported),
        cmocka_unit_test(test_empty_bytecode_slot_boots_vm_alone),
        cmocka_unit_test(test_boot_loop_guard_reverts),
        cmocka_unit_test(test_guard_never_reverts_after_a_stable_run),
        cmocka_unit_test(test_corrupt_bytecode_reverts_to_previous),
        cmocka_unit_test(test_vm_update_without_bytecode_is_trialled),
        cmocka_unit_test(test_unconfirmed_pair_can_still_be_accepted),
        cmocka_unit_test(test_new_device_runs_what_otadata_selects),
        cmocka_unit_test(test_foreign_seq_near_the_top_converges),
        cmocka_unit_test(test_fallback_to_the_other_slot),
        cmocka_unit_test(test_fallback_forgets_the_previous_pair),
        cmocka_unit_test(test_bad_configuration_is_refused_on_entry),
        cmocka_unit_test(test_esp_idf_set_boot_and_mark_valid_are_read),
        cmocka_unit_test(test_vm_without_digest_is_not_booted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
