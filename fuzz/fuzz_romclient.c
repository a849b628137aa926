/*
 * Fuzz the flasher's side of the ROM protocol (host/romclient.c,
 * host/flasher*.c): the input is what "the board" sends back, whatever
 * the flasher asked.  A scripted session runs over it: connect (sync,
 * detect, eFuses, flash ID through SPI1, attach, set params), a write
 * with the MD5 skip, a verify, a read, an erase.  The first byte picks
 * how many bytes each read returns (1..64); the rest is the wire.  Nothing
 * may crash or hang: when the input runs out every read times out at
 * once, and every retry loop is bounded.  The seeds are recorded sessions
 * of the fake ROM (tests/support/fakerom.c), so the fuzzer starts from
 * replies that get deep into the session.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fipy/err.h"
#include "flasher.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fuzz_wire {
    const uint8_t *p;
    size_t n, off, step;
    size_t written;
} fuzz_wire;

static int fuzz_write(void *ctx, const void *buf, size_t n, uint32_t timeout_ms)
{
    fuzz_wire *w = ctx;
    (void)buf;
    (void)timeout_ms;
    w->written += n;
    return FPY_OK;
}

static long fuzz_read(void *ctx, void *buf, size_t cap, uint32_t timeout_ms)
{
    fuzz_wire *w = ctx;
    size_t n = w->n - w->off;
    (void)timeout_ms;
    if (n > w->step)
        n = w->step;
    if (n > cap)
        n = cap;
    memcpy(buf, w->p + w->off, n);
    w->off += n;
    return (long)n;
}

static int fuzz_baud(void *ctx, uint32_t baud)
{
    (void)ctx;
    (void)baud;
    return FPY_OK;
}

static int fuzz_flush(void *ctx)
{
    (void)ctx; /* keep the input: every byte of it is a reply to something */
    return FPY_OK;
}

static void fuzz_sleep(void *ctx, uint32_t ms)
{
    (void)ctx;
    (void)ms;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const fpy_rom_link_ops ops = {fuzz_write, fuzz_read, fuzz_baud, NULL, fuzz_flush,
                                         fuzz_sleep};
    static fpy_flasher fl;
    static uint8_t file[8192], back[100];
    if (size < 1)
        return 0;
    fuzz_wire w = {data + 1, size - 1, 0, (size_t)(data[0] % 64u) + 1u, 0};
    fpy_flasher_opts o = {0};
    o.no_reset = 1;
    o.manual_wait_s = 1;
    o.retries = 1;
    for (size_t i = 0; i < sizeof file; i++)
        file[i] = (uint8_t)(i / 64);
    if (fpy_flasher_connect(&fl, (fpy_rom_link){&ops, &w}, 115200, &o) != FPY_OK)
        return 0;
    if (fl.flash_size == 0 || fl.msg[sizeof fl.msg - 1] != '\0')
        abort();
    const fpy_flash_region r = {0x10000, file, sizeof file, "fuzz.bin"};
    (void)fpy_flasher_write(&fl, &r, 1);
    (void)fpy_flasher_verify(&fl, &r, 1, NULL);
    (void)fpy_flasher_read(&fl, 0x1000, sizeof back, back);
    (void)fpy_flasher_erase(&fl, 0x20000, 0x1000);
    (void)fpy_romc_security_info(&fl.rc);
    return 0;
}
