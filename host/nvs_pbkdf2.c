/*
 * PBKDF2-HMAC-SHA1, for the Wi-Fi PMK (ap.pmk_info) that nvs_partition_gen
 * adds for ap.* rows.  mbedTLS SHA-1 contexts on the stack: no allocation.
 */
#include <string.h>

#include <mbedtls/sha1.h>
#include <mbedtls/version.h>

#include "nvs_gen.h"

#if MBEDTLS_VERSION_NUMBER < 0x03000000
#define FPY_SHA1_STARTS mbedtls_sha1_starts_ret
#define FPY_SHA1_UPDATE mbedtls_sha1_update_ret
#define FPY_SHA1_FINISH mbedtls_sha1_finish_ret
#else
#define FPY_SHA1_STARTS mbedtls_sha1_starts
#define FPY_SHA1_UPDATE mbedtls_sha1_update
#define FPY_SHA1_FINISH mbedtls_sha1_finish
#endif

typedef struct fpy_hmac_sha1 {
    mbedtls_sha1_context inner, outer;
} fpy_hmac_sha1;

static void fpy_hmac_start(fpy_hmac_sha1 *h, const uint8_t *key, size_t klen)
{
    uint8_t k[64] = {0}, pad[64];
    if (klen > 64) {
        mbedtls_sha1_context c;
        mbedtls_sha1_init(&c);
        (void)FPY_SHA1_STARTS(&c);
        (void)FPY_SHA1_UPDATE(&c, key, klen);
        (void)FPY_SHA1_FINISH(&c, k);
        mbedtls_sha1_free(&c);
    } else if (klen > 0) {
        memcpy(k, key, klen);
    }
    mbedtls_sha1_init(&h->inner);
    mbedtls_sha1_init(&h->outer);
    for (int i = 0; i < 64; i++)
        pad[i] = (uint8_t)(k[i] ^ 0x36u);
    (void)FPY_SHA1_STARTS(&h->inner);
    (void)FPY_SHA1_UPDATE(&h->inner, pad, 64);
    for (int i = 0; i < 64; i++)
        pad[i] = (uint8_t)(k[i] ^ 0x5Cu);
    (void)FPY_SHA1_STARTS(&h->outer);
    (void)FPY_SHA1_UPDATE(&h->outer, pad, 64);
}

/* MAC of msg with a copy of the keyed state `h`. */
static void fpy_hmac(const fpy_hmac_sha1 *h, const uint8_t *a, size_t alen, const uint8_t *b,
                     size_t blen, uint8_t out[20])
{
    fpy_hmac_sha1 c;
    uint8_t inner[20];
    mbedtls_sha1_init(&c.inner);
    mbedtls_sha1_init(&c.outer);
    mbedtls_sha1_clone(&c.inner, &h->inner);
    mbedtls_sha1_clone(&c.outer, &h->outer);
    (void)FPY_SHA1_UPDATE(&c.inner, a, alen);
    if (blen > 0)
        (void)FPY_SHA1_UPDATE(&c.inner, b, blen);
    (void)FPY_SHA1_FINISH(&c.inner, inner);
    (void)FPY_SHA1_UPDATE(&c.outer, inner, sizeof inner);
    (void)FPY_SHA1_FINISH(&c.outer, out);
    mbedtls_sha1_free(&c.inner);
    mbedtls_sha1_free(&c.outer);
}

void fpy_nvs_pbkdf2_sha1(const uint8_t *pw, size_t pwlen, const uint8_t *salt,
                         size_t saltlen, uint32_t iterations, uint8_t out[32])
{
    fpy_hmac_sha1 h;
    fpy_hmac_start(&h, pw, pwlen);
    for (uint32_t block = 1, done = 0; done < 32; block++) {
        uint8_t be[4] = {(uint8_t)(block >> 24), (uint8_t)(block >> 16), (uint8_t)(block >> 8),
                         (uint8_t)block};
        uint8_t u[20], t[20];
        fpy_hmac(&h, salt, saltlen, be, 4, u);
        memcpy(t, u, sizeof t);
        for (uint32_t i = 1; i < iterations; i++) {
            fpy_hmac(&h, u, sizeof u, NULL, 0, u);
            for (int k = 0; k < 20; k++)
                t[k] ^= u[k];
        }
        uint32_t n = 32u - done < 20u ? 32u - done : 20u;
        memcpy(out + done, t, n);
        done += n;
    }
    mbedtls_sha1_free(&h.inner);
    mbedtls_sha1_free(&h.outer);
}
