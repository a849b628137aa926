/* otadata: ESP-IDF's bytes, selection rules, rollback states, power loss. */
#include <stdio.h>
#include <string.h>

#include "fipy/otadata.h"
#include "powerloss.h"
#include "testutil.h"

#define OD 0xD000u

static const fpy_flash_geometry geo = {0x20000u, 4096u, 256u, 4u};

static void expect_sector(fpy_test_flash *tf, unsigned idx, const char *hex32)
{
    uint8_t want[32], got[FPY_OTADATA_SECTOR];
    assert_int_equal(fpy_test_unhex(hex32, want, sizeof want), 32);
    assert_int_equal(fpy_flash_read(&tf->flash, OD + idx * 0x1000u, got, sizeof got), FPY_OK);
    assert_memory_equal(got, want, 32);
    for (size_t i = 32; i < sizeof got; i++)
        assert_int_equal(got[i], 0xFF);
}

/* The fact sheet's worked example (ESP-IDF's esp_ota_set_boot_partition
 * on blank otadata, rollback off). */
static void test_set_boot_bytes_match_esp_idf(void **state)
{
    (void)state;
    fpy_test_flash *tf = fpy_test_flash_new(&geo);
    assert_int_equal(fpy_otadata_set_boot(&tf->flash, OD, 0, 2, 0), FPY_OK);
    expect_sector(tf, 0, "01000000 ffffffffffffffffffffffffffffffffffffffff ffffffff 9a984347");
    assert_int_equal(fpy_otadata_set_boot(&tf->flash, OD, 1, 2, 0), FPY_OK);
    expect_sector(tf, 1, "02000000 ffffffffffffffffffffffffffffffffffffffff ffffffff 7437f655");
    fpy_otadata od;
    assert_int_equal(fpy_otadata_read(&tf->flash, OD, &od), FPY_OK);
    assert_int_equal(fpy_otadata_active(&od), 1);
    assert_int_equal(fpy_otadata_slot(od.e[1].seq, 2), 1);
    fpy_test_flash_free(tf);
}

static void test_crc_covers_seq_only(void **state)
{
    (void)state;
    assert_int_equal(fpy_otadata_crc(1), 0x4743989Au);
    assert_int_equal(fpy_otadata_crc(2), 0x55F63774u);
    assert_int_equal(fpy_otadata_crc(3), 0xED4A5011u);
    assert_int_equal(fpy_otadata_crc(4), 0x709D68A8u);
    fpy_ota_entry e = {3, {0}, FPY_OTA_VALID, 0xED4A5011u};
    assert_true(fpy_otadata_is_valid(&e));
    e.state = 0x12345678u; /* not covered by the CRC: still valid */
    assert_true(fpy_otadata_is_valid(&e));
    e.crc ^= 1;
    assert_false(fpy_otadata_is_valid(&e));
    assert_false(fpy_otadata_is_valid_otatool(&e));
}

static fpy_ota_entry entry(uint32_t seq, uint32_t st)
{
    fpy_ota_entry e;
    e.seq = seq;
    memset(e.label, 0xFF, sizeof e.label);
    e.state = st;
    e.crc = fpy_otadata_crc(seq);
    return e;
}

static void test_active_entry_rules(void **state)
{
    (void)state;
    fpy_otadata od = {{entry(5, FPY_OTA_VALID), entry(6, FPY_OTA_VALID)}};
    assert_int_equal(fpy_otadata_active(&od), 1);
    od.e[1].seq = 5;
    od.e[1].crc = fpy_otadata_crc(5);
    assert_int_equal(fpy_otadata_active(&od), 0); /* tie: entry 0 */
    od = (fpy_otadata){{entry(5, FPY_OTA_VALID), entry(6, FPY_OTA_ABORTED)}};
    assert_int_equal(fpy_otadata_active(&od), 0);
    /* otatool ignores the state: entry 1 wins there. */
    assert_int_equal(fpy_otadata_active_otatool(&od), 1);
    od.e[0].state = FPY_OTA_INVALID;
    assert_int_equal(fpy_otadata_active(&od), -1);
    od = (fpy_otadata){{entry(0xFFFFFFFFu, FPY_OTA_VALID), entry(2, FPY_OTA_UNDEFINED)}};
    assert_int_equal(fpy_otadata_active(&od), 1);
    assert_int_equal(fpy_otadata_slot(7, 2), 0);
    assert_int_equal(fpy_otadata_slot(8, 2), 1);
}

static void test_seq_formula(void **state)
{
    (void)state;
    /* (slot+1)%n + i*n, smallest not below the active seq. */
    static const struct { uint32_t cur; unsigned slot, n; uint32_t want; } cases[] = {
        {1, 1, 2, 2}, {2, 0, 2, 3}, {2, 1, 2, 2}, {3, 0, 2, 3}, {3, 1, 2, 4},
        {1, 2, 3, 3}, {5, 0, 3, 7}, {5, 1, 3, 5}, {100, 1, 2, 100},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fpy_otadata od = {{entry(cases[i].cur, FPY_OTA_VALID), entry(0xFFFFFFFFu, 0)}};
        od.e[1].crc = 0xFFFFFFFFu;
        unsigned idx;
        fpy_ota_entry e;
        assert_int_equal(fpy_otadata_plan_set_boot(&od, cases[i].slot, cases[i].n, 1, &idx, &e),
                         FPY_OK);
        assert_int_equal(e.seq, cases[i].want);
        assert_int_equal(idx, 1);
        assert_int_equal(e.state, FPY_OTA_NEW);
        assert_int_equal(fpy_otadata_slot(e.seq, cases[i].n), cases[i].slot);
    }
    fpy_otadata blank;
    memset(&blank, 0xFF, sizeof blank);
    unsigned idx;
    fpy_ota_entry e;
    assert_int_equal(fpy_otadata_plan_set_boot(&blank, 1, 2, 0, &idx, &e), FPY_OK);
    assert_int_equal(idx, 0);
    assert_int_equal(e.seq, 2);
    assert_int_equal(e.state, FPY_OTA_UNDEFINED);
    assert_int_equal(fpy_otadata_plan_set_boot(&blank, 2, 2, 0, &idx, &e), FPY_ERR_INVAL);
}

/* Rollback, as ESP-IDF's bootloader does it: NEW -> PENDING_VERIFY on the
 * test boot; a reset before confirmation -> ABORTED, previous app boots. */
static void test_rollback_cycle(void **state)
{
    (void)state;
    fpy_test_flash *tf = fpy_test_flash_new(&geo);
    unsigned slot;
    int blank;
    assert_int_equal(fpy_otadata_boot_select(&tf->flash, OD, 2, &slot, &blank), FPY_OK);
    assert_true(blank);
    assert_int_equal(fpy_otadata_init_valid(&tf->flash, OD, slot), FPY_OK);

    assert_int_equal(fpy_otadata_set_boot(&tf->flash, OD, 1, 2, 1), FPY_OK);
    assert_int_equal(fpy_otadata_boot_select(&tf->flash, OD, 2, &slot, &blank), FPY_OK);
    assert_int_equal(slot, 1);
    fpy_otadata od;
    assert_int_equal(fpy_otadata_read(&tf->flash, OD, &od), FPY_OK);
    assert_int_equal(od.e[1].state, FPY_OTA_PENDING_VERIFY);
    /* reset without confirmation */
    assert_int_equal(fpy_otadata_boot_select(&tf->flash, OD, 2, &slot, &blank), FPY_OK);
    assert_int_equal(slot, 0);
    assert_int_equal(fpy_otadata_read(&tf->flash, OD, &od), FPY_OK);
    assert_int_equal(od.e[1].state, FPY_OTA_ABORTED);
    assert_int_equal(od.e[1].crc, fpy_otadata_crc(2)); /* seq and crc kept */

    /* A second update, confirmed this time. */
    assert_int_equal(fpy_otadata_set_boot(&tf->flash, OD, 1, 2, 1), FPY_OK);
    assert_int_equal(fpy_otadata_boot_select(&tf->flash, OD, 2, &slot, &blank), FPY_OK);
    assert_int_equal(slot, 1);
    assert_int_equal(fpy_otadata_read(&tf->flash, OD, &od), FPY_OK);
    int a = fpy_otadata_active(&od);
    assert_int_equal(fpy_otadata_set_state(&tf->flash, OD, (unsigned)a, FPY_OTA_VALID), FPY_OK);
    assert_int_equal(fpy_otadata_boot_select(&tf->flash, OD, 2, &slot, &blank), FPY_OK);
    assert_int_equal(slot, 1);
    fpy_test_flash_free(tf);
}

/* otatool's switch_ota_partition patches only seq and crc of the other
 * entry and keeps the old state bytes: fipy must read that as ESP-IDF. */
static void test_reads_otatool_style_entries(void **state)
{
    (void)state;
    fpy_test_flash *tf = fpy_test_flash_new(&geo);
    fpy_ota_entry e0 = entry(1, FPY_OTA_VALID);
    fpy_ota_entry e1 = entry(2, FPY_OTA_ABORTED); /* stale state bytes */
    assert_int_equal(fpy_otadata_write_entry(&tf->flash, OD, 0, &e0), FPY_OK);
    assert_int_equal(fpy_otadata_write_entry(&tf->flash, OD, 1, &e1), FPY_OK);
    fpy_otadata od;
    assert_int_equal(fpy_otadata_read(&tf->flash, OD, &od), FPY_OK);
    assert_int_equal(fpy_otadata_active_otatool(&od), 1); /* otatool: ota_1 */
    assert_int_equal(fpy_otadata_active(&od), 0);         /* bootloader: ota_0 */
    fpy_test_flash_free(tf);
}

/* --- power loss: any cut leaves the old or the new selection ---------- */
typedef struct pl_ctx {
    unsigned old_slot, new_slot;
} pl_ctx;

static int pl_setup(void *ctx, const fpy_flash *f)
{
    pl_ctx *c = ctx;
    FPY_TRY(fpy_otadata_set_boot(f, OD, 0, 2, 1));
    FPY_TRY(fpy_otadata_set_state(f, OD, 0, FPY_OTA_VALID));
    FPY_TRY(fpy_otadata_set_boot(f, OD, 1, 2, 1));
    FPY_TRY(fpy_otadata_set_state(f, OD, 1, FPY_OTA_VALID));
    c->old_slot = 1;
    c->new_slot = 0;
    return FPY_OK;
}

static int pl_run(void *ctx, const fpy_flash *f)
{
    pl_ctx *c = ctx;
    return fpy_otadata_set_boot(f, OD, c->new_slot, 2, 0);
}

static int pl_check(void *ctx, const fpy_flash *f, int completed, char *why, size_t n)
{
    pl_ctx *c = ctx;
    fpy_otadata od;
    if (fpy_otadata_read(f, OD, &od) != FPY_OK) {
        snprintf(why, n, "unreadable");
        return 1;
    }
    int a = fpy_otadata_active(&od);
    if (a < 0) {
        snprintf(why, n, "no valid entry left");
        return 1;
    }
    unsigned slot = fpy_otadata_slot(od.e[a].seq, 2);
    if (slot != c->old_slot && slot != c->new_slot) {
        snprintf(why, n, "selects slot %u", slot);
        return 1;
    }
    if (completed && slot != c->new_slot) {
        snprintf(why, n, "set_boot returned ok but slot %u is selected", slot);
        return 1;
    }
    /* otatool must agree with the bootloader on a fipy-written otadata. */
    if (fpy_otadata_active_otatool(&od) != a) {
        snprintf(why, n, "otatool would pick another entry");
        return 1;
    }
    return 0;
}

static void test_set_boot_under_power_loss(void **state)
{
    (void)state;
    pl_ctx c;
    fpy_pl_scenario s = {"otadata set_boot", &c, pl_setup, pl_run, pl_check};
    fpy_pl_options opt = {.geo = geo, .torn_seeds = 8, .verbose = 1};
    fpy_pl_result r;
    assert_int_equal(fpy_pl_run(&s, &opt, &r), 0);
    assert_int_equal(r.mutations, 2);
    assert_int_equal(r.failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_boot_bytes_match_esp_idf),
        cmocka_unit_test(test_crc_covers_seq_only),
        cmocka_unit_test(test_active_entry_rules),
        cmocka_unit_test(test_seq_formula),
        cmocka_unit_test(test_rollback_cycle),
        cmocka_unit_test(test_reads_otatool_style_entries),
        cmocka_unit_test(test_set_boot_under_power_loss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
