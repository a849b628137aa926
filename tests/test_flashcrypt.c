/*
 * The ESP32's flash encryption (sim/flashcrypt.c): known answers produced
 * by running espsecure 5.3.1 here (encrypt_flash_data with the key
 * 00 01 .. 1f and the 64 bytes (7i + 3) mod 256, and its tweaked keys),
 * round trips, in-place use, what changes the ciphertext, and each
 * refusal leaving the output alone.
 */
#include <stdlib.h>
#include <string.h>

#include "flashcrypt.h"
#include "testutil.h"

static uint8_t key[32], plain[64];

static int setup(void **state)
{
    (void)state;
    for (unsigned i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
    for (unsigned i = 0; i < 64; i++)
        plain[i] = (uint8_t)(i * 7u + 3u);
    return 0;
}

typedef struct fc_vector {
    uint32_t addr;
    unsigned conf;
    const char *cipher; /* 64 bytes, hex */
} fc_vector;

/* espsecure encrypt-flash-data --keyfile key --address A --flash-crypt-conf C */
static const fc_vector vectors[] = {
    {0x0, 0xF, "ad26982ddf1e69ae0aaaaeda0d1865da0f62364372d64085cf74732e74cc2349"
               "129abfe98a41a7a24e0e795faf8396e71228669f89b16c0431e6004bda02227b"},
    /* starts in the second half of a 32-byte group */
    {0x10, 0xF, "ad26982ddf1e69ae0aaaaeda0d1865da7d1e11c15df03d53985474fe148b21c3"
                "129abfe98a41a7a24e0e795faf8396e7e9375f7c06ee38282b21f907b27eb8f3"},
    {0x1000, 0xF, "bec9ba38f42cb1146617670cc5962e8b2067a4725dc4db7906747b88a4bbb277"
                  "64e2252add4e37e6b836fdc58d0d1eed260e3fafeadde3a90f883354197f6ddf"},
    {0x7FFFC0, 0xF, "c2d98a3fe046fd734f3eae5f1f5f6e15108ddfc2e46d979df2e2b065854d466f"
                    "d748950e5fd00adf4a05ed05f15f20af13b8709b146b62c7457e59805c6098a0"},
    {0x1000, 0x0, "ad26982ddf1e69ae0aaaaeda0d1865da0f62364372d64085cf74732e74cc2349"
                  "65d2f13fa96fc658235acf239466b588f0b384cc236123bbe324db25d72f004c"},
    {0x1000, 0x1, "ac8e2fc38134fe3364daf664e0c3084e8500d2d7d7b468e943b0c15303f5801f"
                  "c279d2a40f9cc7993be9e2855c521d76aa83d1a5c046d92d7811d9943d660e7a"},
    {0x1000, 0x8, "d12c2f10d62ba3cb291c43f35a79127b0eb1a38895e203c8969852b3a370133e"
                  "262a79ff06309f365033f9ada2869f08c6ff7ace86117ee4556ba2c00912eff6"},
    {0xABCD0, 0x6, "65326c0a964a9312347f3e3975fb4ba9123fed6883c867a30681c76bb4100062"
                   "1dd2e0b4093b865755c75d540d7450c0fb9431288f6ee2cb3327a1fa9f1fa736"},
};

static void test_known_answers(void **state)
{
    (void)state;
    uint8_t want[64], got[64], back[64];
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        const fc_vector *v = &vectors[i];
        assert_int_equal(fpy_test_unhex(v->cipher, want, sizeof want), 64);
        assert_int_equal(fpy_flashcrypt_encrypt(key, v->conf, v->addr, plain, got, 64), FPY_OK);
        if (memcmp(got, want, 64) != 0)
            fail_msg("encrypt at 0x%x conf 0x%x differs from espsecure", (unsigned)v->addr,
                     v->conf);
        assert_int_equal(fpy_flashcrypt_decrypt(key, v->conf, v->addr, want, back, 64), FPY_OK);
        if (memcmp(back, plain, 64) != 0)
            fail_msg("decrypt at 0x%x conf 0x%x is not the plaintext", (unsigned)v->addr,
                     v->conf);
    }
}

/* espsecure's _flash_encryption_tweak_key for the same key. */
static void test_block_keys(void **state)
{
    (void)state;
    static const struct {
        uint32_t addr;
        unsigned conf;
        const char *key;
    } k[] = {
        {0x20, 0xF, "000122030005068728090e0b0c8d0e1f001110131455161f38191e1b1c9d1e0e"},
        /* every address bit 5..23 set and every part on: all 256 bits flip */
        {0xFFFFE0, 0xF, "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0efeeedecebeae9e8e7e6e5e4e3e2e1e0"},
        {0x123460, 0x1, "12356045884dd7b368090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"},
        {0x123460, 0x8, "000102030405060708090a0b0c0d0e0f10111213141516171a5f9653cd94042c"},
    };
    uint8_t want[32], got[32];
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        assert_int_equal(fpy_test_unhex(k[i].key, want, sizeof want), 32);
        fpy_flashcrypt_block_key(key, k[i].conf, k[i].addr, got);
        assert_memory_equal(got, want, 32);
        /* the low 5 bits (inside the group) change nothing */
        fpy_flashcrypt_block_key(key, k[i].conf, k[i].addr | 0x1F, got);
        assert_memory_equal(got, want, 32);
    }
    /* conf 0: no tweak at any address */
    fpy_flashcrypt_block_key(key, 0, 0xABCDE0, got);
    assert_memory_equal(got, key, 32);
}

/* Round trips over lengths and addresses, out of place and in place. */
static void test_round_trip(void **state)
{
    (void)state;
    enum { N = 4096 };
    uint8_t *p = malloc(N), *c = malloc(N), *b = malloc(N);
    assert_non_null(p);
    assert_non_null(c);
    assert_non_null(b);
    for (unsigned i = 0; i < N; i++)
        p[i] = (uint8_t)(i * 131u + (i >> 8));
    static const uint32_t addrs[] = {0x0, 0x10, 0x1000, 0x3F0, 0x7FF000, 0xFFF000};
    for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
        for (unsigned conf = 0; conf <= 0xF; conf += 5) {
            assert_int_equal(fpy_flashcrypt_encrypt(key, conf, addrs[i], p, c, N), FPY_OK);
            assert_memory_not_equal(c, p, 16);
            assert_int_equal(fpy_flashcrypt_decrypt(key, conf, addrs[i], c, b, N), FPY_OK);
            assert_memory_equal(b, p, N);
            memcpy(b, p, N); /* in place gives the same bytes */
            assert_int_equal(fpy_flashcrypt_encrypt(key, conf, addrs[i], b, b, N), FPY_OK);
            assert_memory_equal(b, c, N);
            assert_int_equal(fpy_flashcrypt_decrypt(key, conf, addrs[i], b, b, N), FPY_OK);
            assert_memory_equal(b, p, N);
        }
    }
    free(p);
    free(c);
    free(b);
}

/* A piece encrypted on its own equals that piece of the whole: the key
 * depends on the address alone, so the virtual board may work on any
 * 16-byte-aligned span. */
static void test_pieces(void **state)
{
    (void)state;
    uint8_t whole[64], piece[16];
    assert_int_equal(fpy_flashcrypt_encrypt(key, 0xF, 0x2000, plain, whole, 64), FPY_OK);
    for (unsigned off = 0; off < 64; off += 16) {
        assert_int_equal(fpy_flashcrypt_encrypt(key, 0xF, 0x2000 + off, plain + off, piece, 16),
                         FPY_OK);
        assert_memory_equal(piece, whole + off, 16);
    }
}

/* The same block at another group, with another key or config, or in the
 * other half of its group: other ciphertext. */
static void test_what_changes(void **state)
{
    (void)state;
    uint8_t base[32], other[32], k2[32];
    assert_int_equal(fpy_flashcrypt_encrypt(key, 0xF, 0x4000, plain, base, 32), FPY_OK);
    static const uint32_t addrs[] = {0x4020, 0x4040, 0x5000, 0x804000, 0xC000};
    for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
        assert_int_equal(fpy_flashcrypt_encrypt(key, 0xF, addrs[i], plain, other, 32), FPY_OK);
        assert_memory_not_equal(other, base, 16);
        assert_memory_not_equal(other + 16, base + 16, 16);
    }
    memcpy(k2, key, 32);
    k2[31] ^= 1;
    assert_int_equal(fpy_flashcrypt_encrypt(k2, 0xF, 0x4000, plain, other, 32), FPY_OK);
    assert_memory_not_equal(other, base, 16);
    for (unsigned conf = 0; conf < 0xF; conf++) {
        assert_int_equal(fpy_flashcrypt_encrypt(key, conf, 0x4000, plain, other, 32), FPY_OK);
        assert_memory_not_equal(other, base, 16);
    }
    /* plaintext block 0 placed at +16 of the group: same key, other
     * block position, but ECB: the same ciphertext as at +0 */
    assert_int_equal(fpy_flashcrypt_encrypt(key, 0xF, 0x4010, plain, other, 16), FPY_OK);
    assert_memory_equal(other, base, 16);
}

static void refuse(int rc, const uint8_t *k, unsigned conf, uint32_t addr, const uint8_t *in,
                   size_t len)
{
    uint8_t out[64];
    memset(out, 0xA5, sizeof out);
    assert_int_equal(fpy_flashcrypt_encrypt(k, conf, addr, in, out, len), rc);
    assert_int_equal(fpy_flashcrypt_decrypt(k, conf, addr, in, out, len), rc);
    for (unsigned i = 0; i < sizeof out; i++)
        assert_int_equal(out[i], 0xA5);
}

static void test_refusals(void **state)
{
    (void)state;
    refuse(FPY_ERR_ALIGN, key, 0xF, 0x8, plain, 16);
    refuse(FPY_ERR_ALIGN, key, 0xF, 0x1001, plain, 16);
    refuse(FPY_ERR_ALIGN, key, 0xF, 0x0, plain, 17);
    refuse(FPY_ERR_ALIGN, key, 0xF, 0x0, plain, 8);
    refuse(FPY_ERR_RANGE, key, 0xF, 0x1000000, plain, 16);
    refuse(FPY_ERR_RANGE, key, 0xF, 0xFFFFF0, plain, 32);
    refuse(FPY_ERR_RANGE, key, 0xF, 0xFFFFFFF0u, plain, 32); /* no wrap-around */
    refuse(FPY_ERR_INVAL, key, 0x10, 0x0, plain, 16);
    refuse(FPY_ERR_INVAL, NULL, 0xF, 0x0, plain, 16);
    refuse(FPY_ERR_INVAL, key, 0xF, 0x0, NULL, 16);
    /* the last block of the 16 MiB is fine, and nothing is nothing */
    uint8_t out[16];
    assert_int_equal(fpy_flashcrypt_encrypt(key, 0xF, 0xFFFFF0, plain, out, 16), FPY_OK);
    assert_int_equal(fpy_flashcrypt_encrypt(key, 0xF, 0x0, NULL, NULL, 0), FPY_OK);
}

/* The firmware's view: any span of the ciphertext, decrypted, is that
 * span of the plaintext; spans past the flash are refused. */
static void test_read_spans(void **state)
{
    (void)state;
    enum { N = 1024 };
    uint8_t *p = malloc(N), *c = malloc(N), out[200];
    assert_non_null(p);
    assert_non_null(c);
    for (unsigned i = 0; i < N; i++)
        p[i] = (uint8_t)(i * 37u + 11u);
    assert_int_equal(fpy_flashcrypt_encrypt(key, 0xF, 0, p, c, N), FPY_OK);
    for (uint32_t addr = 0; addr < 100; addr += 3) {
        for (size_t len = 0; len <= sizeof out; len += 7) {
            memset(out, 0, sizeof out);
            assert_int_equal(fpy_flashcrypt_read(key, 0xF, c, N, addr, out, len), FPY_OK);
            if (memcmp(out, p + addr, len) != 0)
                fail_msg("read of %zu bytes at 0x%x is not the plaintext", len, (unsigned)addr);
        }
    }
    assert_int_equal(fpy_flashcrypt_read(key, 0xF, c, N, N - 5, out, 5), FPY_OK);
    assert_memory_equal(out, p + N - 5, 5);
    memset(out, 0xA5, sizeof out);
    assert_int_equal(fpy_flashcrypt_read(key, 0xF, c, N, N - 5, out, 6), FPY_ERR_RANGE);
    assert_int_equal(fpy_flashcrypt_read(key, 0xF, c, N - 8, N - 20, out, 13), FPY_ERR_RANGE);
    assert_int_equal(fpy_flashcrypt_read(key, 0xF, c, N, 0xFFFFFFFFu, out, 2), FPY_ERR_RANGE);
    assert_int_equal(fpy_flashcrypt_read(key, 0x10, c, N, 0, out, 2), FPY_ERR_INVAL);
    assert_int_equal(fpy_flashcrypt_read(key, 0xF, NULL, N, 0, out, 2), FPY_ERR_INVAL);
    for (unsigned i = 0; i < sizeof out; i++)
        assert_int_equal(out[i], 0xA5);
    free(p);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answers), cmocka_unit_test(test_block_keys),
        cmocka_unit_test(test_round_trip),    cmocka_unit_test(test_pieces),
        cmocka_unit_test(test_what_changes),  cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_read_spans),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
