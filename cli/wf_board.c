/*
 * The steps that write a device's own board, shared by virtualize and
 * protect: the VM vm create recorded (unchanged since), the board in
 * download mode checked to be the device, regions written, verified and
 * recorded in the device's history.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostio.h"
#include "workflow.h"

int fpy_wf_vm_load(const fpy_cli_cmd *cmd, const fpy_reg_device *dev, uint8_t **vm,
                   size_t *len)
{
    char err[600], sha[65];
    if (!dev->vm.present) {
        fprintf(stderr, "fipytool %s: no VM created for %s: run 'fipytool vm create %s' "
                        "first\n", cmd->name, dev->id, dev->alias[0] ? dev->alias : dev->id);
        return FPY_EXIT_FAIL;
    }
    if (fpy_file_read(dev->vm.path, 16u << 20, vm, len, err, sizeof err) != FPY_OK) {
        fprintf(stderr, "fipytool %s: the VM of %s: %s\n", cmd->name, dev->id, err);
        return FPY_EXIT_FAIL;
    }
    fpy_wf_sha256_hex(*vm, *len, sha);
    if (strcmp(sha, dev->vm.sha256) != 0) {
        fprintf(stderr, "fipytool %s: %s changed since 'vm create' (SHA-256 %.16s..., "
                        "recorded %.16s...): run 'fipytool vm create %s' again\n",
                cmd->name, dev->vm.path, sha, dev->vm.sha256, dev->id);
        free(*vm);
        *vm = NULL;
        return FPY_EXIT_FAIL;
    }
    return FPY_EXIT_OK;
}

int fpy_wf_same_board(const fpy_cli_cmd *cmd, const fpy_session *s, const fpy_reg_device *dev)
{
    if (memcmp(s->fl.chip.mac, dev->mac, 6) == 0)
        return FPY_EXIT_OK;
    char other[FPY_REGISTRY_ID_LEN];
    fpy_registry_id(s->fl.chip.mac, other);
    fprintf(stderr, "fipytool %s: the board on %s is %s, not %s; nothing written\n", cmd->name,
            s->port, other, dev->id);
    return FPY_EXIT_FAIL;
}

int fpy_wf_connect(fpy_session *s, const char *sock)
{
    fpy_flasher_opts o = {0};
    int rc = fpy_session_open_port(s);
    if (rc == 0 && (rc = fpy_wf_download_mode(s, sock)) != 0)
        fpy_session_close_port(s);
    if (rc == 0)
        rc = fpy_session_connect(s, &o);
    return rc;
}

int fpy_wf_write_regions(const fpy_cli_cmd *cmd, fpy_session *s, fpy_registry *reg,
                         const fpy_reg_device *dev, const fpy_flash_region *r, size_t n)
{
    int rc = fpy_flasher_write(&s->fl, r, n);
    if (rc == FPY_OK)
        rc = fpy_flasher_verify(&s->fl, r, n, NULL);
    if (rc != FPY_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        fpy_wf_history(cmd, reg, dev->id, cmd->name, 1, r[i].addr, r[i].data, r[i].len,
                       r[i].name);
    if (!s->a->json)
        fprintf(stderr, "%zu regions written and verified: %u sector(s) written, %u unchanged "
                        "(skipped)\n", n, (unsigned)s->fl.sectors_written,
                (unsigned)s->fl.sectors_skipped);
    return FPY_OK;
}
