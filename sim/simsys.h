/*
 * The simulated system behind the system seam (fipy/sfw.h): not device
 * code (on the board the ops are the chip's RTC and watchdog), so it
 * lives in sim/ with the simulated flash.
 */
#ifndef FIPY_SIMSYS_H
#define FIPY_SIMSYS_H

#include <stdint.h>

#include "fipy/sfw.h"

/*
 * A simulated system for the virtual board and the tests: a clock the
 * caller advances, a watchdog that fires when the clock passes its
 * deadline, and the reset reason of the last (simulated) reset.
 */
typedef struct fpy_simsys {
    uint64_t now_ms;
    uint64_t wdt_deadline_ms;
    uint32_t wdt_timeout_ms;
    uint8_t wdt_armed;
    uint8_t fired;        /* the watchdog expired: the chip must reset */
    int reason;           /* reason of the last reset */
} fpy_simsys;

extern const fpy_sys_ops fpy_simsys_ops;

void fpy_simsys_init(fpy_simsys *s, fpy_sys *out);
/* Advance the clock; returns 1 if the watchdog fired (then the caller
 * resets the board: fpy_simsys_reset(s, FPY_RESET_WATCHDOG)). */
int fpy_simsys_advance(fpy_simsys *s, uint32_t ms);
/* A reset: records the reason and disarms the watchdog (a new boot
 * starts without one until the bootloader arms it). */
void fpy_simsys_reset(fpy_simsys *s, int reason);

#endif
