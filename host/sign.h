/*
 * Signing on the host: ECDSA P-256 keys (PEM as espsecure and openssl
 * write them), secure boot v1 signatures of app images (byte-identical to
 * `espsecure sign_data --version 1`: RFC 6979 deterministic, SHA-256) and
 * signed bytecode images.  The checks are lib/sig's (fipy/sig.h); formats
 * in docs/formats/signature.md.  Every call that can fail returns an
 * fpy_err and, for keys, writes an English reason to errbuf.
 */
#ifndef FIPY_HOST_SIGN_H
#define FIPY_HOST_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "fipy/err.h"
#include "fipy/hash.h"

/* A key: always its public point, the private scalar when loaded from a
 * private key or generated.  `pk` is the library's key object (opaque
 * here); fpy_sign_key_free releases it. */
typedef struct fpy_sign_key {
    uint8_t pub[FPY_P256_PUB_LEN]; /* X||Y big-endian: signature_verification_key.bin */
    int has_private;
    void *pk;
} fpy_sign_key;

/* Key files are small; anything larger is not one. */
#define FPY_SIGN_KEY_MAX 16384u

/*
 * Load a key from bytes: a PEM private key (SEC1 "EC PRIVATE KEY", or
 * PKCS#8 "PRIVATE KEY", unencrypted), a PEM "PUBLIC KEY", or 64 raw bytes
 * X||Y.  The curve must be P-256.  `name` is for messages.
 * FPY_ERR_INVAL (with the reason) for anything else.
 */
int fpy_sign_key_parse(const uint8_t *buf, size_t len, const char *name, fpy_sign_key *k,
                       char *errbuf, size_t errlen);
/* Read and parse the key file `path`. */
int fpy_sign_key_load(const char *path, fpy_sign_key *k, char *errbuf, size_t errlen);
/* A key from a private scalar (32 bytes big-endian, in [1, n-1]). */
int fpy_sign_key_from_scalar(const uint8_t d[32], fpy_sign_key *k, char *errbuf, size_t errlen);
/* A new P-256 key, from a CTR-DRBG seeded by the system's entropy. */
int fpy_sign_key_gen(fpy_sign_key *k, char *errbuf, size_t errlen);
/* PEM text, NUL-ended, into out[0..cap): the private key as SEC1 "EC
 * PRIVATE KEY" (`private` 1; FPY_ERR_INVAL without one) or the public key
 * as "PUBLIC KEY".  *len = the text's length without the NUL. */
int fpy_sign_key_pem(const fpy_sign_key *k, int private_key, char *out, size_t cap, size_t *len);
void fpy_sign_key_free(fpy_sign_key *k);
/* len random bytes from the CTR-DRBG the keys are made with (a flash
 * encryption key).  FPY_ERR_IO when the system gives no entropy. */
int fpy_sign_random(uint8_t *out, size_t len);

/* r||s over `digest`, RFC 6979 deterministic with SHA-256.  FPY_ERR_INVAL
 * without a private key. */
int fpy_sign_digest(const fpy_sign_key *k, const uint8_t digest[FPY_SHA256_LEN],
                    uint8_t sig[FPY_P256_SIG_LEN]);

/* What a file is, by its first bytes. */
#define FPY_SIGN_KIND_UNKNOWN 0
#define FPY_SIGN_KIND_APP 1      /* ESP32 app image: byte 0 is 0xE9 */
#define FPY_SIGN_KIND_BYTECODE 2 /* fipy bytecode image: magic "FBC1" */
int fpy_sign_kind(const uint8_t *buf, size_t len);
/* "app image", "bytecode image", "unknown file". */
const char *fpy_sign_kind_name(int kind);

/* Replace an existing signature instead of refusing the signed input. */
#define FPY_SIGN_REPLACE 0x1u

/*
 * Sign `in` (an app or a bytecode image, by fpy_sign_kind) into a new
 * malloc'd buffer *out (*out_len bytes; free() it).  An app image must be
 * valid (checksum, digest) and end right after its digest, where ESP-IDF
 * looks for the block (FPY_ERR_CORRUPT naming the extra bytes
 * otherwise); the 68-byte block is appended, nothing else (pad with
 * elf2image --secure-pad first for secure boot's 64 KiB rule).  A
 * bytecode image must verify; its flags get the signed bit, its header
 * CRC is recomputed and the signature fills 0x40-0x7F.  An input already
 * signed is FPY_ERR_EXISTS unless FPY_SIGN_REPLACE.  The result is
 * verified with the key's public half before it is returned.
 */
int fpy_sign_image(const fpy_sign_key *k, const uint8_t *in, size_t len, unsigned flags,
                   uint8_t **out, size_t *out_len, fpy_diag *d);

/*
 * Verify a signed app or bytecode image held in memory with `pub`:
 * FPY_OK valid; FPY_ERR_CHECKSUM it does not verify; lib/sig's other
 * verdicts; FPY_ERR_CORRUPT for bytes after an app's signature block;
 * FPY_ERR_UNSUPPORTED for a file of neither kind.  *kind (if not NULL)
 * says what the file was taken for.
 */
int fpy_sign_verify(const uint8_t pub[FPY_P256_PUB_LEN], const uint8_t *buf, size_t len,
                    int *kind, fpy_diag *d);

#endif
