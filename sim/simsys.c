/* The simulated system: see sim/simsys.h. */
#include "simsys.h"

static uint64_t fpy_ss_now(void *ctx)
{
    return ((fpy_simsys *)ctx)->now_ms;
}

static int fpy_ss_wdt_start(void *ctx, uint32_t timeout_ms)
{
    fpy_simsys *s = ctx;
    s->wdt_armed = 1;
    s->wdt_timeout_ms = timeout_ms;
    s->wdt_deadline_ms = s->now_ms + timeout_ms;
    return FPY_OK;
}

static int fpy_ss_wdt_feed(void *ctx)
{
    fpy_simsys *s = ctx;
    if (!s->wdt_armed)
        return FPY_ERR_STATE;
    s->wdt_deadline_ms = s->now_ms + s->wdt_timeout_ms;
    return FPY_OK;
}

static int fpy_ss_reason(void *ctx)
{
    return ((fpy_simsys *)ctx)->reason;
}

const fpy_sys_ops fpy_simsys_ops = {
    .now_ms = fpy_ss_now,
    .wdt_start = fpy_ss_wdt_start,
    .wdt_feed = fpy_ss_wdt_feed,
    .reset_reason = fpy_ss_reason,
};

void fpy_simsys_init(fpy_simsys *s, fpy_sys *out)
{
    *s = (fpy_simsys){0};
    s->reason = FPY_RESET_RESET;
    out->ops = &fpy_simsys_ops;
    out->ctx = s;
}

int fpy_simsys_advance(fpy_simsys *s, uint32_t ms)
{
    s->now_ms += ms;
    if (s->wdt_armed && s->now_ms >= s->wdt_deadline_ms)
        s->fired = 1;
    return s->fired;
}

void fpy_simsys_reset(fpy_simsys *s, int reason)
{
    s->reason = reason;
    s->wdt_armed = 0;
    s->fired = 0;
}
