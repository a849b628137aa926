/*
 * SLIP framing as the ESP32 ROM loader uses it (rom_protocol.md §2).
 *
 * The decoder never trusts the stream: the ROM prints its boot banner on
 * the same UART, a line can drop or flip bytes, a frame can be cut.  So
 * bytes outside frames are skipped (counted), a frame with a bad escape or
 * one that would overflow the caller's buffer is dropped whole and the
 * decoder waits for the next C0: it never hands up a frame it is not sure
 * of.  An empty frame is skipped, so C0 C0 between frames is harmless
 * (esptool sends none, but the ROM's resync after a baud change does).
 */
#include "fipy/rom.h"

enum { FPY_SLIP_IDLE, FPY_SLIP_IN, FPY_SLIP_ESCAPED, FPY_SLIP_SKIP };

void fpy_slip_dec_init(fpy_slip_dec *d, uint8_t *buf, size_t cap)
{
    d->buf = buf;
    d->cap = cap;
    d->len = 0;
    d->state = FPY_SLIP_IDLE;
    d->junk = 0;
    d->dropped = 0;
}

/* Drop the frame being decoded and skip to the next C0. */
static void fpy_slip_drop(fpy_slip_dec *d)
{
    d->dropped++;
    d->len = 0;
    d->state = FPY_SLIP_SKIP;
}

static void fpy_slip_put(fpy_slip_dec *d, uint8_t b)
{
    if (d->len >= d->cap) {
        fpy_slip_drop(d);
        return;
    }
    d->buf[d->len++] = b;
    d->state = FPY_SLIP_IN;
}

/* One byte inside a frame (state IN or ESCAPED); 1 when it ends a frame. */
static int fpy_slip_in_frame(fpy_slip_dec *d, uint8_t b)
{
    if (d->state == FPY_SLIP_ESCAPED) {
        if (b == FPY_SLIP_ESC_END)
            fpy_slip_put(d, FPY_SLIP_END);
        else if (b == FPY_SLIP_ESC_ESC)
            fpy_slip_put(d, FPY_SLIP_ESC);
        else if (b == FPY_SLIP_END) { /* cut inside an escape: drop, and this C0 opens anew */
            d->dropped++;
            d->len = 0;
            d->state = FPY_SLIP_IN;
        } else
            fpy_slip_drop(d);
        return 0;
    }
    if (b == FPY_SLIP_ESC) {
        d->state = FPY_SLIP_ESCAPED;
        return 0;
    }
    if (b != FPY_SLIP_END) {
        fpy_slip_put(d, b);
        return 0;
    }
    if (d->len == 0) /* C0 C0: an empty frame, or a closing C0 taken as an opening one */
        return 0;
    d->state = FPY_SLIP_IDLE;
    return 1;
}

size_t fpy_slip_dec_feed(fpy_slip_dec *d, const uint8_t *in, size_t n, int *done)
{
    *done = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t b = in[i];
        if (d->state == FPY_SLIP_IDLE || d->state == FPY_SLIP_SKIP) {
            if (b == FPY_SLIP_END) {
                d->len = 0;
                d->state = FPY_SLIP_IN;
            } else if (d->state == FPY_SLIP_IDLE) {
                d->junk++;
            }
            continue;
        }
        if (fpy_slip_in_frame(d, b)) {
            *done = 1;
            return i + 1;
        }
    }
    return n;
}

static size_t fpy_slip_byte_size(uint8_t b)
{
    return (b == FPY_SLIP_END || b == FPY_SLIP_ESC) ? 2u : 1u;
}

size_t fpy_slip_enc_size(const uint8_t *in, size_t n)
{
    size_t size = 2;
    for (size_t i = 0; i < n; i++)
        size += fpy_slip_byte_size(in[i]);
    return size;
}

size_t fpy_slip_encode(uint8_t *out, size_t cap, const uint8_t *in, size_t n)
{
    if (cap < fpy_slip_enc_size(in, n))
        return 0;
    size_t o = 0;
    out[o++] = FPY_SLIP_END;
    for (size_t i = 0; i < n; i++) {
        if (in[i] == FPY_SLIP_END || in[i] == FPY_SLIP_ESC) {
            out[o++] = FPY_SLIP_ESC;
            out[o++] = in[i] == FPY_SLIP_END ? FPY_SLIP_ESC_END : FPY_SLIP_ESC_ESC;
        } else {
            out[o++] = in[i];
        }
    }
    out[o++] = FPY_SLIP_END;
    return o;
}
