/* Thin wrappers over mbedTLS and zlib, so the rest of fipy does not care
 * which library (or mbedTLS major version) it was built against. */
#include "fipy/hash.h"

#include <mbedtls/md5.h>
#include <mbedtls/sha256.h>
#include <mbedtls/version.h>
#include <zlib.h>

#include "fipy/err.h"

#if MBEDTLS_VERSION_NUMBER < 0x03000000
#define FPY_SHA256_STARTS(c) mbedtls_sha256_starts_ret((c), 0)
#define FPY_SHA256_UPDATE mbedtls_sha256_update_ret
#define FPY_SHA256_FINISH mbedtls_sha256_finish_ret
#define FPY_MD5_RET mbedtls_md5_ret
#else
#define FPY_SHA256_STARTS(c) mbedtls_sha256_starts((c), 0)
#define FPY_SHA256_UPDATE mbedtls_sha256_update
#define FPY_SHA256_FINISH mbedtls_sha256_finish
#define FPY_MD5_RET mbedtls_md5
#endif

/* Where a context is in its life: live from start() to finish(), or
 * ended, with the error that ended it. */
typedef struct fpy_hash_life {
    int rc;
    int live;
} fpy_hash_life;

typedef struct fpy_sha256_state {
    fpy_hash_life life;
    mbedtls_sha256_context c;
} fpy_sha256_state;


/* The caller's storage holds the state: fipy/hash.h's sizes must follow
 * the library's. */
_Static_assert(sizeof(fpy_sha256_state) <= FPY_SHA256_CTX_SIZE, "FPY_SHA256_CTX_SIZE too small");
_Static_assert(_Alignof(fpy_sha256_state) <= _Alignof(fpy_sha256), "fpy_sha256 underaligned");

static fpy_sha256_state *fpy_sha256_of(fpy_sha256 *h)
{
    return (fpy_sha256_state *)(void *)h->opaque.bytes;
}

/* FPY_OK for a live context; else what ended it, or FPY_ERR_STATE. */
static int fpy_hash_live(const fpy_hash_life *l)
{
    if (l->live)
        return FPY_OK;
    return l->rc != FPY_OK ? l->rc : FPY_ERR_STATE;
}

/* End the context with mbedTLS's result: 0, or one of its own negative
 * codes, which say the engine failed. */
static int fpy_hash_end(fpy_hash_life *l, int mbedtls_rc)
{
    l->live = 0;
    l->rc = mbedtls_rc == 0 ? FPY_OK : FPY_ERR_IO;
    return l->rc;
}

static void fpy_hash_begin(fpy_hash_life *l)
{
    l->live = 1;
    l->rc = FPY_OK;
}

int fpy_sha256_start(fpy_sha256 *h)
{
    fpy_sha256_state *s = fpy_sha256_of(h);
    fpy_hash_begin(&s->life);
    mbedtls_sha256_init(&s->c);
    int rc = FPY_SHA256_STARTS(&s->c);
    if (rc == 0)
        return FPY_OK;
    mbedtls_sha256_free(&s->c);
    return fpy_hash_end(&s->life, rc);
}

int fpy_sha256_update(fpy_sha256 *h, const void *data, size_t len)
{
    fpy_sha256_state *s = fpy_sha256_of(h);
    FPY_TRY(fpy_hash_live(&s->life));
    int rc = FPY_SHA256_UPDATE(&s->c, data, len);
    if (rc == 0)
        return FPY_OK;
    mbedtls_sha256_free(&s->c);
    return fpy_hash_end(&s->life, rc);
}

int fpy_sha256_finish(fpy_sha256 *h, uint8_t out[FPY_SHA256_LEN])
{
    fpy_sha256_state *s = fpy_sha256_of(h);
    FPY_TRY(fpy_hash_live(&s->life));
    int rc = FPY_SHA256_FINISH(&s->c, out);
    mbedtls_sha256_free(&s->c);
    return fpy_hash_end(&s->life, rc);
}

int fpy_sha256_buf(const void *data, size_t len, uint8_t out[FPY_SHA256_LEN])
{
    fpy_sha256 h;
    FPY_TRY(fpy_sha256_start(&h));
    int rc = fpy_sha256_update(&h, data, len);
    int end = fpy_sha256_finish(&h, out); /* after a failed update too: it ends h */
    return rc != FPY_OK ? rc : end;
}

int fpy_md5_buf(const void *data, size_t len, uint8_t out[FPY_MD5_LEN])
{
    return FPY_MD5_RET(data, len, out) == 0 ? FPY_OK : FPY_ERR_IO;
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
