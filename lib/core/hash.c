/* Thin wrappers over mbedTLS and zlib, so the rest of fipy does not care
 * which mbedTLS major version it was built against. */
#include "fipy/hash.h"

#include <mbedtls/version.h>
#include <zlib.h>

#if MBEDTLS_VERSION_NUMBER < 0x03000000
#define FPY_SHA256_STARTS(c) mbedtls_sha256_starts_ret((c), 0)
#define FPY_SHA256_UPDATE mbedtls_sha256_update_ret
#define FPY_SHA256_FINISH mbedtls_sha256_finish_ret
#define FPY_MD5_STARTS mbedtls_md5_starts_ret
#define FPY_MD5_UPDATE mbedtls_md5_update_ret
#define FPY_MD5_FINISH mbedtls_md5_finish_ret
#else
#define FPY_SHA256_STARTS(c) mbedtls_sha256_starts((c), 0)
#define FPY_SHA256_UPDATE mbedtls_sha256_update
#define FPY_SHA256_FINISH mbedtls_sha256_finish
#define FPY_MD5_STARTS mbedtls_md5_starts
#define FPY_MD5_UPDATE mbedtls_md5_update
#define FPY_MD5_FINISH mbedtls_md5_finish
#endif

/* The software implementations cannot fail once the context is
 * initialised, so the return values carry no information here. */
void fpy_sha256_start(fpy_sha256 *h)
{
    mbedtls_sha256_init(&h->ctx);
    (void)FPY_SHA256_STARTS(&h->ctx);
}

void fpy_sha256_update(fpy_sha256 *h, const void *data, size_t len)
{
    (void)FPY_SHA256_UPDATE(&h->ctx, data, len);
}

void fpy_sha256_finish(fpy_sha256 *h, uint8_t out[FPY_SHA256_LEN])
{
    (void)FPY_SHA256_FINISH(&h->ctx, out);
    mbedtls_sha256_free(&h->ctx);
}

void fpy_sha256_buf(const void *data, size_t len, uint8_t out[FPY_SHA256_LEN])
{
    fpy_sha256 h;
    fpy_sha256_start(&h);
    fpy_sha256_update(&h, data, len);
    fpy_sha256_finish(&h, out);
}

void fpy_md5_start(fpy_md5 *h)
{
    mbedtls_md5_init(&h->ctx);
    (void)FPY_MD5_STARTS(&h->ctx);
}

void fpy_md5_update(fpy_md5 *h, const void *data, size_t len)
{
    (void)FPY_MD5_UPDATE(&h->ctx, data, len);
}

void fpy_md5_finish(fpy_md5 *h, uint8_t out[FPY_MD5_LEN])
{
    (void)FPY_MD5_FINISH(&h->ctx, out);
    mbedtls_md5_free(&h->ctx);
}

void fpy_md5_buf(const void *data, size_t len, uint8_t out[FPY_MD5_LEN])
{
    fpy_md5 h;
    fpy_md5_start(&h);
    fpy_md5_update(&h, data, len);
    fpy_md5_finish(&h, out);
}

uint32_t fpy_crc32_le(uint32_t crc, const void *data, size_t len)
{
    const Bytef *p = data;
    uLong c = crc;
    /* zlib takes a uInt length; feed large buffers in pieces. */
    while (len > 0) {
        uInt n = len > 0x40000000u ? 0x40000000u : (uInt)len;
        c = crc32(c, p, n);
        p += n;
        len -= n;
    }
    return (uint32_t)c;
}

int fpy_digest_cmp(const uint8_t *a, const uint8_t *b, size_t len)
{
    uint8_t diff = 0;
    for (size_t i = 0; i < len; i++)
        diff |= (uint8_t)(a[i] ^ b[i]);
    return diff != 0;
}
