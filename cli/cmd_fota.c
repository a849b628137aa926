/* fipytool fota: the FOTA record and updates, on a flash image file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fipy/bcimage.h"
#include "fipy/fota.h"
#include "flashimg.h"

static const char fpy_fota_usage[] =
    "usage: fipytool fota status FLASH.bin [--json]\n"
    "       fipytool fota apply FLASH.bin [--vm NEW.bin] [--bc NEW.fbc] [--chunk N]\n"
    "       fipytool fota accept FLASH.bin\n\n"
    "  status   the FOTA record: running and last working VM/bytecode slots,\n"
    "           mode (STABLE, TEST_NEW, TEST_BOOTED), boot-loop counter\n"
    "  apply    write the new image(s) into the slots that are not running,\n"
    "           in chunks of N bytes (default 1024), as an update over the air\n"
    "           would; verify them; then attempt(): the next boot runs them in\n"
    "           test mode ('fipytool boot FLASH.bin')\n"
    "  accept   what the new firmware calls once it works: makes the trial pair\n"
    "           permanent; without it, the next reset rolls back\n"
    "The layout is the image's partition table's; --layout must agree with it,\n"
    "and chooses only for an image without a table (docs/files.md).\n";

static void fpy_rec_print(const fpy_rec *r, int found, int json)
{
    if (json) {
        printf("{\"record\": %s, \"seq\": %u, \"mode\": \"%s\", \"vm_cur\": %u, "
               "\"bc_cur\": %u, \"vm_last\": %u, \"bc_last\": %u, \"boot_count\": %u, "
               "\"rolled_back\": %s, \"has_prev\": %s}\n",
               found ? "true" : "false", r->seq, fpy_rec_mode_name(r->mode), r->vm_cur,
               r->bc_cur, r->vm_last, r->bc_last, r->boot_count,
               (r->flags & FPY_REC_F_ROLLED_BACK) ? "true" : "false",
               r->has_prev ? "true" : "false");
        return;
    }
    if (!found)
        printf("no FOTA record yet (a new device: VM slot 0, bytecode slot 0)\n");
    else
        printf("FOTA record #%u\n", r->seq);
    static const char *const what[] = {
        "", " (attempted: the next boot starts the trial)",
        " (on trial: accept() makes it permanent; a reset before that rolls back)"};
    printf("  mode:          %s%s\n", fpy_rec_mode_name(r->mode),
           r->mode <= FPY_REC_TEST_BOOTED ? what[r->mode] : "");
    printf("  current:       VM slot %u, bytecode slot %u\n", r->vm_cur, r->bc_cur);
    printf("  last working:  VM slot %u, bytecode slot %u\n", r->vm_last, r->bc_last);
    if (r->has_prev)
        printf("  previous:      VM slot %u, bytecode slot %u\n", r->vm_prev, r->bc_prev);
    printf("  boot-loop count: %u\n", r->boot_count);
    if (r->flags & FPY_REC_F_ROLLED_BACK)
        printf("  the last trial failed and was rolled back\n");
    if (r->flags & FPY_REC_F_REVERTED)
        printf("  the boot went back to an older pair (rule %u, docs/boot.md)\n", r->reason);
    if (r->flags & FPY_REC_F_STABLE_RUN)
        printf("  the working pair has reported a stable run\n");
}

static int fpy_status(fpy_flashimg *fi, int json)
{
    fpy_rec r;
    int copy;
    fpy_rec_store st = FPY_REC_STORE_FIPY();
    int rc = fpy_rec_load(&fi->flash, &st, &r, &copy);
    if (rc != FPY_OK && rc != FPY_ERR_NOTFOUND) {
        fprintf(stderr, "fipytool fota: cannot read the record: %s\n", fpy_strerror(rc));
        return FPY_EXIT_FAIL;
    }
    fpy_rec_print(&r, rc == FPY_OK, json);
    return FPY_EXIT_OK;
}

/* The image's new bytes to its file, before success is reported. */
static int fpy_fota_save(fpy_flashimg *fi)
{
    char err[512];
    int rc = fpy_flashimg_save(fi, err, sizeof err);
    return rc == FPY_OK ? FPY_EXIT_OK : fpy_cli_file_error(&fpy_cmd_fota, rc, err);
}

/* Stream the update in chunks, as a FOTA client would receive it. */
static int fpy_stream(fpy_fota *u, const fpy_cli_image *parts, uint32_t chunk, fpy_diag *d)
{
    uint32_t off = 0;
    for (int p = 0; p < 2; p++) {
        for (size_t i = 0; parts[p].buf != NULL && i < parts[p].len; i += chunk) {
            uint32_t k = (uint32_t)(parts[p].len - i < chunk ? parts[p].len - i : chunk);
            FPY_TRY(fpy_fota_write(u, off, parts[p].buf + i, k, d));
            off += k;
        }
    }
    return FPY_OK;
}

/* Say what failed (which image, which step) and what the failure cost. */
static void fpy_apply_failed(const char *flash, const fpy_fota *u, const fpy_cli_image *parts,
                             const char *step, const fpy_diag *d, int rc)
{
    char ctx[700];
    if (strcmp(step, "begin") == 0) {
        snprintf(ctx, sizeof ctx, "fota apply %s: refused before writing anything", flash);
    } else {
        unsigned i = (u->req.targets & FPY_FOTA_VM) && u->cur_part == 0 ? 0u : 1u;
        snprintf(ctx, sizeof ctx, "fota apply %s: %s %s (%s)", flash, parts[i].kind,
                 parts[i].path, step);
    }
    fpy_report(ctx, d, rc);
    if (strcmp(step, "begin") != 0 && u->lost_prev)
        fprintf(stderr, "fipytool fota apply: the previous pair's slots were overwritten by "
                        "this update: it is no longer a fallback (the running pair is "
                        "unchanged)\n");
}

static int fpy_apply_run(fpy_flashimg *fi, const char *flash, fpy_fota_req *q,
                         const fpy_cli_image *parts, uint32_t chunk)
{
    static fpy_fota u;
    static fpy_fw_work w;
    fpy_rec_store st = FPY_REC_STORE_FIPY();
    fpy_diag d = {0};
    const char *step = "begin";
    memset(&u, 0, sizeof u);
    int rc = fpy_fota_next_slots(&fi->flash, &st, &q->vm_slot, &q->bc_slot);
    if (rc == FPY_OK)
        rc = fpy_fota_begin(&u, &fi->flash, fi->layout, &st, q, NULL, &w, &d);
    if (rc == FPY_OK && (step = "write", 1))
        rc = fpy_stream(&u, parts, chunk, &d);
    if (rc == FPY_OK && (step = "verify", 1))
        rc = fpy_fota_finish(&u, &w, &d);
    if (rc == FPY_OK && (step = "attempt", 1))
        rc = fpy_fota_commit(&u);
    if (rc != FPY_OK) {
        fpy_apply_failed(flash, &u, parts, step, &d, rc);
        return FPY_EXIT_FAIL;
    }
    if (fpy_fota_save(fi) != FPY_EXIT_OK)
        return FPY_EXIT_FAIL;
    const fpy_flashsim_stats *s = &fi->sim.stats;
    if (parts[0].buf)
        printf("VM       -> slot %u (0x%06x), %zu bytes, SHA-256 ok, image verified\n",
               q->vm_slot, u.part[0].base, parts[0].len);
    if (parts[1].buf)
        printf("bytecode -> slot %u (0x%06x), %zu bytes, SHA-256 ok, ABI ok\n", q->bc_slot,
               u.part[parts[0].buf ? 1 : 0].base, parts[1].len);
    printf("  %llu sector erases, %llu page programs, %llu bytes read back to verify\n",
           (unsigned long long)s->erases, (unsigned long long)s->pages_programmed,
           (unsigned long long)s->bytes_read);
    printf("  simulated ESP32 flash time: %.2f s\n", (double)s->time_ns / 1e9);
    printf("attempt() done: the next boot runs the new pair in test mode\n");
    return FPY_EXIT_OK;
}

/* What apply writes, read and verified before the image is locked: a
 * command holding one file's lock while it waits for another's could
 * deadlock with one doing the reverse (docs/files.md). */
static int fpy_apply_inputs(const char *chunk_s, fpy_cli_image *parts, uint32_t *chunk)
{
    *chunk = 1024;
    int rc = fpy_cli_number(&fpy_cmd_fota, "--chunk", chunk_s, FPY_NUM_PLAIN, 1u << 20, chunk);
    if (rc != 0)
        return rc;
    if (*chunk == 0)
        return fpy_cli_usage_error(&fpy_cmd_fota, "--chunk: 0 is not a chunk size");
    if (!parts[0].path && !parts[1].path)
        return fpy_cli_usage_error(&fpy_cmd_fota, "apply needs --vm and/or --bc");
    /* the whole images first: a refused update never costs a sector */
    rc = fpy_cli_images_load(&fpy_cmd_fota, parts, 8u << 20);
    return rc != FPY_EXIT_OK ? rc : fpy_cli_images_check(&fpy_cmd_fota, parts);
}

static int fpy_apply(fpy_flashimg *fi, const char *flash, const fpy_cli_image *parts,
                     uint32_t chunk)
{
    fpy_fota_req q;
    int rc = fpy_fota_req_from_images(&q, parts[0].buf, parts[0].len, parts[1].buf,
                                      parts[1].len);
    if (rc != FPY_OK) {
        fprintf(stderr, "fipytool fota: SHA-256 of the images: %s\n", fpy_strerror(rc));
        return FPY_EXIT_FAIL;
    }
    return fpy_apply_run(fi, flash, &q, parts, chunk);
}

static int fpy_accept(fpy_flashimg *fi)
{
    fpy_rec_store st = FPY_REC_STORE_FIPY();
    fpy_rec r;
    int copy;
    int rc = fpy_rec_load(&fi->flash, &st, &r, &copy);
    if (rc == FPY_OK && r.mode == FPY_REC_STABLE) {
        fprintf(stderr, "fipytool fota: nothing to accept: no trial is running%s\n",
                (r.flags & FPY_REC_F_ROLLED_BACK) ? " (the last one was rolled back)" : "");
        return FPY_EXIT_FAIL;
    }
    if (rc == FPY_OK)
        rc = fpy_fota_accept(&fi->flash, &st, NULL, NULL);
    if (rc == FPY_ERR_STATE) {
        fprintf(stderr, "fipytool fota: nothing to accept: the attempted pair has not booted "
                        "yet (run 'fipytool boot' first)\n");
        return FPY_EXIT_FAIL;
    }
    if (rc != FPY_OK) {
        fprintf(stderr, "fipytool fota: accept failed: %s\n",
                rc == FPY_ERR_NOTFOUND ? "no FOTA record: nothing was attempted"
                                       : fpy_strerror(rc));
        return FPY_EXIT_FAIL;
    }
    if (fpy_fota_save(fi) != FPY_EXIT_OK)
        return FPY_EXIT_FAIL;
    printf("accepted\n");
    return fpy_status(fi, 0);
}

typedef struct fpy_fota_args {
    const char *vm, *bc, *chunk, *layout;
    int json;
    fpy_cli_image parts[2]; /* apply: the images, loaded before the flash image */
    uint32_t chunk_n;
} fpy_fota_args;

/* Open FLASH.bin for `mode`, run `act` on it, close it. */
static int fpy_fota_on(const char *path, const fpy_fota_args *a, int mode,
                       int (*act)(fpy_flashimg *fi, const char *path, const fpy_fota_args *a))
{
    fpy_flashimg fi;
    char err[512];
    int rc = fpy_flashimg_open(&fi, path, a->layout, mode, err, sizeof err);
    if (rc != FPY_OK)
        return fpy_cli_file_error(&fpy_cmd_fota, rc, err);
    rc = act(&fi, path, a);
    fpy_flashimg_close(&fi);
    return rc;
}

static int fpy_fota_status_act(fpy_flashimg *fi, const char *path, const fpy_fota_args *a)
{
    (void)path;
    return fpy_status(fi, a->json);
}

static int fpy_fota_apply_act(fpy_flashimg *fi, const char *path, const fpy_fota_args *a)
{
    return fpy_apply(fi, path, a->parts, a->chunk_n);
}

static int fpy_fota_accept_act(fpy_flashimg *fi, const char *path, const fpy_fota_args *a)
{
    (void)path, (void)a;
    return fpy_accept(fi);
}

static int fpy_fota_status_run(void *ctx, int argc, char **argv)
{
    (void)argc;
    return fpy_fota_on(argv[1], ctx, FPY_FILE_READ, fpy_fota_status_act);
}

static int fpy_fota_apply_run(void *ctx, int argc, char **argv)
{
    fpy_fota_args *a = ctx;
    (void)argc;
    int rc = fpy_apply_inputs(a->chunk, a->parts, &a->chunk_n);
    if (rc == FPY_EXIT_OK)
        rc = fpy_fota_on(argv[1], a, FPY_FILE_WRITE, fpy_fota_apply_act);
    fpy_cli_images_free(a->parts);
    return rc;
}

static int fpy_fota_accept_run(void *ctx, int argc, char **argv)
{
    (void)argc;
    return fpy_fota_on(argv[1], ctx, FPY_FILE_WRITE, fpy_fota_accept_act);
}

static int fpy_fota_run(int argc, char **argv)
{
    static const char want[] = "expected status, apply or accept, and a flash image";
    static const fpy_cli_sub subs[] = {{"status", fpy_fota_status_run, NULL},
                                       {"apply", fpy_fota_apply_run, NULL},
                                       {"accept", fpy_fota_accept_run, NULL}};
    static const fpy_cli_subs s = {.cmd = &fpy_cmd_fota, .sub = subs, .n = FPY_COUNTOF(subs),
                                   .unknown = want};
    fpy_fota_args a = {0};
    const fpy_opt opts[] = {{"--vm", 0, &a.vm, NULL},       {"--bc", 0, &a.bc, NULL},
                            {"--chunk", 0, &a.chunk, NULL}, {"--layout", 0, &a.layout, NULL},
                            {"--json", 0, NULL, &a.json}};
    char *pos[2];
    size_t npos;
    int rc = FPY_CLI_PARSE(&fpy_cmd_fota, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos != 2)
        return fpy_cli_usage_error(&fpy_cmd_fota, "%s", want);
    fpy_cli_image parts[2] = FPY_CLI_IMAGES(a.vm, a.bc);
    memcpy(a.parts, parts, sizeof parts);
    return fpy_cli_run_sub(&s, &a, (int)npos, pos);
}

const fpy_cli_cmd fpy_cmd_fota = {"fota", "FOTA record, apply an update, accept it",
                                  fpy_fota_usage, fpy_fota_run};
