/* fipytool otadata: ESP-IDF's otadata in a flash image (or an 8 KiB dump). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fipy/otadata.h"
#include "flashimg.h"

static const char fpy_otadata_usage[] =
    "usage: fipytool otadata dump FILE [--json]\n"
    "       fipytool otadata set FILE --slot N [--rollback]\n"
    "       fipytool otadata set FILE --state NEW|PENDING_VERIFY|VALID|INVALID|ABORTED\n\n"
    "FILE is an 8 MiB FiPy flash image (otadata at 0xD000) or an 8 KiB otadata\n"
    "partition dump (as otatool.py read_otadata writes).\n"
    "  dump              both entries, and which one ESP-IDF's bootloader and\n"
    "                    otatool.py select\n"
    "  set --slot N      what esp_ota_set_boot_partition(ota_N) writes; with\n"
    "                    --rollback the new entry is NEW (app rollback on)\n"
    "  set --state S     rewrite the active entry's state (as ESP-IDF marks an\n"
    "                    app VALID, INVALID or ABORTED)\n";

typedef struct fpy_od_file {
    fpy_lockedfile file;
    fpy_flashsim sim;
    fpy_flash flash;
    uint32_t base;
} fpy_od_file;

/* A whole flash image or one otadata partition: the size decides.  `set`
 * takes the file for writing, and in a whole image only under a FiPy
 * partition table (or none): elsewhere 0xD000 may be something else. */
static int fpy_od_open(fpy_od_file *o, const char *path, int set)
{
    char err[512];
    const fpy_layout *l;
    int rc = fpy_lockedfile_open(&o->file, path, set ? FPY_FILE_WRITE : FPY_FILE_READ,
                                 FPY_FLASH_SIZE_8M, err, sizeof err);
    size_t len = o->file.len;
    if (rc == FPY_OK && len != FPY_FLASH_SIZE_8M && len != FPY_OTADATA_SIZE) {
        snprintf(err, sizeof err, "%s has %zu bytes; expected an 8 MiB flash image or an 8 KiB "
                                  "otadata partition", path, len);
        rc = FPY_ERR_RANGE;
    }
    if (rc == FPY_OK && set && len == FPY_FLASH_SIZE_8M)
        rc = fpy_flashimg_layout(o->file.buf, path, NULL, 1, &l, NULL, err, sizeof err);
    fpy_flash_geometry g = {(uint32_t)len, 4096u, 256u, 4u};
    if (rc == FPY_OK && fpy_flashsim_init(&o->sim, &g, o->file.buf, NULL, NULL) != FPY_OK) {
        snprintf(err, sizeof err, "cannot set up the simulated flash");
        rc = FPY_ERR_STATE;
    }
    if (rc != FPY_OK) {
        fpy_lockedfile_close(&o->file);
        return fpy_cli_file_error(&fpy_cmd_otadata, rc, err);
    }
    o->sim.mode = FPY_FLASHSIM_NOR; /* an image file may hold anything */
    fpy_flashsim_bind(&o->sim, &o->flash);
    o->base = len == FPY_OTADATA_SIZE ? 0u : 0xD000u;
    return FPY_EXIT_OK;
}

static void fpy_od_entry_text(const fpy_ota_entry *e, unsigned i)
{
    const char *st = fpy_otadata_state_name(e->state);
    printf("entry %u (+0x%04x): seq 0x%08x  state %s", i, i * FPY_OTADATA_SECTOR, e->seq,
           st ? st : "?");
    if (!st)
        printf(" (0x%08x)", e->state);
    if (e->seq == FPY_OTADATA_SEQ_BLANK)
        printf("  blank\n");
    else
        printf("  crc 0x%08x %s  -> ota_%u\n", e->crc,
               e->crc == fpy_otadata_crc(e->seq) ? "ok" : "BAD", fpy_otadata_slot(e->seq, 2));
}

static void fpy_od_json(const fpy_otadata *od, int a, int at)
{
    printf("{\"entries\": [");
    for (unsigned i = 0; i < 2; i++) {
        const fpy_ota_entry *e = &od->e[i];
        const char *st = fpy_otadata_state_name(e->state);
        printf("%s{\"seq\": %u, \"state\": %u, \"state_name\": \"%s\", \"crc\": %u, "
               "\"crc_ok\": %s, \"valid\": %s, \"slot\": %u}", i ? ", " : "", e->seq,
               e->state, st ? st : "?", e->crc,
               e->crc == fpy_otadata_crc(e->seq) ? "true" : "false",
               fpy_otadata_is_valid(e) ? "true" : "false", fpy_otadata_slot(e->seq, 2));
    }
    printf("], \"bootloader_entry\": %d, \"otatool_entry\": %d", a, at);
    if (a >= 0)
        printf(", \"boot_slot\": %u", fpy_otadata_slot(od->e[a].seq, 2));
    printf("}\n");
}

static int fpy_od_dump(fpy_od_file *o, int json)
{
    fpy_otadata od;
    if (fpy_otadata_read(&o->flash, o->base, &od) != FPY_OK)
        return FPY_EXIT_FAIL;
    int a = fpy_otadata_active(&od), at = fpy_otadata_active_otatool(&od);
    if (json) {
        fpy_od_json(&od, a, at);
        return FPY_EXIT_OK;
    }
    for (unsigned i = 0; i < 2; i++)
        fpy_od_entry_text(&od.e[i], i);
    if (a < 0)
        printf("ESP-IDF bootloader: no valid entry: boots factory, or ota_0\n");
    else
        printf("ESP-IDF bootloader: entry %d -> ota_%u\n", a, fpy_otadata_slot(od.e[a].seq, 2));
    if (at != a)
        printf("otatool.py (ignores the state): entry %d\n", at);
    return FPY_EXIT_OK;
}

static int fpy_od_parse_state(const char *s, uint32_t *out)
{
    static const uint32_t states[] = {FPY_OTA_NEW, FPY_OTA_PENDING_VERIFY, FPY_OTA_VALID,
                                      FPY_OTA_INVALID, FPY_OTA_ABORTED, FPY_OTA_UNDEFINED};
    for (size_t i = 0; i < FPY_COUNTOF(states); i++) {
        if (strcmp(s, fpy_otadata_state_name(states[i])) == 0) {
            *out = states[i];
            return 0;
        }
    }
    return -1;
}

/* `set`'s options, checked before the image is locked and read. */
typedef struct fpy_od_want {
    int by_slot;
    uint32_t slot, state;
} fpy_od_want;

static int fpy_od_set_args(const char *slot_s, const char *state_s, fpy_od_want *w)
{
    if ((slot_s == NULL) == (state_s == NULL))
        return fpy_cli_usage_error(&fpy_cmd_otadata, "set needs --slot N or --state S");
    w->by_slot = slot_s != NULL;
    if (w->by_slot) /* the FiPy has ota_0 and ota_1 */
        return fpy_cli_number(&fpy_cmd_otadata, "--slot", slot_s, FPY_NUM_PLAIN, 1, &w->slot);
    if (fpy_od_parse_state(state_s, &w->state) != 0)
        return fpy_cli_usage_error(&fpy_cmd_otadata, "unknown state '%s'", state_s);
    return FPY_EXIT_OK;
}

static int fpy_od_set(fpy_od_file *o, const fpy_od_want *w, int rollback)
{
    int rc;
    if (w->by_slot) {
        rc = fpy_otadata_set_boot(&o->flash, o->base, w->slot, 2, rollback);
    } else {
        uint32_t st = w->state;
        fpy_otadata od;
        rc = fpy_otadata_read(&o->flash, o->base, &od);
        /* the entry ESP-IDF's bootloader boots; otatool's if it boots none */
        int a = rc == FPY_OK ? fpy_otadata_active(&od) : -1;
        if (rc == FPY_OK && a < 0)
            a = fpy_otadata_active_otatool(&od);
        if (rc == FPY_OK && a < 0) {
            fprintf(stderr, "fipytool otadata: no valid entry to set a state on\n");
            return FPY_EXIT_FAIL;
        }
        if (rc == FPY_OK)
            rc = fpy_otadata_set_state(&o->flash, o->base, (unsigned)a, st);
    }
    if (rc != FPY_OK) {
        fprintf(stderr, "fipytool otadata: write failed: %s\n", fpy_strerror(rc));
        return FPY_EXIT_FAIL;
    }
    char err[512];
    if ((rc = fpy_lockedfile_save(&o->file, err, sizeof err)) != FPY_OK)
        return fpy_cli_file_error(&fpy_cmd_otadata, rc, err);
    return fpy_od_dump(o, 0);
}

typedef struct fpy_od_args {
    const char *slot, *state;
    int json, rollback;
    fpy_od_want want; /* set: --slot/--state, parsed before the lock */
} fpy_od_args;

/* Open FILE (for writing with `set`), run `act` on it, close it. */
static int fpy_od_on(const char *path, int set, const fpy_od_args *a,
                     int (*act)(fpy_od_file *o, const fpy_od_args *a))
{
    fpy_od_file o;
    int rc = fpy_od_open(&o, path, set);
    if (rc != FPY_EXIT_OK)
        return rc;
    rc = act(&o, a);
    fpy_lockedfile_close(&o.file);
    return rc;
}

static int fpy_od_dump_act(fpy_od_file *o, const fpy_od_args *a)
{
    return fpy_od_dump(o, a->json);
}

static int fpy_od_set_act(fpy_od_file *o, const fpy_od_args *a)
{
    return fpy_od_set(o, &a->want, a->rollback);
}

static int fpy_od_dump_run(void *ctx, int argc, char **argv)
{
    (void)argc;
    return fpy_od_on(argv[1], 0, ctx, fpy_od_dump_act);
}

static int fpy_od_set_run(void *ctx, int argc, char **argv)
{
    fpy_od_args *a = ctx;
    (void)argc;
    int rc = fpy_od_set_args(a->slot, a->state, &a->want);
    return rc != FPY_EXIT_OK ? rc : fpy_od_on(argv[1], 1, a, fpy_od_set_act);
}

static int fpy_otadata_run(int argc, char **argv)
{
    static const char want[] = "expected 'dump FILE' or 'set FILE'";
    static const fpy_cli_sub subs[] = {{"dump", fpy_od_dump_run, NULL},
                                       {"set", fpy_od_set_run, NULL}};
    static const fpy_cli_subs s = {.cmd = &fpy_cmd_otadata, .sub = subs,
                                   .n = FPY_COUNTOF(subs), .unknown = want};
    fpy_od_args a = {0};
    const fpy_opt opts[] = {{"--slot", 0, &a.slot, NULL},
                            {"--state", 0, &a.state, NULL},
                            {"--rollback", 0, NULL, &a.rollback},
                            {"--json", 0, NULL, &a.json}};
    char *pos[2];
    size_t npos;
    int rc = FPY_CLI_PARSE(&fpy_cmd_otadata, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos != 2)
        return fpy_cli_usage_error(&fpy_cmd_otadata, "%s", want);
    return fpy_cli_run_sub(&s, &a, (int)npos, pos);
}

const fpy_cli_cmd fpy_cmd_otadata = {"otadata", "read and write ESP-IDF's otadata",
                                     fpy_otadata_usage, fpy_otadata_run};
