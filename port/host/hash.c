/* The host's hash port (fipy/port.h): mbedTLS for SHA-256 and MD5, zlib
 * for the CRC-32.  Built for the desktop only; lib/ never names either
 * library, so a port to the chip replaces this one file. */
#include "fipy/port.h"

#include <mbedtls/md5.h>
#include <mbedtls/sha256.h>
#include <mbedtls/version.h>
#include <zlib.h>

#include "fipy/err.h"

/* mbedTLS 2 names its checked calls *_ret; 3 dropped the suffix. */
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

_Static_assert(sizeof(mbedtls_sha256_context) <= FPY_PORT_SHA256_STATE_SIZE,
               "mbedTLS's SHA-256 state does not fit FPY_PORT_SHA256_STATE_SIZE");
_Static_assert(_Alignof(mbedtls_sha256_context) <= _Alignof(uint64_t),
               "mbedTLS's SHA-256 state needs more alignment than fipy/port.h gives");

static mbedtls_sha256_context *fpy_host_sha(void *st)
{
    return st;
}

/* mbedTLS answers 0 or one of its own negative codes: the engine failed. */
static int fpy_host_rc(int mbedtls_rc)
{
    return mbedtls_rc == 0 ? FPY_OK : FPY_ERR_IO;
}

int fpy_port_sha256_start(void *st)
{
    mbedtls_sha256_init(fpy_host_sha(st));
    int rc = FPY_SHA256_STARTS(fpy_host_sha(st));
    if (rc != 0)
        mbedtls_sha256_free(fpy_host_sha(st));
    return fpy_host_rc(rc);
}

int fpy_port_sha256_update(void *st, const void *data, size_t len)
{
    return fpy_host_rc(FPY_SHA256_UPDATE(fpy_host_sha(st), data, len));
}

int fpy_port_sha256_finish(void *st, uint8_t out[32])
{
    int rc = FPY_SHA256_FINISH(fpy_host_sha(st), out);
    mbedtls_sha256_free(fpy_host_sha(st));
    return fpy_host_rc(rc);
}

void fpy_port_sha256_release(void *st)
{
    mbedtls_sha256_free(fpy_host_sha(st));
}

int fpy_port_md5(const void *data, size_t len, uint8_t out[16])
{
    return fpy_host_rc(FPY_MD5_RET(data, len, out));
}

uint32_t fpy_port_crc32_le(uint32_t crc, const void *data, size_t len)
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
