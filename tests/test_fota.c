/* The update engine's refusals, the record codec, bytecode images, sfw. */
#include <stdlib.h>
#include <string.h>

#include "fipy/bcimage.h"
#include "fipy/fota.h"
#include "fipy/otadata.h"
#include "fipy/sfw.h"
#include "fixtures.h"
#include "simsys.h"
#include "testutil.h"

typedef struct rig {
    fpy_test_flash *tf;
    const fpy_layout *l;
    fpy_rec_store st;
    fpy_fw_work w;
    fpy_fota u;
    fpy_fota_req q;
    uint8_t vm[160 * 1024], bc[8192];
    size_t vm_len, bc_len;
} rig;

static rig *rig_new(void)
{
    rig *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->tf = fpy_test_flash_new(NULL);
    r->l = fpy_layout_get(FPY_LAYOUT_NONBLE);
    r->st = FPY_REC_STORE_FIPY();
    size_t n = fpy_fix_vm("4.0.0", 1, 30000, r->vm, sizeof r->vm);
    fpy_fix_install(&r->tf->flash, 0x10000, r->vm, n);
    n = fpy_fix_bc(4, 1, 1000, r->bc, sizeof r->bc);
    fpy_fix_install(&r->tf->flash, 0x210000, r->bc, n);
    r->vm_len = fpy_fix_vm("4.1.0", 2, 30000, r->vm, sizeof r->vm);
    r->bc_len = fpy_fix_bc(4, 2, 3000, r->bc, sizeof r->bc);
    assert_int_equal(fpy_fota_req_from_images(&r->q, r->vm, r->vm_len, r->bc, r->bc_len), FPY_OK);
    r->q.vm_slot = 1;
    r->q.bc_slot = 1;
    return r;
}

static void rig_free(rig *r)
{
    fpy_test_flash_free(r->tf);
    free(r);
}

static int send_all(rig *r, uint32_t chunk)
{
    uint32_t off = 0;
    for (size_t i = 0; i < r->vm_len; i += chunk) {
        uint32_t k = (uint32_t)(r->vm_len - i < chunk ? r->vm_len - i : chunk);
        FPY_TRY(fpy_fota_write(&r->u, off, r->vm + i, k, NULL));
        off += k;
    }
    for (size_t i = 0; i < r->bc_len; i += chunk) {
        uint32_t k = (uint32_t)(r->bc_len - i < chunk ? r->bc_len - i : chunk);
        FPY_TRY(fpy_fota_write(&r->u, off, r->bc + i, k, NULL));
        off += k;
    }
    return FPY_OK;
}

static void test_any_chunk_size_lands_the_same_bytes(void **state)
{
    (void)state;
    static const uint32_t chunks[] = {1, 3, 256, 1000, 4096, 70000};
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        rig *r = rig_new();
        assert_int_equal(fpy_fota_begin(&r->u, &r->tf->flash, r->l, &r->st, &r->q, NULL, &r->w, NULL), FPY_OK);
        assert_int_equal(send_all(r, chunks[c]), FPY_OK);
        assert_int_equal(fpy_fota_finish(&r->u, &r->w, NULL), FPY_OK);
        assert_memory_equal(r->tf->mem + 0x110000, r->vm, r->vm_len);
        assert_memory_equal(r->tf->mem + 0x290000, r->bc, r->bc_len);
        assert_int_equal(fpy_fota_commit(&r->u), FPY_OK);
        /* it never touched the running pair's slots */
        assert_int_equal(r->tf->wear[0x10000 / 4096], 1);
        assert_int_equal(r->tf->wear[0x210000 / 4096], 1);
        rig_free(r);
    }
}

static void test_erases_as_it_goes(void **state)
{
    (void)state;
    rig *r = rig_new();
    uint64_t e0 = r->tf->sim.stats.erases; /* before begin: it must not erase ahead */
    assert_int_equal(fpy_fota_begin(&r->u, &r->tf->flash, r->l, &r->st, &r->q, NULL, &r->w, NULL), FPY_OK);
    assert_int_equal(r->tf->sim.stats.erases, e0);
    assert_int_equal(fpy_fota_write(&r->u, 0, r->vm, 4096, NULL), FPY_OK);
    /* one sector's worth of data: at most that sector erased so far */
    assert_true(r->tf->sim.stats.erases - e0 <= 1);
    assert_int_equal(fpy_fota_write(&r->u, 4096, r->vm + 4096, 8192, NULL), FPY_OK);
    assert_true(r->tf->sim.stats.erases - e0 <= 3);
    rig_free(r);
}

static void test_refusals(void **state)
{
    (void)state;
    rig *r = rig_new();
    fpy_diag d;
    fpy_fota_req q = r->q;
    q.vm_slot = 0;
    assert_int_equal(fpy_fota_begin(&r->u, &r->tf->flash, r->l, &r->st, &q, NULL, &r->w, &d), FPY_ERR_STATE);
    assert_string_equal(d.field, "vm_slot");
    q = r->q;
    q.bc_slot = 0;
    assert_int_equal(fpy_fota_begin(&r->u, &r->tf->flash, r->l, &r->st, &q, NULL, &r->w, &d), FPY_ERR_STATE);
    q = r->q;
    q.vm_size = 0x100001; /* larger than the 1 MiB slot */
    assert_int_equal(fpy_fota_begin(&r->u, &r->tf->flash, r->l, &r->st, &q, NULL, &r->w, &d), FPY_ERR_NOSPC);
    q = r->q;
    q.targets = 0;
    assert_int_equal(fpy_fota_begin(&r->u, &r->tf->flash, r->l, &r->st, &q, NULL, &r->w, &d), FPY_ERR_INVAL);

    assert_int_equal(fpy_fota_begin(&r->u, &r->tf->flash, r->l, &r->st, &r->q, NULL, &r->w, &d), FPY_OK);
    assert_int_equal(fpy_fota_write(&r->u, 0, r->vm, 100, &d), FPY_OK);
    uint32_t done, total_decl;
    assert_int_equal(fpy_fota_progress(&r->u, &done, &total_decl), FPY_FOTA_WRITING);
    assert_int_equal(done, 100);
    assert_int_equal(total_decl, r->q.vm_size + r->q.bc_size);
    assert_int_equal(fpy_fota_write(&r->u, 200, r->vm + 200, 100, &d), FPY_ERR_INVAL);
    assert_string_equal(d.what, "chunk out of order");
    assert_int_equal(fpy_fota_write(&r->u, 0, r->vm, 100, &d), FPY_ERR_INVAL); /* replay */
    uint32_t total = r->q.vm_size + r->q.bc_size;
    assert_int_equal(fpy_fota_write(&r->u, 100, r->vm, total, &d), FPY_ERR_RANGE);
    assert_int_equal(fpy_fota_finish(&r->u, &r->w, &d), FPY_ERR_STATE);
    assert_string_equal(d.what, "finish before all bytes arrived");
    assert_int_equal(fpy_fota_commit(&r->u), FPY_ERR_STATE);
    fpy_fota_abort(&r->u);
    assert_int_equal(fpy_fota_write(&r->u, 100, r->vm, 1, &d), FPY_ERR_STATE);
    rig_free(r);
}

static void test_wrong_hash_and_bad_image_refused(void **state)
{
    (void)state;
    rig *r = rig_new();
    fpy_diag d;
    r->q.bc_sha256[0] ^= 1;
    assert_int_equal(fpy_fota_begin(&r->u, &r->tf->flash, r->l, &r->st, &r->q, NULL, &r->w, &d), FPY_OK);
    assert_int_equal(send_all(r, 512), FPY_OK);
    assert_int_equal(fpy_fota_finish(&r->u, &r->w, &d), FPY_ERR_CHECKSUM);
    assert_int_equal(fpy_fota_commit(&r->u), FPY_ERR_STATE);
    rig_free(r);

    r = rig_new();
    r->vm[r->vm_len - 40] ^= 0xFF; /* inside the checksummed data */
    /* the sender's hash matches */
    assert_int_equal(fpy_sha256_buf(r->vm, r->vm_len, r->q.vm_sha256), FPY_OK);
    assert_int_equal(fpy_fota_begin(&r->u, &r->tf->flash, r->l, &r->st, &r->q, NULL, &r->w, &d), FPY_OK);
    assert_int_equal(send_all(r, 512), FPY_OK);
    assert_int_not_equal(fpy_fota_finish(&r->u, &r->w, &d), FPY_OK);
    rig_free(r);
}

static void test_vm_only_update_checks_bytecode_abi(void **state)
{
    (void)state;
    rig *r = rig_new();
    fpy_diag d;
    r->vm_len = fpy_fix_vm("5.0.0", 3, 30000, r->vm, sizeof r->vm);
    r->bc_len = 0;
    assert_int_equal(fpy_fota_req_from_images(&r->q, r->vm, r->vm_len, NULL, 0), FPY_OK);
    r->q.vm_slot = 1;
    /* refused at begin, before anything is erased */
    uint64_t e0 = r->tf->sim.stats.erases, p0 = r->tf->sim.stats.pages_programmed;
    assert_int_equal(fpy_fota_begin(&r->u, &r->tf->flash, r->l, &r->st, &r->q, NULL, &r->w, &d),
                     FPY_ERR_STATE);
    assert_string_equal(d.field, "vm_abi");
    assert_int_equal(r->tf->sim.stats.erases, e0);
    assert_int_equal(r->tf->sim.stats.pages_programmed, p0);
    rig_free(r);
}

/* A device running pair (1,1) whose previous pair (0,0) is the boot-loop
 * guard's fallback; the update targets slots 0. */
static rig *rig_with_prev(void)
{
    rig *r = rig_new();
    fpy_rec rec;
    fpy_rec_default(&rec);
    rec.vm_cur = rec.vm_last = 1;
    rec.bc_cur = rec.bc_last = 1;
    rec.has_prev = 1;
    /* otadata says so too, as fipy leaves it after such a boot */
    assert_int_equal(fpy_fw_mirror(&r->tf->flash, r->st.otadata, 1, FPY_OTA_VALID, 0, &rec),
                     FPY_OK);
    assert_int_equal(fpy_rec_commit(&r->tf->flash, &r->st, &rec), FPY_OK);
    uint8_t *img = malloc(160 * 1024);
    assert_non_null(img);
    size_t n = fpy_fix_vm("4.0.0", 9, 30000, img, 160 * 1024);
    fpy_fix_install(&r->tf->flash, 0x110000, img, n);
    n = fpy_fix_bc(4, 9, 1000, img, 160 * 1024);
    fpy_fix_install(&r->tf->flash, 0x290000, img, n);
    free(img);
    r->q.vm_slot = 0;
    r->q.bc_slot = 0;
    return r;
}

static void test_update_forgets_overwritten_previous_pair(void **state)
{
    (void)state;
    rig *r = rig_with_prev();
    fpy_rec rec;
    assert_int_equal(fpy_fota_begin(&r->u, &r->tf->flash, r->l, &r->st, &r->q, NULL, &r->w, NULL), FPY_OK);
    assert_int_equal(r->u.lost_prev, 1);
    int copy;
    assert_int_equal(fpy_rec_load(&r->tf->flash, &r->st, &rec, &copy), FPY_OK);
    assert_int_equal(rec.has_prev, 0);
    rig_free(r);
}

/* begin() refuses; nothing was written and the record is as it was. */
static void refused_at_begin(rig *r, const fpy_fota_req *q, int want, const char *field)
{
    fpy_diag d = {0};
    uint64_t e0 = r->tf->sim.stats.erases, p0 = r->tf->sim.stats.pages_programmed;
    assert_int_equal(fpy_fota_begin(&r->u, &r->tf->flash, r->l, &r->st, q, NULL, &r->w, &d), want);
    assert_non_null(d.what);
    if (field != NULL)
        assert_string_equal(d.field, field);
    assert_int_equal(r->tf->sim.stats.erases, e0);
    assert_int_equal(r->tf->sim.stats.pages_programmed, p0);
    fpy_rec rec;
    int copy;
    assert_int_equal(fpy_rec_load(&r->tf->flash, &r->st, &rec, &copy), FPY_OK);
    assert_int_equal(rec.has_prev, 1);
    assert_int_equal(rec.vm_cur, 1);
    assert_int_equal(rec.mode, FPY_REC_STABLE);
}

static void test_refused_update_keeps_the_previous_pair(void **state)
{
    (void)state;
    rig *r = rig_with_prev();
    fpy_fota_req q = r->q;
    q.vm_head[FPY_IMAGE_OFF_HASH_APPENDED] = 0; /* a VM without its SHA-256 */
    refused_at_begin(r, &q, FPY_ERR_UNSUPPORTED, "hash_appended");
    q = r->q;
    q.vm_head[0] = 0x7F; /* not an ESP32 image */
    refused_at_begin(r, &q, FPY_ERR_CORRUPT, "magic");
    q = r->q;
    q.vm_head[FPY_IMAGE_OFF_CHIP_ID] = 2; /* another chip */
    refused_at_begin(r, &q, FPY_ERR_UNSUPPORTED, "chip_id");
    q = r->q;
    q.vm_head[FPY_IMAGE_APP_DESC_IMAGE_OFF] ^= 1; /* app description magic */
    refused_at_begin(r, &q, FPY_ERR_CORRUPT, NULL);
    q = r->q;
    q.vm_size = 200; /* shorter than the head */
    refused_at_begin(r, &q, FPY_ERR_TRUNCATED, "size");
    q = r->q;
    fpy_fota_req_head(&q, FPY_FOTA_BC, r->vm, r->vm_len); /* an app image as bytecode */
    refused_at_begin(r, &q, FPY_ERR_CORRUPT, "magic");
    q = r->q;
    q.bc_size += 1; /* the header declares another size */
    refused_at_begin(r, &q, FPY_ERR_CORRUPT, "payload_len");
    q = r->q;
    r->bc_len = fpy_fix_bc(5, 2, 3000, r->bc, sizeof r->bc); /* for another ABI */
    fpy_fota_req_head(&q, FPY_FOTA_BC, r->bc, r->bc_len);
    refused_at_begin(r, &q, FPY_ERR_STATE, "vm_abi");
    /* bytecode alone for another ABI than the running VM's */
    assert_int_equal(fpy_fota_req_from_images(&q, NULL, 0, r->bc, r->bc_len), FPY_OK);
    refused_at_begin(r, &q, FPY_ERR_STATE, "vm_abi");
    rig_free(r);
}

static void test_stream_must_match_the_head(void **state)
{
    (void)state;
    rig *r = rig_new();
    fpy_diag d = {0};
    assert_int_equal(fpy_fota_begin(&r->u, &r->tf->flash, r->l, &r->st, &r->q, NULL, &r->w, &d),
                     FPY_OK);
    assert_int_equal(fpy_fota_write(&r->u, 0, r->vm, 100, &d), FPY_OK);
    uint8_t x[100];
    memcpy(x, r->vm + 100, sizeof x);
    x[50] ^= 1; /* byte 150: inside the app description */
    assert_int_equal(fpy_fota_write(&r->u, 100, x, sizeof x, &d), FPY_ERR_CORRUPT);
    assert_string_equal(d.field, "head");
    assert_int_equal(fpy_fota_progress(&r->u, &(uint32_t){0}, &(uint32_t){0}), FPY_FOTA_IDLE);
    rig_free(r);
}

/* A streaming update that fails its final check writes nothing more: the
 * record stays as begin() left it, and lost_prev says what it cost. */
static void test_final_check_failure_says_what_was_lost(void **state)
{
    (void)state;
    rig *r = rig_with_prev();
    fpy_diag d = {0};
    r->bc[FPY_BC_HEADER_LEN + 10] ^= 0xFF; /* payload no longer matches its SHA-256 */
    assert_int_equal(fpy_sha256_buf(r->bc, r->bc_len, r->q.bc_sha256), FPY_OK);
    assert_int_equal(fpy_fota_begin(&r->u, &r->tf->flash, r->l, &r->st, &r->q, NULL, &r->w, &d),
                     FPY_OK);
    assert_int_equal(r->u.lost_prev, 1);
    assert_int_equal(send_all(r, 1000), FPY_OK);
    assert_int_equal(fpy_fota_finish(&r->u, &r->w, &d), FPY_ERR_CHECKSUM);
    fpy_rec rec;
    int copy;
    assert_int_equal(fpy_rec_load(&r->tf->flash, &r->st, &rec, &copy), FPY_OK);
    assert_int_equal(rec.mode, FPY_REC_STABLE);
    assert_int_equal(rec.vm_cur, 1);
    assert_int_equal(rec.bc_cur, 1);
    assert_int_equal(rec.has_prev, 0);
    rig_free(r);
}

static void test_record_codec(void **state)
{
    (void)state;
    fpy_rec a, b;
    uint8_t raw[FPY_REC_LEN];
    fpy_rec_default(&a);
    memset(&b, 0, sizeof b);
    a.seq = 7;
    a.vm_cur = 1;
    a.bc_last = 1;
    a.mode = FPY_REC_TEST_BOOTED;
    a.boot_count = 3;
    a.has_prev = 1;
    a.bc_prev = 1;
    a.flags = FPY_REC_F_STABLE_RUN;
    a.reason = 9;
    fpy_rec_encode(&a, raw);
    assert_int_equal(raw[0], 'F');
    assert_int_equal(raw[3], 'C');
    assert_int_equal(fpy_rec_decode(raw, &b), FPY_OK);
    assert_memory_equal(&a, &b, sizeof a);
    raw[9] ^= 1;
    assert_int_equal(fpy_rec_decode(raw, &b), FPY_ERR_CORRUPT); /* CRC */
    raw[9] ^= 1;
    a.mode = 3; /* impossible but CRC-valid */
    fpy_rec_encode(&a, raw);
    assert_int_equal(fpy_rec_decode(raw, &b), FPY_ERR_CORRUPT);
    memset(raw, 0xFF, sizeof raw);
    assert_int_equal(fpy_rec_decode(raw, &b), FPY_ERR_NOTFOUND);
}

static void test_bytecode_header(void **state)
{
    (void)state;
    uint8_t img[256], payload[100];
    fpy_bc_header h;
    fpy_diag d;
    memset(payload, 0x42, sizeof payload);
    assert_int_equal(fpy_bc_build(7, 9, payload, sizeof payload, img, sizeof img), FPY_OK);
    assert_memory_equal(img, "FBC1", 4);
    assert_int_equal(fpy_bc_header_decode(img, 1000, &h, &d), FPY_OK);
    assert_int_equal(h.vm_abi, 7);
    assert_int_equal(h.security_version, 9);
    assert_int_equal(h.payload_len, 100);
    assert_int_equal(fpy_bc_header_decode(img, 99, &h, &d), FPY_ERR_RANGE);
    img[0x0C] ^= 1;
    assert_int_equal(fpy_bc_header_decode(img, 1000, &h, &d), FPY_ERR_CORRUPT);
    assert_string_equal(d.field, "header_crc");
    img[0x0C] ^= 1;
    img[0] = 'X';
    assert_int_equal(fpy_bc_header_decode(img, 1000, &h, &d), FPY_ERR_CORRUPT);
    assert_string_equal(d.field, "magic");
    memset(img, 0xFF, FPY_BC_HEADER_LEN);
    assert_int_equal(fpy_bc_header_decode(img, 1000, &h, &d), FPY_ERR_NOTFOUND);
    assert_int_equal(fpy_bc_build(1, 0, payload, 200, img, sizeof img), FPY_ERR_NOSPC);

    /* a whole file in memory: exact length, SHA-256, ABI */
    uint32_t abi = 7, other = 8;
    size_t len = FPY_BC_HEADER_LEN + sizeof payload;
    assert_int_equal(fpy_bc_build(7, 0, payload, sizeof payload, img, sizeof img), FPY_OK);
    assert_int_equal(fpy_bc_verify_mem(img, len, &abi, &h, &d), FPY_OK);
    assert_int_equal(fpy_bc_verify_mem(img, len, &other, &h, &d), FPY_ERR_STATE);
    assert_int_equal(fpy_bc_verify_mem(img, len + 1, NULL, &h, &d), FPY_ERR_CORRUPT);
    assert_string_equal(d.field, "payload_len");
    /* a file cut short is truncated (not "larger than the slot"): the
     * header's payload length, and what the file holds */
    assert_int_equal(fpy_bc_verify_mem(img, len - 1, NULL, &h, &d), FPY_ERR_TRUNCATED);
    assert_string_equal(d.field, "payload_len");
    assert_non_null(strstr(d.what, "truncated"));
    assert_int_equal(d.expected, sizeof payload);
    assert_int_equal(d.found, sizeof payload - 1);
    assert_int_equal(fpy_bc_verify_mem(img, 100, NULL, &h, &d), FPY_ERR_TRUNCATED);
    img[len - 1] ^= 1;
    assert_int_equal(fpy_bc_verify_mem(img, len, NULL, &h, &d), FPY_ERR_CHECKSUM);
}

static void test_sfw_watchdog_semantics(void **state)
{
    (void)state;
    fpy_simsys ss;
    fpy_sys sys;
    fpy_simsys_init(&ss, &sys);
    assert_int_equal(fpy_sfw_watchdog(&sys, 100, 1000), FPY_ERR_UNSUPPORTED); /* no window */
    assert_int_equal(fpy_sfw_watchdog(&sys, 0, 0), FPY_ERR_INVAL);
    assert_int_equal(fpy_sfw_watchdog(&sys, 0, 0x80000001u), FPY_ERR_INVAL);
    assert_int_equal(fpy_sfw_kick(&sys), FPY_ERR_STATE); /* not started */
    assert_int_equal(fpy_sfw_watchdog(&sys, 0, 1000), FPY_OK);
    for (int i = 0; i < 10; i++) {
        assert_false(fpy_simsys_advance(&ss, 900));
        assert_int_equal(fpy_sfw_kick(&sys), FPY_OK);
    }
    assert_true(fpy_simsys_advance(&ss, 1000));
    fpy_simsys_reset(&ss, FPY_RESET_WATCHDOG);
    assert_true(fpy_sfw_watchdog_triggered(&sys));
    fpy_simsys_reset(&ss, FPY_RESET_RESET);
    assert_false(fpy_sfw_watchdog_triggered(&sys));
    assert_string_equal(fpy_sfw_reset_name(FPY_RESET_TIMEOUT), "timeout");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_any_chunk_size_lands_the_same_bytes),
        cmocka_unit_test(test_erases_as_it_goes),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_wrong_hash_and_bad_image_refused),
        cmocka_unit_test(test_vm_only_update_checks_bytecode_abi),
        cmocka_unit_test(test_update_forgets_overwritten_previous_pair),
        cmocka_unit_test(test_refused_update_keeps_the_previous_pair),
        cmocka_unit_test(test_stream_must_match_the_head),
        cmocka_unit_test(test_final_check_failure_says_what_was_lost),
        cmocka_unit_test(test_record_codec),
        cmocka_unit_test(test_bytecode_header),
        cmocka_unit_test(test_sfw_watchdog_semantics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
