/*
 * The event loop (see simrun.h).  Each round: poll with a timeout that
 * ends at the next due byte or board event, then for each board read what
 * the host sent (no more than the link has room for: the host's writes
 * wait, as on a full USB bridge), pump the link, and deliver the board's
 * due output to the one host that has the port (a TCP client if one is
 * connected, else the pty if a program has it open, else nobody: lost,
 * as a bridge whose port is closed drops what it receives).
 */
#include "simrun.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "pty.h"
#include "rfc2217.h"

#define FPY_TCP_OUT 16384u
#define FPY_PTY_OUT 4096u
/* While the pty is hung up it cannot be polled (POLLHUP all the time):
 * look again this often for a program opening it. */
#define FPY_PTY_RECHECK_MS 20
/* The longest poll: how long a signal may go unnoticed (its EINTR can
 * arrive just before poll starts). */
#define FPY_POLL_MAX_MS 100

typedef struct fpy_tcpconn {
    int fd;
    fpy_rfc2217 st;
    uint64_t since_us;
    uint8_t out[FPY_TCP_OUT];
    size_t outlen;
    int broken;
} fpy_tcpconn;

typedef struct fpy_simboard {
    fpy_simrun *run;
    fpy_link_board ops;
    fpy_link link;
    int has_pty;
    fpy_pty pty;
    uint8_t pty_out[FPY_PTY_OUT];
    size_t pty_outlen;
    int listen_fd;
    int port;
    fpy_tcpconn *conn; /* NULL: no client */
    uint64_t now;      /* for the rfc2217 callbacks */
} fpy_simboard;

typedef struct fpy_ctlconn {
    int fd;
    char in[FPY_CTL_LINE_MAX + 2];
    size_t inlen;
    int skipping; /* a line too long: drop up to its newline */
} fpy_ctlconn;

struct fpy_simrun {
    fpy_simrun_cfg cfg;
    struct timespec t0;
    fpy_simboard *b[FPY_SIMRUN_MAX_BOARDS];
    int nb;
    int ctl_fd;
    char ctl_path[108];
    fpy_ctlconn ctl[FPY_SIMRUN_MAX_CTL];
    int quit;
};

/* ---- small helpers ------------------------------------------------------ */

static int fpy_run_err(char *err, size_t errlen, const char *what, const char *arg)
{
    snprintf(err, errlen, "%s%s: %s", what, arg, strerror(errno));
    return -1;
}

static int fpy_nonblock(int fd)
{
    return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0 &&
                   fcntl(fd, F_SETFD, FD_CLOEXEC) == 0
               ? 0
               : -1;
}

uint64_t fpy_simrun_now(const fpy_simrun *r)
{
    if (r->cfg.clock != NULL)
        return r->cfg.clock(r->cfg.clock_ctx);
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    int64_t us = (int64_t)(t.tv_sec - r->t0.tv_sec) * 1000000 +
                 (t.tv_nsec - r->t0.tv_nsec) / 1000;
    return us > 0 ? (uint64_t)us : 0;
}

static void fpy_log(const fpy_simrun *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void fpy_log(const fpy_simrun *r, const char *fmt, ...)
{
    va_list ap;
    if (!r->cfg.verbose)
        return;
    fprintf(stderr, "fipy-sim: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* ---- the control socket ------------------------------------------------- */

/* Bind the control socket; a stale one (nobody listening) is replaced,
 * a live one or another file is refused. */
static int fpy_ctl_listen(fpy_simrun *r, const char *path, char *err, size_t errlen)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    struct stat st;
    if (strlen(path) >= sizeof a.sun_path) {
        snprintf(err, errlen, "--ctl %s: path too long (at most %zu bytes)", path,
                 sizeof a.sun_path - 1);
        return -1;
    }
    strcpy(a.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        return fpy_run_err(err, errlen, "--ctl: socket", "");
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode) || connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
            snprintf(err, errlen, "--ctl %s: %s", path,
                     S_ISSOCK(st.st_mode) ? "another virtual board is listening there"
                                          : "exists and is not a socket; not replacing it");
            close(fd);
            return -1;
        }
        close(fd);
        unlink(path); /* a socket nobody listens on: a run that was killed */
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
    }
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 4) != 0 ||
        fpy_nonblock(fd) != 0) {
        fpy_run_err(err, errlen, "--ctl ", path);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    r->ctl_fd = fd;
    strcpy(r->ctl_path, path);
    return 0;
}

static void fpy_ctl_drop(fpy_ctlconn *c)
{
    close(c->fd);
    c->fd = -1;
}

static void fpy_ctl_accept(fpy_simrun *r)
{
    int fd = accept(r->ctl_fd, NULL, NULL);
    if (fd < 0)
        return;
    for (int i = 0; i < FPY_SIMRUN_MAX_CTL; i++) {
        if (r->ctl[i].fd < 0 && fpy_nonblock(fd) == 0) {
            r->ctl[i] = (fpy_ctlconn){.fd = fd};
            return;
        }
    }
    static const char busy[] = "error: too many control connections\n";
    (void)!send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL);
    close(fd);
}

/* Reply to one line: replies are short and the peer waits for each, so a
 * reply that does not fit the socket drops the connection. */
static void fpy_ctl_line(fpy_simrun *r, fpy_ctlconn *c, const char *line, size_t len)
{
    char reply[FPY_CTL_REPLY_MAX + 2], err[200];
    fpy_ctl_req req;
    if (fpy_ctl_parse(line, len, &req, err, sizeof err) != 0) {
        snprintf(reply, sizeof reply - 1, "error: %s", err);
    } else if (req.op != FPY_CTL_QUIT && (int)req.board >= r->nb) {
        snprintf(reply, sizeof reply - 1, "error: no board %u (%d running)", req.board, r->nb);
    } else {
        fpy_simboard *b = r->b[req.op == FPY_CTL_QUIT ? 0 : req.board];
        uint64_t now = fpy_simrun_now(r);
        if (req.op == FPY_CTL_PORTS) {
            const char *pty = fpy_simrun_pty_path(r, (int)req.board);
            snprintf(reply, sizeof reply - 1, "ok pty=%s tcp=%d", pty != NULL ? pty : "-",
                     fpy_simrun_tcp_port(r, (int)req.board));
        } else if (fpy_ctl_exec(&req, &b->ops, &b->link, now, reply, sizeof reply - 1)) {
            r->quit = 1;
        }
    }
    fpy_log(r, "ctl: %.*s -> %s", (int)len, line, reply);
    size_t n = strlen(reply);
    reply[n++] = '\n';
    if (send(c->fd, reply, n, MSG_NOSIGNAL) != (ssize_t)n)
        fpy_ctl_drop(c);
}

static void fpy_ctl_read(fpy_simrun *r, fpy_ctlconn *c)
{
    ssize_t n = read(c->fd, c->in + c->inlen, sizeof c->in - c->inlen);
    if (n <= 0) {
        if (n == 0 || (errno != EAGAIN && errno != EINTR))
            fpy_ctl_drop(c);
        return;
    }
    c->inlen += (size_t)n;
    for (;;) {
        char *nl = memchr(c->in, '\n', c->inlen);
        if (nl == NULL)
            break;
        size_t len = (size_t)(nl - c->in);
        if (!c->skipping)
            fpy_ctl_line(r, c, c->in, len);
        c->skipping = 0;
        if (c->fd < 0)
            return;
        memmove(c->in, nl + 1, c->inlen - len - 1);
        c->inlen -= len + 1;
    }
    if (c->inlen == sizeof c->in) { /* no newline in a full buffer */
        if (!c->skipping)
            fpy_ctl_line(r, c, c->in, c->inlen); /* "line too long" */
        c->skipping = 1;
        c->inlen = 0;
    }
}

/* ---- TCP: RFC 2217 or raw ------------------------------------------------ */

static int fpy_tcp_listen(fpy_simboard *b, uint16_t port, char *err, size_t errlen)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* loopback only: no auth */
    socklen_t alen = sizeof a;
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 2) != 0 ||
        fpy_nonblock(fd) != 0 || getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
        char p[16];
        snprintf(p, sizeof p, "%u", (unsigned)port);
        fpy_run_err(err, errlen, "--tcp 127.0.0.1:", p);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    b->listen_fd = fd;
    b->port = ntohs(a.sin_port);
    return 0;
}

static void fpy_cb_data(void *ctx, const uint8_t *p, size_t n)
{
    fpy_simboard *b = ctx;
    fpy_link_host_write(&b->link, b->now, p, n, b->conn->st.baud,
                        fpy_rfc2217_frame_ok(&b->conn->st));
}

/* The settings are read from the state when bytes move; only logged. */
static void fpy_cb_config(void *ctx, uint32_t baud, int frame_8n1)
{
    fpy_simboard *b = ctx;
    fpy_log(b->run, "tcp port %d: %u baud%s", b->port, (unsigned)baud,
            frame_8n1 ? "" : ", not 8N1: unreadable");
}

static void fpy_cb_lines(void *ctx, int dtr, int rts)
{
    fpy_simboard *b = ctx;
    fpy_log(b->run, "tcp port %d: t=%.3f s DTR=%d RTS=%d", b->port, (double)b->now / 1e6, dtr,
            rts);
    b->ops.lines(b->ops.ctx, b->now, dtr, rts);
}

static void fpy_cb_purge(void *ctx, int which)
{
    fpy_simboard *b = ctx;
    if (which & FPY_RFC2217_PURGE_RX)
        fpy_link_purge(&b->link, FPY_LINK_FROM_BOARD);
    if (which & FPY_RFC2217_PURGE_TX)
        fpy_link_purge(&b->link, FPY_LINK_TO_BOARD);
}

static void fpy_cb_send(void *ctx, const uint8_t *p, size_t n)
{
    fpy_tcpconn *c = ((fpy_simboard *)ctx)->conn;
    if (n > sizeof c->out - c->outlen) { /* a client that never reads */
        c->broken = 1;
        return;
    }
    memcpy(c->out + c->outlen, p, n);
    c->outlen += n;
}

static void fpy_tcp_close(fpy_simboard *b)
{
    fpy_tcpconn *c = b->conn;
    /* Closing a port drops DTR and RTS (termios HUPCL): both high, no
     * reset in the auto-reset circuit. */
    if (c->st.dtr || c->st.rts)
        b->ops.lines(b->ops.ctx, b->now, 0, 0);
    fpy_log(b->run, "tcp port %d: client gone", b->port);
    close(c->fd);
    free(c);
    b->conn = NULL;
}

static void fpy_tcp_accept(fpy_simboard *b)
{
    int fd = accept(b->listen_fd, NULL, NULL);
    if (fd < 0)
        return;
    fpy_tcpconn *c = b->conn == NULL ? calloc(1, sizeof *c) : NULL;
    int one = 1;
    if (c == NULL || fpy_nonblock(fd) != 0) {
        /* one host at a time, as one program can hold a serial port */
        fpy_log(b->run, "tcp port %d: refused a second client", b->port);
        free(c);
        close(fd);
        return;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->fd = fd;
    c->since_us = b->now;
    fpy_rfc2217_init(&c->st);
    b->conn = c;
    fpy_log(b->run, "tcp port %d: client connected", b->port);
}

/* Read from the client no more than the link and our reply buffer can
 * take: a reply is at most ~3x its request (doubled IACs). */
static void fpy_tcp_read(fpy_simboard *b)
{
    fpy_tcpconn *c = b->conn;
    uint8_t buf[4096];
    size_t room = fpy_link_room(&b->link, FPY_LINK_TO_BOARD);
    size_t reply_room = (sizeof c->out - c->outlen) / 3;
    size_t want = room < reply_room ? room : reply_room;
    if (want > sizeof buf)
        want = sizeof buf;
    if (want == 0)
        return;
    ssize_t n = read(c->fd, buf, want);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        c->broken = 1;
        return;
    }
    if (n < 0)
        return;
    const fpy_rfc2217_cb cb = {b, fpy_cb_data, fpy_cb_config, fpy_cb_lines, fpy_cb_purge,
                               fpy_cb_send};
    fpy_rfc2217_input(&c->st, buf, (size_t)n, &cb);
    if (c->st.mode == FPY_RFC2217_TELNET && c->st.bad == 1)
        fpy_log(b->run, "tcp port %d: malformed RFC 2217 request ignored", b->port);
}

/* The board's due output, IAC-escaped in Telnet mode, into the buffer. */
static void fpy_tcp_deliver(fpy_simboard *b)
{
    fpy_tcpconn *c = b->conn;
    if (c->st.mode == FPY_RFC2217_UNDECIDED) {
        if (b->now - c->since_us < FPY_SIMRUN_RAW_AFTER_US)
            return; /* hold the output until we know how to send it */
        fpy_rfc2217_set_raw(&c->st);
    }
    uint8_t buf[FPY_TCP_OUT / 2];
    size_t space = (sizeof c->out - c->outlen) / 2, used;
    size_t n = fpy_link_host_read(&b->link, b->now, buf, space < sizeof buf ? space : sizeof buf,
                                  c->st.baud, fpy_rfc2217_frame_ok(&c->st));
    c->outlen += fpy_rfc2217_encode(&c->st, buf, n, c->out + c->outlen,
                                    sizeof c->out - c->outlen, &used);
}

static void fpy_tcp_flush(fpy_tcpconn *c)
{
    if (c->outlen == 0)
        return;
    ssize_t n = send(c->fd, c->out, c->outlen, MSG_NOSIGNAL);
    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR)
            c->broken = 1;
        return;
    }
    memmove(c->out, c->out + n, c->outlen - (size_t)n);
    c->outlen -= (size_t)n;
}

/* ---- the pseudo-terminal -------------------------------------------------- */

static void fpy_pty_host_config(fpy_simboard *b, uint32_t *baud, int *ok)
{
    if (fpy_pty_config(&b->pty, baud, ok) != 0 || *baud == 0)
        *baud = 115200, *ok = 0; /* unreadable or B0: nothing gets through */
}

static void fpy_pty_service_in(fpy_simboard *b)
{
    uint8_t buf[4096];
    size_t room = fpy_link_room(&b->link, FPY_LINK_TO_BOARD);
    if (room == 0 || b->pty.hung)
        return;
    long n = fpy_pty_read(&b->pty, buf, room < sizeof buf ? room : sizeof buf);
    if (n > 0) {
        uint32_t baud;
        int ok;
        fpy_pty_host_config(b, &baud, &ok);
        fpy_link_host_write(&b->link, b->now, buf, (size_t)n, baud, ok);
    }
}

static void fpy_pty_deliver(fpy_simboard *b)
{
    uint32_t baud;
    int ok;
    fpy_pty_host_config(b, &baud, &ok);
    b->pty_outlen += fpy_link_host_read(&b->link, b->now, b->pty_out + b->pty_outlen,
                                        sizeof b->pty_out - b->pty_outlen, baud, ok);
    long n = fpy_pty_write(&b->pty, b->pty_out, b->pty_outlen);
    if (n > 0) {
        memmove(b->pty_out, b->pty_out + n, b->pty_outlen - (size_t)n);
        b->pty_outlen -= (size_t)n;
    }
}

/* ---- one board ------------------------------------------------------------ */

static void fpy_board_service(fpy_simboard *b, uint64_t now)
{
    b->now = now;
    if (b->has_pty && !fpy_pty_attached(&b->pty) && b->pty_outlen > 0) {
        /* the program closed the port: what it did not read is gone */
        b->link.dir[FPY_LINK_FROM_BOARD].n.lost += b->pty_outlen;
        b->pty_outlen = 0;
    }
    if (b->conn != NULL)
        fpy_tcp_read(b);
    if (b->has_pty)
        fpy_pty_service_in(b);
    if (b->ops.advance != NULL)
        b->ops.advance(b->ops.ctx, now);
    fpy_link_pump(&b->link, now, &b->ops);
    if (b->conn != NULL)
        fpy_tcp_deliver(b);
    else if (b->has_pty && !b->pty.hung)
        fpy_pty_deliver(b);
    else
        fpy_link_host_discard(&b->link, now);
    if (b->has_pty && !b->pty.hung && b->pty_outlen > 0)
        fpy_pty_deliver(b); /* what an earlier round could not write */
    if (b->conn != NULL) {
        fpy_tcp_flush(b->conn);
        if (b->conn->broken)
            fpy_tcp_close(b);
    }
}

/* The poll timeout for this board, in ms (rounded up), from `now`. */
/* 1 when the board's due output can go somewhere now (else waiting for
 * it would spin: a TCP client not yet known to be raw or Telnet, a full
 * buffer toward the host). */
static int fpy_board_can_deliver(const fpy_simboard *b)
{
    if (b->conn != NULL)
        return b->conn->st.mode != FPY_RFC2217_UNDECIDED &&
               sizeof b->conn->out - b->conn->outlen >= 2;
    return !b->has_pty || b->pty.hung || b->pty_outlen < sizeof b->pty_out;
}

static int fpy_board_wait_ms(const fpy_simboard *b, uint64_t now, int max_ms)
{
    const fpy_link_dir *in = &b->link.dir[FPY_LINK_TO_BOARD];
    uint64_t t = b->ops.next_event(b->ops.ctx), h = fpy_link_host_due(&b->link);
    /* A board with output the full link cannot take is looked at again
     * in a millisecond, not in a spin. */
    if (t <= now && fpy_link_room(&b->link, FPY_LINK_FROM_BOARD) == 0)
        t = now + 1000;
    if (in->len > 0 && in->q[in->head].due_us < t)
        t = in->q[in->head].due_us;
    if (h < t && fpy_board_can_deliver(b))
        t = h;
    if (b->conn != NULL && b->conn->st.mode == FPY_RFC2217_UNDECIDED) {
        uint64_t raw = b->conn->since_us + FPY_SIMRUN_RAW_AFTER_US;
        t = raw < t ? raw : t;
    }
    if (b->has_pty && b->pty.hung && max_ms > FPY_PTY_RECHECK_MS)
        max_ms = FPY_PTY_RECHECK_MS;
    if (t == UINT64_MAX)
        return max_ms;
    if (t <= now)
        return 0;
    uint64_t ms = (t - now + 999) / 1000;
    return ms < (uint64_t)max_ms ? (int)ms : max_ms;
}

/* ---- the loop -------------------------------------------------------------- */

typedef struct fpy_pollset {
    struct pollfd fd[2 + FPY_SIMRUN_MAX_CTL + 3 * FPY_SIMRUN_MAX_BOARDS];
    nfds_t n;
} fpy_pollset;

static void fpy_poll_add(fpy_pollset *ps, int fd, short ev)
{
    if (fd >= 0)
        ps->fd[ps->n++] = (struct pollfd){.fd = fd, .events = ev};
}

static void fpy_poll_fill(const fpy_simrun *r, fpy_pollset *ps)
{
    ps->n = 0;
    fpy_poll_add(ps, r->ctl_fd, POLLIN);
    for (int i = 0; i < FPY_SIMRUN_MAX_CTL; i++)
        fpy_poll_add(ps, r->ctl[i].fd, POLLIN);
    for (int i = 0; i < r->nb; i++) {
        const fpy_simboard *b = r->b[i];
        fpy_poll_add(ps, b->listen_fd, POLLIN);
        if (b->conn != NULL)
            fpy_poll_add(ps, b->conn->fd, (short)(POLLIN | (b->conn->outlen ? POLLOUT : 0)));
        if (b->has_pty && !b->pty.hung)
            fpy_poll_add(ps, b->pty.master, (short)(POLLIN | (b->pty_outlen ? POLLOUT : 0)));
    }
}

int fpy_simrun_step(fpy_simrun *r, int max_wait_ms)
{
    fpy_pollset ps;
    uint64_t now = fpy_simrun_now(r);
    int wait = max_wait_ms < FPY_POLL_MAX_MS ? max_wait_ms : FPY_POLL_MAX_MS;
    for (int i = 0; i < r->nb; i++)
        wait = fpy_board_wait_ms(r->b[i], now, wait);
    fpy_poll_fill(r, &ps);
    if (poll(ps.fd, ps.n, wait) < 0 && errno != EINTR)
        return r->quit;
    now = fpy_simrun_now(r);
    if (r->ctl_fd >= 0)
        fpy_ctl_accept(r);
    for (int i = 0; i < FPY_SIMRUN_MAX_CTL && !r->quit; i++)
        if (r->ctl[i].fd >= 0)
            fpy_ctl_read(r, &r->ctl[i]);
    for (int i = 0; i < r->nb; i++) {
        r->b[i]->now = now;
        if (r->b[i]->listen_fd >= 0)
            fpy_tcp_accept(r->b[i]);
        fpy_board_service(r->b[i], now);
    }
    return r->quit;
}

void fpy_simrun_run(fpy_simrun *r)
{
    while (!r->quit && (r->cfg.stop == NULL || !*r->cfg.stop))
        fpy_simrun_step(r, FPY_POLL_MAX_MS);
}

fpy_simrun *fpy_simrun_new(const fpy_simrun_cfg *cfg, char *err, size_t errlen)
{
    fpy_simrun *r = calloc(1, sizeof *r);
    if (r == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (cfg != NULL)
        r->cfg = *cfg;
    clock_gettime(CLOCK_MONOTONIC, &r->t0);
    r->ctl_fd = -1;
    for (int i = 0; i < FPY_SIMRUN_MAX_CTL; i++)
        r->ctl[i].fd = -1;
    if (r->cfg.ctl_path != NULL && fpy_ctl_listen(r, r->cfg.ctl_path, err, errlen) != 0) {
        free(r);
        return NULL;
    }
    return r;
}

int fpy_simrun_add(fpy_simrun *r, const fpy_simrun_board *bc, char *err, size_t errlen)
{
    if (r->nb == FPY_SIMRUN_MAX_BOARDS) {
        snprintf(err, errlen, "at most %d boards", FPY_SIMRUN_MAX_BOARDS);
        return -1;
    }
    fpy_simboard *b = calloc(1, sizeof *b);
    if (b == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    b->run = r;
    b->ops = bc->ops;
    b->listen_fd = -1;
    b->port = -1;
    fpy_link_init(&b->link, &bc->link);
    if ((bc->pty && fpy_pty_open(&b->pty, bc->link_path, err, errlen) != 0) ||
        (bc->tcp && fpy_tcp_listen(b, bc->tcp_port, err, errlen) != 0)) {
        if (bc->pty && b->pty.master >= 0)
            fpy_pty_close(&b->pty);
        free(b);
        return -1;
    }
    b->has_pty = bc->pty;
    r->b[r->nb] = b;
    return r->nb++;
}

void fpy_simrun_free(fpy_simrun *r)
{
    if (r == NULL)
        return;
    for (int i = 0; i < r->nb; i++) {
        fpy_simboard *b = r->b[i];
        if (b->conn != NULL)
            fpy_tcp_close(b);
        if (b->listen_fd >= 0)
            close(b->listen_fd);
        if (b->has_pty)
            fpy_pty_close(&b->pty);
        free(b);
    }
    for (int i = 0; i < FPY_SIMRUN_MAX_CTL; i++)
        if (r->ctl[i].fd >= 0)
            close(r->ctl[i].fd);
    if (r->ctl_fd >= 0) {
        close(r->ctl_fd);
        unlink(r->ctl_path);
    }
    free(r);
}

const char *fpy_simrun_pty_path(const fpy_simrun *r, int board)
{
    return board >= 0 && board < r->nb && r->b[board]->has_pty ? r->b[board]->pty.path : NULL;
}

int fpy_simrun_tcp_port(const fpy_simrun *r, int board)
{
    return board >= 0 && board < r->nb ? r->b[board]->port : -1;
}

const char *fpy_simrun_ctl_path(const fpy_simrun *r)
{
    return r->ctl_fd >= 0 ? r->ctl_path : NULL;
}

fpy_link *fpy_simrun_link(fpy_simrun *r, int board)
{
    return board >= 0 && board < r->nb ? &r->b[board]->link : NULL;
}
