/*
 * fipytool vm create: the page's "Create VM" step with no cloud.  Zerynth's
 * cloud built a VM for one chip; here the user gives an ESP32 app image
 * (or takes the virtual board's own VM), it is checked by the board's rule
 * (fpy_fw_vm_check) and against the VM slot of the chosen layout, copied
 * beside the registry and recorded for the device (docs/workflow.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fipy/fw.h"
#include "fipy/layout.h"
#include "hostio.h"
#include "vmgen.h"
#include "workflow.h"

static const char fpy_vm_usage[] =
    "usage: fipytool vm create DEVICE [--vm-image FILE] [--ble | --nonble]\n"
    "                          [--registry PATH] [--json]\n\n"
    "Record the VM and the flash layout DEVICE will run. The VM is an ESP32 app\n"
    "image (FILE; default: the virtual board's own VM, fipy-vm 1.0.0, ABI 1):\n"
    "it must verify as the boot would verify it and fit the layout's VM slot\n"
    "(1 MiB in the non-BLE layout, 1216 KiB in the BLE one). The image is\n"
    "copied beside the registry, so 'fipytool virtualize' writes exactly what\n"
    "was checked here. The layout: --ble, --nonble, or the device's (non-BLE\n"
    "for a new device).\n\n"
    "Exit status: 0 created, 1 refused or failed, 2 usage error.\n";

static int fpy_vm_run(int argc, char **argv);
const fpy_cli_cmd fpy_cmd_vm = {"vm", "create the VM a registered device will run", fpy_vm_usage,
                                fpy_vm_run};

typedef struct fpy_vm_args {
    const char *image, *registry;
    int ble, nonble, json;
} fpy_vm_args;

typedef struct fpy_vm_image {
    uint8_t *buf;
    size_t len;
    const char *name;
    uint32_t abi;
    char version[32], project[32];
} fpy_vm_image;

static int fpy_vm_load(const fpy_vm_args *a, fpy_vm_image *im)
{
    char err[600];
    int rc;
    im->name = a->image != NULL ? a->image : "the virtual board's VM";
    if (a->image != NULL)
        rc = fpy_file_read(a->image, 16u << 20, &im->buf, &im->len, err, sizeof err);
    else if ((rc = fpy_vmgen_vm(FPY_VMGEN_VM_VERSION, &im->buf, &im->len)) != FPY_OK)
        snprintf(err, sizeof err, "cannot make the virtual board's VM: %s", fpy_strerror(rc));
    if (rc != FPY_OK)
        fprintf(stderr, "fipytool vm: %s\n", err);
    return rc == FPY_OK ? FPY_EXIT_OK : FPY_EXIT_FAIL;
}

/* The board's rule for a VM, then the layout's slot. */
static int fpy_vm_check(fpy_vm_image *im, const fpy_layout *l)
{
    static fpy_fw_work w;
    fpy_diag d = {0};
    fpy_image_src src = fpy_image_src_mem(im->buf, im->len);
    int rc = fpy_fw_vm_check(&src, &w, &im->abi, &d);
    if (rc != FPY_OK) {
        char ctx[700];
        snprintf(ctx, sizeof ctx, "vm: %s is not a VM the board would boot", im->name);
        fpy_report(ctx, &d, rc);
        return FPY_EXIT_FAIL;
    }
    snprintf(im->version, sizeof im->version, "%.31s", w.info.app_desc.version);
    snprintf(im->project, sizeof im->project, "%.31s", w.info.app_desc.project_name);
    const fpy_area *slot = fpy_layout_area(l, FPY_AREA_VM_SLOT, 0);
    if (im->len > slot->size) {
        fprintf(stderr, "fipytool vm: image too big for its slot: %s is %zu bytes; VM slot %s "
                        "of the %s layout holds %u\n", im->name, im->len, slot->label, l->name,
                (unsigned)slot->size);
        return FPY_EXIT_FAIL;
    }
    return FPY_EXIT_OK;
}

/* Copy the image to DEVICE-DIR/vm.bin and record it. */
static int fpy_vm_record(fpy_registry *reg, const fpy_reg_device *dev, const fpy_vm_image *im,
                         const fpy_layout *l, fpy_reg_vm *vm)
{
    char dir[480], err[600];
    memset(vm, 0, sizeof *vm);
    vm->present = 1;
    if (fpy_wf_device_dir(reg, dev->id, 1, dir, sizeof dir) != 0) {
        fprintf(stderr, "fipytool vm: cannot make the device's directory beside %s\n",
                fpy_registry_file(reg));
        return FPY_EXIT_FAIL;
    }
    snprintf(vm->path, sizeof vm->path, "%s/vm.bin", dir);
    snprintf(vm->version, sizeof vm->version, "%s", im->version);
    vm->abi = im->abi;
    vm->size = im->len;
    fpy_wf_sha256_hex(im->buf, im->len, vm->sha256);
    int rc = fpy_file_write(vm->path, im->buf, im->len, err, sizeof err);
    if (rc == FPY_OK)
        rc = fpy_registry_set_vm(reg, dev->id, vm, err, sizeof err);
    if (rc == FPY_OK)
        rc = fpy_registry_set_layout(reg, dev->id, l->name, err, sizeof err);
    if (rc != FPY_OK) {
        fprintf(stderr, "fipytool vm: %s\n", err);
        return FPY_EXIT_FAIL;
    }
    fpy_wf_history(&fpy_cmd_vm, reg, dev->id, "vm create", 0, 0, im->buf, im->len, im->name);
    return FPY_EXIT_OK;
}

static void fpy_vm_print(const fpy_vm_args *a, const fpy_reg_device *dev,
                         const fpy_vm_image *im, const fpy_layout *l, const fpy_reg_vm *vm)
{
    const fpy_area *slot = fpy_layout_area(l, FPY_AREA_VM_SLOT, 0);
    if (a->json) {
        printf("{\"device\": ");
        fpy_json_str(stdout, dev->id);
        printf(", \"project\": ");
        fpy_json_str(stdout, im->project);
        printf(", \"version\": ");
        fpy_json_str(stdout, im->version);
        printf(", \"abi\": %u, \"size\": %zu, \"sha256\": \"%s\", \"layout\": \"%s\", "
               "\"slot\": \"%s\", \"slot_size\": %u, \"path\": ", (unsigned)im->abi, im->len,
               vm->sha256, l->name, slot->label, (unsigned)slot->size);
        fpy_json_str(stdout, vm->path);
        printf("}\n");
        return;
    }
    printf("VM for %s: %s %s (ABI %u), %zu bytes, sha256 %.16s...\n", dev->id, im->project,
           im->version, (unsigned)im->abi, im->len, vm->sha256);
    printf("layout %s: VM slot %s at 0x%x (%u KiB), %u%% used\n", l->name, slot->label,
           (unsigned)slot->offset, (unsigned)(slot->size >> 10),
           (unsigned)(im->len * 100u / slot->size));
    fpy_wf_say("next: 'fipytool virtualize %s' with the board in download mode",
               dev->alias[0] ? dev->alias : dev->id);
}

static int fpy_vm_create(const fpy_vm_args *a, const char *device)
{
    fpy_registry *reg;
    fpy_reg_device dev;
    fpy_vm_image im = {0};
    fpy_reg_vm vm;
    if (fpy_wf_registry(&fpy_cmd_vm, a->registry, 0, &reg) != 0)
        return FPY_EXIT_FAIL;
    int rc = fpy_wf_device(&fpy_cmd_vm, reg, device, &dev);
    const fpy_layout *l = fpy_layout_find(a->ble ? "ble" : a->nonble ? "nonble"
                                          : dev.layout[0] ? dev.layout : "nonble");
    if (rc == 0 && l == NULL) {
        fprintf(stderr, "fipytool vm: %s has an unknown layout '%s'\n", dev.id, dev.layout);
        rc = FPY_EXIT_FAIL;
    }
    if (rc == 0)
        rc = fpy_vm_load(a, &im);
    if (rc == 0)
        rc = fpy_vm_check(&im, l);
    if (rc == 0)
        rc = fpy_vm_record(reg, &dev, &im, l, &vm);
    if (rc == 0)
        fpy_vm_print(a, &dev, &im, l, &vm);
    free(im.buf);
    fpy_registry_close(reg);
    return rc;
}

static int fpy_vm_create_run(void *ctx, int argc, char **argv)
{
    const fpy_vm_args *a = ctx;
    if (argc != 2)
        return fpy_cli_usage_error(&fpy_cmd_vm, "expected 'vm create DEVICE'");
    if (a->ble && a->nonble)
        return fpy_cli_usage_error(&fpy_cmd_vm, "--ble and --nonble exclude each other");
    return fpy_vm_create(a, argv[1]);
}

static int fpy_vm_run(int argc, char **argv)
{
    static const fpy_cli_sub subs[] = {{"create", fpy_vm_create_run, NULL}};
    static const fpy_cli_subs s = {.cmd = &fpy_cmd_vm, .sub = subs, .n = FPY_COUNTOF(subs)};
    fpy_vm_args a = {0};
    const fpy_opt opts[] = {{"--vm-image", 0, &a.image, NULL},
                            {"--registry", 0, &a.registry, NULL},
                            {"--ble", 0, NULL, &a.ble},
                            {"--nonble", 0, NULL, &a.nonble},
                            {"--json", 0, NULL, &a.json}};
    char *pos[4];
    size_t npos;
    int rc = FPY_CLI_PARSE(&fpy_cmd_vm, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    return fpy_cli_run_sub(&s, &a, (int)npos, pos);
}
