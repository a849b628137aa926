/* ECDSA P-256 keys for signing (host/sign.h): parse, generate, write PEM,
 * sign a digest deterministically.  mbedTLS does the arithmetic. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/version.h>

#include "hostio.h"
#include "sign.h"

#ifndef MBEDTLS_PRIVATE /* mbedTLS 3 hides struct fields behind it */
#define MBEDTLS_PRIVATE(m) m
#endif

/* mbedTLS 3 wants a random generator for key parsing (blinding). */
#if MBEDTLS_VERSION_NUMBER < 0x03000000
#define FPY_PK_PARSE_KEY(pk, b, n) mbedtls_pk_parse_key((pk), (b), (n), NULL, 0)
#else
#define FPY_PK_PARSE_KEY(pk, b, n) mbedtls_pk_parse_key((pk), (b), (n), NULL, 0, fpy_sign_rng, NULL)
#endif

/* A CTR-DRBG seeded from the system's entropy (getrandom, /dev/urandom). */
typedef struct fpy_sign_rng_ctx {
    mbedtls_entropy_context ent;
    mbedtls_ctr_drbg_context drbg;
} fpy_sign_rng_ctx;

static int fpy_sign_rng_open(fpy_sign_rng_ctx *r)
{
    static const unsigned char pers[] = "fipytool sign";
    mbedtls_entropy_init(&r->ent);
    mbedtls_ctr_drbg_init(&r->drbg);
    return mbedtls_ctr_drbg_seed(&r->drbg, mbedtls_entropy_func, &r->ent, pers,
                                 sizeof pers - 1) == 0 ? FPY_OK : FPY_ERR_IO;
}

static void fpy_sign_rng_close(fpy_sign_rng_ctx *r)
{
    mbedtls_ctr_drbg_free(&r->drbg);
    mbedtls_entropy_free(&r->ent);
}

int fpy_sign_random(uint8_t *out, size_t len)
{
    fpy_sign_rng_ctx r;
    int rc = fpy_sign_rng_open(&r) == FPY_OK && mbedtls_ctr_drbg_random(&r.drbg, out, len) == 0
                 ? FPY_OK
                 : FPY_ERR_IO;
    fpy_sign_rng_close(&r);
    return rc;
}

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
static int fpy_sign_rng(void *ctx, unsigned char *out, size_t len)
{
    fpy_sign_rng_ctx r;
    (void)ctx;
    int rc = fpy_sign_rng_open(&r) == FPY_OK ? mbedtls_ctr_drbg_random(&r.drbg, out, len) : -1;
    fpy_sign_rng_close(&r);
    return rc;
}
#endif

static mbedtls_pk_context *fpy_sign_pk_new(void)
{
    mbedtls_pk_context *pk = malloc(sizeof *pk);
    if (pk != NULL)
        mbedtls_pk_init(pk);
    return pk;
}

void fpy_sign_key_free(fpy_sign_key *k)
{
    if (k->pk != NULL) {
        mbedtls_pk_free(k->pk);
        free(k->pk);
    }
    memset(k, 0, sizeof *k);
}

/* The key must be EC on P-256; take its public point as X||Y. */
static int fpy_sign_key_take(fpy_sign_key *k, const char *name, char *err, size_t errlen)
{
    mbedtls_pk_context *pk = k->pk;
    uint8_t pt[65];
    size_t n = 0;
    if (mbedtls_pk_get_type(pk) != MBEDTLS_PK_ECKEY) {
        snprintf(err, errlen, "%s is a %s key: fipy signs with ECDSA on P-256 (prime256v1)",
                 name, mbedtls_pk_get_name(pk));
        return FPY_ERR_INVAL;
    }
    mbedtls_ecp_keypair *ec = mbedtls_pk_ec(*pk);
    if (ec->MBEDTLS_PRIVATE(grp).id != MBEDTLS_ECP_DP_SECP256R1) {
        snprintf(err, errlen, "%s is an EC key on another curve: secure boot v1 needs P-256 "
                              "(prime256v1, secp256r1)", name);
        return FPY_ERR_INVAL;
    }
    if (mbedtls_ecp_point_write_binary(&ec->MBEDTLS_PRIVATE(grp), &ec->MBEDTLS_PRIVATE(Q),
                                       MBEDTLS_ECP_PF_UNCOMPRESSED, &n, pt, sizeof pt) != 0 ||
        n != sizeof pt) {
        snprintf(err, errlen, "%s: cannot read its public point", name);
        return FPY_ERR_INVAL;
    }
    memcpy(k->pub, pt + 1, sizeof k->pub);
    return FPY_OK;
}

/* A P-256 public key from raw X||Y. */
static int fpy_sign_key_raw(fpy_sign_key *k, const uint8_t *xy, const char *name, char *err,
                            size_t errlen)
{
    mbedtls_pk_context *pk = k->pk;
    uint8_t pt[65];
    pt[0] = 0x04;
    memcpy(pt + 1, xy, 64);
    if (mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0)
        return FPY_ERR_NOSPC;
    mbedtls_ecp_keypair *ec = mbedtls_pk_ec(*pk);
    if (mbedtls_ecp_group_load(&ec->MBEDTLS_PRIVATE(grp), MBEDTLS_ECP_DP_SECP256R1) != 0 ||
        mbedtls_ecp_point_read_binary(&ec->MBEDTLS_PRIVATE(grp), &ec->MBEDTLS_PRIVATE(Q), pt,
                                      sizeof pt) != 0 ||
        mbedtls_ecp_check_pubkey(&ec->MBEDTLS_PRIVATE(grp), &ec->MBEDTLS_PRIVATE(Q)) != 0) {
        snprintf(err, errlen, "%s: 64 raw bytes, but not a point of P-256 (X||Y, big-endian)",
                 name);
        return FPY_ERR_INVAL;
    }
    memcpy(k->pub, xy, 64);
    return FPY_OK;
}

/* PEM: try a private key, then a public one (mbedTLS wants the NUL). */
static int fpy_sign_key_pem_parse(fpy_sign_key *k, const uint8_t *buf, size_t len,
                                  const char *name, char *err, size_t errlen)
{
    char *z = malloc(len + 1);
    if (z == NULL)
        return FPY_ERR_NOSPC;
    memcpy(z, buf, len);
    z[len] = '\0';
    const unsigned char *u = (const unsigned char *)z;
    int rc = FPY_PK_PARSE_KEY(k->pk, u, len + 1);
    k->has_private = rc == 0;
    if (rc != 0) {
        mbedtls_pk_free(k->pk);
        mbedtls_pk_init(k->pk);
        rc = mbedtls_pk_parse_public_key(k->pk, u, len + 1);
    }
    free(z);
    if (rc == 0)
        return FPY_OK;
    snprintf(err, errlen, "%s is not a key fipytool reads: a PEM \"EC PRIVATE KEY\" or "
                          "\"PRIVATE KEY\" (unencrypted), a PEM \"PUBLIC KEY\", or 64 raw "
                          "bytes X||Y", name);
    return FPY_ERR_INVAL;
}

int fpy_sign_key_parse(const uint8_t *buf, size_t len, const char *name, fpy_sign_key *k,
                       char *err, size_t errlen)
{
    memset(k, 0, sizeof *k);
    if ((k->pk = fpy_sign_pk_new()) == NULL) {
        snprintf(err, errlen, "out of memory reading %s", name);
        return FPY_ERR_NOSPC;
    }
    int rc;
    /* No PEM key is as short as 64 bytes. */
    if (len == FPY_P256_PUB_LEN)
        rc = fpy_sign_key_raw(k, buf, name, err, errlen);
    else if ((rc = fpy_sign_key_pem_parse(k, buf, len, name, err, errlen)) == FPY_OK)
        rc = fpy_sign_key_take(k, name, err, errlen);
    if (rc != FPY_OK)
        fpy_sign_key_free(k);
    return rc;
}

int fpy_sign_key_load(const char *path, fpy_sign_key *k, char *err, size_t errlen)
{
    uint8_t *buf;
    size_t len;
    memset(k, 0, sizeof *k);
    int rc = fpy_file_read(path, FPY_SIGN_KEY_MAX, &buf, &len, err, errlen);
    if (rc != FPY_OK)
        return rc;
    rc = fpy_sign_key_parse(buf, len, path, k, err, errlen);
    memset(buf, 0, len); /* a private key: do not leave it in freed memory */
    free(buf);
    return rc;
}

int fpy_sign_key_from_scalar(const uint8_t d[32], fpy_sign_key *k, char *err, size_t errlen)
{
    memset(k, 0, sizeof *k);
    if ((k->pk = fpy_sign_pk_new()) == NULL ||
        mbedtls_pk_setup(k->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0) {
        fpy_sign_key_free(k);
        snprintf(err, errlen, "out of memory");
        return FPY_ERR_NOSPC;
    }
    mbedtls_ecp_keypair *ec = mbedtls_pk_ec(*(mbedtls_pk_context *)k->pk);
    mbedtls_ecp_group *g = &ec->MBEDTLS_PRIVATE(grp);
    if (mbedtls_ecp_group_load(g, MBEDTLS_ECP_DP_SECP256R1) != 0 ||
        mbedtls_mpi_read_binary(&ec->MBEDTLS_PRIVATE(d), d, 32) != 0 ||
        mbedtls_ecp_check_privkey(g, &ec->MBEDTLS_PRIVATE(d)) != 0 ||
        mbedtls_ecp_mul(g, &ec->MBEDTLS_PRIVATE(Q), &ec->MBEDTLS_PRIVATE(d), &g->G, NULL,
                        NULL) != 0) {
        fpy_sign_key_free(k);
        snprintf(err, errlen, "not a P-256 private scalar (1 to n-1)");
        return FPY_ERR_INVAL;
    }
    k->has_private = 1;
    return fpy_sign_key_take(k, "the key", err, errlen);
}

int fpy_sign_key_gen(fpy_sign_key *k, char *err, size_t errlen)
{
    fpy_sign_rng_ctx r;
    memset(k, 0, sizeof *k);
    int rc = fpy_sign_rng_open(&r);
    if (rc == FPY_OK && ((k->pk = fpy_sign_pk_new()) == NULL ||
                         mbedtls_pk_setup(k->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
                         mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*(mbedtls_pk_context *)k->pk),
                                             mbedtls_ctr_drbg_random, &r.drbg) != 0))
        rc = FPY_ERR_IO;
    fpy_sign_rng_close(&r);
    if (rc == FPY_OK) {
        k->has_private = 1;
        rc = fpy_sign_key_take(k, "the new key", err, errlen);
    } else {
        snprintf(err, errlen, "cannot generate a key: no entropy or no memory");
    }
    if (rc != FPY_OK)
        fpy_sign_key_free(k);
    return rc;
}

int fpy_sign_key_pem(const fpy_sign_key *k, int private_key, char *out, size_t cap, size_t *len)
{
    if (private_key && !k->has_private)
        return FPY_ERR_INVAL;
    unsigned char *u = (unsigned char *)out;
    int rc = private_key ? mbedtls_pk_write_key_pem(k->pk, u, cap)
                         : mbedtls_pk_write_pubkey_pem(k->pk, u, cap);
    if (rc != 0)
        return FPY_ERR_NOSPC;
    *len = strlen(out);
    return FPY_OK;
}

int fpy_sign_digest(const fpy_sign_key *k, const uint8_t digest[FPY_SHA256_LEN],
                    uint8_t sig[FPY_P256_SIG_LEN])
{
    if (!k->has_private)
        return FPY_ERR_INVAL;
    mbedtls_ecp_keypair *ec = mbedtls_pk_ec(*(mbedtls_pk_context *)k->pk);
    fpy_sign_rng_ctx r;
    mbedtls_mpi mr, ms;
    mbedtls_mpi_init(&mr);
    mbedtls_mpi_init(&ms);
    /* RFC 6979: k comes from the key and the digest, so the signature is
     * espsecure's byte for byte; the generator only blinds the arithmetic. */
    int rc = fpy_sign_rng_open(&r);
    if (rc == FPY_OK &&
        (mbedtls_ecdsa_sign_det_ext(&ec->MBEDTLS_PRIVATE(grp), &mr, &ms, &ec->MBEDTLS_PRIVATE(d),
                                    digest, FPY_SHA256_LEN, MBEDTLS_MD_SHA256,
                                    mbedtls_ctr_drbg_random, &r.drbg) != 0 ||
         mbedtls_mpi_write_binary(&mr, sig, 32) != 0 ||
         mbedtls_mpi_write_binary(&ms, sig + 32, 32) != 0))
        rc = FPY_ERR_IO;
    fpy_sign_rng_close(&r);
    mbedtls_mpi_free(&mr);
    mbedtls_mpi_free(&ms);
    return rc;
}
