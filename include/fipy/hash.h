/*
 * Hashes and CRCs used by the formats: SHA-256 (app image digest, bytecode
 * images), MD5 (partition table MD5 entry, ROM SPI_FLASH_MD5) from mbedTLS,
 * and ESP-IDF's crc32_le from zlib.
 */
#ifndef FIPY_HASH_H
#define FIPY_HASH_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/md5.h>
#include <mbedtls/sha256.h>

#define FPY_SHA256_LEN 32u
#define FPY_MD5_LEN 16u

/* Incremental SHA-256; the caller owns the struct (no allocation). */
typedef struct fpy_sha256 {
    mbedtls_sha256_context ctx;
} fpy_sha256;

void fpy_sha256_start(fpy_sha256 *h);
void fpy_sha256_update(fpy_sha256 *h, const void *data, size_t len);
void fpy_sha256_finish(fpy_sha256 *h, uint8_t out[FPY_SHA256_LEN]);
/* One-shot. */
void fpy_sha256_buf(const void *data, size_t len, uint8_t out[FPY_SHA256_LEN]);

typedef struct fpy_md5 {
    mbedtls_md5_context ctx;
} fpy_md5;

void fpy_md5_start(fpy_md5 *h);
void fpy_md5_update(fpy_md5 *h, const void *data, size_t len);
void fpy_md5_finish(fpy_md5 *h, uint8_t out[FPY_MD5_LEN]);
void fpy_md5_buf(const void *data, size_t len, uint8_t out[FPY_MD5_LEN]);

/*
 * ESP-IDF's esp_rom_crc32_le(crc, buf, len): reflected CRC-32, polynomial
 * 0xEDB88320, with the running value inverted on entry and exit.  It is the
 * same function as zlib's crc32(): otadata uses crc32_le(0xFFFFFFFF, seq, 4)
 * and NVS uses crc32_le(0xFFFFFFFF, ...).
 */
uint32_t fpy_crc32_le(uint32_t crc, const void *data, size_t len);

/* Constant-time comparison of two digests: 0 when equal. */
int fpy_digest_cmp(const uint8_t *a, const uint8_t *b, size_t len);

#endif
