/*
 * sim/stubdev: esptool's flasher stub emulated over a simulated flash
 * (../shared/docs/stub_and_rfc2217.md §2–3).  Requests are built with
 * lib/rom, fed as decoded frames, and the replies parsed back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fipy/bytes.h"
#include "fipy/hash.h"
#include "fipy/rom.h"
#include "stubdev.h"
#include "testutil.h"

#define T_FLASH (1024u * 1024u)
#define T_MAXPKT 64

/* What the stub sent and did, in order. */
typedef struct t_event {
    char kind; /* 'P' packet, 'B' baud, 'R' reboot, 'C' console */
    uint8_t *data;
    size_t len;
    uint32_t busy_us, baud;
} t_event;

typedef struct t_rig {
    fpy_test_flash *tf;
    fpy_devout out;
    fpy_stubdev_hooks hooks;
    fpy_stubdev *stub;
    t_event ev[T_MAXPKT];
    size_t nev, next; /* events recorded, events consumed */
    uint32_t regs[4]; /* a tiny register file at 0x3FF42000.. */
} t_rig;

static void t_push(t_rig *t, char kind, const uint8_t *p, size_t n, uint32_t busy, uint32_t baud)
{
    assert_true(t->nev < T_MAXPKT);
    t_event *e = &t->ev[t->nev++];
    e->kind = kind;
    e->data = n > 0 ? malloc(n) : NULL;
    if (n > 0)
        memcpy(e->data, p, n);
    e->len = n;
    e->busy_us = busy;
    e->baud = baud;
}

static void t_send(void *ctx, const uint8_t *pkt, size_t n, uint32_t busy_us)
{
    t_push(ctx, 'P', pkt, n, busy_us, 0);
}

static void t_baud(void *ctx, uint32_t baud)
{
    t_push(ctx, 'B', NULL, 0, 0, baud);
}

static void t_console(void *ctx, const char *line)
{
    t_push(ctx, 'C', (const uint8_t *)line, strlen(line), 0, 0);
}

static void t_reboot(void *ctx)
{
    t_push(ctx, 'R', NULL, 0, 0, 0);
}

static uint32_t t_read_reg(void *ctx, uint32_t addr)
{
    t_rig *t = ctx;
    uint32_t i = (addr - 0x3FF42000u) / 4u;
    return i < 4 ? t->regs[i] : 0;
}

static void t_write_reg(void *ctx, uint32_t addr, uint32_t value)
{
    t_rig *t = ctx;
    uint32_t i = (addr - 0x3FF42000u) / 4u;
    if (i < 4)
        t->regs[i] = value;
}

static void t_clear(t_rig *t)
{
    for (size_t i = 0; i < t->nev; i++)
        free(t->ev[i].data);
    t->nev = t->next = 0;
}

static t_rig *t_new(const char *which)
{
    t_rig *t = calloc(1, sizeof *t);
    assert_non_null(t);
    fpy_flash_geometry geo = FPY_FLASH_GEOMETRY_FIPY();
    geo.size = T_FLASH;
    t->tf = fpy_test_flash_new(&geo);
    t->out = (fpy_devout){t, t_send, t_baud, t_console};
    t->hooks = (fpy_stubdev_hooks){t, t_read_reg, t_write_reg, t_reboot, &t->tf->sim};
    t->stub = fpy_stubdev_start(&t->tf->flash, &t->out, which, &t->hooks);
    assert_non_null(t->stub);
    return t;
}

static void t_free(t_rig *t)
{
    fpy_stubdev_free(t->stub);
    t_clear(t);
    fpy_test_flash_free(t->tf);
    free(t);
}

/* The next event, which must be of `kind`. */
static t_event *t_pop(t_rig *t, char kind)
{
    assert_true(t->next < t->nev);
    t_event *e = &t->ev[t->next++];
    assert_int_equal(e->kind, kind);
    return e;
}

static void t_none_left(t_rig *t)
{
    assert_int_equal(t->next, t->nev);
}

static void t_req(t_rig *t, uint8_t op, const uint8_t *data, size_t size, uint32_t checksum)
{
    uint8_t *pkt = malloc(FPY_ROM_HDR + size);
    assert_non_null(pkt);
    size_t n = fpy_rom_req_build(pkt, FPY_ROM_HDR + size, op, data, (uint16_t)size, checksum);
    assert_int_equal(n, FPY_ROM_HDR + size);
    fpy_stubdev_frame(t->stub, pkt, n);
    free(pkt);
}

static void t_req_words(t_rig *t, uint8_t op, const uint32_t *w, size_t nw)
{
    uint8_t data[32];
    for (size_t i = 0; i < nw; i++)
        fpy_put_le32(data + 4 * i, w[i]);
    t_req(t, op, data, 4 * nw, 0);
}

/* A *_DATA command: body (len, seq, 0, 0, bytes) and its checksum. */
static void t_data(t_rig *t, uint8_t op, uint32_t seq, const uint8_t *bytes, uint32_t len)
{
    uint8_t *body = malloc(FPY_ROM_DATA_HDR + len);
    uint32_t chk;
    assert_non_null(body);
    size_t n = fpy_rom_data_build(body, FPY_ROM_DATA_HDR + len, seq, bytes, len, &chk);
    assert_int_equal(n, FPY_ROM_DATA_HDR + len);
    t_req(t, op, body, n, chk);
    free(body);
}

/* The next packet must be a reply to op with a payload of plen bytes and
 * the status bytes (status, 0); returns it. */
static t_event *t_reply(t_rig *t, uint8_t op, size_t plen, uint8_t status, fpy_rom_resp *out)
{
    t_event *e = t_pop(t, 'P');
    fpy_rom_resp r;
    assert_int_equal(fpy_rom_resp_parse(e->data, e->len, &r), FPY_OK);
    assert_int_equal(r.op, op);
    assert_int_equal(r.size, plen + FPY_ROM_STATUS_STUB);
    assert_int_equal(r.data[plen], status);
    assert_int_equal(r.data[plen + 1], 0);
    if (out != NULL)
        *out = r;
    return e;
}

static void t_ok(t_rig *t, uint8_t op)
{
    fpy_rom_resp r;
    t_reply(t, op, 0, 0, &r);
    assert_int_equal(r.value, 0);
}

static uint8_t *t_pattern(uint32_t n, uint32_t seed)
{
    uint8_t *p = malloc(n);
    assert_non_null(p);
    uint32_t x = seed * 2654435761u + 1u;
    for (uint32_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
    return p;
}

/* FLASH_BEGIN/DATA×n/END of data at off, as esptool sends them: 0x4000
 * blocks, the last padded with 0xFF, the 20-byte BEGIN of 5.3.1. */
static void t_write_plain(t_rig *t, uint32_t off, const uint8_t *data, uint32_t n, int begin20)
{
    uint32_t nblk = (n + 0x3FFFu) / 0x4000u;
    uint32_t w[5] = {n, nblk, 0x4000u, off, 0};
    t_req_words(t, FPY_ROM_FLASH_BEGIN, w, begin20 ? 5 : 4);
    t_ok(t, FPY_ROM_FLASH_BEGIN);
    uint8_t *blk = malloc(0x4000);
    assert_non_null(blk);
    for (uint32_t i = 0; i < nblk; i++) {
        uint32_t k = n - i * 0x4000u < 0x4000u ? n - i * 0x4000u : 0x4000u;
        memset(blk, 0xFF, 0x4000);
        memcpy(blk, data + i * 0x4000u, k);
        t_data(t, FPY_ROM_FLASH_DATA, i, blk, 0x4000);
        t_ok(t, FPY_ROM_FLASH_DATA);
    }
    free(blk);
    uint32_t stay = 1;
    t_req_words(t, FPY_ROM_FLASH_END, &stay, 1);
    t_ok(t, FPY_ROM_FLASH_END);
}

/* The stub's MD5 of [off, off+n) as the reply's raw 16 bytes. */
static void t_md5(t_rig *t, uint32_t off, uint32_t n, uint8_t out[16])
{
    uint32_t w[4] = {off, n, 0, 0};
    fpy_rom_resp r;
    t_req_words(t, FPY_ROM_SPI_FLASH_MD5, w, 4);
    t_reply(t, FPY_ROM_SPI_FLASH_MD5, 16, 0, &r);
    memcpy(out, r.data, 16);
}

/* ---- start ------------------------------------------------------------- */

static void test_ohai_first(void **state)
{
    (void)state;
    static const char *which[] = {"5.3.1", "5.3.1/1", "4.8.1", "4.8.1/2"};
    static const uint32_t busy[] = {10000, 0, 0, 10000};
    for (size_t i = 0; i < 4; i++) {
        t_rig *t = t_new(which[i]);
        t_event *e = t_pop(t, 'P');
        assert_int_equal(e->len, 4);
        assert_memory_equal(e->data, "OHAI", 4);
        assert_int_equal(e->busy_us, busy[i]);
        t_none_left(t);
        t_free(t);
    }
    fpy_test_flash *tf = fpy_test_flash_new(NULL);
    fpy_devout out = {NULL, t_send, NULL, NULL};
    assert_null(fpy_stubdev_start(&tf->flash, &out, "4.8.2", NULL));
    assert_null(fpy_stubdev_start(&tf->flash, &out, NULL, NULL));
    fpy_test_flash_free(tf);
}

static void test_sync_eight_zero_values(void **state)
{
    (void)state;
    t_rig *t = t_new("5.3.1");
    t_clear(t);
    uint8_t sync[36] = {0x07, 0x07, 0x12, 0x20};
    memset(sync + 4, 0x55, 32);
    t_req(t, FPY_ROM_SYNC, sync, sizeof sync, 0);
    for (int i = 0; i < 8; i++) {
        t_event *e = t_pop(t, 'P');
        static const uint8_t want[] = {0x01, 0x08, 0x02, 0x00, 0, 0, 0, 0, 0, 0};
        assert_int_equal(e->len, sizeof want);
        assert_memory_equal(e->data, want, sizeof want);
    }
    t_none_left(t);
    t_req(t, FPY_ROM_SYNC, sync, 35, 0);
    t_reply(t, FPY_ROM_SYNC, 0, FPY_STUB_E_BAD_DATA_LEN, NULL);
    t_free(t);
}

/* ---- writing ----------------------------------------------------------- */

static void test_write_then_md5(void **state)
{
    (void)state;
    t_rig *t = t_new("5.3.1");
    t_clear(t);
    const uint32_t off = 0x10001, n = 40000;
    uint8_t *mem = t->tf->mem;
    memset(mem + 0x10000, 0x00, 0x10000); /* old, unerased content */
    uint8_t *data = t_pattern(n, 1);
    t_write_plain(t, off, data, n, 1);
    assert_memory_equal(mem + off, data, n);
    /* the sectors under the write were erased, the bytes around it too */
    assert_int_equal(mem[0x10000], 0xFF);
    for (uint32_t a = off + n; a < 0x1A000; a++)
        assert_int_equal(mem[a], 0xFF);
    assert_int_equal(mem[0x1A000], 0x00); /* the next sector untouched */
    uint8_t got[16], want[16];
    t_md5(t, off, n, got);
    assert_int_equal(fpy_md5_buf(data, n, want), FPY_OK);
    assert_memory_equal(got, want, 16);
    /* an MD5 of one byte more differs: the reply is about the range asked */
    t_md5(t, off, n + 1, got);
    assert_memory_not_equal(got, want, 16);
    t_none_left(t);
    free(data);
    t_free(t);
}

/* The deflated stream, its blocks and the 4.8.1 ending (no END: a dummy
 * READ_REG, then MD5): flash as after the plain write. */
static void t_write_defl(t_rig *t, uint32_t off, const uint8_t *data, uint32_t n, int end)
{
    uLongf clen = compressBound(n);
    uint8_t *z = malloc(clen);
    assert_non_null(z);
    assert_int_equal(compress2(z, &clen, data, n, 9), Z_OK);
    uint32_t nblk = (uint32_t)((clen + 0x3FFFu) / 0x4000u);
    uint32_t w[4] = {n, nblk, 0x4000u, off};
    t_req_words(t, FPY_ROM_FLASH_DEFL_BEGIN, w, 4);
    t_ok(t, FPY_ROM_FLASH_DEFL_BEGIN);
    for (uint32_t i = 0; i < nblk; i++) {
        uint32_t k = (uint32_t)clen - i * 0x4000u < 0x4000u ? (uint32_t)clen - i * 0x4000u
                                                              : 0x4000u;
        t_data(t, FPY_ROM_FLASH_DEFL_DATA, i, z + i * 0x4000u, k);
        t_ok(t, FPY_ROM_FLASH_DEFL_DATA);
    }
    free(z);
    if (end) {
        uint32_t stay = 1;
        t_req_words(t, FPY_ROM_FLASH_DEFL_END, &stay, 1);
        t_ok(t, FPY_ROM_FLASH_DEFL_END);
    } else {
        uint32_t magic = 0x40001000u;
        t_req_words(t, FPY_ROM_READ_REG, &magic, 1);
        t_reply(t, FPY_ROM_READ_REG, 0, 0, NULL);
    }
}

static void test_compressed_equals_plain(void **state)
{
    (void)state;
    const uint32_t n = 100000;
    /* compressible but not trivial: runs of a pattern */
    uint8_t *data = t_pattern(n, 7);
    for (uint32_t i = 0; i < n; i++)
        if ((i / 64) % 3 != 0)
            data[i] = (uint8_t)(i / 64);
    static const char *which[] = {"5.3.1", "4.8.1"};
    for (int v = 0; v < 2; v++) {
        t_rig *a = t_new(which[v]), *b = t_new(which[v]);
        t_clear(a);
        t_clear(b);
        t_write_plain(a, 0x20000, data, n, v == 0);
        t_write_defl(b, 0x20000, data, n, v == 0);
        assert_memory_equal(a->tf->mem, b->tf->mem, T_FLASH);
        uint8_t got[16], want[16];
        t_md5(b, 0x20000, n, got);
        assert_int_equal(fpy_md5_buf(data, n, want), FPY_OK);
        assert_memory_equal(got, want, 16);
        t_none_left(b);
        t_free(a);
        t_free(b);
    }
    free(data);
}

/* The stub acks a block on receipt and writes it afterwards: a block's
 * write time delays the next reply, and END proves the last write. */
/* A stream that inflates to far more than one output buffer from one
 * small block: all of it reaches flash, also the output zlib still holds
 * when the block's input is used up. */
static void test_deflate_long_runs(void **state)
{
    (void)state;
    const uint32_t n = 300000;
    uint8_t *data = calloc(1, n);
    assert_non_null(data);
    memset(data + 150000, 0x3C, 77777);
    t_rig *t = t_new("5.3.1");
    t_clear(t);
    t_write_defl(t, 0x40000, data, n, 1);
    assert_memory_equal(t->tf->mem + 0x40000, data, n);
    t_none_left(t);
    t_free(t);
    free(data);
}

static void test_write_time_delays_next_reply(void **state)
{
    (void)state;
    t_rig *t = t_new("5.3.1");
    t_clear(t);
    uint8_t *blk = t_pattern(0x4000, 3);
    uint32_t w[5] = {0x8000, 2, 0x4000, 0x40000, 0};
    t_req_words(t, FPY_ROM_FLASH_BEGIN, w, 5);
    assert_int_equal(t_reply(t, FPY_ROM_FLASH_BEGIN, 0, 0, NULL)->busy_us, 0);
    t_data(t, FPY_ROM_FLASH_DATA, 0, blk, 0x4000);
    assert_int_equal(t_reply(t, FPY_ROM_FLASH_DATA, 0, 0, NULL)->busy_us, 0);
    t_data(t, FPY_ROM_FLASH_DATA, 1, blk, 0x4000);
    /* 4 sector erases (45 ms) and 64 pages (0.7 ms) of block 0 */
    uint32_t busy = t_reply(t, FPY_ROM_FLASH_DATA, 0, 0, NULL)->busy_us;
    assert_in_range(busy, 4 * 45000 + 64 * 700, 4 * 45000 + 64 * 700 + 10);
    uint32_t stay = 1;
    t_req_words(t, FPY_ROM_FLASH_END, &stay, 1);
    busy = t_reply(t, FPY_ROM_FLASH_END, 0, 0, NULL)->busy_us;
    assert_in_range(busy, 4 * 45000 + 64 * 700, 4 * 45000 + 64 * 700 + 10);
    free(blk);
    t_free(t);
}

static void test_data_errors(void **state)
{
    (void)state;
    static const char *which[] = {"5.3.1", "4.8.1"};
    static const uint8_t e_len[] = {FPY_STUB_E_TOO_MUCH_DATA, FPY_STUB_E_BAD_DATA_LEN};
    static const uint8_t e_early[] = {FPY_STUB_E_BAD_DATA_LEN, FPY_STUB_E_NOT_ENOUGH_DATA};
    uint8_t blk[64];
    memset(blk, 0x5A, sizeof blk);
    for (int v = 0; v < 2; v++) {
        t_rig *t = t_new(which[v]);
        t_clear(t);
        /* not begun */
        t_data(t, FPY_ROM_FLASH_DATA, 0, blk, sizeof blk);
        t_reply(t, FPY_ROM_FLASH_DATA, 0, FPY_STUB_E_NOT_IN_FLASH_MODE, NULL);
        uint32_t stay = 1;
        t_req_words(t, FPY_ROM_FLASH_END, &stay, 1);
        t_reply(t, FPY_ROM_FLASH_END, 0, FPY_STUB_E_NOT_IN_FLASH_MODE, NULL);
        uint32_t w[4] = {128, 1, 0x4000, 0x1000};
        t_req_words(t, FPY_ROM_FLASH_BEGIN, w, 4);
        t_ok(t, FPY_ROM_FLASH_BEGIN);
        /* a wrong checksum */
        uint8_t body[16 + 64];
        uint32_t chk;
        fpy_rom_data_build(body, sizeof body, 0, blk, sizeof blk, &chk);
        t_req(t, FPY_ROM_FLASH_DATA, body, sizeof body, chk ^ 1u);
        t_reply(t, FPY_ROM_FLASH_DATA, 0, FPY_STUB_E_BAD_DATA_CHECKSUM, NULL);
        /* a len word that disagrees with the payload */
        fpy_put_le32(body, 63);
        t_req(t, FPY_ROM_FLASH_DATA, body, sizeof body, chk);
        t_reply(t, FPY_ROM_FLASH_DATA, 0, e_len[v], NULL);
        /* nothing was written; END with the bytes missing */
        assert_int_equal(t->tf->mem[0x1000], 0xFF);
        t_req_words(t, FPY_ROM_FLASH_END, &stay, 1);
        t_reply(t, FPY_ROM_FLASH_END, 0, e_early[v], NULL);
        /* the write is still open: two blocks finish it, END passes */
        t_data(t, FPY_ROM_FLASH_DATA, 0, blk, sizeof blk);
        t_ok(t, FPY_ROM_FLASH_DATA);
        t_data(t, FPY_ROM_FLASH_DATA, 1, blk, sizeof blk);
        t_ok(t, FPY_ROM_FLASH_DATA);
        t_req_words(t, FPY_ROM_FLASH_END, &stay, 1);
        t_ok(t, FPY_ROM_FLASH_END);
        assert_int_equal(t->tf->mem[0x1000 + 127], 0x5A);
        assert_int_equal(t->tf->mem[0x1000 + 128], 0xFF);
        t_none_left(t);
        t_free(t);
    }
}

static void test_begin_checks(void **state)
{
    (void)state;
    t_rig *t = t_new("4.8.1");
    t_clear(t);
    uint32_t w[5] = {16, 1, 0x4000, 0, 0};
    t_req_words(t, FPY_ROM_FLASH_BEGIN, w, 5); /* 1.3.0 takes 16 bytes only */
    t_reply(t, FPY_ROM_FLASH_BEGIN, 0, FPY_STUB_E_BAD_DATA_LEN, NULL);
    w[2] = 0x8000;
    t_req_words(t, FPY_ROM_FLASH_BEGIN, w, 4);
    t_reply(t, FPY_ROM_FLASH_BEGIN, 0, FPY_STUB_E_BAD_BLOCKSIZE, NULL);
    t_free(t);

    /* the legacy 1.11.1 takes 20 bytes, and still checks the block size */
    t = t_new("5.3.1/1");
    t_clear(t);
    t_req_words(t, FPY_ROM_FLASH_BEGIN, w, 5);
    t_reply(t, FPY_ROM_FLASH_BEGIN, 0, FPY_STUB_E_BAD_BLOCKSIZE, NULL);
    w[2] = 0x4000;
    t_req_words(t, FPY_ROM_FLASH_BEGIN, w, 5);
    t_ok(t, FPY_ROM_FLASH_BEGIN);
    t_free(t);

    t = t_new("5.3.1");
    t_clear(t);
    uint32_t enc[5] = {16, 1, 0x4000, 0, 1};
    t_req_words(t, FPY_ROM_FLASH_BEGIN, enc, 5); /* no flash encryption here */
    t_reply(t, FPY_ROM_FLASH_BEGIN, 0, FPY_STUB_E_NOT_IMPLEMENTED, NULL);
    uint32_t past[5] = {0x2000, 1, 0x4000, T_FLASH - 0x1000, 0};
    t_req_words(t, FPY_ROM_FLASH_BEGIN, past, 5);
    t_reply(t, FPY_ROM_FLASH_BEGIN, 0, FPY_STUB_E_FAILED_SPI_OP, NULL);
    /* esptool's "leave" sequence: an empty write, then END */
    uint32_t none[5] = {0, 0, 0x4000, 0, 0};
    t_req_words(t, FPY_ROM_FLASH_BEGIN, none, 5);
    t_ok(t, FPY_ROM_FLASH_BEGIN);
    uint32_t reboot = 0;
    t_req_words(t, FPY_ROM_FLASH_END, &reboot, 1);
    t_ok(t, FPY_ROM_FLASH_END);
    t_none_left(t); /* the new stub stays */
    assert_int_equal(t->tf->sim.stats.erases + t->tf->sim.stats.programs, 0);
    t_free(t);
}

/* A block that fails to write is acked; the failure answers later. */
static void test_late_write_error(void **state)
{
    (void)state;
    uint8_t blk[256];
    memset(blk, 0x11, sizeof blk);
    uint32_t w[4] = {512, 1, 0x4000, 0x3000};
    uint32_t reg = 0x3FF42000u;
    /* N: the next command, whatever it is, gets it and is skipped */
    t_rig *t = t_new("5.3.1");
    t_clear(t);
    t->regs[0] = 0x1234;
    assert_int_equal(fpy_flashsim_set_bad(&t->tf->sim, 3, 1), FPY_OK);
    t_req_words(t, FPY_ROM_FLASH_BEGIN, w, 4);
    t_ok(t, FPY_ROM_FLASH_BEGIN);
    t_data(t, FPY_ROM_FLASH_DATA, 0, blk, sizeof blk);
    t_ok(t, FPY_ROM_FLASH_DATA);
    t_req_words(t, FPY_ROM_READ_REG, &reg, 1);
    fpy_rom_resp r;
    t_reply(t, FPY_ROM_READ_REG, 0, FPY_STUB_E_FAILED_SPI_OP, &r);
    assert_int_equal(r.value, 0);
    t_req_words(t, FPY_ROM_READ_REG, &reg, 1);
    t_reply(t, FPY_ROM_READ_REG, 0, 0, &r);
    assert_int_equal(r.value, 0x1234);
    t_free(t);
    /* L: other commands run; the next DATA gets it */
    t = t_new("4.8.1");
    t_clear(t);
    t->regs[0] = 0x1234;
    assert_int_equal(fpy_flashsim_set_bad(&t->tf->sim, 3, 1), FPY_OK);
    t_req_words(t, FPY_ROM_FLASH_BEGIN, w, 4);
    t_ok(t, FPY_ROM_FLASH_BEGIN);
    t_data(t, FPY_ROM_FLASH_DATA, 0, blk, sizeof blk);
    t_ok(t, FPY_ROM_FLASH_DATA);
    t_req_words(t, FPY_ROM_READ_REG, &reg, 1);
    t_reply(t, FPY_ROM_READ_REG, 0, 0, &r);
    assert_int_equal(r.value, 0x1234);
    t_data(t, FPY_ROM_FLASH_DATA, 1, blk, sizeof blk);
    t_reply(t, FPY_ROM_FLASH_DATA, 0, FPY_STUB_E_FAILED_SPI_OP, NULL);
    t_data(t, FPY_ROM_FLASH_DATA, 1, blk, sizeof blk); /* the write is over */
    t_reply(t, FPY_ROM_FLASH_DATA, 0, FPY_STUB_E_NOT_IN_FLASH_MODE, NULL);
    t_free(t);
}

static void test_inflate_errors(void **state)
{
    (void)state;
    t_rig *t = t_new("5.3.1");
    t_clear(t);
    uint32_t w[4] = {1000, 1, 0x4000, 0};
    t_req_words(t, FPY_ROM_FLASH_DEFL_BEGIN, w, 4);
    t_ok(t, FPY_ROM_FLASH_DEFL_BEGIN);
    uint8_t junk[40];
    memset(junk, 0xA7, sizeof junk); /* not a zlib header */
    t_data(t, FPY_ROM_FLASH_DEFL_DATA, 0, junk, sizeof junk);
    t_ok(t, FPY_ROM_FLASH_DEFL_DATA);
    uint32_t stay = 1;
    t_req_words(t, FPY_ROM_FLASH_DEFL_END, &stay, 1);
    t_reply(t, FPY_ROM_FLASH_DEFL_END, 0, FPY_STUB_E_INFLATE, NULL);
    /* a stream that inflates to more than announced: too much data */
    uint8_t plain[3000], z[200];
    memset(plain, 0x42, sizeof plain);
    uLongf zl = sizeof z;
    assert_int_equal(compress2(z, &zl, plain, sizeof plain, 9), Z_OK);
    t_req_words(t, FPY_ROM_FLASH_DEFL_BEGIN, w, 4);
    t_ok(t, FPY_ROM_FLASH_DEFL_BEGIN);
    t_data(t, FPY_ROM_FLASH_DEFL_DATA, 0, z, (uint32_t)zl);
    t_ok(t, FPY_ROM_FLASH_DEFL_DATA);
    t_req_words(t, FPY_ROM_FLASH_DEFL_END, &stay, 1);
    t_reply(t, FPY_ROM_FLASH_DEFL_END, 0, FPY_STUB_E_TOO_MUCH_DATA, NULL);
    assert_int_equal(t->tf->mem[999], 0x42); /* what was announced is there */
    assert_int_equal(t->tf->mem[1000], 0xFF);
    /* bytes after the end of the zlib stream are ignored; a block after
     * everything was written is too much */
    uint8_t tail[256];
    memset(tail, 0xEE, sizeof tail);
    memcpy(tail, z, zl);
    uint32_t exact[4] = {3000, 1, 0x4000, 0x8000};
    t_req_words(t, FPY_ROM_FLASH_DEFL_BEGIN, exact, 4);
    t_ok(t, FPY_ROM_FLASH_DEFL_BEGIN);
    t_data(t, FPY_ROM_FLASH_DEFL_DATA, 0, tail, (uint32_t)zl + 9);
    t_ok(t, FPY_ROM_FLASH_DEFL_DATA);
    t_data(t, FPY_ROM_FLASH_DEFL_DATA, 1, tail, 9);
    t_reply(t, FPY_ROM_FLASH_DEFL_DATA, 0, FPY_STUB_E_TOO_MUCH_DATA, NULL);
    t_req_words(t, FPY_ROM_FLASH_DEFL_END, &stay, 1);
    t_ok(t, FPY_ROM_FLASH_DEFL_END);
    assert_memory_equal(t->tf->mem + 0x8000, plain, sizeof plain);
    assert_int_equal(t->tf->mem[0x8000 + 3000], 0xFF);
    /* more compressed bytes than nblocks * block: refused at once */
    uint32_t small[4] = {1000, 1, 4, 0};
    t_req_words(t, FPY_ROM_FLASH_DEFL_BEGIN, small, 4);
    t_ok(t, FPY_ROM_FLASH_DEFL_BEGIN);
    t_data(t, FPY_ROM_FLASH_DEFL_DATA, 0, z, (uint32_t)zl);
    t_reply(t, FPY_ROM_FLASH_DEFL_DATA, 0, FPY_STUB_E_TOO_MUCH_DATA, NULL);
    t_none_left(t);
    t_free(t);
}

/* ---- reading and erasing ----------------------------------------------- */

static void test_read_flash_flow(void **state)
{
    (void)state;
    t_rig *t = t_new("5.3.1");
    t_clear(t);
    const uint32_t off = 0x10000, n = 0x2800;
    uint8_t *data = t_pattern(n, 9);
    memcpy(t->tf->mem + off, data, n);
    uint32_t w[4] = {off, n, 0x1000, 64};
    t_req_words(t, FPY_ROM_READ_FLASH, w, 4);
    t_ok(t, FPY_ROM_READ_FLASH);
    uint32_t got = 0;
    static const uint32_t sizes[] = {0x1000, 0x1000, 0x800};
    for (int i = 0; i < 3; i++) {
        t_event *e = t_pop(t, 'P');
        assert_int_equal(e->len, sizes[i]);
        assert_memory_equal(e->data, data + got, sizes[i]);
        assert_true(e->busy_us > 0); /* the read's time */
        t_none_left(t);              /* one packet in flight */
        got += sizes[i];
        uint8_t ack[4];
        fpy_put_le32(ack, got);
        fpy_stubdev_frame(t->stub, ack, 4);
    }
    t_event *e = t_pop(t, 'P');
    uint8_t want[16];
    assert_int_equal(fpy_md5_buf(data, n, want), FPY_OK);
    assert_int_equal(e->len, 16);
    assert_memory_equal(e->data, want, 16);
    t_none_left(t);
    /* back to commands */
    t_md5(t, off, n, want);
    /* a frame that is not an ack ends the stream with the digest so far,
     * then is taken as a command: a SYNC of a host starting over */
    t_req_words(t, FPY_ROM_READ_FLASH, w, 4);
    t_ok(t, FPY_ROM_READ_FLASH);
    t_pop(t, 'P');
    uint8_t sync[36] = {0x07, 0x07, 0x12, 0x20};
    memset(sync + 4, 0x55, 32);
    t_req(t, FPY_ROM_SYNC, sync, sizeof sync, 0);
    e = t_pop(t, 'P');
    assert_int_equal(fpy_md5_buf(data, 0x1000, want), FPY_OK);
    assert_int_equal(e->len, 16);
    assert_memory_equal(e->data, want, 16);
    for (int i = 0; i < 8; i++)
        t_ok(t, FPY_ROM_SYNC);
    /* bad packet sizes and ranges are refused before any data */
    uint32_t bad[4] = {off, n, 0, 64};
    t_req_words(t, FPY_ROM_READ_FLASH, bad, 4);
    t_reply(t, FPY_ROM_READ_FLASH, 0, FPY_STUB_E_BAD_DATA_LEN, NULL);
    uint32_t past[4] = {T_FLASH - 16, 32, 0x1000, 64};
    t_req_words(t, FPY_ROM_READ_FLASH, past, 4);
    t_reply(t, FPY_ROM_READ_FLASH, 0, FPY_STUB_E_FAILED_SPI_OP, NULL);
    t_none_left(t);
    free(data);
    t_free(t);
}

static void test_erase_region_and_flash(void **state)
{
    (void)state;
    t_rig *t = t_new("5.3.1");
    t_clear(t);
    memset(t->tf->mem, 0x00, T_FLASH);
    uint32_t odd[2] = {0x2100, 0x1000};
    t_req_words(t, FPY_ROM_ERASE_REGION, odd, 2);
    t_reply(t, FPY_ROM_ERASE_REGION, 0, FPY_STUB_E_BAD_DATA_LEN, NULL);
    uint32_t w[2] = {0x2000, 0x2000};
    t_req_words(t, FPY_ROM_ERASE_REGION, w, 2);
    uint32_t busy = t_reply(t, FPY_ROM_ERASE_REGION, 0, 0, NULL)->busy_us;
    assert_int_equal(busy, 2 * 45000);
    assert_int_equal(t->tf->mem[0x1FFF], 0x00);
    assert_true(fpy_is_erased(t->tf->mem + 0x2000, 0x2000));
    assert_int_equal(t->tf->mem[0x4000], 0x00);
    t_req(t, FPY_ROM_ERASE_FLASH, NULL, 0, 0);
    busy = t_reply(t, FPY_ROM_ERASE_FLASH, 0, 0, NULL)->busy_us;
    assert_int_equal(busy, (T_FLASH / 4096) * 45000);
    assert_true(fpy_is_erased(t->tf->mem, T_FLASH));
    t_free(t);
    /* the legacy stub's raw codes for unaligned regions */
    t = t_new("4.8.1");
    t_clear(t);
    t_req_words(t, FPY_ROM_ERASE_REGION, odd, 2);
    t_reply(t, FPY_ROM_ERASE_REGION, 0, 0x32, NULL);
    uint32_t odd_size[2] = {0x2000, 0x100};
    t_req_words(t, FPY_ROM_ERASE_REGION, odd_size, 2);
    t_reply(t, FPY_ROM_ERASE_REGION, 0, 0x33, NULL);
    t_free(t);
}

/* ---- registers, baud, leaving ------------------------------------------ */

static void test_registers(void **state)
{
    (void)state;
    t_rig *t = t_new("5.3.1");
    t_clear(t);
    t->regs[1] = 0xAABBCCDDu;
    /* masked write: keeps the bits outside the mask; delay first */
    uint32_t w[8] = {0x3FF42004u, 0x11223344u, 0x0000FFFFu, 250,
                     0x3FF42008u, 0xCAFEF00Du, 0xFFFFFFFFu, 0};
    t_req_words(t, FPY_ROM_WRITE_REG, w, 8);
    assert_int_equal(t_reply(t, FPY_ROM_WRITE_REG, 0, 0, NULL)->busy_us, 250);
    assert_int_equal(t->regs[1], 0xAABB3344u);
    assert_int_equal(t->regs[2], 0xCAFEF00Du);
    uint32_t a = 0x3FF42008u;
    fpy_rom_resp r;
    t_req_words(t, FPY_ROM_READ_REG, &a, 1);
    t_reply(t, FPY_ROM_READ_REG, 0, 0, &r);
    assert_int_equal(r.value, 0xCAFEF00Du);
    t_req_words(t, FPY_ROM_WRITE_REG, w, 3); /* not a multiple of 16 bytes */
    t_reply(t, FPY_ROM_WRITE_REG, 0, FPY_STUB_E_NOT_ENOUGH_DATA, NULL);
    t_req_words(t, FPY_ROM_READ_REG, w, 2);
    t_reply(t, FPY_ROM_READ_REG, 0, FPY_STUB_E_BAD_DATA_LEN, NULL);
    /* SPI_ATTACH is 4 bytes in stub mode; SPI_SET_PARAMS 24 */
    uint32_t att[2] = {0, 0};
    t_req_words(t, FPY_ROM_SPI_ATTACH, att, 1);
    t_ok(t, FPY_ROM_SPI_ATTACH);
    t_req_words(t, FPY_ROM_SPI_ATTACH, att, 2);
    t_reply(t, FPY_ROM_SPI_ATTACH, 0, FPY_STUB_E_BAD_DATA_LEN, NULL);
    uint32_t p[6] = {0, 0x800000, 0x10000, 0x1000, 0x100, 0xFFFF};
    t_req_words(t, FPY_ROM_SPI_SET_PARAMS, p, 6);
    t_ok(t, FPY_ROM_SPI_SET_PARAMS);
    t_none_left(t);
    t_free(t);
}

static void test_change_baud_after_reply(void **state)
{
    (void)state;
    t_rig *t = t_new("5.3.1");
    t_clear(t);
    uint32_t w[2] = {921600, 115200};
    t_req_words(t, FPY_ROM_CHANGE_BAUDRATE, w, 2);
    t_ok(t, FPY_ROM_CHANGE_BAUDRATE);
    assert_int_equal(t_pop(t, 'B')->baud, 921600);
    w[0] = 0;
    t_req_words(t, FPY_ROM_CHANGE_BAUDRATE, w, 2);
    t_reply(t, FPY_ROM_CHANGE_BAUDRATE, 0, FPY_STUB_E_BAD_DATA_LEN, NULL);
    t_req_words(t, FPY_ROM_CHANGE_BAUDRATE, w, 1);
    t_reply(t, FPY_ROM_CHANGE_BAUDRATE, 0, FPY_STUB_E_BAD_DATA_LEN, NULL);
    t_none_left(t);
    t_free(t);
}

static void test_leaving(void **state)
{
    (void)state;
    /* RUN_USER_CODE: no reply, the board reboots */
    t_rig *t = t_new("5.3.1");
    t_clear(t);
    t_req(t, FPY_ROM_RUN_USER_CODE, NULL, 0, 0);
    t_pop(t, 'R');
    t_none_left(t);
    t_free(t);
    /* FLASH_END(0) under the legacy stub: reply, then reboot */
    t = t_new("4.8.1");
    t_clear(t);
    uint32_t w[4] = {0, 0, 0x4000, 0}, reboot = 0;
    t_req_words(t, FPY_ROM_FLASH_BEGIN, w, 4);
    t_ok(t, FPY_ROM_FLASH_BEGIN);
    t_req_words(t, FPY_ROM_FLASH_END, &reboot, 1);
    t_ok(t, FPY_ROM_FLASH_END);
    t_pop(t, 'R');
    t_none_left(t);
    t_free(t);
}

/* ---- what the stub refuses --------------------------------------------- */

static void test_unknown_commands(void **state)
{
    (void)state;
    static const char *which[] = {"5.3.1", "4.8.1"};
    static const uint8_t unknown[] = {FPY_STUB_E_INVALID_COMMAND, FPY_STUB_E_NOT_IMPLEMENTED};
    for (int v = 0; v < 2; v++) {
        t_rig *t = t_new(which[v]);
        t_clear(t);
        t_req(t, 0x42, NULL, 0, 0);
        t_reply(t, 0x42, 0, unknown[v], NULL);
        t_req(t, FPY_ROM_READ_FLASH_SLOW, NULL, 0, 0);
        t_reply(t, FPY_ROM_READ_FLASH_SLOW, 0, unknown[v], NULL);
        t_req(t, FPY_ROM_GET_SECURITY_INFO, NULL, 0, 0);
        t_reply(t, FPY_ROM_GET_SECURITY_INFO, 0, FPY_STUB_E_NOT_IMPLEMENTED, NULL);
        t_req(t, 0xD5, NULL, 0, 0);
        t_reply(t, 0xD5, 0, FPY_STUB_E_NOT_IMPLEMENTED, NULL);
        t_none_left(t);
        t_free(t);
    }
}

static void test_malformed_frames(void **state)
{
    (void)state;
    t_rig *t = t_new("5.3.1");
    t_clear(t);
    static const uint8_t shorty[] = {0x00, 0x13, 0x10};
    fpy_stubdev_frame(t->stub, shorty, sizeof shorty);
    t_reply(t, 0x13, 0, FPY_STUB_E_BAD_DATA_LEN, NULL);
    fpy_stubdev_frame(t->stub, NULL, 0);
    t_reply(t, 0x00, 0, FPY_STUB_E_BAD_DATA_LEN, NULL);
    static const uint8_t dir[] = {0x01, 0x0A, 0x04, 0x00, 0, 0, 0, 0, 1, 2, 3, 4};
    fpy_stubdev_frame(t->stub, dir, sizeof dir);
    t_reply(t, 0x0A, 0, FPY_STUB_E_INVALID_COMMAND, NULL);
    static const uint8_t size[] = {0x00, 0x0A, 0x08, 0x00, 0, 0, 0, 0, 1, 2, 3, 4};
    fpy_stubdev_frame(t->stub, size, sizeof size);
    t_reply(t, 0x0A, 0, FPY_STUB_E_BAD_DATA_LEN, NULL);
    /* bigger than the new stub's buffer: dropped without a reply */
    uint8_t *big = calloc(1, 0x4200);
    assert_non_null(big);
    fpy_stubdev_frame(t->stub, big, 0x4200);
    t_none_left(t);
    t_free(t);
    /* the legacy stub answers C0 EE */
    t = t_new("4.8.1");
    t_clear(t);
    fpy_stubdev_frame(t->stub, big, 0x4200);
    t_event *e = t_pop(t, 'P');
    assert_int_equal(e->len, 10);
    assert_int_equal(e->data[8], 0xC0);
    assert_int_equal(e->data[9], 0xEE);
    free(big);
    t_free(t);
}

/* ---- recognition --------------------------------------------------------- */

static void test_other_programs_not_recognised(void **state)
{
    (void)state;
    uint8_t *text = t_pattern(6140, 11), *data = t_pattern(212, 12);
    fpy_ram_seg segs[2] = {{0x400A8000u, text, 6140}, {0x3FFDED68u, data, 212}};
    /* the 5.3.1 stub's addresses, lengths and entry, other bytes */
    assert_null(fpy_stubdev_recognise(segs, 2, 0x400A9074u));
    assert_null(fpy_stubdev_recognise(segs, 1, 0x400A9074u));
    assert_null(fpy_stubdev_recognise(NULL, 0, 0x400A9074u));
    segs[0].data = NULL;
    assert_null(fpy_stubdev_recognise(segs, 2, 0x400A9074u));
    free(text);
    free(data);
}

/* esptool's own stub JSON files, when this machine has them. */
static char *t_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = malloc(1 << 20);
    size_t n = buf != NULL ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (buf != NULL)
        buf[n] = '\0';
    return buf;
}

static int t_b64(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* The base64 string value of "key" decoded into a malloc'd buffer. */
static uint8_t *t_json_b64(const char *json, const char *key, uint32_t *len)
{
    char pat[32];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    const char *p = strstr(json, pat);
    assert_non_null(p);
    p = strchr(p + strlen(pat), '"');
    assert_non_null(p);
    p++;
    uint8_t *out = malloc(strlen(p));
    uint32_t n = 0, acc = 0;
    int bits = 0;
    for (; *p != '"' && *p != '\0'; p++) {
        int v = t_b64(*p);
        if (v < 0)
            continue;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    *len = n;
    return out;
}

static uint32_t t_json_num(const char *json, const char *key)
{
    char pat[32];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    const char *p = strstr(json, pat);
    assert_non_null(p);
    p = strchr(p, ':');
    assert_non_null(p);
    return (uint32_t)strtoul(p + 1, NULL, 10);
}

static void test_recognise_esptool_stubs(void **state)
{
    (void)state;
    static const struct {
        const char *file, *name;
    } stubs[] = {
        {"esptool-v5.3.1/esptool/targets/stub_flasher/2/esp32.json", "5.3.1"},
        {"esptool-v5.3.1/esptool/targets/stub_flasher/1/esp32.json", "5.3.1/1"},
        {"esptool-v4.8.1/esptool/targets/stub_flasher/1/esp32.json", "4.8.1"},
        {"esptool-v4.8.1/esptool/targets/stub_flasher/2/esp32.json", "4.8.1/2"},
    };
    /* where ../shared/tools/peers.sh puts esptool: FPY_ESPTOOL_PEERS, or
     * its own default, $HOME/.cache/fipy-peers */
    const char *dir = getenv("FPY_ESPTOOL_PEERS"), *home = getenv("HOME");
    char peers[256];
    if (dir == NULL && home != NULL) {
        snprintf(peers, sizeof peers, "%s/.cache/fipy-peers", home);
        dir = peers;
    }
    int found = 0;
    for (size_t i = 0; i < 4 && dir != NULL; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, stubs[i].file);
        char *json = t_slurp(path);
        if (json == NULL)
            continue;
        found++;
        uint32_t tl, dl;
        uint8_t *text = t_json_b64(json, "text", &tl), *data = t_json_b64(json, "data", &dl);
        uint32_t entry = t_json_num(json, "entry");
        fpy_ram_seg segs[2] = {{t_json_num(json, "text_start"), text, tl},
                               {t_json_num(json, "data_start"), data, dl}};
        const char *got = fpy_stubdev_recognise(segs, 2, entry);
        assert_non_null(got);
        assert_string_equal(got, stubs[i].name);
        fpy_ram_seg swapped[2] = {segs[1], segs[0]};
        assert_string_equal(fpy_stubdev_recognise(swapped, 2, entry), stubs[i].name);
        assert_null(fpy_stubdev_recognise(segs, 2, entry + 4));
        text[tl / 2] ^= 1;
        assert_null(fpy_stubdev_recognise(segs, 2, entry));
        free(text);
        free(data);
        free(json);
    }
    if (found == 0)
        skip(); /* esptool's files are not on this machine */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ohai_first),
        cmocka_unit_test(test_sync_eight_zero_values),
        cmocka_unit_test(test_write_then_md5),
        cmocka_unit_test(test_compressed_equals_plain),
        cmocka_unit_test(test_deflate_long_runs),
        cmocka_unit_test(test_write_time_delays_next_reply),
        cmocka_unit_test(test_data_errors),
        cmocka_unit_test(test_begin_checks),
        cmocka_unit_test(test_late_write_error),
        cmocka_unit_test(test_inflate_errors),
        cmocka_unit_test(test_read_flash_flow),
        cmocka_unit_test(test_erase_region_and_flash),
        cmocka_unit_test(test_registers),
        cmocka_unit_test(test_change_baud_after_reply),
        cmocka_unit_test(test_leaving),
        cmocka_unit_test(test_unknown_commands),
        cmocka_unit_test(test_malformed_frames),
        cmocka_unit_test(test_other_programs_not_recognised),
        cmocka_unit_test(test_recognise_esptool_stubs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
