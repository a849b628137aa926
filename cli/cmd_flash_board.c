/*
 * fipytool flash write|read|verify|erase-region|info: a board's flash
 * through the ESP32 ROM loader (host/flasher.h).  Input is checked before
 * the port is opened: a refused command sends nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd_flash.h"
#include "conn.h"
#include "efuse_rom.h"
#include "fipy/layout.h"
#include "fipy/part.h"
#include "flasher.h"
#include "flasher_conn.h"
#include "hostio.h"

#define FPY_FLASH_MAX_FILES 32

/* The session for a sub-command whose input checked out (rc 0; else rc
 * is its exit status, reported with --json).  quick: no baud change
 * unless --baud asks.  0, or an exit status. */
static int fpy_flash_begin(fpy_session *s, const fpy_flash_args *a, int rc, int quick)
{
    if (rc != 0)
        return fpy_session_json_fail(a->b.json, rc, NULL);
    fpy_flasher_opts o = {0};
    o.no_compress = a->no_compress;
    o.no_skip = a->no_skip;
    rc = fpy_session_prepare(s, &fpy_cmd_flash, &a->b, quick);
    return rc != 0 ? rc : fpy_session_connect(s, &o);
}

/* Options that belong to another sub-command: a usage error.  write:
 * whether --no-compress and --no-skip apply. */
static int fpy_flash_misplaced(const fpy_flash_args *a, const char *sub, int write)
{
    const char *bad = a->layout ? "--layout" : a->vm ? "--vm" : a->bc ? "--bc" : NULL;
    if (bad == NULL && !write)
        bad = a->no_compress ? "--no-compress" : a->no_skip ? "--no-skip" : NULL;
    if (bad == NULL && !write && a->force)
        bad = "--force";
    if (bad == NULL)
        return 0;
    return fpy_cli_usage_error(&fpy_cmd_flash, "%s does not apply to 'flash %s'", bad, sub);
}

/* ---- input files --------------------------------------------------------- */

typedef struct fpy_flash_files {
    fpy_flash_region r[FPY_FLASH_MAX_FILES];
    uint8_t *buf[FPY_FLASH_MAX_FILES];
    size_t n;
} fpy_flash_files;

static void fpy_flash_files_free(fpy_flash_files *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->buf[i]);
    f->n = 0;
}

/* ADDR FILE pairs, read whole; a file named twice is refused. */
static int fpy_flash_files_load(fpy_flash_files *f, int argc, char **argv)
{
    char err[300];
    f->n = 0;
    if (argc < 3 || (argc - 1) % 2 != 0)
        return fpy_cli_usage_error(&fpy_cmd_flash, "'%s' wants ADDR FILE pairs", argv[0]);
    if ((size_t)(argc - 1) / 2 > FPY_FLASH_MAX_FILES)
        return fpy_cli_usage_error(&fpy_cmd_flash, "at most %d files at once",
                                   FPY_FLASH_MAX_FILES);
    for (int i = 1; i + 1 < argc; i += 2) {
        fpy_flash_region *r = &f->r[f->n];
        int rc = fpy_cli_number(&fpy_cmd_flash, "ADDR", argv[i], FPY_NUM_PLAIN, UINT32_MAX,
                                &r->addr);
        if (rc != 0)
            return rc;
        for (size_t k = 0; k < f->n; k++) {
            const char *const other[] = {f->r[k].name};
            if (fpy_file_distinct(argv[i + 1], other, 1, err, sizeof err) != FPY_OK)
                return fpy_cli_usage_error(&fpy_cmd_flash, "%s is named twice (at 0x%x and 0x%x)",
                                           argv[i + 1], (unsigned)f->r[k].addr,
                                           (unsigned)r->addr);
        }
        if (fpy_file_read(argv[i + 1], 64u << 20, &f->buf[f->n], &r->len, err, sizeof err) !=
            FPY_OK) {
            fprintf(stderr, "fipytool flash: %s\n", err);
            return FPY_EXIT_FAIL;
        }
        r->data = f->buf[f->n];
        r->name = argv[i + 1];
        f->n++;
    }
    return 0;
}

/* An image at a VM slot of either FiPy layout must be a VM the boot
 * would run; a file at 0x8000 must be a partition table. */
static int fpy_flash_content_check(const fpy_flash_region *r)
{
    for (int id = FPY_LAYOUT_NONBLE; id <= FPY_LAYOUT_BLE; id++)
        for (unsigned k = 0; k < 8; k++) {
            const fpy_area *a = fpy_layout_area(fpy_layout_get((fpy_layout_id)id),
                                                FPY_AREA_VM_SLOT, k);
            if (a == NULL || a->offset != r->addr)
                continue;
            fpy_cli_image im[2] = FPY_CLI_IMAGES(r->name, NULL);
            im[0].buf = (uint8_t *)(uintptr_t)r->data;
            im[0].len = r->len;
            return fpy_cli_images_check(&fpy_cmd_flash, im);
        }
    if (r->addr == FPY_PART_TABLE_OFFSET) {
        static fpy_part_table t;
        fpy_diag d = {0};
        int rc = fpy_part_decode(r->data, r->len, &t, &d);
        if (rc != FPY_OK) {
            char ctx[300];
            snprintf(ctx, sizeof ctx, "flash: %s at 0x8000 is not a partition table", r->name);
            fpy_report(ctx, &d, rc);
            return FPY_EXIT_FAIL;
        }
    }
    return FPY_EXIT_OK;
}

static int fpy_flash_files_check(const fpy_flash_files *f, int force)
{
    char msg[400];
    int rc = fpy_flasher_check(f->r, f->n, FPY_FLASHER_FLASH_SIZE, msg, sizeof msg);
    if (rc != FPY_OK) {
        fprintf(stderr, "fipytool flash: %s\n", msg);
        return FPY_EXIT_FAIL;
    }
    for (size_t i = 0; i < f->n && !force; i++)
        if (fpy_flash_content_check(&f->r[i]) != FPY_EXIT_OK) {
            fprintf(stderr, "fipytool flash: nothing written (--force writes it anyway)\n");
            return FPY_EXIT_FAIL;
        }
    return FPY_EXIT_OK;
}

/* ---- the sub-commands ---------------------------------------------------- */

static void fpy_flash_write_summary(const fpy_flasher *fl, const fpy_flash_files *f)
{
    fprintf(stderr, "%zu file(s) written and verified: %u sector(s) written, %u unchanged "
                    "(skipped), %llu bytes sent, %u retr%s\n",
            f->n, (unsigned)fl->sectors_written, (unsigned)fl->sectors_skipped,
            (unsigned long long)fl->wire_bytes, (unsigned)fl->retries,
            fl->retries == 1 ? "y" : "ies");
}

int fpy_flash_write_run(void *ctx, int argc, char **argv)
{
    const fpy_flash_args *a = ctx;
    if (fpy_flash_misplaced(a, argv[0], 1) != 0)
        return fpy_session_json_fail(a->b.json, FPY_EXIT_USAGE, NULL);
    fpy_flash_files f;
    fpy_session s;
    int rc = fpy_flash_files_load(&f, argc, argv);
    if (rc == 0)
        rc = fpy_flash_files_check(&f, a->force);
    rc = fpy_flash_begin(&s, a, rc, 0);
    if (rc == 0 && (rc = fpy_session_refuse_encrypted(&s, "write")) != 0) {
        fpy_flash_files_free(&f);
        return rc;
    }
    if (rc == 0) {
        int wr = fpy_flasher_write(&s.fl, f.r, f.n);
        if (wr == FPY_OK && !a->b.json)
            fpy_flash_write_summary(&s.fl, &f);
        rc = fpy_session_close(&s, wr, 1);
    }
    fpy_flash_files_free(&f);
    return rc;
}

int fpy_flash_verify_run(void *ctx, int argc, char **argv)
{
    const fpy_flash_args *a = ctx;
    if (fpy_flash_misplaced(a, argv[0], 0) != 0)
        return fpy_session_json_fail(a->b.json, FPY_EXIT_USAGE, NULL);
    fpy_flash_files f;
    fpy_session s;
    int rc = fpy_flash_files_load(&f, argc, argv);
    rc = fpy_flash_begin(&s, a, rc, 0);
    if (rc == 0) {
        int vr = fpy_flasher_verify(&s.fl, f.r, f.n, NULL);
        if (vr == FPY_OK && !a->b.json)
            printf("%zu file(s) match the flash\n", f.n);
        rc = fpy_session_close(&s, vr, 1);
    }
    fpy_flash_files_free(&f);
    return rc;
}

static int fpy_flash_addr_size(int argc, char **argv, int want, uint32_t *addr, uint32_t *size)
{
    if (argc != want)
        return fpy_cli_usage_error(&fpy_cmd_flash, "expected '%s ADDR SIZE%s'", argv[0],
                                   want == 4 ? " FILE" : "");
    int rc = fpy_cli_number(&fpy_cmd_flash, "ADDR", argv[1], FPY_NUM_PLAIN,
                            FPY_FLASHER_FLASH_SIZE - 1u, addr);
    if (rc == 0)
        rc = fpy_cli_number(&fpy_cmd_flash, "SIZE", argv[2], FPY_NUM_SIZE,
                            FPY_FLASHER_FLASH_SIZE - *addr, size);
    if (rc == 0 && *size == 0)
        rc = fpy_cli_usage_error(&fpy_cmd_flash, "SIZE: 0 bytes");
    return rc;
}

int fpy_flash_read_run(void *ctx, int argc, char **argv)
{
    const fpy_flash_args *a = ctx;
    if (fpy_flash_misplaced(a, argv[0], 0) != 0)
        return fpy_session_json_fail(a->b.json, FPY_EXIT_USAGE, NULL);
    fpy_session s;
    uint32_t addr = 0, size = 0;
    char err[300];
    struct stat st;
    int rc = fpy_flash_addr_size(argc, argv, 4, &addr, &size);
    /* a FILE that cannot take the bytes is refused before the slow read */
    if (rc == 0 && stat(argv[3], &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "fipytool flash: %s is a directory; name a file to save into\n", argv[3]);
        rc = FPY_EXIT_FAIL;
    }
    uint8_t *buf = rc == 0 ? malloc(size) : NULL;
    if (rc == 0 && buf == NULL)
        rc = FPY_EXIT_FAIL;
    rc = fpy_flash_begin(&s, a, rc, 0);
    if (rc == 0) {
        int rr = fpy_flasher_read(&s.fl, addr, size, buf);
        rc = fpy_session_close(&s, rr, 1);
    }
    if (rc == 0 && fpy_file_write(argv[3], buf, size, err, sizeof err) != FPY_OK) {
        fprintf(stderr, "fipytool flash: %s\n", err);
        rc = fpy_session_json_fail(a->b.json, FPY_EXIT_FAIL, "file");
    }
    if (rc == 0 && !a->b.json)
        fprintf(stderr, "0x%x bytes at 0x%x read (MD5 checked) into %s\n", (unsigned)size,
                (unsigned)addr, argv[3]);
    free(buf);
    return rc;
}

int fpy_flash_erase_run(void *ctx, int argc, char **argv)
{
    const fpy_flash_args *a = ctx;
    if (fpy_flash_misplaced(a, argv[0], 0) != 0)
        return fpy_session_json_fail(a->b.json, FPY_EXIT_USAGE, NULL);
    fpy_session s;
    uint32_t addr = 0, size = 0;
    int rc = fpy_flash_addr_size(argc, argv, 3, &addr, &size);
    if (rc == 0 && (addr % FPY_FLASHER_SECTOR != 0 || size % FPY_FLASHER_SECTOR != 0))
        rc = fpy_cli_usage_error(&fpy_cmd_flash,
                                 "erase-region: ADDR and SIZE must be multiples of 4 KiB (0x1000)");
    rc = fpy_flash_begin(&s, a, rc, 0);
    if (rc == 0 && (rc = fpy_session_refuse_encrypted(&s, "erase")) != 0)
        return rc;
    if (rc == 0) {
        int er = fpy_flasher_erase(&s.fl, addr, size);
        if (er == FPY_OK && !a->b.json)
            printf("0x%x..0x%x erased\n", (unsigned)addr, (unsigned)(addr + size));
        rc = fpy_session_close(&s, er, 1);
    }
    return rc;
}

static void fpy_flash_info_print(const fpy_session *s, int json)
{
    const fpy_rom_chip *c = &s->fl.chip;
    char feat[200], mac[18], size[24];
    fpy_romc_features(c, feat, sizeof feat);
    snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", c->mac[0], c->mac[1], c->mac[2],
             c->mac[3], c->mac[4], c->mac[5]);
    if (c->flash_size)
        snprintf(size, sizeof size, "%uMB", (unsigned)(c->flash_size >> 20));
    else
        snprintf(size, sizeof size, "unknown");
    fpy_efuse e = {{0}};
    char sec[200];
    uint32_t secure_boot = 0;
    memcpy(e.w, c->efuse, sizeof c->efuse); /* BLOCK0's RDATA, read by chip_info */
    fpy_efr_security_line(&e, sec, sizeof sec);
    (void)fpy_efuse_get(&e, FPY_EFUSE_ABS_DONE_0, &secure_boot);
    int encrypted = fpy_efuse_flash_crypt_on(&e);
    if (json) {
        printf("{\"port\": ");
        fpy_json_str(stdout, s->port);
        printf(", \"chip\": \"%s\", \"revision\": \"v%u.%u\", \"features\": ",
               fpy_romc_pkg_name(c->pkg), c->major, c->minor);
        fpy_json_str(stdout, feat);
        printf(", \"crystal_mhz\": %u, \"mac\": \"%s\", \"flash_id\": \"%06x\", "
               "\"flash_size\": %u, \"flash_encryption\": %s, \"secure_boot\": %s, "
               "\"security_info\": null, \"security\": ",
               c->xtal_mhz, mac, (unsigned)c->flash_id, (unsigned)c->flash_size,
               encrypted ? "true" : "false", secure_boot ? "true" : "false");
        fpy_json_str(stdout, sec);
        printf("}\n");
        return;
    }
    printf("Port:             %s\n", s->port);
    printf("Chip:             %s (revision v%u.%u)\n", fpy_romc_pkg_name(c->pkg), c->major,
           c->minor);
    printf("Features:         %s\n", feat);
    printf("Crystal:          %uMHz\n", c->xtal_mhz);
    printf("MAC:              %s\n", mac);
    printf("Flash:            manufacturer %02x, device %02x%02x, size %s\n",
           (unsigned)(c->flash_id & 0xFFu), (unsigned)((c->flash_id >> 8) & 0xFFu),
           (unsigned)((c->flash_id >> 16) & 0xFFu), size);
    printf("Flash encryption: %s (eFuse FLASH_CRYPT_CNT)\n", encrypted ? "on" : "off");
    printf("Secure boot:      %s (eFuse ABS_DONE_0)\n", secure_boot ? "on" : "off");
    printf("Security info:    not available from the ESP32 ROM\n");
    printf("Security:         %s\n", sec);
}

int fpy_flash_info_run(void *ctx, int argc, char **argv)
{
    const fpy_flash_args *a = ctx;
    if (fpy_flash_misplaced(a, argv[0], 0) != 0)
        return fpy_session_json_fail(a->b.json, FPY_EXIT_USAGE, NULL);
    fpy_session s;
    (void)argv;
    if (argc != 1)
        return fpy_cli_usage_error(&fpy_cmd_flash, "'info' takes no argument");
    /* a few register reads: not worth a baud change */
    int rc = fpy_flash_begin(&s, a, 0, 1);
    if (rc == 0) {
        fpy_flash_info_print(&s, a->b.json);
        rc = fpy_session_close(&s, FPY_OK, 1);
    }
    return rc;
}
