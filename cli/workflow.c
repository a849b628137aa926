/* What the workflow commands share (cli/workflow.h). */
#include "workflow.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fipy/hash.h"
#include "flasher_conn.h"
#include "simctl.h"

int fpy_wf_registry(const fpy_cli_cmd *cmd, const char *given, int create, fpy_registry **reg)
{
    char path[1024], err[600];
    fpy_registry_cfg cfg = {!create, 0};
    int rc = fpy_registry_path(given, path, sizeof path, err, sizeof err);
    if (rc == FPY_OK)
        rc = fpy_registry_open(path, &cfg, reg, err, sizeof err);
    if (rc == FPY_ERR_NOTFOUND && !create)
        fprintf(stderr, "fipytool %s: no device registered yet (%s): run 'fipytool register' "
                        "with the board connected\n", cmd->name, err);
    else if (rc != FPY_OK)
        fprintf(stderr, "fipytool %s: registry unreadable: %s\n", cmd->name, err);
    return rc == FPY_OK ? FPY_EXIT_OK : FPY_EXIT_FAIL;
}

int fpy_wf_device(const fpy_cli_cmd *cmd, fpy_registry *reg, const char *arg,
                  fpy_reg_device *dev)
{
    char err[600];
    int rc = fpy_registry_resolve(reg, arg, dev, err, sizeof err);
    if (rc == FPY_OK)
        return FPY_EXIT_OK;
    if (rc == FPY_ERR_NOTFOUND)
        fprintf(stderr, "fipytool %s: device not registered: %s (run 'fipytool register' with "
                        "the board connected; 'fipytool device list' shows the registered "
                        "ones)\n", cmd->name, arg);
    else
        fprintf(stderr, "fipytool %s: %s\n", cmd->name, err);
    return FPY_EXIT_FAIL;
}

static int fpy_wf_mkdir(const char *path)
{
    return mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

int fpy_wf_device_dir(fpy_registry *reg, const char *id, int mk, char *out, size_t cap)
{
    char base[1024];
    snprintf(base, sizeof base, "%s", fpy_registry_file(reg));
    char *slash = strrchr(base, '/');
    if (slash == NULL)
        snprintf(base, sizeof base, ".");
    else
        slash[slash == base] = '\0'; /* "/registry.db" keeps its "/" */
    int n = snprintf(out, cap, "%s/devices", base);
    if (n < 0 || (size_t)n >= cap || (mk && fpy_wf_mkdir(out) != 0))
        return -1;
    n = snprintf(out, cap, "%s/devices/%s", base, id);
    if (n < 0 || (size_t)n >= cap || (mk && fpy_wf_mkdir(out) != 0))
        return -1;
    return 0;
}

int fpy_wf_device_files_remove(fpy_registry *reg, const char *id)
{
    static const char *const files[] = {"vm.bin", "provision-nvs.bin"};
    char dir[1024], path[1100];
    int rc = 0;
    if (fpy_wf_device_dir(reg, id, 0, dir, sizeof dir) != 0)
        return -1;
    for (size_t i = 0; i < FPY_COUNTOF(files); i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        if (unlink(path) != 0 && errno != ENOENT)
            rc = -1;
    }
    if (rmdir(dir) != 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST)
        rc = -1;
    return rc;
}

void fpy_wf_say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("==> ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int fpy_wf_virtual(const fpy_session *s, const char *given, char *sock, size_t cap)
{
    if (given != NULL) {
        snprintf(sock, cap, "%s", given);
        return 1;
    }
    return fpy_simctl_find(s->port, sock, cap) == FPY_OK;
}

int fpy_wf_ctl(const fpy_cli_cmd *cmd, const char *sock, const char *what)
{
    char reply[1100], err[600];
    if (fpy_simctl_send(sock, what, reply, sizeof reply, err, sizeof err) == FPY_OK)
        return FPY_EXIT_OK;
    fprintf(stderr, "fipytool %s: the virtual board's control socket: %s\n", cmd->name, err);
    return FPY_EXIT_FAIL;
}

/* A virtual board reached through a pty has no modem lines: its jumper and
 * reset button are worked through the control socket. */
int fpy_wf_by_hand(const fpy_session *s, const char *sock)
{
    return sock != NULL && strstr(s->port, "://") == NULL;
}

int fpy_wf_reset(fpy_session *s, const char *sock)
{
    if (fpy_wf_by_hand(s, sock)) {
        if (!s->a->json)
            fpy_wf_say("press reset (on this virtual FiPy: 'reset' through %s)", sock);
        return fpy_wf_ctl(s->cmd, sock, "reset");
    }
    fpy_romclient rc;
    fpy_romc_init(&rc, fpy_flasher_conn_link(s->conn), FPY_SESSION_ROM_BAUD);
    if (fpy_romc_reset_run(&rc) != FPY_OK)
        fpy_wf_say("this port has no DTR/RTS: press the board's reset button now (the jumper "
                   "G23-GND off)");
    return FPY_EXIT_OK;
}

int fpy_wf_download_mode(fpy_session *s, const char *sock)
{
    if (!fpy_wf_by_hand(s, sock)) {
        if (!s->a->json)
            fpy_wf_say("download mode: the reset through DTR/RTS, or, on a board without "
                       "them, the jumper G23-GND and the reset button when asked");
        return FPY_EXIT_OK;
    }
    if (!s->a->json)
        fpy_wf_say("download mode: put the jumper G23-GND on and press reset (on this virtual "
                   "FiPy: 'jumper on' and 'reset' through %s)", sock);
    int rc = fpy_wf_ctl(s->cmd, sock, "jumper on");
    return rc != 0 ? rc : fpy_wf_ctl(s->cmd, sock, "reset");
}

int fpy_wf_run_mode(fpy_session *s, const char *sock, int *done)
{
    *done = 0;
    if (!fpy_wf_by_hand(s, sock)) {
        if (!s->a->json)
            fpy_wf_say("run mode: remove the jumper G23-GND if it is on and press reset: the "
                       "board boots the VM");
        return FPY_EXIT_OK;
    }
    if (!s->a->json)
        fpy_wf_say("run mode: remove the jumper G23-GND and press reset (on this virtual FiPy: "
                   "'jumper off' and 'reset' through %s)", sock);
    int rc = fpy_wf_ctl(s->cmd, sock, "jumper off");
    if (rc == 0)
        rc = fpy_wf_ctl(s->cmd, sock, "reset");
    *done = rc == 0;
    return rc;
}

void fpy_wf_sha256_hex(const uint8_t *buf, size_t len, char out[65])
{
    uint8_t d[FPY_SHA256_LEN];
    if (fpy_sha256_buf(buf, len, d) != FPY_OK) {
        out[0] = '\0';
        return;
    }
    for (size_t i = 0; i < FPY_SHA256_LEN; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

void fpy_wf_history(const fpy_cli_cmd *cmd, fpy_registry *reg, const char *id, const char *op,
                    int has_region, uint32_t addr, const uint8_t *data, size_t len,
                    const char *label)
{
    fpy_reg_event ev;
    char err[600];
    memset(&ev, 0, sizeof ev);
    snprintf(ev.device, sizeof ev.device, "%s", id);
    snprintf(ev.op, sizeof ev.op, "%s", op);
    ev.has_region = has_region;
    ev.address = addr;
    ev.size = (uint32_t)len;
    if (data != NULL)
        fpy_wf_sha256_hex(data, len, ev.sha256);
    snprintf(ev.label, sizeof ev.label, "%s", label != NULL ? label : "");
    if (fpy_registry_history_add(reg, &ev, err, sizeof err) != FPY_OK)
        fprintf(stderr, "fipytool %s: warning: not recorded in the history: %s\n", cmd->name,
                err);
}
