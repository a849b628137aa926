/*
 * Fuzz the virtual board's boot configuration readers (sim/bootcfg.h):
 * the input is what a flash holds from 0x1000 (the bootloader image that
 * carries the configuration), read through the flash seam, and also a
 * configuration block alone.  Every refusal says why; no read leaves the
 * flash; an accepted configuration has only known flags and re-encodes
 * to the bytes it came from.  Aborts otherwise.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bootcfg.h"
#include "fipy/layout.h"

#define FUZZ_FLASH 0x10000u

typedef struct fuzz_mem {
    uint8_t b[FUZZ_FLASH];
} fuzz_mem;

static int fuzz_read(void *ctx, uint32_t addr, void *buf, uint32_t len)
{
    const fuzz_mem *m = ctx;
    if (addr > FUZZ_FLASH || len > FUZZ_FLASH - addr)
        abort();
    memcpy(buf, m->b + addr, len);
    return FPY_OK;
}

static int fuzz_program(void *ctx, uint32_t addr, const void *buf, uint32_t len)
{
    (void)ctx, (void)addr, (void)buf, (void)len;
    abort();
}

static int fuzz_erase(void *ctx, uint32_t addr)
{
    (void)ctx, (void)addr;
    abort();
}

static const fpy_flash_ops fuzz_ops = {fuzz_read, fuzz_program, fuzz_erase};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_mem m;
    static fpy_image_info info;
    fpy_bootcfg c;
    fpy_diag d = {0};
    uint8_t scratch[64], again[FPY_BOOTCFG_LEN];
    int rc = fpy_bootcfg_decode(data, (uint32_t)(size > UINT32_MAX ? UINT32_MAX : size), &c, &d);
    if (rc != FPY_OK && d.what == NULL)
        abort();
    if (rc == FPY_OK) {
        fpy_bootcfg_encode(&c, again);
        if ((c.flags & ~FPY_BOOTCFG_F_KNOWN) != 0 || memcmp(again, data, sizeof again) != 0)
            abort();
    }
    memset(m.b, 0xFF, sizeof m.b);
    size_t n = size < FUZZ_FLASH - FPY_BOOTLOADER_OFFSET ? size : FUZZ_FLASH - FPY_BOOTLOADER_OFFSET;
    memcpy(m.b + FPY_BOOTLOADER_OFFSET, data, n);
    fpy_flash f = {&fuzz_ops, &m, {FUZZ_FLASH, 4096u, 256u, 4u}};
    memset(&d, 0, sizeof d);
    rc = fpy_bootcfg_find(&f, scratch, sizeof scratch, &info, &c, &d);
    if (rc != FPY_OK && rc != FPY_ERR_NOTFOUND && d.what == NULL)
        abort();
    if (rc == FPY_OK && (c.flags & ~FPY_BOOTCFG_F_KNOWN) != 0)
        abort();
    return 0;
}
