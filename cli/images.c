/* A VM image and a bytecode image named on the command line, checked by
 * the rules the board applies before anything is written. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "fipy/bcimage.h"
#include "fipy/fw.h"
#include "hostio.h"

int fpy_cli_images_load(const fpy_cli_cmd *cmd, fpy_cli_image im[2], size_t limit)
{
    char err[512];
    for (int i = 0; i < 2; i++) {
        if (im[i].path == NULL)
            continue;
        if (fpy_file_read(im[i].path, limit, &im[i].buf, &im[i].len, err, sizeof err) !=
            FPY_OK) {
            fprintf(stderr, "fipytool %s: %s %s: %s\n", cmd->name, im[i].kind, im[i].path, err);
            return FPY_EXIT_FAIL;
        }
    }
    return FPY_EXIT_OK;
}

/* One rule each (fipy/fw.h, fipy/bcimage.h): the VM may boot; the
 * bytecode verifies, for the VM's ABI when a VM comes with it. */
int fpy_cli_images_check(const fpy_cli_cmd *cmd, const fpy_cli_image im[2])
{
    static fpy_fw_work w;
    fpy_diag d = {0};
    uint32_t abi = 0;
    int rc = FPY_OK, bad = 0;
    if (im[0].buf != NULL) {
        fpy_image_src src = fpy_image_src_mem(im[0].buf, im[0].len);
        rc = fpy_fw_vm_check(&src, &w, &abi, &d);
    }
    if (rc == FPY_OK && im[1].buf != NULL) {
        fpy_bc_header h;
        rc = fpy_bc_verify_mem(im[1].buf, im[1].len, im[0].buf != NULL ? &abi : NULL, &h, &d);
        bad = 1;
    }
    if (rc == FPY_OK)
        return FPY_EXIT_OK;
    char ctx[600];
    snprintf(ctx, sizeof ctx, "%s: %s %s", cmd->name, im[bad].kind, im[bad].path);
    fpy_report(ctx, &d, rc);
    return FPY_EXIT_FAIL;
}

void fpy_cli_images_free(fpy_cli_image im[2])
{
    for (int i = 0; i < 2; i++) {
        free(im[i].buf);
        im[i].buf = NULL;
    }
}
