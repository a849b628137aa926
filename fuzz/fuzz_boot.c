/*
 * Fuzz the whole boot over arbitrary flash contents.  A sparse flash:
 * the input supplies both FOTA record copies, both otadata entries, and
 * the bytes of VM slot 0 and bytecode slot 0; everything else reads as
 * erased.  Writes are accepted and dropped.  The boot must never crash,
 * and must never report a bootable VM slot whose image does not verify.
 */
#include <stdint.h>
#include <string.h>

#include "fipy/boot.h"
#include "simsys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct region {
    uint32_t addr;
    const uint8_t *p;
    uint32_t len;
} region;

typedef struct sparse {
    region r[6];
} sparse;

static int sp_read(void *ctx, uint32_t addr, void *buf, uint32_t len)
{
    sparse *s = ctx;
    uint8_t *out = buf;
    uint64_t lo = addr, hi = (uint64_t)addr + len;
    memset(out, 0xFF, len);
    for (int i = 0; i < 6; i++) {
        const region *g = &s->r[i];
        uint64_t a = g->addr > lo ? g->addr : lo;
        uint64_t b = (uint64_t)g->addr + g->len < hi ? (uint64_t)g->addr + g->len : hi;
        if (a < b)
            memcpy(out + (a - lo), g->p + (a - g->addr), (size_t)(b - a));
    }
    return FPY_OK;
}

static int sp_program(void *ctx, uint32_t addr, const void *buf, uint32_t len)
{
    (void)ctx, (void)addr, (void)buf, (void)len;
    return FPY_OK;
}

static int sp_erase(void *ctx, uint32_t addr)
{
    (void)ctx, (void)addr;
    return FPY_OK;
}

static const fpy_flash_ops sp_ops = {sp_read, sp_program, sp_erase};

static uint32_t take(const uint8_t **p, size_t *left, uint32_t want)
{
    uint32_t n = *left < want ? (uint32_t)*left : want;
    *p += n;
    *left -= n;
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fpy_fw_work w;
    sparse s;
    const uint8_t *p = data;
    size_t left = size;
    const uint32_t addrs[4] = {0x390000, 0x391000, 0xD000, 0xE000};
    const uint32_t lens[4] = {256, 256, 32, 32};
    for (int i = 0; i < 4; i++) {
        s.r[i].addr = addrs[i];
        s.r[i].p = p;
        s.r[i].len = take(&p, &left, lens[i]);
    }
    /* the rest: bytecode slot 0 (first 1 KiB at most), then VM slot 0 */
    s.r[4].addr = 0x210000;
    s.r[4].p = p;
    s.r[4].len = take(&p, &left, left > 1024 ? 1024 : (uint32_t)left / 4);
    s.r[5].addr = 0x10000;
    s.r[5].p = p;
    s.r[5].len = take(&p, &left, (uint32_t)(left > 0x100000 ? 0x100000 : left));
    fpy_flash f = {&sp_ops, &s, FPY_FLASH_GEOMETRY_FIPY()};
    fpy_simsys ss;
    fpy_sys sys;
    fpy_simsys_init(&ss, &sys);
    fpy_boot_cfg cfg = {fpy_layout_get(FPY_LAYOUT_NONBLE), FPY_REC_STORE_FIPY(), 0, 0, 0, NULL};
    fpy_boot_result res;
    int rc = fpy_boot_run(&f, &sys, &cfg, &w, &res);
    if (rc == FPY_OK && !(res.status & FPY_PAIR_VM_OK))
        __builtin_trap();
    return 0;
}
