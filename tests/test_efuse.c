/*
 * The ESP32's eFuses (lib/efuse): the virtual file's byte layout and the
 * key order against what espefuse 4.8.1 wrote here (`espefuse --chip
 * esp32 --virt --path-efuse-file F burn_key flash_encryption KEY
 * [--no-protect-key]` with KEY = 00 01 .. 1f), the MAC's CRC-8 against
 * what its summary calculated, one-way burns, write and read protection,
 * the flash-encryption counter and the secure version.
 */
#include <string.h>

#include "fipy/efuse.h"
#include "testutil.h"

static const uint8_t mac0[6] = {0x24, 0x0A, 0xC4, 0x12, 0x34, 0x56};

static void key_0_31(uint8_t key[32])
{
    for (unsigned i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
}

static void test_file_layout(void **state)
{
    (void)state;
    fpy_efuse e, back;
    uint8_t key[32], f[FPY_EFUSE_MEM_SIZE];
    memset(&e, 0, sizeof e);
    key_0_31(key);
    assert_int_equal(fpy_efuse_burn_key(&e, 1, key, NULL), FPY_OK);
    fpy_efuse_encode(&e, f);
    /* espefuse put the key file's bytes, in order, at file offsets
     * 0xC8..0xE7 (BLOCK1's RDATA, 0x38..0x57, counted from the end) */
    for (unsigned i = 0; i < 32; i++)
        assert_int_equal(f[0xC8 + i], i);
    /* with the key protected it wrote WR_DIS 0x80, RD_DIS 0x1 as the
     * file's last four bytes 00 01 00 80 */
    e.w[0] = 0x00010080u;
    fpy_efuse_encode(&e, f);
    static const uint8_t tail[4] = {0x00, 0x01, 0x00, 0x80};
    assert_memory_equal(f + FPY_EFUSE_MEM_SIZE - 4, tail, 4);
    assert_int_equal(fpy_efuse_decode(f, sizeof f, &back, NULL), FPY_OK);
    assert_memory_equal(&back, &e, sizeof e);
}

static void test_file_size_refused(void **state)
{
    (void)state;
    uint8_t f[FPY_EFUSE_MEM_SIZE + 1] = {0};
    fpy_efuse e;
    memset(&e, 0x5A, sizeof e);
    fpy_efuse keep = e;
    fpy_diag d = {0};
    assert_int_equal(fpy_efuse_decode(f, 100, &e, &d), FPY_ERR_TRUNCATED);
    assert_int_equal(d.expected, FPY_EFUSE_MEM_SIZE);
    assert_int_equal(d.found, 100);
    assert_int_equal(fpy_efuse_decode(f, sizeof f, &e, &d), FPY_ERR_CORRUPT);
    assert_int_equal(fpy_efuse_decode(f, 0, &e, NULL), FPY_ERR_TRUNCATED);
    assert_memory_equal(&e, &keep, sizeof e);
}

static void test_fresh_fipy(void **state)
{
    (void)state;
    fpy_efuse e;
    uint8_t mac[6];
    uint32_t v;
    /* espefuse 4.8.1: "24:0a:c4:12:34:56 (CRC 0x00 invalid - calculated 0xf5)" */
    assert_int_equal(fpy_efuse_mac_crc(mac0), 0xF5);
    fpy_efuse_new(&e, mac0);
    assert_int_equal(e.w[1], 0xC4123456u);
    assert_int_equal(e.w[2], 0x00F5240Au);
    assert_int_equal(e.w[3], 0x0000A000u);
    assert_int_equal(e.w[4], 0x00000540u);
    fpy_efuse_get_mac(&e, mac);
    assert_memory_equal(mac, mac0, 6);
    assert_int_equal(fpy_efuse_get(&e, FPY_EFUSE_MAC_CRC, &v), FPY_OK);
    assert_int_equal(v, 0xF5);
    assert_int_equal(fpy_efuse_get(&e, FPY_EFUSE_CHIP_VER_REV1, &v), FPY_OK);
    assert_int_equal(v, 1);
    assert_int_equal(fpy_efuse_get(&e, FPY_EFUSE_ADC_VREF, &v), FPY_OK);
    assert_int_equal(v, 5);
    for (unsigned i = 5; i < FPY_EFUSE_WORDS; i++)
        assert_int_equal(e.w[i], 0);
    assert_false(fpy_efuse_flash_crypt_on(&e));
    assert_int_equal(fpy_efuse_secure_version(&e), 0);
    for (unsigned f = 0; f < FPY_EFUSE_NFIELDS; f++) {
        assert_true(fpy_efuse_is_writable(&e, (fpy_efuse_id)f));
        assert_true(fpy_efuse_is_readable(&e, (fpy_efuse_id)f));
    }
}

static void test_one_way(void **state)
{
    (void)state;
    fpy_efuse e;
    uint32_t v;
    fpy_efuse_new(&e, mac0);
    assert_int_equal(fpy_efuse_burn(&e, FPY_EFUSE_FLASH_CRYPT_CNT, 0x1, NULL), FPY_OK);
    assert_true(fpy_efuse_flash_crypt_on(&e));
    assert_int_equal(fpy_efuse_burn(&e, FPY_EFUSE_FLASH_CRYPT_CNT, 0x2, NULL), FPY_OK);
    assert_int_equal(fpy_efuse_get(&e, FPY_EFUSE_FLASH_CRYPT_CNT, &v), FPY_OK);
    assert_int_equal(v, 0x3); /* ORed: the 1 stays */
    assert_false(fpy_efuse_flash_crypt_on(&e));
    assert_int_equal(fpy_efuse_burn(&e, FPY_EFUSE_FLASH_CRYPT_CNT, 0x0, NULL), FPY_OK);
    assert_int_equal(fpy_efuse_get(&e, FPY_EFUSE_FLASH_CRYPT_CNT, &v), FPY_OK);
    assert_int_equal(v, 0x3); /* burning 0 clears nothing */
    assert_int_equal(fpy_efuse_burn(&e, FPY_EFUSE_FLASH_CRYPT_CNT, 0x4, NULL), FPY_OK);
    assert_true(fpy_efuse_flash_crypt_on(&e));
    assert_int_equal(e.w[0], 0x7u << 20);
    /* neighbours untouched */
    assert_int_equal(fpy_efuse_burn(&e, FPY_EFUSE_JTAG_DISABLE, 1, NULL), FPY_OK);
    assert_int_equal(e.w[6], 1u << 6);
}

static void test_range(void **state)
{
    (void)state;
    fpy_efuse e;
    fpy_efuse_new(&e, mac0);
    fpy_efuse keep = e;
    fpy_diag d = {0};
    uint32_t v;
    assert_int_equal(fpy_efuse_burn(&e, FPY_EFUSE_FLASH_CRYPT_CNT, 0x80, &d), FPY_ERR_RANGE);
    assert_string_equal(d.field, "FLASH_CRYPT_CNT");
    assert_int_equal(d.expected, 0x7F);
    assert_int_equal(fpy_efuse_burn(&e, FPY_EFUSE_JTAG_DISABLE, 2, NULL), FPY_ERR_RANGE);
    assert_int_equal(fpy_efuse_burn(&e, FPY_EFUSE_MAC, 1, NULL), FPY_ERR_RANGE);
    assert_int_equal(fpy_efuse_burn(&e, FPY_EFUSE_NFIELDS, 1, NULL), FPY_ERR_INVAL);
    assert_int_equal(fpy_efuse_get(&e, FPY_EFUSE_BLOCK1, &v), FPY_ERR_RANGE);
    assert_int_equal(fpy_efuse_get(&e, FPY_EFUSE_NFIELDS, &v), FPY_ERR_INVAL);
    assert_memory_equal(&e, &keep, sizeof e);
}

static void test_write_protection(void **state)
{
    (void)state;
    fpy_efuse e;
    fpy_efuse_new(&e, mac0);
    fpy_diag d = {0};
    /* DISABLE_DL_* and CONSOLE_DEBUG_DISABLE share WR_DIS bit 15 */
    assert_int_equal(fpy_efuse_burn(&e, FPY_EFUSE_DISABLE_DL_ENCRYPT, 1, NULL), FPY_OK);
    assert_int_equal(fpy_efuse_burn(&e, FPY_EFUSE_WR_DIS, 1u << 15, NULL), FPY_OK);
    assert_false(fpy_efuse_is_writable(&e, FPY_EFUSE_DISABLE_DL_DECRYPT));
    assert_true(fpy_efuse_is_writable(&e, FPY_EFUSE_JTAG_DISABLE));
    fpy_efuse keep = e;
    assert_int_equal(fpy_efuse_burn(&e, FPY_EFUSE_DISABLE_DL_DECRYPT, 1, &d), FPY_ERR_STATE);
    assert_string_equal(d.field, "DISABLE_DL_DECRYPT");
    assert_int_equal(d.found, 15);
    assert_memory_equal(&e, &keep, sizeof e);
    /* what is burnt already may be asked again */
    assert_int_equal(fpy_efuse_burn(&e, FPY_EFUSE_DISABLE_DL_ENCRYPT, 1, NULL), FPY_OK);
    assert_int_equal(fpy_efuse_burn(&e, FPY_EFUSE_JTAG_DISABLE, 1, NULL), FPY_OK);
    /* WR_DIS bit 1 protects WR_DIS itself */
    assert_int_equal(fpy_efuse_burn(&e, FPY_EFUSE_WR_DIS, 1u << 1, NULL), FPY_OK);
    assert_int_equal(fpy_efuse_burn(&e, FPY_EFUSE_WR_DIS, 1u << 14, &d), FPY_ERR_STATE);
    assert_string_equal(d.field, "WR_DIS");
    /* a key block: its block bit (7) */
    uint8_t key[32];
    key_0_31(key);
    assert_int_equal(fpy_efuse_burn_key(&e, 1, key, NULL), FPY_OK);
    assert_int_equal(fpy_efuse_burn_key(&e, 2, key, NULL), FPY_OK);
    e.w[0] |= 1u << 7; /* as if burnt before WR_DIS was locked */
    key[0] ^= 0x80;
    assert_int_equal(fpy_efuse_burn_key(&e, 1, key, &d), FPY_ERR_STATE);
    assert_string_equal(d.field, "BLOCK1");
    assert_int_equal(d.found, 7);
    assert_int_equal(fpy_efuse_burn_key(&e, 2, key, NULL), FPY_OK);
    assert_int_equal(fpy_efuse_burn_key(&e, 0, key, NULL), FPY_ERR_INVAL);
    assert_int_equal(fpy_efuse_burn_key(&e, 4, key, NULL), FPY_ERR_INVAL);
}

static void test_read_protection(void **state)
{
    (void)state;
    fpy_efuse e;
    uint8_t key[32], got[32];
    fpy_efuse_new(&e, mac0);
    key_0_31(key);
    assert_int_equal(fpy_efuse_burn_key(&e, 1, key, NULL), FPY_OK);
    assert_int_equal(fpy_efuse_burn_key(&e, 2, key, NULL), FPY_OK);
    unsigned b1 = fpy_efuse_rdata_index(1, 0), b2 = fpy_efuse_rdata_index(2, 0);
    assert_int_equal(b1, 0x38 / 4);
    assert_int_equal(fpy_efuse_read_word(&e, b1 + 7), 0x00010203u); /* key bytes 0..3 */
    assert_int_equal(fpy_efuse_burn(&e, FPY_EFUSE_RD_DIS, 1u << 0, NULL), FPY_OK);
    assert_false(fpy_efuse_is_readable(&e, FPY_EFUSE_BLOCK1));
    assert_true(fpy_efuse_is_readable(&e, FPY_EFUSE_BLOCK2));
    for (unsigned k = 0; k < 8; k++) {
        assert_int_equal(fpy_efuse_read_word(&e, b1 + k), 0);
        assert_int_equal(fpy_efuse_read_word(&e, b2 + k), e.w[b2 + k]);
        assert_true(e.w[b2 + k] != 0);
    }
    /* the key hardware still has it */
    assert_int_equal(fpy_efuse_get_key(&e, 1, got), FPY_OK);
    assert_memory_equal(got, key, 32);
    /* RD_DIS bit 3: FLASH_CRYPT_CONFIG and CODING_SCHEME read 0, their
     * word's other fields do not */
    assert_int_equal(fpy_efuse_burn(&e, FPY_EFUSE_FLASH_CRYPT_CONFIG, 0xF, NULL), FPY_OK);
    assert_int_equal(fpy_efuse_burn(&e, FPY_EFUSE_SPI_PAD_CONFIG_CLK, 6, NULL), FPY_OK);
    assert_int_equal(fpy_efuse_read_word(&e, 5), 0xF0000006u);
    assert_int_equal(fpy_efuse_burn(&e, FPY_EFUSE_RD_DIS, 1u << 3, NULL), FPY_OK);
    assert_int_equal(fpy_efuse_read_word(&e, 5), 0x00000006u);
    assert_int_equal(e.w[5], 0xF0000006u);
    assert_int_equal(fpy_efuse_read_word(&e, 0), e.w[0]);
    assert_int_equal(fpy_efuse_read_word(&e, FPY_EFUSE_WORDS), 0);
}

static void test_key_order(void **state)
{
    (void)state;
    fpy_efuse e;
    uint8_t key[32], got[32];
    memset(&e, 0, sizeof e);
    key_0_31(key);
    for (unsigned blk = 1; blk <= 3; blk++) {
        assert_int_equal(fpy_efuse_burn_key(&e, blk, key, NULL), FPY_OK);
        assert_int_equal(fpy_efuse_get_key(&e, blk, got), FPY_OK);
        assert_memory_equal(got, key, 32);
        /* word 0 holds key bytes 31..28, little-endian */
        assert_int_equal(e.w[fpy_efuse_rdata_index(blk, 0)], 0x1C1D1E1Fu);
    }
    assert_int_equal(fpy_efuse_get_key(&e, 0, got), FPY_ERR_INVAL);
    /* 3/4 coding: 24-byte keys, not a FiPy's */
    e.w[6] |= 1u;
    assert_int_equal(fpy_efuse_burn_key(&e, 1, key, NULL), FPY_ERR_UNSUPPORTED);
}

static void test_secure_version(void **state)
{
    (void)state;
    fpy_efuse e;
    fpy_diag d = {0};
    uint32_t v;
    fpy_efuse_new(&e, mac0);
    assert_int_equal(fpy_efuse_burn_secure_version(&e, 3, NULL), FPY_OK);
    assert_int_equal(fpy_efuse_get(&e, FPY_EFUSE_SECURE_VERSION, &v), FPY_OK);
    assert_int_equal(v, 0x7);
    assert_int_equal(e.w[fpy_efuse_rdata_index(3, 4)], 0x7);
    assert_int_equal(fpy_efuse_secure_version(&e), 3);
    assert_int_equal(fpy_efuse_burn_secure_version(&e, 1, NULL), FPY_OK);
    assert_int_equal(fpy_efuse_secure_version(&e), 3); /* never down */
    assert_int_equal(fpy_efuse_burn_secure_version(&e, 0, NULL), FPY_OK);
    assert_int_equal(fpy_efuse_burn_secure_version(&e, 33, &d), FPY_ERR_RANGE);
    assert_int_equal(fpy_efuse_burn_secure_version(&e, 32, NULL), FPY_OK);
    assert_int_equal(fpy_efuse_secure_version(&e), 32);
    /* BLOCK3's write protection covers it */
    fpy_efuse_new(&e, mac0);
    assert_int_equal(fpy_efuse_burn(&e, FPY_EFUSE_WR_DIS, 1u << 9, NULL), FPY_OK);
    assert_int_equal(fpy_efuse_burn_secure_version(&e, 1, &d), FPY_ERR_STATE);
    assert_string_equal(d.field, "SECURE_VERSION");
}

static void test_merge(void **state)
{
    (void)state;
    fpy_efuse e, want;
    fpy_diag d = {0};
    fpy_efuse_new(&e, mac0);
    memset(&want, 0, sizeof want);
    /* JTAG_DISABLE and its WR_DIS bit in one burn: both land */
    want.w[6] = 1u << 6;
    want.w[0] = 1u << 14;
    want.w[FPY_EFUSE_CONF / 4] = 0xFFFFFFFFu; /* not a fuse word: ignored */
    assert_int_equal(fpy_efuse_check_burn(&e, &want, NULL), FPY_OK);
    assert_int_equal(fpy_efuse_merge(&e, &want), 1);
    assert_int_equal(e.w[6], 1u << 6);
    assert_int_equal(e.w[0], 1u << 14);
    assert_int_equal(e.w[FPY_EFUSE_CONF / 4], 0);
    assert_int_equal(fpy_efuse_merge(&e, &want), 0); /* nothing new */
    /* now ABS_DONE_1 (WR_DIS 13) lands, a second JTAG bit would not */
    memset(&want, 0, sizeof want);
    want.w[6] = 1u << 5;
    assert_int_equal(fpy_efuse_check_burn(&e, &want, NULL), FPY_OK);
    e.w[0] |= 1u << 13;
    assert_int_equal(fpy_efuse_check_burn(&e, &want, &d), FPY_ERR_STATE);
    assert_string_equal(d.field, "ABS_DONE_1");
    assert_int_equal(fpy_efuse_merge(&e, &want), 0);
    assert_int_equal(e.w[6], 1u << 6);
}

static void test_field_table(void **state)
{
    (void)state;
    assert_int_equal(fpy_efuse_field_find("JTAG_DISABLE"), FPY_EFUSE_JTAG_DISABLE);
    assert_int_equal(fpy_efuse_field_find("SECURE_VERSION"), FPY_EFUSE_SECURE_VERSION);
    assert_int_equal(fpy_efuse_field_find("jtag_disable"), FPY_EFUSE_NFIELDS);
    assert_null(fpy_efuse_field_get(FPY_EFUSE_NFIELDS));
    /* every entry is filled, fits its block, and no two overlap */
    for (unsigned i = 0; i < FPY_EFUSE_NFIELDS; i++) {
        const fpy_efuse_field *f = fpy_efuse_field_get((fpy_efuse_id)i);
        assert_non_null(f->name);
        assert_int_equal(fpy_efuse_field_find(f->name), i);
        assert_true(f->block < 4 && f->width > 0);
        assert_true(f->word * 32u + f->bit + f->width <= 32u * fpy_efuse_block_words(f->block));
        for (unsigned j = 0; j < i; j++) {
            const fpy_efuse_field *g = fpy_efuse_field_get((fpy_efuse_id)j);
            unsigned a = f->word * 32u + f->bit, b = g->word * 32u + g->bit;
            int whole = f->width == 256 || g->width == 256; /* BLOCKn spans its block */
            if (f->block == g->block && !whole)
                assert_true(a + f->width <= b || b + g->width <= a);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_layout),      cmocka_unit_test(test_file_size_refused),
        cmocka_unit_test(test_fresh_fipy),       cmocka_unit_test(test_one_way),
        cmocka_unit_test(test_range),            cmocka_unit_test(test_write_protection),
        cmocka_unit_test(test_read_protection),  cmocka_unit_test(test_key_order),
        cmocka_unit_test(test_secure_version),   cmocka_unit_test(test_merge),
        cmocka_unit_test(test_field_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
