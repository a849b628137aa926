#include "fixtures.h"

#include <stdlib.h>
#include <string.h>

#include "fipy/bcimage.h"
#include "fipy/image.h"
#include "sign.h"
#include "testutil.h"

size_t fpy_fix_vm(const char *version, uint32_t seed, uint32_t text_len, uint8_t *out,
                  size_t cap)
{
    return fpy_fix_vm_ex(version, seed, text_len, 0, out, cap);
}

static size_t fpy_fix_vm_any(const char *version, uint32_t secver, uint32_t seed,
                             uint32_t text_len, int no_digest, uint8_t *out, size_t cap);

size_t fpy_fix_vm_ex(const char *version, uint32_t seed, uint32_t text_len, int no_digest,
                     uint8_t *out, size_t cap)
{
    return fpy_fix_vm_any(version, 0, seed, text_len, no_digest, out, cap);
}

size_t fpy_fix_vm_sv(const char *version, uint32_t secver, uint32_t seed, uint32_t text_len,
                     uint8_t *out, size_t cap)
{
    return fpy_fix_vm_any(version, secver, seed, text_len, 0, out, cap);
}

static size_t fpy_fix_vm_any(const char *version, uint32_t secver, uint32_t seed,
                             uint32_t text_len, int no_digest, uint8_t *out, size_t cap)
{
    static fpy_image_builder b;
    uint8_t desc[FPY_IMAGE_APP_DESC_LEN];
    fpy_image_app_desc a;
    memset(&a, 0, sizeof a);
    a.magic_word = FPY_IMAGE_APP_DESC_MAGIC;
    a.secure_version = secver;
    strncpy(a.version, version, sizeof a.version - 1);
    strncpy(a.project_name, "fipy-vm", sizeof a.project_name - 1);
    strncpy(a.idf_ver, "v5.5", sizeof a.idf_ver - 1);
    fpy_image_app_desc_encode(&a, desc);
    uint8_t *text = malloc(text_len);
    uint8_t iram[512];
    assert_non_null(text);
    for (uint32_t i = 0; i < text_len; i++)
        text[i] = (uint8_t)(seed * 131u + i * 7u);
    for (uint32_t i = 0; i < sizeof iram; i++)
        iram[i] = (uint8_t)(seed + i);
    fpy_image_section secs[] = {
        {".flash.appdesc", 0x3F400020u, desc, sizeof desc},
        {".iram0.text", 0x40080000u, iram, sizeof iram},
        {".flash.text", 0x400D0020u, text, text_len},
    };
    fpy_image_opts o = FPY_IMAGE_OPTS_DEFAULT();
    o.flash_mode = FPY_IMAGE_FLASH_MODE_DIO;
    o.flash_size = FPY_IMAGE_FLASH_SIZE_8MB;
    o.no_digest = no_digest ? 1u : 0u;
    size_t len = 0;
    int rc = fpy_image_build(&b, secs, 3, 0x40080400u, &o, NULL, out, cap, &len, NULL);
    free(text);
    assert_int_equal(rc, FPY_OK);
    return len;
}

size_t fpy_fix_bc(uint32_t abi, uint32_t seed, uint32_t len, uint8_t *out, size_t cap)
{
    return fpy_fix_bc_sv(abi, 0, seed, len, out, cap);
}

size_t fpy_fix_bc_sv(uint32_t abi, uint32_t secver, uint32_t seed, uint32_t len, uint8_t *out,
                     size_t cap)
{
    uint8_t *payload = malloc(len ? len : 1);
    assert_non_null(payload);
    for (uint32_t i = 0; i < len; i++)
        payload[i] = (uint8_t)(seed ^ (i * 13u));
    assert_int_equal(fpy_bc_build(abi, secver, payload, len, out, (uint32_t)cap), FPY_OK);
    free(payload);
    return FPY_BC_HEADER_LEN + len;
}

void fpy_fix_install(const fpy_flash *f, uint32_t addr, const uint8_t *data, size_t len)
{
    uint32_t end = (uint32_t)((addr + len + FPY_FLASH_SECTOR - 1) & ~(size_t)(FPY_FLASH_SECTOR - 1));
    assert_int_equal(fpy_flash_erase(f, addr, end - addr), FPY_OK);
    size_t body = len & ~(size_t)3;
    if (body)
        assert_int_equal(fpy_flash_program(f, addr, data, (uint32_t)body), FPY_OK);
    if (len > body) {
        uint8_t tail[4] = {0xFF, 0xFF, 0xFF, 0xFF};
        memcpy(tail, data + body, len - body);
        assert_int_equal(fpy_flash_program(f, addr + (uint32_t)body, tail, 4), FPY_OK);
    }
}

static size_t fpy_fix_sign_with(uint8_t scalar_last, uint8_t *buf, size_t len, size_t cap,
                                uint8_t pub[64])
{
    uint8_t d[32];
    char err[200];
    fpy_sign_key k;
    memset(d, 0x5A, sizeof d);
    d[31] = scalar_last;
    assert_int_equal(fpy_sign_key_from_scalar(d, &k, err, sizeof err), FPY_OK);
    uint8_t *out = NULL;
    size_t n = 0;
    assert_int_equal(fpy_sign_image(&k, buf, len, 0, &out, &n, NULL), FPY_OK);
    assert_true(n <= cap);
    memcpy(buf, out, n);
    free(out);
    if (pub != NULL)
        memcpy(pub, k.pub, 64);
    fpy_sign_key_free(&k);
    return n;
}

size_t fpy_fix_sign(uint8_t *buf, size_t len, size_t cap, uint8_t pub[64])
{
    return fpy_fix_sign_with(0x01, buf, len, cap, pub);
}

size_t fpy_fix_sign_other(uint8_t *buf, size_t len, size_t cap)
{
    return fpy_fix_sign_with(0x02, buf, len, cap, NULL);
}
