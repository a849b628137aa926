/*
 * The ROM loader's flash commands: SPI_ATTACH, SPI_SET_PARAMS,
 * FLASH_(DEFL_)BEGIN/DATA/END, SPI_FLASH_MD5, READ_FLASH_SLOW.
 *
 * Strict where the ROM's behaviour is unknown (docs/sim.md): a
 * flash command before SPI_ATTACH, a region past the size SPI_SET_PARAMS
 * set (2 MiB before it) or past the 8 MiB chip, an offset not on a 4 KiB
 * sector, a block out of sequence or shorter than the block size: each is
 * refused with status 1 and the error named below, and nothing is written.
 */
#include "romdev_int.h"

#include <mbedtls/md5.h>
#include <mbedtls/version.h>
#include <stdlib.h>
#include <string.h>

#include "fipy/bytes.h"

/* mbedTLS 2 names its checked calls *_ret; 3 dropped the suffix. */
#if MBEDTLS_VERSION_NUMBER < 0x03000000
#define FPY_RD_MD5_STARTS mbedtls_md5_starts_ret
#define FPY_RD_MD5_UPDATE mbedtls_md5_update_ret
#define FPY_RD_MD5_FINISH mbedtls_md5_finish_ret
#else
#define FPY_RD_MD5_STARTS mbedtls_md5_starts
#define FPY_RD_MD5_UPDATE mbedtls_md5_update
#define FPY_RD_MD5_FINISH mbedtls_md5_finish
#endif

#define FPY_RD_SLOW_LEN 64u
#define FPY_RD_CHUNK 4096u

/* ---- helpers ----------------------------------------------------------- */

void fpy_rd_flash_reset(fpy_romdev *r)
{
    if (r->z_live)
        inflateEnd(&r->z);
    r->z_live = 0;
    r->z_done = 0;
    r->wmode = FPY_RD_IDLE;
}

/* [addr, addr+len) inside what the ROM believes the chip is, and inside
 * the real 8 MiB (a real chip would wrap past it; the board refuses). */
static int fpy_rd_in_chip(const fpy_romdev *r, uint32_t addr, uint32_t len)
{
    uint32_t lim = r->chip_size < r->flash.geo.size ? r->chip_size : r->flash.geo.size;
    return addr <= lim && len <= lim - addr;
}

/* Program bytes at any address: the words around them are padded with
 * 0xFF (which a NOR program leaves unchanged), then read back and
 * compared as the ROM does (error 0x08 on a mismatch). */
static int fpy_rd_program(fpy_romdev *r, uint32_t addr, const uint8_t *data, uint32_t len)
{
    uint8_t buf[FPY_RD_CHUNK + 8], back[FPY_RD_CHUNK + 8];
    while (len > 0) {
        uint32_t n = len < FPY_RD_CHUNK ? len : FPY_RD_CHUNK;
        uint32_t a0 = addr & ~3u, pre = addr - a0;
        uint32_t total = (pre + n + 3u) & ~3u;
        memset(buf, 0xFF, total);
        memcpy(buf + pre, data, n);
        if (fpy_flash_program(&r->flash, a0, buf, total) != FPY_OK ||
            fpy_flash_read(&r->flash, a0, back, total) != FPY_OK ||
            memcmp(back + pre, data, n) != 0)
            return -1;
        addr += n;
        data += n;
        len -= n;
    }
    return 0;
}

/* ---- attach and parameters -------------------------------------------- */

/* SPI_ATTACH: 8 bytes in ROM mode (config word, is_legacy and 3 zeros). */
void fpy_rd_spi_attach(fpy_romdev *r, const fpy_rom_req *q)
{
    uint64_t t0 = fpy_rd_time(r);
    if (q->size != 8) {
        fpy_rd_fail(r, q->op, FPY_ROM_E_BAD_FORMAT, t0);
        return;
    }
    r->attached = 1;
    fpy_rd_ok(r, q->op, 0, NULL, 0, t0);
}

/* SPI_SET_PARAMS: id, total_size, block, sector, page, status_mask.
 * The ROM addresses 24 bits: sizes above 16 MiB are refused. */
void fpy_rd_set_params(fpy_romdev *r, const fpy_rom_req *q)
{
    uint64_t t0 = fpy_rd_time(r);
    if (q->size != 24) {
        fpy_rd_fail(r, q->op, FPY_ROM_E_BAD_FORMAT, t0);
        return;
    }
    uint32_t total = fpy_get_le32(q->data + 4), sector = fpy_get_le32(q->data + 12);
    uint32_t page = fpy_get_le32(q->data + 16);
    if (total == 0 || total > 0x1000000u || sector != FPY_FLASH_SECTOR || page == 0) {
        fpy_rd_fail(r, q->op, FPY_ROM_E_INVALID_PARAM, t0);
        return;
    }
    r->chip_size = total;
    fpy_rd_ok(r, q->op, 0, NULL, 0, t0);
}

/* ---- FLASH_BEGIN / FLASH_DEFL_BEGIN ------------------------------------ */

/* Both: size (erase size, or for DEFL the uncompressed size rounded up),
 * num_blocks, block_size, offset; exactly 4 words on the ESP32 ROM.  The
 * region is erased before the reply, sector by sector, from offset to
 * the end rounded up to a sector (rom_protocol.md §7.3). */
void fpy_rd_flash_begin(fpy_romdev *r, const fpy_rom_req *q)
{
    uint64_t t0 = fpy_rd_time(r);
    int defl = q->op == FPY_ROM_FLASH_DEFL_BEGIN;
    fpy_rd_flash_reset(r);
    if (q->size != 16) {
        fpy_rd_fail(r, q->op, FPY_ROM_E_BAD_FORMAT, t0);
        return;
    }
    uint32_t size = fpy_get_le32(q->data), blocks = fpy_get_le32(q->data + 4);
    uint32_t bsize = fpy_get_le32(q->data + 8), off = fpy_get_le32(q->data + 12);
    uint64_t end = (uint64_t)off + size;
    uint64_t erase_end = (end + FPY_FLASH_SECTOR - 1u) & ~(uint64_t)(FPY_FLASH_SECTOR - 1u);
    if (!r->attached || off % FPY_FLASH_SECTOR != 0 || bsize > FPY_RD_FLASH_BLOCK ||
        (blocks > 0 && bsize == 0) || erase_end > UINT32_MAX ||
        !fpy_rd_in_chip(r, off, (uint32_t)(erase_end - off))) {
        fpy_rd_fail(r, q->op, FPY_ROM_E_INVALID_PARAM, t0);
        return;
    }
    /* plain blocks are written whole: they must fit the erased region */
    if (!defl && (uint64_t)blocks * bsize > erase_end - off) {
        fpy_rd_fail(r, q->op, FPY_ROM_E_INVALID_PARAM, t0);
        return;
    }
    if (fpy_flash_erase(&r->flash, off, (uint32_t)(erase_end - off)) != FPY_OK) {
        fpy_rd_fail(r, q->op, FPY_ROM_E_FLASH_WRITE, t0);
        return;
    }
    if (defl) {
        memset(&r->z, 0, sizeof r->z);
        if (inflateInit(&r->z) != Z_OK) {
            fpy_rd_fail(r, q->op, FPY_ROM_E_MALLOC, t0);
            return;
        }
        r->z_live = 1;
    }
    r->wmode = defl ? FPY_RD_DEFL : FPY_RD_PLAIN;
    r->w_offset = off;
    r->w_erase_end = (uint32_t)erase_end;
    r->w_blocks = blocks;
    r->w_block_size = bsize;
    r->w_seq = 0;
    r->w_out = 0;
    r->w_out_max = size;
    fpy_rd_ok(r, q->op, 0, NULL, 0, t0);
}

/* ---- FLASH_DATA / FLASH_DEFL_DATA ------------------------------------- */

/* Inflate one block and write what comes out, before the reply.  The
 * output may not pass write_size; bytes after the stream's end are an
 * error. */
static uint8_t fpy_rd_inflate(fpy_romdev *r, const uint8_t *in, uint32_t len)
{
    uint8_t out[FPY_RD_CHUNK];
    if (r->z_done)
        return len == 0 ? 0 : FPY_ROM_E_DEFLATE;
    r->z.next_in = (Bytef *)(uintptr_t)in;
    r->z.avail_in = len;
    for (;;) {
        r->z.next_out = out;
        r->z.avail_out = sizeof out;
        int zr = inflate(&r->z, Z_NO_FLUSH);
        uint32_t got = (uint32_t)(sizeof out - r->z.avail_out);
        if (zr == Z_DATA_ERROR)
            return r->z.msg != NULL && strstr(r->z.msg, "check") != NULL ? FPY_ROM_E_ADLER
                                                                          : FPY_ROM_E_DEFLATE;
        if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
            return FPY_ROM_E_DEFLATE;
        if (got > r->w_out_max - r->w_out)
            return FPY_ROM_E_DEFLATE;
        if (got > 0 && fpy_rd_program(r, r->w_offset + r->w_out, out, got) != 0)
            return FPY_ROM_E_FLASH_WRITE;
        r->w_out += got;
        if (zr == Z_STREAM_END) {
            r->z_done = 1;
            return r->z.avail_in == 0 ? 0 : FPY_ROM_E_DEFLATE;
        }
        if (r->z.avail_in == 0 && r->z.avail_out != 0)
            return 0;
        if (zr == Z_BUF_ERROR && got == 0)
            return 0;
    }
}

static uint8_t fpy_rd_data_error(int rc)
{
    return rc == FPY_ERR_CHECKSUM ? FPY_ROM_E_CHECKSUM : FPY_ROM_E_BAD_FORMAT;
}

void fpy_rd_flash_data(fpy_romdev *r, const fpy_rom_req *q)
{
    uint64_t t0 = fpy_rd_time(r);
    int defl = q->op == FPY_ROM_FLASH_DEFL_DATA;
    uint32_t seq, len;
    const uint8_t *bytes;
    int rc = fpy_rom_data_parse(q, &seq, &bytes, &len);
    if (rc != FPY_OK) {
        fpy_rd_fail(r, q->op, fpy_rd_data_error(rc), t0);
        return;
    }
    /* the ROM's state: begun with the matching command, the next block
     * in order, a whole block (DEFL: the last may be short) */
    int last = seq + 1u == r->w_blocks;
    if (r->wmode != (defl ? FPY_RD_DEFL : FPY_RD_PLAIN) || seq != r->w_seq ||
        seq >= r->w_blocks || len > r->w_block_size ||
        (len != r->w_block_size && !(defl && last))) {
        fpy_rd_fail(r, q->op, FPY_ROM_E_INVALID_PARAM, t0);
        return;
    }
    uint8_t err = 0;
    if (defl)
        err = fpy_rd_inflate(r, bytes, len);
    else if (fpy_rd_program(r, r->w_offset + seq * r->w_block_size, bytes, len) != 0)
        err = FPY_ROM_E_FLASH_WRITE;
    if (err != 0) {
        fpy_rd_fail(r, q->op, err, t0);
        return;
    }
    r->w_seq++;
    fpy_rd_ok(r, q->op, 0, NULL, 0, t0);
}

/* FLASH_END / FLASH_DEFL_END: 1 word, 0 reboot, 1 run user code.  Only
 * after its BEGIN (esptool's soft reset sends BEGIN(0, 0) first). */
fpy_romdev_event fpy_rd_flash_end(fpy_romdev *r, const fpy_rom_req *q)
{
    uint64_t t0 = fpy_rd_time(r);
    int defl = q->op == FPY_ROM_FLASH_DEFL_END;
    if (q->size != 4) {
        fpy_rd_fail(r, q->op, FPY_ROM_E_BAD_FORMAT, t0);
        return FPY_ROMDEV_NONE;
    }
    uint32_t flag = fpy_get_le32(q->data);
    if (r->wmode != (defl ? FPY_RD_DEFL : FPY_RD_PLAIN) || flag > 1) {
        fpy_rd_fail(r, q->op, FPY_ROM_E_INVALID_PARAM, t0);
        return FPY_ROMDEV_NONE;
    }
    fpy_rd_flash_reset(r);
    fpy_rd_ok(r, q->op, 0, NULL, 0, t0);
    return flag == 0 ? FPY_ROMDEV_REBOOT : FPY_ROMDEV_RUN;
}

/* ---- reading ------------------------------------------------------------ */

/* SPI_FLASH_MD5 (addr, size, 0, 0): 32 lowercase hex characters. */
void fpy_rd_md5(fpy_romdev *r, const fpy_rom_req *q)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t t0 = fpy_rd_time(r);
    if (q->size != 16) {
        fpy_rd_fail(r, q->op, FPY_ROM_E_BAD_FORMAT, t0);
        return;
    }
    uint32_t addr = fpy_get_le32(q->data), size = fpy_get_le32(q->data + 4);
    if (!r->attached || !fpy_rd_in_chip(r, addr, size)) {
        fpy_rd_fail(r, q->op, FPY_ROM_E_INVALID_PARAM, t0);
        return;
    }
    mbedtls_md5_context c;
    mbedtls_md5_init(&c);
    int ok = FPY_RD_MD5_STARTS(&c) == 0;
    uint8_t buf[FPY_RD_CHUNK], dig[16], text[32];
    for (uint32_t done = 0; ok && done < size;) {
        uint32_t n = size - done < FPY_RD_CHUNK ? size - done : FPY_RD_CHUNK;
        ok = fpy_flash_read(&r->flash, addr + done, buf, n) == FPY_OK &&
             FPY_RD_MD5_UPDATE(&c, buf, n) == 0;
        done += n;
    }
    ok = ok && FPY_RD_MD5_FINISH(&c, dig) == 0;
    mbedtls_md5_free(&c);
    if (!ok) {
        fpy_rd_fail(r, q->op, FPY_ROM_E_FLASH_READ, t0);
        return;
    }
    for (size_t i = 0; i < 16; i++) {
        text[2 * i] = (uint8_t)hex[dig[i] >> 4];
        text[2 * i + 1] = (uint8_t)hex[dig[i] & 15u];
    }
    fpy_rd_ok(r, q->op, 0, text, sizeof text, t0);
}

/* READ_FLASH_SLOW (offset, len <= 64): always 64 data bytes; those past
 * len are 0. */
void fpy_rd_read_slow(fpy_romdev *r, const fpy_rom_req *q)
{
    uint64_t t0 = fpy_rd_time(r);
    if (q->size != 8) {
        fpy_rd_fail(r, q->op, FPY_ROM_E_BAD_FORMAT, t0);
        return;
    }
    uint32_t addr = fpy_get_le32(q->data), len = fpy_get_le32(q->data + 4);
    if (len > FPY_RD_SLOW_LEN) {
        fpy_rd_fail(r, q->op, FPY_ROM_E_READ_LEN, t0);
        return;
    }
    if (!r->attached || !fpy_rd_in_chip(r, addr, len)) {
        fpy_rd_fail(r, q->op, FPY_ROM_E_INVALID_PARAM, t0);
        return;
    }
    uint8_t buf[FPY_RD_SLOW_LEN] = {0};
    if (fpy_flash_read(&r->flash, addr, buf, len) != FPY_OK) {
        fpy_rd_fail(r, q->op, FPY_ROM_E_FLASH_READ, t0);
        return;
    }
    fpy_rd_ok(r, q->op, 0, buf, sizeof buf, t0);
}
