/*
 * What the loader engines (the ROM's, sim/romdev.h; the stub's,
 * sim/stubdev.h) give back to the board: reply packets, to be SLIP-encoded
 * and sent once the work before them is done, and a new baud rate.
 */
#ifndef FIPY_DEVOUT_H
#define FIPY_DEVOUT_H

#include <stddef.h>
#include <stdint.h>

typedef struct fpy_devout {
    void *ctx;
    /* A packet (unencoded), ready busy_us after the previous output: the
     * simulated time of the flash work the command did. */
    void (*send)(void *ctx, const uint8_t *pkt, size_t n, uint32_t busy_us);
    /* Switch the UART's baud after everything sent so far has gone out. */
    void (*set_baud)(void *ctx, uint32_t baud);
    /* A line for the board's console, outside the protocol (a RAM program
     * that cannot run, ...). */
    void (*console)(void *ctx, const char *line);
} fpy_devout;

#endif
