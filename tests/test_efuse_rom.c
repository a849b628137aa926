/*
 * host/efuse_rom over the ROM loader of an in-process virtual board
 * (tests/support/vblink.h): the eFuses read as burnt, a burn in
 * espefuse's sequence that lands in the board's file, a write-protected
 * field refused before anything is written, a read-protected key that
 * reads 0 and is not "checked" after its burn, and the security line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "efuse_rom.h"
#include "fipy/efuse.h"
#include "romclient.h"
#include "testutil.h"
#include "vblink.h"
#include "vboard.h"

#define MS 1000u

typedef struct rig {
    char dir[64], path[96], ef[104];
    fpy_vboard *b;
    fpy_vblink l;
    fpy_romclient c;
} rig;

static void rig_board(rig *r)
{
    char err[256] = "";
    fpy_vboard_cfg cfg = {r->path, 0};
    r->b = fpy_vboard_open(&cfg, err, sizeof err);
    if (r->b == NULL)
        fail_msg("open: %s", err);
    fpy_vboard_jumper(r->b, 1);
    fpy_vboard_reset(r->b, 1000 * MS);
    fpy_vblink_init(&r->l, r->b, 1000 * MS);
    fpy_romc_init(&r->c, fpy_vblink_link(&r->l), 115200);
    assert_int_equal(fpy_romc_sync(&r->c, 5), FPY_OK);
}

static void rig_open(rig *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "/tmp/fpy-efr-XXXXXX");
    assert_non_null(mkdtemp(r->dir));
    snprintf(r->path, sizeof r->path, "%s/flash.bin", r->dir);
    snprintf(r->ef, sizeof r->ef, "%s.efuse", r->path);
    rig_board(r);
}

static void rig_close(rig *r)
{
    fpy_vboard_close(r->b);
    unlink(r->ef);
    unlink(r->path);
    rmdir(r->dir);
}

static void test_read_then_burn_lands_in_the_file(void **state)
{
    (void)state;
    rig r;
    rig_open(&r);
    fpy_efuse e, want;
    assert_int_equal(fpy_efr_read(&r.c, &e), FPY_OK);
    assert_memory_equal(&e, fpy_vboard_efuse(r.b), sizeof e); /* nothing hidden yet */
    char line[200];
    fpy_efr_security_line(&e, line, sizeof line);
    assert_string_equal(line, "flash encryption off (FLASH_CRYPT_CNT 0x0), secure boot off, "
                              "download mode unrestricted");
    memset(&want, 0, sizeof want);
    assert_int_equal(fpy_efuse_burn(&want, FPY_EFUSE_FLASH_CRYPT_CNT, 1, NULL), FPY_OK);
    assert_int_equal(fpy_efuse_burn(&want, FPY_EFUSE_DISABLE_DL_DECRYPT, 1, NULL), FPY_OK);
    assert_int_equal(fpy_efuse_burn(&want, FPY_EFUSE_DISABLE_DL_CACHE, 1, NULL), FPY_OK);
    assert_int_equal(fpy_efuse_burn_secure_version(&want, 4, NULL), FPY_OK);
    assert_int_equal(fpy_efr_burn(&r.c, &want), FPY_OK);
    assert_int_equal(fpy_efr_read(&r.c, &e), FPY_OK);
    fpy_efr_security_line(&e, line, sizeof line);
    assert_string_equal(line, "flash encryption on (FLASH_CRYPT_CNT 0x1), secure boot off, "
                              "download mode no decrypt, no cache");
    assert_int_equal(fpy_efuse_secure_version(&e), 4);
    /* the same again: nothing new, nothing written */
    assert_int_equal(fpy_efr_burn(&r.c, &want), FPY_OK);
    fpy_vboard_close(r.b);
    rig_board(&r); /* reopened from the file */
    assert_int_equal(fpy_efr_read(&r.c, &e), FPY_OK);
    assert_true(fpy_efuse_flash_crypt_on(&e));
    assert_int_equal(fpy_efuse_secure_version(&e), 4);
    rig_close(&r);
}

static void test_protected_fields_refused_before_anything_is_written(void **state)
{
    (void)state;
    rig r;
    rig_open(&r);
    fpy_efuse want;
    memset(&want, 0, sizeof want);
    assert_int_equal(fpy_efuse_burn(&want, FPY_EFUSE_WR_DIS, 1u << 14, NULL), FPY_OK);
    assert_int_equal(fpy_efr_burn(&r.c, &want), FPY_OK);
    /* JTAG_DISABLE is locked now; the secure version asked with it is not
     * burnt either */
    memset(&want, 0, sizeof want);
    assert_int_equal(fpy_efuse_burn(&want, FPY_EFUSE_JTAG_DISABLE, 1, NULL), FPY_OK);
    assert_int_equal(fpy_efuse_burn_secure_version(&want, 1, NULL), FPY_OK);
    fpy_efuse before = *fpy_vboard_efuse(r.b);
    assert_int_equal(fpy_efr_burn(&r.c, &want), FPY_ERR_STATE);
    assert_non_null(strstr(r.c.msg, "JTAG_DISABLE is write-protected (WR_DIS bit 14"));
    assert_memory_equal(fpy_vboard_efuse(r.b), &before, sizeof before);
    rig_close(&r);
}

static void test_a_read_protected_key_reads_zero(void **state)
{
    (void)state;
    rig r;
    rig_open(&r);
    fpy_efuse want, e;
    uint8_t key[32], got[32];
    for (unsigned i = 0; i < 32; i++)
        key[i] = (uint8_t)(0xA0u + i);
    memset(&want, 0, sizeof want);
    assert_int_equal(fpy_efuse_burn_key(&want, 1, key, NULL), FPY_OK);
    /* the key, its read and write protection in one go, as espefuse's
     * burn_key flash_encryption does */
    assert_int_equal(fpy_efuse_burn(&want, FPY_EFUSE_RD_DIS, 1, NULL), FPY_OK);
    assert_int_equal(fpy_efuse_burn(&want, FPY_EFUSE_WR_DIS, 1u << 7, NULL), FPY_OK);
    assert_int_equal(fpy_efr_burn(&r.c, &want), FPY_OK);
    assert_int_equal(fpy_efr_read(&r.c, &e), FPY_OK);
    for (unsigned k = 0; k < 8; k++)
        assert_int_equal(e.w[fpy_efuse_rdata_index(1, k)], 0);
    assert_false(fpy_efuse_is_readable(&e, FPY_EFUSE_BLOCK1));
    assert_int_equal(fpy_efuse_get_key(fpy_vboard_efuse(r.b), 1, got), FPY_OK);
    assert_memory_equal(got, key, 32);
    /* another key over it: refused (BLOCK1 write-protected) */
    key[5] ^= 0xFF;
    memset(&want, 0, sizeof want);
    assert_int_equal(fpy_efuse_burn_key(&want, 1, key, NULL), FPY_OK);
    assert_int_equal(fpy_efr_burn(&r.c, &want), FPY_ERR_STATE);
    assert_non_null(strstr(r.c.msg, "BLOCK1"));
    rig_close(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_then_burn_lands_in_the_file),
        cmocka_unit_test(test_protected_fields_refused_before_anything_is_written),
        cmocka_unit_test(test_a_read_protected_key_reads_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
