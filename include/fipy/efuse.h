/*
 * The ESP32's eFuses (issue 16): the register image of the eFuse
 * controller as espefuse's virtual eFuse file holds it, the fields that
 * fipy reads and burns, and the chip's one-way rules.  Pure: no I/O, no
 * state outside the caller's fpy_efuse.
 *
 * Facts (docs/formats/efuse.md cites each): espefuse's ESP32 definitions
 * (efuse/esp32/mem_definition.py, efuse_defs/esp32.yaml) and its
 * emulated controller (emulate_efuse_controller*.py).
 *
 * An fpy_efuse holds what is burnt: the RDATA words of BLOCK0..BLOCK3 are
 * the fuse bits themselves (a read-protected key included, as the chip's
 * key hardware sees it); fpy_efuse_read_word is what software reads.  The
 * other words of the image (write data, CONF, CMD, clock registers) are
 * the controller's and mean nothing here; the virtual controller
 * (sim/efusesim.h) keeps its own.
 */
#ifndef FIPY_EFUSE_H
#define FIPY_EFUSE_H

#include <stddef.h>
#include <stdint.h>

#include "fipy/err.h"

/* The controller at DR_REG_EFUSE_BASE, EFUSE_MEM_SIZE = 0x11C + 4 bytes. */
#define FPY_EFUSE_BASE 0x3FF5A000u
#define FPY_EFUSE_MEM_SIZE 0x120u
#define FPY_EFUSE_WORDS (FPY_EFUSE_MEM_SIZE / 4u)

/* Register offsets from FPY_EFUSE_BASE. */
#define FPY_EFUSE_BLK0_RDATA 0x000u /* 7 words */
#define FPY_EFUSE_BLK0_WDATA 0x01Cu /* 7 words */
#define FPY_EFUSE_BLK1_RDATA 0x038u /* 8 words each: BLK1, BLK2, BLK3 */
#define FPY_EFUSE_BLK1_WDATA 0x098u /* 8 words each */
#define FPY_EFUSE_CLK 0x0F8u
#define FPY_EFUSE_CONF 0x0FCu
#define FPY_EFUSE_STATUS 0x100u
#define FPY_EFUSE_CMD 0x104u
#define FPY_EFUSE_DAC_CONF 0x118u
#define FPY_EFUSE_DEC_STATUS 0x11Cu
#define FPY_EFUSE_CONF_WRITE 0x5A5Au /* CONF before CMD PGM */
#define FPY_EFUSE_CONF_READ 0x5AA5u  /* CONF before CMD READ */
#define FPY_EFUSE_CMD_READ 0x1u
#define FPY_EFUSE_CMD_PGM 0x2u

#define FPY_EFUSE_BLOCKS 4u
#define FPY_EFUSE_KEY_LEN 32u

/* The image: word i is the register at FPY_EFUSE_BASE + 4*i. */
typedef struct fpy_efuse {
    uint32_t w[FPY_EFUSE_WORDS];
} fpy_efuse;

/* The fields fipy knows, as espefuse names them. */
typedef enum fpy_efuse_id {
    FPY_EFUSE_WR_DIS = 0,
    FPY_EFUSE_RD_DIS,
    FPY_EFUSE_FLASH_CRYPT_CNT,
    FPY_EFUSE_UART_DOWNLOAD_DIS,
    FPY_EFUSE_MAC,
    FPY_EFUSE_MAC_CRC,
    FPY_EFUSE_DISABLE_APP_CPU,
    FPY_EFUSE_DISABLE_BT,
    FPY_EFUSE_CHIP_PACKAGE_4BIT,
    FPY_EFUSE_DIS_CACHE,
    FPY_EFUSE_SPI_PAD_CONFIG_HD,
    FPY_EFUSE_CHIP_PACKAGE,
    FPY_EFUSE_CHIP_CPU_FREQ_LOW,
    FPY_EFUSE_CHIP_CPU_FREQ_RATED,
    FPY_EFUSE_BLK3_PART_RESERVE,
    FPY_EFUSE_CHIP_VER_REV1,
    FPY_EFUSE_CLK8M_FREQ,
    FPY_EFUSE_ADC_VREF,
    FPY_EFUSE_XPD_SDIO_REG,
    FPY_EFUSE_XPD_SDIO_TIEH,
    FPY_EFUSE_XPD_SDIO_FORCE,
    FPY_EFUSE_SPI_PAD_CONFIG_CLK,
    FPY_EFUSE_SPI_PAD_CONFIG_Q,
    FPY_EFUSE_SPI_PAD_CONFIG_D,
    FPY_EFUSE_SPI_PAD_CONFIG_CS0,
    FPY_EFUSE_CHIP_VER_REV2,
    FPY_EFUSE_VOL_LEVEL_HP_INV,
    FPY_EFUSE_WAFER_VERSION_MINOR,
    FPY_EFUSE_FLASH_CRYPT_CONFIG,
    FPY_EFUSE_CODING_SCHEME,
    FPY_EFUSE_CONSOLE_DEBUG_DISABLE,
    FPY_EFUSE_DISABLE_SDIO_HOST,
    FPY_EFUSE_ABS_DONE_0,
    FPY_EFUSE_ABS_DONE_1,
    FPY_EFUSE_JTAG_DISABLE,
    FPY_EFUSE_DISABLE_DL_ENCRYPT,
    FPY_EFUSE_DISABLE_DL_DECRYPT,
    FPY_EFUSE_DISABLE_DL_CACHE,
    FPY_EFUSE_KEY_STATUS,
    FPY_EFUSE_BLOCK1,          /* the flash encryption key */
    FPY_EFUSE_BLOCK2,          /* the secure boot (v1) key */
    FPY_EFUSE_BLOCK3,
    FPY_EFUSE_SECURE_VERSION,  /* BLK3 bits 128..159 */
    FPY_EFUSE_MAC_VERSION,
    FPY_EFUSE_NFIELDS
} fpy_efuse_id;

#define FPY_EFUSE_NO_BIT 0xFFu /* no write- or read-disable bit */

/* One field: its bits are block `block`, bits [word*32+bit, +width) of
 * the block read as little-endian words.  wr_dis / rd_dis: the WR_DIS /
 * RD_DIS bit that protects it (FPY_EFUSE_NO_BIT: none). */
typedef struct fpy_efuse_field {
    const char *name;
    uint8_t block, word, bit;
    uint16_t width;
    uint8_t wr_dis, rd_dis;
} fpy_efuse_field;

/* The field's entry; NULL for an id out of range. */
const fpy_efuse_field *fpy_efuse_field_get(fpy_efuse_id id);
/* The id of the field named `name` (espefuse's spelling), or
 * FPY_EFUSE_NFIELDS when none is. */
fpy_efuse_id fpy_efuse_field_find(const char *name);

/* ---- the image as bytes (docs/formats/efuse.md) --------------------------- */

/* espefuse's virtual file: FPY_EFUSE_MEM_SIZE bytes, the image's
 * little-endian bytes in reverse order (the last 4 bytes are word 0). */
void fpy_efuse_encode(const fpy_efuse *e, uint8_t out[FPY_EFUSE_MEM_SIZE]);
/* The reverse.  FPY_ERR_TRUNCATED (diag: expected and found size) when
 * len is short, FPY_ERR_CORRUPT when it is long; e is untouched then. */
int fpy_efuse_decode(const uint8_t *in, size_t len, fpy_efuse *e, fpy_diag *d);

/* ---- reading ------------------------------------------------------------- */

/* A fresh FiPy: the D0WDQ6 rev 1 words (package 0, rev bit 1, CPU rated
 * 240 MHz, CLK8M 0x40, ADC_VREF 5), `mac` with its CRC, all else 0. */
void fpy_efuse_new(fpy_efuse *e, const uint8_t mac[6]);

/* The burnt bits of a field of at most 32 bits into *v (read protection
 * does not hide them: this is the fuse, not a software read).
 * FPY_ERR_INVAL for an unknown id, FPY_ERR_RANGE for a wider field. */
int fpy_efuse_get(const fpy_efuse *e, fpy_efuse_id field, uint32_t *v);
/* The factory MAC as espefuse prints it (bytes 0..5). */
void fpy_efuse_get_mac(const fpy_efuse *e, uint8_t mac[6]);
/* CRC-8 as espefuse and the ROM's esp_crc8 compute it over a MAC
 * (reflected polynomial 0x8C, initial 0). */
uint8_t fpy_efuse_mac_crc(const uint8_t mac[6]);
/* The key in BLOCK blk (1..3), in the byte order of the key file that
 * `espefuse burn_key flash_encryption|secure_boot_v1 FILE` burns and
 * espsecure takes (the block's little-endian bytes reversed).
 * FPY_ERR_INVAL for another blk. */
int fpy_efuse_get_key(const fpy_efuse *e, unsigned blk, uint8_t out[FPY_EFUSE_KEY_LEN]);

/* What a READ_REG of image word i returns on the chip: the RDATA word,
 * 0 for the words of a read-protected block and 0 in the bits of a
 * read-protected BLOCK0 field (RD_DIS bit 3); other words as stored.
 * 0 for i out of range. */
uint32_t fpy_efuse_read_word(const fpy_efuse *e, unsigned i);

/* Whether software can read / burn the field (its protection bits). */
int fpy_efuse_is_readable(const fpy_efuse *e, fpy_efuse_id field);
int fpy_efuse_is_writable(const fpy_efuse *e, fpy_efuse_id field);

/* The security state in one word each. */
int fpy_efuse_flash_crypt_on(const fpy_efuse *e);     /* FLASH_CRYPT_CNT odd popcount */
unsigned fpy_efuse_secure_version(const fpy_efuse *e); /* popcount of SECURE_VERSION */

/* ---- burning: one way (bits are ORed in, never cleared) ------------------- */

/* OR v into a field of at most 32 bits.  FPY_ERR_INVAL for an unknown id,
 * FPY_ERR_RANGE when v has bits beyond the field (or the field is
 * wider than 32 bits: MAC, keys), FPY_ERR_STATE when its write-disable
 * bit (or its block's) is burnt and v has bits not burnt yet; the diag
 * (may be NULL) names the field and the WR_DIS bit.  e is untouched on
 * failure. */
int fpy_efuse_burn(fpy_efuse *e, fpy_efuse_id field, uint32_t v, fpy_diag *d);
/* OR a key (key-file order, as fpy_efuse_get_key gives it) into BLOCK
 * blk (1..3).  FPY_ERR_INVAL for another blk, FPY_ERR_STATE when the
 * block is write-protected, FPY_ERR_UNSUPPORTED under a 3/4 or repeat
 * coding scheme (24-byte keys: not on a FiPy). */
int fpy_efuse_burn_key(fpy_efuse *e, unsigned blk, const uint8_t key[FPY_EFUSE_KEY_LEN],
                       fpy_diag *d);
/* Anti-rollback: SECURE_VERSION's thermometer code for v, bits (1<<v)-1
 * (v 32: all).  FPY_ERR_RANGE for v > 32; burning a lower v than burnt
 * changes nothing and is FPY_OK (the counter only moves up). */
int fpy_efuse_burn_secure_version(fpy_efuse *e, unsigned v, fpy_diag *d);

/* OR every burnable bit of `want`'s fuse words into e, as the controller
 * does: bits under a burnt write-disable bit (in e) are dropped.  Returns
 * 1 when e changed, 0 when not.  For the virtual controller and the
 * board's fpy_vboard_efuse_burn. */
int fpy_efuse_merge(fpy_efuse *e, const fpy_efuse *want);
/* The bits of `want` that fpy_efuse_merge would drop: FPY_OK when none,
 * else FPY_ERR_STATE with the diag naming the first field refused. */
int fpy_efuse_check_burn(const fpy_efuse *e, const fpy_efuse *want, fpy_diag *d);

/* Image word index of RDATA word `word` of BLOCK blk (no check). */
static inline unsigned fpy_efuse_rdata_index(unsigned blk, unsigned word)
{
    return blk == 0 ? word : (FPY_EFUSE_BLK1_RDATA / 4u) + (blk - 1u) * 8u + word;
}
/* The same for the block's write-data registers. */
static inline unsigned fpy_efuse_wdata_index(unsigned blk, unsigned word)
{
    return blk == 0 ? FPY_EFUSE_BLK0_WDATA / 4u + word
                    : (FPY_EFUSE_BLK1_WDATA / 4u) + (blk - 1u) * 8u + word;
}
/* Words in BLOCK blk: 7 for BLOCK0, 8 for the others. */
static inline unsigned fpy_efuse_block_words(unsigned blk)
{
    return blk == 0 ? 7u : 8u;
}

#endif
