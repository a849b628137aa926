/* The link model (sim/link.h, docs/sim.md "The link model"): pacing at
 * 10 bits a byte, the bridge's latency, each fault kind, baud mismatch,
 * back-pressure and purge, against a fake board that records what it
 * gets and when. */
#include <stdlib.h>
#include <string.h>

#include "fipy/err.h"
#include "link.h"
#include "testutil.h"

#define FAKE_CAP 20000

typedef struct fake {
    uint8_t got[FAKE_CAP];
    uint64_t at[FAKE_CAP];
    uint32_t sender[FAKE_CAP];
    size_t ngot;
    uint8_t out[FAKE_CAP]; /* what the board sends, all of it at once */
    size_t nout, sent;
    uint32_t baud;
    uint32_t baud_after; /* non-zero: switch to it once `out` is all sent */
} fake;

static void f_rx(void *ctx, uint64_t now, const uint8_t *in, size_t n, uint32_t sb)
{
    fake *f = ctx;
    for (size_t i = 0; i < n && f->ngot < FAKE_CAP; i++, f->ngot++) {
        f->got[f->ngot] = in[i];
        f->at[f->ngot] = now;
        f->sender[f->ngot] = sb;
    }
}

static size_t f_tx(void *ctx, uint64_t now, uint8_t *out, size_t cap)
{
    fake *f = ctx;
    (void)now;
    size_t k = f->nout - f->sent < cap ? f->nout - f->sent : cap;
    memcpy(out, f->out + f->sent, k);
    f->sent += k;
    if (f->sent == f->nout && f->baud_after != 0 && k > 0) {
        f->baud = f->baud_after; /* after the reply has gone out */
        f->baud_after = 0;
    }
    return k;
}

static uint64_t f_next(void *ctx)
{
    fake *f = ctx;
    return f->sent < f->nout ? 0 : UINT64_MAX;
}

static uint32_t f_baud(void *ctx)
{
    return ((fake *)ctx)->baud;
}

static void f_lines(void *ctx, uint64_t now, int dtr, int rts)
{
    (void)ctx, (void)now, (void)dtr, (void)rts;
}

static fake *fake_new(fpy_link_board *ops)
{
    fake *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->baud = 115200;
    *ops = (fpy_link_board){.ctx = f, .rx = f_rx, .tx = f_tx, .next_event = f_next,
                            .baud = f_baud, .lines = f_lines};
    return f;
}

static fpy_link *link_new(uint32_t latency_us, int fast)
{
    fpy_link *l = malloc(sizeof *l);
    assert_non_null(l);
    fpy_link_cfg c = {.latency_us = latency_us, .fast = fast, .seed = 7};
    fpy_link_init(l, &c);
    return l;
}

static void pattern(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 7 + 3);
}

/* N bytes at B baud take N*10/B s on the wire (rounded up to a us). */
static void wire_time_is_ten_bits_a_byte(void **state)
{
    (void)state;
    assert_int_equal(fpy_link_wire_us(1, 115200), 87);        /* 86.8 us */
    assert_int_equal(fpy_link_wire_us(1000, 115200), 86806);  /* 86805.6 */
    assert_int_equal(fpy_link_wire_us(11520, 115200), 1000000);
    assert_int_equal(fpy_link_wire_us(92160, 921600), 1000000);
    assert_int_equal(fpy_link_wire_us(0, 9600), 0);
}

/* To the board: the last of 1000 bytes arrives latency + 1000*10/B after
 * they were written, not a microsecond before; each byte in its turn. */
static void to_board_paced_after_latency(void **state)
{
    (void)state;
    fpy_link_board ops;
    fake *f = fake_new(&ops);
    fpy_link *l = link_new(2000, 0);
    uint8_t data[1000];
    pattern(data, sizeof data);
    assert_int_equal(fpy_link_host_write(l, 100, data, 1000, 115200, 1), 1000);
    fpy_link_pump(l, 100 + 2000 + 86, &ops);
    assert_int_equal(f->ngot, 0); /* the first stop bit is at +86.8 us */
    fpy_link_pump(l, 100 + 2000 + 87, &ops);
    assert_int_equal(f->ngot, 1);
    fpy_link_pump(l, 100 + 2000 + 86806 - 1, &ops);
    assert_int_equal(f->ngot, 999);
    assert_int_equal(fpy_link_next_event(l, &ops), 100 + 2000 + 86806);
    fpy_link_pump(l, 100 + 2000 + 86806, &ops);
    assert_int_equal(f->ngot, 1000);
    assert_memory_equal(f->got, data, 1000);
    assert_int_equal(f->sender[0], 115200);
    assert_int_equal(l->dir[FPY_LINK_TO_BOARD].n.bytes, 1000);
    free(l), free(f);
}

/* Bytes written while the wire is busy follow the ones before them. */
static void to_board_bytes_queue_behind(void **state)
{
    (void)state;
    fpy_link_board ops;
    fake *f = fake_new(&ops);
    fpy_link *l = link_new(1000, 0);
    uint8_t a[10] = {0};
    fpy_link_host_write(l, 0, a, 10, 9600, 1);   /* wire busy until 1000+10417 */
    fpy_link_host_write(l, 2000, a, 10, 9600, 1); /* ready at 3000: waits */
    fpy_link_pump(l, 1000 + fpy_link_wire_us(20, 9600) - 1, &ops);
    assert_int_equal(f->ngot, 19);
    fpy_link_pump(l, 1000 + fpy_link_wire_us(20, 9600), &ops);
    assert_int_equal(f->ngot, 20);
    assert_int_equal(f->sender[19], 9600);
    free(l), free(f);
}

/* From the board: its output reaches the host after the wire time and
 * the bridge's latency; a host at another baud gets garbage. */
static void from_board_paced_and_latency(void **state)
{
    (void)state;
    fpy_link_board ops;
    fake *f = fake_new(&ops);
    fpy_link *l = link_new(3000, 0);
    pattern(f->out, 500);
    f->nout = 500;
    fpy_link_pump(l, 50, &ops);
    uint8_t buf[600];
    uint64_t end = 50 + fpy_link_wire_us(500, 115200) + 3000;
    assert_int_equal(fpy_link_host_due(l), 50 + 87 + 3000);
    assert_int_equal(fpy_link_host_read(l, end - 1, buf, sizeof buf, 115200, 1), 499);
    assert_int_equal(fpy_link_host_read(l, end, buf + 499, sizeof buf, 115200, 1), 1);
    assert_memory_equal(buf, f->out, 500);
    assert_int_equal(l->dir[FPY_LINK_FROM_BOARD].n.garbled, 0);
    free(l), free(f);
}

static void from_board_baud_mismatch_garbles(void **state)
{
    (void)state;
    fpy_link_board ops;
    fake *f = fake_new(&ops);
    fpy_link *l = link_new(0, 1);
    pattern(f->out, 200);
    f->nout = 200;
    fpy_link_pump(l, 0, &ops);
    uint8_t buf[200];
    assert_int_equal(fpy_link_host_read(l, 0, buf, 100, 921600, 1), 100);
    for (size_t i = 0; i < 100; i++)
        assert_int_not_equal(buf[i], f->out[i]);
    /* within a UART's tolerance (2 %) the bytes are good; 7E1 is not */
    assert_int_equal(fpy_link_host_read(l, 0, buf, 50, 117500, 1), 50);
    assert_memory_equal(buf, f->out + 100, 50);
    assert_int_equal(fpy_link_host_read(l, 0, buf, 50, 115200, 0), 50);
    for (size_t i = 0; i < 50; i++)
        assert_int_not_equal(buf[i], f->out[150 + i]);
    assert_int_equal(l->dir[FPY_LINK_FROM_BOARD].n.garbled, 150);
    free(l), free(f);
}

/* The board's reply to a baud change goes out at the old baud. */
static void from_board_reply_at_old_baud(void **state)
{
    (void)state;
    fpy_link_board ops;
    fake *f = fake_new(&ops);
    fpy_link *l = link_new(0, 1);
    memcpy(f->out, "\xc0reply\xc0", 7);
    f->nout = 7;
    f->baud_after = 921600;
    fpy_link_pump(l, 0, &ops);
    assert_int_equal(f->baud, 921600);
    uint8_t buf[8];
    assert_int_equal(fpy_link_host_read(l, 0, buf, sizeof buf, 115200, 1), 7);
    assert_memory_equal(buf, "\xc0reply\xc0", 7);
    free(l), free(f);
}

/* The sender's baud and frame reach the board, which decides. */
static void to_board_sender_baud_and_frame(void **state)
{
    (void)state;
    fpy_link_board ops;
    fake *f = fake_new(&ops);
    fpy_link *l = link_new(0, 1);
    fpy_link_host_write(l, 0, (const uint8_t *)"ab", 2, 9600, 1);
    fpy_link_host_write(l, 0, (const uint8_t *)"cd", 2, 115200, 0);
    fpy_link_host_write(l, 0, (const uint8_t *)"ef", 2, 921600, 1);
    fpy_link_pump(l, 0, &ops);
    assert_int_equal(f->ngot, 6);
    assert_int_equal(f->sender[1], 9600);
    assert_int_equal(f->sender[2], 0); /* 7 bits or parity: unreadable */
    assert_int_equal(f->sender[5], 921600);
    free(l), free(f);
}

/* --fast: no pacing, no latency. */
static void fast_moves_at_once(void **state)
{
    (void)state;
    fpy_link_board ops;
    fake *f = fake_new(&ops);
    fpy_link *l = link_new(2000, 1);
    uint8_t data[4000];
    pattern(data, sizeof data);
    fpy_link_host_write(l, 10, data, sizeof data, 9600, 1);
    fpy_link_pump(l, 10, &ops);
    assert_int_equal(f->ngot, 4000);
    assert_int_equal(f->at[3999], 10);
    free(l), free(f);
}

static void send_and_pump(fpy_link *l, const fpy_link_board *ops, size_t n)
{
    uint8_t data[64];
    pattern(data, sizeof data);
    assert_int_equal(fpy_link_host_write(l, 0, data, n, 115200, 1), n);
    fpy_link_pump(l, 10000000, ops);
}

static void drop_at_byte_k(void **state)
{
    (void)state;
    fpy_link_board ops;
    fake *f = fake_new(&ops);
    fpy_link *l = link_new(0, 0);
    uint8_t data[64];
    pattern(data, sizeof data);
    send_and_pump(l, &ops, 5); /* the count starts when the rule is set */
    fpy_link_rule r = {.kind = FPY_LINK_DROP, .dir = FPY_LINK_TO_BOARD, .at = 3};
    assert_int_equal(fpy_link_rule_add(l, &r), FPY_OK);
    f->ngot = 0;
    send_and_pump(l, &ops, 10);
    assert_int_equal(f->ngot, 9);
    assert_memory_equal(f->got, data, 3);
    assert_memory_equal(f->got + 3, data + 4, 6);
    assert_int_equal(l->dir[0].n.dropped, 1);
    assert_int_equal(l->nrules, 0); /* once */
    free(l), free(f);
}

static void corrupt_at_byte_k_flips_one_bit(void **state)
{
    (void)state;
    fpy_link_board ops;
    fake *f = fake_new(&ops);
    fpy_link *l = link_new(0, 0);
    pattern(f->out, 10);
    f->nout = 10;
    fpy_link_rule r = {.kind = FPY_LINK_CORRUPT, .dir = FPY_LINK_FROM_BOARD, .at = 0};
    assert_int_equal(fpy_link_rule_add(l, &r), FPY_OK);
    fpy_link_pump(l, 0, &ops);
    uint8_t buf[10];
    assert_int_equal(fpy_link_host_read(l, 10000000, buf, 10, 115200, 1), 10);
    uint8_t x = (uint8_t)(buf[0] ^ f->out[0]);
    assert_true(x != 0 && (x & (x - 1)) == 0);
    assert_memory_equal(buf + 1, f->out + 1, 9);
    assert_int_equal(l->dir[1].n.corrupted, 1);
    free(l), free(f);
}

/* A stall holds byte k and all after it for the duration. */
static void stall_at_byte_k(void **state)
{
    (void)state;
    fpy_link_board ops;
    fake *f = fake_new(&ops);
    fpy_link *l = link_new(0, 0);
    fpy_link_rule r = {.kind = FPY_LINK_STALL, .dir = FPY_LINK_TO_BOARD, .at = 2,
                       .stall_us = 50000};
    assert_int_equal(fpy_link_rule_add(l, &r), FPY_OK);
    uint8_t data[5] = {1, 2, 3, 4, 5};
    fpy_link_host_write(l, 0, data, 5, 115200, 1);
    /* bytes 0 and 1 end at 174 us; byte 2 waits 50 ms from there */
    fpy_link_pump(l, 174 + 50000 + 86, &ops);
    assert_int_equal(f->ngot, 2);
    fpy_link_pump(l, 174 + 50000 + 87, &ops);
    assert_int_equal(f->ngot, 3);
    fpy_link_pump(l, 174 + 50000 + fpy_link_wire_us(3, 115200), &ops);
    assert_int_equal(f->ngot, 5);
    assert_memory_equal(f->got, data, 5);
    assert_int_equal(l->dir[0].n.stalls, 1);
    free(l), free(f);
}

/* Rate rules: 1 in N, the same bytes for the same seed. */
static size_t dropped_with_seed(uint64_t seed, uint8_t *got)
{
    fpy_link_board ops;
    fake *f = fake_new(&ops);
    fpy_link *l = link_new(0, 1);
    fpy_link_seed(l, seed);
    fpy_link_rule r = {.kind = FPY_LINK_DROP, .dir = FPY_LINK_TO_BOARD, .rate = 10};
    assert_int_equal(fpy_link_rule_add(l, &r), FPY_OK);
    uint8_t data[2000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)i;
    fpy_link_host_write(l, 0, data, sizeof data, 115200, 1);
    fpy_link_pump(l, 0, &ops);
    size_t n = f->ngot;
    memcpy(got, f->got, n);
    assert_int_equal(l->dir[0].n.dropped, 2000 - n);
    free(l), free(f);
    return n;
}

static void rate_is_deterministic_per_seed(void **state)
{
    (void)state;
    static uint8_t a[2000], b[2000], c[2000];
    size_t na = dropped_with_seed(42, a), nb = dropped_with_seed(42, b);
    size_t nc = dropped_with_seed(43, c);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
    assert_true(na > 2000 - 300 && na < 2000 - 100); /* about 1 in 10 */
    assert_true(nc != na || memcmp(a, c, na) != 0);
}

static void rules_are_bounded_and_checked(void **state)
{
    (void)state;
    fpy_link *l = link_new(0, 0);
    fpy_link_rule r = {.kind = FPY_LINK_DROP, .dir = FPY_LINK_TO_BOARD, .rate = 5};
    for (int i = 0; i < FPY_LINK_MAX_RULES; i++)
        assert_int_equal(fpy_link_rule_add(l, &r), FPY_OK);
    assert_int_equal(fpy_link_rule_add(l, &r), FPY_ERR_NOSPC);
    fpy_link_rule_clear(l);
    r.kind = 9;
    assert_int_equal(fpy_link_rule_add(l, &r), FPY_ERR_INVAL);
    r.kind = FPY_LINK_DROP;
    r.dir = 2;
    assert_int_equal(fpy_link_rule_add(l, &r), FPY_ERR_INVAL);
    free(l);
}

/* A full bridge takes no more; purge empties a direction. */
static void backpressure_and_purge(void **state)
{
    (void)state;
    fpy_link_board ops;
    fake *f = fake_new(&ops);
    fpy_link *l = link_new(0, 0);
    static uint8_t big[FPY_LINK_QUEUE + 100];
    assert_int_equal(fpy_link_host_write(l, 0, big, sizeof big, 115200, 1), FPY_LINK_QUEUE);
    assert_int_equal(fpy_link_room(l, FPY_LINK_TO_BOARD), 0);
    fpy_link_purge(l, FPY_LINK_TO_BOARD);
    assert_int_equal(fpy_link_room(l, FPY_LINK_TO_BOARD), FPY_LINK_QUEUE);
    fpy_link_pump(l, 100000000, &ops);
    assert_int_equal(f->ngot, 0);
    pattern(f->out, 100);
    f->nout = 100;
    fpy_link_pump(l, 100000000, &ops);
    fpy_link_purge(l, FPY_LINK_FROM_BOARD);
    uint8_t buf[100];
    assert_int_equal(fpy_link_host_read(l, UINT64_MAX - 1, buf, 100, 115200, 1), 0);
    free(l), free(f);
}

/* Output due while no host has the port is lost, and counted. */
static void no_host_loses_output(void **state)
{
    (void)state;
    fpy_link_board ops;
    fake *f = fake_new(&ops);
    fpy_link *l = link_new(0, 1);
    f->nout = 30;
    fpy_link_pump(l, 0, &ops);
    assert_int_equal(fpy_link_host_discard(l, 0), 30);
    assert_int_equal(l->dir[1].n.lost, 30);
    assert_int_equal(fpy_link_host_due(l), UINT64_MAX);
    free(l), free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wire_time_is_ten_bits_a_byte),
        cmocka_unit_test(to_board_paced_after_latency),
        cmocka_unit_test(to_board_bytes_queue_behind),
        cmocka_unit_test(from_board_paced_and_latency),
        cmocka_unit_test(from_board_baud_mismatch_garbles),
        cmocka_unit_test(from_board_reply_at_old_baud),
        cmocka_unit_test(to_board_sender_baud_and_frame),
        cmocka_unit_test(fast_moves_at_once),
        cmocka_unit_test(drop_at_byte_k),
        cmocka_unit_test(corrupt_at_byte_k_flips_one_bit),
        cmocka_unit_test(stall_at_byte_k),
        cmocka_unit_test(rate_is_deterministic_per_seed),
        cmocka_unit_test(rules_are_bounded_and_checked),
        cmocka_unit_test(backpressure_and_purge),
        cmocka_unit_test(no_host_loses_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
