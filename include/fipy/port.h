/*
 * The hash port: the primitives a platform provides, at link time, for
 * lib/core/hash.c to build fipy/hash.h on.  The core takes nothing else
 * from a library: the host port (port/host/hash.c) puts mbedTLS and zlib
 * here; a port to the ESP32 puts the SHA peripheral (or the ROM's SHA
 * routines), the ROM's MD5 and the ROM's crc32_le (docs/porting.md).
 *
 * Why link time, when flash and the system clock come in through ops
 * tables with a context pointer: a flash or a clock is an instance (a
 * test runs several simulated flashes side by side), a hash is not.  The
 * core hashes inside parsers that take no context (the app image digest,
 * NVS entry CRCs, otadata CRCs), and the chip has one SHA engine; a table
 * would ride along every call for a choice fixed when the firmware is
 * linked.  So the port is one definition of each function below.
 *
 * Every port function that can fail returns FPY_OK or FPY_ERR_IO (the
 * engine failed); hash.c takes any other value as FPY_ERR_IO too, so a port
 * cannot hand the core a verdict (a corrupt image) for an engine fault.
 */
#ifndef FIPY_PORT_H
#define FIPY_PORT_H

#include <stddef.h>
#include <stdint.h>

/* Bytes a port's SHA-256 state may take inside an fpy_sha256 context
 * (fipy/hash.h), aligned for uint64_t and pointers.  mbedTLS 2 and 3 take
 * 108 (the host port checks that its state fits). */
#define FPY_PORT_SHA256_STATE_SIZE 176u

/*
 * SHA-256 over caller storage `st` of FPY_PORT_SHA256_STATE_SIZE bytes.
 * hash.c calls start once, then update any number of times, then finish
 * once; finish releases the state in every case.  After an update fails,
 * hash.c calls release instead of finish and does not use `st` again.
 * A start that fails leaves nothing to release.  A context may also be
 * abandoned with neither (an update given up part way, then a new one
 * started): a port that locks a SHA engine must not keep it locked across
 * calls, or must compute in software while it is held.
 */
int fpy_port_sha256_start(void *st);
int fpy_port_sha256_update(void *st, const void *data, size_t len);
int fpy_port_sha256_finish(void *st, uint8_t out[32]);
void fpy_port_sha256_release(void *st);

/* MD5 of a whole buffer (the partition table's MD5 entry). */
int fpy_port_md5(const void *data, size_t len, uint8_t out[16]);

/* Bytes a port's MD5 state may take inside an fpy_md5 context (mbedTLS
 * takes 88).  Incremental MD5 answers the uplink's SPI_FLASH_MD5 over a
 * bytecode slot (lib/uplink); the same life rules as SHA-256 above (the
 * ESP32 ROM has MD5Init/MD5Update/MD5Final). */
#define FPY_PORT_MD5_STATE_SIZE 112u
int fpy_port_md5_start(void *st);
int fpy_port_md5_update(void *st, const void *data, size_t len);
int fpy_port_md5_finish(void *st, uint8_t out[16]);
void fpy_port_md5_release(void *st);

/* ESP-IDF's crc32_le (fipy/hash.h: fpy_crc32_le): a pure function. */
uint32_t fpy_port_crc32_le(uint32_t crc, const void *data, size_t len);

/*
 * ECDSA over NIST P-256 (secp256r1), verify only: the signature checks of
 * secure boot v1 apps and signed bytecode (fipy/sig.h).  `pub` is the
 * public point X||Y, 32 bytes each, big-endian (ESP-IDF's
 * signature_verification_key.bin); `digest` the 32-byte SHA-256 that was
 * signed; `sig` r||s, 32 bytes each, big-endian.  Unlike the hashes above,
 * the answer is a verdict, so a port answers one of:
 *   FPY_OK             the signature is valid for this key and digest;
 *   FPY_ERR_CHECKSUM   it is not (r or s out of [1, n-1] included);
 *   FPY_ERR_INVAL      `pub` is not a point of the curve;
 *   FPY_ERR_IO         the engine failed.
 * hash.c (fpy_p256_verify) takes any other value as FPY_ERR_IO.  On the
 * ESP32 a port uses micro-ecc or mbedTLS as ESP-IDF does (docs/porting.md).
 */
int fpy_port_p256_verify(const uint8_t pub[64], const uint8_t digest[32],
                         const uint8_t sig[64]);

#endif
