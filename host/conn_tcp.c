/*
 * TCP connections for host/conn.h: RFC 2217 (rfc2217://HOST:PORT, the
 * virtual board's port or a remote serial server, spoken the way pyserial
 * 3.5 speaks it, so a server esptool works with works with us) and plain
 * sockets (socket://HOST:PORT: no lines, no baud).
 *
 * Every RFC 2217 request waits for the server's answer (pyserial does
 * the same) and checks that it echoes the value asked for; only
 * SET-CONTROL can skip its wait, with "?ign_set_control" as in pyserial,
 * for servers that never answer it (esptool's esp_rfc2217_server).
 */
#define _DEFAULT_SOURCE /* getaddrinfo flags, NI_* */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn_int.h"
#include "fipy/err.h"

#define FPY_CONN_CONNECT_MS 5000 /* pyserial's TCP connect timeout */
#define FPY_CONN_ANSWER_MS 3000  /* pyserial's network_timeout for each answer */

/* ---- HOST:PORT ------------------------------------------------------------ */

typedef struct fpy_conn_addr {
    char host[256];
    char port[16];
    int ign_set_control;
} fpy_conn_addr;

static int fpy_conn_bad_addr(const char *spec, const char *why, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: %s; write HOST:PORT, e.g. rfc2217://localhost:4000", spec, why);
    return FPY_ERR_INVAL;
}

/* Options after '?', '&'-separated: only ign_set_control, and only when
 * `allow` (RFC 2217). */
static int fpy_conn_options(const char *opts, int allow, fpy_conn_addr *a, const char *spec,
                            char *err, size_t errlen)
{
    while (opts != NULL && *opts != '\0') {
        size_t n = strcspn(opts, "&");
        if (allow && n == strlen("ign_set_control") &&
            strncmp(opts, "ign_set_control", n) == 0)
            a->ign_set_control = 1;
        else {
            snprintf(err, errlen, "%s: unknown option '%.*s'%s", spec, (int)n, opts,
                     allow ? " (known: ign_set_control)" : " (socket:// takes none)");
            return FPY_ERR_INVAL;
        }
        opts += n + (opts[n] == '&');
    }
    return FPY_OK;
}

static int fpy_conn_parse_addr(const char *hostport, int allow_opts, fpy_conn_addr *a,
                               const char *spec, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    size_t len = strcspn(hostport, "?");
    const char *opts = hostport[len] == '?' ? hostport + len + 1 : NULL;
    const char *colon = NULL;
    for (size_t i = 0; i < len; i++)
        if (hostport[i] == ':')
            colon = hostport + i;
    if (colon == NULL)
        return fpy_conn_bad_addr(spec, "no port number", err, errlen);
    size_t hl = (size_t)(colon - hostport), pl = len - hl - 1;
    const char *h = hostport;
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') { /* [::1]:4000 */
        h++;
        hl -= 2;
    }
    if (hl == 0 || hl >= sizeof a->host)
        return fpy_conn_bad_addr(spec, hl == 0 ? "no host name" : "host name too long", err,
                                 errlen);
    if (pl == 0 || pl > 5 || strspn(colon + 1, "0123456789") < pl ||
        strtoul(colon + 1, NULL, 10) == 0 || strtoul(colon + 1, NULL, 10) > 65535)
        return fpy_conn_bad_addr(spec, "the port must be a number from 1 to 65535", err, errlen);
    memcpy(a->host, h, hl);
    memcpy(a->port, colon + 1, pl);
    return fpy_conn_options(opts, allow_opts, a, spec, err, errlen);
}

/* ---- connect ---------------------------------------------------------------- */

/* One address: non-blocking connect within the deadline.  The socket, or
 * -1 with errno (ETIMEDOUT when the deadline passed). */
static int fpy_conn_try(const struct addrinfo *ai, int64_t deadline)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
    if (fd < 0)
        return -1;
    int e = 0;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        e = errno;
        while (e == EINPROGRESS || e == EINTR) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            int r = poll(&p, 1, fpy_conn_left_ms(deadline));
            if (r < 0 && errno == EINTR)
                continue;
            socklen_t sl = sizeof e;
            if (r == 0)
                e = ETIMEDOUT;
            else if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) != 0)
                e = errno;
        }
    }
    if (e != 0) {
        close(fd);
        errno = e;
        return -1;
    }
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* small packets */
    return fd;
}

static int fpy_conn_connect(fpy_conn *c, const fpy_conn_addr *a, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int g = getaddrinfo(a->host, a->port, &hints, &res);
    if (g != 0) {
        snprintf(err, errlen, "%s: unknown host '%s' (%s): check the name, or use an IP "
                              "address", c->name, a->host, gai_strerror(g));
        return FPY_ERR_NOTFOUND;
    }
    int64_t deadline = fpy_conn_now_ms() + FPY_CONN_CONNECT_MS;
    int e = ECONNREFUSED;
    for (struct addrinfo *ai = res; ai != NULL && c->fd < 0; ai = ai->ai_next) {
        c->fd = fpy_conn_try(ai, deadline);
        e = errno;
    }
    freeaddrinfo(res);
    if (c->fd >= 0)
        return FPY_OK;
    if (e == ECONNREFUSED) {
        snprintf(err, errlen, "%s: connection refused by %s port %s: is the server (the "
                              "virtual board, ser2net, esp_rfc2217_server) running and "
                              "listening on that port?", c->name, a->host, a->port);
        return FPY_ERR_IO;
    }
    if (e == ETIMEDOUT) {
        snprintf(err, errlen, "%s: no answer from %s port %s within %d s: is the host up, "
                              "and is a firewall in the way?", c->name, a->host, a->port,
                 FPY_CONN_CONNECT_MS / 1000);
        return FPY_ERR_TIMEOUT;
    }
    snprintf(err, errlen, "%s: cannot connect to %s port %s: %s", c->name, a->host, a->port,
             strerror(e));
    return FPY_ERR_IO;
}

/* ---- socket:// ----------------------------------------------------------------- */

static int fpy_conn_sock_baud(fpy_conn *c, uint32_t baud)
{
    (void)c;
    (void)baud; /* a socket has no speed: the far end sets its own */
    return FPY_OK;
}

static int fpy_conn_sock_lines(fpy_conn *c, int dtr, int rts)
{
    (void)dtr;
    (void)rts;
    return fpy_conn_fail(c, FPY_ERR_UNSUPPORTED,
                         "%s has no DTR/RTS lines (a plain socket): put the board in download "
                         "mode by hand, or use rfc2217://", c->name);
}

/* Read what the socket has: raw bytes for socket://, decoded ones for
 * RFC 2217 (in place: decoding only shrinks). */
static int fpy_conn_sock_read(fpy_conn *c, uint8_t **at, size_t *got)
{
    if (c->rx_off > 0 && c->rx_len > 0)
        memmove(c->rx, c->rx + c->rx_off, c->rx_len);
    c->rx_off = 0;
    *at = c->rx + c->rx_len;
    *got = 0;
    size_t room = sizeof c->rx - c->rx_len;
    if (room == 0)
        return FPY_OK;
    for (;;) {
        ssize_t r = recv(c->fd, *at, room, 0);
        if (r > 0) {
            *got = (size_t)r;
            return FPY_OK;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return FPY_OK;
        return fpy_conn_fail(c, FPY_ERR_IO, "%s: the link is gone (%s)", c->name,
                             r == 0 ? "closed by the other end" : strerror(errno));
    }
}

static int fpy_conn_sock_fill(fpy_conn *c)
{
    uint8_t *at;
    size_t got;
    FPY_TRY(fpy_conn_sock_read(c, &at, &got));
    c->rx_len += got;
    return FPY_OK;
}

/* Drop what the socket has buffered now (pyserial does the same). */
static int fpy_conn_sock_flush(fpy_conn *c)
{
    while (fpy_conn_wait(c, POLLIN, fpy_conn_now_ms()) == FPY_OK) {
        FPY_TRY(c->ops->fill(c));
        if (c->rx_len == 0)
            break; /* readable with nothing new: a Telnet command alone */
        c->rx_len = 0;
        c->rx_off = 0;
    }
    c->rx_len = 0;
    c->rx_off = 0;
    return FPY_OK;
}

static int fpy_conn_sock_write(fpy_conn *c, const void *buf, size_t n, int64_t deadline_ms)
{
    return fpy_conn_write_fd(c, buf, n, deadline_ms);
}

static const fpy_conn_ops fpy_conn_sock_ops = {
    .set_baud = fpy_conn_sock_baud,
    .set_lines = fpy_conn_sock_lines,
    .flush_input = fpy_conn_sock_flush,
    .fill = fpy_conn_sock_fill,
    .write = fpy_conn_sock_write,
};

int fpy_conn_socket_open(fpy_conn *c, const char *hostport, char *err, size_t errlen)
{
    fpy_conn_addr a;
    FPY_TRY(fpy_conn_parse_addr(hostport, 0, &a, c->name, err, errlen));
    c->is_socket = 1;
    c->ops = &fpy_conn_sock_ops;
    return fpy_conn_connect(c, &a, err, errlen);
}

/* ---- rfc2217:// ----------------------------------------------------------------- */

/* Send what the decoder queued (refusals of options we do not do). */
static int fpy_conn_tn_replies(fpy_conn *c)
{
    if (c->tn.reply_len == 0)
        return FPY_OK;
    size_t n = c->tn.reply_len;
    c->tn.reply_len = 0;
    return fpy_conn_write_fd(c, c->tn.reply, n, fpy_conn_now_ms() + FPY_CONN_ANSWER_MS);
}

static int fpy_conn_tn_fill(fpy_conn *c)
{
    uint8_t *at;
    size_t got;
    FPY_TRY(fpy_conn_sock_read(c, &at, &got));
    c->rx_len += fpy_tn_feed(&c->tn, at, got, at);
    return fpy_conn_tn_replies(c);
}

static const char *fpy_conn_code_name(uint8_t code)
{
    switch (code) {
    case FPY_RFC2217_SET_BAUDRATE: return "SET-BAUDRATE";
    case FPY_RFC2217_SET_DATASIZE: return "SET-DATASIZE";
    case FPY_RFC2217_SET_PARITY: return "SET-PARITY";
    case FPY_RFC2217_SET_STOPSIZE: return "SET-STOPSIZE";
    case FPY_RFC2217_SET_CONTROL: return "SET-CONTROL";
    case FPY_RFC2217_PURGE_DATA: return "PURGE-DATA";
    default: return "COM-PORT request";
    }
}

/* Send one COM-PORT request; *before* gets the answer count so far. */
static int fpy_conn_tn_ask(fpy_conn *c, uint8_t code, const uint8_t *v, size_t len,
                           uint32_t *before)
{
    uint8_t msg[6 + 2 * 4];
    size_t n = fpy_tn_subneg(code, v, len, msg, sizeof msg);
    *before = fpy_tn_answer_for(&c->tn, code)->count;
    return fpy_conn_write_fd(c, msg, n, fpy_conn_now_ms() + FPY_CONN_ANSWER_MS);
}

/* Wait for the answer to a request sent when the count was `before`, and
 * check that it echoes v (pyserial: the answer must start with it). */
static int fpy_conn_tn_answered(fpy_conn *c, uint8_t code, const uint8_t *v, size_t len,
                                uint32_t before)
{
    const fpy_tn_answer *a = fpy_tn_answer_for(&c->tn, code);
    int64_t deadline = fpy_conn_now_ms() + FPY_CONN_ANSWER_MS;
    while (a->count == before) {
        int rc = fpy_conn_wait(c, POLLIN, deadline);
        if (rc == FPY_ERR_TIMEOUT)
            return fpy_conn_fail(c, rc, "%s: the server did not answer %s within %d s (not "
                                        "an RFC 2217 server? for SET-CONTROL try "
                                        "?ign_set_control)", c->name, fpy_conn_code_name(code),
                                 FPY_CONN_ANSWER_MS / 1000);
        FPY_TRY(rc);
        FPY_TRY(fpy_conn_tn_fill(c));
    }
    if (a->len < len || memcmp(a->value, v, len) != 0)
        return fpy_conn_fail(c, FPY_ERR_UNSUPPORTED, "%s: the server refused %s (answered "
                                                     "with another value)", c->name,
                             fpy_conn_code_name(code));
    return FPY_OK;
}

static int fpy_conn_tn_request(fpy_conn *c, uint8_t code, const uint8_t *v, size_t len)
{
    uint32_t before;
    FPY_TRY(fpy_conn_tn_ask(c, code, v, len, &before));
    return fpy_conn_tn_answered(c, code, v, len, before);
}

static int fpy_conn_tn_control(fpy_conn *c, uint8_t value)
{
    if (!c->ign_set_control)
        return fpy_conn_tn_request(c, FPY_RFC2217_SET_CONTROL, &value, 1);
    uint32_t before;
    return fpy_conn_tn_ask(c, FPY_RFC2217_SET_CONTROL, &value, 1, &before);
}

static int fpy_conn_tn_baud(fpy_conn *c, uint32_t baud)
{
    uint8_t v[4] = {(uint8_t)(baud >> 24), (uint8_t)(baud >> 16), (uint8_t)(baud >> 8),
                    (uint8_t)baud}; /* big-endian on the wire */
    return fpy_conn_tn_request(c, FPY_RFC2217_SET_BAUDRATE, v, 4);
}

static int fpy_conn_tn_lines(fpy_conn *c, int dtr, int rts)
{
    uint8_t d = dtr ? FPY_RFC2217_DTR_ON : FPY_RFC2217_DTR_OFF;
    uint8_t r = rts ? FPY_RFC2217_RTS_ON : FPY_RFC2217_RTS_OFF;
    if (fpy_conn_dtr_first(c->dtr, c->rts, dtr, rts)) {
        FPY_TRY(fpy_conn_tn_control(c, d));
        return fpy_conn_tn_control(c, r);
    }
    FPY_TRY(fpy_conn_tn_control(c, r));
    return fpy_conn_tn_control(c, d);
}

/* PURGE-DATA 1: the server drops what it holds for us; what arrived
 * before its answer is dropped here. */
static int fpy_conn_tn_flush(fpy_conn *c)
{
    uint8_t v = 1;
    FPY_TRY(fpy_conn_tn_request(c, FPY_RFC2217_PURGE_DATA, &v, 1));
    c->rx_len = 0;
    c->rx_off = 0;
    return FPY_OK;
}

/* Data with 0xFF doubled, in chunks. */
static int fpy_conn_tn_write(fpy_conn *c, const void *buf, size_t n, int64_t deadline_ms)
{
    uint8_t wire[4096];
    size_t used = 0;
    while (used < n) {
        size_t k = fpy_tn_escape(buf, n, &used, wire, sizeof wire);
        FPY_TRY(fpy_conn_write_fd(c, wire, k, deadline_ms));
    }
    return FPY_OK;
}

static const fpy_conn_ops fpy_conn_tn_ops = {
    .set_baud = fpy_conn_tn_baud,
    .set_lines = fpy_conn_tn_lines,
    .flush_input = fpy_conn_tn_flush,
    .fill = fpy_conn_tn_fill,
    .write = fpy_conn_tn_write,
};

/* The opening: our requests, then wait for DO COM-PORT. */
static int fpy_conn_tn_hello(fpy_conn *c)
{
    uint8_t hello[16];
    size_t n = fpy_tn_hello(&c->tn, hello, sizeof hello);
    int64_t deadline = fpy_conn_now_ms() + FPY_CONN_ANSWER_MS;
    FPY_TRY(fpy_conn_write_fd(c, hello, n, deadline));
    while (!fpy_tn_comport_ready(&c->tn)) {
        if (c->tn.comport_refused)
            return fpy_conn_fail(c, FPY_ERR_UNSUPPORTED, "%s: the server refused RFC 2217 "
                                                         "(DONT COM-PORT-OPTION): a plain "
                                                         "TCP port? try socket://", c->name);
        int rc = fpy_conn_wait(c, POLLIN, deadline);
        if (rc == FPY_ERR_TIMEOUT)
            return fpy_conn_fail(c, rc, "%s: the server did not agree to RFC 2217 within "
                                        "%d s: is it an RFC 2217 server? (a plain TCP port "
                                        "wants socket://)", c->name, FPY_CONN_ANSWER_MS / 1000);
        FPY_TRY(rc);
        FPY_TRY(fpy_conn_tn_fill(c));
    }
    return FPY_OK;
}

/* 8N1 at baud, no flow control: the four settings as one burst (as
 * pyserial sends them), their answers, then SET-CONTROL. */
static int fpy_conn_tn_setup(fpy_conn *c, uint32_t baud)
{
    uint8_t b[4] = {(uint8_t)(baud >> 24), (uint8_t)(baud >> 16), (uint8_t)(baud >> 8),
                    (uint8_t)baud};
    const uint8_t eight = 8, one = 1;
    uint32_t n0, n1, n2, n3;
    FPY_TRY(fpy_conn_tn_ask(c, FPY_RFC2217_SET_BAUDRATE, b, 4, &n0));
    FPY_TRY(fpy_conn_tn_ask(c, FPY_RFC2217_SET_DATASIZE, &eight, 1, &n1));
    FPY_TRY(fpy_conn_tn_ask(c, FPY_RFC2217_SET_PARITY, &one, 1, &n2)); /* 1 = none */
    FPY_TRY(fpy_conn_tn_ask(c, FPY_RFC2217_SET_STOPSIZE, &one, 1, &n3));
    FPY_TRY(fpy_conn_tn_answered(c, FPY_RFC2217_SET_BAUDRATE, b, 4, n0));
    FPY_TRY(fpy_conn_tn_answered(c, FPY_RFC2217_SET_DATASIZE, &eight, 1, n1));
    FPY_TRY(fpy_conn_tn_answered(c, FPY_RFC2217_SET_PARITY, &one, 1, n2));
    FPY_TRY(fpy_conn_tn_answered(c, FPY_RFC2217_SET_STOPSIZE, &one, 1, n3));
    FPY_TRY(fpy_conn_tn_control(c, FPY_RFC2217_NO_FLOW));
    /* Deassert both, RTS first: if the server had both asserted, dropping
     * DTR first would pass through "RTS only", which holds EN low. */
    FPY_TRY(fpy_conn_tn_control(c, FPY_RFC2217_RTS_OFF));
    return fpy_conn_tn_control(c, FPY_RFC2217_DTR_OFF);
}

int fpy_conn_rfc2217_open(fpy_conn *c, const char *hostport, uint32_t baud, char *err,
                          size_t errlen)
{
    fpy_conn_addr a;
    FPY_TRY(fpy_conn_parse_addr(hostport, 1, &a, c->name, err, errlen));
    c->is_socket = 1;
    c->ign_set_control = a.ign_set_control;
    c->ops = &fpy_conn_tn_ops;
    fpy_tn_init(&c->tn);
    FPY_TRY(fpy_conn_connect(c, &a, err, errlen));
    int rc = fpy_conn_tn_hello(c);
    if (rc == FPY_OK)
        rc = fpy_conn_tn_setup(c, baud);
    if (rc != FPY_OK) {
        snprintf(err, errlen, "%s", c->last_err);
        return rc;
    }
    c->baud = baud;
    c->dtr = 0;
    c->rts = 0;
    return FPY_OK;
}
