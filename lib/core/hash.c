/* The hash interface over the port (fipy/port.h): a context's life
 * (started, ended by an error or by finish) is kept here, once, whatever
 * the platform's engine; the port only computes. */
#include "fipy/hash.h"

#include "fipy/err.h"
#include "fipy/port.h"

/* Where a context is in its life: live from start() to finish(), or
 * ended, with the error that ended it. */
typedef struct fpy_hash_life {
    int rc;
    int live;
} fpy_hash_life;

typedef struct fpy_sha256_state {
    fpy_hash_life life;
    union {
        unsigned char bytes[FPY_PORT_SHA256_STATE_SIZE];
        uint64_t align_u64;
        void *align_ptr;
    } port;
} fpy_sha256_state;

/* The caller's storage holds the state: fipy/hash.h's size must leave
 * the port its room. */
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

/* What a port's answer means here: FPY_OK, or the engine failed.  Any
 * other code is taken as FPY_ERR_IO, never as a verdict on the data. */
static int fpy_port_rc(int rc)
{
    return rc == FPY_OK ? FPY_OK : FPY_ERR_IO;
}

/* End the context with the port's answer. */
static int fpy_hash_end(fpy_hash_life *l, int port_rc)
{
    l->live = 0;
    l->rc = fpy_port_rc(port_rc);
    return l->rc;
}

int fpy_sha256_start(fpy_sha256 *h)
{
    fpy_sha256_state *s = fpy_sha256_of(h);
    s->life.live = 1;
    s->life.rc = FPY_OK;
    int rc = fpy_port_sha256_start(s->port.bytes);
    return rc == FPY_OK ? FPY_OK : fpy_hash_end(&s->life, rc);
}

int fpy_sha256_update(fpy_sha256 *h, const void *data, size_t len)
{
    fpy_sha256_state *s = fpy_sha256_of(h);
    FPY_TRY(fpy_hash_live(&s->life));
    int rc = fpy_port_sha256_update(s->port.bytes, data, len);
    if (rc == FPY_OK)
        return FPY_OK;
    fpy_port_sha256_release(s->port.bytes);
    return fpy_hash_end(&s->life, rc);
}

int fpy_sha256_finish(fpy_sha256 *h, uint8_t out[FPY_SHA256_LEN])
{
    fpy_sha256_state *s = fpy_sha256_of(h);
    FPY_TRY(fpy_hash_live(&s->life));
    return fpy_hash_end(&s->life, fpy_port_sha256_finish(s->port.bytes, out));
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
    return fpy_port_rc(fpy_port_md5(data, len, out));
}

typedef struct fpy_md5_state {
    fpy_hash_life life;
    union {
        unsigned char bytes[FPY_PORT_MD5_STATE_SIZE];
        uint64_t align_u64;
        void *align_ptr;
    } port;
} fpy_md5_state;

_Static_assert(sizeof(fpy_md5_state) <= FPY_MD5_CTX_SIZE, "FPY_MD5_CTX_SIZE too small");
_Static_assert(_Alignof(fpy_md5_state) <= _Alignof(fpy_md5), "fpy_md5 underaligned");

static fpy_md5_state *fpy_md5_of(fpy_md5 *h)
{
    return (fpy_md5_state *)(void *)h->opaque.bytes;
}

int fpy_md5_start(fpy_md5 *h)
{
    fpy_md5_state *s = fpy_md5_of(h);
    s->life.live = 1;
    s->life.rc = FPY_OK;
    int rc = fpy_port_md5_start(s->port.bytes);
    return rc == FPY_OK ? FPY_OK : fpy_hash_end(&s->life, rc);
}

int fpy_md5_update(fpy_md5 *h, const void *data, size_t len)
{
    fpy_md5_state *s = fpy_md5_of(h);
    FPY_TRY(fpy_hash_live(&s->life));
    int rc = fpy_port_md5_update(s->port.bytes, data, len);
    if (rc == FPY_OK)
        return FPY_OK;
    fpy_port_md5_release(s->port.bytes);
    return fpy_hash_end(&s->life, rc);
}

int fpy_md5_finish(fpy_md5 *h, uint8_t out[FPY_MD5_LEN])
{
    fpy_md5_state *s = fpy_md5_of(h);
    FPY_TRY(fpy_hash_live(&s->life));
    return fpy_hash_end(&s->life, fpy_port_md5_finish(s->port.bytes, out));
}

uint32_t fpy_crc32_le(uint32_t crc, const void *data, size_t len)
{
    return fpy_port_crc32_le(crc, data, len);
}

int fpy_p256_verify(const uint8_t pub[FPY_P256_PUB_LEN], const uint8_t digest[FPY_SHA256_LEN],
                    const uint8_t sig[FPY_P256_SIG_LEN])
{
    int rc = fpy_port_p256_verify(pub, digest, sig);
    /* The verdicts a port may give; anything else is the engine's fault,
     * never "valid". */
    if (rc == FPY_OK || rc == FPY_ERR_CHECKSUM || rc == FPY_ERR_INVAL)
        return rc;
    return FPY_ERR_IO;
}

int fpy_digest_cmp(const uint8_t *a, const uint8_t *b, size_t len)
{
    uint8_t diff = 0;
    for (size_t i = 0; i < len; i++)
        diff |= (uint8_t)(a[i] ^ b[i]);
    return diff != 0;
}
