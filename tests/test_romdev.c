/* sim/romdev: the ESP32 ROM serial loader, device side, driven with
 * packets built by lib/rom and checked byte for byte (rom_protocol.md). */
#include <mbedtls/md5.h>
#include <mbedtls/version.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fipy/bytes.h"
#include "fipy/err.h"
#include "fipy/rom.h"
#include "romdev.h"
#include "testutil.h"

#define MAXOUT 64

/* What the engine gave back, in order: packets, baud switches, lines. */
typedef struct outlog {
    int kind[MAXOUT]; /* 0 packet, 1 baud, 2 console */
    uint8_t pkt[MAXOUT][128];
    size_t len[MAXOUT];
    uint32_t busy[MAXOUT];
    uint32_t baud[MAXOUT];
    char line[MAXOUT][256];
    size_t n;
} outlog;

static void log_send(void *ctx, const uint8_t *pkt, size_t n, uint32_t busy_us)
{
    outlog *o = ctx;
    assert_true(o->n < MAXOUT);
    assert_true(n <= sizeof o->pkt[0]);
    o->kind[o->n] = 0;
    memcpy(o->pkt[o->n], pkt, n);
    o->len[o->n] = n;
    o->busy[o->n++] = busy_us;
}

static void log_baud(void *ctx, uint32_t baud)
{
    outlog *o = ctx;
    assert_true(o->n < MAXOUT);
    o->kind[o->n] = 1;
    o->baud[o->n++] = baud;
}

static void log_console(void *ctx, const char *line)
{
    outlog *o = ctx;
    assert_true(o->n < MAXOUT);
    o->kind[o->n] = 2;
    snprintf(o->line[o->n++], sizeof o->line[0], "%s", line);
}

typedef struct rig {
    fpy_test_flash *tf;
    outlog log;
    fpy_devout out;
    fpy_romdev *rd;
} rig;

static const uint8_t test_mac[6] = {0x24, 0x0A, 0xC4, 0x12, 0x34, 0x56};

static rig *rig_new(void)
{
    rig *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->tf = fpy_test_flash_new(NULL);
    r->tf->sim.mode = FPY_FLASHSIM_NOR;
    r->out = (fpy_devout){&r->log, log_send, log_baud, log_console};
    fpy_romdev_cfg cfg = {&r->tf->flash, &r->tf->sim, &r->out, {0}, 115200, NULL};
    memcpy(cfg.mac, test_mac, 6);
    r->rd = fpy_romdev_new(&cfg);
    assert_non_null(r->rd);
    return r;
}

static void rig_free(rig *r)
{
    fpy_romdev_free(r->rd);
    fpy_test_flash_free(r->tf);
    free(r);
}

/* Send one request; the log is cleared first. */
static fpy_romdev_event cmd(rig *r, uint8_t op, const uint8_t *data, uint16_t size,
                            uint32_t checksum)
{
    static uint8_t frame[FPY_ROM_HDR + 0x2000];
    size_t n = fpy_rom_req_build(frame, sizeof frame, op, data, size, checksum);
    assert_true(n > 0);
    memset(&r->log, 0, sizeof r->log);
    return fpy_romdev_frame(r->rd, frame, n);
}

static fpy_romdev_event cmd_words(rig *r, uint8_t op, const uint32_t *w, size_t nw)
{
    uint8_t d[32];
    for (size_t i = 0; i < nw; i++)
        fpy_put_le32(d + 4 * i, w[i]);
    return cmd(r, op, d, (uint16_t)(4 * nw), 0);
}

static fpy_romdev_event cmd_data(rig *r, uint8_t op, uint32_t seq, const uint8_t *b,
                                 uint32_t len)
{
    static uint8_t body[FPY_ROM_DATA_HDR + 0x1800];
    uint32_t ck;
    size_t n = fpy_rom_data_build(body, sizeof body, seq, b, len, &ck);
    assert_true(n > 0);
    return cmd(r, op, body, (uint16_t)n, ck);
}

/* The one reply must be `hex` exactly. */
static void expect_reply(const rig *r, const char *hex)
{
    uint8_t want[128];
    size_t n = fpy_test_unhex(hex, want, sizeof want);
    assert_int_equal(r->log.n, 1);
    assert_int_equal(r->log.kind[0], 0);
    assert_int_equal(r->log.len[0], n);
    assert_memory_equal(r->log.pkt[0], want, n);
}

static void expect_status(const rig *r, uint8_t op, uint8_t status, uint8_t error)
{
    assert_true(r->log.n >= 1);
    fpy_rom_resp resp;
    assert_int_equal(fpy_rom_resp_parse(r->log.pkt[0], r->log.len[0], &resp), FPY_OK);
    assert_int_equal(resp.op, op);
    assert_true(resp.size >= 4);
    assert_int_equal(resp.data[resp.size - 4], status);
    assert_int_equal(resp.data[resp.size - 3], error);
    assert_int_equal(resp.data[resp.size - 2], 0);
    assert_int_equal(resp.data[resp.size - 1], 0);
}

static uint32_t read_reg(rig *r, uint32_t addr)
{
    cmd_words(r, FPY_ROM_READ_REG, &addr, 1);
    expect_status(r, FPY_ROM_READ_REG, 0, 0);
    return fpy_get_le32(r->log.pkt[0] + 4);
}

static void write_reg(rig *r, uint32_t addr, uint32_t value)
{
    uint32_t w[4] = {addr, value, 0xFFFFFFFFu, 0};
    cmd_words(r, FPY_ROM_WRITE_REG, w, 4);
    expect_status(r, FPY_ROM_WRITE_REG, 0, 0);
}

static void attach_8m(rig *r)
{
    uint32_t att[2] = {0, 0};
    cmd_words(r, FPY_ROM_SPI_ATTACH, att, 2);
    expect_reply(r, "01 0D 04 00 00000000 00 00 00 00");
    uint32_t p[6] = {0, 0x800000, 0x10000, 0x1000, 0x100, 0xFFFF};
    cmd_words(r, FPY_ROM_SPI_SET_PARAMS, p, 6);
    expect_reply(r, "01 0B 04 00 00000000 00 00 00 00");
}

/* ---- SYNC and registers ------------------------------------------------- */

static void test_sync_is_answered_8_times_with_its_value(void **state)
{
    (void)state;
    rig *r = rig_new();
    uint8_t body[36] = {0x07, 0x07, 0x12, 0x20};
    memset(body + 4, 0x55, 32);
    cmd(r, FPY_ROM_SYNC, body, sizeof body, 0);
    uint8_t want[12];
    fpy_test_unhex("01 08 04 00 07 07 12 20 00 00 00 00", want, sizeof want);
    assert_int_equal(r->log.n, 8);
    for (size_t i = 0; i < 8; i++) {
        assert_int_equal(r->log.len[i], 12);
        assert_memory_equal(r->log.pkt[i], want, 12);
    }
    body[10] = 0x54; /* not the SYNC pattern: refused once */
    cmd(r, FPY_ROM_SYNC, body, sizeof body, 0);
    expect_reply(r, "01 08 04 00 00000000 01 05 00 00");
    rig_free(r);
}

static void test_read_reg_magic_and_chip_facts(void **state)
{
    (void)state;
    rig *r = rig_new();
    uint32_t a = 0x40001000u;
    cmd_words(r, FPY_ROM_READ_REG, &a, 1);
    expect_reply(r, "01 0A 04 00 83 1D F0 00 00 00 00 00");
    /* as esptool derives them (rom_protocol.md §5.4) */
    uint32_t w3 = read_reg(r, 0x3FF5A00Cu), w5 = read_reg(r, 0x3FF5A014u);
    uint32_t date = read_reg(r, 0x3FF6607Cu);
    uint32_t pkg = ((w3 >> 9) & 7u) | (((w3 >> 2) & 1u) << 3);
    assert_int_equal(pkg, 0); /* D0WDQ6 */
    uint32_t c = ((date >> 31) << 2) | (((w5 >> 20) & 1u) << 1) | ((w3 >> 15) & 1u);
    assert_int_equal(c, 1); /* major revision 1 */
    assert_int_equal((w5 >> 24) & 3u, 0);
    assert_int_equal(w3 & 3u, 0); /* BT, dual core */
    /* the MAC as esptool computes it from RDATA1/RDATA2 */
    uint32_t w1 = read_reg(r, 0x3FF5A004u), w2 = read_reg(r, 0x3FF5A008u);
    uint8_t mac[6] = {(uint8_t)(w2 >> 8), (uint8_t)w2, (uint8_t)(w1 >> 24), (uint8_t)(w1 >> 16),
                      (uint8_t)(w1 >> 8), (uint8_t)w1};
    assert_memory_equal(mac, test_mac, 6);
    /* the ROM's baud scaling yields exactly 40 MHz: cali x 15625 x CK8M / 40 */
    uint32_t cali = (read_reg(r, 0x3FF5F06Cu) >> 7) & 0x1FFFFFFu;
    uint32_t ck8m = read_reg(r, 0x3FF5A010u) & 0xFFu;
    assert_int_equal((uint64_t)cali * 15625u * ck8m / 40u, 40000000u);
    /* eFuses are not the host's to write */
    write_reg(r, 0x3FF5A004u, 0);
    assert_int_equal(read_reg(r, 0x3FF5A004u), w1);
    /* an unmapped address reads 0, a written one what was written */
    assert_int_equal(read_reg(r, 0x3FF00000u), 0);
    write_reg(r, 0x3FF00000u, 0x12345678u);
    assert_int_equal(read_reg(r, 0x3FF00000u), 0x12345678u);
    /* the stub's WRITE_REG reaches the same map */
    fpy_romdev_write_reg(r->rd, 0x3FF00004u, 0xCAFEu);
    assert_int_equal(fpy_romdev_read_reg(r->rd, 0x3FF00004u), 0xCAFEu);
    fpy_romdev_write_reg(r->rd, 0x40001000u, 0);
    assert_int_equal(fpy_romdev_read_reg(r->rd, 0x40001000u), 0x00F01D83u);
    rig_free(r);
}

static void test_uart_divider_follows_the_baud(void **state)
{
    (void)state;
    rig *r = rig_new();
    uint32_t div = read_reg(r, 0x3FF40014u) & 0xFFFFFu;
    assert_int_equal(div, 347);
    /* esptool: est = baud x div / 1e6, > 33 -> 40 MHz */
    uint64_t est = 115200ull * div;
    assert_true(est > 33000000ull && est <= 45000000ull);
    uint32_t cb[2] = {460800, 0};
    cmd_words(r, FPY_ROM_CHANGE_BAUDRATE, cb, 2);
    /* the reply first (at the old rate), then the switch */
    assert_int_equal(r->log.n, 2);
    assert_int_equal(r->log.kind[0], 0);
    uint8_t want[12];
    fpy_test_unhex("01 0F 04 00 00000000 00 00 00 00", want, sizeof want);
    assert_memory_equal(r->log.pkt[0], want, 12);
    assert_int_equal(r->log.kind[1], 1);
    assert_int_equal(r->log.baud[1], 460800);
    assert_int_equal(read_reg(r, 0x3FF40014u), 40000000u / 460800u);
    cb[0] = 0;
    cmd_words(r, FPY_ROM_CHANGE_BAUDRATE, cb, 2);
    expect_reply(r, "01 0F 04 00 00000000 01 01 00 00");
    rig_free(r);
}

/* One run_spiflash_command as esptool does it (rom_protocol.md §6.2). */
static uint32_t spi_command(rig *r, uint32_t opcode, uint32_t addr, uint32_t addr_bits,
                            uint32_t dummy, uint32_t read_bits)
{
    const uint32_t base = 0x3FF42000u;
    uint32_t user = read_reg(r, base + 0x1C), user2 = read_reg(r, base + 0x24);
    uint32_t flags = 0x80000000u;
    if (read_bits > 0) {
        write_reg(r, base + 0x2C, read_bits - 1);
        flags |= 0x10000000u;
    }
    if (addr_bits > 0 || dummy > 0) {
        write_reg(r, base + 0x20, ((dummy ? dummy : 1) - 1) | ((addr_bits - 1) << 26));
    }
    if (addr_bits > 0)
        flags |= 0x40000000u;
    if (dummy > 0)
        flags |= 0x20000000u;
    write_reg(r, base + 0x1C, flags);
    write_reg(r, base + 0x24, 0x70000000u | opcode);
    if (addr_bits > 0)
        write_reg(r, base + 0x04, addr << (32 - addr_bits));
    write_reg(r, base + 0x80, 0);
    write_reg(r, base + 0x00, 0x40000);
    assert_int_equal(read_reg(r, base) & 0x40000u, 0); /* done at the first poll */
    uint32_t w0 = read_reg(r, base + 0x80);
    write_reg(r, base + 0x1C, user);
    write_reg(r, base + 0x24, user2);
    return w0;
}

static void test_flash_id_through_the_spi1_engine(void **state)
{
    (void)state;
    rig *r = rig_new();
    uint32_t att[2] = {0, 0};
    cmd_words(r, FPY_ROM_SPI_ATTACH, att, 2);
    assert_int_equal(read_reg(r, 0x3FF4201Cu), 0x80000040u);
    uint32_t id = spi_command(r, 0x9F, 0, 0, 0, 24);
    assert_int_equal(id, 0x001740EFu);
    assert_int_equal(id >> 16, 0x17); /* esptool: 8MB */
    assert_int_equal(id & 0xFF, 0xEF);
    assert_int_equal(spi_command(r, 0x5A, 0x10, 24, 8, 8) & 0xFF, 0xEF); /* not XMC 0x20 */
    assert_int_equal(spi_command(r, 0x5A, 0, 24, 8, 32), 0x50444653u);   /* "SFDP" */
    assert_int_equal(spi_command(r, 0x05, 0, 0, 0, 8), 0);               /* RDSR */
    assert_int_equal(read_reg(r, 0x3FF4201Cu), 0x80000040u); /* restored */
    rig_free(r);
}

/* ---- flash writing --------------------------------------------------------- */

static void fill(uint8_t *b, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        b[i] = (uint8_t)(seed >> 16);
    }
}

static void test_flash_begin_data_end_writes_and_erases_as_the_rom(void **state)
{
    (void)state;
    rig *r = rig_new();
    static const uint8_t junk[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_int_equal(fpy_flash_program(&r->tf->flash, 0x10F00, junk, 8), FPY_OK);
    assert_int_equal(fpy_flash_program(&r->tf->flash, 0x11000, junk, 8), FPY_OK);
    /* before SPI_ATTACH the ROM's flash is not set up: refused */
    uint32_t beg[4] = {3000, 3, 0x400, 0x10000};
    cmd_words(r, FPY_ROM_FLASH_BEGIN, beg, 4);
    expect_reply(r, "01 02 04 00 00000000 01 01 00 00");
    attach_8m(r);
    cmd_words(r, FPY_ROM_FLASH_BEGIN, beg, 4);
    expect_reply(r, "01 02 04 00 00000000 00 00 00 00");
    assert_true(r->log.busy[0] >= 45000); /* one sector erased before the reply */
    uint8_t img[3072];
    fill(img, 3000, 7);
    memset(img + 3000, 0xFF, sizeof img - 3000); /* esptool pads the last block */
    for (uint32_t s = 0; s < 3; s++) {
        cmd_data(r, FPY_ROM_FLASH_DATA, s, img + s * 0x400, 0x400);
        expect_reply(r, "01 03 04 00 00000000 00 00 00 00");
    }
    uint8_t back[0x1000];
    assert_int_equal(fpy_flash_read(&r->tf->flash, 0x10000, back, sizeof back), FPY_OK);
    assert_memory_equal(back, img, sizeof img);
    assert_true(fpy_is_erased(back + sizeof img, sizeof back - sizeof img)); /* junk erased */
    assert_int_equal(fpy_flash_read(&r->tf->flash, 0x11000, back, 8), FPY_OK);
    assert_memory_equal(back, junk, 8); /* the next sector untouched */
    /* a block past num_blocks */
    cmd_data(r, FPY_ROM_FLASH_DATA, 3, img, 0x400);
    expect_reply(r, "01 03 04 00 00000000 01 01 00 00");
    assert_int_equal(cmd_words(r, FPY_ROM_FLASH_END, (uint32_t[]){1}, 1), FPY_ROMDEV_RUN);
    expect_reply(r, "01 04 04 00 00000000 00 00 00 00");
    /* END without BEGIN */
    assert_int_equal(cmd_words(r, FPY_ROM_FLASH_END, (uint32_t[]){0}, 1), FPY_ROMDEV_NONE);
    expect_reply(r, "01 04 04 00 00000000 01 01 00 00");
    /* esptool's soft reset: BEGIN(0, 0, 0x400, 0), END(0) reboots */
    cmd_words(r, FPY_ROM_FLASH_BEGIN, (uint32_t[]){0, 0, 0x400, 0}, 4);
    expect_status(r, FPY_ROM_FLASH_BEGIN, 0, 0);
    assert_int_equal(cmd_words(r, FPY_ROM_FLASH_END, (uint32_t[]){0}, 1), FPY_ROMDEV_REBOOT);
    rig_free(r);
}

static void test_flash_data_checksum_seq_and_length_are_checked(void **state)
{
    (void)state;
    rig *r = rig_new();
    attach_8m(r);
    uint8_t blk[0x400];
    fill(blk, sizeof blk, 3);
    /* DATA before BEGIN */
    cmd_data(r, FPY_ROM_FLASH_DATA, 0, blk, 0x400);
    expect_reply(r, "01 03 04 00 00000000 01 01 00 00");
    cmd_words(r, FPY_ROM_FLASH_BEGIN, (uint32_t[]){0x800, 2, 0x400, 0x20000}, 4);
    expect_status(r, FPY_ROM_FLASH_BEGIN, 0, 0);
    /* a wrong checksum: 01 07, nothing written */
    uint8_t body[16 + 0x400];
    uint32_t ck;
    fpy_rom_data_build(body, sizeof body, 0, blk, 0x400, &ck);
    cmd(r, FPY_ROM_FLASH_DATA, body, sizeof body, ck ^ 1u);
    expect_reply(r, "01 03 04 00 00000000 01 07 00 00");
    uint8_t back[0x400];
    assert_int_equal(fpy_flash_read(&r->tf->flash, 0x20000, back, sizeof back), FPY_OK);
    assert_true(fpy_is_erased(back, sizeof back));
    /* out of sequence */
    cmd_data(r, FPY_ROM_FLASH_DATA, 1, blk, 0x400);
    expect_reply(r, "01 03 04 00 00000000 01 01 00 00");
    /* a short plain block */
    cmd_data(r, FPY_ROM_FLASH_DATA, 0, blk, 0x200);
    expect_reply(r, "01 03 04 00 00000000 01 01 00 00");
    /* the right one, then the same seq again */
    cmd_data(r, FPY_ROM_FLASH_DATA, 0, blk, 0x400);
    expect_status(r, FPY_ROM_FLASH_DATA, 0, 0);
    cmd_data(r, FPY_ROM_FLASH_DATA, 0, blk, 0x400);
    expect_status(r, FPY_ROM_FLASH_DATA, 1, 1);
    /* BEGIN: unaligned offset, past the configured size, a fifth word */
    cmd_words(r, FPY_ROM_FLASH_BEGIN, (uint32_t[]){0x400, 1, 0x400, 0x20400}, 4);
    expect_status(r, FPY_ROM_FLASH_BEGIN, 1, 1);
    cmd_words(r, FPY_ROM_FLASH_BEGIN, (uint32_t[]){0x2000, 8, 0x400, 0x7FF000}, 4);
    expect_status(r, FPY_ROM_FLASH_BEGIN, 1, 1);
    cmd_words(r, FPY_ROM_FLASH_BEGIN, (uint32_t[]){0x400, 1, 0x400, 0x20000, 0}, 5);
    expect_status(r, FPY_ROM_FLASH_BEGIN, 1, 5);
    rig_free(r);
}

static void test_default_size_is_2mb_until_set_params(void **state)
{
    (void)state;
    rig *r = rig_new();
    cmd_words(r, FPY_ROM_SPI_ATTACH, (uint32_t[]){0, 0}, 2);
    cmd_words(r, FPY_ROM_READ_FLASH_SLOW, (uint32_t[]){0x200000, 16}, 2);
    expect_status(r, FPY_ROM_READ_FLASH_SLOW, 1, 1);
    cmd_words(r, FPY_ROM_READ_FLASH_SLOW, (uint32_t[]){0x1FFFF0, 16}, 2);
    expect_status(r, FPY_ROM_READ_FLASH_SLOW, 0, 0);
    rig_free(r);
}

static void md5_hex(const uint8_t *d, size_t n, char out[33])
{
    uint8_t dig[16];
#if MBEDTLS_VERSION_NUMBER < 0x03000000
    assert_int_equal(mbedtls_md5_ret(d, n, dig), 0);
#else
    assert_int_equal(mbedtls_md5(d, n, dig), 0);
#endif
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", dig[i]);
}

static void flash_md5(rig *r, uint32_t addr, uint32_t size, char out[33])
{
    cmd_words(r, FPY_ROM_SPI_FLASH_MD5, (uint32_t[]){addr, size, 0, 0}, 4);
    assert_int_equal(r->log.len[0], 8 + 36);
    assert_int_equal(fpy_get_le16(r->log.pkt[0] + 2), 36);
    expect_status(r, FPY_ROM_SPI_FLASH_MD5, 0, 0);
    memcpy(out, r->log.pkt[0] + 8, 32);
    out[32] = '\0';
}

static void test_deflate_path_equals_plain_path_and_md5(void **state)
{
    (void)state;
    enum { N = 9000 };
    static uint8_t img[N + 0x400], z[N + 1024];
    fill(img, N, 11);
    memset(img + 4000, 0x42, 3000); /* compressible */
    /* plain at 0x30000 */
    rig *r = rig_new();
    attach_8m(r);
    uint32_t padded = (N + 0x3FF) & ~0x3FFu;
    memset(img + N, 0xFF, padded - N);
    cmd_words(r, FPY_ROM_FLASH_BEGIN, (uint32_t[]){N, padded / 0x400, 0x400, 0x30000}, 4);
    expect_status(r, FPY_ROM_FLASH_BEGIN, 0, 0);
    for (uint32_t s = 0; s < padded / 0x400; s++) {
        cmd_data(r, FPY_ROM_FLASH_DATA, s, img + s * 0x400, 0x400);
        expect_status(r, FPY_ROM_FLASH_DATA, 0, 0);
    }
    /* compressed at 0x40000, no END, as esptool -z in ROM mode */
    uLongf zn = sizeof z;
    assert_int_equal(compress2(z, &zn, img, N, 9), Z_OK);
    uint32_t blocks = (uint32_t)((zn + 0x3FF) / 0x400);
    cmd_words(r, FPY_ROM_FLASH_DEFL_BEGIN, (uint32_t[]){padded, blocks, 0x400, 0x40000}, 4);
    expect_reply(r, "01 10 04 00 00000000 00 00 00 00");
    for (uint32_t s = 0; s < blocks; s++) {
        uint32_t len = s + 1 == blocks ? (uint32_t)(zn - s * 0x400) : 0x400;
        cmd_data(r, FPY_ROM_FLASH_DEFL_DATA, s, z + s * 0x400, len);
        expect_reply(r, "01 11 04 00 00000000 00 00 00 00");
    }
    char want[33], plain[33], defl[33];
    md5_hex(img, N, want);
    flash_md5(r, 0x30000, N, plain);
    flash_md5(r, 0x40000, N, defl);
    assert_string_equal(plain, want);
    assert_string_equal(defl, want);
    /* data past the stream's end */
    cmd_words(r, FPY_ROM_FLASH_DEFL_BEGIN, (uint32_t[]){padded, 1, 0x400, 0x50000}, 4);
    z[5] ^= 0xFF; /* a broken stream */
    cmd_data(r, FPY_ROM_FLASH_DEFL_DATA, 0, z, 0x400);
    expect_status(r, FPY_ROM_FLASH_DEFL_DATA, 1, FPY_ROM_E_DEFLATE);
    rig_free(r);
}

static void test_read_flash_slow_always_64_bytes(void **state)
{
    (void)state;
    rig *r = rig_new();
    uint8_t d[16];
    fill(d, sizeof d, 5);
    assert_int_equal(fpy_flash_program(&r->tf->flash, 0x1000, d, sizeof d), FPY_OK);
    attach_8m(r);
    cmd_words(r, FPY_ROM_READ_FLASH_SLOW, (uint32_t[]){0x1000, 16}, 2);
    assert_int_equal(r->log.len[0], 8 + 68);
    assert_int_equal(fpy_get_le16(r->log.pkt[0] + 2), 0x44);
    assert_memory_equal(r->log.pkt[0] + 8, d, 16);
    expect_status(r, FPY_ROM_READ_FLASH_SLOW, 0, 0);
    cmd_words(r, FPY_ROM_READ_FLASH_SLOW, (uint32_t[]){0x1000, 65}, 2);
    expect_reply(r, "01 0E 04 00 00000000 01 0A 00 00");
    rig_free(r);
}

static void test_unknown_and_security_info_get_the_unsupported_reply(void **state)
{
    (void)state;
    rig *r = rig_new();
    static const uint8_t ops[] = {FPY_ROM_GET_SECURITY_INFO, 0x0C, 0x01, FPY_ROM_ERASE_FLASH,
                                  FPY_ROM_READ_FLASH, 0xFF};
    for (size_t i = 0; i < sizeof ops; i++) {
        cmd(r, ops[i], NULL, 0, 0);
        expect_reply(r, "01 00 04 00 00000000 01 05 00 00");
    }
    /* the next READ_REG works: nothing stale left */
    uint32_t a = 0x40001000u;
    cmd_words(r, FPY_ROM_READ_REG, &a, 1);
    expect_reply(r, "01 0A 04 00 83 1D F0 00 00 00 00 00");
    rig_free(r);
}

static void test_malformed_frames_get_no_reply(void **state)
{
    (void)state;
    rig *r = rig_new();
    uint8_t f[12] = {0x00, 0x0A, 0x04, 0x00, 0, 0, 0, 0, 0, 0x10, 0, 0x40};
    memset(&r->log, 0, sizeof r->log);
    assert_int_equal(fpy_romdev_frame(r->rd, f, 11), FPY_ROMDEV_NONE); /* short */
    f[0] = 0x01;
    fpy_romdev_frame(r->rd, f, 12); /* a response, not a request */
    assert_int_equal(r->log.n, 0);
    fpy_romdev_stats st;
    fpy_romdev_get_stats(r->rd, &st);
    assert_int_equal(st.malformed, 2);
    rig_free(r);
}

static void test_ram_program_is_refused_with_a_line_and_a_reply(void **state)
{
    (void)state;
    rig *r = rig_new();
    uint8_t code[0x1000];
    fill(code, sizeof code, 99);
    cmd_words(r, FPY_ROM_MEM_BEGIN, (uint32_t[]){sizeof code, 1, 0x1800, 0x40090000}, 4);
    expect_reply(r, "01 05 04 00 00000000 00 00 00 00");
    cmd_data(r, FPY_ROM_MEM_DATA, 0, code, sizeof code);
    expect_reply(r, "01 07 04 00 00000000 00 00 00 00");
    assert_int_equal(cmd_words(r, FPY_ROM_MEM_END, (uint32_t[]){0, 0x40090010}, 2),
                     FPY_ROMDEV_NONE);
    assert_int_equal(r->log.n, 2);
    expect_status(r, FPY_ROM_MEM_END, 1, FPY_ROM_E_RESULT);
    assert_int_equal(r->log.kind[1], 2);
    assert_non_null(strstr(r->log.line[1], "cannot run Xtensa code"));
    assert_non_null(strstr(r->log.line[1], "0x40090010"));
    /* a segment outside RAM, a block bigger than the ROM's */
    cmd_words(r, FPY_ROM_MEM_BEGIN, (uint32_t[]){16, 1, 0x1800, 0x3F400000}, 4);
    expect_status(r, FPY_ROM_MEM_BEGIN, 1, FPY_ROM_E_RAM_ADDR);
    cmd_words(r, FPY_ROM_MEM_BEGIN, (uint32_t[]){0x2000, 1, 0x2000, 0x40090000}, 4);
    expect_status(r, FPY_ROM_MEM_BEGIN, 1, FPY_ROM_E_RAM_SIZE);
    /* MEM_END(1): stay in the loader */
    cmd_words(r, FPY_ROM_MEM_END, (uint32_t[]){1, 0}, 2);
    expect_reply(r, "01 06 04 00 00000000 00 00 00 00");
    rig_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_is_answered_8_times_with_its_value),
        cmocka_unit_test(test_read_reg_magic_and_chip_facts),
        cmocka_unit_test(test_uart_divider_follows_the_baud),
        cmocka_unit_test(test_flash_id_through_the_spi1_engine),
        cmocka_unit_test(test_flash_begin_data_end_writes_and_erases_as_the_rom),
        cmocka_unit_test(test_flash_data_checksum_seq_and_length_are_checked),
        cmocka_unit_test(test_default_size_is_2mb_until_set_params),
        cmocka_unit_test(test_deflate_path_equals_plain_path_and_md5),
        cmocka_unit_test(test_read_flash_slow_always_64_bytes),
        cmocka_unit_test(test_unknown_and_security_info_get_the_unsupported_reply),
        cmocka_unit_test(test_malformed_frames_get_no_reply),
        cmocka_unit_test(test_ram_program_is_refused_with_a_line_and_a_reply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
