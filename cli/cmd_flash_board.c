/*
 * fipytool flash write|read|verify|erase-region|info: a board's flash
 * through the ESP32 ROM loader (host/flasher.h).  Input is checked before
 * the port is opened: a refused command sends nothing.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd_flash.h"
#include "conn.h"
#include "fipy/layout.h"
#include "fipy/part.h"
#include "flasher.h"
#include "flasher_conn.h"
#include "hostio.h"

#define FPY_FLASH_MAX_FILES 32
#define FPY_FLASH_DEFAULT_BAUD 921600u
#define FPY_FLASH_ROM_BAUD 115200u

static volatile sig_atomic_t fpy_flash_stop;

static void fpy_flash_on_sigint(int sig)
{
    (void)sig;
    fpy_flash_stop = 1;
}

/* Ctrl-C asks the flasher to stop at a block boundary; a second one ends
 * the program at once (SA_RESETHAND). */
static void fpy_flash_catch_sigint(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fpy_flash_on_sigint;
    sa.sa_flags = (int)SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

/* ---- output: JSON lines, a progress bar, or plain lines ----------------- */

typedef struct fpy_flash_out {
    int json, tty;
    unsigned last_pct;
    const char *last_stage;
} fpy_flash_out;

static void fpy_flash_json_event(const fpy_flasher_event *e)
{
    printf("{\"stage\": ");
    fpy_json_str(stdout, e->stage);
    if (e->name != NULL) {
        printf(", \"file\": ");
        fpy_json_str(stdout, e->name);
    }
    printf(", \"addr\": %u, \"done\": %llu, \"total\": %llu, \"retries\": %u", (unsigned)e->addr,
           (unsigned long long)e->done, (unsigned long long)e->total, (unsigned)e->retries);
    if (e->code != NULL) {
        printf(", \"code\": ");
        fpy_json_str(stdout, e->code);
    }
    if (e->msg != NULL) {
        printf(", \"message\": ");
        fpy_json_str(stdout, e->msg);
    }
    printf("}\n");
    fflush(stdout);
}

static int fpy_flash_is_progress(const char *stage)
{
    return strcmp(stage, "write") == 0 || strcmp(stage, "read") == 0;
}

static void fpy_flash_progress(fpy_flash_out *o, const fpy_flasher_event *e)
{
    unsigned pct = e->total ? (unsigned)(e->done * 100u / e->total) : 100u;
    if (o->tty) {
        fprintf(stderr, "\r%-6s %-24.24s [%-40.*s] %3u%%", e->stage, e->name ? e->name : "",
                (int)(pct * 40u / 100u), "========================================", pct);
        o->last_pct = pct;
        return;
    }
    if (o->last_stage != e->stage || pct / 10u != o->last_pct / 10u || pct == 100u) {
        if (pct != o->last_pct || o->last_stage != e->stage)
            fprintf(stderr, "%s: %llu of %llu bytes (%u%%)\n", e->stage,
                    (unsigned long long)e->done, (unsigned long long)e->total, pct);
        o->last_pct = pct;
    }
}

static void fpy_flash_event(void *ctx, const fpy_flasher_event *e)
{
    fpy_flash_out *o = ctx;
    if (o->json) {
        fpy_flash_json_event(e);
        return;
    }
    if (fpy_flash_is_progress(e->stage)) {
        fpy_flash_progress(o, e);
        o->last_stage = e->stage;
        return;
    }
    if (o->tty && o->last_stage != NULL && fpy_flash_is_progress(o->last_stage))
        fputc('\n', stderr);
    o->last_stage = e->stage;
    o->last_pct = 0;
    if (strcmp(e->stage, "note") == 0 || strcmp(e->stage, "retry") == 0)
        fprintf(stderr, "fipytool flash: %s%s%s\n", strcmp(e->stage, "retry") == 0 ? "retry: " : "",
                e->msg ? e->msg : "", "");
    else if (strcmp(e->stage, "compare") == 0)
        fprintf(stderr, "comparing %s at 0x%x with the flash\n", e->name, (unsigned)e->addr);
    else if (strcmp(e->stage, "verify") == 0 && e->name != NULL)
        fprintf(stderr, "%s at 0x%x: %s\n", e->name, (unsigned)e->addr, e->msg ? e->msg : "");
    else if (strcmp(e->stage, "baud") == 0)
        fprintf(stderr, "baud rate %u%s%s\n", (unsigned)e->addr, e->msg ? ": " : "",
                e->msg ? e->msg : "");
}

/* A failure before the flasher ran (it reports its own as events): with
 * --json, an "error" event whose message points at standard error. */
static int fpy_flash_json_fail(const fpy_flash_args *a, int rc, const char *code)
{
    if (a->json && rc != FPY_EXIT_OK && rc != FPY_EXIT_INTERRUPTED) {
        printf("{\"stage\": \"error\", \"code\": \"%s\", \"message\": "
               "\"see standard error\"}\n",
               code != NULL ? code : rc == FPY_EXIT_USAGE ? "usage" : FPY_FLC_INPUT);
        fflush(stdout);
    }
    return rc;
}

/* ---- the session -------------------------------------------------------- */

typedef struct fpy_flash_session {
    fpy_conn *conn;
    fpy_flasher fl;
    fpy_flash_out out;
    char port[64];
} fpy_flash_session;

static int fpy_flash_pick_port(const fpy_flash_args *a, char *port, size_t len)
{
    char found[8][64];
    if (a->port != NULL) {
        snprintf(port, len, "%s", a->port);
        return FPY_EXIT_OK;
    }
    size_t n = fpy_conn_find(found, FPY_COUNTOF(found));
    if (n == 0) {
        fprintf(stderr, "fipytool flash: no FiPy expansion board found on USB; name the port "
                        "with --port /dev/ttyUSB0 (or rfc2217://HOST:PORT, "
                        "socket://HOST:PORT)\n");
        return FPY_EXIT_FAIL;
    }
    if (n > 1) {
        fprintf(stderr, "fipytool flash: %zu boards found; choose one with --port:\n", n);
        for (size_t i = 0; i < n && i < FPY_COUNTOF(found); i++)
            fprintf(stderr, "  %s\n", found[i]);
        return FPY_EXIT_USAGE;
    }
    snprintf(port, len, "%s", found[0]);
    return FPY_EXIT_OK;
}

static uint32_t fpy_flash_default_baud(const char *port)
{
    return strncmp(port, "socket://", 9) == 0 ? 0 : FPY_FLASH_DEFAULT_BAUD;
}

/* A lost link: what the connection itself says (unplugged, server gone). */
static void fpy_flash_link_cause(const fpy_flash_session *s, const fpy_flash_args *a)
{
    const char *why = fpy_conn_last_error(s->conn);
    if (!a->json && s->fl.code != NULL && strcmp(s->fl.code, FPY_FLC_LINK) == 0 && why[0])
        fprintf(stderr, "fipytool flash: %s: %s\n", s->port, why);
}

static int fpy_flash_open(fpy_flash_session *s, const fpy_flash_args *a, uint32_t baud)
{
    char err[300];
    memset(s, 0, sizeof *s);
    s->out.json = a->json;
    s->out.tty = !a->json && isatty(STDERR_FILENO);
    uint32_t wait = 60; /* seconds for a reset by hand */
    if (a->wait != NULL &&
        fpy_cli_number(&fpy_cmd_flash, "--wait", a->wait, FPY_NUM_PLAIN, 3600u, &wait) != 0)
        return FPY_EXIT_USAGE;
    int rc = fpy_flash_pick_port(a, s->port, sizeof s->port);
    if (rc != FPY_EXIT_OK)
        return fpy_flash_json_fail(a, rc, "no-port");
    if (fpy_conn_open(&s->conn, s->port, FPY_FLASH_ROM_BAUD, err, sizeof err) != FPY_OK) {
        fprintf(stderr, "fipytool flash: %s\n", err);
        return fpy_flash_json_fail(a, FPY_EXIT_FAIL, "port");
    }
    fpy_flasher_opts o = {0};
    o.manual_wait_s = wait > 0 ? wait : 1;
    fpy_flash_catch_sigint();
    o.baud = baud;
    o.no_compress = a->no_compress;
    o.no_skip = a->no_skip;
    o.no_reset = a->no_reset;
    o.event = fpy_flash_event;
    o.event_ctx = &s->out;
    o.stop = &fpy_flash_stop;
    if (fpy_flasher_connect(&s->fl, fpy_flasher_conn_link(s->conn), FPY_FLASH_ROM_BAUD, &o) !=
        FPY_OK) {
        if (!a->json)
            fprintf(stderr, "fipytool flash: %s: %s\n", s->port, s->fl.msg);
        fpy_flash_link_cause(s, a);
        fpy_conn_close(s->conn);
        return s->fl.interrupted ? FPY_EXIT_INTERRUPTED : FPY_EXIT_FAIL;
    }
    return FPY_EXIT_OK;
}

/* The exit status of an operation; the message (JSON: the "error" event
 * already carried it); a hard reset into the app after success. */
static int fpy_flash_close(fpy_flash_session *s, int rc, const fpy_flash_args *a)
{
    if (s->out.tty && s->out.last_stage != NULL && fpy_flash_is_progress(s->out.last_stage))
        fputc('\n', stderr);
    if (rc != FPY_OK && !a->json)
        fprintf(stderr, "fipytool flash: %s\n", s->fl.msg);
    fpy_flash_link_cause(s, a);
    if (rc != FPY_OK && !s->fl.interrupted && s->fl.done_msg[0] && !a->json)
        fprintf(stderr, "fipytool flash: so far: %s; run the same command again to resume\n",
                s->fl.done_msg);
    /* a hard reset into the app after success; else the ROM back at the
     * rate it was found at (fpy_flasher_leave) */
    (void)fpy_flasher_leave(&s->fl, rc == FPY_OK && !a->no_reset);
    fpy_conn_close(s->conn);
    signal(SIGINT, SIG_DFL);
    if (rc == FPY_OK)
        return FPY_EXIT_OK;
    return s->fl.interrupted ? FPY_EXIT_INTERRUPTED : FPY_EXIT_FAIL;
}

static int fpy_flash_baud(const fpy_flash_args *a, const char *port, uint32_t *baud)
{
    *baud = fpy_flash_default_baud(port);
    if (a->baud == NULL)
        return 0;
    int rc = fpy_cli_number(&fpy_cmd_flash, "--baud", a->baud, FPY_NUM_PLAIN, 4000000u, baud);
    if (rc == 0 && *baud < 9600u)
        rc = fpy_cli_usage_error(&fpy_cmd_flash, "--baud: %u is too slow (9600 or more)",
                                 (unsigned)*baud);
    return rc;
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
        return fpy_flash_json_fail(a, FPY_EXIT_USAGE, NULL);
    fpy_flash_files f;
    fpy_flash_session s;
    uint32_t baud;
    int rc = fpy_flash_files_load(&f, argc, argv);
    if (rc == 0)
        rc = fpy_flash_files_check(&f, a->force);
    if (rc == 0)
        rc = fpy_flash_baud(a, a->port ? a->port : "", &baud);
    if (rc != 0)
        rc = fpy_flash_json_fail(a, rc, NULL);
    else
        rc = fpy_flash_open(&s, a, baud);
    if (rc == 0) {
        int wr = fpy_flasher_write(&s.fl, f.r, f.n);
        if (wr == FPY_OK && !a->json)
            fpy_flash_write_summary(&s.fl, &f);
        rc = fpy_flash_close(&s, wr, a);
    }
    fpy_flash_files_free(&f);
    return rc;
}

int fpy_flash_verify_run(void *ctx, int argc, char **argv)
{
    const fpy_flash_args *a = ctx;
    if (fpy_flash_misplaced(a, argv[0], 0) != 0)
        return fpy_flash_json_fail(a, FPY_EXIT_USAGE, NULL);
    fpy_flash_files f;
    fpy_flash_session s;
    uint32_t baud;
    int rc = fpy_flash_files_load(&f, argc, argv);
    if (rc == 0)
        rc = fpy_flash_baud(a, a->port ? a->port : "", &baud);
    if (rc != 0)
        rc = fpy_flash_json_fail(a, rc, NULL);
    else
        rc = fpy_flash_open(&s, a, baud);
    if (rc == 0) {
        int vr = fpy_flasher_verify(&s.fl, f.r, f.n, NULL);
        if (vr == FPY_OK && !a->json)
            printf("%zu file(s) match the flash\n", f.n);
        rc = fpy_flash_close(&s, vr, a);
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
        return fpy_flash_json_fail(a, FPY_EXIT_USAGE, NULL);
    fpy_flash_session s;
    uint32_t addr = 0, size = 0, baud;
    char err[300];
    struct stat st;
    int rc = fpy_flash_addr_size(argc, argv, 4, &addr, &size);
    /* a FILE that cannot take the bytes is refused before the slow read */
    if (rc == 0 && stat(argv[3], &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "fipytool flash: %s is a directory; name a file to save into\n", argv[3]);
        rc = FPY_EXIT_FAIL;
    }
    if (rc == 0)
        rc = fpy_flash_baud(a, a->port ? a->port : "", &baud);
    uint8_t *buf = rc == 0 ? malloc(size) : NULL;
    if (rc == 0 && buf == NULL)
        rc = FPY_EXIT_FAIL;
    if (rc != 0)
        rc = fpy_flash_json_fail(a, rc, NULL);
    else
        rc = fpy_flash_open(&s, a, baud);
    if (rc == 0) {
        int rr = fpy_flasher_read(&s.fl, addr, size, buf);
        rc = fpy_flash_close(&s, rr, a);
    }
    if (rc == 0 && fpy_file_write(argv[3], buf, size, err, sizeof err) != FPY_OK) {
        fprintf(stderr, "fipytool flash: %s\n", err);
        rc = fpy_flash_json_fail(a, FPY_EXIT_FAIL, "file");
    }
    if (rc == 0 && !a->json)
        fprintf(stderr, "0x%x bytes at 0x%x read (MD5 checked) into %s\n", (unsigned)size,
                (unsigned)addr, argv[3]);
    free(buf);
    return rc;
}

int fpy_flash_erase_run(void *ctx, int argc, char **argv)
{
    const fpy_flash_args *a = ctx;
    if (fpy_flash_misplaced(a, argv[0], 0) != 0)
        return fpy_flash_json_fail(a, FPY_EXIT_USAGE, NULL);
    fpy_flash_session s;
    uint32_t addr = 0, size = 0, baud;
    int rc = fpy_flash_addr_size(argc, argv, 3, &addr, &size);
    if (rc == 0 && (addr % FPY_FLASHER_SECTOR != 0 || size % FPY_FLASHER_SECTOR != 0))
        rc = fpy_cli_usage_error(&fpy_cmd_flash,
                                 "erase-region: ADDR and SIZE must be multiples of 4 KiB (0x1000)");
    if (rc == 0)
        rc = fpy_flash_baud(a, a->port ? a->port : "", &baud);
    if (rc != 0)
        rc = fpy_flash_json_fail(a, rc, NULL);
    else
        rc = fpy_flash_open(&s, a, baud);
    if (rc == 0) {
        int er = fpy_flasher_erase(&s.fl, addr, size);
        if (er == FPY_OK && !a->json)
            printf("0x%x..0x%x erased\n", (unsigned)addr, (unsigned)(addr + size));
        rc = fpy_flash_close(&s, er, a);
    }
    return rc;
}

static void fpy_flash_info_print(const fpy_flash_session *s, int json)
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
    unsigned crypt_cnt = (unsigned)(c->efuse[0] >> 20) & 0x7Fu, ones = 0;
    for (unsigned b = crypt_cnt; b; b >>= 1)
        ones += b & 1u;
    int encrypted = ones % 2 == 1, secure_boot = (c->efuse[6] >> 4) & 1u;
    if (json) {
        printf("{\"port\": ");
        fpy_json_str(stdout, s->port);
        printf(", \"chip\": \"%s\", \"revision\": \"v%u.%u\", \"features\": ",
               fpy_romc_pkg_name(c->pkg), c->major, c->minor);
        fpy_json_str(stdout, feat);
        printf(", \"crystal_mhz\": %u, \"mac\": \"%s\", \"flash_id\": \"%06x\", "
               "\"flash_size\": %u, \"flash_encryption\": %s, \"secure_boot\": %s, "
               "\"security_info\": null}\n",
               c->xtal_mhz, mac, (unsigned)c->flash_id, (unsigned)c->flash_size,
               encrypted ? "true" : "false", secure_boot ? "true" : "false");
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
}

int fpy_flash_info_run(void *ctx, int argc, char **argv)
{
    const fpy_flash_args *a = ctx;
    if (fpy_flash_misplaced(a, argv[0], 0) != 0)
        return fpy_flash_json_fail(a, FPY_EXIT_USAGE, NULL);
    fpy_flash_session s;
    uint32_t baud;
    (void)argv;
    if (argc != 1)
        return fpy_cli_usage_error(&fpy_cmd_flash, "'info' takes no argument");
    /* a few register reads: not worth a baud change */
    int rc = fpy_flash_baud(a, a->port ? a->port : "", &baud);
    if (rc == 0)
        rc = fpy_flash_open(&s, a, a->baud ? baud : 0);
    if (rc == 0) {
        fpy_flash_info_print(&s, a->json);
        rc = fpy_flash_close(&s, FPY_OK, a);
    }
    return rc;
}
