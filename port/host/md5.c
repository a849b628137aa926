/* The host port's incremental MD5 (fipy/port.h) over mbedTLS.  A file of
 * its own: a test that links its own SHA-256 port (tests/test_hash_port.c)
 * still takes these from libfipy_port_host without a clash. */
#include "fipy/port.h"

#include <mbedtls/md5.h>
#include <mbedtls/version.h>

#include "fipy/err.h"

#if MBEDTLS_VERSION_NUMBER < 0x03000000
#define FPY_MD5_STARTS mbedtls_md5_starts_ret
#define FPY_MD5_UPDATE mbedtls_md5_update_ret
#define FPY_MD5_FINISH mbedtls_md5_finish_ret
#else
#define FPY_MD5_STARTS mbedtls_md5_starts
#define FPY_MD5_UPDATE mbedtls_md5_update
#define FPY_MD5_FINISH mbedtls_md5_finish
#endif

_Static_assert(sizeof(mbedtls_md5_context) <= FPY_PORT_MD5_STATE_SIZE,
               "mbedTLS's MD5 state does not fit FPY_PORT_MD5_STATE_SIZE");
_Static_assert(_Alignof(mbedtls_md5_context) <= _Alignof(uint64_t),
               "mbedTLS's MD5 state needs more alignment than fipy/port.h gives");

int fpy_port_md5_start(void *st)
{
    mbedtls_md5_init(st);
    int rc = FPY_MD5_STARTS(st);
    if (rc != 0)
        mbedtls_md5_free(st);
    return rc == 0 ? FPY_OK : FPY_ERR_IO;
}

int fpy_port_md5_update(void *st, const void *data, size_t len)
{
    return FPY_MD5_UPDATE(st, data, len) == 0 ? FPY_OK : FPY_ERR_IO;
}

int fpy_port_md5_finish(void *st, uint8_t out[16])
{
    int rc = FPY_MD5_FINISH(st, out);
    mbedtls_md5_free(st);
    return rc == 0 ? FPY_OK : FPY_ERR_IO;
}

void fpy_port_md5_release(void *st)
{
    mbedtls_md5_free(st);
}
