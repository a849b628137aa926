/*
 * The protected board's rule (lib/sec) at boot and at update: unsigned,
 * wrongly signed, damaged and older images are refused, the boot falls
 * back as for any image that does not verify, and the anti-rollback
 * floors move only when a pair is accepted.
 */
#include <stdlib.h>
#include <string.h>

#include "fipy/boot.h"
#include "fipy/fota.h"
#include "fipy/sec.h"
#include "fixtures.h"
#include "simsys.h"
#include "testutil.h"

#define IMG_CAP (160u * 1024u)

/* The platform's anti-rollback eFuse, in memory: one way. */
typedef struct efuse {
    uint32_t floor;
    int fail_next_raise; /* the power goes during the next burn */
    unsigned raises;
} efuse;

static int ef_get(void *ctx, uint32_t *v)
{
    *v = ((efuse *)ctx)->floor;
    return FPY_OK;
}

static int ef_raise(void *ctx, uint32_t v)
{
    efuse *e = ctx;
    if (e->fail_next_raise) {
        e->fail_next_raise = 0;
        return FPY_ERR_POWERLOSS;
    }
    assert_true(v > e->floor); /* lib/sec never asks to lower it */
    e->floor = v;
    e->raises++;
    return FPY_OK;
}

static const fpy_sec_ops ef_ops = {ef_get, ef_raise};

typedef struct dev {
    fpy_test_flash *tf;
    const fpy_layout *l;
    fpy_simsys ss;
    fpy_sys sys;
    fpy_boot_cfg cfg;
    fpy_fw_work w;
    fpy_boot_result res;
    efuse ef;
    uint8_t pub[64];
    fpy_sec sec;
    uint8_t img[IMG_CAP];
    size_t len;
} dev;

static uint32_t area(dev *v, fpy_area_kind k, unsigned i)
{
    return fpy_layout_area(v->l, k, i)->offset;
}

/* Images into v->img: a VM / bytecode with a security version, signed
 * with the device's key (sign 1), another key (2), or not (0). */
static void mk_vm(dev *v, const char *ver, uint32_t secver, uint32_t seed, int sign)
{
    v->len = fpy_fix_vm_sv(ver, secver, seed, 30000, v->img, IMG_CAP);
    if (sign == 1)
        v->len = fpy_fix_sign(v->img, v->len, IMG_CAP, NULL);
    else if (sign == 2)
        v->len = fpy_fix_sign_other(v->img, v->len, IMG_CAP);
}

static void mk_bc(dev *v, uint32_t secver, uint32_t seed, int sign)
{
    v->len = fpy_fix_bc_sv(2, secver, seed, 3000, v->img, IMG_CAP);
    if (sign == 1)
        v->len = fpy_fix_sign(v->img, v->len, IMG_CAP, NULL);
    else if (sign == 2)
        v->len = fpy_fix_sign_other(v->img, v->len, IMG_CAP);
}

static void put(dev *v, fpy_area_kind k, unsigned slot)
{
    fpy_fix_install(&v->tf->flash, area(v, k, slot), v->img, v->len);
}

static int boot(dev *v)
{
    fpy_simsys_reset(&v->ss, FPY_RESET_RESET);
    return fpy_boot_run(&v->tf->flash, &v->sys, &v->cfg, &v->w, &v->res);
}

/* A protected device running VM 2.0.0 (secure_version 1) and bytecode
 * version 1, both signed, in slots 0. */
static dev *dev_new(void)
{
    dev *v = calloc(1, sizeof *v);
    assert_non_null(v);
    v->tf = fpy_test_flash_new(NULL);
    v->l = fpy_layout_get(FPY_LAYOUT_NONBLE);
    fpy_simsys_init(&v->ss, &v->sys);
    uint8_t probe[200];
    size_t n = fpy_fix_bc(2, 9, 10, probe, sizeof probe);
    fpy_fix_sign(probe, n, sizeof probe, v->pub);
    v->sec = (fpy_sec){v->pub, 1, &ef_ops, &v->ef};
    v->cfg.layout = v->l;
    v->cfg.store = FPY_REC_STORE_FIPY();
    v->cfg.sec = &v->sec;
    mk_vm(v, "2.0.0", 1, 1, 1);
    put(v, FPY_AREA_VM_SLOT, 0);
    mk_bc(v, 1, 1, 1);
    put(v, FPY_AREA_BC_SLOT, 0);
    return v;
}

static void dev_free(dev *v)
{
    fpy_test_flash_free(v->tf);
    free(v);
}

static void test_signed_pair_boots_and_sets_floors(void **s)
{
    (void)s;
    dev *v = dev_new();
    assert_int_equal(boot(v), FPY_OK);
    assert_int_equal(v->res.status, FPY_PAIR_OK);
    assert_true(v->res.run_bytecode);
    assert_int_equal(v->res.diag_rc, FPY_OK);
    /* a fresh device running a STABLE pair: the floors catch up */
    assert_int_equal(v->ef.floor, 1);
    assert_int_equal(v->res.rec.bc_floor, 1);
    dev_free(v);
}

/* Unsigned, other key, a flipped byte in the image or its block: each VM
 * in slot 0 is refused, the boot falls back to the signed VM in slot 1. */
static void test_bad_vm_falls_back(void **s)
{
    (void)s;
    static const struct {
        int sign;
        long flip; /* offset from the end (negative) or start; 0: none */
        int rc;
        const char *what;
    } cases[] = {
        {0, 0, FPY_ERR_SIGNATURE, "not signed"},
        {2, 0, FPY_ERR_SIGNATURE, "signature does not verify"},
        {1, -10, FPY_ERR_SIGNATURE, "signature does not verify"},  /* in s */
        {1, -60, FPY_ERR_SIGNATURE, "signature does not verify"},  /* in r */
        {1, -68, FPY_ERR_UNSUPPORTED, "version"},                /* the block's version */
        {1, 0x30, FPY_ERR_CHECKSUM, NULL},                       /* app desc: image digest */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dev *v = dev_new();
        mk_vm(v, "2.0.1", 1, 7, 1);
        put(v, FPY_AREA_VM_SLOT, 1);
        mk_vm(v, "2.0.0", 1, 1, cases[i].sign);
        if (cases[i].flip != 0) {
            size_t at = cases[i].flip < 0 ? v->len - (size_t)(-cases[i].flip) : (size_t)cases[i].flip;
            v->img[at] ^= 0x01;
        }
        put(v, FPY_AREA_VM_SLOT, 0);
        assert_int_equal(boot(v), FPY_OK);
        assert_int_equal(v->res.vm_slot, 1);
        assert_int_equal(v->res.row->action, FPY_BOOT_FALLBACK);
        assert_int_equal(v->res.diag_rc, cases[i].rc);
        assert_string_equal(v->res.diag_what, "VM slot 0");
        if (cases[i].what != NULL)
            assert_non_null(strstr(v->res.diag.what, cases[i].what));
        dev_free(v);
    }
}

/* Nothing signed at all: nothing boots; the same flash unprotected boots. */
static void test_unsigned_only_halts(void **s)
{
    (void)s;
    dev *v = dev_new();
    mk_vm(v, "2.0.0", 1, 1, 0);
    put(v, FPY_AREA_VM_SLOT, 0);
    assert_int_equal(boot(v), FPY_ERR_NOTFOUND);
    assert_int_equal(v->res.row->action, FPY_BOOT_NONE);
    v->cfg.sec = NULL;
    assert_int_equal(boot(v), FPY_OK);
    dev_free(v);
}

/* Unsigned or wrongly signed bytecode is not run; the VM starts alone. */
static void test_bad_bytecode_not_run(void **s)
{
    (void)s;
    for (int sign = 0; sign <= 2; sign += 2) {
        dev *v = dev_new();
        mk_bc(v, 1, 1, sign);
        put(v, FPY_AREA_BC_SLOT, 0);
        assert_int_equal(boot(v), FPY_OK);
        assert_int_equal(v->res.vm_slot, 0);
        assert_false(v->res.run_bytecode);
        assert_int_equal(v->res.status, FPY_PAIR_BCBAD);
        assert_int_equal(v->res.diag_rc, FPY_ERR_SIGNATURE);
        assert_string_equal(v->res.diag_what, "bytecode slot 0");
        assert_non_null(strstr(v->res.diag.what, sign == 0 ? "not signed" : "does not verify"));
        dev_free(v);
    }
}

/* Older than the floors: refused at boot with the versions named. */
static void test_downgrade_refused_at_boot(void **s)
{
    (void)s;
    dev *v = dev_new();
    v->ef.floor = 2;
    mk_vm(v, "2.0.1", 2, 7, 1);
    put(v, FPY_AREA_VM_SLOT, 1);
    assert_int_equal(boot(v), FPY_OK);
    assert_int_equal(v->res.vm_slot, 1);
    assert_int_equal(v->res.diag_rc, FPY_ERR_ROLLBACK);
    assert_string_equal(v->res.diag.field, "secure_version");
    assert_int_equal(v->res.diag.expected, 2);
    assert_int_equal(v->res.diag.found, 1);

    /* the bytecode floor lives in the record */
    fpy_rec r = v->res.rec;
    r.bc_floor = 5;
    assert_int_equal(fpy_rec_commit(&v->tf->flash, &v->cfg.store, &r), FPY_OK);
    assert_int_equal(boot(v), FPY_OK);
    assert_false(v->res.run_bytecode);
    assert_int_equal(v->res.diag_rc, FPY_ERR_ROLLBACK);
    assert_string_equal(v->res.diag.field, "security_version");
    assert_int_equal(v->res.rec.bc_floor, 5); /* never lowered */
    dev_free(v);
}

/* An update of the bytecode through the engine, in one go. */
static int update_bc(dev *v, fpy_diag *d)
{
    fpy_fota u;
    fpy_fota_req q;
    FPY_TRY(fpy_fota_req_from_images(&q, NULL, 0, v->img, v->len));
    q.bc_slot = 1;
    FPY_TRY(fpy_fota_begin(&u, &v->tf->flash, v->l, &v->cfg.store, &q, &v->sec, &v->w, d));
    FPY_TRY(fpy_fota_write(&u, 0, v->img, (uint32_t)v->len, d));
    FPY_TRY(fpy_fota_finish(&u, &v->w, d));
    return fpy_fota_commit(&u);
}

static uint32_t first_word(dev *v, uint32_t addr)
{
    uint8_t b[4];
    assert_int_equal(fpy_flash_read(&v->tf->flash, addr, b, 4), FPY_OK);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* The update engine: an unsigned or older head is refused before any
 * erase (the target slot keeps what it had); a wrongly signed image is
 * refused at finish and never attempted. */
static void test_update_refusals(void **s)
{
    (void)s;
    dev *v = dev_new();
    assert_int_equal(boot(v), FPY_OK);
    uint32_t slot1 = area(v, FPY_AREA_BC_SLOT, 1);
    fpy_fix_install(&v->tf->flash, slot1, (const uint8_t *)"KEEP", 4);
    fpy_diag d = {0};

    mk_bc(v, 2, 3, 0);
    assert_int_equal(update_bc(v, &d), FPY_ERR_SIGNATURE);
    assert_non_null(strstr(d.what, "not signed"));
    assert_int_equal(first_word(v, slot1), 0x5045454Bu); /* "KEEP": nothing erased */

    assert_int_equal(fpy_rec_load(&v->tf->flash, &v->cfg.store, &v->res.rec, &(int){0}), FPY_OK);
    mk_bc(v, 0, 3, 1);
    memset(&d, 0, sizeof d);
    assert_int_equal(update_bc(v, &d), FPY_ERR_ROLLBACK);
    assert_string_equal(d.field, "security_version");
    assert_int_equal(first_word(v, slot1), 0x5045454Bu);

    mk_bc(v, 2, 3, 2);
    memset(&d, 0, sizeof d);
    assert_int_equal(update_bc(v, &d), FPY_ERR_SIGNATURE);
    assert_non_null(strstr(d.what, "does not verify"));
    fpy_rec r;
    assert_int_equal(fpy_rec_load(&v->tf->flash, &v->cfg.store, &r, &(int){0}), FPY_OK);
    assert_int_equal(r.mode, FPY_REC_STABLE); /* not attempted */
    assert_int_equal(r.bc_cur, 0);

    /* a VM head older than the eFuse floor */
    mk_vm(v, "2.0.5", 0, 3, 1);
    fpy_fota u;
    fpy_fota_req q;
    assert_int_equal(fpy_fota_req_from_images(&q, v->img, v->len, NULL, 0), FPY_OK);
    q.vm_slot = 1;
    memset(&d, 0, sizeof d);
    assert_int_equal(fpy_fota_begin(&u, &v->tf->flash, v->l, &v->cfg.store, &q, &v->sec,
                                    &v->w, &d),
                     FPY_ERR_ROLLBACK);
    assert_string_equal(d.field, "secure_version");
    dev_free(v);
}

/* The floors move at accept, not at the trial; the old signed image is
 * then refused when replayed; a cut between the record write and the
 * eFuse burn is caught up by the next boot. */
static void test_floors_move_at_accept_only(void **s)
{
    (void)s;
    dev *v = dev_new();
    assert_int_equal(boot(v), FPY_OK);
    uint8_t old[8192];
    mk_bc(v, 1, 1, 1);
    memcpy(old, v->img, v->len);
    size_t old_len = v->len;

    mk_bc(v, 3, 4, 1);
    assert_int_equal(update_bc(v, NULL), FPY_OK);
    assert_int_equal(boot(v), FPY_OK); /* the trial */
    assert_true(v->res.test_mode);
    assert_int_equal(v->res.bc_slot, 1);
    assert_int_equal(v->res.rec.bc_floor, 1);
    assert_int_equal(v->ef.floor, 1);
    assert_int_equal(fpy_fota_accept(&v->tf->flash, &v->cfg.store, v->l, &v->sec), FPY_OK);
    fpy_rec r;
    assert_int_equal(fpy_rec_load(&v->tf->flash, &v->cfg.store, &r, &(int){0}), FPY_OK);
    assert_int_equal(r.bc_floor, 3);

    /* the old signed image, replayed into the idle slot 0 */
    memcpy(v->img, old, old_len);
    v->len = old_len;
    fpy_fota u;
    fpy_fota_req q;
    fpy_diag d = {0};
    assert_int_equal(fpy_fota_req_from_images(&q, NULL, 0, v->img, v->len), FPY_OK);
    q.bc_slot = 0;
    assert_int_equal(fpy_fota_begin(&u, &v->tf->flash, v->l, &v->cfg.store, &q, &v->sec,
                                    &v->w, &d),
                     FPY_ERR_ROLLBACK);
    /* and planted by hand, the boot does not run it either */
    put(v, FPY_AREA_BC_SLOT, 0);
    r.bc_cur = 0;
    assert_int_equal(fpy_rec_commit(&v->tf->flash, &v->cfg.store, &r), FPY_OK);
    assert_int_equal(boot(v), FPY_OK);
    assert_int_equal(v->res.diag_rc, FPY_ERR_ROLLBACK);
    assert_false(v->res.bc_slot == 0 && v->res.run_bytecode);
    dev_free(v);
}

static void test_vm_floor_caught_up_after_cut(void **s)
{
    (void)s;
    dev *v = dev_new();
    assert_int_equal(boot(v), FPY_OK);
    mk_vm(v, "2.1.0", 4, 5, 1);
    fpy_fota u;
    fpy_fota_req q;
    assert_int_equal(fpy_fota_req_from_images(&q, v->img, v->len, NULL, 0), FPY_OK);
    q.vm_slot = 1;
    assert_int_equal(fpy_fota_begin(&u, &v->tf->flash, v->l, &v->cfg.store, &q, &v->sec,
                                    &v->w, NULL),
                     FPY_OK);
    assert_int_equal(fpy_fota_write(&u, 0, v->img, (uint32_t)v->len, NULL), FPY_OK);
    assert_int_equal(fpy_fota_finish(&u, &v->w, NULL), FPY_OK);
    assert_int_equal(fpy_fota_commit(&u), FPY_OK);
    assert_int_equal(boot(v), FPY_OK);
    assert_int_equal(v->res.vm_slot, 1);
    assert_int_equal(v->ef.floor, 1); /* a trial burns nothing */
    v->ef.fail_next_raise = 1;
    assert_int_equal(fpy_fota_accept(&v->tf->flash, &v->cfg.store, v->l, &v->sec),
                     FPY_ERR_POWERLOSS);
    assert_int_equal(v->ef.floor, 1);
    assert_int_equal(boot(v), FPY_OK); /* the accepted pair, STABLE */
    assert_int_equal(v->res.vm_slot, 1);
    assert_false(v->res.test_mode);
    assert_int_equal(v->ef.floor, 4);
    /* VM 2.0.0 (version 1) in slot 0 no longer boots, even as a fallback */
    uint32_t vm1 = area(v, FPY_AREA_VM_SLOT, 1);
    v->tf->mem[vm1 + 0x100] ^= 0x01;
    assert_int_equal(boot(v), FPY_ERR_NOTFOUND);
    dev_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signed_pair_boots_and_sets_floors),
        cmocka_unit_test(test_bad_vm_falls_back),
        cmocka_unit_test(test_unsigned_only_halts),
        cmocka_unit_test(test_bad_bytecode_not_run),
        cmocka_unit_test(test_downgrade_refused_at_boot),
        cmocka_unit_test(test_update_refusals),
        cmocka_unit_test(test_floors_move_at_accept_only),
        cmocka_unit_test(test_vm_floor_caught_up_after_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
