/* Signatures (lib/sig, host/sign, the host P-256 port): RFC 6979's own
 * vector, app (secure boot v1) and bytecode round trips, every flipped
 * byte of a signature and sampled ones of the image refused, wrong keys
 * refused, determinism, the flash path, key parsing. */
#include <stdlib.h>
#include <string.h>

#include "fipy/bcimage.h"
#include "fipy/bytes.h"
#include "fipy/hash.h"
#include "fipy/sig.h"
#include "fixtures.h"
#include "sign.h"
#include "testutil.h"

static uint8_t t_img[200000];

/* RFC 6979 A.2.5, P-256: the private scalar and the SHA-256 signature of
 * "sample" (also espsecure's output for this key, esp_idf_formats §5.1). */
static const char t_rfc_x[] =
    "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721";
static const char t_rfc_sig[] =
    "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716"
    "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8";
static const char t_rfc_pub[] =
    "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6"
    "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299";

static void t_key(fpy_sign_key *k, uint8_t seed)
{
    uint8_t d[32];
    char err[256];
    memset(d, 0x11, sizeof d);
    d[31] = seed;
    assert_int_equal(fpy_sign_key_from_scalar(d, k, err, sizeof err), FPY_OK);
}

static void test_rfc6979_vector(void **state)
{
    (void)state;
    uint8_t x[32], want[64], pub[64], sig[64], dig[32];
    char err[256];
    fpy_sign_key k;
    assert_int_equal(fpy_test_unhex(t_rfc_x, x, sizeof x), 32);
    assert_int_equal(fpy_test_unhex(t_rfc_sig, want, sizeof want), 64);
    assert_int_equal(fpy_test_unhex(t_rfc_pub, pub, sizeof pub), 64);
    assert_int_equal(fpy_sign_key_from_scalar(x, &k, err, sizeof err), FPY_OK);
    assert_memory_equal(k.pub, pub, 64);
    assert_int_equal(fpy_sha256_buf("sample", 6, dig), FPY_OK);
    assert_int_equal(fpy_sign_digest(&k, dig, sig), FPY_OK);
    assert_memory_equal(sig, want, 64);
    assert_int_equal(fpy_p256_verify(pub, dig, sig), FPY_OK);
    dig[0] ^= 1;
    assert_int_equal(fpy_p256_verify(pub, dig, sig), FPY_ERR_CHECKSUM);
    fpy_sign_key_free(&k);
}

static void test_port_verdicts(void **state)
{
    (void)state;
    uint8_t pub[64], sig[64] = {0}, dig[32] = {0};
    assert_int_equal(fpy_test_unhex(t_rfc_pub, pub, sizeof pub), 64);
    assert_int_equal(fpy_p256_verify(pub, dig, sig), FPY_ERR_CHECKSUM); /* r = s = 0 */
    memset(sig, 0xFF, sizeof sig);                                      /* r, s >= n */
    assert_int_equal(fpy_p256_verify(pub, dig, sig), FPY_ERR_CHECKSUM);
    pub[63] ^= 1; /* off the curve */
    assert_int_equal(fpy_p256_verify(pub, dig, sig), FPY_ERR_INVAL);
}

/* Sign t_img[0..n) into a malloc'd buffer. */
static uint8_t *t_sign(const fpy_sign_key *k, size_t n, unsigned flags, size_t *out_len, int want)
{
    uint8_t *out = NULL;
    fpy_diag d = {0};
    assert_int_equal(fpy_sign_image(k, t_img, n, flags, &out, out_len, &d), want);
    return out;
}

static void test_app_roundtrip(void **state)
{
    (void)state;
    fpy_sign_key k, other;
    t_key(&k, 1);
    t_key(&other, 2);
    size_t n = fpy_fix_vm("2.0.0", 7, 5000, t_img, sizeof t_img), len, len2;
    uint8_t *s = t_sign(&k, n, 0, &len, FPY_OK);
    uint8_t *s2 = t_sign(&k, n, 0, &len2, FPY_OK);
    assert_int_equal(len, n + FPY_SIG_BLOCK_LEN);
    assert_memory_equal(s, t_img, n);
    assert_int_equal(fpy_get_le32(s + n), 0);
    assert_memory_equal(s, s2, len); /* RFC 6979: the same bytes every time */
    fpy_diag d = {0};
    assert_int_equal(fpy_sign_verify(k.pub, s, len, NULL, &d), FPY_OK);
    assert_int_equal(fpy_sign_verify(other.pub, s, len, NULL, &d), FPY_ERR_CHECKSUM);
    assert_string_equal(d.field, "signature");
    /* The lib path, as the boot would call it. */
    fpy_image_src src = fpy_image_src_mem(s, len);
    fpy_image_info info;
    fpy_sig_block blk;
    assert_int_equal(fpy_sig_app_verify(&src, k.pub, NULL, 0, &info, &blk, &d), FPY_OK);
    assert_int_equal(blk.offset, n);
    free(s);
    free(s2);
    fpy_sign_key_free(&k);
    fpy_sign_key_free(&other);
}

static void test_app_flips(void **state)
{
    (void)state;
    fpy_sign_key k;
    t_key(&k, 3);
    size_t n = fpy_fix_vm("2.0.0", 8, 3000, t_img, sizeof t_img), len;
    uint8_t *s = t_sign(&k, n, 0, &len, FPY_OK);
    /* Every byte of the block, and every 251st of the image. */
    for (size_t i = 0; i < len; i = i < n ? (i + 251 < n ? i + 251 : n) : i + 1) {
        for (uint8_t bit = 1; bit != 0; bit = (uint8_t)(bit << 4)) {
            s[i] ^= bit;
            fpy_diag d = {0};
            int rc = fpy_sign_verify(k.pub, s, len, NULL, &d);
            if (rc == FPY_OK)
                fail_msg("flip of bit 0x%02x at byte %zu accepted", bit, i);
            s[i] ^= bit;
        }
    }
    fpy_diag d = {0};
    assert_int_equal(fpy_sign_verify(k.pub, s, len, NULL, &d), FPY_OK);
    s[n] = 1; /* version 1 */
    assert_int_equal(fpy_sign_verify(k.pub, s, len, NULL, &d), FPY_ERR_UNSUPPORTED);
    assert_string_equal(d.field, "sig_version");
    free(s);
    fpy_sign_key_free(&k);
}

static void test_app_refusals(void **state)
{
    (void)state;
    fpy_sign_key k, pubonly;
    char err[256];
    t_key(&k, 4);
    size_t n = fpy_fix_vm("2.0.0", 9, 3000, t_img, sizeof t_img), len, len2;
    uint8_t *s = t_sign(&k, n, 0, &len, FPY_OK);
    fpy_diag d = {0};
    /* Unsigned: no block. */
    assert_int_equal(fpy_sign_verify(k.pub, t_img, n, NULL, &d), FPY_ERR_TRUNCATED);
    /* Already signed: refused, or signed again to the same bytes. */
    memcpy(t_img, s, len);
    free(t_sign(&k, len, 0, &len2, FPY_ERR_EXISTS));
    uint8_t *again = t_sign(&k, len, FPY_SIGN_REPLACE, &len2, FPY_OK);
    assert_int_equal(len2, len);
    assert_memory_equal(again, s, len);
    free(again);
    /* Bytes after the image (padding), and after the block. */
    memset(t_img + n, 0xFF, 100);
    free(t_sign(&k, n + 100, 0, &len2, FPY_ERR_CORRUPT));
    memcpy(t_img, s, len);
    t_img[len] = 0;
    assert_int_equal(fpy_sign_verify(k.pub, t_img, len + 1, NULL, &d), FPY_ERR_CORRUPT);
    /* A public key cannot sign. */
    assert_int_equal(fpy_sign_key_parse(k.pub, 64, "pub", &pubonly, err, sizeof err), FPY_OK);
    assert_int_equal(pubonly.has_private, 0);
    free(t_sign(&pubonly, n, 0, &len2, FPY_ERR_INVAL));
    /* Neither kind. */
    t_img[0] = 0;
    free(t_sign(&k, n, 0, &len2, FPY_ERR_UNSUPPORTED));
    free(s);
    fpy_sign_key_free(&k);
    fpy_sign_key_free(&pubonly);
}

static void test_bytecode(void **state)
{
    (void)state;
    fpy_sign_key k, other;
    t_key(&k, 5);
    t_key(&other, 6);
    size_t n = fpy_fix_bc(2, 11, 3000, t_img, sizeof t_img), len, len2;
    fpy_diag d = {0};
    fpy_bc_header h;
    assert_int_equal(fpy_sig_bc_verify_mem(t_img, n, NULL, k.pub, &h, &d), FPY_ERR_NOTFOUND);
    uint8_t *s = t_sign(&k, n, 0, &len, FPY_OK);
    uint8_t *s2 = t_sign(&k, n, 0, &len2, FPY_OK);
    assert_int_equal(len, n);
    assert_memory_equal(s, s2, len);
    assert_int_equal(fpy_bc_verify_mem(s, len, NULL, &h, &d), FPY_OK); /* CRC redone */
    assert_int_equal(h.flags, FPY_BC_FLAG_SIGNED);
    assert_memory_equal(s + FPY_BC_HEADER_LEN, t_img + FPY_BC_HEADER_LEN, n - FPY_BC_HEADER_LEN);
    assert_int_equal(fpy_sig_bc_verify_mem(s, len, NULL, k.pub, &h, &d), FPY_OK);
    assert_int_equal(fpy_sig_bc_verify_mem(s, len, NULL, other.pub, &h, &d), FPY_ERR_CHECKSUM);
    for (size_t i = 0; i < len; i = i < FPY_BC_HEADER_LEN ? i + 1 : i + 97) {
        s[i] ^= 0x20;
        if (fpy_sign_verify(k.pub, s, len, NULL, &d) == FPY_OK)
            fail_msg("flip at byte %zu accepted", i);
        s[i] ^= 0x20;
    }
    memcpy(t_img, s, len);
    free(t_sign(&k, len, 0, &len2, FPY_ERR_EXISTS));
    free(s);
    free(s2);
    fpy_sign_key_free(&k);
    fpy_sign_key_free(&other);
}

static void test_flash_path(void **state)
{
    (void)state;
    fpy_flash_geometry g = {0x40000u, 4096u, 256u, 4u};
    fpy_test_flash *tf = fpy_test_flash_new(&g);
    fpy_sign_key k;
    t_key(&k, 7);
    uint8_t scratch[256];
    size_t n = fpy_fix_vm("2.0.0", 12, 3000, t_img, sizeof t_img), len;
    fpy_image_src src = fpy_image_src_flash(&tf->flash, 0x10000, 0x30000);
    fpy_image_info info;
    fpy_sig_block blk;
    fpy_diag d = {0};
    fpy_fix_install(&tf->flash, 0x10000, t_img, n);
    assert_int_equal(fpy_sig_app_verify(&src, k.pub, scratch, sizeof scratch, &info, &blk, &d),
                     FPY_ERR_NOTFOUND);
    uint8_t *s = t_sign(&k, n, 0, &len, FPY_OK);
    fpy_fix_install(&tf->flash, 0x10000, s, len);
    assert_int_equal(fpy_sig_app_verify(&src, k.pub, scratch, sizeof scratch, &info, &blk, &d),
                     FPY_OK);
    /* The slot must hold the block (ESP-IDF: image_len + 68 <= partition). */
    src.size = (uint32_t)len - 1;
    assert_int_equal(fpy_sig_app_verify(&src, k.pub, scratch, sizeof scratch, &info, &blk, &d),
                     FPY_ERR_TRUNCATED);
    free(s);
    n = fpy_fix_bc(2, 13, 5000, t_img, sizeof t_img);
    s = t_sign(&k, n, 0, &len, FPY_OK);
    fpy_fix_install(&tf->flash, 0x20000, s, len);
    fpy_bc_header h;
    uint32_t abi = 2;
    assert_int_equal(fpy_sig_bc_verify_flash(&tf->flash, 0x20000, 0x10000, &abi, k.pub, scratch,
                                             sizeof scratch, &h, &d), FPY_OK);
    free(s);
    fpy_sign_key_free(&k);
    fpy_test_flash_free(tf);
}

static void test_keys(void **state)
{
    (void)state;
    fpy_sign_key k, a, b;
    char err[256], pem[1024];
    size_t len;
    uint8_t raw[64];
    assert_int_equal(fpy_sign_key_gen(&k, err, sizeof err), FPY_OK);
    assert_int_equal(fpy_sign_key_pem(&k, 1, pem, sizeof pem, &len), FPY_OK);
    assert_non_null(strstr(pem, "-----BEGIN EC PRIVATE KEY-----"));
    assert_int_equal(fpy_sign_key_parse((const uint8_t *)pem, len, "k", &a, err, sizeof err),
                     FPY_OK);
    assert_int_equal(a.has_private, 1);
    assert_memory_equal(a.pub, k.pub, 64);
    assert_int_equal(fpy_sign_key_pem(&k, 0, pem, sizeof pem, &len), FPY_OK);
    assert_non_null(strstr(pem, "-----BEGIN PUBLIC KEY-----"));
    assert_int_equal(fpy_sign_key_parse((const uint8_t *)pem, len, "p", &b, err, sizeof err),
                     FPY_OK);
    assert_int_equal(b.has_private, 0);
    assert_memory_equal(b.pub, k.pub, 64);
    assert_int_equal(fpy_sign_key_pem(&b, 1, pem, sizeof pem, &len), FPY_ERR_INVAL);
    fpy_sign_key_free(&b);
    memcpy(raw, k.pub, 64);
    raw[10] ^= 1;
    assert_int_equal(fpy_sign_key_parse(raw, 64, "raw", &b, err, sizeof err), FPY_ERR_INVAL);
    assert_int_equal(fpy_sign_key_parse((const uint8_t *)"junk", 4, "j", &b, err, sizeof err),
                     FPY_ERR_INVAL);
    assert_non_null(strstr(err, "not a key"));
    fpy_sign_key_free(&k);
    fpy_sign_key_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc6979_vector), cmocka_unit_test(test_port_verdicts),
        cmocka_unit_test(test_app_roundtrip),  cmocka_unit_test(test_app_flips),
        cmocka_unit_test(test_app_refusals),   cmocka_unit_test(test_bytecode),
        cmocka_unit_test(test_flash_path),     cmocka_unit_test(test_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
