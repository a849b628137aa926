/*
 * The ESP32's flash encryption (the original ESP32's AES-256 scheme with
 * a key tweaked per 32-byte group of flash; not the XTS scheme of the S2,
 * C3 and later chips), as docs/formats/flash-encryption.md describes it
 * byte by byte.  The same bytes as espsecure's encrypt_flash_data and
 * decrypt_flash_data for the same key, address and FLASH_CRYPT_CONFIG.
 *
 * It is hardware on the chip (the flash cache decrypts what the firmware
 * reads, the ROM loader's reads return the raw ciphertext), so it lives
 * in sim/ for the virtual board's encrypted flash; host/ and cli/ use it
 * for `fipytool encrypt` / `decrypt`.
 *
 * No library type appears here: the AES context is set up and wiped
 * inside each call.  Pure functions of their arguments: no state, no
 * allocation, safe from any number of threads.
 */
#ifndef FIPY_FLASHCRYPT_H
#define FIPY_FLASHCRYPT_H

#include <stddef.h>
#include <stdint.h>

#define FPY_FLASHCRYPT_KEY_LEN 32u     /* the 256-bit key in eFuse BLOCK1 */
#define FPY_FLASHCRYPT_BLOCK 16u       /* one AES block: the unit of address and length */
#define FPY_FLASHCRYPT_GROUP 32u       /* the bytes that share one tweaked key */
#define FPY_FLASHCRYPT_CONF_DEFAULT 0xFu /* FLASH_CRYPT_CONFIG as ESP-IDF burns it */
#define FPY_FLASHCRYPT_CONF_MAX 0xFu   /* the eFuse field has 4 bits */
/* The tweak reads address bits 5..23: flash addresses are 24-bit. */
#define FPY_FLASHCRYPT_ADDR_END 0x1000000u

/*
 * Encrypt `len` bytes of plaintext `in` that will sit at flash address
 * `addr` into `out` (what the flash chip holds), with the 32-byte `key`
 * and the FLASH_CRYPT_CONFIG value `conf`.  `out` may equal `in` (in
 * place); other overlaps are not allowed.
 *
 * Returns FPY_OK; FPY_ERR_ALIGN when `addr` or `len` is not a multiple of
 * 16 (the hardware and espsecure work in 16-byte blocks; padding is the
 * caller's choice); FPY_ERR_RANGE when [addr, addr+len) passes 16 MiB;
 * FPY_ERR_INVAL for a NULL pointer (with len > 0) or conf > 0xF;
 * and `out` is untouched after each of these.  FPY_ERR_STATE if the AES
 * library refuses (it does not for a 256-bit key); `out` may then be
 * partly written.
 */
int fpy_flashcrypt_encrypt(const uint8_t key[FPY_FLASHCRYPT_KEY_LEN], unsigned conf,
                           uint32_t addr, const uint8_t *in, uint8_t *out, size_t len);

/* The reverse: ciphertext as read raw from flash at `addr` to plaintext,
 * as the flash cache gives it to the firmware.  Same rules and errors. */
int fpy_flashcrypt_decrypt(const uint8_t key[FPY_FLASHCRYPT_KEY_LEN], unsigned conf,
                           uint32_t addr, const uint8_t *in, uint8_t *out, size_t len);

/*
 * What the firmware reads through the flash cache: the plaintext of
 * [addr, addr+len) of the ciphertext `flash` (the whole chip, `flash_len`
 * bytes, address 0 at flash[0]), at any address and length: the 16-byte
 * blocks that hold the span are decrypted and the span is cut out.
 * FPY_ERR_RANGE when those blocks do not all lie within `flash_len` or
 * the span passes 16 MiB; FPY_ERR_INVAL for a NULL pointer (with len > 0)
 * or conf > 0xF; `out` is untouched after either.
 */
int fpy_flashcrypt_read(const uint8_t key[FPY_FLASHCRYPT_KEY_LEN], unsigned conf,
                        const uint8_t *flash, size_t flash_len, uint32_t addr, uint8_t *out,
                        size_t len);

/*
 * The AES-256 key the hardware uses for the 32-byte group holding flash
 * address `addr` (bits 0..4 and 24..31 are ignored): `key` with bits
 * flipped according to address bits 5..23, in the parts of the key that
 * `conf` (0..0xF, not checked beyond its low 4 bits) selects.  For tests
 * and the format page; the calls above use it.
 */
void fpy_flashcrypt_block_key(const uint8_t key[FPY_FLASHCRYPT_KEY_LEN], unsigned conf,
                              uint32_t addr, uint8_t out[FPY_FLASHCRYPT_KEY_LEN]);

#endif
