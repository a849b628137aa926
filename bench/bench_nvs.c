/*
 * NVS throughput and wear on the simulated FiPy flash.
 *
 * Method: the FiPy's NVS partition (0x9000, 16 KiB = 4 pages) on a
 * RAM-backed simulated NOR with the default timing model (45 ms per 4 KiB
 * sector erase, 0.7 ms per 256-byte page program started, 100 ns per byte
 * read: 40 MHz DIO).  The store holds 20 other keys (u32 and short
 * strings) besides the one being measured, so garbage collection has live
 * data to move.  For each value kind (u32, a 32-byte string with its NUL,
 * a 1 KiB blob) the bench runs N operations and reports per operation:
 * simulated flash time (erase time of garbage collection included,
 * amortised), program calls, 256-byte pages programmed, bytes read, sector
 * erases, and the host's wall time.  "set" writes a new value each time
 * (an unchanged value costs nothing: it is not rewritten); "get" reads it
 * back; "erase" removes keys set beforehand.  Wear: 10,000 updates of one
 * key, counting sector erases per sector.  Mount: fpy_nvs_init on the store
 * afterwards.  CPU time on the ESP32 is not modelled.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fipy/nvs.h"

#include "flashsim.h"
#define NVS_BASE 0x9000u
#define NVS_SIZE 0x4000u
#define FLASH_SIZE 0x10000u

typedef struct bench {
    uint8_t mem[FLASH_SIZE];
    uint32_t wear[FLASH_SIZE / 4096u];
    fpy_flashsim sim;
    fpy_flash flash;
    fpy_nvs nvs;
    fpy_nvs_page pages[4];
    fpy_nvs_handle h;
    uint8_t blob[1024];
} bench;

typedef enum { KIND_U32, KIND_STR32, KIND_BLOB1K } kind;
static const char *const kind_names[] = {"u32", "string 32 B", "blob 1 KiB"};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "bench_nvs: %s failed: %d\n", what, rc);
    exit(1);
}

static void bench_mount(bench *b)
{
    fpy_nvs_cfg cfg = {&b->flash, NVS_BASE, NVS_SIZE, b->pages, 4, 0};
    int rc = fpy_nvs_init(&b->nvs, &cfg);
    if (rc != FPY_OK)
        die("init", rc);
    if ((rc = fpy_nvs_open(&b->nvs, "bench", FPY_NVS_READWRITE, &b->h)) != FPY_OK)
        die("open", rc);
}

/* A fresh store with 20 other keys. */
static void bench_reset(bench *b)
{
    fpy_flash_geometry g = {FLASH_SIZE, 4096u, 256u, 4u};
    if (fpy_flashsim_init(&b->sim, &g, b->mem, b->wear, NULL) != FPY_OK)
        die("flashsim", -1);
    fpy_flashsim_wipe(&b->sim);
    fpy_flashsim_bind(&b->sim, &b->flash);
    bench_mount(b);
    for (int i = 0; i < 20; i++) {
        char key[16];
        snprintf(key, sizeof key, "other%d", i);
        int rc = i % 2 ? fpy_nvs_set_u32(&b->h, key, (uint32_t)i)
                       : fpy_nvs_set_str(&b->h, key, "some setting");
        if (rc != FPY_OK)
            die("prefill", rc);
    }
    memset(&b->sim.stats, 0, sizeof b->sim.stats);
    memset(b->wear, 0, sizeof b->wear);
}

static int do_set(bench *b, kind k, const char *key, uint32_t i)
{
    char s[32];
    if (k == KIND_U32)
        return fpy_nvs_set_u32(&b->h, key, i);
    if (k == KIND_STR32) {
        snprintf(s, sizeof s, "%031u", (unsigned)i); /* 31 characters + NUL */
        return fpy_nvs_set_str(&b->h, key, s);
    }
    memcpy(b->blob, &i, sizeof i);
    return fpy_nvs_set_blob(&b->h, key, b->blob, sizeof b->blob);
}

static int do_get(bench *b, kind k, const char *key)
{
    char s[32];
    uint32_t v;
    size_t len = k == KIND_STR32 ? sizeof s : sizeof b->blob;
    if (k == KIND_U32)
        return fpy_nvs_get_u32(&b->h, key, &v);
    if (k == KIND_STR32)
        return fpy_nvs_get_str(&b->h, key, s, &len);
    return fpy_nvs_get_blob(&b->h, key, b->blob, &len);
}

static void report(const char *what, kind k, const bench *b, uint32_t n, double wall)
{
    const fpy_flashsim_stats *s = &b->sim.stats;
    printf("  %-6s %-12s %8.1f us %6.2f %7.2f %9.1f %7.4f %9.0f ns\n", what, kind_names[k],
           (double)s->time_ns / n / 1000.0, (double)s->programs / n,
           (double)s->pages_programmed / n, (double)s->bytes_read / n, (double)s->erases / n,
           wall / n * 1e9);
}

static void bench_kind(bench *b, kind k, uint32_t n)
{
    char key[16];
    bench_reset(b);
    double t0 = now_s();
    for (uint32_t i = 0; i < n; i++)
        if (do_set(b, k, "value", i + 1u) != FPY_OK)
            die("set", -1);
    report("set", k, b, n, now_s() - t0);
    memset(&b->sim.stats, 0, sizeof b->sim.stats);
    t0 = now_s();
    for (uint32_t i = 0; i < n; i++)
        if (do_get(b, k, "value") != FPY_OK)
            die("get", -1);
    report("get", k, b, n, now_s() - t0);
    /* erase: 8 keys set, then erased, repeatedly; only the erases count */
    fpy_flashsim_stats total = {0};
    double wall = 0;
    uint32_t rounds = n / 8u;
    for (uint32_t r = 0; r < rounds; r++) {
        for (uint32_t j = 0; j < 8; j++) {
            snprintf(key, sizeof key, "e%u", (unsigned)j);
            if (do_set(b, k, key, r * 8u + j + 1u) != FPY_OK)
                die("set before erase", -1);
        }
        memset(&b->sim.stats, 0, sizeof b->sim.stats);
        t0 = now_s();
        for (uint32_t j = 0; j < 8; j++) {
            snprintf(key, sizeof key, "e%u", (unsigned)j);
            if (fpy_nvs_erase_key(&b->h, key) != FPY_OK)
                die("erase", -1);
        }
        wall += now_s() - t0;
        total.time_ns += b->sim.stats.time_ns;
        total.programs += b->sim.stats.programs;
        total.pages_programmed += b->sim.stats.pages_programmed;
        total.bytes_read += b->sim.stats.bytes_read;
        total.erases += b->sim.stats.erases;
    }
    b->sim.stats = total;
    report("erase", k, b, rounds * 8u, wall);
}

static void bench_wear(bench *b, kind k)
{
    uint32_t first = NVS_BASE / 4096u, sum = 0, max = 0;
    bench_reset(b);
    double t0 = now_s();
    for (uint32_t i = 0; i < 10000u; i++)
        if (do_set(b, k, "hot", i + 1u) != FPY_OK)
            die("wear set", -1);
    double wall = now_s() - t0;
    printf("  %-12s %6llu erases (", kind_names[k], (unsigned long long)b->sim.stats.erases);
    for (uint32_t p = 0; p < 4; p++) {
        uint32_t w = b->wear[first + p];
        sum += w;
        max = w > max ? w : max;
        printf("%s%u", p ? " " : "", (unsigned)w);
    }
    printf(" per sector), %.1f s simulated, %.2f s host\n",
           (double)b->sim.stats.time_ns / 1e9, wall);
    (void)sum;
    memset(&b->sim.stats, 0, sizeof b->sim.stats);
    t0 = now_s();
    bench_mount(b);
    printf("  %-12s mount after it: %.2f ms simulated (%llu bytes read, %u repairs), "
           "%.0f us host\n", "", (double)b->sim.stats.time_ns / 1e6,
           (unsigned long long)b->sim.stats.bytes_read,
           (unsigned)b->nvs.report.mutations, (now_s() - t0) * 1e6);
}

int main(void)
{
    bench *b = calloc(1, sizeof *b);
    if (b == NULL)
        return 1;
    for (size_t i = 0; i < sizeof b->blob; i++)
        b->blob[i] = (uint8_t)(i * 13u + 7u);
    printf("NVS on the simulated FiPy flash: partition 0x9000, 16 KiB (4 pages), "
           "20 other keys stored\n"
           "method: simulated NOR, default timing (45 ms/sector erase, 0.7 ms/256-byte page "
           "program,\n        100 ns/byte read); per operation: the simulator's counters "
           "(GC amortised)\n        and host wall time; set writes a new value each time\n");
    printf("per operation:  kind         flash time programs pages  bytes-rd erases   host\n");
    bench_kind(b, KIND_U32, 4000);
    bench_kind(b, KIND_STR32, 2000);
    bench_kind(b, KIND_BLOB1K, 400);
    printf("wear: 10,000 updates of one key, sector erases in the 4 NVS sectors\n");
    bench_wear(b, KIND_U32);
    bench_wear(b, KIND_STR32);
    bench_wear(b, KIND_BLOB1K);
    free(b);
    return 0;
}
