/*
 * `fipytool protect`: what Secure Firmware's protecting half burns and
 * writes on a virtual FiPy, and in which order (docs/security.md).
 *
 * The order keeps every cut resumable and never leaves a board fipy
 * cannot finish:
 *   1. the keys: BLOCK1 (flash encryption, a new random key, or the one a
 *      cut run left and software may still read), FLASH_CRYPT_CONFIG 0xF,
 *      BLOCK2 (the SHA-256 of the verification key);
 *   2. the flash: the signed bootloader with its configuration, the
 *      partition table, otadata, the signed VM and a fresh FOTA record,
 *      as ciphertext; the first sector of VM slot 1 and of both bytecode
 *      slots erased (what was there is plaintext, unsigned: it would not
 *      run, and erased reads as empty);
 *   3. FLASH_CRYPT_CNT's next bit (odd: on), ABS_DONE_0, JTAG_DISABLE,
 *      DISABLE_DL_ENCRYPT/DECRYPT/CACHE;
 *   4. last, read and write protection of the keys and of FLASH_CRYPT_CNT.
 * Until 4 the key can be read back, so a cut anywhere is finished by
 * running protect again.
 */
#ifndef FIPY_PROTECT_H
#define FIPY_PROTECT_H

#include <stddef.h>
#include <stdint.h>

#include "fipy/efuse.h"
#include "fipy/layout.h"
#include "flasher.h"
#include "provision.h"

typedef struct fpy_protect_plan {
    int done;        /* everything is burnt already: nothing to do */
    int write_flash; /* flash encryption is not on yet: steps 1 and 2 */
    int new_key;     /* BLOCK1 was blank: key is new */
    uint8_t key[FPY_EFUSE_KEY_LEN]; /* the flash encryption key (write_flash) */
    unsigned conf;   /* FLASH_CRYPT_CONFIG the ciphertext is made with */
    fpy_efuse keys, enable, lock;    /* the bits of steps 1, 3 and 4 */
} fpy_protect_plan;

/*
 * Decide from the board's eFuses `e` (as software reads them) and the
 * verification key `pub` (X||Y).  `fresh_key` is used when BLOCK1 is
 * blank.  FPY_OK with the plan, or FPY_ERR_STATE with err saying what
 * would brick the board or cannot be finished: another key's digest in
 * BLOCK2, a coding scheme other than none, a BLOCK1 key software may not
 * read while encryption is off, FLASH_CRYPT_CNT write-protected or used
 * up while off.
 */
int fpy_protect_plan_make(const fpy_efuse *e, const uint8_t pub[64],
                          const uint8_t fresh_key[FPY_EFUSE_KEY_LEN], fpy_protect_plan *p,
                          char *err, size_t errlen);

#define FPY_PROTECT_REGIONS (FPY_PROVISION_REGIONS + 3)

/*
 * Step 2's regions from the composed provision `pv`: each region inside
 * the virtual board's encrypted ranges (sim/cryptflash.h) encrypted in
 * place with the plan's key (16-byte blocks of 0xFF are left erased, as
 * the board reads erased blocks) and its length rounded up to 16; then
 * the erase regions.  out[] points into pv->mem.
 */
int fpy_protect_regions(fpy_provision *pv, const fpy_layout *l, const fpy_protect_plan *p,
                        fpy_flash_region out[FPY_PROTECT_REGIONS], size_t *n, char *err,
                        size_t errlen);

#endif
