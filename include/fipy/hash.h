/*
 * Hashes and CRCs used by the formats: SHA-256 (app image digest, bytecode
 * images), MD5 (partition table MD5 entry, ROM SPI_FLASH_MD5) and
 * ESP-IDF's crc32_le; and the one public-key check, ECDSA P-256 verify
 * (signed apps and bytecode, fipy/sig.h).
 *
 * The hash contexts are opaque, caller-allocated storage of a fixed size:
 * no library type shows here.  lib/core/hash.c keeps a context's life and
 * calls the platform's hash port (fipy/port.h) for the arithmetic: on the
 * host mbedTLS and zlib (port/host/), on the chip its SHA hardware and ROM.
 * Every hash call returns FPY_OK or an error the caller passes up
 * (FPY_ERR_IO: the hash engine failed; FPY_ERR_STATE: a context used after
 * finish() ended it; a context must be started before it is used).
 *
 * A context lives from start() to finish(): an update that fails ends it
 * (finish() then returns the error again), and finish() ends it in every
 * case, so it may be called on any path, also after an error, to release
 * the context.  A context may also be abandoned without finish() (an
 * update given up part way): fipy/port.h asks every port to cope.
 */
#ifndef FIPY_HASH_H
#define FIPY_HASH_H

#include <stddef.h>
#include <stdint.h>

#define FPY_SHA256_LEN 32u
#define FPY_MD5_LEN 16u

/* Bytes of state a context holds: its life, and the port's state
 * (FPY_PORT_SHA256_STATE_SIZE, checked in lib/core/hash.c). */
#define FPY_SHA256_CTX_SIZE 192u

#if defined(__GNUC__)
#define FPY_HASH_CHECKED __attribute__((warn_unused_result))
#else
#define FPY_HASH_CHECKED
#endif

/* Incremental SHA-256; the caller owns the storage (no allocation). */
typedef struct fpy_sha256 {
    union {
        unsigned char bytes[FPY_SHA256_CTX_SIZE];
        uint64_t align_u64;
        void *align_ptr;
    } opaque;
} fpy_sha256;

FPY_HASH_CHECKED int fpy_sha256_start(fpy_sha256 *h);
FPY_HASH_CHECKED int fpy_sha256_update(fpy_sha256 *h, const void *data, size_t len);
FPY_HASH_CHECKED int fpy_sha256_finish(fpy_sha256 *h, uint8_t out[FPY_SHA256_LEN]);
/* One-shot. */
FPY_HASH_CHECKED int fpy_sha256_buf(const void *data, size_t len, uint8_t out[FPY_SHA256_LEN]);

/* MD5 in one go (the partition table's MD5 entry). */
FPY_HASH_CHECKED int fpy_md5_buf(const void *data, size_t len, uint8_t out[FPY_MD5_LEN]);

/* Incremental MD5 (the uplink's SPI_FLASH_MD5 over a slot of flash), with
 * the same life as fpy_sha256. */
#define FPY_MD5_CTX_SIZE 128u
typedef struct fpy_md5 {
    union {
        unsigned char bytes[FPY_MD5_CTX_SIZE];
        uint64_t align_u64;
        void *align_ptr;
    } opaque;
} fpy_md5;

FPY_HASH_CHECKED int fpy_md5_start(fpy_md5 *h);
FPY_HASH_CHECKED int fpy_md5_update(fpy_md5 *h, const void *data, size_t len);
FPY_HASH_CHECKED int fpy_md5_finish(fpy_md5 *h, uint8_t out[FPY_MD5_LEN]);

/*
 * ESP-IDF's esp_rom_crc32_le(crc, buf, len): reflected CRC-32, polynomial
 * 0xEDB88320, with the running value inverted on entry and exit.  It is the
 * same function as zlib's crc32() (the host port's): otadata uses crc32_le(0xFFFFFFFF, seq, 4)
 * and NVS uses crc32_le(0xFFFFFFFF, ...).  A pure function (the ESP32 has
 * it in ROM): it cannot fail.
 */
uint32_t fpy_crc32_le(uint32_t crc, const void *data, size_t len);

/*
 * ECDSA P-256 verify over a SHA-256 digest, through the port
 * (fipy/port.h: fpy_port_p256_verify, which states the byte orders).
 * FPY_OK valid; FPY_ERR_CHECKSUM the signature does not verify;
 * FPY_ERR_INVAL the key is not a point of P-256; FPY_ERR_IO the engine
 * failed (or the port answered something else).
 */
#define FPY_P256_PUB_LEN 64u
#define FPY_P256_SIG_LEN 64u
FPY_HASH_CHECKED int fpy_p256_verify(const uint8_t pub[FPY_P256_PUB_LEN],
                                     const uint8_t digest[FPY_SHA256_LEN],
                                     const uint8_t sig[FPY_P256_SIG_LEN]);

/* Constant-time comparison of two digests: 0 when equal. */
int fpy_digest_cmp(const uint8_t *a, const uint8_t *b, size_t len);

#endif
