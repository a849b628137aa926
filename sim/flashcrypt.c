/*
 * The ESP32's flash encryption: AES-256 per 16-byte block, the key
 * tweaked by the block's 32-byte group address, each block byte-reversed
 * on the way in and out of AES, and AES used backwards (the flash holds
 * AES-*decrypt* of the plaintext).  docs/formats/flash-encryption.md
 * states each fact and where it comes from.
 */
#include "flashcrypt.h"

#include <mbedtls/aes.h>
#include <mbedtls/platform_util.h>
#include <string.h>

#include "fipy/err.h"

/*
 * The key's 256 bits, counted from the most significant bit of key[0],
 * fall in four parts of 67, 65, 63 and 61 bits; FLASH_CRYPT_CONFIG bit g
 * turns the tweak on for part g.  Within a part, bit j follows address
 * bit 23 - j % 19 for its first 57 bits (address bits 23..5 three times),
 * then address bits (14 - 2g) down to 5.
 */
static const uint16_t fpy_fc_part_start[4] = {0, 67, 132, 195};
static const uint16_t fpy_fc_part_len[4] = {67, 65, 63, 61};

static unsigned fpy_fc_addr_bit(unsigned part, unsigned j)
{
    if (j < 57u)
        return 23u - j % 19u;
    return 14u - 2u * part - (j - 57u);
}

void fpy_flashcrypt_block_key(const uint8_t key[FPY_FLASHCRYPT_KEY_LEN], unsigned conf,
                              uint32_t addr, uint8_t out[FPY_FLASHCRYPT_KEY_LEN])
{
    memcpy(out, key, FPY_FLASHCRYPT_KEY_LEN);
    for (unsigned part = 0; part < 4u; part++) {
        if (!(conf & (1u << part)))
            continue;
        for (unsigned j = 0; j < fpy_fc_part_len[part]; j++) {
            if (!((addr >> fpy_fc_addr_bit(part, j)) & 1u))
                continue;
            unsigned n = fpy_fc_part_start[part] + j;
            out[n / 8u] ^= (uint8_t)(0x80u >> (n % 8u));
        }
    }
}

/* The one range rule: [addr, addr+len) inside the 24-bit flash address
 * space the tweak is defined over. */
static int fpy_fc_in_range(uint32_t addr, size_t len)
{
    return addr <= FPY_FLASHCRYPT_ADDR_END && len <= FPY_FLASHCRYPT_ADDR_END - addr;
}

static int fpy_fc_check(const uint8_t *key, unsigned conf, uint32_t addr, const uint8_t *in,
                        const uint8_t *out, size_t len)
{
    if (conf > FPY_FLASHCRYPT_CONF_MAX || (len > 0 && (key == NULL || in == NULL || out == NULL)))
        return FPY_ERR_INVAL;
    if (addr % FPY_FLASHCRYPT_BLOCK != 0 || len % FPY_FLASHCRYPT_BLOCK != 0)
        return FPY_ERR_ALIGN;
    if (!fpy_fc_in_range(addr, len))
        return FPY_ERR_RANGE;
    return FPY_OK;
}

/* One 16-byte block: reversed into AES, reversed out of it.  A copy
 * first, so `out` may be `in`. */
static int fpy_fc_block(mbedtls_aes_context *aes, int mode, const uint8_t *in, uint8_t *out)
{
    uint8_t a[FPY_FLASHCRYPT_BLOCK], b[FPY_FLASHCRYPT_BLOCK];
    for (unsigned i = 0; i < FPY_FLASHCRYPT_BLOCK; i++)
        a[i] = in[FPY_FLASHCRYPT_BLOCK - 1u - i];
    int rc = mbedtls_aes_crypt_ecb(aes, mode, a, b);
    for (unsigned i = 0; i < FPY_FLASHCRYPT_BLOCK; i++)
        out[i] = b[FPY_FLASHCRYPT_BLOCK - 1u - i];
    mbedtls_platform_zeroize(a, sizeof a);
    mbedtls_platform_zeroize(b, sizeof b);
    return rc;
}

/* `encrypt`: the flash holds AES-decrypt of the plaintext, so encrypting
 * runs AES's decrypt direction and decrypting its encrypt direction. */
static int fpy_fc_run(const uint8_t *key, unsigned conf, uint32_t addr, const uint8_t *in,
                      uint8_t *out, size_t len, int encrypt)
{
    int rc = fpy_fc_check(key, conf, addr, in, out, len);
    if (rc != FPY_OK || len == 0)
        return rc;
    int mode = encrypt ? MBEDTLS_AES_DECRYPT : MBEDTLS_AES_ENCRYPT;
    uint8_t k[FPY_FLASHCRYPT_KEY_LEN];
    mbedtls_aes_context aes;
    mbedtls_aes_init(&aes);
    for (size_t off = 0; off < len && rc == FPY_OK; off += FPY_FLASHCRYPT_BLOCK) {
        uint32_t a = addr + (uint32_t)off;
        /* a new key at each 32-byte group, and for the first block even
         * when it is the second half of one */
        if (off == 0 || a % FPY_FLASHCRYPT_GROUP == 0) {
            fpy_flashcrypt_block_key(key, conf, a, k);
            int e = encrypt ? mbedtls_aes_setkey_dec(&aes, k, 256)
                            : mbedtls_aes_setkey_enc(&aes, k, 256);
            if (e != 0)
                rc = FPY_ERR_STATE;
        }
        if (rc == FPY_OK && fpy_fc_block(&aes, mode, in + off, out + off) != 0)
            rc = FPY_ERR_STATE;
    }
    mbedtls_platform_zeroize(k, sizeof k);
    mbedtls_aes_free(&aes);
    return rc;
}

int fpy_flashcrypt_encrypt(const uint8_t key[FPY_FLASHCRYPT_KEY_LEN], unsigned conf,
                           uint32_t addr, const uint8_t *in, uint8_t *out, size_t len)
{
    return fpy_fc_run(key, conf, addr, in, out, len, 1);
}

int fpy_flashcrypt_decrypt(const uint8_t key[FPY_FLASHCRYPT_KEY_LEN], unsigned conf,
                           uint32_t addr, const uint8_t *in, uint8_t *out, size_t len)
{
    return fpy_fc_run(key, conf, addr, in, out, len, 0);
}

/* Group by group (one key set-up each), through a buffer: the span's
 * ends need not be on blocks. */
int fpy_flashcrypt_read(const uint8_t key[FPY_FLASHCRYPT_KEY_LEN], unsigned conf,
                        const uint8_t *flash, size_t flash_len, uint32_t addr, uint8_t *out,
                        size_t len)
{
    if (conf > FPY_FLASHCRYPT_CONF_MAX || (len > 0 && (key == NULL || flash == NULL || out == NULL)))
        return FPY_ERR_INVAL;
    if (len == 0)
        return FPY_OK;
    uint32_t first = addr - addr % FPY_FLASHCRYPT_BLOCK;
    if (!fpy_fc_in_range(addr, len))
        return FPY_ERR_RANGE;
    size_t end = (size_t)addr + len, end_blk = (end + FPY_FLASHCRYPT_BLOCK - 1u) /
                                                  FPY_FLASHCRYPT_BLOCK * FPY_FLASHCRYPT_BLOCK;
    if (end_blk > flash_len)
        return FPY_ERR_RANGE;
    uint8_t buf[FPY_FLASHCRYPT_GROUP];
    int rc = FPY_OK;
    size_t done = 0;
    for (size_t a = first; a < end_blk && rc == FPY_OK;) {
        /* to the end of this group, or of the span's last block */
        size_t n = FPY_FLASHCRYPT_GROUP - a % FPY_FLASHCRYPT_GROUP;
        if (n > end_blk - a)
            n = end_blk - a;
        rc = fpy_flashcrypt_decrypt(key, conf, (uint32_t)a, flash + a, buf, n);
        size_t from = a < addr ? addr - a : 0, to = a + n > end ? end - a : n;
        if (rc == FPY_OK)
            memcpy(out + done, buf + from, to - from);
        done += to - from;
        a += n;
    }
    mbedtls_platform_zeroize(buf, sizeof buf);
    return rc;
}
