/* The ESP32 ROM serial loader, device side: see sim/romdev.h. */
#include "romdev_int.h"

#include <stdlib.h>
#include <string.h>

#include "fipy/bytes.h"

#define FPY_RD_SYNC_REPLIES 8u
#define FPY_RD_MAX_BAUD 5000000u /* the ESP32 UART's top rate */

uint64_t fpy_rd_time(const fpy_romdev *r)
{
    return r->sim->stats.time_ns;
}

/* The reply goes out once the flash work since t0_ns is done. */
static void fpy_rd_send(fpy_romdev *r, uint8_t op, uint32_t value, const uint8_t *payload,
                        size_t plen, uint8_t status, uint8_t error, uint64_t t0_ns)
{
    uint8_t pkt[FPY_ROM_HDR + 64 + FPY_ROM_STATUS_ROM];
    size_t n = fpy_rom_resp_build(pkt, sizeof pkt, op, value, payload, plen, status, error,
                                  FPY_ROM_STATUS_ROM);
    uint64_t busy_ns = fpy_rd_time(r) - t0_ns;
    uint64_t busy_us = (busy_ns + 999u) / 1000u;
    r->out.send(r->out.ctx, pkt, n, busy_us > UINT32_MAX ? UINT32_MAX : (uint32_t)busy_us);
}

void fpy_rd_ok(fpy_romdev *r, uint8_t op, uint32_t value, const uint8_t *payload, size_t plen,
               uint64_t t0_ns)
{
    fpy_rd_send(r, op, value, payload, plen, 0, 0, t0_ns);
}

void fpy_rd_fail(fpy_romdev *r, uint8_t op, uint8_t error, uint64_t t0_ns)
{
    r->stats.errors++;
    r->stats.last_error = error;
    r->stats.last_op = op;
    fpy_rd_send(r, op, 0, NULL, 0, 1, error, t0_ns);
}

fpy_romdev *fpy_romdev_new(const fpy_romdev_cfg *cfg)
{
    fpy_romdev *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->flash = *cfg->flash;
    r->sim = cfg->sim;
    r->out = *cfg->out;
    r->efuse = cfg->efuse;
    if (r->efuse == NULL) {
        fpy_efuse e;
        r->own_efuse = malloc(sizeof *r->own_efuse);
        if (r->own_efuse == NULL) {
            free(r);
            return NULL;
        }
        fpy_efuse_new(&e, cfg->mac);
        fpy_efusesim_init(r->own_efuse, &e);
        r->efuse = r->own_efuse;
    }
    r->baud = cfg->baud;
    fpy_rd_regs_reset(r);
    return r;
}

void fpy_romdev_free(fpy_romdev *r)
{
    if (r == NULL)
        return;
    fpy_rd_flash_reset(r);
    fpy_rd_mem_reset(r);
    free(r->own_efuse);
    free(r);
}

const char *fpy_romdev_stub(const fpy_romdev *r)
{
    return r->stub;
}

void fpy_romdev_set_baud(fpy_romdev *r, uint32_t baud)
{
    r->baud = baud;
}

uint32_t fpy_romdev_read_reg(const fpy_romdev *r, uint32_t addr)
{
    return fpy_rd_reg_get(r, addr);
}

void fpy_romdev_write_reg(fpy_romdev *r, uint32_t addr, uint32_t value)
{
    fpy_rd_reg_write(r, addr, value, 0xFFFFFFFFu);
}

void fpy_romdev_get_stats(const fpy_romdev *r, fpy_romdev_stats *st)
{
    *st = r->stats;
}

/* SYNC: the body is exactly 07 07 12 20 and 32 x 55; the ROM answers 8
 * times, value 0x20120707 (a value of 0 would tell esptool a stub runs). */
static void fpy_rd_sync(fpy_romdev *r, const fpy_rom_req *q)
{
    static const uint8_t head[4] = {0x07, 0x07, 0x12, 0x20};
    uint64_t t0 = fpy_rd_time(r);
    int ok = q->size == 36 && memcmp(q->data, head, 4) == 0;
    for (size_t i = 4; ok && i < 36; i++)
        ok = q->data[i] == 0x55;
    if (!ok) {
        fpy_rd_fail(r, q->op, FPY_ROM_E_BAD_FORMAT, t0);
        return;
    }
    for (unsigned i = 0; i < FPY_RD_SYNC_REPLIES; i++)
        fpy_rd_ok(r, q->op, FPY_ROMDEV_SYNC_VALUE, NULL, 0, t0);
}

/* CHANGE_BAUDRATE (new, 0): the reply at the old rate, then the switch.
 * The ROM scales the argument by its idea of the crystal; ours reads
 * exactly 40 MHz (RTCCALICFG1 x CK8M), so the rate is the argument. */
static void fpy_rd_baud(fpy_romdev *r, const fpy_rom_req *q)
{
    uint64_t t0 = fpy_rd_time(r);
    if (q->size != 8) {
        fpy_rd_fail(r, q->op, FPY_ROM_E_BAD_FORMAT, t0);
        return;
    }
    uint32_t baud = fpy_get_le32(q->data);
    if (baud == 0 || baud > FPY_RD_MAX_BAUD) {
        fpy_rd_fail(r, q->op, FPY_ROM_E_INVALID_PARAM, t0);
        return;
    }
    fpy_rd_ok(r, q->op, 0, NULL, 0, t0);
    r->baud = baud;
    r->out.set_baud(r->out.ctx, baud);
}

/* What the ESP32 ROM does not know (GET_SECURITY_INFO, the stub's
 * commands, anything else): the reply esptool takes as "unsupported"
 * (rom_protocol.md §4.3): command byte 0, status 1, error 5, once. */
static void fpy_rd_unsupported(fpy_romdev *r)
{
    uint64_t t0 = fpy_rd_time(r);
    r->stats.errors++;
    r->stats.last_error = FPY_ROM_E_BAD_FORMAT;
    r->stats.last_op = 0;
    fpy_rd_send(r, 0x00, 0, NULL, 0, 1, FPY_ROM_E_BAD_FORMAT, t0);
}

fpy_romdev_event fpy_romdev_frame(fpy_romdev *r, const uint8_t *frame, size_t n)
{
    fpy_rom_req q;
    if (fpy_rom_req_parse(frame, n, &q) != FPY_OK) {
        r->stats.malformed++;
        return FPY_ROMDEV_NONE;
    }
    r->stats.frames++;
    switch (q.op) {
    case FPY_ROM_SYNC: fpy_rd_sync(r, &q); break;
    case FPY_ROM_READ_REG: fpy_rd_read_reg(r, &q); break;
    case FPY_ROM_WRITE_REG: fpy_rd_write_reg(r, &q); break;
    case FPY_ROM_SPI_ATTACH: fpy_rd_spi_attach(r, &q); break;
    case FPY_ROM_SPI_SET_PARAMS: fpy_rd_set_params(r, &q); break;
    case FPY_ROM_FLASH_BEGIN:
    case FPY_ROM_FLASH_DEFL_BEGIN: fpy_rd_flash_begin(r, &q); break;
    case FPY_ROM_FLASH_DATA:
    case FPY_ROM_FLASH_DEFL_DATA: fpy_rd_flash_data(r, &q); break;
    case FPY_ROM_FLASH_END:
    case FPY_ROM_FLASH_DEFL_END: return fpy_rd_flash_end(r, &q);
    case FPY_ROM_SPI_FLASH_MD5: fpy_rd_md5(r, &q); break;
    case FPY_ROM_READ_FLASH_SLOW: fpy_rd_read_slow(r, &q); break;
    case FPY_ROM_CHANGE_BAUDRATE: fpy_rd_baud(r, &q); break;
    case FPY_ROM_MEM_BEGIN: fpy_rd_mem_begin(r, &q); break;
    case FPY_ROM_MEM_DATA: fpy_rd_mem_data(r, &q); break;
    case FPY_ROM_MEM_END: return fpy_rd_mem_end(r, &q);
    default: fpy_rd_unsupported(r); break;
    }
    return FPY_ROMDEV_NONE;
}
