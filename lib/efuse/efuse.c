/* The ESP32's eFuses: see include/fipy/efuse.h, docs/formats/efuse.md. */
#include "fipy/efuse.h"

#include <string.h>

#include "fipy/bytes.h"

#define FPY_EF_NO FPY_EFUSE_NO_BIT
#define FPY_EF_RD_DIS_BLK0 3u /* RD_DIS bit that hides BLOCK0's key-related fields */

/* espefuse's efuse_defs/esp32.yaml: block, word, pos, len, wr_dis, rd_dis. */
static const fpy_efuse_field fpy_ef_fields[FPY_EFUSE_NFIELDS] = {
    [FPY_EFUSE_WR_DIS] = {"WR_DIS", 0, 0, 0, 16, 1, FPY_EF_NO},
    [FPY_EFUSE_RD_DIS] = {"RD_DIS", 0, 0, 16, 4, 0, FPY_EF_NO},
    [FPY_EFUSE_FLASH_CRYPT_CNT] = {"FLASH_CRYPT_CNT", 0, 0, 20, 7, 2, FPY_EF_NO},
    [FPY_EFUSE_UART_DOWNLOAD_DIS] = {"UART_DOWNLOAD_DIS", 0, 0, 27, 1, 2, FPY_EF_NO},
    [FPY_EFUSE_MAC] = {"MAC", 0, 1, 0, 48, 3, FPY_EF_NO},
    [FPY_EFUSE_MAC_CRC] = {"MAC_CRC", 0, 2, 16, 8, 3, FPY_EF_NO},
    [FPY_EFUSE_DISABLE_APP_CPU] = {"DISABLE_APP_CPU", 0, 3, 0, 1, 3, FPY_EF_NO},
    [FPY_EFUSE_DISABLE_BT] = {"DISABLE_BT", 0, 3, 1, 1, 3, FPY_EF_NO},
    [FPY_EFUSE_CHIP_PACKAGE_4BIT] = {"CHIP_PACKAGE_4BIT", 0, 3, 2, 1, FPY_EF_NO, FPY_EF_NO},
    [FPY_EFUSE_DIS_CACHE] = {"DIS_CACHE", 0, 3, 3, 1, 3, FPY_EF_NO},
    [FPY_EFUSE_SPI_PAD_CONFIG_HD] = {"SPI_PAD_CONFIG_HD", 0, 3, 4, 5, FPY_EF_NO, FPY_EF_NO},
    [FPY_EFUSE_CHIP_PACKAGE] = {"CHIP_PACKAGE", 0, 3, 9, 3, FPY_EF_NO, FPY_EF_NO},
    [FPY_EFUSE_CHIP_CPU_FREQ_LOW] = {"CHIP_CPU_FREQ_LOW", 0, 3, 12, 1, FPY_EF_NO, FPY_EF_NO},
    [FPY_EFUSE_CHIP_CPU_FREQ_RATED] = {"CHIP_CPU_FREQ_RATED", 0, 3, 13, 1, FPY_EF_NO, FPY_EF_NO},
    [FPY_EFUSE_BLK3_PART_RESERVE] = {"BLK3_PART_RESERVE", 0, 3, 14, 1, 10, 3},
    [FPY_EFUSE_CHIP_VER_REV1] = {"CHIP_VER_REV1", 0, 3, 15, 1, FPY_EF_NO, FPY_EF_NO},
    [FPY_EFUSE_CLK8M_FREQ] = {"CLK8M_FREQ", 0, 4, 0, 8, 4, FPY_EF_NO},
    [FPY_EFUSE_ADC_VREF] = {"ADC_VREF", 0, 4, 8, 5, 4, FPY_EF_NO},
    [FPY_EFUSE_XPD_SDIO_REG] = {"XPD_SDIO_REG", 0, 4, 14, 1, 5, FPY_EF_NO},
    [FPY_EFUSE_XPD_SDIO_TIEH] = {"XPD_SDIO_TIEH", 0, 4, 15, 1, 5, FPY_EF_NO},
    [FPY_EFUSE_XPD_SDIO_FORCE] = {"XPD_SDIO_FORCE", 0, 4, 16, 1, 5, FPY_EF_NO},
    [FPY_EFUSE_SPI_PAD_CONFIG_CLK] = {"SPI_PAD_CONFIG_CLK", 0, 5, 0, 5, 6, FPY_EF_NO},
    [FPY_EFUSE_SPI_PAD_CONFIG_Q] = {"SPI_PAD_CONFIG_Q", 0, 5, 5, 5, 6, FPY_EF_NO},
    [FPY_EFUSE_SPI_PAD_CONFIG_D] = {"SPI_PAD_CONFIG_D", 0, 5, 10, 5, 6, FPY_EF_NO},
    [FPY_EFUSE_SPI_PAD_CONFIG_CS0] = {"SPI_PAD_CONFIG_CS0", 0, 5, 15, 5, 6, FPY_EF_NO},
    [FPY_EFUSE_CHIP_VER_REV2] = {"CHIP_VER_REV2", 0, 5, 20, 1, FPY_EF_NO, FPY_EF_NO},
    [FPY_EFUSE_VOL_LEVEL_HP_INV] = {"VOL_LEVEL_HP_INV", 0, 5, 22, 2, 3, FPY_EF_NO},
    [FPY_EFUSE_WAFER_VERSION_MINOR] = {"WAFER_VERSION_MINOR", 0, 5, 24, 2, FPY_EF_NO, FPY_EF_NO},
    [FPY_EFUSE_FLASH_CRYPT_CONFIG] = {"FLASH_CRYPT_CONFIG", 0, 5, 28, 4, 10, 3},
    [FPY_EFUSE_CODING_SCHEME] = {"CODING_SCHEME", 0, 6, 0, 2, 10, 3},
    [FPY_EFUSE_CONSOLE_DEBUG_DISABLE] = {"CONSOLE_DEBUG_DISABLE", 0, 6, 2, 1, 15, FPY_EF_NO},
    [FPY_EFUSE_DISABLE_SDIO_HOST] = {"DISABLE_SDIO_HOST", 0, 6, 3, 1, FPY_EF_NO, FPY_EF_NO},
    [FPY_EFUSE_ABS_DONE_0] = {"ABS_DONE_0", 0, 6, 4, 1, 12, FPY_EF_NO},
    [FPY_EFUSE_ABS_DONE_1] = {"ABS_DONE_1", 0, 6, 5, 1, 13, FPY_EF_NO},
    [FPY_EFUSE_JTAG_DISABLE] = {"JTAG_DISABLE", 0, 6, 6, 1, 14, FPY_EF_NO},
    [FPY_EFUSE_DISABLE_DL_ENCRYPT] = {"DISABLE_DL_ENCRYPT", 0, 6, 7, 1, 15, FPY_EF_NO},
    [FPY_EFUSE_DISABLE_DL_DECRYPT] = {"DISABLE_DL_DECRYPT", 0, 6, 8, 1, 15, FPY_EF_NO},
    [FPY_EFUSE_DISABLE_DL_CACHE] = {"DISABLE_DL_CACHE", 0, 6, 9, 1, 15, FPY_EF_NO},
    [FPY_EFUSE_KEY_STATUS] = {"KEY_STATUS", 0, 6, 10, 1, 10, 3},
    [FPY_EFUSE_BLOCK1] = {"BLOCK1", 1, 0, 0, 256, 7, 0},
    [FPY_EFUSE_BLOCK2] = {"BLOCK2", 2, 0, 0, 256, 8, 1},
    [FPY_EFUSE_BLOCK3] = {"BLOCK3", 3, 0, 0, 256, 9, 2},
    [FPY_EFUSE_SECURE_VERSION] = {"SECURE_VERSION", 3, 4, 0, 32, 9, 2},
    [FPY_EFUSE_MAC_VERSION] = {"MAC_VERSION", 3, 5, 24, 8, 9, 2},
};

/* The blocks' own protection bits (mem_definition.py BLOCKS). */
static const uint8_t fpy_ef_blk_wr_dis[FPY_EFUSE_BLOCKS] = {FPY_EF_NO, 7, 8, 9};
static const uint8_t fpy_ef_blk_rd_dis[FPY_EFUSE_BLOCKS] = {FPY_EF_NO, 0, 1, 2};

/* The D0WDQ6 rev 1 words of a fresh FiPy (rom_protocol.md §5.7). */
#define FPY_EF_NEW_W3 0x0000A000u /* package 0, rev bit 1, rated 240 MHz */
#define FPY_EF_NEW_W4 0x00000540u /* CLK8M_FREQ 0x40, ADC_VREF 5 */

const fpy_efuse_field *fpy_efuse_field_get(fpy_efuse_id id)
{
    return (unsigned)id < FPY_EFUSE_NFIELDS ? &fpy_ef_fields[id] : NULL;
}

fpy_efuse_id fpy_efuse_field_find(const char *name)
{
    unsigned i = 0;
    while (i < FPY_EFUSE_NFIELDS && strcmp(fpy_ef_fields[i].name, name) != 0)
        i++;
    return (fpy_efuse_id)i;
}

/* ---- bytes --------------------------------------------------------------- */

/* espefuse keeps its memory as one bit string with address 0 at the end,
 * each word read as a big-endian uint:32: the file is the image's
 * little-endian bytes, reversed. */
void fpy_efuse_encode(const fpy_efuse *e, uint8_t out[FPY_EFUSE_MEM_SIZE])
{
    uint8_t le[4];
    for (unsigned i = 0; i < FPY_EFUSE_WORDS; i++) {
        fpy_put_le32(le, e->w[i]);
        for (unsigned k = 0; k < 4; k++)
            out[FPY_EFUSE_MEM_SIZE - 1u - (4u * i + k)] = le[k];
    }
}

int fpy_efuse_decode(const uint8_t *in, size_t len, fpy_efuse *e, fpy_diag *d)
{
    if (len != FPY_EFUSE_MEM_SIZE)
        return fpy_diag_val(d, len < FPY_EFUSE_MEM_SIZE ? FPY_ERR_TRUNCATED : FPY_ERR_CORRUPT,
                            "an eFuse file is exactly 288 bytes", "size", 0,
                            FPY_EFUSE_MEM_SIZE, len);
    for (unsigned i = 0; i < FPY_EFUSE_WORDS; i++) {
        uint8_t le[4];
        for (unsigned k = 0; k < 4; k++)
            le[k] = in[FPY_EFUSE_MEM_SIZE - 1u - (4u * i + k)];
        e->w[i] = fpy_get_le32(le);
    }
    return FPY_OK;
}

/* ---- bits of a field ------------------------------------------------------ */

static const uint32_t *fpy_ef_blk(const fpy_efuse *e, unsigned blk)
{
    return &e->w[fpy_efuse_rdata_index(blk, 0)];
}

/* The bits of word k of the field's block that belong to the field. */
static uint32_t fpy_ef_word_mask(const fpy_efuse_field *f, unsigned k)
{
    uint32_t lo = (uint32_t)f->word * 32u + f->bit, hi = lo + f->width;
    uint32_t wlo = 32u * k, whi = wlo + 32u;
    if (hi <= wlo || lo >= whi)
        return 0;
    uint32_t a = lo > wlo ? lo - wlo : 0, b = hi < whi ? hi - wlo : 32u;
    return (uint32_t)((((uint64_t)1 << b) - 1u) & ~(((uint64_t)1 << a) - 1u));
}

static int fpy_ef_bit_set(const fpy_efuse *e, uint8_t bit, int rd)
{
    if (bit == FPY_EF_NO)
        return 0;
    uint32_t w0 = e->w[0];
    return rd ? (int)((w0 >> (16u + bit)) & 1u) : (int)((w0 >> bit) & 1u);
}

int fpy_efuse_is_writable(const fpy_efuse *e, fpy_efuse_id field)
{
    const fpy_efuse_field *f = fpy_efuse_field_get(field);
    return f != NULL && !fpy_ef_bit_set(e, f->wr_dis, 0) &&
           !fpy_ef_bit_set(e, fpy_ef_blk_wr_dis[f->block], 0);
}

int fpy_efuse_is_readable(const fpy_efuse *e, fpy_efuse_id field)
{
    const fpy_efuse_field *f = fpy_efuse_field_get(field);
    return f != NULL && !fpy_ef_bit_set(e, f->rd_dis, 1) &&
           !fpy_ef_bit_set(e, fpy_ef_blk_rd_dis[f->block], 1);
}

/* The bits of word k of BLOCK blk that a burn may still set: none in a
 * write-protected block; in BLOCK0, none of a field whose write-disable
 * bit is burnt (the emulator's check_wr_protection_area). */
static uint32_t fpy_ef_burnable(const fpy_efuse *e, unsigned blk, unsigned k)
{
    if (fpy_ef_bit_set(e, fpy_ef_blk_wr_dis[blk], 0))
        return 0;
    uint32_t m = 0xFFFFFFFFu;
    for (unsigned i = 0; i < FPY_EFUSE_NFIELDS; i++)
        if (fpy_ef_fields[i].block == blk && fpy_ef_bit_set(e, fpy_ef_fields[i].wr_dis, 0))
            m &= ~fpy_ef_word_mask(&fpy_ef_fields[i], k);
    return m;
}

/* The bits of word k of BLOCK blk that software reads as 0. */
static uint32_t fpy_ef_hidden(const fpy_efuse *e, unsigned blk, unsigned k)
{
    if (fpy_ef_bit_set(e, fpy_ef_blk_rd_dis[blk], 1))
        return 0xFFFFFFFFu;
    uint32_t m = 0;
    for (unsigned i = 0; i < FPY_EFUSE_NFIELDS; i++)
        if (fpy_ef_fields[i].block == blk && fpy_ef_bit_set(e, fpy_ef_fields[i].rd_dis, 1))
            m |= fpy_ef_word_mask(&fpy_ef_fields[i], k);
    return m;
}

int fpy_efuse_get(const fpy_efuse *e, fpy_efuse_id field, uint32_t *v)
{
    const fpy_efuse_field *f = fpy_efuse_field_get(field);
    if (f == NULL)
        return FPY_ERR_INVAL;
    if (f->width > 32 || f->bit + f->width > 32)
        return FPY_ERR_RANGE;
    uint32_t w = fpy_ef_blk(e, f->block)[f->word];
    *v = f->width == 32 ? w : (w >> f->bit) & ((1u << f->width) - 1u);
    return FPY_OK;
}

/* esptool's MAC: w2[15:8], w2[7:0], w1[31:24] .. w1[7:0]. */
void fpy_efuse_get_mac(const fpy_efuse *e, uint8_t mac[6])
{
    uint32_t w1 = e->w[1], w2 = e->w[2];
    mac[0] = (uint8_t)(w2 >> 8);
    mac[1] = (uint8_t)w2;
    mac[2] = (uint8_t)(w1 >> 24);
    mac[3] = (uint8_t)(w1 >> 16);
    mac[4] = (uint8_t)(w1 >> 8);
    mac[5] = (uint8_t)w1;
}

uint8_t fpy_efuse_mac_crc(const uint8_t mac[6])
{
    unsigned crc = 0;
    for (unsigned i = 0; i < 6; i++) {
        crc ^= mac[i];
        for (unsigned b = 0; b < 8; b++)
            crc = (crc & 1u) ? (crc >> 1) ^ 0x8Cu : crc >> 1;
    }
    return (uint8_t)crc;
}

void fpy_efuse_new(fpy_efuse *e, const uint8_t mac[6])
{
    memset(e, 0, sizeof *e);
    e->w[1] = (uint32_t)mac[2] << 24 | (uint32_t)mac[3] << 16 | (uint32_t)mac[4] << 8 | mac[5];
    e->w[2] = (uint32_t)fpy_efuse_mac_crc(mac) << 16 | (uint32_t)mac[0] << 8 | mac[1];
    e->w[3] = FPY_EF_NEW_W3;
    e->w[4] = FPY_EF_NEW_W4;
}

/* espefuse burn_key flash_encryption|secure_boot_v1 reverses the file
 * before burning (operations.py), and its bytes field reverses again into
 * a bit string whose first byte is the block's top byte: the key file's
 * byte i is the block's little-endian byte 31 - i. */
int fpy_efuse_get_key(const fpy_efuse *e, unsigned blk, uint8_t out[FPY_EFUSE_KEY_LEN])
{
    if (blk < 1 || blk >= FPY_EFUSE_BLOCKS)
        return FPY_ERR_INVAL;
    const uint32_t *w = fpy_ef_blk(e, blk);
    for (unsigned j = 0; j < FPY_EFUSE_KEY_LEN; j++)
        out[FPY_EFUSE_KEY_LEN - 1u - j] = (uint8_t)(w[j / 4u] >> (8u * (j % 4u)));
    return FPY_OK;
}

/* Which block and word image word i is RDATA of; -1 when none. */
static int fpy_ef_rdata_of(unsigned i, unsigned *blk, unsigned *k)
{
    for (unsigned b = 0; b < FPY_EFUSE_BLOCKS; b++) {
        unsigned first = fpy_efuse_rdata_index(b, 0);
        if (i >= first && i < first + fpy_efuse_block_words(b)) {
            *blk = b;
            *k = i - first;
            return 0;
        }
    }
    return -1;
}

uint32_t fpy_efuse_read_word(const fpy_efuse *e, unsigned i)
{
    unsigned blk, k;
    if (i >= FPY_EFUSE_WORDS)
        return 0;
    if (fpy_ef_rdata_of(i, &blk, &k) != 0)
        return e->w[i];
    return e->w[i] & ~fpy_ef_hidden(e, blk, k);
}

static unsigned fpy_ef_popcount(uint32_t v)
{
    unsigned n = 0;
    for (; v != 0; v &= v - 1u)
        n++;
    return n;
}

int fpy_efuse_flash_crypt_on(const fpy_efuse *e)
{
    uint32_t cnt = 0;
    (void)fpy_efuse_get(e, FPY_EFUSE_FLASH_CRYPT_CNT, &cnt);
    return (int)(fpy_ef_popcount(cnt) & 1u);
}

unsigned fpy_efuse_secure_version(const fpy_efuse *e)
{
    uint32_t v = 0;
    (void)fpy_efuse_get(e, FPY_EFUSE_SECURE_VERSION, &v);
    return fpy_ef_popcount(v);
}

/* ---- burning ------------------------------------------------------------- */

static int fpy_ef_refused(const fpy_efuse *e, fpy_efuse_id id, fpy_diag *d)
{
    const fpy_efuse_field *f = &fpy_ef_fields[id];
    uint8_t bit = fpy_ef_bit_set(e, fpy_ef_blk_wr_dis[f->block], 0) ? fpy_ef_blk_wr_dis[f->block]
                                                                    : f->wr_dis;
    return fpy_diag_val(d, FPY_ERR_STATE, "write-protected: its WR_DIS bit is burnt", f->name,
                        0, 0, bit);
}

int fpy_efuse_burn(fpy_efuse *e, fpy_efuse_id field, uint32_t v, fpy_diag *d)
{
    const fpy_efuse_field *f = fpy_efuse_field_get(field);
    if (f == NULL)
        return fpy_diag_set(d, FPY_ERR_INVAL, "no such eFuse field", NULL, 0);
    if (f->width > 32 || f->bit + f->width > 32)
        return fpy_diag_set(d, FPY_ERR_RANGE, "field wider than 32 bits", f->name, 0);
    if (f->width < 32 && (v >> f->width) != 0)
        return fpy_diag_val(d, FPY_ERR_RANGE, "value does not fit the field", f->name, 0,
                            (1u << f->width) - 1u, v);
    uint32_t *w = &e->w[fpy_efuse_rdata_index(f->block, f->word)];
    uint32_t bits = f->width == 32 ? v : v << f->bit;
    if ((bits & ~*w) == 0)
        return FPY_OK; /* burnt already: nothing to program */
    if (!fpy_efuse_is_writable(e, field))
        return fpy_ef_refused(e, field, d);
    *w |= bits;
    return FPY_OK;
}

int fpy_efuse_burn_key(fpy_efuse *e, unsigned blk, const uint8_t key[FPY_EFUSE_KEY_LEN],
                       fpy_diag *d)
{
    if (blk < 1 || blk >= FPY_EFUSE_BLOCKS)
        return fpy_diag_val(d, FPY_ERR_INVAL, "keys go in BLOCK1..3", "block", 0, 1, blk);
    uint32_t cs = e->w[6] & 3u;
    if (cs == 1u || cs == 2u)
        return fpy_diag_val(d, FPY_ERR_UNSUPPORTED, "coding scheme is not NONE",
                            "CODING_SCHEME", 0, 0, cs);
    fpy_efuse_id id = (fpy_efuse_id)(FPY_EFUSE_BLOCK1 + (blk - 1u));
    uint32_t want[8] = {0};
    for (unsigned j = 0; j < FPY_EFUSE_KEY_LEN; j++)
        want[j / 4u] |= (uint32_t)key[FPY_EFUSE_KEY_LEN - 1u - j] << (8u * (j % 4u));
    uint32_t *w = &e->w[fpy_efuse_rdata_index(blk, 0)];
    uint32_t news = 0;
    for (unsigned k = 0; k < 8; k++)
        news |= want[k] & ~w[k];
    if (news == 0)
        return FPY_OK;
    if (!fpy_efuse_is_writable(e, id))
        return fpy_ef_refused(e, id, d);
    for (unsigned k = 0; k < 8; k++)
        w[k] |= want[k];
    return FPY_OK;
}

int fpy_efuse_burn_secure_version(fpy_efuse *e, unsigned v, fpy_diag *d)
{
    if (v > 32)
        return fpy_diag_val(d, FPY_ERR_RANGE, "a secure version is 0..32", "SECURE_VERSION", 0,
                            32, v);
    uint32_t bits = v == 32 ? 0xFFFFFFFFu : (1u << v) - 1u;
    return fpy_efuse_burn(e, FPY_EFUSE_SECURE_VERSION, bits, d);
}

int fpy_efuse_check_burn(const fpy_efuse *e, const fpy_efuse *want, fpy_diag *d)
{
    for (unsigned blk = 0; blk < FPY_EFUSE_BLOCKS; blk++)
        for (unsigned k = 0; k < fpy_efuse_block_words(blk); k++) {
            unsigned i = fpy_efuse_rdata_index(blk, k);
            uint32_t lost = want->w[i] & ~e->w[i] & ~fpy_ef_burnable(e, blk, k);
            if (lost == 0)
                continue;
            for (unsigned f = 0; f < FPY_EFUSE_NFIELDS; f++)
                if (fpy_ef_fields[f].block == blk && (fpy_ef_word_mask(&fpy_ef_fields[f], k) &
                                                      lost) != 0)
                    return fpy_ef_refused(e, (fpy_efuse_id)f, d);
            return fpy_diag_set(d, FPY_ERR_STATE, "write-protected bits", NULL, 4u * i);
        }
    return FPY_OK;
}

int fpy_efuse_merge(fpy_efuse *e, const fpy_efuse *want)
{
    uint32_t mask[FPY_EFUSE_WORDS] = {0};
    /* every mask from the protection before this burn (the emulator's
     * check_wr_protection_area reads WR_DIS first): a WR_DIS bit burnt
     * together with its field protects only later burns */
    for (unsigned blk = 0; blk < FPY_EFUSE_BLOCKS; blk++)
        for (unsigned k = 0; k < fpy_efuse_block_words(blk); k++)
            mask[fpy_efuse_rdata_index(blk, k)] = fpy_ef_burnable(e, blk, k);
    int changed = 0;
    for (unsigned i = 0; i < FPY_EFUSE_WORDS; i++) {
        uint32_t add = want->w[i] & mask[i] & ~e->w[i];
        if (add != 0) {
            e->w[i] |= add;
            changed = 1;
        }
    }
    return changed;
}
