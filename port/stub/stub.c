/*
 * Stub ports for `make cross` (scripts/cross): a flash, a system clock and
 * a hash engine that do nothing, and the boot entry a second-stage
 * bootloader would call.  They are linked with lib/ on Xtensa to prove the
 * boot path needs nothing but these three ports and a few libc functions,
 * and to measure it; they never run.  A real port (docs/porting.md) fills
 * the same tables over the chip's SPI flash, RTC watchdog and SHA engine.
 *
 * Each stub answers FPY_ERR_UNSUPPORTED: the compiler cannot see through
 * an ops table, so the core's code is kept whole whatever the stubs do.
 */
#include "fipy/boot.h"
#include "fipy/port.h"

int fpy_stub_boot(fpy_fw_work *w, fpy_boot_result *res);

static int stub_read(void *ctx, uint32_t addr, void *buf, uint32_t len)
{
    (void)ctx, (void)addr, (void)buf, (void)len;
    return FPY_ERR_UNSUPPORTED;
}

static int stub_program(void *ctx, uint32_t addr, const void *buf, uint32_t len)
{
    (void)ctx, (void)addr, (void)buf, (void)len;
    return FPY_ERR_UNSUPPORTED;
}

static int stub_erase(void *ctx, uint32_t addr)
{
    (void)ctx, (void)addr;
    return FPY_ERR_UNSUPPORTED;
}

static uint64_t stub_now_ms(void *ctx)
{
    (void)ctx;
    return 0;
}

static int stub_wdt_start(void *ctx, uint32_t timeout_ms)
{
    (void)ctx, (void)timeout_ms;
    return FPY_ERR_UNSUPPORTED;
}

static int stub_wdt_feed(void *ctx)
{
    (void)ctx;
    return FPY_ERR_UNSUPPORTED;
}

static int stub_reset_reason(void *ctx)
{
    (void)ctx;
    return FPY_RESET_RESET;
}

int fpy_port_sha256_start(void *st)
{
    (void)st;
    return FPY_ERR_UNSUPPORTED;
}

int fpy_port_sha256_update(void *st, const void *data, size_t len)
{
    (void)st, (void)data, (void)len;
    return FPY_ERR_UNSUPPORTED;
}

int fpy_port_sha256_finish(void *st, uint8_t out[32])
{
    (void)st, (void)out;
    return FPY_ERR_UNSUPPORTED;
}

void fpy_port_sha256_release(void *st)
{
    (void)st;
}

int fpy_port_md5(const void *data, size_t len, uint8_t out[16])
{
    (void)data, (void)len, (void)out;
    return FPY_ERR_UNSUPPORTED;
}

int fpy_port_md5_start(void *st)
{
    (void)st;
    return FPY_ERR_UNSUPPORTED;
}

int fpy_port_md5_update(void *st, const void *data, size_t len)
{
    (void)st, (void)data, (void)len;
    return FPY_ERR_UNSUPPORTED;
}

int fpy_port_md5_finish(void *st, uint8_t out[16])
{
    (void)st, (void)out;
    return FPY_ERR_UNSUPPORTED;
}

void fpy_port_md5_release(void *st)
{
    (void)st;
}

uint32_t fpy_port_crc32_le(uint32_t crc, const void *data, size_t len)
{
    (void)data, (void)len;
    return crc;
}

static int stub_vm_floor(void *ctx, uint32_t *v)
{
    (void)ctx;
    *v = 0; /* the chip's driver reads SECURE_VERSION's popcount */
    return FPY_OK;
}

static int stub_vm_floor_raise(void *ctx, uint32_t v)
{
    (void)ctx, (void)v;
    return FPY_ERR_UNSUPPORTED;
}

/* The boot a second-stage bootloader runs: the FiPy's non-BLE layout, its
 * record store, the defaults for trials, boot loops and the watchdog, and
 * a protected board's policy (signed images only, anti-rollback: the key
 * is the bootloader's own, compiled in), so that the boot path measured
 * by make cross holds lib/sec and lib/sig.  The caller gives the work
 * area (2 KiB of scratch and an image's facts) and the result, so
 * neither lands on a small boot stack. */
int fpy_stub_boot(fpy_fw_work *w, fpy_boot_result *res)
{
    static const fpy_flash_ops flash_ops = {stub_read, stub_program, stub_erase};
    static const fpy_sys_ops sys_ops = {stub_now_ms, stub_wdt_start, stub_wdt_feed,
                                        stub_reset_reason};
    static const fpy_sec_ops sec_ops = {stub_vm_floor, stub_vm_floor_raise};
    static const uint8_t key[FPY_P256_PUB_LEN] = {0x04};
    const fpy_flash f = {&flash_ops, 0, FPY_FLASH_GEOMETRY_FIPY()};
    const fpy_sys sys = {&sys_ops, 0};
    const fpy_sec sec = {key, 1, &sec_ops, 0};
    const fpy_boot_cfg cfg = {fpy_layout_get(FPY_LAYOUT_NONBLE), FPY_REC_STORE_FIPY(), 0, 0, 0,
                              &sec};
    return fpy_boot_run(&f, &sys, &cfg, w, res);
}

int fpy_port_p256_verify(const uint8_t pub[64], const uint8_t digest[32], const uint8_t sig[64])
{
    (void)pub, (void)digest, (void)sig;
    return FPY_ERR_UNSUPPORTED;
}
