/* Images for boot and FOTA tests: small but real ESP32 app images (built
 * by fpy_image_build) and fipy bytecode images. */
#ifndef FIPY_FIXTURES_H
#define FIPY_FIXTURES_H

#include <stddef.h>
#include <stdint.h>

#include "fipy/flash.h"

/* A VM image whose app version is `version` ("2.0.0" -> ABI 2); `seed`
 * varies the code bytes; `text_len` the size of .flash.text.  Returns the
 * image length; fails the test if it does not fit `cap`. */
size_t fpy_fix_vm(const char *version, uint32_t seed, uint32_t text_len, uint8_t *out,
                  size_t cap);
/* The same, with no SHA-256 appended when no_digest is set. */
size_t fpy_fix_vm_ex(const char *version, uint32_t seed, uint32_t text_len, int no_digest,
                     uint8_t *out, size_t cap);
/* The same with esp_app_desc_t.secure_version = `secver` (anti-rollback). */
size_t fpy_fix_vm_sv(const char *version, uint32_t secver, uint32_t seed, uint32_t text_len,
                     uint8_t *out, size_t cap);
/* A bytecode image for `abi` with `len` payload bytes from `seed`. */
size_t fpy_fix_bc(uint32_t abi, uint32_t seed, uint32_t len, uint8_t *out, size_t cap);
/* The same with the header's security version `secver`. */
size_t fpy_fix_bc_sv(uint32_t abi, uint32_t secver, uint32_t seed, uint32_t len, uint8_t *out,
                     size_t cap);
/* Sign the app or bytecode image buf[0..len) in place with the test key
 * (host/sign.h, a fixed scalar; an app grows by the 68-byte block, which
 * must fit `cap`).  Returns the new length; the key's public half in
 * pub (if not NULL). */
size_t fpy_fix_sign(uint8_t *buf, size_t len, size_t cap, uint8_t pub[64]);
/* The same with a second, different key (a wrong key for the device). */
size_t fpy_fix_sign_other(uint8_t *buf, size_t len, size_t cap);
/* Erase the sectors under [addr, addr+len) and program the bytes
 * (padded with 0xFF to 4), without fault injection. */
void fpy_fix_install(const fpy_flash *f, uint32_t addr, const uint8_t *data, size_t len);

#endif
