/*
 * Fuzz the virtual board's control channel (sim/ctl.c): each line of the
 * input is parsed as the control socket would, and what parses is
 * carried out on a fake board and a real link model.  Checked: a refusal
 * has a message, a reply is one line starting "ok" or "error: ", the
 * link never holds more fault rules than its table.  Aborts (a crash for
 * the fuzzer) otherwise.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void f_rx(void *c, uint64_t t, const uint8_t *p, size_t n, uint32_t b)
{
    (void)c, (void)t, (void)p, (void)n, (void)b;
}
static size_t f_tx(void *c, uint64_t t, uint8_t *p, size_t n)
{
    (void)c, (void)t, (void)p, (void)n;
    return 0;
}
static uint64_t f_next(void *c)
{
    (void)c;
    return UINT64_MAX;
}
static uint32_t f_baud(void *c)
{
    (void)c;
    return 115200;
}
static void f_lines(void *c, uint64_t t, int d, int r)
{
    (void)c, (void)t, (void)d, (void)r;
}
static void f_jumper(void *c, int on)
{
    if (on != 0 && on != 1)
        abort();
    (void)c;
}
static void f_reset(void *c, uint64_t t)
{
    (void)c, (void)t;
}
static void f_power(void *c, uint64_t t, int on)
{
    if (on != 0 && on != 1)
        abort();
    (void)c, (void)t;
}
static void f_cut(void *c, uint32_t n)
{
    (void)c, (void)n;
}
static void f_status(void *c, fpy_vboard_status *st)
{
    (void)c;
    memset(st, 0, sizeof *st);
    st->mode = "download";
}

static void fuzz_line(const fpy_link_board *ops, fpy_link *l, const char *p, size_t n)
{
    fpy_ctl_req req;
    char err[200] = "", reply[FPY_CTL_REPLY_MAX];
    if (fpy_ctl_parse(p, n, &req, err, sizeof err) != 0) {
        if (err[0] == '\0' || memchr(err, '\n', sizeof err) != NULL)
            abort();
        return;
    }
    fpy_ctl_exec(&req, ops, l, 0, reply, sizeof reply);
    if ((strncmp(reply, "ok", 2) != 0 && strncmp(reply, "error: ", 7) != 0) ||
        strchr(reply, '\n') != NULL || l->nrules > FPY_LINK_MAX_RULES)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fpy_link l;
    const fpy_link_board ops = {NULL,    f_rx,     f_tx,    f_next,  NULL, f_baud,
                                f_lines, f_jumper, f_reset, f_power, f_cut, f_status};
    fpy_link_init(&l, NULL);
    const char *p = (const char *)data;
    size_t left = size;
    while (left > 0) {
        const char *nl = memchr(p, '\n', left);
        size_t n = nl != NULL ? (size_t)(nl - p) : left;
        fuzz_line(&ops, &l, p, n);
        n += nl != NULL;
        p += n;
        left -= n;
    }
    return 0;
}
