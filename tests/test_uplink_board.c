/* The uplink end to end: the host client (host/uplink.h) against an
 * in-process virtual board (sim/vboard.h) on a simulated clock
 * (tests/support/vblink.h): a full upload, restart and accept; the board
 * in download mode; a board not reset or not virtualized; an image too
 * big or for another VM ABI; and power cut after every flash operation of
 * an upload, then a second upload. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fipy/bcimage.h"
#include "fipy/err.h"
#include "fipy/hash.h"
#include "fipy/layout.h"
#include "fixtures.h"
#include "testutil.h"
#include "uplink.h"
#include "vblink.h"
#include "vboard.h"

#define MS 1000u
#define OLD_LEN 3000u

typedef struct tb {
    char dir[64], path[96];
    fpy_vboard *b;
    fpy_vblink l;
    uint8_t old_sha[FPY_SHA256_LEN];
    uint8_t old_psha[FPY_SHA256_LEN]; /* its payload's (the board's status) */
    char log[65536];      /* the console between uploads */
    char seen[65536];     /* what the client read */
    size_t loglen;
} tb;

static uint8_t base_flash[FPY_FLASH_SIZE_8M];
static int base_ready;

/* A FiPy with a VM of ABI 2 in slot 0 and a bytecode in slot 0. */
static void base_make(uint8_t old_sha[FPY_SHA256_LEN], uint8_t old_psha[FPY_SHA256_LEN])
{
    static uint8_t img[160 * 1024];
    const fpy_layout *l = fpy_layout_get(FPY_LAYOUT_NONBLE);
    size_t bn = fpy_fix_bc(2, 1, OLD_LEN - FPY_BC_HEADER_LEN, img, sizeof img);
    assert_int_equal(fpy_sha256_buf(img, bn, old_sha), FPY_OK);
    memcpy(old_psha, img + FPY_BC_OFF_SHA256, FPY_SHA256_LEN);
    if (base_ready)
        return;
    fpy_test_flash *tf = fpy_test_flash_new(NULL);
    fpy_fix_install(&tf->flash, fpy_layout_area(l, FPY_AREA_BC_SLOT, 0)->offset, img, bn);
    size_t n = fpy_fix_vm("2.0.0", 1, 40000, img, sizeof img);
    fpy_fix_install(&tf->flash, fpy_layout_area(l, FPY_AREA_VM_SLOT, 0)->offset, img, n);
    memcpy(base_flash, tf->mem, sizeof base_flash);
    fpy_test_flash_free(tf);
    base_ready = 1;
}

/* Everything the board said by the link's now, appended to t->log. */
static void tb_drain(tb *t)
{
    uint8_t buf[4096];
    size_t n;
    while ((n = fpy_vboard_tx(t->b, t->l.now, buf, sizeof buf)) > 0) {
        size_t k = n < sizeof t->log - 1 - t->loglen ? n : sizeof t->log - 1 - t->loglen;
        memcpy(t->log + t->loglen, buf, k);
        t->loglen += k;
        t->log[t->loglen] = 0;
    }
}

static void tb_open(tb *t, int blank)
{
    memset(t, 0, sizeof *t);
    base_make(t->old_sha, t->old_psha);
    snprintf(t->dir, sizeof t->dir, "/tmp/fpy-uplink-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    snprintf(t->path, sizeof t->path, "%s/flash.bin", t->dir);
    if (!blank) {
        FILE *f = fopen(t->path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(base_flash, 1, sizeof base_flash, f), sizeof base_flash);
        fclose(f);
    }
    char err[256] = "";
    fpy_vboard_cfg cfg = {t->path, 0};
    t->b = fpy_vboard_open(&cfg, err, sizeof err);
    if (t->b == NULL)
        fail_msg("open: %s", err);
    fpy_vblink_init(&t->l, t->b, 0);
    t->l.tap = t->seen;
    t->l.tap_cap = sizeof t->seen;
}

static void tb_close(tb *t)
{
    char ef[sizeof t->path + 8];
    fpy_vboard_close(t->b);
    snprintf(ef, sizeof ef, "%s.efuse", t->path);
    unlink(ef);
    unlink(t->path);
    rmdir(t->dir);
}

/* Let the board run for ms of its time, keeping its console. */
static void tb_wait(tb *t, uint32_t ms)
{
    fpy_vblink_wait(&t->l, (uint64_t)ms * MS);
    tb_drain(t);
}

static int tb_upload(tb *t, const uint8_t *img, size_t n, int reset, fpy_uplink_result *r)
{
    fpy_uplink_opts o = {0};
    if (reset) {
        o.reset = fpy_vblink_reset;
        o.reset_ctx = &t->l;
    }
    return fpy_uplink_upload(fpy_vblink_link(&t->l), img, n, &o, r);
}

static size_t new_image(uint32_t abi, uint32_t payload, uint8_t **out)
{
    *out = malloc(payload + FPY_BC_HEADER_LEN);
    assert_non_null(*out);
    return fpy_fix_bc(abi, 7, payload, *out, payload + FPY_BC_HEADER_LEN);
}

/* Reset, boot, and say what runs. */
static void tb_reboot(tb *t, fpy_vboard_status *st)
{
    fpy_vboard_reset(t->b, t->l.now);
    tb_wait(t, 10000);
    fpy_vboard_get_status(t->b, st);
}

static void test_upload_restart_accept_then_the_new_bytecode_boots_stable(void **state)
{
    (void)state;
    tb t;
    tb_open(&t, 0);
    tb_wait(&t, 10000); /* booted long ago: the window is closed */
    assert_non_null(strstr(t.log, "fipy vm: uplink open for 3 s"));
    assert_non_null(strstr(t.log, "fipy vm: bytecode slot 0 (0x210000), 3000 bytes, payload SHA-256 "));
    uint8_t *img, sha[FPY_SHA256_LEN];
    size_t n = new_image(2, 5000, &img);
    assert_int_equal(fpy_sha256_buf(img, n, sha), FPY_OK);
    fpy_uplink_result r;
    int rc = tb_upload(&t, img, n, 1, &r);
    if (rc != FPY_OK)
        fail_msg("upload: %s: %s", r.code, r.msg);
    assert_null(r.code);
    assert_int_equal(r.already, 0);
    assert_int_equal(r.before.bc_slot, 0);
    assert_int_equal(r.before.idle_slot, 1);
    assert_int_equal(r.before.idle_addr, 0x290000);
    assert_int_equal(r.before.vm_abi, 2);
    assert_int_equal(r.before.run_size, OLD_LEN);
    assert_memory_equal(r.before.run_sha256, t.old_sha, FPY_SHA256_LEN);
    assert_int_equal(r.after.bc_slot, 1);
    assert_int_equal(r.after.test_mode, 1);
    assert_memory_equal(r.after.run_sha256, sha, FPY_SHA256_LEN);
    assert_int_equal(r.blocks, 6); /* 5128 bytes in blocks of 1024 */
    assert_non_null(strstr(t.seen, "fipy vm: new bytecode committed (trial): restarting"));
    assert_non_null(strstr(t.seen, "rst:0x3 (SW_RESET)"));
    assert_non_null(strstr(t.seen, "fipy vm: bytecode slot 1 (0x290000), 5128 bytes"));
    assert_non_null(strstr(t.seen, ", test mode\r\n"));
    /* accepted: a reset keeps it, out of test mode */
    fpy_vboard_status st;
    tb_reboot(&t, &st);
    assert_string_equal(st.mode, "running");
    assert_int_equal(st.bc_slot, 1);
    assert_int_equal(st.test_mode, 0);
    assert_memory_equal(st.bc_sha256, img + FPY_BC_OFF_SHA256, FPY_SHA256_LEN);
    /* the same image again: it runs already, nothing is sent */
    uint64_t sent = t.l.host_bytes;
    assert_int_equal(tb_upload(&t, img, n, 1, &r), FPY_OK);
    assert_int_equal(r.already, 1);
    assert_true(t.l.host_bytes - sent < 2000); /* SYNCs, INFO, ACCEPT, END */
    free(img);
    tb_close(&t);
}

/* The board is reset right after END, before anyone accepts: the trial
 * rolls back, the client says the new bytecode does not run. */
static void press_reset_at_restart(void *ctx, const fpy_flasher_event *e)
{
    tb *t = ctx;
    if (strcmp(e->stage, "restart") == 0)
        fpy_vboard_reset(t->b, t->l.now + 500u * MS);
}

static void test_an_upload_never_accepted_rolls_back_at_the_next_reset(void **state)
{
    (void)state;
    tb t;
    tb_open(&t, 0);
    tb_wait(&t, 10000);
    uint8_t *img;
    size_t n = new_image(2, 2000, &img);
    fpy_uplink_opts o = {0};
    o.reset = fpy_vblink_reset;
    o.reset_ctx = &t.l;
    o.event = press_reset_at_restart;
    o.event_ctx = &t;
    fpy_uplink_result r;
    assert_int_equal(fpy_uplink_upload(fpy_vblink_link(&t.l), img, n, &o, &r), FPY_ERR_STATE);
    assert_string_equal(r.code, FPY_ULC_NOT_BOOTED);
    assert_int_equal(r.after.bc_slot, 0);
    assert_memory_equal(r.after.run_sha256, t.old_sha, FPY_SHA256_LEN);
    assert_non_null(strstr(t.seen, "rollback: yes, back to the last working pair"));
    fpy_vboard_status st;
    tb_reboot(&t, &st);
    assert_int_equal(st.bc_slot, 0);
    assert_int_equal(st.test_mode, 0);
    free(img);
    tb_close(&t);
}

static void test_board_in_download_mode_gets_its_own_error(void **state)
{
    (void)state;
    tb t;
    tb_open(&t, 0);
    tb_wait(&t, 10000);
    fpy_vboard_jumper(t.b, 1);
    uint8_t *img;
    size_t n = new_image(2, 1000, &img);
    fpy_uplink_result r;
    int rc = tb_upload(&t, img, n, 1, &r);
    assert_int_equal(rc, FPY_ERR_UNSUPPORTED);
    assert_string_equal(r.code, FPY_ULC_DOWNLOAD);
    assert_non_null(strstr(r.msg, "download mode"));
    assert_non_null(strstr(r.msg, "jumper"));
    free(img);
    tb_close(&t);
}

static void test_board_not_reset_or_not_virtualized_gives_no_answer(void **state)
{
    (void)state;
    uint8_t *img;
    size_t n = new_image(2, 1000, &img);
    fpy_uplink_result r;
    /* running, but its window closed long ago, and nobody resets it */
    tb t;
    tb_open(&t, 0);
    tb_wait(&t, 10000);
    assert_int_equal(tb_upload(&t, img, n, 0, &r), FPY_ERR_TIMEOUT);
    assert_string_equal(r.code, FPY_ULC_NO_ANSWER);
    assert_non_null(strstr(r.msg, "no answer in the uplink window"));
    /* reset, the upload in the window works */
    assert_int_equal(tb_upload(&t, img, n, 1, &r), FPY_OK);
    tb_close(&t);
    /* a blank board (no VM: not virtualized) halts: nothing answers */
    tb_open(&t, 1);
    tb_wait(&t, 10000);
    assert_int_equal(tb_upload(&t, img, n, 1, &r), FPY_ERR_TIMEOUT);
    assert_string_equal(r.code, FPY_ULC_NO_ANSWER);
    tb_close(&t);
    free(img);
}

static void test_too_big_and_wrong_abi_are_refused_and_the_old_program_runs(void **state)
{
    (void)state;
    tb t;
    tb_open(&t, 0);
    tb_wait(&t, 10000);
    uint8_t *big, *abi3;
    size_t nb = new_image(2, 512u * 1024u, &big);
    size_t na = new_image(3, 4000, &abi3);
    fpy_uplink_result r;
    assert_int_equal(tb_upload(&t, big, nb, 1, &r), FPY_ERR_NOSPC);
    assert_string_equal(r.code, FPY_ULC_TOO_BIG);
    assert_non_null(strstr(r.msg, "the bytecode image is 524416 bytes; the board's bytecode "
                              "slot 1 holds 524288 bytes"));
    tb_wait(&t, 10000); /* the session ends by itself */
    assert_int_equal(tb_upload(&t, abi3, na, 1, &r), FPY_ERR_STATE);
    assert_string_equal(r.code, FPY_ULC_ABI);
    assert_non_null(strstr(r.msg, "the bytecode needs VM ABI 3; the board's VM has ABI 2"));
    fpy_vboard_status st;
    tb_reboot(&t, &st);
    assert_int_equal(st.bc_slot, 0);
    assert_int_equal(st.test_mode, 0);
    assert_memory_equal(st.bc_sha256, t.old_psha, FPY_SHA256_LEN);
    /* not a bytecode image at all: nothing is sent */
    uint64_t sent = t.l.host_bytes;
    abi3[0] ^= 0xFF;
    assert_int_equal(tb_upload(&t, abi3, na, 1, &r), FPY_ERR_CORRUPT);
    assert_string_equal(r.code, FPY_FLC_INPUT);
    assert_int_equal(t.l.host_bytes, sent);
    free(big);
    free(abi3);
    tb_close(&t);
}

/* ---- power cuts --------------------------------------------------------- */

typedef struct ops_at {
    tb *t;
    uint64_t commit; /* flash operations when END was about to be sent */
} ops_at;

static uint64_t board_ops(fpy_vboard *b)
{
    fpy_vboard_status st;
    fpy_vboard_get_status(b, &st);
    return st.flash_programs + st.flash_erases;
}

static void on_event(void *ctx, const fpy_flasher_event *e)
{
    ops_at *o = ctx;
    if (strcmp(e->stage, "commit") == 0)
        o->commit = board_ops(o->t->b);
}

static unsigned stride(void)
{
    const char *s = getenv("FPY_PL_STRIDE");
    return s != NULL && atoi(s) > 0 ? (unsigned)atoi(s) : 1u;
}

/* Cut the power at the k-th flash operation after the reset's request,
 * k = 1, 2, ...: once powered again the board runs the old bytecode
 * stable, or (only for a cut after END's commit began) the new one; never
 * a broken slot.  A second upload then succeeds. */
static void test_power_cut_at_every_flash_operation_of_an_upload(void **state)
{
    (void)state;
    uint8_t *img, sha[FPY_SHA256_LEN];
    size_t n = new_image(2, 6000, &img);
    assert_int_equal(fpy_sha256_buf(img, n, sha), FPY_OK);
    /* a reference run: how many operations come before END */
    tb t;
    tb_open(&t, 0);
    tb_wait(&t, 10000);
    ops_at at = {&t, 0};
    fpy_uplink_opts o = {0};
    o.reset = fpy_vblink_reset;
    o.reset_ctx = &t.l;
    o.event = on_event;
    o.event_ctx = &at;
    fpy_uplink_result r;
    uint64_t ops0 = board_ops(t.b);
    assert_int_equal(fpy_uplink_upload(fpy_vblink_link(&t.l), img, n, &o, &r), FPY_OK);
    uint64_t before_end = at.commit - ops0, total = board_ops(t.b) - ops0;
    tb_close(&t);
    assert_true(before_end > 3 && total > before_end);
    unsigned cuts = 0;
    for (uint64_t k = 1; k <= total + 1; k += stride()) {
        tb_open(&t, 0);
        tb_wait(&t, 10000);
        fpy_vboard_power_cut_after(t.b, (uint32_t)k);
        int rc = tb_upload(&t, img, n, 1, &r);
        fpy_vboard_status st;
        fpy_vboard_get_status(t.b, &st);
        if (st.powered) { /* k past the upload's last operation */
            assert_int_equal(rc, FPY_OK);
            tb_close(&t);
            break;
        }
        cuts++;
        assert_int_not_equal(rc, FPY_OK);
        fpy_vboard_power_cut_after(t.b, 0);
        fpy_vboard_power(t.b, t.l.now, 1);
        tb_wait(&t, 10000);
        fpy_vboard_get_status(t.b, &st);
        assert_string_equal(st.mode, "running");
        int is_old = st.bc_slot == 0 && st.bc_size == OLD_LEN &&
                     memcmp(st.bc_sha256, t.old_psha, FPY_SHA256_LEN) == 0 && !st.test_mode;
        int is_new = st.bc_slot == 1 && st.bc_size == n &&
                     memcmp(st.bc_sha256, img + FPY_BC_OFF_SHA256, FPY_SHA256_LEN) == 0;
        if (!(is_old || (k > before_end && is_new)))
            fail_msg("cut at operation %u: runs bytecode slot %d (%u bytes), test mode %d",
                     (unsigned)k, st.bc_slot, (unsigned)st.bc_size, st.test_mode);
        assert_null(strstr(t.log, "bytecode not run"));
        /* a second upload succeeds, and the new bytecode stays */
        rc = tb_upload(&t, img, n, 1, &r);
        if (rc != FPY_OK)
            fail_msg("cut at %u, second upload: %s: %s", (unsigned)k, r.code, r.msg);
        tb_reboot(&t, &st);
        assert_int_equal(st.bc_slot, 1);
        assert_int_equal(st.test_mode, 0);
        assert_memory_equal(st.bc_sha256, img + FPY_BC_OFF_SHA256, FPY_SHA256_LEN);
        tb_close(&t);
    }
    fprintf(stderr, "uplink power cuts: %u (of %u operations, %u before END)\n", cuts,
            (unsigned)total, (unsigned)before_end);
    assert_true(cuts >= total / stride() - 1);
    free(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upload_restart_accept_then_the_new_bytecode_boots_stable),
        cmocka_unit_test(test_an_upload_never_accepted_rolls_back_at_the_next_reset),
        cmocka_unit_test(test_board_in_download_mode_gets_its_own_error),
        cmocka_unit_test(test_board_not_reset_or_not_virtualized_gives_no_answer),
        cmocka_unit_test(test_too_big_and_wrong_abi_are_refused_and_the_old_program_runs),
        cmocka_unit_test(test_power_cut_at_every_flash_operation_of_an_upload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
