/*
 * Secure Firmware: the system seam (clock, watchdog, reset reason,
 * restart) and Zerynth's sfw API on top of it.
 *
 * Reset reasons use Zerynth's codes (pwr.py), kept across the reset by
 * the platform (RTC registers on an ESP32; the simulated system,
 * sim/simsys.h, keeps them in its struct):
 *   0 reset, 1 interrupt, 2 timeout, 3 watchdog; fipy adds 4 panic (the
 *   firmware crashed and the panic handler restarted the chip).
 *
 * The watchdog follows Zerynth's ESP32 semantics: the RTC watchdog, at
 * most 2^31 ms, no windowed mode (time0 > 0 is an error), and it cannot
 * be stopped once started.  The bootloader arms it for 30 s before it
 * starts the VM, so firmware that hangs before configuring its own
 * watchdog is reset (and, in test mode, rolled back).
 */
#ifndef FIPY_SFW_H
#define FIPY_SFW_H

#include <stdint.h>

#include "fipy/err.h"

#define FPY_RESET_RESET 0
#define FPY_RESET_INTERRUPT 1
#define FPY_RESET_TIMEOUT 2
#define FPY_RESET_WATCHDOG 3
#define FPY_RESET_PANIC 4

#define FPY_SFW_BOOT_WDT_MS 30000u
#define FPY_SFW_WDT_MAX_MS 0x80000000u

typedef struct fpy_sys_ops {
    uint64_t (*now_ms)(void *ctx);
    /* (Re)arm the watchdog: reset unless fed within timeout_ms. */
    int (*wdt_start)(void *ctx, uint32_t timeout_ms);
    int (*wdt_feed)(void *ctx);
    /* Why the chip last reset (FPY_RESET_*). */
    int (*reset_reason)(void *ctx);
} fpy_sys_ops;

typedef struct fpy_sys {
    const fpy_sys_ops *ops;
    void *ctx;
} fpy_sys;

/* sfw.watchdog(time0, timeout): FPY_ERR_UNSUPPORTED when time0 > 0 (no
 * windowed mode on ESP32), FPY_ERR_INVAL for timeout 0 or > 2^31 ms. */
int fpy_sfw_watchdog(const fpy_sys *s, uint32_t time0, uint32_t timeout_ms);
/* sfw.kick(). */
int fpy_sfw_kick(const fpy_sys *s);
/* sfw.watchdog_triggered(): 1 when the last reset was the watchdog's. */
int fpy_sfw_watchdog_triggered(const fpy_sys *s);
/* Name of a reset reason ("watchdog"), "unknown" otherwise. */
const char *fpy_sfw_reset_name(int reason);

#endif
