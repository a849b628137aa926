/*
 * fipytool virtualize: the page's "Virtualize" step.  Writes what makes a
 * registered board a FiPy running its VM (host/provision.h): the
 * second-stage bootloader, the layout's partition table, the provisioning
 * NVS, a fresh otadata and FOTA record and the VM in slot 0, through the
 * flasher (sectors that already match are skipped), verifies all of it,
 * records it in the device's history, and takes the board out of
 * download mode (docs/workflow.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fipy/image.h"
#include "fipy/layout.h"
#include "hostio.h"
#include "provision.h"
#include "vmgen.h"
#include "workflow.h"

static const char fpy_virtualize_usage[] =
    "usage: fipytool virtualize DEVICE [--bootloader FILE] [--registry PATH]\n"
    "                           [board options]\n\n"
    "Write the VM created for DEVICE ('fipytool vm create') and everything it\n"
    "boots with: the second-stage bootloader at 0x1000, the partition table of\n"
    "its layout, the provisioning NVS, a fresh otadata and FOTA record (VM slot 0,\n"
    "bytecode slot 0), and the VM in slot 0. Only sectors that differ are\n"
    "written; everything is verified by MD5. The board on the port must be\n"
    "DEVICE, in download mode. Then remove the jumper and press reset (a virtual\n"
    "FiPy behind a pty: done through its control socket).\n\n"
    "  --bootloader FILE  ESP-IDF's second-stage bootloader image, needed for a\n"
    "                     real FiPy (the virtual board's own is used on a virtual\n"
    "                     one and would not run on a chip)\n"
    "  --registry PATH    the registry\n"
    "  --sim-ctl SOCKET   the virtual board's control socket, when it is not\n"
    "                     found by itself\n"
    "Board options: --port PORT, --baud N, --wait S, --no-reset, --json.\n"
    "Exit status: 0 virtualized, 1 failed, 2 usage error, 130 interrupted.\n";

static int fpy_virtualize_run(int argc, char **argv);
const fpy_cli_cmd fpy_cmd_virtualize = {"virtualize", "write a device's VM, bootloader and "
                                        "tables to its flash", fpy_virtualize_usage,
                                        fpy_virtualize_run};

typedef struct fpy_virt_args {
    fpy_session_args b;
    const char *bootloader, *registry, *sim_ctl;
} fpy_virt_args;

typedef struct fpy_virt_files {
    uint8_t *vm, *boot;
    size_t vm_len, boot_len;
    const char *boot_name;
} fpy_virt_files;

/* The user's bootloader must be an ESP32 image (no app description). */
static int fpy_virt_boot_check(const fpy_virt_files *f)
{
    static uint8_t scratch[2048];
    static fpy_image_info info;
    fpy_diag d = {0};
    fpy_image_src src = fpy_image_src_mem(f->boot, f->boot_len);
    int rc = fpy_image_verify(&src, scratch, sizeof scratch, FPY_IMAGE_CHECK_LOADER, &info, &d);
    if (rc != FPY_OK) {
        char ctx[700];
        snprintf(ctx, sizeof ctx, "virtualize: %s is not an ESP32 bootloader image",
                 f->boot_name);
        fpy_report(ctx, &d, rc);
        return FPY_EXIT_FAIL;
    }
    return FPY_EXIT_OK;
}

static int fpy_virt_boot(const fpy_virt_args *a, int virt, fpy_virt_files *f)
{
    char err[600];
    if (a->bootloader != NULL) {
        f->boot_name = a->bootloader;
        if (fpy_file_read(a->bootloader, 64u << 10, &f->boot, &f->boot_len, err, sizeof err) !=
            FPY_OK) {
            fprintf(stderr, "fipytool virtualize: %s\n", err);
            return FPY_EXIT_FAIL;
        }
        return fpy_virt_boot_check(f);
    }
    if (!virt) {
        fprintf(stderr, "fipytool virtualize: a real FiPy needs ESP-IDF's second-stage "
                        "bootloader: give it with --bootloader bootloader.bin (the virtual "
                        "board's own would not run on a chip); nothing written\n");
        return FPY_EXIT_FAIL;
    }
    f->boot_name = "the virtual board's bootloader";
    int rc = fpy_vmgen_bootloader(NULL, &f->boot, &f->boot_len);
    if (rc != FPY_OK)
        fprintf(stderr, "fipytool virtualize: %s: %s\n", f->boot_name, fpy_strerror(rc));
    return rc == FPY_OK ? FPY_EXIT_OK : FPY_EXIT_FAIL;
}

static int fpy_virt_board(const fpy_virt_args *a, fpy_registry *reg, const fpy_reg_device *dev,
                          fpy_session *s, const char *sock, fpy_provision *p)
{
    int rc = fpy_wf_connect(s, sock);
    if (rc != 0)
        return rc;
    if (fpy_wf_same_board(&fpy_cmd_virtualize, s, dev) != 0) {
        (void)fpy_session_close(s, FPY_OK, 0);
        return fpy_session_json_fail(a->b.json, FPY_EXIT_FAIL, "wrong-board");
    }
    if ((rc = fpy_session_refuse_encrypted(s, "virtualize")) != 0)
        return rc;
    int wr = fpy_wf_write_regions(&fpy_cmd_virtualize, s, reg, dev, p->r, p->n);
    int done = 0;
    rc = fpy_session_close(s, wr, !fpy_wf_by_hand(s, sock));
    if (rc == 0)
        rc = fpy_wf_run_mode(s, sock, &done);
    if (rc == 0 && !a->b.json)
        printf("%s virtualized: %s %s in VM slot 0 of the %s layout%s\n", dev->id,
               dev->vm.path, dev->vm.version, dev->layout,
               done ? "; the board boots it now" : "");
    return rc;
}

static int fpy_virtualize(const fpy_virt_args *a, const char *device)
{
    fpy_registry *reg;
    fpy_reg_device dev;
    fpy_virt_files f = {0};
    fpy_provision p = {0};
    fpy_session s;
    char sock[300], err[600];
    if (fpy_wf_registry(&fpy_cmd_virtualize, a->registry, 0, &reg) != 0)
        return fpy_session_json_fail(a->b.json, FPY_EXIT_FAIL, "registry");
    int rc = fpy_wf_device(&fpy_cmd_virtualize, reg, device, &dev);
    if (rc == 0)
        rc = fpy_wf_vm_load(&fpy_cmd_virtualize, &dev, &f.vm, &f.vm_len);
    if (rc == 0)
        rc = fpy_session_prepare(&s, &fpy_cmd_virtualize, &a->b, 0);
    int virt = rc == 0 && fpy_wf_virtual(&s, a->sim_ctl, sock, sizeof sock);
    if (rc == 0)
        rc = fpy_virt_boot(a, virt, &f);
    fpy_provision_in in = {fpy_layout_find(dev.layout[0] ? dev.layout : "nonble"), f.boot,
                           f.boot_len, f.boot_name, f.vm, f.vm_len, "VM", dev.id,
                           dev.registered_at};
    if (rc == 0 && fpy_provision_build(&in, &p, err, sizeof err) != FPY_OK) {
        fprintf(stderr, "fipytool virtualize: %s; nothing written\n", err);
        rc = FPY_EXIT_FAIL;
    }
    if (rc != 0)
        rc = fpy_session_json_fail(a->b.json, rc, NULL);
    else
        rc = fpy_virt_board(a, reg, &dev, &s, virt ? sock : NULL, &p);
    fpy_provision_free(&p);
    free(f.vm);
    free(f.boot);
    fpy_registry_close(reg);
    return rc;
}

static int fpy_virtualize_run(int argc, char **argv)
{
    fpy_virt_args a = {0};
    const fpy_opt opts[] = {
        {"--port", 'p', &a.b.port, NULL},   {"--baud", 'b', &a.b.baud, NULL},
        {"--wait", 0, &a.b.wait, NULL},     {"--json", 0, NULL, &a.b.json},
        {"--no-reset", 0, NULL, &a.b.no_reset}, {"--bootloader", 0, &a.bootloader, NULL},
        {"--registry", 0, &a.registry, NULL},   {"--sim-ctl", 0, &a.sim_ctl, NULL}};
    char *pos[2];
    size_t npos;
    int rc = FPY_CLI_PARSE(&fpy_cmd_virtualize, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos != 1)
        return fpy_cli_usage_error(&fpy_cmd_virtualize, "expected 'virtualize DEVICE'");
    return fpy_virtualize(&a, pos[0]);
}
