/* The pseudo-terminal transport (sim/pty.h, docs/sim.md): a program
 * opens the slave through the symlink, its bytes reach a fake echo board
 * with the baud it set, and come back; the symlink's rules. */
#define _DEFAULT_SOURCE /* cfmakeraw, B921600 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "pty.h"
#include "simrun.h"
#include "testutil.h"

typedef struct echo {
    uint8_t q[4096];
    size_t n;
    uint32_t sender[4096];
    size_t nsender;
    uint32_t baud;
} echo;

static void e_rx(void *c, uint64_t now, const uint8_t *in, size_t n, uint32_t sb)
{
    echo *e = c;
    (void)now;
    memcpy(e->q + e->n, in, n);
    e->n += n;
    for (size_t i = 0; i < n; i++)
        e->sender[e->nsender++] = sb;
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
    (void)c, (void)now, (void)dtr, (void)rts;
}

typedef struct rig {
    char dir[32], link[64];
    echo e;
    fpy_simrun *run;
} rig;

static rig *rig_new(int fast)
{
    rig *g = calloc(1, sizeof *g);
    char err[256];
    assert_non_null(g);
    strcpy(g->dir, "/tmp/fipy-pty-test-XXXXXX");
    assert_non_null(mkdtemp(g->dir));
    snprintf(g->link, sizeof g->link, "%s/ttyFIPY", g->dir);
    g->e.baud = 115200;
    g->run = fpy_simrun_new(NULL, err, sizeof err);
    assert_non_null(g->run);
    fpy_simrun_board b = {.pty = 1, .link_path = g->link, .link = {.fast = fast}};
    b.ops = (fpy_link_board){.ctx = &g->e, .rx = e_rx, .tx = e_tx, .next_event = e_next,
                             .baud = e_baud, .lines = e_lines};
    if (fpy_simrun_add(g->run, &b, err, sizeof err) != 0)
        fail_msg("%s", err);
    return g;
}

static void rig_free(rig *g)
{
    fpy_simrun_free(g->run);
    rmdir(g->dir);
    free(g);
}

static int open_port(const char *path, speed_t sp)
{
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK);
    assert_true(fd >= 0);
    struct termios t;
    assert_int_equal(tcgetattr(fd, &t), 0);
    cfmakeraw(&t);
    cfsetispeed(&t, sp);
    cfsetospeed(&t, sp);
    assert_int_equal(tcsetattr(fd, TCSANOW, &t), 0);
    return fd;
}

/* Run the loop until n bytes came back on fd (or 3 s). */
static size_t read_back(rig *g, int fd, uint8_t *buf, size_t n)
{
    size_t got = 0;
    uint64_t end = fpy_simrun_now(g->run) + 3000000;
    while (got < n && fpy_simrun_now(g->run) < end) {
        fpy_simrun_step(g->run, 5);
        ssize_t k = read(fd, buf + got, n - got);
        if (k > 0)
            got += (size_t)k;
    }
    return got;
}

/* Bytes through the pty, paced: 200 bytes at 115200 take 17.4 ms on the
 * wire; the echo goes out while the rest comes in (full duplex), so the
 * round trip is at least that, one more byte, and 2 x 2 ms of latency. */
static void bytes_go_round_through_the_symlink(void **state)
{
    (void)state;
    rig *g = rig_new(0);
    char target[64] = "";
    assert_true(readlink(g->link, target, sizeof target - 1) > 0);
    assert_string_equal(target, fpy_simrun_pty_path(g->run, 0));
    int fd = open_port(g->link, B115200);
    uint8_t out[200], in[200];
    for (size_t i = 0; i < sizeof out; i++)
        out[i] = (uint8_t)(i * 13); /* 0x0A, 0x0D, 0x11, 0x13, 0xFF: raw */
    uint64_t t0 = fpy_simrun_now(g->run);
    assert_int_equal(write(fd, out, sizeof out), (ssize_t)sizeof out);
    assert_int_equal(read_back(g, fd, in, sizeof in), sizeof in);
    uint64_t took = fpy_simrun_now(g->run) - t0;
    assert_memory_equal(in, out, sizeof out);
    assert_int_equal(g->e.sender[0], 115200);
    if (took < fpy_link_wire_us(201, 115200) + 2 * FPY_LINK_LATENCY_US || took > 1000000)
        fail_msg("the round trip took %llu us", (unsigned long long)took);
    close(fd);
    rig_free(g);
}

/* The baud the program sets is what the board sees; the board's reply
 * at its own baud reaches a program at another one garbled. */
static void program_baud_reaches_the_board(void **state)
{
    (void)state;
    rig *g = rig_new(1);
    int fd = open_port(g->link, B9600);
    uint8_t in[4];
    assert_int_equal(write(fd, "SYNC", 4), 4);
    assert_int_equal(read_back(g, fd, in, 4), 4);
    assert_int_equal(g->e.sender[0], 9600);
    assert_memory_not_equal(in, "SYNC", 4);
    assert_int_equal(fpy_simrun_link(g->run, 0)->dir[1].n.garbled, 4);
    close(fd);
    fd = open_port(g->link, B115200); /* reopened at the board's baud */
    assert_int_equal(write(fd, "SYNC", 4), 4);
    assert_int_equal(read_back(g, fd, in, 4), 4);
    assert_memory_equal(in, "SYNC", 4);
    close(fd);
    rig_free(g);
}

/* Output while nobody has the port open is lost, not kept for the next
 * program (a USB bridge's closed port drops it). */
static void output_without_a_host_is_lost(void **state)
{
    (void)state;
    rig *g = rig_new(1);
    memcpy(g->e.q, "stale", 5);
    g->e.n = 5;
    for (int i = 0; i < 5; i++)
        fpy_simrun_step(g->run, 5);
    assert_int_equal(fpy_simrun_link(g->run, 0)->dir[1].n.lost, 5);
    int fd = open_port(g->link, B115200);
    uint8_t in[8];
    assert_int_equal(write(fd, "new", 3), 3);
    assert_int_equal(read_back(g, fd, in, 3), 3);
    assert_memory_equal(in, "new", 3);
    /* the program goes; the board talks on; the next one hears none of it */
    close(fd);
    for (int i = 0; i < 3; i++)
        fpy_simrun_step(g->run, 5);
    memcpy(g->e.q, "old", 3);
    g->e.n = 3;
    for (int i = 0; i < 5; i++)
        fpy_simrun_step(g->run, 5);
    assert_int_equal(fpy_simrun_link(g->run, 0)->dir[1].n.lost, 8);
    fd = open_port(g->link, B115200);
    assert_int_equal(write(fd, "x", 1), 1);
    assert_int_equal(read_back(g, fd, in, 1), 1);
    assert_int_equal(in[0], 'x');
    close(fd);
    rig_free(g);
}

/* The first program finds a raw line: no echo of what the board sends. */
static void the_pty_starts_raw(void **state)
{
    (void)state;
    rig *g = rig_new(1);
    int fd = open(g->link, O_RDWR | O_NOCTTY);
    struct termios t;
    assert_int_equal(tcgetattr(fd, &t), 0);
    assert_int_equal(t.c_lflag & (ECHO | ICANON), 0);
    assert_int_equal(cfgetospeed(&t), B115200);
    close(fd);
    rig_free(g);
}

/* The symlink: removed at close; an old symlink is replaced; another
 * file is refused and left alone. */
static void symlink_rules(void **state)
{
    (void)state;
    rig *g = rig_new(1);
    char link[64];
    strcpy(link, g->link);
    fpy_simrun_free(g->run);
    g->run = NULL;
    struct stat st;
    assert_int_not_equal(lstat(link, &st), 0);
    fpy_pty p;
    char err[256];
    assert_int_equal(symlink("/dev/pts/nonexistent", link), 0);
    assert_int_equal(fpy_pty_open(&p, link, err, sizeof err), 0);
    char target[64] = "";
    assert_true(readlink(link, target, sizeof target - 1) > 0);
    assert_string_equal(target, p.path);
    fpy_pty_close(&p);
    FILE *f = fopen(link, "w");
    fputs("keep me", f);
    fclose(f);
    assert_int_equal(fpy_pty_open(&p, link, err, sizeof err), -1);
    assert_non_null(strstr(err, "is not a symlink"));
    assert_int_equal(lstat(link, &st), 0);
    assert_int_equal(st.st_size, 7);
    unlink(link);
    rmdir(g->dir);
    free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bytes_go_round_through_the_symlink),
        cmocka_unit_test(program_baud_reaches_the_board),
        cmocka_unit_test(output_without_a_host_is_lost),
        cmocka_unit_test(the_pty_starts_raw),
        cmocka_unit_test(symlink_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
