/* Zerynth's sfw API over the system seam, and the simulated system. */
#include "fipy/sfw.h"

#include <stddef.h>

int fpy_sfw_watchdog(const fpy_sys *s, uint32_t time0, uint32_t timeout_ms)
{
    /* The ESP32 RTC watchdog has no window: Zerynth raised here too. */
    if (time0 > 0)
        return FPY_ERR_UNSUPPORTED;
    if (timeout_ms == 0 || timeout_ms > FPY_SFW_WDT_MAX_MS)
        return FPY_ERR_INVAL;
    return s->ops->wdt_start(s->ctx, timeout_ms);
}

int fpy_sfw_kick(const fpy_sys *s)
{
    return s->ops->wdt_feed(s->ctx);
}

int fpy_sfw_watchdog_triggered(const fpy_sys *s)
{
    return s->ops->reset_reason(s->ctx) == FPY_RESET_WATCHDOG;
}

const char *fpy_sfw_reset_name(int reason)
{
    switch (reason) {
    case FPY_RESET_RESET: return "reset";
    case FPY_RESET_INTERRUPT: return "interrupt";
    case FPY_RESET_TIMEOUT: return "timeout";
    case FPY_RESET_WATCHDOG: return "watchdog";
    case FPY_RESET_PANIC: return "panic";
    default: return "unknown";
    }
}

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
