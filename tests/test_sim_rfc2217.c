/* The RFC 2217 / raw TCP server (sim/rfc2217.h, docs/sim.md "TCP"): the
 * state machine on scripted bytes (pyserial 3.5's, from the fact sheet),
 * then the whole server in the event loop over a real loopback socket
 * with a fake board that records data, bauds and modem lines. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rfc2217.h"
#include "simrun.h"
#include "testutil.h"

/* ---- the state machine ---------------------------------------------------- */

typedef struct rec {
    uint8_t data[4096];
    size_t ndata;
    uint8_t sent[4096];
    size_t nsent;
    int lines[32][2];
    int nlines;
    int purges[8];
    int npurges;
    uint32_t baud;
    int frame_ok, nconfig;
} rec;

static void r_data(void *c, const uint8_t *p, size_t n)
{
    rec *r = c;
    assert_true(r->ndata + n <= sizeof r->data);
    memcpy(r->data + r->ndata, p, n);
    r->ndata += n;
}

static void r_config(void *c, uint32_t baud, int ok)
{
    rec *r = c;
    r->baud = baud, r->frame_ok = ok, r->nconfig++;
}

static void r_lines(void *c, int dtr, int rts)
{
    rec *r = c;
    r->lines[r->nlines][0] = dtr;
    r->lines[r->nlines++][1] = rts;
}

static void r_purge(void *c, int which)
{
    rec *r = c;
    r->purges[r->npurges++] = which;
}

static void r_send(void *c, const uint8_t *p, size_t n)
{
    rec *r = c;
    assert_true(r->nsent + n <= sizeof r->sent);
    memcpy(r->sent + r->nsent, p, n);
    r->nsent += n;
}

static fpy_rfc2217_cb cb_of(rec *r)
{
    return (fpy_rfc2217_cb){r, r_data, r_config, r_lines, r_purge, r_send};
}

static void feed_hex(fpy_rfc2217 *s, rec *r, const char *hex)
{
    uint8_t b[256];
    size_t n = fpy_test_unhex(hex, b, sizeof b);
    fpy_rfc2217_cb cb = cb_of(r);
    fpy_rfc2217_input(s, b, n, &cb);
}

static void expect_sent(rec *r, const char *hex)
{
    uint8_t b[256];
    size_t n = fpy_test_unhex(hex, b, sizeof b);
    assert_int_equal(r->nsent, n);
    assert_memory_equal(r->sent, b, n);
    r->nsent = 0;
}

/* pyserial's open: one answer per request, as the fact sheet's server
 * that worked (§5.1); the same requests again get no answer. */
static void negotiation_answers_pyserial(void **state)
{
    (void)state;
    fpy_rfc2217 s;
    static rec r;
    memset(&r, 0, sizeof r);
    fpy_rfc2217_init(&s);
    feed_hex(&s, &r, "FF FD 01 FF FB 03 FF FD 03 FF FD 2C FF FB 2C");
    assert_int_equal(s.mode, FPY_RFC2217_TELNET);
    expect_sent(&r, "FF FC 01 FF FD 03 FF FB 03 FF FB 2C FF FD 2C");
    feed_hex(&s, &r, "FF FD 03 FF FD 2C FF FB 2C");
    expect_sent(&r, "");
    /* options we do not have are refused, every time asked */
    feed_hex(&s, &r, "FF FD 18 FF FB 1F FF FD 00");
    expect_sent(&r, "FF FC 18 FF FE 1F FF FB 00");
    /* the client turning an option off is acknowledged once */
    feed_hex(&s, &r, "FF FE 2C FF FE 2C");
    expect_sent(&r, "FF FC 2C");
    assert_int_equal(r.ndata, 0);
}

/* Settings are echoed (pyserial checks the reply starts with its value);
 * 0xFF inside a value is doubled both ways. */
static void settings_are_acked(void **state)
{
    (void)state;
    fpy_rfc2217 s;
    static rec r;
    memset(&r, 0, sizeof r);
    fpy_rfc2217_init(&s);
    feed_hex(&s, &r, "FF FA 2C 01 00 0E 10 00 FF F0"); /* 921600 */
    expect_sent(&r, "FF FA 2C 65 00 0E 10 00 FF F0");
    assert_int_equal(s.baud, 921600);
    assert_int_equal(r.baud, 921600);
    feed_hex(&s, &r, "FF FA 2C 01 00 00 FF FF FF FF FF F0"); /* 65535 */
    expect_sent(&r, "FF FA 2C 65 00 00 FF FF FF FF FF F0");
    assert_int_equal(s.baud, 65535);
    feed_hex(&s, &r, "FF FA 2C 01 00 00 00 00 FF F0"); /* a query */
    expect_sent(&r, "FF FA 2C 65 00 00 FF FF FF FF FF F0");
    /* out of range: refused, the reply names the baud that stays */
    feed_hex(&s, &r, "FF FA 2C 01 10 00 00 00 FF F0");
    expect_sent(&r, "FF FA 2C 65 00 00 FF FF FF FF FF F0");
    feed_hex(&s, &r, "FF FA 2C 02 08 FF F0 FF FA 2C 03 01 FF F0 FF FA 2C 04 01 FF F0");
    expect_sent(&r, "FF FA 2C 66 08 FF F0 FF FA 2C 67 01 FF F0 FF FA 2C 68 01 FF F0");
    assert_true(fpy_rfc2217_frame_ok(&s));
    feed_hex(&s, &r, "FF FA 2C 02 07 FF F0");
    expect_sent(&r, "FF FA 2C 66 07 FF F0");
    assert_false(fpy_rfc2217_frame_ok(&s));
    assert_false(r.frame_ok);
    feed_hex(&s, &r, "FF FA 2C 03 09 FF F0"); /* no parity 9 */
    expect_sent(&r, "FF FA 2C 67 01 FF F0");
}

/* esptool's classic reset over RFC 2217: 09 0B 09 | 08 0C 08 | 09 (§5.6). */
static void control_lines_reach_the_board(void **state)
{
    (void)state;
    fpy_rfc2217 s;
    static rec r;
    memset(&r, 0, sizeof r);
    fpy_rfc2217_init(&s);
    static const char *const seq[] = {"09", "0B", "09", "08", "0C", "08", "09"};
    static const int want[][2] = {{0, 0}, {0, 1}, {0, 1}, {1, 1}, {1, 0}, {1, 0}, {0, 0}};
    char hex[64];
    for (int i = 0; i < 7; i++) {
        snprintf(hex, sizeof hex, "FF FA 2C 05 %s FF F0", seq[i]);
        feed_hex(&s, &r, hex);
        snprintf(hex, sizeof hex, "FF FA 2C 69 %s FF F0", seq[i]);
        expect_sent(&r, hex);
        assert_int_equal(r.lines[i][0], want[i][0]);
        assert_int_equal(r.lines[i][1], want[i][1]);
    }
    feed_hex(&s, &r, "FF FA 2C 05 01 FF F0 FF FA 2C 05 07 FF F0 FF FA 2C 05 0A FF F0");
    expect_sent(&r, "FF FA 2C 69 01 FF F0 FF FA 2C 69 09 FF F0 FF FA 2C 69 0C FF F0");
    assert_int_equal(r.nlines, 7); /* queries and flow control: no change */
    feed_hex(&s, &r, "FF FA 2C 05 63 FF F0"); /* no such value */
    expect_sent(&r, "");
}

static void purge_is_reported_and_acked(void **state)
{
    (void)state;
    fpy_rfc2217 s;
    static rec r;
    memset(&r, 0, sizeof r);
    fpy_rfc2217_init(&s);
    feed_hex(&s, &r, "FF FA 2C 0C 01 FF F0 FF FA 2C 0C 02 FF F0 FF FA 2C 0C 03 FF F0");
    expect_sent(&r, "FF FA 2C 70 01 FF F0 FF FA 2C 70 02 FF F0 FF FA 2C 70 03 FF F0");
    assert_int_equal(r.npurges, 3);
    assert_int_equal(r.purges[0], FPY_RFC2217_PURGE_RX);
    assert_int_equal(r.purges[2], FPY_RFC2217_PURGE_BOTH);
    feed_hex(&s, &r, "FF FA 2C 0C 04 FF F0");
    expect_sent(&r, "");
    assert_int_equal(r.npurges, 3);
}

/* Data: IAC IAC is one 0xFF, also when the pair is split between reads;
 * commands in between are not data. */
static void data_unescaped_across_reads(void **state)
{
    (void)state;
    fpy_rfc2217 s;
    static rec r;
    memset(&r, 0, sizeof r);
    fpy_rfc2217_init(&s);
    feed_hex(&s, &r, "FF F1 C0 00 FF");   /* NOP, data, half an IAC pair */
    feed_hex(&s, &r, "FF 01 FF F1 02 FF"); /* ... its other half, NOP */
    feed_hex(&s, &r, "FA 2C 0C 02");       /* a purge split in two */
    assert_int_equal(r.npurges, 0);
    feed_hex(&s, &r, "FF F0 03 FF FF");
    assert_int_equal(r.npurges, 1);
    uint8_t want[] = {0xC0, 0x00, 0xFF, 0x01, 0x02, 0x03, 0xFF};
    assert_int_equal(r.ndata, sizeof want);
    assert_memory_equal(r.data, want, sizeof want);
}

/* Bad subnegotiations are dropped whole and counted. */
static void malformed_requests_are_dropped(void **state)
{
    (void)state;
    fpy_rfc2217 s;
    static rec r;
    memset(&r, 0, sizeof r);
    fpy_rfc2217_init(&s);
    feed_hex(&s, &r, "FF FA 2C 01 00 0E 10 00 00 00 00 00 00 00 00 00 00 00 00 00 00 FF F0");
    feed_hex(&s, &r, "FF FA 2C 01 00 0E FF F0");       /* 2-byte baud */
    feed_hex(&s, &r, "FF FA 2C 05 FF F0");             /* no value */
    feed_hex(&s, &r, "FF FA 2C 05 08 FF FD 01");       /* SB cut by a DO */
    feed_hex(&s, &r, "FF FA FF F0");                   /* empty */
    assert_int_equal(s.baud, 115200);
    assert_int_equal(r.nlines, 0);
    assert_int_equal(s.bad, 5);
    expect_sent(&r, "FF FC 01"); /* only the DO ECHO was a request */
    feed_hex(&s, &r, "41");
    assert_int_equal(r.ndata, 1);
}

/* A raw (socket://) client: its first byte is not IAC; nothing is parsed
 * or escaped after that. */
static void raw_client_is_transparent(void **state)
{
    (void)state;
    fpy_rfc2217 s;
    static rec r;
    memset(&r, 0, sizeof r);
    fpy_rfc2217_init(&s);
    feed_hex(&s, &r, "C0 00 08 FF FD 2C FF FA 2C 05 08 FF F0 C0");
    assert_int_equal(s.mode, FPY_RFC2217_RAW);
    assert_int_equal(r.ndata, 14);
    expect_sent(&r, "");
    uint8_t out[8], in[3] = {1, 0xFF, 2};
    size_t used;
    assert_int_equal(fpy_rfc2217_encode(&s, in, 3, out, sizeof out, &used), 3);
    assert_memory_equal(out, in, 3);
}

static void encode_doubles_iac(void **state)
{
    (void)state;
    fpy_rfc2217 s;
    static rec r;
    memset(&r, 0, sizeof r);
    fpy_rfc2217_init(&s);
    feed_hex(&s, &r, "FF FB 2C");
    uint8_t in[4] = {0xFF, 0x41, 0xFF, 0xFF}, out[8];
    size_t used;
    assert_int_equal(fpy_rfc2217_encode(&s, in, 4, out, sizeof out, &used), 7);
    assert_int_equal(used, 4);
    uint8_t want[7] = {0xFF, 0xFF, 0x41, 0xFF, 0xFF, 0xFF, 0xFF};
    assert_memory_equal(out, want, 7);
    /* never half a pair: an IAC that does not fit whole waits */
    assert_int_equal(fpy_rfc2217_encode(&s, in, 4, out, 4, &used), 3);
    assert_int_equal(used, 2);
}

/* ---- the server in the loop, over a real socket --------------------------- */

typedef struct echo {
    uint8_t q[8192];
    size_t n;
    uint32_t last_sender, baud;
    int lines[32][3]; /* dtr, rts, ms since start */
    int nlines;
} echo;

static void e_rx(void *c, uint64_t now, const uint8_t *in, size_t n, uint32_t sb)
{
    echo *e = c;
    (void)now;
    assert_true(e->n + n <= sizeof e->q);
    memcpy(e->q + e->n, in, n);
    e->n += n;
    e->last_sender = sb;
}

static size_t e_tx(void *c, uint64_t now, uint8_t *out, size_t cap)
{
    echo *e = c;
    (void)now;
    size_t k = e->n < cap ? e->n : cap;
    memcpy(out, e->q, k);
    memmove(e->q, e->q + k, e->n - k);
    e->n -= k;
    return k;
}

static uint64_t e_next(void *c)
{
    return ((echo *)c)->n ? 0 : UINT64_MAX;
}

static uint32_t e_baud(void *c)
{
    return ((echo *)c)->baud;
}

static void e_lines(void *c, uint64_t now, int dtr, int rts)
{
    echo *e = c;
    e->lines[e->nlines][0] = dtr;
    e->lines[e->nlines][1] = rts;
    e->lines[e->nlines++][2] = (int)(now / 1000);
}

typedef struct server {
    fpy_simrun *run;
    echo e;
    int fd;
} server;

static server *server_new(void)
{
    server *s = calloc(1, sizeof *s);
    char err[256];
    assert_non_null(s);
    s->e.baud = 115200;
    s->run = fpy_simrun_new(NULL, err, sizeof err);
    assert_non_null(s->run);
    fpy_simrun_board b = {.tcp = 1, .link = {.fast = 1}};
    b.ops = (fpy_link_board){.ctx = &s->e, .rx = e_rx, .tx = e_tx, .next_event = e_next,
                             .baud = e_baud, .lines = e_lines};
    assert_int_equal(fpy_simrun_add(s->run, &b, err, sizeof err), 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)fpy_simrun_tcp_port(s->run, 0))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(s->fd, (struct sockaddr *)&a, sizeof a), 0);
    return s;
}

static void server_free(server *s)
{
    close(s->fd);
    fpy_simrun_free(s->run);
    free(s);
}

static void send_hex(server *s, const char *hex)
{
    uint8_t b[256];
    size_t n = fpy_test_unhex(hex, b, sizeof b);
    assert_int_equal(send(s->fd, b, n, 0), (ssize_t)n);
}

/* Run the loop until `want` bytes came back (or 3 s): how many did. */
static size_t recv_some(server *s, uint8_t *buf, size_t want)
{
    size_t got = 0;
    uint64_t end = fpy_simrun_now(s->run) + 3000000;
    while (got < want && fpy_simrun_now(s->run) < end) {
        fpy_simrun_step(s->run, 10);
        ssize_t n = recv(s->fd, buf + got, want - got, MSG_DONTWAIT);
        if (n > 0)
            got += (size_t)n;
    }
    return got;
}

static void expect_back(server *s, const char *hex)
{
    uint8_t want[256], got[256];
    size_t n = fpy_test_unhex(hex, want, sizeof want);
    assert_int_equal(recv_some(s, got, n), n);
    assert_memory_equal(got, want, n);
}

/* pyserial's connect, a baud change, esptool's reset, data with 0xFF
 * echoed back doubled, a purge: all over TCP. */
static void rfc2217_session_over_tcp(void **state)
{
    (void)state;
    server *s = server_new();
    send_hex(s, "FF FD 01 FF FB 03 FF FD 03 FF FD 2C FF FB 2C");
    expect_back(s, "FF FC 01 FF FD 03 FF FB 03 FF FB 2C FF FD 2C");
    send_hex(s, "FF FA 2C 01 00 0E 10 00 FF F0");
    expect_back(s, "FF FA 2C 65 00 0E 10 00 FF F0");
    send_hex(s, "FF FA 2C 05 09 FF F0 FF FA 2C 05 0B FF F0");
    expect_back(s, "FF FA 2C 69 09 FF F0 FF FA 2C 69 0B FF F0");
    assert_int_equal(s->e.nlines, 2);
    assert_int_equal(s->e.lines[1][0], 0);
    assert_int_equal(s->e.lines[1][1], 1); /* EN low */
    s->e.baud = 921600; /* the board followed (CHANGE_BAUDRATE) */
    send_hex(s, "C0 FF FF 00 FF FF FF FF C0");
    expect_back(s, "C0 FF FF 00 FF FF FF FF C0"); /* echoed, doubled again */
    assert_int_equal(s->e.last_sender, 921600);
    send_hex(s, "FF FA 2C 0C 01 FF F0");
    expect_back(s, "FF FA 2C 70 01 FF F0");
    /* closing the port drops DTR and RTS: EN and IO0 released */
    close(s->fd);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    for (int i = 0; i < 50 && s->e.nlines < 3; i++)
        fpy_simrun_step(s->run, 10);
    assert_int_equal(s->e.nlines, 3);
    assert_int_equal(s->e.lines[2][0], 0);
    assert_int_equal(s->e.lines[2][1], 0);
    server_free(s);
}

/* The board at 921600 and a client left at 115200: what it gets back is
 * not what it sent. */
static void rfc2217_baud_mismatch_over_tcp(void **state)
{
    (void)state;
    server *s = server_new();
    s->e.baud = 921600;
    send_hex(s, "FF FB 2C 41 42 43 44");
    uint8_t got[7];
    assert_int_equal(recv_some(s, got, 7), 7);
    assert_memory_equal(got, "\xff\xfd\x2c", 3);
    assert_int_equal(s->e.last_sender, 115200);
    assert_memory_not_equal(got + 3, "ABCD", 4);
    server_free(s);
}

/* socket://: raw bytes both ways, 0xFF untouched, no negotiation. */
static void raw_socket_client(void **state)
{
    (void)state;
    server *s = server_new();
    send_hex(s, "C0 00 08 FF FD 2C C0");
    expect_back(s, "C0 00 08 FF FD 2C C0");
    server_free(s);
}

/* A client that sends nothing gets the board's output raw after a pause. */
static void silent_client_becomes_raw(void **state)
{
    (void)state;
    server *s = server_new();
    fpy_simrun_step(s->run, 10); /* accepted */
    memcpy(s->e.q, "\xff\x01", 2);
    s->e.n = 2;
    uint8_t got[2];
    assert_int_equal(recv_some(s, got, 2), 2);
    assert_memory_equal(got, "\xff\x01", 2);
    server_free(s);
}

/* One host at a time: a second client is closed at once. */
static void second_client_refused(void **state)
{
    (void)state;
    server *s = server_new();
    fpy_simrun_step(s->run, 10);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)fpy_simrun_tcp_port(s->run, 0))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd2 = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(fd2, (struct sockaddr *)&a, sizeof a), 0);
    uint8_t b;
    ssize_t n = -1;
    for (int i = 0; i < 100 && n != 0; i++) {
        fpy_simrun_step(s->run, 10);
        n = recv(fd2, &b, 1, MSG_DONTWAIT);
    }
    assert_int_equal(n, 0); /* EOF */
    close(fd2);
    send_hex(s, "FF FB 2C");
    expect_back(s, "FF FD 2C"); /* the first still works */
    server_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(negotiation_answers_pyserial),
        cmocka_unit_test(settings_are_acked),
        cmocka_unit_test(control_lines_reach_the_board),
        cmocka_unit_test(purge_is_reported_and_acked),
        cmocka_unit_test(data_unescaped_across_reads),
        cmocka_unit_test(malformed_requests_are_dropped),
        cmocka_unit_test(raw_client_is_transparent),
        cmocka_unit_test(encode_doubles_iac),
        cmocka_unit_test(rfc2217_session_over_tcp),
        cmocka_unit_test(rfc2217_baud_mismatch_over_tcp),
        cmocka_unit_test(raw_socket_client),
        cmocka_unit_test(silent_client_becomes_raw),
        cmocka_unit_test(second_client_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
