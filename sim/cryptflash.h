/*
 * The ESP32's encrypted flash as the firmware sees it: an fpy_flash
 * layered over another one (the raw chip, normally sim/flashsim.h).
 * Inside the encrypted ranges the chip below holds ciphertext
 * (sim/flashcrypt.h, the same bytes as espsecure) and the firmware above
 * reads and writes plaintext, as through the ESP32's flash cache and
 * esp_flash_write_encrypted; outside them both see the same bytes.  The
 * ROM loader's reads and a flash dump are reads of the chip below.
 *
 * read: outside the ranges, raw.  Inside, per 16-byte block: a block
 *   whose raw bytes are all 0xFF reads as 0xFF (erased), any other block
 *   is decrypted.  On the chip the cache would decrypt erased flash into
 *   noise; ESP-IDF's drivers test erased state with raw reads, and fipy's
 *   lib/ relies on erased = 0xFF (fpy_is_erased: empty slots, erased
 *   record copies), so a port's flash driver makes the same raw check.
 *   The price: a block whose ciphertext happens to be all 0xFF reads as
 *   erased, which for a given block has probability 2^-128.
 *   Any address and length (split at block edges).
 * program: inside a range, address and length must be multiples of 16
 *   (FPY_ERR_ALIGN, and nothing at all is written, as ESP-IDF's
 *   esp_flash_write_encrypted refuses them); the bytes are encrypted for
 *   their address and programmed raw, in pieces that never cross a
 *   256-byte chip page, so a page-aligned page is one program below.  A
 *   program that covers encrypted and plain bytes is split at the range
 *   edges.  NOR rules apply to the ciphertext: re-programming an
 *   encrypted block with other data is refused by a strict chip (or
 *   garbles it), as on the ESP32.
 * erase: raw.
 *
 * Caller-allocated, no allocation, no globals: the layer keeps a copy of
 * the raw handle (whose ctx must outlive it), of the key and the ranges.
 */
#ifndef FIPY_CRYPTFLASH_H
#define FIPY_CRYPTFLASH_H

#include <stdint.h>

#include "fipy/flash.h"
#include "fipy/layout.h"
#include "flashcrypt.h"

/* Enough for the FiPy layouts (4 after merging) and a few more. */
#define FPY_CRYPTFLASH_MAX_RANGES 8u

typedef struct fpy_cryptflash_range {
    uint32_t addr; /* multiple of 16 */
    uint32_t len;  /* multiple of 16, > 0 */
} fpy_cryptflash_range;

/* Ascending, non-overlapping; adjacent ones are merged by _add. */
typedef struct fpy_cryptflash_ranges {
    fpy_cryptflash_range r[FPY_CRYPTFLASH_MAX_RANGES];
    uint32_t count;
} fpy_cryptflash_ranges;

typedef struct fpy_cryptflash {
    fpy_flash raw; /* the chip below */
    uint8_t key[FPY_FLASHCRYPT_KEY_LEN];
    unsigned conf; /* FLASH_CRYPT_CONFIG, 0..0xF */
    fpy_cryptflash_ranges ranges;
} fpy_cryptflash;

extern const fpy_flash_ops fpy_cryptflash_ops;

/* Append [addr, addr+len) to `rs`, merged with the last range when they
 * touch.  FPY_ERR_ALIGN unless both are multiples of 16; FPY_ERR_INVAL
 * for len 0, a range below or overlapping the last one, or addr+len
 * overflowing; FPY_ERR_NOSPC when the table is full.  `rs` is unchanged
 * on error.  Start from a zeroed struct. */
int fpy_cryptflash_ranges_add(fpy_cryptflash_ranges *rs, uint32_t addr, uint32_t len);

/* 1 when fipy's virtual board encrypts areas of this kind: ESP-IDF's
 * rule (second-stage bootloader, partition table, app partitions,
 * otadata; NVS never) plus fipy's bytecode slots and VM stores.  See
 * docs/formats/flash-encryption.md, "The virtual board's encrypted
 * regions". */
int fpy_cryptflash_area_encrypted(fpy_area_kind kind);

/* The ranges the virtual board encrypts in layout `l`: its encrypted
 * areas, merged where they touch, into `out` (overwritten).
 * FPY_ERR_NOSPC if they do not fit, FPY_ERR_ALIGN / FPY_ERR_INVAL from
 * _add for a layout that is not one (unordered, unaligned areas). */
int fpy_cryptflash_ranges_fipy(const fpy_layout *l, fpy_cryptflash_ranges *out);

/* Set up `c` over `raw` with the 32-byte `key`, FLASH_CRYPT_CONFIG
 * `conf` and `ranges` (copied).  FPY_ERR_INVAL for a NULL pointer, conf
 * above 0xF, or ranges not ascending and disjoint or more than the
 * table holds; FPY_ERR_ALIGN for a range not on 16 bytes; FPY_ERR_RANGE
 * for a range past the raw chip or past 16 MiB (the tweak's address
 * space).  The key is not checked further: any 32 bytes are a key. */
int fpy_cryptflash_init(fpy_cryptflash *c, const fpy_flash *raw,
                        const uint8_t key[FPY_FLASHCRYPT_KEY_LEN], unsigned conf,
                        const fpy_cryptflash_ranges *ranges);

/* An fpy_flash handle driving `c`: the raw chip's geometry, these ops. */
void fpy_cryptflash_bind(fpy_cryptflash *c, fpy_flash *out);

/* 1 when flash address `addr` lies in an encrypted range of `c`. */
int fpy_cryptflash_is_encrypted(const fpy_cryptflash *c, uint32_t addr);

#endif
