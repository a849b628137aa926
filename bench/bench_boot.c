/*
 * Boot and FOTA cost on the simulated FiPy flash.
 *
 * Method: a RAM-backed simulated 8 MiB NOR with the default timing model
 * (45 ms per sector erase, 0.7 ms per 256-byte page program, 100 ns per
 * byte read: 40 MHz DIO).  Each operation runs on a fresh copy of the same
 * starting flash; the figures are the simulator's counters for that
 * operation (flash time only: hashing on the ESP32 is not modelled) and
 * the host's wall time averaged over REPEAT runs.  The VM image is 300 KiB
 * of code (Zerynth's FiPy VM is 305,264 bytes), the bytecode 64 KiB.
 * "ESP-IDF boot" models ESP-IDF's bootloader: read the otadata, then
 * verify the whole app image (checksum and SHA-256) on every boot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fipy/boot.h"
#include "fipy/fota.h"
#include "fipy/otadata.h"
#include "fixtures.h"
#include "simsys.h"
#include "testutil.h"

#define REPEAT 5
#define VM_TEXT (300u * 1024u)
#define BC_LEN (64u * 1024u)

typedef struct bench {
    fpy_test_flash *tf;
    uint8_t *start;
    uint8_t *vm2, *bc2;
    size_t vm2_len, bc2_len;
    fpy_fw_work w;
    fpy_boot_cfg cfg;
} bench;

typedef int (*op_fn)(bench *b);

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int do_boot(bench *b, int reason)
{
    fpy_simsys ss;
    fpy_sys sys;
    fpy_boot_result res;
    fpy_simsys_init(&ss, &sys);
    fpy_simsys_reset(&ss, reason);
    return fpy_boot_run(&b->tf->flash, &sys, &b->cfg, &b->w, &res);
}

static int op_fipy_boot(bench *b)
{
    return do_boot(b, FPY_RESET_RESET);
}

static int op_esp_idf_boot(bench *b)
{
    fpy_otadata od;
    FPY_TRY(fpy_otadata_read(&b->tf->flash, 0xD000, &od));
    int a = fpy_otadata_active(&od);
    uint32_t base = (a >= 0 && fpy_otadata_slot(od.e[a].seq, 2) == 1) ? 0x110000u : 0x10000u;
    fpy_image_src src = fpy_image_src_flash(&b->tf->flash, base, 0x100000);
    return fpy_image_verify(&src, b->w.scratch, sizeof b->w.scratch, FPY_IMAGE_CHECK_APP,
                            &b->w.info, NULL);
}

static int stream(bench *b, uint8_t targets)
{
    static fpy_fota u;
    fpy_fota_req q;
    FPY_TRY(fpy_fota_req_from_images(&q, (targets & FPY_FOTA_VM) ? b->vm2 : NULL, b->vm2_len,
                                     (targets & FPY_FOTA_BC) ? b->bc2 : NULL, b->bc2_len));
    q.vm_slot = 1;
    q.bc_slot = 1;
    FPY_TRY(fpy_fota_begin(&u, &b->tf->flash, b->cfg.layout, &b->cfg.store, &q, NULL, &b->w, NULL));
    uint32_t off = 0;
    const uint8_t *parts[2] = {(targets & FPY_FOTA_VM) ? b->vm2 : NULL,
                               (targets & FPY_FOTA_BC) ? b->bc2 : NULL};
    size_t lens[2] = {b->vm2_len, b->bc2_len};
    for (int p = 0; p < 2; p++)
        for (size_t i = 0; parts[p] && i < lens[p]; i += 1024) {
            uint32_t k = (uint32_t)(lens[p] - i < 1024 ? lens[p] - i : 1024);
            FPY_TRY(fpy_fota_write(&u, off, parts[p] + i, k, NULL));
            off += k;
        }
    FPY_TRY(fpy_fota_finish(&u, &b->w, NULL));
    return fpy_fota_commit(&u);
}

static int op_update_vm(bench *b)
{
    return stream(b, FPY_FOTA_VM);
}

static int op_update_bc(bench *b)
{
    return stream(b, FPY_FOTA_BC);
}

static int op_update_both(bench *b)
{
    return stream(b, FPY_FOTA_VM | FPY_FOTA_BC);
}

static int op_trial_boot(bench *b)
{
    return do_boot(b, FPY_RESET_RESET);
}

static int op_rollback_boot(bench *b)
{
    return do_boot(b, FPY_RESET_WATCHDOG);
}

static int op_accept(bench *b)
{
    return fpy_fota_accept(&b->tf->flash, &b->cfg.store, NULL, NULL);
}

/* Run `fn` REPEAT times from the same start; print one row. */
static void measure(bench *b, const char *name, op_fn fn)
{
    fpy_flashsim_stats s0 = {0}, d = {0};
    double wall = 0;
    for (int i = 0; i < REPEAT; i++) {
        memcpy(b->tf->mem, b->start, FPY_FLASH_SIZE_8M);
        s0 = b->tf->sim.stats;
        double t0 = now_s();
        if (fn(b) != FPY_OK) {
            fprintf(stderr, "%s failed\n", name);
            exit(1);
        }
        wall += now_s() - t0;
        d.erases = b->tf->sim.stats.erases - s0.erases;
        d.pages_programmed = b->tf->sim.stats.pages_programmed - s0.pages_programmed;
        d.bytes_read = b->tf->sim.stats.bytes_read - s0.bytes_read;
        d.time_ns = b->tf->sim.stats.time_ns - s0.time_ns;
    }
    printf("| %-34s | %6llu | %7llu | %10llu | %9.1f | %8.2f |\n", name,
           (unsigned long long)d.erases, (unsigned long long)d.pages_programmed,
           (unsigned long long)d.bytes_read, (double)d.time_ns / 1e6, wall / REPEAT * 1e3);
}

static void snapshot(bench *b)
{
    memcpy(b->start, b->tf->mem, FPY_FLASH_SIZE_8M);
}

int main(void)
{
    static bench b;
    size_t cap = VM_TEXT + 128 * 1024;
    uint8_t *img = malloc(cap);
    b.tf = fpy_test_flash_new(NULL);
    b.start = malloc(FPY_FLASH_SIZE_8M);
    b.vm2 = malloc(cap);
    b.bc2 = malloc(BC_LEN + 256);
    b.cfg.layout = fpy_layout_get(FPY_LAYOUT_NONBLE);
    b.cfg.store = FPY_REC_STORE_FIPY();
    size_t n = fpy_fix_vm("1.0.0", 1, VM_TEXT, img, cap);
    fpy_fix_install(&b.tf->flash, 0x10000, img, n);
    n = fpy_fix_bc(1, 1, BC_LEN, img, cap);
    fpy_fix_install(&b.tf->flash, 0x210000, img, n);
    b.vm2_len = fpy_fix_vm("1.1.0", 2, VM_TEXT, b.vm2, cap);
    b.bc2_len = fpy_fix_bc(1, 2, BC_LEN, b.bc2, BC_LEN + 256);
    printf("VM image %zu bytes, bytecode image %zu bytes; %d runs each\n\n", b.vm2_len,
           b.bc2_len, REPEAT);
    printf("| %-34s | %6s | %7s | %10s | %9s | %8s |\n", "operation", "erases", "pages",
           "bytes read", "flash ms", "host ms");
    printf("|%s|%s|%s|%s|%s|%s|\n", "------------------------------------", "--------",
           "---------", "------------", "-----------", "----------");
    op_fipy_boot(&b); /* first boot writes the record: start after it */
    snapshot(&b);
    measure(&b, "ESP-IDF boot (verify whole VM)", op_esp_idf_boot);
    measure(&b, "fipy boot, stable (VM + bytecode)", op_fipy_boot);
    measure(&b, "FOTA update: VM only", op_update_vm);
    measure(&b, "FOTA update: bytecode only", op_update_bc);
    measure(&b, "FOTA update: VM + bytecode", op_update_both);
    memcpy(b.tf->mem, b.start, FPY_FLASH_SIZE_8M);
    op_update_both(&b);
    snapshot(&b);
    measure(&b, "fipy boot, first trial boot", op_trial_boot);
    memcpy(b.tf->mem, b.start, FPY_FLASH_SIZE_8M);
    op_trial_boot(&b);
    snapshot(&b);
    measure(&b, "fipy boot, rollback after watchdog", op_rollback_boot);
    measure(&b, "accept()", op_accept);
    free(img);
    return 0;
}
