/* Zerynth's sfw API over the system seam. */
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
