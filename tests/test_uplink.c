/* lib/uplink frame by frame over a simulated FiPy flash: the window and
 * the session, INFO's fields, BEGIN's refusals (another address, too big,
 * another VM ABI, a bad header, a bad block plan), DATA's (checksum, seq
 * out of order, a repeat answered without writing twice), the last block
 * verifying the image, MD5 restricted to the bytecode slots, END and
 * ACCEPT. */
#include <string.h>

#include "fipy/bcimage.h"
#include "fipy/bytes.h"
#include "fipy/err.h"
#include "fipy/fota.h"
#include "fipy/hash.h"
#include "fipy/layout.h"
#include "fipy/rom.h"
#include "fipy/uplink.h"
#include "fixtures.h"
#include "testutil.h"

#define IDLE 0x290000u
#define RUN 0x210000u

typedef struct ut {
    fpy_test_flash *tf;
    fpy_uplink u;
    uint64_t now;
    uint8_t status, error, op;
    uint32_t value;
    uint8_t payload[64];
    size_t plen;
    int replied;
    fpy_uplink_action act;
    uint8_t old[4096];
    size_t old_len;
} ut;

static ut T;

static int setup(void **state)
{
    static uint8_t vm[160 * 1024];
    const fpy_layout *l = fpy_layout_get(FPY_LAYOUT_NONBLE);
    memset(&T, 0, sizeof T);
    T.tf = fpy_test_flash_new(NULL);
    size_t n = fpy_fix_vm("2.0.0", 1, 20000, vm, sizeof vm);
    fpy_fix_install(&T.tf->flash, fpy_layout_area(l, FPY_AREA_VM_SLOT, 0)->offset, vm, n);
    T.old_len = fpy_fix_bc(2, 1, 2000, T.old, sizeof T.old);
    fpy_fix_install(&T.tf->flash, RUN, T.old, T.old_len);
    fpy_uplink_cfg cfg = {&T.tf->flash, l, FPY_REC_STORE_FIPY(), 2, 0, 0, 0, 0, 0, NULL};
    T.now = 1000;
    fpy_uplink_init(&T.u, &cfg, T.now);
    *state = &T;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fpy_test_flash_free(T.tf);
    return 0;
}

/* Send a request; the reply's fields land in T. */
static void req(uint8_t op, const uint8_t *data, uint16_t size, uint32_t checksum)
{
    static uint8_t pkt[FPY_ROM_HDR + 2048];
    uint8_t reply[FPY_UPLINK_REPLY_MAX];
    size_t n = fpy_rom_req_build(pkt, sizeof pkt, op, data, size, checksum), rlen = 99;
    assert_true(n > 0);
    T.act = fpy_uplink_frame(&T.u, T.now, pkt, n, reply, sizeof reply, &rlen);
    T.replied = rlen > 0;
    if (!T.replied)
        return;
    fpy_rom_resp r;
    assert_int_equal(fpy_rom_resp_parse(reply, rlen, &r), FPY_OK);
    assert_true(r.size >= 4);
    T.op = r.op;
    T.value = r.value;
    T.plen = r.size - 4u;
    memcpy(T.payload, r.data, T.plen);
    T.status = r.data[T.plen];
    T.error = r.data[T.plen + 1];
    assert_int_equal(r.data[T.plen + 2], 0); /* the ROM's 4 status bytes */
    assert_int_equal(r.data[T.plen + 3], 0);
}

#define expect_ok()                                                           \
    do {                                                                      \
        assert_true(T.replied);                                               \
        if (T.status != 0)                                                    \
            fail_msg("error 0x%02x: %s", T.error, fpy_uplink_error_text(T.error)); \
    } while (0)

#define expect_err(e)                                                         \
    do {                                                                      \
        assert_true(T.replied);                                               \
        assert_int_equal(T.status, 1);                                        \
        assert_int_equal(T.error, (e));                                       \
    } while (0)

static void sync_(void)
{
    uint8_t body[36] = {0x07, 0x07, 0x12, 0x20};
    memset(body + 4, 0x55, 32);
    req(FPY_ROM_SYNC, body, sizeof body, 0);
}

static void begin(const uint8_t *img, uint32_t len, uint32_t offset, const uint8_t *sha)
{
    fpy_uplink_begin b = {len, (len + 1023) / 1024, 1024, offset, {0}, {0}};
    uint8_t body[FPY_UPLINK_BEGIN_LEN];
    if (sha != NULL)
        memcpy(b.sha256, sha, FPY_SHA256_LEN);
    else
        assert_int_equal(fpy_sha256_buf(img, len, b.sha256), FPY_OK);
    memcpy(b.head, img, FPY_FOTA_BC_HEAD);
    fpy_uplink_begin_encode(&b, body);
    req(FPY_ROM_FLASH_BEGIN, body, sizeof body, 0);
}

static void data(uint32_t seq, const uint8_t *bytes, uint32_t len, int bad_sum)
{
    static uint8_t body[16 + 1024];
    uint32_t sum;
    size_t n = fpy_rom_data_build(body, sizeof body, seq, bytes, len, &sum);
    req(FPY_ROM_FLASH_DATA, body, (uint16_t)n, bad_sum ? sum ^ 1u : sum);
}

static void send_all(const uint8_t *img, uint32_t len)
{
    for (uint32_t s = 0; s * 1024u < len; s++) {
        uint32_t k = len - s * 1024u < 1024u ? len - s * 1024u : 1024u;
        data(s, img + s * 1024u, k, 0);
        expect_ok();
    }
}

static size_t image(uint32_t abi, uint32_t payload, uint8_t *out, size_t cap)
{
    return fpy_fix_bc(abi, 9, payload, out, cap);
}

static uint64_t ops(void)
{
    return T.tf->sim.stats.programs + T.tf->sim.stats.erases;
}

static void test_only_a_sync_in_the_window_opens_a_session(void **state)
{
    (void)state;
    req(FPY_UPLINK_OP_INFO, NULL, 0, 0); /* console input, not a command */
    assert_false(T.replied);
    uint8_t bad[36] = {0};
    req(FPY_ROM_SYNC, bad, sizeof bad, 0);
    assert_false(T.replied);
    sync_();
    expect_ok();
    assert_int_equal(T.op, FPY_ROM_SYNC);
    assert_int_equal(T.value, FPY_UPLINK_SYNC_VALUE);
    assert_int_equal(T.u.state, FPY_UPLINK_SESSION);
    /* the session lives while frames come, and ends 5 s after the last */
    T.now += 4000;
    req(FPY_UPLINK_OP_INFO, NULL, 0, 0);
    expect_ok();
    T.now += 5000;
    assert_int_equal(fpy_uplink_poll(&T.u, T.now), 0);
    sync_();
    assert_false(T.replied);
}

static void test_the_window_closes_after_3_s_without_sync(void **state)
{
    (void)state;
    assert_int_equal(fpy_uplink_deadline(&T.u), 1000 + FPY_UPLINK_WINDOW_MS);
    T.now += FPY_UPLINK_WINDOW_MS - 1;
    assert_int_equal(fpy_uplink_poll(&T.u, T.now), 1);
    T.now += 1;
    sync_();
    assert_false(T.replied);
    assert_int_equal(fpy_uplink_deadline(&T.u), UINT64_MAX);
}

static void test_info_says_what_runs_and_where_the_idle_slot_is(void **state)
{
    (void)state;
    sync_();
    req(FPY_UPLINK_OP_INFO, NULL, 0, 0);
    expect_ok();
    assert_int_equal(T.plen, FPY_UPLINK_INFO_LEN);
    assert_memory_equal(T.payload, "FPUL", 4);
    fpy_uplink_info i;
    assert_int_equal(fpy_uplink_info_decode(T.payload, &i), FPY_OK);
    uint8_t sha[FPY_SHA256_LEN];
    assert_int_equal(fpy_sha256_buf(T.old, T.old_len, sha), FPY_OK);
    assert_int_equal(i.version, 1);
    assert_int_equal(i.block_max, 1024);
    assert_int_equal(i.vm_abi, 2);
    assert_int_equal(i.vm_slot, 0);
    assert_int_equal(i.bc_slot, 0);
    assert_int_equal(i.test_mode, 0);
    assert_int_equal(i.idle_slot, 1);
    assert_int_equal(i.idle_addr, IDLE);
    assert_int_equal(i.idle_size, 512 * 1024);
    assert_int_equal(i.run_size, T.old_len);
    assert_memory_equal(i.run_sha256, sha, FPY_SHA256_LEN);
    /* a magic or version it does not know */
    T.payload[0] ^= 1;
    assert_int_equal(fpy_uplink_info_decode(T.payload, &i), FPY_ERR_CORRUPT);
    T.payload[0] ^= 1;
    T.payload[FPY_UPLINK_INFO_OFF_VERSION] = 2;
    assert_int_equal(fpy_uplink_info_decode(T.payload, &i), FPY_ERR_UNSUPPORTED);
}

static void test_begin_refuses_all_but_a_fitting_image_for_the_idle_slot(void **state)
{
    (void)state;
    static uint8_t img[512 * 1024 + 256];
    sync_();
    size_t n = image(2, 3000, img, sizeof img);
    uint64_t before = ops();
    begin(img, (uint32_t)n, RUN, NULL); /* the running slot */
    expect_err(FPY_UPLINK_E_SLOT);
    begin(img, (uint32_t)n, 0x10000, NULL); /* a VM slot */
    expect_err(FPY_UPLINK_E_SLOT);
    size_t big = image(2, 512 * 1024, img, sizeof img);
    begin(img, (uint32_t)big, IDLE, NULL);
    expect_err(FPY_UPLINK_E_BIG);
    n = image(3, 3000, img, sizeof img);
    begin(img, (uint32_t)n, IDLE, NULL);
    expect_err(FPY_UPLINK_E_ABI);
    n = image(2, 3000, img, sizeof img);
    img[FPY_BC_OFF_HDR_CRC] ^= 1;
    begin(img, (uint32_t)n, IDLE, NULL);
    expect_err(FPY_UPLINK_E_HEADER);
    img[FPY_BC_OFF_HDR_CRC] ^= 1;
    begin(img, (uint32_t)n - 1, IDLE, NULL); /* the size disagrees with the header */
    expect_err(FPY_UPLINK_E_HEADER);
    fpy_uplink_begin b = {(uint32_t)n, 2, 1024, IDLE, {0}, {0}}; /* 2 blocks of 1 KiB < n */
    uint8_t body[FPY_UPLINK_BEGIN_LEN];
    memcpy(b.head, img, FPY_FOTA_BC_HEAD);
    fpy_uplink_begin_encode(&b, body);
    req(FPY_ROM_FLASH_BEGIN, body, sizeof body, 0);
    expect_err(FPY_ROM_E_INVALID_PARAM);
    req(FPY_ROM_FLASH_BEGIN, body, 16, 0); /* the ROM's short body */
    expect_err(FPY_ROM_E_BAD_FORMAT);
    assert_int_equal(ops(), before); /* nothing written for any of them */
    /* and no DATA without a BEGIN that was accepted */
    data(0, img, 1024, 0);
    expect_err(FPY_UPLINK_E_STATE);
}

static void test_data_checks_checksum_and_order_and_a_repeat_writes_nothing(void **state)
{
    (void)state;
    static uint8_t img[8192];
    sync_();
    size_t n = image(2, 4000, img, sizeof img);
    begin(img, (uint32_t)n, IDLE, NULL);
    expect_ok();
    data(0, img, 1024, 1);
    expect_err(FPY_ROM_E_CHECKSUM);
    data(1, img + 1024, 1024, 0); /* block 0 first */
    expect_err(FPY_ROM_E_INVALID_PARAM);
    data(0, img, 1024, 0);
    expect_ok();
    data(2, img + 2048, 1024, 0); /* seq + 2 */
    expect_err(FPY_ROM_E_INVALID_PARAM);
    data(1, img + 1024, 512, 0); /* a short block that is not the last */
    expect_err(FPY_ROM_E_INVALID_PARAM);
    data(1, img + 1024, 1024, 0);
    expect_ok();
    uint64_t before = ops();
    data(1, img + 1024, 1024, 0); /* its reply was lost: the same again */
    expect_ok();
    assert_int_equal(ops(), before);
    assert_int_equal(T.u.offset, 2048);
    data(1, img + 1000, 1024, 0); /* the same seq, other bytes */
    expect_err(FPY_ROM_E_INVALID_PARAM);
    uint8_t flag[4] = {0};
    req(FPY_ROM_FLASH_END, flag, sizeof flag, 0); /* bytes missing */
    expect_err(FPY_UPLINK_E_STATE);
    for (uint32_t s = 2; s * 1024u < n; s++) {
        uint32_t k = (uint32_t)n - s * 1024u < 1024u ? (uint32_t)n - s * 1024u : 1024u;
        data(s, img + s * 1024u, k, 0);
        expect_ok();
    }
    data(4, img + 4096, (uint32_t)n - 4096, 0); /* the last block again: same answer */
    expect_ok();
}

static void test_a_full_upload_commits_a_trial_of_the_idle_slot(void **state)
{
    (void)state;
    static uint8_t img[8192];
    uint8_t md5[FPY_MD5_LEN], hex[32];
    sync_();
    size_t n = image(2, 5000, img, sizeof img);
    begin(img, (uint32_t)n, IDLE, NULL);
    expect_ok();
    send_all(img, (uint32_t)n);
    assert_int_equal(T.u.up, FPY_UPLINK_UP_FINISHED);
    /* MD5 of the slot's bytes: the whole image is in flash already */
    uint8_t q[16] = {0};
    fpy_put_le32(q, IDLE);
    fpy_put_le32(q + 4, (uint32_t)n);
    req(FPY_ROM_SPI_FLASH_MD5, q, sizeof q, 0);
    expect_ok();
    assert_int_equal(T.plen, 32);
    assert_int_equal(fpy_md5_buf(img, n, md5), FPY_OK);
    for (int i = 0; i < 16; i++) {
        static const char d[] = "0123456789abcdef";
        hex[2 * i] = (uint8_t)d[md5[i] >> 4];
        hex[2 * i + 1] = (uint8_t)d[md5[i] & 15];
    }
    assert_memory_equal(T.payload, hex, 32);
    /* only the bytecode slots: not the VM, not past a slot's end */
    fpy_put_le32(q, 0x10000);
    req(FPY_ROM_SPI_FLASH_MD5, q, sizeof q, 0);
    expect_err(FPY_UPLINK_E_SLOT);
    fpy_put_le32(q, IDLE + 512 * 1024 - 16);
    fpy_put_le32(q + 4, 32);
    req(FPY_ROM_SPI_FLASH_MD5, q, sizeof q, 0);
    expect_err(FPY_UPLINK_E_SLOT);
    /* ACCEPT before the trial has booted: not now */
    uint8_t flag[4] = {0};
    req(FPY_ROM_FLASH_END, flag, sizeof flag, 0);
    expect_ok();
    assert_int_equal(T.act, FPY_UPLINK_RESTART);
    fpy_rec r;
    int copy;
    fpy_rec_store st = FPY_REC_STORE_FIPY();
    assert_int_equal(fpy_rec_load(&T.tf->flash, &st, &r, &copy), FPY_OK);
    assert_int_equal(r.mode, FPY_REC_TEST_NEW);
    assert_int_equal(r.bc_cur, 1);
    assert_int_equal(r.bc_last, 0);
    assert_int_equal(r.vm_cur, 0);
    /* the session is over */
    sync_();
    assert_false(T.replied);
}

static void test_the_last_block_verifies_the_hash_and_end_then_commits_nothing(void **state)
{
    (void)state;
    static uint8_t img[8192];
    uint8_t wrong[FPY_SHA256_LEN];
    sync_();
    size_t n = image(2, 3000, img, sizeof img);
    assert_int_equal(fpy_sha256_buf(img, n - 1, wrong), FPY_OK);
    begin(img, (uint32_t)n, IDLE, wrong);
    expect_ok();
    for (uint32_t s = 0; s * 1024u < n; s++) {
        uint32_t k = (uint32_t)n - s * 1024u < 1024u ? (uint32_t)n - s * 1024u : 1024u;
        data(s, img + s * 1024u, k, 0);
    }
    expect_err(FPY_UPLINK_E_HASH);
    uint8_t flag[4] = {0};
    req(FPY_ROM_FLASH_END, flag, sizeof flag, 0);
    expect_ok();
    assert_int_equal(T.act, FPY_UPLINK_CLOSED);
    fpy_rec r;
    int copy;
    fpy_rec_store st = FPY_REC_STORE_FIPY();
    int rc = fpy_rec_load(&T.tf->flash, &st, &r, &copy);
    assert_true(rc == FPY_OK || rc == FPY_ERR_NOTFOUND);
    assert_int_equal(r.mode, FPY_REC_STABLE);
    assert_int_equal(r.bc_cur, 0);
}

static void test_accept_and_unknown_commands(void **state)
{
    (void)state;
    sync_();
    req(FPY_UPLINK_OP_ACCEPT, NULL, 0, 0); /* stable already: nothing to do */
    expect_ok();
    uint8_t x = 1;
    req(FPY_UPLINK_OP_ACCEPT, &x, 1, 0);
    expect_err(FPY_ROM_E_BAD_FORMAT);
    req(FPY_ROM_READ_REG, (const uint8_t *)"\0\0\0\0", 4, 0); /* the ROM's, not the VM's */
    assert_true(T.replied);
    assert_int_equal(T.op, 0);
    expect_err(FPY_ROM_E_BAD_FORMAT);
    /* END without an upload ends the session, nothing else */
    uint64_t before = ops();
    uint8_t flag[4] = {0};
    req(FPY_ROM_FLASH_END, flag, sizeof flag, 0);
    expect_ok();
    assert_int_equal(T.act, FPY_UPLINK_CLOSED);
    assert_int_equal(ops(), before);
    assert_string_equal(fpy_uplink_error_text(FPY_UPLINK_E_ABI),
                        "the bytecode is built for another VM ABI than the board's VM");
    assert_string_equal(fpy_uplink_error_text(0x42), "unknown error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_only_a_sync_in_the_window_opens_a_session, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_the_window_closes_after_3_s_without_sync, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_info_says_what_runs_and_where_the_idle_slot_is,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_begin_refuses_all_but_a_fitting_image_for_the_idle_slot, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_data_checks_checksum_and_order_and_a_repeat_writes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_full_upload_commits_a_trial_of_the_idle_slot,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_the_last_block_verifies_the_hash_and_end_then_commits_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accept_and_unknown_commands, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
