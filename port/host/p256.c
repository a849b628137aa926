/* The host's ECDSA P-256 verify (fipy/port.h: fpy_port_p256_verify) over
 * mbedTLS, the same call ESP-IDF's app makes (mbedtls_ecdsa_verify on
 * SECP256R1 with r, s and Q read big-endian). */
#include <string.h>

#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>

#include "fipy/err.h"
#include "fipy/port.h"

typedef struct fpy_p256_vars {
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi r, s;
} fpy_p256_vars;

static void fpy_p256_init(fpy_p256_vars *v)
{
    mbedtls_ecp_group_init(&v->grp);
    mbedtls_ecp_point_init(&v->q);
    mbedtls_mpi_init(&v->r);
    mbedtls_mpi_init(&v->s);
}

static void fpy_p256_free(fpy_p256_vars *v)
{
    mbedtls_ecp_group_free(&v->grp);
    mbedtls_ecp_point_free(&v->q);
    mbedtls_mpi_free(&v->r);
    mbedtls_mpi_free(&v->s);
}

/* The key as an uncompressed point (0x04 X Y), checked to lie on the curve. */
static int fpy_p256_load(fpy_p256_vars *v, const uint8_t pub[64], const uint8_t sig[64])
{
    uint8_t pt[65];
    pt[0] = 0x04;
    memcpy(pt + 1, pub, 64);
    if (mbedtls_ecp_group_load(&v->grp, MBEDTLS_ECP_DP_SECP256R1) != 0 ||
        mbedtls_mpi_read_binary(&v->r, sig, 32) != 0 ||
        mbedtls_mpi_read_binary(&v->s, sig + 32, 32) != 0)
        return FPY_ERR_IO;
    if (mbedtls_ecp_point_read_binary(&v->grp, &v->q, pt, sizeof pt) != 0 ||
        mbedtls_ecp_check_pubkey(&v->grp, &v->q) != 0)
        return FPY_ERR_INVAL;
    return FPY_OK;
}

int fpy_port_p256_verify(const uint8_t pub[64], const uint8_t digest[32], const uint8_t sig[64])
{
    fpy_p256_vars v;
    fpy_p256_init(&v);
    int rc = fpy_p256_load(&v, pub, sig);
    if (rc == FPY_OK) {
        int m = mbedtls_ecdsa_verify(&v.grp, digest, 32, &v.q, &v.r, &v.s);
        /* r or s outside [1, n-1] is VERIFY_FAILED too. */
        rc = m == 0 ? FPY_OK : m == MBEDTLS_ERR_ECP_VERIFY_FAILED ? FPY_ERR_CHECKSUM : FPY_ERR_IO;
    }
    fpy_p256_free(&v);
    return rc;
}
