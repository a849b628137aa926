/* The romclient's link over an in-process virtual board: see vblink.h. */
#include "vblink.h"

#include <string.h>

#include "link.h"
#include "fipy/err.h"

void fpy_vblink_init(fpy_vblink *l, fpy_vboard *b, uint64_t now_us)
{
    *l = (fpy_vblink){b, now_us, 115200u, 0, 0, NULL, 0, 0};
}

static int vbl_write(void *ctx, const void *buf, size_t n, uint32_t timeout_ms)
{
    fpy_vblink *l = ctx;
    (void)timeout_ms;
    l->now += fpy_link_wire_us(n, l->baud); /* the last byte has arrived */
    fpy_vboard_rx(l->b, l->now, buf, n, l->baud);
    l->host_bytes += n;
    return FPY_OK;
}

static void vbl_tap(fpy_vblink *l, const void *buf, size_t n)
{
    if (l->tap == NULL || l->tap_cap == 0)
        return;
    size_t k = n < l->tap_cap - 1 - l->tap_len ? n : l->tap_cap - 1 - l->tap_len;
    const uint8_t *p = buf;
    for (size_t i = 0; i < k; i++) /* NULs (in replies) as '.', for strstr */
        l->tap[l->tap_len++] = p[i] != 0 ? (char)p[i] : '.';
    l->tap[l->tap_len] = 0;
}

static long vbl_read(void *ctx, void *buf, size_t cap, uint32_t timeout_ms)
{
    fpy_vblink *l = ctx;
    uint64_t end = l->now + (uint64_t)timeout_ms * 1000u;
    for (;;) {
        size_t n = fpy_vboard_tx(l->b, l->now, buf, cap);
        if (n > 0) {
            vbl_tap(l, buf, n);
            return (long)n;
        }
        uint64_t t = fpy_vboard_next_event(l->b);
        if (t > end) {
            l->now = end;
            fpy_vboard_advance(l->b, l->now);
            return 0;
        }
        l->now = t > l->now ? t : l->now + 1u; /* an event due now that gave nothing */
    }
}

static int vbl_set_baud(void *ctx, uint32_t baud)
{
    ((fpy_vblink *)ctx)->baud = baud;
    return FPY_OK;
}

static int vbl_set_lines(void *ctx, int dtr, int rts)
{
    fpy_vblink *l = ctx;
    if (l->no_lines)
        return FPY_ERR_UNSUPPORTED;
    fpy_vboard_lines(l->b, l->now, dtr, rts);
    return FPY_OK;
}

static int vbl_flush(void *ctx)
{
    fpy_vblink *l = ctx;
    uint8_t junk[512];
    size_t n;
    while ((n = fpy_vboard_tx(l->b, l->now, junk, sizeof junk)) > 0)
        vbl_tap(l, junk, n);
    return FPY_OK;
}

static void vbl_sleep(void *ctx, uint32_t ms)
{
    fpy_vblink_wait(ctx, (uint64_t)ms * 1000u);
}

void fpy_vblink_wait(fpy_vblink *l, uint64_t us)
{
    l->now += us;
    fpy_vboard_advance(l->b, l->now);
}

fpy_rom_link fpy_vblink_link(fpy_vblink *l)
{
    static const fpy_rom_link_ops ops = {vbl_write, vbl_read, vbl_set_baud,
                                         vbl_set_lines, vbl_flush, vbl_sleep};
    return (fpy_rom_link){&ops, l};
}

int fpy_vblink_reset(void *ctx)
{
    fpy_vblink *l = ctx;
    fpy_vboard_reset(l->b, l->now);
    return FPY_OK;
}
