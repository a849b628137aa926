/*
 * Fuzz the ROM loader engine (sim/romdev): the input is the wire from the
 * host, SLIP-decoded into frames that go to one engine over a small
 * simulated flash (64 KiB, so writes and erases land often).  Every reply
 * must be a well-formed ROM response (direction 1, 4 status bytes, status
 * 0 or 1, at most 64 payload bytes); a failed reply carries a non-zero
 * error unless it is the "unsupported" reply; the flash stays in bounds.
 * Aborts (a crash for the fuzzer) otherwise.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flashsim.h"
#include "romdev.h"
#include "fipy/err.h"
#include "fipy/rom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_FLASH (64u * 1024u)

typedef struct fuzz_out {
    uint32_t packets, bauds, lines;
} fuzz_out;

static void fuzz_send(void *ctx, const uint8_t *pkt, size_t n, uint32_t busy_us)
{
    fuzz_out *o = ctx;
    fpy_rom_resp r;
    (void)busy_us;
    if (fpy_rom_resp_parse(pkt, n, &r) != FPY_OK || r.size < FPY_ROM_STATUS_ROM ||
        r.size > 64u + FPY_ROM_STATUS_ROM)
        abort();
    uint8_t st = r.data[r.size - 4], er = r.data[r.size - 3];
    if (st > 1 || r.data[r.size - 2] != 0 || r.data[r.size - 1] != 0)
        abort();
    if (st == 0 && er != 0)
        abort();
    o->packets++;
}

static void fuzz_baud(void *ctx, uint32_t baud)
{
    fuzz_out *o = ctx;
    if (baud == 0)
        abort();
    o->bauds++;
}

static void fuzz_console(void *ctx, const char *line)
{
    fuzz_out *o = ctx;
    if (line == NULL || strlen(line) == 0)
        abort();
    o->lines++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t mem[FUZZ_FLASH], frame[FPY_ROM_HDR + 0xFFFFu];
    fpy_flash_geometry geo = {FUZZ_FLASH, 4096u, 256u, 4u};
    fpy_flashsim sim;
    fpy_flash flash;
    memset(mem, 0xFF, sizeof mem);
    if (fpy_flashsim_init(&sim, &geo, mem, NULL, NULL) != FPY_OK)
        abort();
    sim.mode = FPY_FLASHSIM_NOR;
    fpy_flashsim_bind(&sim, &flash);
    fuzz_out o = {0};
    fpy_devout out = {&o, fuzz_send, fuzz_baud, fuzz_console};
    fpy_romdev_cfg cfg = {&flash, &sim, &out, {0x24, 0x0A, 0xC4, 1, 2, 3}, 115200, NULL};
    fpy_romdev *r = fpy_romdev_new(&cfg);
    if (r == NULL)
        return 0;
    fpy_slip_dec d;
    fpy_slip_dec_init(&d, frame, sizeof frame);
    size_t off = 0;
    while (off < size) {
        int done;
        off += fpy_slip_dec_feed(&d, data + off, size - off, &done);
        if (done) {
            uint32_t before = o.packets;
            fpy_romdev_event ev = fpy_romdev_frame(r, d.buf, d.len);
            if (ev != FPY_ROMDEV_NONE && o.packets == before)
                abort(); /* an event always follows its reply */
        }
    }
    fpy_romdev_stats st;
    fpy_romdev_get_stats(r, &st);
    if (st.frames + st.malformed == 0 && o.packets != 0)
        abort();
    fpy_romdev_free(r);
    return 0;
}
