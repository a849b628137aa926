/* Simulated NOR flash: see sim/flashsim.h for the model. */
#include "flashsim.h"

#include <string.h>

#include "fipy/bytes.h"

static uint64_t fpy_sim_rand(fpy_flashsim *s)
{
    /* splitmix64: small, good enough, and the same on every host. */
    uint64_t z = (s->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint32_t fpy_sim_nsectors(const fpy_flashsim *s)
{
    return s->geo.size / s->geo.sector_size;
}

int fpy_flashsim_init(fpy_flashsim *s, const fpy_flash_geometry *geo,
                      uint8_t *mem, uint32_t *wear, uint8_t *bad)
{
    FPY_TRY(fpy_flash_check_geometry(geo));
    if (mem == NULL)
        return FPY_ERR_INVAL;
    *s = (fpy_flashsim){0};
    s->geo = *geo;
    s->mode = FPY_FLASHSIM_NO_SET;
    s->timing = FPY_FLASHSIM_TIMING_DEFAULT();
    s->mem = mem;
    s->wear = wear;
    s->bad = bad;
    s->powered = 1;
    s->rng = 0x5EED;
    uint32_t n = fpy_sim_nsectors(s);
    if (wear != NULL)
        memset(wear, 0, (size_t)n * sizeof(*wear));
    if (bad != NULL)
        memset(bad, 0, n);
    return FPY_OK;
}

void fpy_flashsim_bind(fpy_flashsim *s, fpy_flash *out)
{
    out->ops = &fpy_flashsim_ops;
    out->ctx = s;
    out->geo = s->geo;
}

void fpy_flashsim_wipe(fpy_flashsim *s)
{
    memset(s->mem, FPY_FLASH_ERASED, s->geo.size);
}

void fpy_flashsim_seed(fpy_flashsim *s, uint64_t seed)
{
    s->rng = seed;
}

void fpy_flashsim_arm(fpy_flashsim *s, fpy_flashsim_fault kind, uint32_t n)
{
    s->fault = n == 0 ? FPY_FAULT_NONE : kind;
    s->fault_at = n;
    s->since_arm = 0;
    s->fault_fired = 0;
}

int fpy_flashsim_fault_fired(const fpy_flashsim *s)
{
    return s->fault_fired;
}

void fpy_flashsim_reboot(fpy_flashsim *s)
{
    s->powered = 1;
    if (s->fault_fired) {
        s->fault = FPY_FAULT_NONE;
        s->fault_fired = 0;
    }
}

void fpy_flashsim_set_read_flips(fpy_flashsim *s, uint32_t every)
{
    s->read_flip_every = every;
    s->reads_since_flip = 0;
}

int fpy_flashsim_set_bad(fpy_flashsim *s, uint32_t sector, int bad)
{
    if (s->bad == NULL || sector >= fpy_sim_nsectors(s))
        return FPY_ERR_INVAL;
    s->bad[sector] = bad ? 1u : 0u;
    return FPY_OK;
}

uint32_t fpy_flashsim_mutations(const fpy_flashsim *s)
{
    return s->since_arm;
}

/* Direct callers of the ops (not through fpy_flash_*) get the same checks:
 * the simulator is the last line that keeps a bad request off the array. */
static int fpy_sim_check(const fpy_flashsim *s, uint32_t addr, uint32_t len)
{
    if (!s->powered)
        return FPY_ERR_POWERLOSS;
    if (addr > s->geo.size || len > s->geo.size - addr)
        return FPY_ERR_RANGE;
    return FPY_OK;
}

static int fpy_sim_read(void *ctx, uint32_t addr, void *buf, uint32_t len)
{
    fpy_flashsim *s = ctx;
    FPY_TRY(fpy_sim_check(s, addr, len));
    memcpy(buf, s->mem + addr, len);
    s->stats.reads++;
    s->stats.bytes_read += len;
    s->stats.time_ns += (uint64_t)len * s->timing.read_ns_per_byte;
    if (s->read_flip_every != 0 && len > 0 &&
        ++s->reads_since_flip >= s->read_flip_every) {
        s->reads_since_flip = 0;
        uint64_t r = fpy_sim_rand(s);
        ((uint8_t *)buf)[r % len] ^= (uint8_t)(1u << ((r >> 32) & 7u));
    }
    return FPY_OK;
}

/* Called at the start of every mutation: decides whether it happens,
 * is cut before it starts, or is torn. Returns the fault to apply. */
static fpy_flashsim_fault fpy_sim_fault_now(fpy_flashsim *s)
{
    s->since_arm++;
    if (s->fault == FPY_FAULT_NONE || s->since_arm != s->fault_at)
        return FPY_FAULT_NONE;
    s->fault_fired = 1;
    s->powered = 0;
    return s->fault;
}

static int fpy_sim_sector_bad(const fpy_flashsim *s, uint32_t addr, uint32_t len)
{
    if (s->bad == NULL)
        return 0;
    uint32_t first = addr / s->geo.sector_size;
    uint32_t last = (addr + len - 1u) / s->geo.sector_size;
    for (uint32_t i = first; i <= last; i++)
        if (s->bad[i])
            return 1;
    return 0;
}

static int fpy_sim_program_allowed(const fpy_flashsim *s, uint32_t addr,
                                   const uint8_t *src, uint32_t len)
{
    if (s->mode == FPY_FLASHSIM_ERASED)
        return fpy_is_erased(s->mem + addr, len);
    if (s->mode == FPY_FLASHSIM_NO_SET)
        for (uint32_t i = 0; i < len; i++)
            if ((uint8_t)(s->mem[addr + i] & src[i]) != src[i])
                return 0;
    return 1;
}

static void fpy_sim_account_program(fpy_flashsim *s, uint32_t addr, uint32_t len)
{
    uint32_t first = addr / s->geo.page_size;
    uint32_t last = (addr + len - 1u) / s->geo.page_size;
    uint64_t pages = (uint64_t)(last - first) + 1u;
    s->stats.programs++;
    s->stats.pages_programmed += pages;
    s->stats.bytes_programmed += len;
    s->stats.time_ns += pages * s->timing.program_page_us * 1000ull;
}

/* A torn program: the chip had shifted out `keep` bytes when power went;
 * the next byte got only some of its bits cleared. */
static void fpy_sim_tear_program(fpy_flashsim *s, uint32_t addr,
                                 const uint8_t *src, uint32_t len)
{
    uint32_t keep = (uint32_t)(fpy_sim_rand(s) % len);
    for (uint32_t i = 0; i < keep; i++)
        s->mem[addr + i] &= src[i];
    uint8_t partial = (uint8_t)(src[keep] | (uint8_t)fpy_sim_rand(s));
    s->mem[addr + keep] &= partial;
}

static int fpy_sim_program(void *ctx, uint32_t addr, const void *buf, uint32_t len)
{
    fpy_flashsim *s = ctx;
    const uint8_t *src = buf;
    FPY_TRY(fpy_sim_check(s, addr, len));
    if (addr % s->geo.write_align != 0 || len % s->geo.write_align != 0)
        return FPY_ERR_ALIGN;
    if (len == 0)
        return FPY_OK;
    fpy_flashsim_fault f = fpy_sim_fault_now(s);
    if (f == FPY_FAULT_CUT)
        return FPY_ERR_POWERLOSS;
    if (fpy_sim_sector_bad(s, addr, len))
        return f == FPY_FAULT_NONE ? FPY_ERR_BADBLOCK : FPY_ERR_POWERLOSS;
    if (!fpy_sim_program_allowed(s, addr, src, len))
        return f == FPY_FAULT_NONE ? FPY_ERR_NOT_ERASED : FPY_ERR_POWERLOSS;
    if (f == FPY_FAULT_TORN) {
        fpy_sim_tear_program(s, addr, src, len);
        return FPY_ERR_POWERLOSS;
    }
    for (uint32_t i = 0; i < len; i++)
        s->mem[addr + i] &= src[i];
    fpy_sim_account_program(s, addr, len);
    return FPY_OK;
}

/* An interrupted erase: erasing drives bits towards 1, so a cut leaves
 * each bit either as it was or already erased. */
static void fpy_sim_tear_erase(fpy_flashsim *s, uint32_t addr)
{
    for (uint32_t i = 0; i < s->geo.sector_size; i += 8) {
        uint64_t r = fpy_sim_rand(s);
        for (uint32_t j = 0; j < 8 && i + j < s->geo.sector_size; j++)
            s->mem[addr + i + j] |= (uint8_t)(r >> (8 * j));
    }
}

static int fpy_sim_erase(void *ctx, uint32_t addr)
{
    fpy_flashsim *s = ctx;
    FPY_TRY(fpy_sim_check(s, addr, s->geo.sector_size));
    if (addr % s->geo.sector_size != 0)
        return FPY_ERR_ALIGN;
    fpy_flashsim_fault f = fpy_sim_fault_now(s);
    if (f == FPY_FAULT_CUT)
        return FPY_ERR_POWERLOSS;
    if (fpy_sim_sector_bad(s, addr, s->geo.sector_size))
        return f == FPY_FAULT_NONE ? FPY_ERR_BADBLOCK : FPY_ERR_POWERLOSS;
    if (f == FPY_FAULT_TORN) {
        fpy_sim_tear_erase(s, addr);
        return FPY_ERR_POWERLOSS;
    }
    memset(s->mem + addr, FPY_FLASH_ERASED, s->geo.sector_size);
    if (s->wear != NULL)
        s->wear[addr / s->geo.sector_size]++;
    s->stats.erases++;
    s->stats.time_ns += (uint64_t)s->timing.erase_sector_us * 1000ull;
    return FPY_OK;
}

const fpy_flash_ops fpy_flashsim_ops = {
    .read = fpy_sim_read,
    .program = fpy_sim_program,
    .erase_sector = fpy_sim_erase,
};
