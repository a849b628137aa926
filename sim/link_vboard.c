/* The link's board ops over the virtual board (sim/vboard.h). */
#include "link.h"

#include "vboard.h"

static void fpy_lv_rx(void *ctx, uint64_t now_us, const uint8_t *in, size_t n, uint32_t baud)
{
    fpy_vboard_rx(ctx, now_us, in, n, baud);
}

static size_t fpy_lv_tx(void *ctx, uint64_t now_us, uint8_t *out, size_t cap)
{
    return fpy_vboard_tx(ctx, now_us, out, cap);
}

static uint64_t fpy_lv_next_event(void *ctx)
{
    return fpy_vboard_next_event(ctx);
}

static void fpy_lv_advance(void *ctx, uint64_t now_us)
{
    fpy_vboard_advance(ctx, now_us);
}

static uint32_t fpy_lv_baud(void *ctx)
{
    return fpy_vboard_baud(ctx);
}

static void fpy_lv_lines(void *ctx, uint64_t now_us, int dtr, int rts)
{
    fpy_vboard_lines(ctx, now_us, dtr, rts);
}

static void fpy_lv_jumper(void *ctx, int on)
{
    fpy_vboard_jumper(ctx, on);
}

static void fpy_lv_reset(void *ctx, uint64_t now_us)
{
    fpy_vboard_reset(ctx, now_us);
}

static void fpy_lv_power(void *ctx, uint64_t now_us, int on)
{
    fpy_vboard_power(ctx, now_us, on);
}

static void fpy_lv_cut(void *ctx, uint32_t n)
{
    fpy_vboard_power_cut_after(ctx, n);
}

static void fpy_lv_status(void *ctx, fpy_vboard_status *st)
{
    fpy_vboard_get_status(ctx, st);
}

void fpy_link_board_vboard(fpy_link_board *ops, fpy_vboard *b)
{
    *ops = (fpy_link_board){
        .ctx = b,
        .rx = fpy_lv_rx,
        .tx = fpy_lv_tx,
        .next_event = fpy_lv_next_event,
        .advance = fpy_lv_advance,
        .baud = fpy_lv_baud,
        .lines = fpy_lv_lines,
        .jumper = fpy_lv_jumper,
        .reset = fpy_lv_reset,
        .power = fpy_lv_power,
        .power_cut_after = fpy_lv_cut,
        .status = fpy_lv_status,
    };
}
