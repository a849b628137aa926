/*
 * What the ROM client reads from the chip: eFuses (rom_protocol.md §5.3–
 * 5.4), the flash ID through SPI1 (§6), and the flash commands that need
 * no data stream: attach, set params, baud, MD5, slow read (§7).
 */
#include "romclient.h"

#include <stdio.h>
#include <string.h>

#include "fipy/bytes.h"
#include "fipy/err.h"

#define FPY_EFUSE_RDATA0 0x3FF5A000u
#define FPY_APB_DATE 0x3FF6607Cu
#define FPY_UART0_CLKDIV 0x3FF40014u
#define FPY_RTCCALICFG1 0x3FF5F06Cu
#define FPY_SPI1 0x3FF42000u
#define FPY_SPI_CMD (FPY_SPI1 + 0x00u)
#define FPY_SPI_USER (FPY_SPI1 + 0x1Cu)
#define FPY_SPI_USER2 (FPY_SPI1 + 0x24u)
#define FPY_SPI_MISO_DLEN (FPY_SPI1 + 0x2Cu)
#define FPY_SPI_W0 (FPY_SPI1 + 0x80u)
#define FPY_SPI_USR (1u << 18)

static unsigned fpy_bit(uint32_t v, unsigned b) { return (unsigned)(v >> b) & 1u; }

/* §5.4: the revision from three scattered bits and the minor field. */
static void fpy_romc_revision(fpy_rom_chip *ch)
{
    static const unsigned major_of[8] = {0, 1, 0, 2, 0, 0, 0, 3};
    unsigned bits = (fpy_bit(ch->date, 31) << 2) | (fpy_bit(ch->efuse[5], 20) << 1) |
                    fpy_bit(ch->efuse[3], 15);
    ch->major = major_of[bits];
    ch->minor = (unsigned)(ch->efuse[5] >> 24) & 3u;
}

int fpy_romc_chip_info(fpy_romclient *c, fpy_rom_chip *ch)
{
    memset(ch, 0, sizeof *ch);
    for (uint32_t i = 0; i < 7; i++)
        FPY_TRY(fpy_romc_read_reg_sure(c, FPY_EFUSE_RDATA0 + 4u * i, &ch->efuse[i]));
    FPY_TRY(fpy_romc_read_reg_sure(c, FPY_APB_DATE, &ch->date));
    uint32_t w1 = ch->efuse[1], w2 = ch->efuse[2], w3 = ch->efuse[3];
    const uint8_t mac[6] = {(uint8_t)(w2 >> 8), (uint8_t)w2, (uint8_t)(w1 >> 24),
                            (uint8_t)(w1 >> 16), (uint8_t)(w1 >> 8), (uint8_t)w1};
    memcpy(ch->mac, mac, sizeof mac);
    ch->pkg = ((w3 >> 9) & 7u) | (((w3 >> 2) & 1u) << 3);
    fpy_romc_revision(ch);
    /* §5.5: the UART divider the ROM auto-bauded to, times our rate */
    uint32_t div = 0;
    FPY_TRY(fpy_romc_read_reg_sure(c, FPY_UART0_CLKDIV, &div));
    uint64_t est = (uint64_t)c->baud * (div & 0xFFFFFu);
    ch->xtal_mhz = est > 45000000u ? 48 : est > 33000000u ? 40 : 26;
    return FPY_OK;
}

const char *fpy_romc_pkg_name(unsigned pkg)
{
    static const char *const names[8] = {"ESP32-D0WDQ6", "ESP32-D0WD",   "ESP32-D2WD",
                                          "ESP32",        "ESP32-U4WDH",  "ESP32-PICO-D4",
                                          "ESP32-PICO-V3-02", "ESP32-D0WDR2-V3"};
    return pkg < 8 ? names[pkg] : "ESP32";
}

void fpy_romc_features(const fpy_rom_chip *ch, char *out, size_t outlen)
{
    static const char *const coding[4] = {"None", "3/4", "Repeat (UNSUPPORTED)",
                                          "None (may contain encoding data)"};
    uint32_t w3 = ch->efuse[3];
    const char *freq = fpy_bit(w3, 13) ? (fpy_bit(w3, 12) ? ", 160MHz" : ", 240MHz") : "";
    snprintf(out, outlen, "Wi-Fi%s, %s%s%s%s, Coding Scheme %s", fpy_bit(w3, 1) ? "" : ", BT",
             fpy_bit(w3, 0) ? "Single Core" : "Dual Core", freq,
             fpy_bit(w3, 14) ? ", BLK3 partially reserved" : "",
             ((ch->efuse[4] >> 8) & 0x1Fu) != 0 ? ", Vref calibration in eFuse" : "",
             coding[ch->efuse[6] & 3u]);
}

/* §6.2: save USER/USER2, program the engine, start, poll, read W0, restore. */
int fpy_romc_spi_cmd(fpy_romclient *c, uint8_t opcode, unsigned miso_bits, uint32_t *result)
{
    uint32_t user, user2, cmd = FPY_SPI_USR;
    if (miso_bits > 32)
        return FPY_ERR_INVAL;
    FPY_TRY(fpy_romc_read_reg_sure(c, FPY_SPI_USER, &user));
    FPY_TRY(fpy_romc_read_reg_sure(c, FPY_SPI_USER2, &user2));
    if (miso_bits > 0)
        FPY_TRY(fpy_romc_write_reg(c, FPY_SPI_MISO_DLEN, miso_bits - 1u));
    FPY_TRY(fpy_romc_write_reg(c, FPY_SPI_USER, 0x80000000u | (miso_bits ? 0x10000000u : 0)));
    FPY_TRY(fpy_romc_write_reg(c, FPY_SPI_USER2, 0x70000000u | opcode));
    FPY_TRY(fpy_romc_write_reg(c, FPY_SPI_W0, 0));
    FPY_TRY(fpy_romc_write_reg(c, FPY_SPI_CMD, FPY_SPI_USR));
    for (int i = 0; i < 10 && (cmd & FPY_SPI_USR) != 0; i++)
        FPY_TRY(fpy_romc_read_reg(c, FPY_SPI_CMD, &cmd));
    if (cmd & FPY_SPI_USR) {
        snprintf(c->msg, sizeof c->msg, "SPI flash command 0x%02x did not complete in time",
                 opcode);
        return FPY_ERR_TIMEOUT;
    }
    uint32_t w0 = 0;
    if (miso_bits > 0)
        FPY_TRY(fpy_romc_read_reg_sure(c, FPY_SPI_W0, &w0));
    if (result != NULL)
        *result = w0;
    FPY_TRY(fpy_romc_write_reg(c, FPY_SPI_USER, user));
    return fpy_romc_write_reg(c, FPY_SPI_USER2, user2);
}

/* §6.4: the third ID byte is the size as a power of two, in steps. */
uint32_t fpy_romc_size_from_id(uint32_t id)
{
    uint32_t s = (id >> 16) & 0xFFu;
    if ((id & 0xFFu) == 0x1Fu) { /* Adesto */
        uint32_t a = (id >> 8) & 0x1Fu;
        return a >= 4 && a <= 9 ? (512u << 10) << (a - 4) : 0;
    }
    if (s >= 0x12 && s <= 0x1C)
        return (256u << 10) << (s - 0x12);
    if (s >= 0x20 && s <= 0x22)
        return (64u << 20) << (s - 0x20);
    if (s >= 0x32 && s <= 0x3A)
        return (256u << 10) << (s - 0x32);
    return 0;
}

int fpy_romc_flash_id(fpy_romclient *c, uint32_t *id, uint32_t *size)
{
    FPY_TRY(fpy_romc_spi_cmd(c, 0x9F, 24, id));
    *id &= 0xFFFFFFu;
    *size = fpy_romc_size_from_id(*id);
    return FPY_OK;
}

int fpy_romc_spi_attach(fpy_romclient *c, const fpy_rom_chip *ch)
{
    uint32_t w5 = ch->efuse[5];
    uint32_t clk = w5 & 0x1Fu, q = (w5 >> 5) & 0x1Fu, d = (w5 >> 10) & 0x1Fu;
    uint32_t cs = (w5 >> 15) & 0x1Fu, hd = (ch->efuse[3] >> 4) & 0x1Fu;
    uint32_t cfg = (clk | q | d | cs | hd) == 0 ? 0
                                                : hd << 24 | cs << 18 | d << 12 | q << 6 | clk;
    uint8_t b[8] = {0};
    fpy_put_le32(b, cfg);
    return fpy_romc_retry(c, FPY_ROM_SPI_ATTACH, b, sizeof b, 0, 0, FPY_ROMC_T_DEFAULT, NULL,
                          NULL);
}

int fpy_romc_set_params(fpy_romclient *c, uint32_t total_size)
{
    const uint32_t w[6] = {0, total_size, 0x10000u, 0x1000u, 0x100u, 0xFFFFu};
    uint8_t b[24];
    for (int i = 0; i < 6; i++)
        fpy_put_le32(b + 4 * i, w[i]);
    return fpy_romc_retry(c, FPY_ROM_SPI_SET_PARAMS, b, sizeof b, 0, 0, FPY_ROMC_T_DEFAULT,
                          NULL, NULL);
}

/*
 * §5.5: the ROM times its UART from the 8 MHz RC oscillator's estimate,
 * so the rate asked for is scaled by what the ROM thinks its clock is.
 * An unreadable calibration (0) would make that 0: then ask plainly.
 */
static uint32_t fpy_romc_baud_arg(fpy_romclient *c, uint32_t baud)
{
    uint32_t cali = 0, w4 = 0;
    if (fpy_romc_read_reg_sure(c, FPY_RTCCALICFG1, &cali) != FPY_OK ||
        fpy_romc_read_reg_sure(c, FPY_EFUSE_RDATA0 + 16u, &w4) != FPY_OK)
        return baud;
    uint64_t rom_freq = (uint64_t)((cali >> 7) & 0x1FFFFFFu) * 15625u * (w4 & 0xFFu) / 40u;
    uint64_t valid = rom_freq > 33000000u ? 40000000u : 26000000u;
    uint64_t arg = (uint64_t)baud * rom_freq / valid;
    return rom_freq == 0 || arg == 0 || arg > 0xFFFFFFFFu ? baud : (uint32_t)arg;
}

/* The local port to baud, stale input dropped (§7.7: the ROM may emit a
 * stray byte or two C0s around the switch). */
static int fpy_romc_port_baud(fpy_romclient *c, uint32_t baud)
{
    if (c->link.ops->set_baud != NULL)
        FPY_TRY(c->link.ops->set_baud(c->link.ctx, baud));
    c->baud = baud;
    fpy_romc_sleep(c, 50);
    fpy_romc_drain(c, 0);
    return FPY_OK;
}

int fpy_romc_change_baud(fpy_romclient *c, uint32_t baud)
{
    uint8_t b[8] = {0};
    uint32_t old = c->baud;
    fpy_put_le32(b, fpy_romc_baud_arg(c, baud));
    int rc = FPY_ERR_TIMEOUT;
    for (unsigned i = 0; i < 3; i++) {
        rc = fpy_romc_command(c, FPY_ROM_CHANGE_BAUDRATE, b, sizeof b, 0, 0,
                              fpy_romc_t_quick(c, sizeof b, 16, 0, FPY_ROMC_T_DEFAULT), NULL,
                              NULL);
        if (rc == FPY_OK)
            return fpy_romc_port_baud(c, baud);
        if (rc != FPY_ERR_TIMEOUT && rc != FPY_ERR_CORRUPT)
            return rc;
        /* did the ROM switch before its reply was lost?  SYNC decides */
        c->resends++;
        FPY_TRY(fpy_romc_port_baud(c, baud));
        if (fpy_romc_sync(c, 2) == FPY_OK)
            return FPY_OK;
        FPY_TRY(fpy_romc_port_baud(c, old));
        if (fpy_romc_sync(c, 2) != FPY_OK)
            break;
    }
    snprintf(c->msg, sizeof c->msg,
             "CHANGE_BAUDRATE to %u: the ROM answers neither at %u nor at %u", (unsigned)baud,
             (unsigned)baud, (unsigned)old);
    return rc == FPY_OK ? FPY_ERR_TIMEOUT : rc;
}

static int fpy_hexval(uint8_t ch)
{
    return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

int fpy_romc_md5(fpy_romclient *c, uint32_t addr, uint32_t size, uint8_t md5[16])
{
    uint8_t b[16] = {0}, hex[32];
    fpy_put_le32(b, addr);
    fpy_put_le32(b + 4, size);
    FPY_TRY(fpy_romc_retry(c, FPY_ROM_SPI_FLASH_MD5, b, sizeof b, sizeof hex,
                           (uint32_t)((uint64_t)size * 8u / 1000u), fpy_romc_t_md5(size), hex,
                           NULL));
    for (int i = 0; i < 16; i++) {
        int hi = fpy_hexval(hex[2 * i]), lo = fpy_hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            snprintf(c->msg, sizeof c->msg,
                     "SPI_FLASH_MD5: the reply is not 32 lowercase hex digits");
            return FPY_ERR_CORRUPT;
        }
        md5[i] = (uint8_t)(hi << 4 | lo);
    }
    return FPY_OK;
}

int fpy_romc_read_slow(fpy_romclient *c, uint32_t addr, uint8_t *out, uint32_t len)
{
    uint8_t b[8], data[64];
    if (len > sizeof data)
        return FPY_ERR_INVAL;
    fpy_put_le32(b, addr);
    fpy_put_le32(b + 4, len);
    FPY_TRY(fpy_romc_retry(c, FPY_ROM_READ_FLASH_SLOW, b, sizeof b, sizeof data, 0,
                           FPY_ROMC_T_DEFAULT, data, NULL));
    memcpy(out, data, len);
    return FPY_OK;
}
