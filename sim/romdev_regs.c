/*
 * The registers READ_REG and WRITE_REG reach: a D0WDQ6 rev 1 with a 40 MHz
 * crystal (rom_protocol.md §5.7), its eFuse controller (sim/efusesim.h),
 * and the SPI1 user-command engine esptool
 * drives to read the flash's JEDEC ID and SFDP (§6).
 */
#include "romdev_int.h"

#include <string.h>

#include "fipy/bytes.h"

#define FPY_SPI_CMD 0x00u
#define FPY_SPI_ADDR 0x04u
#define FPY_SPI_USER 0x1Cu
#define FPY_SPI_USER1 0x20u
#define FPY_SPI_USER2 0x24u
#define FPY_SPI_MOSI_DLEN 0x28u
#define FPY_SPI_MISO_DLEN 0x2Cu
#define FPY_SPI_W0 0x80u
#define FPY_SPI_USR_BIT (1u << 18)
#define FPY_SPI_USER_ATTACHED 0x80000040u /* SPI_USER as a real ESP32 reads after attach */

#define FPY_DATE_V1 0x16042000u
#define FPY_RTCCALI 0x00032000u  /* cali 1600: 1600 x 15625 x 0x40 / 40 = 40 MHz */
#define FPY_STRAP_DOWNLOAD 0x03u

/* SFDP as the flash holds it: the signature, the header pointing at the
 * basic parameter table at 0x80, and a vendor header whose ID at 0x10 is
 * 0xEF (not 0x20, so esptool 5.3.1 does not run its XMC recovery). */
static const uint8_t fpy_sfdp[0x90] = {
    [0x00] = 'S', 'F', 'D', 'P', 0x06, 0x01, 0x01, 0xFF,
    [0x08] = 0x00, 0x06, 0x01, 0x10, 0x80, 0x00, 0x00, 0xFF,
    [0x10] = 0xEF, 0x00, 0x01, 0x04, 0xD0, 0x00, 0x00, 0xFF,
    [0x80] = 0xE5, 0x20, 0xF9, 0xFF, 0xFF, 0xFF, 0xFF, 0x03, /* 64 Mbit */
    [0x88] = 0x44, 0xEB, 0x08, 0x6B, 0x08, 0x3B, 0x42, 0xBB,
};

static const uint8_t fpy_jedec[3] = {0xEF, 0x40, 0x17}; /* W0 = 0x001740EF: 8 MiB */

void fpy_rd_regs_reset(fpy_romdev *r)
{
    r->nregs = 0;
    memset(r->spi_w, 0, sizeof r->spi_w);
    memset(r->flash_sr, 0, sizeof r->flash_sr);
    r->attached = 0;
    r->chip_size = FPY_RD_DEFAULT_CHIP;
}

static int fpy_rd_slot(const fpy_romdev *r, uint32_t addr)
{
    for (uint32_t i = 0; i < r->nregs; i++)
        if (r->reg_addr[i] == addr)
            return (int)i;
    return -1;
}

static uint32_t fpy_rd_stored(const fpy_romdev *r, uint32_t addr, uint32_t dflt)
{
    int i = fpy_rd_slot(r, addr);
    return i < 0 ? dflt : r->reg_val[i];
}

static uint32_t fpy_rd_spi_get(const fpy_romdev *r, uint32_t off)
{
    if (off >= FPY_SPI_W0 && off < FPY_SPI_W0 + sizeof r->spi_w)
        return fpy_get_le32(r->spi_w + (off - FPY_SPI_W0));
    uint32_t dflt = off == FPY_SPI_USER && r->attached ? FPY_SPI_USER_ATTACHED : 0;
    uint32_t v = fpy_rd_stored(r, FPY_ROMDEV_REG_SPI1 + off, dflt);
    return off == FPY_SPI_CMD ? v & ~FPY_SPI_USR_BIT : v; /* done at once */
}

uint32_t fpy_rd_reg_get(const fpy_romdev *r, uint32_t addr)
{
    if (addr == FPY_ROMDEV_REG_MAGIC)
        return FPY_ROMDEV_MAGIC_ESP32;
    if (addr >= FPY_ROMDEV_REG_EFUSE0 && addr < FPY_ROMDEV_REG_EFUSE0 + FPY_EFUSE_MEM_SIZE)
        return fpy_efusesim_read(r->efuse, addr - FPY_ROMDEV_REG_EFUSE0);
    if (addr >= FPY_ROMDEV_REG_SPI1 && addr < FPY_ROMDEV_REG_SPI1 + 0x100u)
        return fpy_rd_spi_get(r, addr - FPY_ROMDEV_REG_SPI1);
    switch (addr) {
    case FPY_ROMDEV_REG_UART0_CLKDIV: return r->baud ? FPY_ROMDEV_XTAL_HZ / r->baud : 0;
    case FPY_ROMDEV_REG_DATE: return FPY_DATE_V1;
    case FPY_ROMDEV_REG_RTCCALICFG1: return FPY_RTCCALI;
    case FPY_ROMDEV_REG_GPIO_STRAP: return FPY_STRAP_DOWNLOAD;
    case FPY_ROMDEV_REG_SDIO_CONF: return 0;
    default: return fpy_rd_stored(r, addr, 0);
    }
}

/* ---- the SPI1 user-command engine ------------------------------------ */

static uint32_t fpy_rd_spi_reg(const fpy_romdev *r, uint32_t off)
{
    return fpy_rd_stored(r, FPY_ROMDEV_REG_SPI1 + off, 0);
}

/* What the flash answers to opcode at addr: into out[0..n). */
static void fpy_rd_spi_answer(fpy_romdev *r, uint32_t opcode, uint32_t addr, uint8_t *out,
                              uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t a = addr + i;
        switch (opcode) {
        case 0x9F: out[i] = i < sizeof fpy_jedec ? fpy_jedec[i] : 0; break;
        case 0x5A: out[i] = a < sizeof fpy_sfdp ? fpy_sfdp[a] : 0xFF; break;
        case 0x05: out[i] = r->flash_sr[0]; break;
        case 0x35: out[i] = r->flash_sr[1]; break;
        case 0x15: out[i] = r->flash_sr[2]; break;
        case 0x03:
            if (fpy_flash_read(&r->flash, a % r->flash.geo.size, &out[i], 1) != FPY_OK)
                out[i] = 0xFF;
            break;
        default: out[i] = 0xFF; break;
        }
    }
}

/* Write status registers from the MOSI bytes (WRSR 01: SR1[,SR2]; 31:
 * SR2; 11: SR3).  Write-enable, reset and the rest change nothing. */
static void fpy_rd_spi_mosi(fpy_romdev *r, uint32_t opcode, uint32_t bits)
{
    uint32_t n = bits / 8u;
    if (opcode == 0x01 && n >= 1) {
        r->flash_sr[0] = r->spi_w[0];
        if (n >= 2)
            r->flash_sr[1] = r->spi_w[1];
    } else if (opcode == 0x31 && n >= 1) {
        r->flash_sr[1] = r->spi_w[0];
    } else if (opcode == 0x11 && n >= 1) {
        r->flash_sr[2] = r->spi_w[0];
    }
}

/* Run the command the USER registers describe, at once: only the MISO
 * bits requested land in W0.., the rest stays as the host wrote it. */
static void fpy_rd_spi_run(fpy_romdev *r)
{
    uint32_t user = fpy_rd_spi_reg(r, FPY_SPI_USER);
    uint32_t user1 = fpy_rd_spi_reg(r, FPY_SPI_USER1);
    uint32_t opcode = fpy_rd_spi_reg(r, FPY_SPI_USER2) & 0xFFu;
    uint32_t addr = 0;
    if (user & (1u << 30)) {
        uint32_t abits = (user1 >> 26) + 1u;
        addr = fpy_rd_spi_reg(r, FPY_SPI_ADDR) >> (32u - abits);
    }
    if (user & (1u << 27))
        fpy_rd_spi_mosi(r, opcode, (fpy_rd_spi_reg(r, FPY_SPI_MOSI_DLEN) & 0xFFFFFFu) + 1u);
    if (user & (1u << 28)) {
        uint32_t bits = (fpy_rd_spi_reg(r, FPY_SPI_MISO_DLEN) & 0xFFFFFFu) + 1u;
        uint32_t bytes = (bits + 7u) / 8u;
        uint8_t ans[64];
        if (bytes > sizeof ans)
            bytes = sizeof ans;
        fpy_rd_spi_answer(r, opcode, addr, ans, bytes);
        if (bits % 8u != 0 && bytes > 0) /* a partial last byte keeps its other bits */
            ans[bytes - 1] = (uint8_t)((ans[bytes - 1] & ((1u << (bits % 8u)) - 1u)) |
                                       (r->spi_w[bytes - 1] & ~((1u << (bits % 8u)) - 1u)));
        memcpy(r->spi_w, ans, bytes);
    }
}

void fpy_rd_reg_write(fpy_romdev *r, uint32_t addr, uint32_t value, uint32_t mask)
{
    uint32_t old = fpy_rd_reg_get(r, addr);
    uint32_t v = (old & ~mask) | (value & mask);
    if (addr >= FPY_ROMDEV_REG_SPI1 + FPY_SPI_W0 &&
        addr < FPY_ROMDEV_REG_SPI1 + FPY_SPI_W0 + sizeof r->spi_w) {
        fpy_put_le32(r->spi_w + (addr - FPY_ROMDEV_REG_SPI1 - FPY_SPI_W0), v);
        return;
    }
    if (addr >= FPY_ROMDEV_REG_EFUSE0 && addr < FPY_ROMDEV_REG_EFUSE0 + FPY_EFUSE_MEM_SIZE) {
        /* a failed save is the board's to report (its efusesim's msg): the
         * chip has burnt all the same and a register write has no error */
        (void)fpy_efusesim_write(r->efuse, addr - FPY_ROMDEV_REG_EFUSE0, v);
        return;
    }
    if (addr == FPY_ROMDEV_REG_MAGIC || addr == FPY_ROMDEV_REG_UART0_CLKDIV)
        return; /* ROM and the loader's own UART are not the host's to change */
    int i = fpy_rd_slot(r, addr);
    if (i < 0) {
        if (r->nregs == FPY_RD_NREGS)
            return; /* a register file of its own size: later writes are lost */
        i = (int)r->nregs++;
        r->reg_addr[i] = addr;
    }
    r->reg_val[i] = v;
    if (addr == FPY_ROMDEV_REG_SPI1 + FPY_SPI_CMD && (v & FPY_SPI_USR_BIT))
        fpy_rd_spi_run(r);
}

void fpy_rd_read_reg(fpy_romdev *r, const fpy_rom_req *q)
{
    uint64_t t0 = fpy_rd_time(r);
    if (q->size != 4) {
        fpy_rd_fail(r, q->op, FPY_ROM_E_BAD_FORMAT, t0);
        return;
    }
    fpy_rd_ok(r, q->op, fpy_rd_reg_get(r, fpy_get_le32(q->data)), NULL, 0, t0);
}

/* WRITE_REG: one or more (addr, value, mask, delay_us) tuples; the delay
 * is simulated time before the reply. */
void fpy_rd_write_reg(fpy_romdev *r, const fpy_rom_req *q)
{
    uint64_t t0 = fpy_rd_time(r);
    if (q->size == 0 || q->size % 16u != 0) {
        fpy_rd_fail(r, q->op, FPY_ROM_E_BAD_FORMAT, t0);
        return;
    }
    uint64_t delay_us = 0;
    for (size_t off = 0; off < q->size; off += 16) {
        const uint8_t *t = q->data + off;
        fpy_rd_reg_write(r, fpy_get_le32(t), fpy_get_le32(t + 4), fpy_get_le32(t + 8));
        delay_us += fpy_get_le32(t + 12);
    }
    /* the delay counts as work before the reply: t0 moved back by it */
    fpy_rd_ok(r, q->op, 0, NULL, 0, t0 - delay_us * 1000u);
}
