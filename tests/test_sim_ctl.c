/* The control channel (sim/ctl.h, docs/sim.md "The control channel"):
 * the parser on good and bad lines, execution against a fake board, and
 * a round trip over a real Unix socket through the event loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "simrun.h"
#include "testutil.h"

typedef struct board {
    int jumper, powered, resets, lines;
    uint32_t cut;
} board;

static void b_rx(void *c, uint64_t t, const uint8_t *p, size_t n, uint32_t s)
{
    (void)c, (void)t, (void)p, (void)n, (void)s;
}
static size_t b_tx(void *c, uint64_t t, uint8_t *p, size_t n)
{
    (void)c, (void)t, (void)p, (void)n;
    return 0;
}
static uint64_t b_next(void *c)
{
    (void)c;
    return UINT64_MAX;
}
static uint32_t b_baud(void *c)
{
    (void)c;
    return 115200;
}
static void b_lines(void *c, uint64_t t, int d, int r)
{
    (void)t, (void)d, (void)r;
    ((board *)c)->lines++;
}
static void b_jumper(void *c, int on)
{
    ((board *)c)->jumper = on;
}
static void b_reset(void *c, uint64_t t)
{
    (void)t;
    ((board *)c)->resets++;
}
static void b_power(void *c, uint64_t t, int on)
{
    (void)t;
    ((board *)c)->powered = on;
}
static void b_cut(void *c, uint32_t n)
{
    ((board *)c)->cut = n;
}
static void b_status(void *c, fpy_vboard_status *st)
{
    board *b = c;
    memset(st, 0, sizeof *st);
    st->mode = b->jumper ? "download" : "running";
    st->baud = 115200;
    st->jumper = b->jumper;
    st->powered = b->powered;
    st->vm_slot = 1;
    st->bc_slot = 0;
    st->test_mode = 0;
    st->flash_erases = 12;
}

static fpy_link_board ops_of(board *b)
{
    return (fpy_link_board){b,       b_rx,     b_tx,    b_next, NULL,  b_baud,
                            b_lines, b_jumper, b_reset, b_power, b_cut, b_status};
}

static int parse(const char *line, fpy_ctl_req *r, char *err)
{
    return fpy_ctl_parse(line, strlen(line), r, err, 200);
}

static void parses_each_command(void **state)
{
    (void)state;
    fpy_ctl_req r;
    char err[200];
    assert_int_equal(parse("jumper on", &r, err), 0);
    assert_int_equal(r.op, FPY_CTL_JUMPER);
    assert_int_equal(r.on, 1);
    assert_int_equal(parse("  power\toff \r", &r, err), 0);
    assert_int_equal(r.op, FPY_CTL_POWER);
    assert_int_equal(r.on, 0);
    assert_int_equal(parse("power-cut-after 0x10", &r, err), 0);
    assert_int_equal(r.n, 16);
    assert_int_equal(parse("board 2 reset", &r, err), 0);
    assert_int_equal(r.op, FPY_CTL_RESET);
    assert_int_equal(r.board, 2);
    assert_int_equal(parse("status --json", &r, err), 0);
    assert_int_equal(r.json, 1);
    assert_int_equal(parse("quit", &r, err), 0);
    assert_int_equal(r.op, FPY_CTL_QUIT);
    assert_int_equal(parse("link clear", &r, err), 0);
    assert_int_equal(r.op, FPY_CTL_LINK_CLEAR);
    assert_int_equal(parse("link seed 99", &r, err), 0);
    assert_int_equal(r.seed, 99);
}

static void parses_link_rules(void **state)
{
    (void)state;
    fpy_ctl_req r;
    char err[200];
    assert_int_equal(parse("link drop to-board at 1234", &r, err), 0);
    assert_int_equal(r.op, FPY_CTL_LINK_RULE);
    assert_int_equal(r.rule.kind, FPY_LINK_DROP);
    assert_int_equal(r.rule.dir, FPY_LINK_TO_BOARD);
    assert_int_equal(r.rule.at, 1234);
    assert_int_equal(r.rule.rate, 0);
    assert_int_equal(parse("link corrupt from-board rate 500 seed 3", &r, err), 0);
    assert_int_equal(r.rule.kind, FPY_LINK_CORRUPT);
    assert_int_equal(r.rule.dir, FPY_LINK_FROM_BOARD);
    assert_int_equal(r.rule.rate, 500);
    assert_int_equal(r.seed, 3);
    assert_int_equal(r.has_seed, 1);
    assert_int_equal(parse("link stall both at 0 for 250", &r, err), 0);
    assert_int_equal(r.both, 1);
    assert_int_equal(r.rule.stall_us, 250000);
    assert_int_equal(parse("link stall to-board rate 9", &r, err), 0);
    assert_int_equal(r.rule.stall_us, FPY_CTL_STALL_MS * 1000);
}

/* Each bad line: refused, and the message names what was wrong. */
static void refuses_bad_lines(void **state)
{
    (void)state;
    static const struct {
        const char *line, *says;
    } bad[] = {
        {"", "empty"},
        {"   ", "empty"},
        {"jump on", "unknown command 'jump'"},
        {"jumper", "'on' or 'off'"},
        {"jumper maybe", "'on' or 'off'"},
        {"jumper on off", "'on' or 'off'"},
        {"reset now", "unexpected arguments"},
        {"power-cut-after -1", "not a number"},
        {"power-cut-after 4294967296", "not a number"},
        {"power-cut-after", "count"},
        {"link", "is not drop"},
        {"link drop", "direction ''"},
        {"link drop up at 1", "direction 'up'"},
        {"link drop to-board", "say where"},
        {"link drop to-board at", "needs a value"},
        {"link drop to-board at 1 rate 2", "unexpected 'rate'"},
        {"link drop to-board rate 0", "1 in N"},
        {"link drop to-board at 1 for 5", "unexpected 'for'"},
        {"link stall to-board at 1 for 99999999", "not a number"},
        {"link drop to-board at 0x", "not a number"},
        {"link seed", "is not drop"},
        {"board x reset", "board: 'x'"},
        {"board 1", "board N"},
        {"board 256 reset", "not a number up to 255"},
        {"status --yaml", "unexpected arguments"},
        {"a b c d e f g h i j k l m", "too many words"},
        {"jumper onnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn", "word too long"},
        {"jumper\x01on", "0x01"},
        {"jumper \xc3\xa9", "0xc3"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fpy_ctl_req r;
        char err[200] = "";
        if (parse(bad[i].line, &r, err) == 0)
            fail_msg("'%s' was accepted", bad[i].line);
        if (strstr(err, bad[i].says) == NULL)
            fail_msg("'%s': '%s' does not say '%s'", bad[i].line, err, bad[i].says);
    }
    char long_line[400];
    memset(long_line, 'a', sizeof long_line);
    fpy_ctl_req r;
    char err[200];
    assert_int_equal(fpy_ctl_parse(long_line, sizeof long_line, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "line too long"));
    /* a NUL inside the line is a byte like any other: refused */
    assert_int_equal(fpy_ctl_parse("reset\0x", 7, &r, err, sizeof err), -1);
}

static void exec_drives_the_board(void **state)
{
    (void)state;
    board b = {.powered = 1};
    fpy_link_board ops = ops_of(&b);
    static fpy_link l;
    fpy_link_init(&l, NULL);
    fpy_ctl_req r;
    char err[200], reply[FPY_CTL_REPLY_MAX];
    static const char *const lines[] = {"jumper on", "reset", "power off",
                                        "power-cut-after 7"};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(parse(lines[i], &r, err), 0);
        assert_int_equal(fpy_ctl_exec(&r, &ops, &l, 5, reply, sizeof reply), 0);
        assert_string_equal(reply, "ok");
    }
    assert_int_equal(b.jumper, 1);
    assert_int_equal(b.resets, 1);
    assert_int_equal(b.powered, 0);
    assert_int_equal(b.cut, 7);
    assert_int_equal(parse("link drop both rate 3 seed 5", &r, err), 0);
    fpy_ctl_exec(&r, &ops, &l, 0, reply, sizeof reply);
    assert_string_equal(reply, "ok 2 rules set");
    assert_int_equal(l.nrules, 2);
    assert_int_equal(l.rule[1].dir, FPY_LINK_FROM_BOARD);
    assert_int_equal(l.cfg.seed, 5);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(parse("link stall to-board at 9", &r, err), 0);
        fpy_ctl_exec(&r, &ops, &l, 0, reply, sizeof reply);
    }
    assert_int_equal(parse("link corrupt both at 9", &r, err), 0);
    fpy_ctl_exec(&r, &ops, &l, 0, reply, sizeof reply);
    assert_int_equal(parse("link corrupt both at 9", &r, err), 0);
    fpy_ctl_exec(&r, &ops, &l, 0, reply, sizeof reply);
    assert_non_null(strstr(reply, "error: 7 fault rules set already"));
    assert_int_equal(parse("link clear", &r, err), 0);
    fpy_ctl_exec(&r, &ops, &l, 0, reply, sizeof reply);
    assert_int_equal(l.nrules, 0);
    assert_int_equal(parse("quit", &r, err), 0);
    assert_int_equal(fpy_ctl_exec(&r, &ops, &l, 0, reply, sizeof reply), 1);
}

static void exec_status_text_and_json(void **state)
{
    (void)state;
    board b = {.powered = 1, .jumper = 1};
    fpy_link_board ops = ops_of(&b);
    static fpy_link l;
    fpy_link_init(&l, NULL);
    l.dir[0].n.bytes = 42;
    l.dir[1].n.garbled = 3;
    char out[FPY_CTL_REPLY_MAX];
    fpy_ctl_status(&ops, &l, 0, out, sizeof out);
    assert_non_null(strstr(out, "ok mode=download baud=115200 jumper=on power=on vm_slot=1 "
                                "bc_slot=0 test_mode=0"));
    assert_non_null(strstr(out, "flash_erases=12 to_board=42 from_board=0"));
    assert_non_null(strstr(out, "garbled=3"));
    fpy_ctl_status(&ops, &l, 1, out, sizeof out);
    assert_non_null(strstr(out, "ok {\"mode\": \"download\", \"baud\": 115200, \"jumper\": true"));
    assert_non_null(strstr(out, "\"link\": {\"to_board\": 42"));
    assert_int_equal(out[strlen(out) - 1], '}');
    /* a board without the control ops says so */
    fpy_link_board bare = ops;
    bare.jumper = NULL;
    bare.status = NULL;
    fpy_ctl_req r;
    char err[200];
    assert_int_equal(parse("jumper on", &r, err), 0);
    fpy_ctl_exec(&r, &bare, &l, 0, out, sizeof out);
    assert_string_equal(out, "error: this board has no such control");
    fpy_ctl_status(&bare, &l, 0, out, sizeof out);
    assert_non_null(strstr(out, "ok mode=unknown"));
}

/* ---- over a real socket ---------------------------------------------------- */

static int ctl_connect(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strcpy(a.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* Send text, run the loop until `nlines` reply lines came. */
static void ask(fpy_simrun *r, int fd, const char *text, size_t len, char *reply, size_t cap,
                int nlines)
{
    assert_int_equal(send(fd, text, len, 0), (ssize_t)len);
    size_t got = 0;
    int seen = 0;
    for (int i = 0; i < 200 && seen < nlines; i++) {
        fpy_simrun_step(r, 10);
        ssize_t n = recv(fd, reply + got, cap - 1 - got, MSG_DONTWAIT);
        for (ssize_t k = 0; k < n; k++)
            seen += reply[got + (size_t)k] == '\n';
        if (n > 0)
            got += (size_t)n;
    }
    reply[got] = '\0';
    assert_int_equal(seen, nlines);
}

static void round_trip_over_unix_socket(void **state)
{
    (void)state;
    char dir[] = "/tmp/fipy-ctl-test-XXXXXX", path[64], err[256];
    static char reply[4096];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/sim.ctl", dir);
    board b = {.powered = 1};
    fpy_simrun_cfg cfg = {.ctl_path = path};
    fpy_simrun *r = fpy_simrun_new(&cfg, err, sizeof err);
    assert_non_null(r);
    fpy_simrun_board bc = {.ops = ops_of(&b)};
    assert_int_equal(fpy_simrun_add(r, &bc, err, sizeof err), 0);
    /* a second run cannot take the same path while this one listens */
    assert_null(fpy_simrun_new(&cfg, err, sizeof err));
    assert_non_null(strstr(err, "another virtual board is listening"));
    int fd = ctl_connect(path);
    ask(r, fd, "jumper on\nstatus\n", 17, reply, sizeof reply, 2);
    assert_int_equal(strncmp(reply, "ok\nok mode=download", 19), 0);
    ask(r, fd, "board 1 reset\nfrobnicate\n", 25, reply, sizeof reply, 2);
    assert_string_equal(reply, "error: no board 1 (1 running)\n"
                               "error: unknown command 'frobnicate' (jumper, reset, power, "
                               "power-cut-after, link, status, ports, quit)\n");
    /* an over-long line: one error, then the connection goes on */
    static char longl[700];
    memset(longl, 'x', sizeof longl - 1);
    longl[sizeof longl - 1] = '\n';
    ask(r, fd, longl, sizeof longl, reply, sizeof reply, 1);
    assert_non_null(strstr(reply, "error: line too long"));
    ask(r, fd, "link drop to-board at 3\n", 24, reply, sizeof reply, 1);
    assert_string_equal(reply, "ok 1 rule set\n");
    assert_int_equal(fpy_simrun_link(r, 0)->nrules, 1);
    ask(r, fd, "quit\n", 5, reply, sizeof reply, 1);
    assert_string_equal(reply, "ok bye\n");
    assert_int_equal(fpy_simrun_step(r, 0), 1);
    close(fd);
    fpy_simrun_free(r);
    struct stat st;
    assert_int_not_equal(stat(path, &st), 0); /* the socket is gone */
    /* a stale socket (a killed run) is replaced; a plain file is not */
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strcpy(a.sun_path, path);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    close(s);
    r = fpy_simrun_new(&cfg, err, sizeof err);
    assert_non_null(r);
    fpy_simrun_free(r);
    FILE *f = fopen(path, "w");
    fclose(f);
    assert_null(fpy_simrun_new(&cfg, err, sizeof err));
    assert_non_null(strstr(err, "not a socket"));
    unlink(path);
    rmdir(dir);
}

/* Several boards in one loop: "board N" picks one, the others are left
 * alone (no globals anywhere). */
static void two_boards_one_socket(void **state)
{
    (void)state;
    char dir[] = "/tmp/fipy-ctl-test-XXXXXX", path[64], err[256];
    static char reply[4096];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/sim.ctl", dir);
    board b0 = {.powered = 1}, b1 = {.powered = 1};
    fpy_simrun_cfg cfg = {.ctl_path = path};
    fpy_simrun *r = fpy_simrun_new(&cfg, err, sizeof err);
    assert_non_null(r);
    fpy_simrun_board bc = {.ops = ops_of(&b0)};
    assert_int_equal(fpy_simrun_add(r, &bc, err, sizeof err), 0);
    bc.ops = ops_of(&b1);
    assert_int_equal(fpy_simrun_add(r, &bc, err, sizeof err), 1);
    int fd = ctl_connect(path);
    ask(r, fd, "board 1 jumper on\nboard 1 link drop both rate 2\npower off\n", 58, reply,
        sizeof reply, 3);
    assert_string_equal(reply, "ok\nok 2 rules set\nok\n");
    assert_int_equal(b0.jumper, 0);
    assert_int_equal(b1.jumper, 1);
    assert_int_equal(b0.powered, 0);
    assert_int_equal(b1.powered, 1);
    assert_int_equal(fpy_simrun_link(r, 0)->nrules, 0);
    assert_int_equal(fpy_simrun_link(r, 1)->nrules, 2);
    close(fd);
    fpy_simrun_free(r);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_each_command),
        cmocka_unit_test(parses_link_rules),
        cmocka_unit_test(refuses_bad_lines),
        cmocka_unit_test(exec_drives_the_board),
        cmocka_unit_test(exec_status_text_and_json),
        cmocka_unit_test(round_trip_over_unix_socket),
        cmocka_unit_test(two_boards_one_socket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
