/*
 * host/conn.h: picking the kind of connection from the spec, and the
 * poll()-based reads and writes all kinds share.  The kinds live in
 * conn_tty.c (serial devices and ptys) and conn_tcp.c (RFC 2217, plain
 * sockets); discovery in conn_find.c.
 *
 * Signals: poll() and read()/write() interrupted by a signal (EINTR) are
 * retried with the time left, so a SIGCHLD or SIGWINCH never turns into a
 * failed flash; a caller that wants Ctrl-C to stop a long wait keeps
 * SIGINT's default action or waits in short slices.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conn_int.h"
#include "fipy/err.h"

int64_t fpy_conn_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int fpy_conn_left_ms(int64_t deadline_ms)
{
    int64_t left = deadline_ms - fpy_conn_now_ms();
    if (left < 0)
        return 0;
    return left > 0x7FFFFFFF ? 0x7FFFFFFF : (int)left;
}

int fpy_conn_fail(fpy_conn *c, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->last_err, sizeof c->last_err, fmt, ap);
    va_end(ap);
    return rc;
}

const char *fpy_conn_last_error(const fpy_conn *c)
{
    return c->last_err;
}

int fpy_conn_wait(fpy_conn *c, short events, int64_t deadline_ms)
{
    for (;;) {
        struct pollfd p = {.fd = c->fd, .events = events};
        int r = poll(&p, 1, fpy_conn_left_ms(deadline_ms));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return fpy_conn_fail(c, FPY_ERR_IO, "%s: poll: %s", c->name, strerror(errno));
        if (r == 0)
            return FPY_ERR_TIMEOUT;
        /* Readable data is taken before a hang-up is believed: a board
         * that says its last words and disconnects is heard. */
        if ((p.revents & events) != 0)
            return FPY_OK;
        return fpy_conn_fail(c, FPY_ERR_IO,
                             "%s: the link is gone (hang-up: unplugged, or the other end closed)",
                             c->name);
    }
}

static ssize_t fpy_conn_put(fpy_conn *c, const uint8_t *p, size_t n)
{
    if (c->is_socket)
        return send(c->fd, p, n, MSG_NOSIGNAL); /* a closed peer is EPIPE, not SIGPIPE */
    return write(c->fd, p, n);
}

int fpy_conn_write_fd(fpy_conn *c, const void *buf, size_t n, int64_t deadline_ms)
{
    const uint8_t *p = buf;
    while (n > 0) {
        ssize_t w = fpy_conn_put(c, p, n);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return fpy_conn_fail(c, FPY_ERR_IO, "%s: write: %s (the link is gone)", c->name,
                                 strerror(errno));
        int rc = fpy_conn_wait(c, POLLOUT, deadline_ms);
        if (rc == FPY_ERR_TIMEOUT)
            return fpy_conn_fail(c, rc, "%s: write timed out with %zu bytes unsent", c->name, n);
        if (rc != FPY_OK)
            return rc;
    }
    return FPY_OK;
}

fpy_conn *fpy_conn_alloc(const char *spec)
{
    fpy_conn *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    size_t n = strlen(spec) + 1;
    c->name = malloc(n);
    if (c->name == NULL) {
        free(c);
        return NULL;
    }
    memcpy(c->name, spec, n);
    c->fd = -1;
    return c;
}

static int fpy_conn_prefixed(const char *spec, const char *prefix, const char **rest)
{
    size_t n = strlen(prefix);
    if (strncmp(spec, prefix, n) != 0)
        return 0;
    *rest = spec + n;
    return 1;
}

int fpy_conn_open(fpy_conn **out, const char *spec, uint32_t baud, char *err, size_t errlen)
{
    const char *rest = NULL;
    int rc;
    *out = NULL;
    if (spec == NULL || spec[0] == '\0') {
        snprintf(err, errlen, "no port given: name a serial device (/dev/ttyACM0), "
                              "rfc2217://HOST:PORT or socket://HOST:PORT");
        return FPY_ERR_INVAL;
    }
    if (baud == 0) {
        snprintf(err, errlen, "%s: baud rate 0 is not a speed", spec);
        return FPY_ERR_INVAL;
    }
    fpy_conn *c = fpy_conn_alloc(spec);
    if (c == NULL) {
        snprintf(err, errlen, "%s: out of memory", spec);
        return FPY_ERR_NOSPC;
    }
    if (fpy_conn_prefixed(spec, "rfc2217://", &rest))
        rc = fpy_conn_rfc2217_open(c, rest, baud, err, errlen);
    else if (fpy_conn_prefixed(spec, "socket://", &rest))
        rc = fpy_conn_socket_open(c, rest, err, errlen);
    else if (strstr(spec, "://") != NULL) {
        snprintf(err, errlen, "%s: unknown kind of port; use a device path, "
                              "rfc2217://HOST:PORT or socket://HOST:PORT", spec);
        rc = FPY_ERR_INVAL;
    } else
        rc = fpy_conn_tty_open(c, spec, baud, err, errlen);
    if (rc != FPY_OK) {
        fpy_conn_close(c);
        return rc;
    }
    *out = c;
    return FPY_OK;
}

void fpy_conn_close(fpy_conn *c)
{
    if (c == NULL)
        return;
    fpy_conn_tty_release(c);
    if (c->fd >= 0)
        close(c->fd);
    free(c->name);
    free(c);
}

const char *fpy_conn_name(const fpy_conn *c)
{
    return c->name;
}

int fpy_conn_set_baud(fpy_conn *c, uint32_t baud)
{
    if (baud == 0)
        return fpy_conn_fail(c, FPY_ERR_INVAL, "%s: baud rate 0 is not a speed", c->name);
    int rc = c->ops->set_baud(c, baud);
    if (rc == FPY_OK)
        c->baud = baud;
    return rc;
}

int fpy_conn_set_lines(fpy_conn *c, int dtr, int rts)
{
    int rc = c->ops->set_lines(c, dtr != 0, rts != 0);
    if (rc == FPY_OK) {
        c->dtr = dtr != 0;
        c->rts = rts != 0;
    }
    return rc;
}

int fpy_conn_dtr_first(int old_dtr, int old_rts, int dtr, int rts)
{
    /* DTR first passes through (dtr, old_rts); RTS first through
     * (old_dtr, rts).  EN is low while RTS is asserted and DTR is not:
     * take the way whose step between does not hold EN low. */
    int dtr_step_resets = old_rts && !dtr;
    int rts_step_resets = rts && !old_dtr;
    return !dtr_step_resets || rts_step_resets;
}

int fpy_conn_write(fpy_conn *c, const void *buf, size_t n, uint32_t timeout_ms)
{
    if (n == 0)
        return FPY_OK;
    return c->ops->write(c, buf, n, fpy_conn_now_ms() + timeout_ms);
}

/* Hand out decoded bytes that are waiting in c->rx. */
static size_t fpy_conn_take(fpy_conn *c, void *buf, size_t cap)
{
    size_t n = c->rx_len < cap ? c->rx_len : cap;
    memcpy(buf, c->rx + c->rx_off, n);
    c->rx_off += n;
    c->rx_len -= n;
    if (c->rx_len == 0)
        c->rx_off = 0;
    return n;
}

long fpy_conn_read(fpy_conn *c, void *buf, size_t cap, uint32_t timeout_ms)
{
    int64_t deadline = fpy_conn_now_ms() + timeout_ms;
    if (cap == 0)
        return 0;
    while (c->rx_len == 0) {
        int rc = fpy_conn_wait(c, POLLIN, deadline);
        if (rc == FPY_ERR_TIMEOUT)
            return 0;
        if (rc != FPY_OK)
            return rc;
        rc = c->ops->fill(c); /* may add nothing: a Telnet command alone */
        if (rc != FPY_OK)
            return rc;
        if (c->rx_len == 0 && fpy_conn_left_ms(deadline) == 0)
            return 0;
    }
    /* Take more if the fd has it at once, so a burst comes in one call. */
    if (c->rx_len < cap && fpy_conn_wait(c, POLLIN, fpy_conn_now_ms()) == FPY_OK)
        (void)c->ops->fill(c); /* an error shows on the next read */
    return (long)fpy_conn_take(c, buf, cap);
}

int fpy_conn_flush_input(fpy_conn *c)
{
    c->rx_off = 0;
    c->rx_len = 0;
    return c->ops->flush_input(c);
}
