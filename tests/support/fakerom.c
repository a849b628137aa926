/* The fake ESP32 ROM loader: see fakerom.h. */
#include "fakerom.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fipy/bytes.h"
#include "fipy/err.h"
#include "fipy/hash.h"

#define FAKE_SECTOR 0x1000u

int fpy_fakerom_init(fpy_fakerom *f, uint32_t flash_size)
{
    memset(f, 0, sizeof *f);
    f->flash = malloc(flash_size);
    f->z = calloc(1, sizeof(z_stream));
    if (f->flash == NULL || f->z == NULL) {
        free(f->flash);
        free(f->z);
        return FPY_ERR_NOSPC;
    }
    memset(f->flash, 0xFF, flash_size);
    f->flash_size = flash_size;
    /* rom_protocol.md §5.7: a D0WDQ6 rev 1; MAC 24:0a:c4:00:01:02 */
    f->efuse[1] = 0xC4000102u;
    f->efuse[2] = 0x0000240Au;
    f->efuse[3] = 0x0000A000u;
    f->efuse[4] = 0x00000540u;
    f->date = 0x16042000u;
    f->cali = 0x00032000u;
    f->jedec = 0x001740EFu;
    f->baud = 115200;
    f->host_baud = 115200;
    fpy_slip_dec_init(&f->dec, f->frame, sizeof f->frame);
    return FPY_OK;
}

static void fake_end_stream(fpy_fakerom *f)
{
    if (f->mode == 2)
        inflateEnd(f->z);
    f->mode = 0;
}

void fpy_fakerom_free(fpy_fakerom *f)
{
    fake_end_stream(f);
    free(f->flash);
    free(f->z);
    free(f->out);
    memset(f, 0, sizeof *f);
}

void fpy_fakerom_reconnect(fpy_fakerom *f)
{
    fake_end_stream(f);
    f->dead = 0;
    f->die_at = 0;
    f->attached = 0;
    f->out_len = f->out_off = 0;
    fpy_slip_dec_init(&f->dec, f->frame, sizeof f->frame);
}

void fpy_fakerom_count_reset(fpy_fakerom *f)
{
    f->commands = 0;
    f->baud_changes = 0;
    memset(f->ops, 0, sizeof f->ops);
}

static void fake_emit(fpy_fakerom *f, const uint8_t *b, size_t n)
{
    if (f->out_len + n > f->out_cap) {
        size_t cap = (f->out_len + n) * 2 + 256;
        uint8_t *p = realloc(f->out, cap);
        if (p == NULL)
            abort();
        f->out = p;
        f->out_cap = cap;
    }
    memcpy(f->out + f->out_len, b, n);
    f->out_len += n;
}

static void fake_reply(fpy_fakerom *f, uint8_t op, uint32_t value, const uint8_t *payload,
                       size_t plen, uint8_t error)
{
    uint8_t pkt[128], enc[260];
    size_t n = fpy_rom_resp_build(pkt, sizeof pkt, op, value, payload, plen, error ? 1 : 0,
                                  error, FPY_ROM_STATUS_ROM);
    size_t m = fpy_slip_encode(enc, sizeof enc, pkt, n);
    if (f->junk != NULL) {
        fake_emit(f, (const uint8_t *)f->junk, strlen(f->junk));
        f->junk = NULL;
    }
    for (size_t i = 0; i < FPY_FAKEROM_DROPS; i++)
        if (f->drop[i] == f->commands)
            return;
    if ((op == FPY_ROM_FLASH_DATA || op == FPY_ROM_FLASH_DEFL_DATA) && f->mute_at != 0 &&
        f->commands >= f->mute_at && f->mute_data > 0) {
        f->mute_data--;
        return;
    }
    if (f->flip_at == f->commands && n > 8)
        pkt[plen > 0 ? 8 : 4] ^= 0x10;
    if (f->bad_status_at == f->commands && n >= 4)
        pkt[n - 4] = 0x04; /* a flipped bit in the status byte */
    m = fpy_slip_encode(enc, sizeof enc, pkt, n);
    fake_emit(f, enc, m);
}

static uint32_t *fake_reg(fpy_fakerom *f, uint32_t addr)
{
    switch (addr) {
    case 0x3FF42000u: return &f->spi_cmd;
    case 0x3FF4201Cu: return &f->spi_user;
    case 0x3FF42020u: return &f->spi_user1;
    case 0x3FF42024u: return &f->spi_user2;
    case 0x3FF4202Cu: return &f->spi_miso_dlen;
    case 0x3FF42080u: return &f->spi_w0;
    case 0x3FF6607Cu: return &f->date;
    case 0x3FF5F06Cu: return &f->cali;
    default:
        if (addr >= 0x3FF5A000u && addr < 0x3FF5A01Cu && addr % 4 == 0)
            return &f->efuse[(addr - 0x3FF5A000u) / 4];
        return NULL;
    }
}

static uint32_t fake_read_reg(fpy_fakerom *f, uint32_t addr)
{
    if (addr == 0x40001000u)
        return 0x00F01D83u;
    if (addr == 0x3FF40014u)
        return 40000000u / f->baud;
    uint32_t *r = fake_reg(f, addr);
    return r ? *r : 0;
}

/* §6.5: run the SPI1 user command at once. */
static void fake_spi_run(fpy_fakerom *f)
{
    uint8_t op = (uint8_t)f->spi_user2;
    uint32_t bits = (f->spi_user & 0x10000000u) ? (f->spi_miso_dlen & 0xFFFFFFu) + 1 : 0;
    if (op == 0x9F && bits > 0) {
        uint32_t mask = bits >= 32 ? 0xFFFFFFFFu : (1u << bits) - 1u;
        f->spi_w0 = f->jedec & mask;
    }
    f->spi_cmd &= ~(1u << 18);
}

static void fake_write_reg(fpy_fakerom *f, const fpy_rom_req *q)
{
    for (size_t i = 0; i + 16 <= q->size; i += 16) {
        uint32_t addr = fpy_get_le32(q->data + i), v = fpy_get_le32(q->data + i + 4);
        uint32_t mask = fpy_get_le32(q->data + i + 8);
        uint32_t *r = fake_reg(f, addr);
        if (r == NULL)
            continue;
        *r = (*r & ~mask) | (v & mask);
        if (r == &f->spi_cmd && (f->spi_cmd & (1u << 18)))
            fake_spi_run(f);
    }
    fake_reply(f, q->op, 0, NULL, 0, 0);
}

/* NOR: program can only clear bits; the ROM reads back (error 0x08). */
static int fake_program(fpy_fakerom *f, uint32_t addr, const uint8_t *b, uint32_t n)
{
    if (addr > f->flash_size || n > f->flash_size - addr)
        return FPY_ROM_E_INVALID_PARAM;
    int bad = 0;
    for (uint32_t i = 0; i < n; i++) {
        f->flash[addr + i] &= b[i];
        bad |= f->flash[addr + i] != b[i];
    }
    return bad ? FPY_ROM_E_FLASH_WRITE : 0;
}

static uint8_t fake_begin(fpy_fakerom *f, const fpy_rom_req *q, int mode)
{
    if (!f->attached)
        return FPY_ROM_E_BAD_FORMAT;
    if (q->size != 16)
        return FPY_ROM_E_INVALID_PARAM;
    uint32_t size = fpy_get_le32(q->data), off = fpy_get_le32(q->data + 12);
    uint32_t from = off & ~(FAKE_SECTOR - 1u);
    uint64_t to = ((uint64_t)off + size + FAKE_SECTOR - 1) & ~(uint64_t)(FAKE_SECTOR - 1u);
    if (to > f->flash_size)
        return FPY_ROM_E_INVALID_PARAM;
    memset(f->flash + from, 0xFF, (size_t)(to - from));
    fake_end_stream(f);
    f->mode = mode;
    f->base = f->pos = off;
    f->size = size;
    f->seq = 0;
    if (mode == 2) {
        memset(f->z, 0, sizeof(z_stream));
        if (inflateInit(f->z) != Z_OK)
            return FPY_ROM_E_DEFLATE;
    }
    return 0;
}

static uint8_t fake_inflate(fpy_fakerom *f, const uint8_t *b, uint32_t n)
{
    z_stream *z = f->z;
    uint8_t out[4096];
    z->next_in = (Bytef *)(uintptr_t)b;
    z->avail_in = n;
    do {
        z->next_out = out;
        z->avail_out = sizeof out;
        int zr = inflate(z, Z_NO_FLUSH);
        if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
            return FPY_ROM_E_DEFLATE;
        uint32_t got = (uint32_t)(sizeof out - z->avail_out);
        if (got > f->base + f->size - f->pos)
            return FPY_ROM_E_DEFLATE;
        int e = fake_program(f, f->pos, out, got);
        if (e)
            return (uint8_t)e;
        f->pos += got;
        if (zr == Z_STREAM_END || (got == 0 && z->avail_in == 0))
            break;
    } while (z->avail_in > 0 || z->avail_out == 0);
    return 0;
}

static uint8_t fake_data(fpy_fakerom *f, const fpy_rom_req *q, int mode)
{
    uint32_t seq, len;
    const uint8_t *b;
    int rc = fpy_rom_data_parse(q, &seq, &b, &len);
    if (rc == FPY_ERR_CHECKSUM)
        return FPY_ROM_E_CHECKSUM;
    if (rc != FPY_OK || f->mode != mode)
        return FPY_ROM_E_BAD_FORMAT;
    if (seq != f->seq)
        return FPY_ROM_E_INVALID_PARAM;
    f->seq++;
    if (mode == 2)
        return fake_inflate(f, b, len);
    int e = fake_program(f, f->pos, b, len);
    f->pos += len;
    return (uint8_t)e;
}

static void fake_md5(fpy_fakerom *f, const fpy_rom_req *q)
{
    uint32_t addr = q->size >= 8 ? fpy_get_le32(q->data) : 0;
    uint32_t size = q->size >= 8 ? fpy_get_le32(q->data + 4) : 0;
    uint8_t md5[16];
    char hex[33];
    if (q->size != 16 || !f->attached || addr > f->flash_size || size > f->flash_size - addr ||
        fpy_md5_buf(f->flash + addr, size, md5) != FPY_OK) {
        fake_reply(f, q->op, 0, NULL, 0, FPY_ROM_E_INVALID_PARAM);
        return;
    }
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", md5[i]);
    fake_reply(f, q->op, 0, (const uint8_t *)hex, 32, 0);
}

static void fake_read_slow(fpy_fakerom *f, const fpy_rom_req *q)
{
    uint8_t buf[64];
    uint32_t addr = q->size >= 8 ? fpy_get_le32(q->data) : 0;
    uint32_t len = q->size >= 8 ? fpy_get_le32(q->data + 4) : 0;
    memset(buf, 0, sizeof buf);
    if (q->size != 8 || !f->attached || len > 64 || addr > f->flash_size ||
        len > f->flash_size - addr) {
        fake_reply(f, q->op, 0, buf, 64, FPY_ROM_E_INVALID_PARAM);
        return;
    }
    memcpy(buf, f->flash + addr, len);
    fake_reply(f, q->op, 0, buf, 64, 0);
}

static void fake_sync(fpy_fakerom *f, const fpy_rom_req *q)
{
    if (f->ignore_syncs > 0) {
        f->ignore_syncs--;
        return;
    }
    if (q->size != 36)
        return;
    for (int i = 0; i < 8; i++)
        fake_reply(f, q->op, 0x20120707u, NULL, 0, 0);
}

static void fake_handle(fpy_fakerom *f, const fpy_rom_req *q)
{
    uint8_t e = 0;
    switch (q->op) {
    case FPY_ROM_SYNC: fake_sync(f, q); return;
    case FPY_ROM_READ_REG:
        fake_reply(f, q->op, q->size == 4 ? fake_read_reg(f, fpy_get_le32(q->data)) : 0, NULL, 0,
                   q->size == 4 ? 0 : FPY_ROM_E_INVALID_PARAM);
        return;
    case FPY_ROM_WRITE_REG: fake_write_reg(f, q); return;
    case FPY_ROM_SPI_ATTACH: f->attached = 1; break;
    case FPY_ROM_SPI_SET_PARAMS: e = q->size == 24 ? 0 : FPY_ROM_E_INVALID_PARAM; break;
    case FPY_ROM_FLASH_BEGIN: e = fake_begin(f, q, 1); break;
    case FPY_ROM_FLASH_DEFL_BEGIN: e = fake_begin(f, q, 2); break;
    case FPY_ROM_FLASH_DATA: e = fake_data(f, q, 1); break;
    case FPY_ROM_FLASH_DEFL_DATA: e = fake_data(f, q, 2); break;
    case FPY_ROM_SPI_FLASH_MD5: fake_md5(f, q); return;
    case FPY_ROM_READ_FLASH_SLOW: fake_read_slow(f, q); return;
    case FPY_ROM_CHANGE_BAUDRATE:
        fake_reply(f, q->op, 0, NULL, 0, 0);
        if (q->size == 8 && fpy_get_le32(q->data) != 0) {
            f->baud = fpy_get_le32(q->data);
            f->baud_changes++;
        }
        return;
    default: {
        /* §4.3, the virtual-board recommendation: op byte 0, status 1, error 5 */
        static const uint8_t st[4] = {1, FPY_ROM_E_BAD_FORMAT, 0, 0};
        uint8_t pkt[12] = {FPY_ROM_DIR_RESP, 0, 4, 0, 0, 0, 0, 0};
        uint8_t enc[30];
        memcpy(pkt + 8, st, 4);
        fake_emit(f, enc, fpy_slip_encode(enc, sizeof enc, pkt, sizeof pkt));
        return;
    }
    }
    fake_reply(f, q->op, 0, NULL, 0, e);
}

static int fake_write(void *ctx, const void *buf, size_t n, uint32_t timeout_ms)
{
    fpy_fakerom *f = ctx;
    const uint8_t *p = buf;
    (void)timeout_ms;
    if (f->dead)
        return FPY_ERR_IO;
    if (f->host_baud != f->baud) /* a UART at another rate reads only noise */
        return FPY_OK;
    while (n > 0) {
        int done = 0;
        size_t used = fpy_slip_dec_feed(&f->dec, p, n, &done);
        p += used;
        n -= used;
        fpy_rom_req q;
        if (!done || fpy_rom_req_parse(f->dec.buf, f->dec.len, &q) != FPY_OK)
            continue;
        f->commands++;
        if (f->die_at != 0 && f->commands >= f->die_at) {
            f->dead = 1;
            return FPY_ERR_IO;
        }
        if (f->lose_at == f->commands)
            continue;
        f->ops[q.op]++;
        if (f->garble_at == f->commands)
            q.checksum ^= 0x01; /* line noise in the header */
        fake_handle(f, &q);
    }
    return FPY_OK;
}

static long fake_read(void *ctx, void *buf, size_t cap, uint32_t timeout_ms)
{
    fpy_fakerom *f = ctx;
    (void)timeout_ms;
    if (f->dead)
        return FPY_ERR_IO;
    size_t n = f->out_len - f->out_off;
    if (n > cap)
        n = cap;
    if (n == 0) /* nothing queued: a timeout (f->out may still be NULL) */
        return 0;
    memcpy(buf, f->out + f->out_off, n);
    f->out_off += n;
    if (f->out_off == f->out_len)
        f->out_off = f->out_len = 0;
    return (long)n;
}

static int fake_set_baud(void *ctx, uint32_t baud)
{
    ((fpy_fakerom *)ctx)->host_baud = baud;
    return FPY_OK;
}

static int fake_set_lines(void *ctx, int dtr, int rts)
{
    fpy_fakerom *f = ctx;
    (void)dtr;
    (void)rts;
    return f->no_lines ? FPY_ERR_UNSUPPORTED : FPY_OK;
}

static int fake_flush(void *ctx)
{
    fpy_fakerom *f = ctx;
    f->out_off = f->out_len = 0;
    return FPY_OK;
}

static void fake_sleep(void *ctx, uint32_t ms)
{
    (void)ctx;
    (void)ms;
}

fpy_rom_link fpy_fakerom_link(fpy_fakerom *f)
{
    static const fpy_rom_link_ops ops = {fake_write, fake_read,  fake_set_baud,
                                         fake_set_lines, fake_flush, fake_sleep};
    return (fpy_rom_link){&ops, f};
}
