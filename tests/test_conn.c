/*
 * The flasher's connections (host/conn.h): a pseudo-terminal pair standing
 * in for a serial port (data both ways, baud in termios, exclusive open,
 * hang-up, no modem lines), the errors and the fix each one names, an
 * RFC 2217 client against a scripted server in a thread (the exact bytes
 * of the negotiation, SET-BAUDRATE, SET-CONTROL, PURGE-DATA, 0xFF doubled
 * both ways), socket://, the Telnet decoder alone, and discovery on a
 * fake sysfs tree.
 */
#define _DEFAULT_SOURCE /* mkdtemp, symlink, CRTSCTS */
#define _XOPEN_SOURCE 700 /* posix_openpt, grantpt, unlockpt, ptsname */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <termios.h>
#include <unistd.h>

#include "conn_int.h"
#include "fipy/err.h"
#include "testutil.h"

#define ERRLEN 1024

/* ---- pseudo-terminal ------------------------------------------------------ */

typedef struct pty {
    int master;
    char slave[64];
} pty;

static void pty_open(pty *p)
{
    p->master = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(p->master >= 0);
    assert_int_equal(grantpt(p->master), 0);
    assert_int_equal(unlockpt(p->master), 0);
    snprintf(p->slave, sizeof p->slave, "%s", ptsname(p->master));
}

/* Read exactly n bytes from fd within 2 s. */
static void read_fd_all(int fd, uint8_t *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        assert_int_equal(poll(&pf, 1, 2000), 1);
        ssize_t r = read(fd, buf + got, n - got);
        assert_true(r > 0);
        got += (size_t)r;
    }
}

/* Read exactly n bytes through a connection. */
static void conn_read_all(fpy_conn *c, uint8_t *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        long r = fpy_conn_read(c, buf + got, n - got, 2000);
        if (r <= 0)
            fail_msg("read returned %ld after %zu of %zu bytes: %s", r, got, n,
                     fpy_conn_last_error(c));
        got += (size_t)r;
    }
}

static void test_pty_data_both_ways(void **state)
{
    (void)state;
    pty p;
    pty_open(&p);
    fpy_conn *c = NULL;
    char err[ERRLEN];
    int rc = fpy_conn_open(&c, p.slave, 115200, err, sizeof err);
    if (rc != FPY_OK)
        fail_msg("open %s: %s", p.slave, err);
    assert_string_equal(fpy_conn_name(c), p.slave);

    uint8_t all[256], back[256];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i; /* raw: no CR/LF mapping, no XON/XOFF, no echo */
    assert_int_equal(write(p.master, all, sizeof all), (ssize_t)sizeof all);
    conn_read_all(c, back, sizeof back);
    assert_memory_equal(back, all, sizeof all);

    assert_int_equal(fpy_conn_write(c, all, sizeof all, 1000), FPY_OK);
    read_fd_all(p.master, back, sizeof back);
    assert_memory_equal(back, all, sizeof all);

    /* Nothing there: 0 after the timeout, not before. */
    int64_t t0 = fpy_conn_now_ms();
    assert_int_equal(fpy_conn_read(c, back, sizeof back, 60), 0);
    assert_true(fpy_conn_now_ms() - t0 >= 50);

    /* flush_input drops what is waiting. */
    assert_int_equal(write(p.master, "abc", 3), 3);
    usleep(20000);
    assert_int_equal(fpy_conn_flush_input(c), FPY_OK);
    assert_int_equal(fpy_conn_read(c, back, sizeof back, 30), 0);
    fpy_conn_close(c);
    close(p.master);
}

static void test_pty_termios_and_baud(void **state)
{
    (void)state;
    pty p;
    pty_open(&p);
    int s = open(p.slave, O_RDWR | O_NOCTTY); /* a second view of the same termios */
    assert_true(s >= 0);
    fpy_conn *c = NULL;
    char err[ERRLEN];
    assert_int_equal(fpy_conn_open(&c, p.slave, 115200, err, sizeof err), FPY_OK);
    struct termios t;
    assert_int_equal(tcgetattr(s, &t), 0);
    assert_int_equal(cfgetospeed(&t), B115200);
    assert_int_equal(cfgetispeed(&t), B115200);
    assert_int_equal(t.c_cflag & CSIZE, CS8);
    assert_int_equal(t.c_cflag & (PARENB | CSTOPB | CRTSCTS), 0);
    assert_int_equal(t.c_lflag & (ICANON | ECHO | ISIG), 0);
    assert_int_equal(t.c_iflag & (IXON | IXOFF | ICRNL), 0);
    assert_int_equal(t.c_oflag & OPOST, 0);

    const struct {
        uint32_t baud;
        speed_t code;
    } rates[] = {{460800, B460800}, {921600, B921600}, {1500000, B1500000},
                 {2000000, B2000000}, {230400, B230400}};
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
        assert_int_equal(fpy_conn_set_baud(c, rates[i].baud), FPY_OK);
        assert_int_equal(tcgetattr(s, &t), 0);
        assert_int_equal(cfgetospeed(&t), rates[i].code);
    }
    /* A rate without a constant goes through termios2: BOTHER in cflag. */
    assert_int_equal(fpy_conn_set_baud(c, 250000), FPY_OK);
    assert_int_equal(tcgetattr(s, &t), 0);
    assert_int_equal(t.c_cflag & CBAUD, 0010000 /* BOTHER */);
    assert_int_equal(fpy_conn_set_baud(c, 0), FPY_ERR_INVAL);
    fpy_conn_close(c);
    close(s);
    close(p.master);
}

/* Closing puts the port back as it was found: the next program (a
 * terminal, cat) gets the line settings it had before, not our raw mode
 * with VMIN 0, and no exclusive flag. */
static void test_close_puts_the_tty_back(void **state)
{
    (void)state;
    pty p;
    pty_open(&p);
    int s = open(p.slave, O_RDWR | O_NOCTTY);
    assert_true(s >= 0);
    struct termios before, after;
    assert_int_equal(tcgetattr(s, &before), 0);
    assert_true((before.c_lflag & ICANON) != 0); /* a fresh pty is canonical */
    fpy_conn *c = NULL;
    char err[ERRLEN];
    assert_int_equal(fpy_conn_open(&c, p.slave, 115200, err, sizeof err), FPY_OK);
    assert_int_equal(fpy_conn_set_baud(c, 921600), FPY_OK);
    int excl = 0;
    assert_int_equal(ioctl(s, TIOCGEXCL, &excl), 0);
    assert_int_equal(excl, 1);
    fpy_conn_close(c);
    assert_int_equal(tcgetattr(s, &after), 0);
    assert_int_equal(after.c_lflag, before.c_lflag);
    assert_int_equal(after.c_iflag, before.c_iflag);
    assert_int_equal(after.c_cflag, before.c_cflag);
    assert_int_equal(after.c_cc[VMIN], before.c_cc[VMIN]);
    assert_int_equal(cfgetospeed(&after), cfgetospeed(&before));
    assert_int_equal(ioctl(s, TIOCGEXCL, &excl), 0);
    assert_int_equal(excl, 0);
    close(s);
    close(p.master);
}

static void test_pty_exclusive_names_holder(void **state)
{
    (void)state;
    pty p;
    pty_open(&p);
    fpy_conn *a = NULL, *b = NULL;
    char err[ERRLEN], want[64];
    assert_int_equal(fpy_conn_open(&a, p.slave, 115200, err, sizeof err), FPY_OK);
    assert_int_equal(fpy_conn_open(&b, p.slave, 115200, err, sizeof err), FPY_ERR_STATE);
    assert_null(b);
    snprintf(want, sizeof want, "process %d (test_conn)", (int)getpid());
    if (strstr(err, want) == NULL || strstr(err, "in use by") == NULL)
        fail_msg("message does not name the holder '%s': %s", want, err);
    assert_null(strstr(err, "brltty"));
    /* Released on close: the next flasher gets it. */
    fpy_conn_close(a);
    assert_int_equal(fpy_conn_open(&b, p.slave, 115200, err, sizeof err), FPY_OK);
    fpy_conn_close(b);
    close(p.master);
}

static void test_pty_hangup_is_io(void **state)
{
    (void)state;
    pty p;
    pty_open(&p);
    fpy_conn *c = NULL;
    char err[ERRLEN];
    uint8_t buf[16];
    assert_int_equal(fpy_conn_open(&c, p.slave, 115200, err, sizeof err), FPY_OK);
    assert_int_equal(write(p.master, "hi", 2), 2);
    close(p.master); /* the board unplugged */
    /* What was said before the hang-up may or may not survive the pty
     * closing; after it, the link is reported gone, never a timeout. */
    long r = fpy_conn_read(c, buf, sizeof buf, 500);
    if (r > 0)
        r = fpy_conn_read(c, buf, sizeof buf, 500);
    assert_int_equal(r, FPY_ERR_IO);
    assert_non_null(strstr(fpy_conn_last_error(c), "gone"));
    assert_int_equal(fpy_conn_write(c, "x", 1, 500), FPY_ERR_IO);
    fpy_conn_close(c);
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

/* A signal during a wait (a handler without SA_RESTART, so poll sees
 * EINTR) does not cut the wait short nor fail it: it is retried with the
 * time left.  A write nobody reads stops at its timeout and says so. */
static void test_pty_eintr_and_write_timeout(void **state)
{
    (void)state;
    pty p;
    pty_open(&p);
    fpy_conn *c = NULL;
    char err[ERRLEN];
    assert_int_equal(fpy_conn_open(&c, p.slave, 115200, err, sizeof err), FPY_OK);
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm; /* no SA_RESTART */
    assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
    struct itimerval it = {.it_interval = {0, 20000}, .it_value = {0, 20000}};
    assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
    alarms = 0;
    uint8_t b[8];
    int64_t t0 = fpy_conn_now_ms();
    assert_int_equal(fpy_conn_read(c, b, sizeof b, 150), 0);
    assert_true(fpy_conn_now_ms() - t0 >= 140);
    assert_true(alarms >= 2);

    static uint8_t big[1 << 20];
    t0 = fpy_conn_now_ms();
    assert_int_equal(fpy_conn_write(c, big, sizeof big, 200), FPY_ERR_TIMEOUT);
    assert_true(fpy_conn_now_ms() - t0 >= 190);
    assert_non_null(strstr(fpy_conn_last_error(c), "bytes unsent"));
    memset(&it, 0, sizeof it);
    setitimer(ITIMER_REAL, &it, NULL);
    sigaction(SIGALRM, &old, NULL);
    fpy_conn_close(c);
    close(p.master);
}

static void test_pty_has_no_lines(void **state)
{
    (void)state;
    pty p;
    pty_open(&p);
    fpy_conn *c = NULL;
    char err[ERRLEN];
    assert_int_equal(fpy_conn_open(&c, p.slave, 115200, err, sizeof err), FPY_OK);
    assert_int_equal(fpy_conn_set_lines(c, 1, 0), FPY_ERR_UNSUPPORTED);
    assert_non_null(strstr(fpy_conn_last_error(c), "no DTR/RTS"));
    assert_non_null(strstr(fpy_conn_last_error(c), "rfc2217://"));
    fpy_conn_close(c);
    close(p.master);
}

/* ---- errors that name the fix ------------------------------------------------ */

static void expect_open_fails(const char *spec, int rc, const char *needle)
{
    fpy_conn *c = (fpy_conn *)&c; /* must come back NULL */
    char err[ERRLEN] = "";
    int got = fpy_conn_open(&c, spec, 115200, err, sizeof err);
    if (got != rc || strstr(err, needle) == NULL)
        fail_msg("open %s: rc %d (want %d), message '%s' (want '%s')", spec, got, rc, err,
                 needle);
    assert_null(c);
}

static void test_open_errors(void **state)
{
    (void)state;
    char dir[] = "/tmp/fpy_conn_XXXXXX", file[128];
    assert_non_null(mkdtemp(dir));
    snprintf(file, sizeof file, "%s/plain", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    /* chmod 000: stat still says what it is, before any open (as root
     * the open would succeed; as a user it would say EACCES). */
    assert_int_equal(chmod(file, 0), 0);
    expect_open_fails(file, FPY_ERR_INVAL, "not a serial port (it is a regular file)");
    expect_open_fails(dir, FPY_ERR_INVAL, "not a serial port (it is a directory)");
    /* A character device that is no terminal. */
    expect_open_fails("/dev/null", FPY_ERR_INVAL, "/dev/null is not a serial port");
    expect_open_fails("/dev/ttyFPYNOSUCH0", FPY_ERR_NOTFOUND, "no such serial port /dev/ttyFPYNOSUCH0");
    expect_open_fails("", FPY_ERR_INVAL, "no port given");
    expect_open_fails("ftp://x:1", FPY_ERR_INVAL, "unknown kind of port");
    expect_open_fails("rfc2217://localhost", FPY_ERR_INVAL, "no port number");
    expect_open_fails("rfc2217://:4000", FPY_ERR_INVAL, "no host name");
    expect_open_fails("rfc2217://localhost:99999", FPY_ERR_INVAL, "from 1 to 65535");
    expect_open_fails("rfc2217://localhost:4x", FPY_ERR_INVAL, "from 1 to 65535");
    expect_open_fails("rfc2217://localhost:4000?fast", FPY_ERR_INVAL, "unknown option 'fast'");
    expect_open_fails("socket://localhost:4000?ign_set_control", FPY_ERR_INVAL,
                      "socket:// takes none");
    expect_open_fails("socket://no-such-host.invalid:4000", FPY_ERR_NOTFOUND, "unknown host");
    fpy_conn *c = NULL;
    char err[ERRLEN];
    assert_int_equal(fpy_conn_open(&c, "/dev/null", 0, err, sizeof err), FPY_ERR_INVAL);
    unlink(file);
    rmdir(dir);
}

static void test_permission_message(void **state)
{
    (void)state;
    char err[ERRLEN];
    /* The brief's wording when the device's group is dialout or unknown. */
    fpy_conn_tty_errmsg("/nonexistent/ttyUSB0", EACCES, err, sizeof err);
    assert_string_equal(err, "permission denied on /nonexistent/ttyUSB0: add yourself to the "
                             "'dialout' group (sudo usermod -aG dialout $USER; 'uucp' on "
                             "Arch), then log in again");
    /* A device owned by another group names that group. */
    char dir[] = "/tmp/fpy_conn_XXXXXX", file[128];
    assert_non_null(mkdtemp(dir));
    snprintf(file, sizeof file, "%s/dev", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    if (chown(file, 0, 5 /* tty on Debian */) == 0) {
        fpy_conn_tty_errmsg(file, EPERM, err, sizeof err);
        assert_non_null(strstr(err, "its group 'tty' (sudo usermod -aG tty $USER)"));
    }
    unlink(file);
    rmdir(dir);
    fpy_conn_tty_errmsg("/dev/ttyX", EIO, err, sizeof err);
    assert_string_equal(err, "cannot open /dev/ttyX: Input/output error");
}

/* A fake /proc: process 4242 "brltty" holds the device, 77 holds another. */
static void test_busy_message_brltty(void **state)
{
    (void)state;
    char dir[] = "/tmp/fpy_conn_XXXXXX", p[512], dev[256], other[256];
    assert_non_null(mkdtemp(dir));
    snprintf(dev, sizeof dev, "%s/ttyUSB0", dir);
    snprintf(other, sizeof other, "%s/ttyUSB1", dir);
    fclose(fopen(dev, "w"));
    fclose(fopen(other, "w"));
    const struct {
        const char *pid, *comm, *target;
    } procs[] = {{"4242", "brltty\n", dev}, {"77", "minicom\n", other}};
    for (size_t i = 0; i < 2; i++) {
        snprintf(p, sizeof p, "%s/proc", dir);
        mkdir(p, 0755);
        snprintf(p, sizeof p, "%s/proc/%s", dir, procs[i].pid);
        assert_int_equal(mkdir(p, 0755), 0);
        snprintf(p, sizeof p, "%s/proc/%s/fd", dir, procs[i].pid);
        assert_int_equal(mkdir(p, 0755), 0);
        snprintf(p, sizeof p, "%s/proc/%s/fd/5", dir, procs[i].pid);
        assert_int_equal(symlink(procs[i].target, p), 0);
        snprintf(p, sizeof p, "%s/proc/%s/comm", dir, procs[i].pid);
        FILE *f = fopen(p, "w");
        fputs(procs[i].comm, f);
        fclose(f);
    }
    snprintf(p, sizeof p, "%s/proc/self", dir); /* not a PID: skipped */
    mkdir(p, 0755);
    char who[256], err[ERRLEN], proc[300];
    int brltty = 0;
    snprintf(proc, sizeof proc, "%s/proc", dir);
    assert_int_equal(fpy_conn_holders(proc, dev, who, sizeof who, &brltty), 1);
    assert_string_equal(who, "process 4242 (brltty)");
    assert_int_equal(brltty, 1);
    fpy_conn_busy_msg(proc, dev, err, sizeof err);
    assert_non_null(strstr(err, "in use by process 4242 (brltty)"));
    assert_non_null(strstr(err, "sudo apt remove brltty"));
    assert_non_null(strstr(err, "systemctl mask brltty-udev.service"));
    fpy_conn_busy_msg(proc, other, err, sizeof err);
    assert_non_null(strstr(err, "in use by process 77 (minicom)"));
    assert_null(strstr(err, "brltty"));
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* ---- a scripted TCP server in a thread --------------------------------------- */

enum { SRV_RFC2217, SRV_REJECT_BAUD, SRV_SILENT, SRV_REFUSE_COMPORT, SRV_NO_CONTROL_ACK,
       SRV_RAW_ECHO };

typedef struct srv {
    int mode;
    int lfd, fd;
    uint16_t port;
    pthread_t thread;
    uint8_t raw[8192]; /* every byte the client sent */
    size_t rawlen;
    /* telnet state of the server's own little parser */
    int st, verb, sbn;
    uint8_t sb[32];
} srv;

static void srv_send(srv *s, const void *p, size_t n)
{
    if (send(s->fd, p, n, MSG_NOSIGNAL) != (ssize_t)n)
        s->mode = -1;
}

static void srv_option(srv *s, uint8_t verb, uint8_t opt)
{
    uint8_t r[3] = {0xFF, 0, opt};
    if (s->mode == SRV_SILENT)
        return;
    if (verb == 0xFD) /* DO x: WILL, except ECHO */
        r[1] = opt == 0x01 ? 0xFC : 0xFB;
    else if (verb == 0xFB) /* WILL x: DO, or DONT COM-PORT when refusing */
        r[1] = (opt == 0x2C && s->mode == SRV_REFUSE_COMPORT) ? 0xFE : 0xFD;
    else
        return;
    srv_send(s, r, 3);
}

/* A COM-PORT request: answer code + 100 with the value echoed. */
static void srv_subneg(srv *s)
{
    if (s->sbn < 2 || s->sb[0] != 0x2C)
        return;
    uint8_t code = s->sb[1];
    if (code == 5 && s->mode == SRV_NO_CONTROL_ACK)
        return;
    uint8_t out[64];
    size_t vlen = (size_t)s->sbn - 2u;
    uint8_t value[16];
    memcpy(value, s->sb + 2, vlen);
    if (code == 1 && s->mode == SRV_REJECT_BAUD)
        memcpy(value, "\x00\x00\x25\x80", 4); /* "9600 is all I do" */
    size_t n = fpy_tn_subneg((uint8_t)(code + 100), value, vlen, out, sizeof out);
    srv_send(s, out, n);
}

/* Data bytes are echoed with 0xFF doubled, after some Telnet noise the
 * client must skip (NOP, DO TERMINAL-TYPE, a NOTIFY-MODEMSTATE). */
static void srv_data(srv *s, const uint8_t *d, size_t n)
{
    static const uint8_t noise[] = {0xFF, 0xF1, 0xFF, 0xFD, 0x18,
                                    0xFF, 0xFA, 0x2C, 0x6B, 0x30, 0xFF, 0xF0};
    uint8_t out[2 * 4096];
    size_t used = 0;
    if (n == 0)
        return;
    if (s->mode == SRV_RAW_ECHO) {
        srv_send(s, d, n);
        return;
    }
    srv_send(s, noise, sizeof noise);
    while (used < n) {
        size_t k = fpy_tn_escape(d, n, &used, out, sizeof out);
        srv_send(s, out, k);
    }
}

/* The server's Telnet parser (independent of the client's decoder). */
static void srv_feed(srv *s, const uint8_t *in, size_t n)
{
    uint8_t data[4096];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = in[i];
        switch (s->st) {
        case 0:
            if (c == 0xFF)
                s->st = 1;
            else
                data[k++] = c;
            break;
        case 1:
            if (c == 0xFF) {
                data[k++] = c;
                s->st = 0;
            } else if (c >= 0xFB && c <= 0xFE) {
                s->verb = c;
                s->st = 2;
            } else if (c == 0xFA) {
                s->sbn = 0;
                s->st = 3;
            } else
                s->st = 0;
            break;
        case 2:
            srv_option(s, (uint8_t)s->verb, c);
            s->st = 0;
            break;
        case 3:
            if (c == 0xFF)
                s->st = 4;
            else if (s->sbn < (int)sizeof s->sb)
                s->sb[s->sbn++] = c;
            break;
        default:
            if (c == 0xF0) {
                srv_subneg(s);
                s->st = 0;
            } else {
                if (s->sbn < (int)sizeof s->sb)
                    s->sb[s->sbn++] = c;
                s->st = 3;
            }
            break;
        }
    }
    srv_data(s, data, k);
}

static void *srv_main(void *arg)
{
    srv *s = arg;
    struct pollfd pf = {.fd = s->lfd, .events = POLLIN};
    if (poll(&pf, 1, 10000) != 1)
        return NULL;
    s->fd = accept(s->lfd, NULL, NULL);
    if (s->fd < 0)
        return NULL;
    for (;;) {
        uint8_t buf[4096];
        pf.fd = s->fd;
        if (poll(&pf, 1, 10000) != 1)
            break;
        ssize_t r = recv(s->fd, buf, sizeof buf, 0);
        if (r <= 0)
            break;
        if (s->rawlen + (size_t)r <= sizeof s->raw) {
            memcpy(s->raw + s->rawlen, buf, (size_t)r);
            s->rawlen += (size_t)r;
        }
        if (s->mode == SRV_RAW_ECHO)
            srv_data(s, buf, (size_t)r);
        else
            srv_feed(s, buf, (size_t)r);
    }
    close(s->fd);
    return NULL;
}

static srv *srv_start(int mode)
{
    srv *s = calloc(1, sizeof *s);
    assert_non_null(s);
    s->mode = mode;
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->lfd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s->lfd, 1), 0);
    assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&a, &al), 0);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&s->thread, NULL, srv_main, s), 0);
    return s;
}

static void srv_stop(srv *s)
{
    pthread_join(s->thread, NULL);
    close(s->lfd);
}

/* Append the COM-PORT request code/value as the client must send it. */
static size_t want_req(uint8_t *w, size_t k, uint8_t code, const char *hexval)
{
    uint8_t v[8];
    size_t n = fpy_test_unhex(hexval, v, sizeof v);
    static const uint8_t head[] = {0xFF, 0xFA, 0x2C};
    memcpy(w + k, head, 3);
    k += 3;
    w[k++] = code;
    memcpy(w + k, v, n);
    k += n;
    w[k++] = 0xFF;
    w[k++] = 0xF0;
    return k;
}

static void test_rfc2217_wire(void **state)
{
    (void)state;
    srv *s = srv_start(SRV_RFC2217);
    char spec[64], err[ERRLEN];
    snprintf(spec, sizeof spec, "rfc2217://127.0.0.1:%u", (unsigned)s->port);
    fpy_conn *c = NULL;
    if (fpy_conn_open(&c, spec, 115200, err, sizeof err) != FPY_OK)
        fail_msg("open: %s", err);
    assert_int_equal(fpy_conn_set_baud(c, 460800), FPY_OK);
    assert_int_equal(fpy_conn_set_lines(c, 1, 0), FPY_OK); /* DTR first: never RTS alone */
    assert_int_equal(fpy_conn_set_lines(c, 0, 1), FPY_OK); /* EN low (reset) */
    assert_int_equal(fpy_conn_set_lines(c, 1, 1), FPY_OK);
    assert_int_equal(fpy_conn_set_lines(c, 0, 0), FPY_OK); /* RTS first: not via RTS alone */
    assert_int_equal(fpy_conn_flush_input(c), FPY_OK);
    static const uint8_t data[] = {0x01, 0xFF, 0x02, 0xFF, 0xFF, 0x03};
    uint8_t back[sizeof data];
    assert_int_equal(fpy_conn_write(c, data, sizeof data, 1000), FPY_OK);
    conn_read_all(c, back, sizeof back); /* noise skipped, FF FF undone */
    assert_memory_equal(back, data, sizeof data);
    assert_true(c->tn.notifications >= 1);
    usleep(50000); /* let the refusal of DO TERMINAL-TYPE go out */
    fpy_conn_close(c);
    srv_stop(s);

    uint8_t w[512];
    size_t k = fpy_test_unhex("FF FD 01 FF FB 03 FF FD 03 FF FD 2C FF FB 2C", w, sizeof w);
    k = want_req(w, k, 1, "00 01 C2 00"); /* SET-BAUDRATE 115200, big-endian */
    k = want_req(w, k, 2, "08");
    k = want_req(w, k, 3, "01");
    k = want_req(w, k, 4, "01");
    k = want_req(w, k, 5, "01"); /* no flow control */
    k = want_req(w, k, 5, "0C"); /* RTS off, then */
    k = want_req(w, k, 5, "09"); /* DTR off */
    k = want_req(w, k, 1, "00 07 08 00"); /* SET-BAUDRATE 460800 */
    k = want_req(w, k, 5, "08");
    k = want_req(w, k, 5, "0C");
    k = want_req(w, k, 5, "09");
    k = want_req(w, k, 5, "0B");
    k = want_req(w, k, 5, "08");
    k = want_req(w, k, 5, "0B");
    k = want_req(w, k, 5, "0C"); /* from DTR+RTS to none: RTS first */
    k = want_req(w, k, 5, "09");
    k = want_req(w, k, 12, "01"); /* PURGE-DATA receive buffer */
    k += fpy_test_unhex("01 FF FF 02 FF FF FF FF 03", w + k, sizeof w - k);
    k += fpy_test_unhex("FF FC 18", w + k, sizeof w - k); /* WONT TERMINAL-TYPE */
    assert_int_equal(s->rawlen, k);
    assert_memory_equal(s->raw, w, k);
    free(s);
}

/* A SLIP-sized burst rich in 0xFF goes through the 4 KiB escaping chunks
 * and the server's echo (with Telnet noise) comes back intact. */
static void test_rfc2217_bulk(void **state)
{
    (void)state;
    srv *s = srv_start(SRV_RFC2217);
    char spec[64], err[ERRLEN];
    snprintf(spec, sizeof spec, "rfc2217://localhost:%u?ign_set_control", (unsigned)s->port);
    fpy_conn *c = NULL;
    if (fpy_conn_open(&c, spec, 921600, err, sizeof err) != FPY_OK)
        fail_msg("open: %s", err);
    static uint8_t data[20000], back[20000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (i & 1u) ? 0xFF : (uint8_t)(i >> 1);
    assert_int_equal(fpy_conn_write(c, data, sizeof data, 2000), FPY_OK);
    conn_read_all(c, back, sizeof back);
    assert_memory_equal(back, data, sizeof data);
    fpy_conn_close(c);
    srv_stop(s);
    free(s);
}

/* SET-BAUDRATE 0x000000FF puts 0xFF inside a subnegotiation: doubled. */
static void test_rfc2217_ff_in_value(void **state)
{
    (void)state;
    uint8_t out[32], want[32];
    const uint8_t v[4] = {0x00, 0x00, 0x00, 0xFF};
    size_t n = fpy_tn_subneg(1, v, 4, out, sizeof out);
    size_t k = fpy_test_unhex("FF FA 2C 01 00 00 00 FF FF FF F0", want, sizeof want);
    assert_int_equal(n, k);
    assert_memory_equal(out, want, k);
    assert_int_equal(fpy_tn_subneg(1, v, 4, out, 13), 0); /* does not fit */
}

static void open_server(int mode, const char *opts, int rc, const char *needle)
{
    srv *s = srv_start(mode);
    char spec[96], err[ERRLEN] = "";
    snprintf(spec, sizeof spec, "rfc2217://127.0.0.1:%u%s", (unsigned)s->port, opts);
    fpy_conn *c = NULL;
    int got = fpy_conn_open(&c, spec, 115200, err, sizeof err);
    if (got != rc || (needle != NULL && strstr(err, needle) == NULL))
        fail_msg("%s: rc %d (want %d): '%s'", spec, got, rc, err);
    if (c != NULL) {
        assert_int_equal(fpy_conn_set_lines(c, 1, 1), FPY_OK);
        fpy_conn_close(c);
    }
    srv_stop(s);
    free(s);
}

static void test_rfc2217_refusals(void **state)
{
    (void)state;
    open_server(SRV_REJECT_BAUD, "", FPY_ERR_UNSUPPORTED, "refused SET-BAUDRATE");
    open_server(SRV_REFUSE_COMPORT, "", FPY_ERR_UNSUPPORTED, "refused RFC 2217");
    open_server(SRV_NO_CONTROL_ACK, "", FPY_ERR_TIMEOUT, "did not answer SET-CONTROL");
    open_server(SRV_NO_CONTROL_ACK, "?ign_set_control", FPY_OK, NULL);
    open_server(SRV_SILENT, "", FPY_ERR_TIMEOUT, "did not agree to RFC 2217");
}

static void test_socket_round_trip(void **state)
{
    (void)state;
    srv *s = srv_start(SRV_RAW_ECHO);
    char spec[64], err[ERRLEN];
    snprintf(spec, sizeof spec, "socket://localhost:%u", (unsigned)s->port);
    fpy_conn *c = NULL;
    if (fpy_conn_open(&c, spec, 115200, err, sizeof err) != FPY_OK)
        fail_msg("open: %s", err);
    assert_int_equal(fpy_conn_set_baud(c, 921600), FPY_OK); /* accepted, ignored */
    assert_int_equal(fpy_conn_set_lines(c, 1, 0), FPY_ERR_UNSUPPORTED);
    assert_non_null(strstr(fpy_conn_last_error(c), "no DTR/RTS"));
    uint8_t data[3000], back[3000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7u);
    assert_int_equal(fpy_conn_write(c, data, sizeof data, 1000), FPY_OK);
    conn_read_all(c, back, sizeof back); /* raw: 0xFF not doubled */
    assert_memory_equal(back, data, sizeof data);
    assert_int_equal(fpy_conn_flush_input(c), FPY_OK);
    fpy_conn_close(c);
    srv_stop(s);
    free(s);
}

static void test_socket_closed_and_refused(void **state)
{
    (void)state;
    /* A port nobody listens on: bound, never listening. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    char spec[64];
    snprintf(spec, sizeof spec, "rfc2217://127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
    expect_open_fails(spec, FPY_ERR_IO, "connection refused by 127.0.0.1");
    snprintf(spec, sizeof spec, "socket://127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
    expect_open_fails(spec, FPY_ERR_IO, "is the server");
    close(fd);

    /* The far end going away: FPY_ERR_IO, not a timeout. */
    srv *s = srv_start(SRV_RAW_ECHO);
    snprintf(spec, sizeof spec, "socket://127.0.0.1:%u", (unsigned)s->port);
    fpy_conn *c = NULL;
    char err[ERRLEN];
    uint8_t b[8];
    assert_int_equal(fpy_conn_open(&c, spec, 115200, err, sizeof err), FPY_OK);
    shutdown(c->fd, SHUT_WR); /* the server sees EOF and closes */
    srv_stop(s);
    free(s);
    assert_int_equal(fpy_conn_read(c, b, sizeof b, 1000), FPY_ERR_IO);
    assert_non_null(strstr(fpy_conn_last_error(c), "closed by the other end"));
    fpy_conn_close(c);
}

/* ---- the decoder alone ------------------------------------------------------- */

static size_t feed_hex(fpy_tn *t, const char *hex, uint8_t *out)
{
    uint8_t in[256];
    size_t n = fpy_test_unhex(hex, in, sizeof in);
    return fpy_tn_feed(t, in, n, out);
}

static void test_telnet_decoder(void **state)
{
    (void)state;
    fpy_tn t;
    uint8_t out[256], hello[16];
    fpy_tn_init(&t);
    assert_int_equal(fpy_tn_hello(&t, hello, sizeof hello), 15);
    /* A reply split everywhere: byte by byte gives the same as at once. */
    const char *wire = "41 FF FF 42 FF FD 2C FF FA 2C 65 00 07 08 00 FF F0 43 FF FA 2C 65 "
                       "FF FF 00 FF F0 FF FB 00 FF FD 18 FF F1 44";
    uint8_t in[64];
    size_t n = fpy_test_unhex(wire, in, sizeof in), k = 0;
    for (size_t i = 0; i < n; i++)
        k += fpy_tn_feed(&t, in + i, 1, out + k);
    assert_int_equal(k, 5);
    assert_memory_equal(out, "\x41\xFF\x42\x43\x44", 5);
    assert_true(fpy_tn_comport_ready(&t));
    const fpy_tn_answer *a = fpy_tn_answer_for(&t, 1);
    assert_int_equal(a->count, 2);
    assert_int_equal(a->len, 2);
    assert_memory_equal(a->value, "\xFF\x00", 2); /* IAC IAC inside SB is one 0xFF */
    /* WILL BINARY accepted with DO BINARY, DO TERMINAL-TYPE refused. */
    uint8_t want[8];
    size_t wl = fpy_test_unhex("FF FD 00 FF FC 18", want, sizeof want);
    assert_int_equal(t.reply_len, wl);
    assert_memory_equal(t.reply, want, wl);
    /* Asked again: no second answer (no negotiation loop). */
    t.reply_len = 0;
    assert_int_equal(feed_hex(&t, "FF FB 00 FF FD 2C", out), 0);
    assert_int_equal(t.reply_len, 0);
    /* A subnegotiation cut by another command, and an over-long one. */
    assert_int_equal(feed_hex(&t, "FF FA 2C 66 08 FF FB 03 58", out), 1);
    assert_int_equal(out[0], 0x58);
    assert_int_equal(fpy_tn_answer_for(&t, 2)->count, 0);
    k = feed_hex(&t, "FF FA 2C 70 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10 11 12 FF F0",
                 out);
    assert_int_equal(k, 0);
    a = fpy_tn_answer_for(&t, 12);
    assert_int_equal(a->count, 1);
    assert_int_equal(a->len, FPY_TN_SB_MAX);
    assert_int_equal(a->truncated, 1);
    assert_null(fpy_tn_answer_for(&t, 13));
    /* DONT COM-PORT is a refusal the opener reports. */
    feed_hex(&t, "FF FE 2C", out);
    assert_int_equal(t.comport_refused, 1);
    assert_false(fpy_tn_comport_ready(&t));
}

static void test_escape_never_splits(void **state)
{
    (void)state;
    const uint8_t in[] = {0xFF, 0x01, 0xFF};
    uint8_t out[3];
    size_t used = 0;
    assert_int_equal(fpy_tn_escape(in, 3, &used, out, 3), 3); /* FF FF 01 */
    assert_int_equal(used, 2);
    assert_int_equal(fpy_tn_escape(in, 3, &used, out, 1), 0); /* FF FF needs 2 */
    assert_int_equal(used, 2);
    assert_int_equal(fpy_tn_escape(in, 3, &used, out, 2), 2);
    assert_int_equal(used, 3);
}

static void test_line_order(void **state)
{
    (void)state;
    /* old (dtr, rts) -> new: 1 = DTR first.  Never pass through RTS
     * alone (EN low) unless that is the target. */
    assert_int_equal(fpy_conn_dtr_first(1, 1, 0, 0), 0);
    assert_int_equal(fpy_conn_dtr_first(0, 0, 1, 1), 1);
    assert_int_equal(fpy_conn_dtr_first(1, 0, 0, 1), 1);
    assert_int_equal(fpy_conn_dtr_first(0, 1, 1, 0), 1);
    assert_int_equal(fpy_conn_dtr_first(0, 1, 0, 0), 0); /* only RTS changes */
}

/* ---- discovery on a fake sysfs ----------------------------------------------- */

static void mkfile(const char *root, const char *rel, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void mkdirs(const char *root, const char *rel)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/%s'", root, rel);
    assert_int_equal(system(cmd), 0);
}

/* A USB device at devices/usb1/NAME with a tty below its interface. */
static void fake_usb(const char *root, const char *usb, const char *vid, const char *pid,
                     const char *tty, int usb_serial)
{
    char rel[256], link[512], target[512];
    snprintf(rel, sizeof rel, "devices/usb1/%s", usb);
    mkdirs(root, rel);
    snprintf(rel, sizeof rel, "devices/usb1/%s/idVendor", usb);
    mkfile(root, rel, vid);
    snprintf(rel, sizeof rel, "devices/usb1/%s/idProduct", usb);
    mkfile(root, rel, pid);
    /* cdc_acm: device -> the interface; usb-serial: -> ttyUSBn below it */
    snprintf(rel, sizeof rel, usb_serial ? "devices/usb1/%s/%s:1.0/%s" : "devices/usb1/%s/%s:1.0",
             usb, usb, tty);
    mkdirs(root, rel);
    snprintf(target, sizeof target, "%s/%s", root, rel);
    snprintf(rel, sizeof rel, "class/tty/%s", tty);
    mkdirs(root, rel);
    snprintf(link, sizeof link, "%s/class/tty/%s/device", root, tty);
    assert_int_equal(symlink(target, link), 0);
}

static void test_find_fake_sysfs(void **state)
{
    (void)state;
    char root[] = "/tmp/fpy_sys_XXXXXX";
    assert_non_null(mkdtemp(root));
    char (*paths)[64] = calloc(8, sizeof *paths);
    char (*ids)[16] = calloc(8, sizeof *ids);
    assert_int_equal(fpy_conn_find_in(root, paths, ids, 8), 0); /* no class/tty */
    fake_usb(root, "1-1", "04d8\n", "ef98\n", "ttyACM0", 0);  /* Expansion Board 3 */
    fake_usb(root, "1-2", "0403\n", "6015\n", "ttyUSB0", 1);  /* FT-X: EB 2.0, or not */
    fake_usb(root, "1-3", "04d8\n", "f013\n", "ttyACM1", 0);  /* Pytrack */
    fake_usb(root, "1-4", "10c4\n", "ea60\n", "ttyUSB1", 1);  /* CP2102: not Pycom */
    fake_usb(root, "1-5", "04d8\n", "ef99\n", "ttyACM2", 0);  /* DFU mode: not a port */
    fake_usb(root, "1-6", "04d8\n", "zz\n", "ttyACM3", 0);    /* malformed */
    fake_usb(root, "1-7", "0403\n", "6001\n", "ttyUSB2", 1);  /* FT232R: not matched */
    mkdirs(root, "class/tty/tty0");                             /* virtual: no device */
    mkdirs(root, "class/tty/ttyS0/device");                     /* no USB parent */
    size_t n = fpy_conn_find_in(root, paths, ids, 8);
    assert_int_equal(n, 3);
    assert_string_equal(paths[0], "/dev/ttyACM0");
    assert_string_equal(ids[0], "04d8:ef98");
    assert_string_equal(paths[1], "/dev/ttyACM1");
    assert_string_equal(ids[1], "04d8:f013");
    assert_string_equal(paths[2], "/dev/ttyUSB0"); /* the generic FTDI ID last */
    assert_string_equal(ids[2], "0403:6015");
    /* max below the count: the first max, and the full count. */
    memset(paths, 0, 8 * sizeof *paths);
    assert_int_equal(fpy_conn_find_in(root, paths, NULL, 1), 3);
    assert_string_equal(paths[0], "/dev/ttyACM0");
    assert_int_equal(paths[1][0], 0);
    assert_string_equal(fpy_conn_board_name(0x04D8, 0xED14), "Pycom Pygate");
    assert_null(fpy_conn_board_name(0x04D8, 0xEF99));
    /* The real sysfs: whatever is plugged in, never more than it has. */
    (void)fpy_conn_find(paths, 8);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
    free(paths);
    free(ids);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pty_data_both_ways),
        cmocka_unit_test(test_pty_termios_and_baud),
        cmocka_unit_test(test_close_puts_the_tty_back),
        cmocka_unit_test(test_pty_exclusive_names_holder),
        cmocka_unit_test(test_pty_hangup_is_io),
        cmocka_unit_test(test_pty_eintr_and_write_timeout),
        cmocka_unit_test(test_pty_has_no_lines),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_permission_message),
        cmocka_unit_test(test_busy_message_brltty),
        cmocka_unit_test(test_rfc2217_wire),
        cmocka_unit_test(test_rfc2217_bulk),
        cmocka_unit_test(test_rfc2217_ff_in_value),
        cmocka_unit_test(test_rfc2217_refusals),
        cmocka_unit_test(test_socket_round_trip),
        cmocka_unit_test(test_socket_closed_and_refused),
        cmocka_unit_test(test_telnet_decoder),
        cmocka_unit_test(test_escape_never_splits),
        cmocka_unit_test(test_line_order),
        cmocka_unit_test(test_find_fake_sysfs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
