/*
 * The romclient's link (host/romclient.h) over an in-process virtual
 * board (sim/vboard.h), on a simulated clock: a write reaches the board's
 * RX after its wire time at the link's baud, a read moves the clock to
 * the board's next output (or by the whole timeout: then it returns 0, as
 * a read that timed out), a sleep moves it.  No thread, no real waiting:
 * the uplink's 3 s window and 5 s probes take microseconds.
 */
#ifndef FIPY_TEST_VBLINK_H
#define FIPY_TEST_VBLINK_H

#include <stdint.h>

#include "romclient.h"
#include "vboard.h"

typedef struct fpy_vblink {
    fpy_vboard *b;
    uint64_t now;          /* µs, the board's clock */
    uint32_t baud;         /* the host port's */
    uint64_t host_bytes;   /* written by the host */
    int no_lines;          /* set_lines: FPY_ERR_UNSUPPORTED */
    char *tap;             /* if set: everything the host got, NULs as '.' */
    size_t tap_cap, tap_len;
} fpy_vblink;

void fpy_vblink_init(fpy_vblink *l, fpy_vboard *b, uint64_t now_us);
fpy_rom_link fpy_vblink_link(fpy_vblink *l);
/* The reset step an uplink caller supplies: the board's reset button now. */
int fpy_vblink_reset(void *ctx);
/* Let simulated time pass (the board boots, windows close). */
void fpy_vblink_wait(fpy_vblink *l, uint64_t us);

#endif
