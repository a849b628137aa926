/* The romclient's link over a host/conn.h connection (tty, rfc2217://,
 * socket://). */
#include "flasher_conn.h"

#include "conn.h"

static int fpy_flc_write(void *ctx, const void *buf, size_t n, uint32_t timeout_ms)
{
    return fpy_conn_write(ctx, buf, n, timeout_ms);
}

static long fpy_flc_read(void *ctx, void *buf, size_t cap, uint32_t timeout_ms)
{
    return fpy_conn_read(ctx, buf, cap, timeout_ms);
}

static int fpy_flc_set_baud(void *ctx, uint32_t baud)
{
    return fpy_conn_set_baud(ctx, baud);
}

static int fpy_flc_set_lines(void *ctx, int dtr, int rts)
{
    return fpy_conn_set_lines(ctx, dtr, rts);
}

static int fpy_flc_flush(void *ctx)
{
    return fpy_conn_flush_input(ctx);
}

fpy_rom_link fpy_flasher_conn_link(fpy_conn *c)
{
    static const fpy_rom_link_ops ops = {fpy_flc_write, fpy_flc_read,  fpy_flc_set_baud,
                                         fpy_flc_set_lines, fpy_flc_flush, NULL};
    return (fpy_rom_link){&ops, c};
}
