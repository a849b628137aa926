/* fipytool boot: run the boot decision on a flash image file. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "fipy/boot.h"
#include "flashimg.h"
#include "simsys.h"

static const char fpy_boot_usage[] =
    "usage: fipytool boot FLASH.bin [--reset-reason reset|interrupt|timeout|watchdog|panic]\n"
    "                     [--json] [--layout nonble|ble]\n\n"
    "Boot the flash image as fipy's bootloader would after a reset of the\n"
    "given kind (default: reset): verify the slots the FOTA record names,\n"
    "pick the pair by the boot table (docs/boot.md), write what a real boot\n"
    "writes (record, otadata), and print what runs and why. Exit 0 when a VM\n"
    "would start, 1 when nothing is bootable; only a boot that starts a VM\n"
    "writes the image. The layout is the image's partition table's: --layout\n"
    "must agree with it, and chooses only for an image without a table.\n";

static int fpy_reason(const char *s, int *out)
{
    for (int r = FPY_RESET_RESET; r <= FPY_RESET_PANIC; r++) {
        if (strcmp(s, fpy_sfw_reset_name(r)) == 0) {
            *out = r;
            return 0;
        }
    }
    return -1;
}

static const char *fpy_pair_name(uint8_t p)
{
    switch (p) {
    case FPY_PAIR_OK: return "verified";
    case FPY_PAIR_NOBC: return "VM verified, no bytecode";
    case FPY_PAIR_BCBAD: return "VM verified, bytecode refused";
    default: return "VM does not verify";
    }
}

static void fpy_boot_text(const fpy_boot_result *r)
{
    printf("reset reason:  %s\n", fpy_sfw_reset_name(r->reset_reason));
    printf("decision:      rule %u: %s\n", r->row->rule, r->row->why);
    if (r->diag_rc != FPY_OK) {
        char msg[256];
        fpy_diag_format(&r->diag, r->diag_rc, msg, sizeof msg);
        printf("found:         %s: %s\n", r->diag_what, msg);
    }
    if (r->row->action == FPY_BOOT_NONE)
        return;
    printf("boots:         VM slot %u (0x%06x, ABI %u), bytecode slot %u (0x%06x)%s\n",
           r->vm_slot, r->vm_addr, r->vm_abi, r->bc_slot, r->bc_addr,
           r->run_bytecode ? "" : " NOT RUN");
    const char *mode = "stable";
    if (r->row->action == FPY_BOOT_UNCONFIRMED)
        mode = "TEST (unconfirmed, but nothing else can run): accept() makes it permanent";
    else if (r->test_mode)
        mode = "TEST: call accept() before the next reset, or it rolls back";
    printf("mode:          %s\n", mode);
    static const char *const adopted[] = {
        [FPY_ADOPT_RESYNC] = "changed by ESP-IDF's tools, same VM: rewritten to match",
        [FPY_ADOPT_OWN_ATTEMPT] = "an attempt() cut short after its otadata write: completed",
        [FPY_ADOPT_ATTEMPT] = "ESP-IDF selected this VM as NEW (esp_ota_set_boot_partition, "
                              "otatool): taken as attempt()",
        [FPY_ADOPT_ACCEPT] = "ESP-IDF marked this VM valid: taken as accept()",
        [FPY_ADOPT_ROLLBACK] = "ESP-IDF aborted or invalidated the trial: rolled back",
        [FPY_ADOPT_SWITCH] = "ESP-IDF selected this VM as VALID (otatool switch, rollback of "
                             "an invalidated app): taken as the working pair",
    };
    if (r->adopted > FPY_ADOPT_NONE && r->adopted <= FPY_ADOPT_SWITCH)
        printf("otadata:       %s\n", adopted[r->adopted]);
    printf("booted pair:   %s\n", fpy_pair_name(r->status));
    printf("watchdog:      armed, 30 s\n");
}

static void fpy_boot_json(const fpy_boot_result *r)
{
    printf("{\"reset_reason\": \"%s\", \"rule\": %u, \"why\": ",
           fpy_sfw_reset_name(r->reset_reason), r->row->rule);
    fpy_json_str(stdout, r->row->why);
    printf(", \"bootable\": %s", r->row->action == FPY_BOOT_NONE ? "false" : "true");
    if (r->row->action != FPY_BOOT_NONE)
        printf(", \"vm_slot\": %u, \"bc_slot\": %u, \"run_bytecode\": %s, \"test_mode\": %s, "
               "\"mode\": \"%s\"", r->vm_slot, r->bc_slot, r->run_bytecode ? "true" : "false",
               r->test_mode ? "true" : "false", fpy_rec_mode_name(r->rec.mode));
    printf("}\n");
}

static int fpy_boot_cli(int argc, char **argv)
{
    const char *reason_s = NULL, *layout = NULL;
    int json = 0, reason = FPY_RESET_RESET;
    const fpy_opt opts[] = {{"--reset-reason", 0, &reason_s, NULL},
                            {"--layout", 0, &layout, NULL},
                            {"--json", 0, NULL, &json}};
    char *pos[1];
    size_t npos;
    int rc = FPY_CLI_PARSE(&fpy_cmd_boot, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos != 1)
        return fpy_cli_usage_error(&fpy_cmd_boot, "expected a flash image");
    if (reason_s && fpy_reason(reason_s, &reason) != 0)
        return fpy_cli_usage_error(&fpy_cmd_boot, "unknown reset reason '%s'", reason_s);
    fpy_flashimg fi;
    char err[512];
    if ((rc = fpy_flashimg_open(&fi, pos[0], layout, FPY_FILE_WRITE, err, sizeof err)) != FPY_OK)
        return fpy_cli_file_error(&fpy_cmd_boot, rc, err);
    static fpy_fw_work w;
    fpy_boot_result res;
    fpy_simsys ss;
    fpy_sys sys;
    fpy_simsys_init(&ss, &sys);
    fpy_simsys_reset(&ss, reason);
    fpy_boot_cfg cfg = {fi.layout, FPY_REC_STORE_FIPY(), 0, 0, 0, NULL};
    rc = fpy_boot_run(&fi.flash, &sys, &cfg, &w, &res);
    /* what the boot wrote is kept only when a VM starts (docs/files.md) */
    int saved = rc == FPY_OK ? fpy_flashimg_save(&fi, err, sizeof err) : FPY_OK;
    fpy_flashimg_close(&fi);
    if (rc != FPY_OK && rc != FPY_ERR_NOTFOUND) {
        fprintf(stderr, "fipytool boot: flash error: %s\n", fpy_strerror(rc));
        return FPY_EXIT_FAIL;
    }
    if (saved != FPY_OK)
        return fpy_cli_file_error(&fpy_cmd_boot, saved, err);
    if (json)
        fpy_boot_json(&res);
    else
        fpy_boot_text(&res);
    return rc == FPY_OK ? FPY_EXIT_OK : FPY_EXIT_FAIL;
}

const fpy_cli_cmd fpy_cmd_boot = {"boot", "run the boot decision on a flash image",
                                  fpy_boot_usage, fpy_boot_cli};
