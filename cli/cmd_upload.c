/*
 * fipytool upload: the page's "Upload" step.  A project is built into a
 * bytecode image for the device's VM (or a .fbc is taken as it is), checked
 * against the VM's ABI and the bytecode slot, and delivered without the
 * jumper over the uplink (docs/formats/uplink.md): the board is reset, its
 * VM answers in its listening window, writes the idle bytecode slot
 * through the FOTA engine and restarts into it; once it runs, the upload
 * accepts it (docs/workflow.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fipy/bcimage.h"
#include "fipy/layout.h"
#include "flasher_conn.h"
#include "hostio.h"
#include "project.h"
#include "sign.h"
#include "uplink.h"
#include "workflow.h"

static const char fpy_upload_usage[] =
    "usage: fipytool upload DEVICE (PROJECT | BYTECODE.fbc) [--key KEY.pem]\n"
    "                       [--registry PATH] [--port PORT] [--wait S] [--json]\n"
    "                       [--sim-ctl SOCKET]\n\n"
    "Build PROJECT (a directory with project.yml and main.py) into a bytecode\n"
    "image for DEVICE's VM, or take a bytecode image as it is, and deliver it\n"
    "without the jumper: the board is reset (RTS; a virtual FiPy behind a pty:\n"
    "its reset control; else you are asked to press reset), its VM answers in\n"
    "the window after the boot, writes the idle bytecode slot and restarts into\n"
    "it; once the new program runs, the upload accepts it. A cut upload leaves\n"
    "the old program running.\n\n"
    "  --key KEY.pem     sign the bytecode with this private key first (a protected\n"
    "                    board runs only bytecode signed with its key)\n"
    "  --wait S          how long to wait for the VM's answer after the reset\n"
    "                    (default 5)\n"
    "Exit status: 0 uploaded (or already running), 1 failed, 2 usage error,\n"
    "130 interrupted.\n";

static int fpy_upload_run(int argc, char **argv);
const fpy_cli_cmd fpy_cmd_upload = {"upload", "build and upload a program to a device's VM",
                                    fpy_upload_usage, fpy_upload_run};

typedef struct fpy_upload_args {
    fpy_session_args b;
    const char *registry, *sim_ctl, *key;
} fpy_upload_args;

typedef struct fpy_upload_img {
    uint8_t *buf;
    size_t len;
    const char *what;
} fpy_upload_img;

static int fpy_upload_is_project(const char *path)
{
    struct stat st;
    size_t n = strlen(path);
    return (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) ||
           (n >= 4 && strcmp(path + n - 4, ".yml") == 0) ||
           (n >= 5 && strcmp(path + n - 5, ".yaml") == 0);
}

/* The project's directory: the path, or the directory of its project.yml. */
static void fpy_upload_dir(const char *path, char *dir, size_t cap)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(dir, cap, "%s", path);
        return;
    }
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        snprintf(dir, cap, ".");
    else
        snprintf(dir, cap, "%.*s", slash == path ? 1 : (int)(slash - path), path);
}

static int fpy_upload_project(const char *path, const fpy_reg_device *dev, uint32_t slot,
                              fpy_upload_img *im)
{
    fpy_project p;
    fpy_project_diags d;
    char dir[1024], err[600];
    memset(&p, 0, sizeof p);
    memset(&d, 0, sizeof d);
    int rc = fpy_project_load(path, &p, &d);
    fpy_project_diags_print(&d, stderr);
    const fpy_layout *want = fpy_layout_get(p.layout);
    if (rc == FPY_OK && strcmp(want->name, dev->layout) != 0) {
        snprintf(err, sizeof err, "the project wants the %s layout; %s has the %s layout (run "
                 "'fipytool vm create %s --%s' and virtualize again)", want->name, dev->id,
                 dev->layout, dev->id, want->name);
        rc = FPY_ERR_INVAL;
    } else if (rc == FPY_OK) {
        fpy_upload_dir(path, dir, sizeof dir);
        rc = fpy_project_build(dir, &p, dev->vm.abi, slot, &im->buf, &im->len, err, sizeof err);
    } else {
        snprintf(err, sizeof err, "%s: %zu error(s); nothing built", path, d.errors);
    }
    if (rc != FPY_OK)
        fprintf(stderr, "fipytool upload: %s\n", err);
    fpy_project_free(&p);
    fpy_project_diags_free(&d);
    return rc == FPY_OK ? FPY_EXIT_OK : FPY_EXIT_FAIL;
}

/* A bytecode image as given: it must verify for the device's VM and fit. */
static int fpy_upload_fbc(const char *path, const fpy_reg_device *dev, uint32_t slot,
                          fpy_upload_img *im)
{
    char err[600];
    if (fpy_file_read(path, 16u << 20, &im->buf, &im->len, err, sizeof err) != FPY_OK) {
        fprintf(stderr, "fipytool upload: %s\n", err);
        return FPY_EXIT_FAIL;
    }
    fpy_bc_header h;
    fpy_diag d = {0};
    /* the ABI rule is bcimage's: FPY_ERR_STATE is "built for another VM ABI" */
    int rc = fpy_bc_verify_mem(im->buf, im->len, &dev->vm.abi, &h, &d);
    if (rc == FPY_ERR_STATE) {
        fprintf(stderr, "fipytool upload: bytecode for another VM ABI: %s needs ABI %u; the VM "
                        "of %s (%s) has ABI %u\n", path, (unsigned)h.vm_abi, dev->id,
                dev->vm.version, (unsigned)dev->vm.abi);
        return FPY_EXIT_FAIL;
    }
    if (rc != FPY_OK) {
        char ctx[700];
        snprintf(ctx, sizeof ctx, "upload: %s is not a bytecode image", path);
        fpy_report(ctx, &d, rc);
        return FPY_EXIT_FAIL;
    }
    if (im->len > slot) {
        fprintf(stderr, "fipytool upload: image too big for its slot: %s is %zu bytes; a "
                        "bytecode slot of the %s layout holds %u\n", path, im->len, dev->layout,
                (unsigned)slot);
        return FPY_EXIT_FAIL;
    }
    return FPY_EXIT_OK;
}

typedef struct fpy_upload_reset {
    fpy_session *s;
    const char *sock; /* the virtual board's control socket, or NULL */
} fpy_upload_reset;

/* The reset before the window (fpy_uplink_reset_fn). */
static int fpy_upload_do_reset(void *ctx)
{
    fpy_upload_reset *r = ctx;
    return fpy_wf_reset(r->s, r->sock) == 0 ? FPY_OK : FPY_ERR_IO;
}

static void fpy_upload_report(const fpy_upload_args *a, const fpy_reg_device *dev,
                              const fpy_upload_img *im, const fpy_uplink_result *res)
{
    if (a->b.json)
        return;
    if (res->already) {
        printf("%s already runs %s (bytecode slot %u): nothing sent\n", dev->id, im->what,
               res->before.bc_slot);
        return;
    }
    printf("%s uploaded to %s: %zu bytes into bytecode slot %u (0x%06x), %u blocks, "
           "%u resent; running and accepted\n", im->what, dev->id, im->len,
           res->after.bc_slot, (unsigned)res->before.idle_addr, (unsigned)res->blocks,
           (unsigned)res->resends);
}

static int fpy_upload_send(const fpy_upload_args *a, fpy_registry *reg,
                           const fpy_reg_device *dev, const fpy_upload_img *im)
{
    fpy_session s;
    char sock[300];
    int rc = fpy_session_prepare(&s, &fpy_cmd_upload, &a->b, 1);
    int virt = rc == 0 && fpy_wf_virtual(&s, a->sim_ctl, sock, sizeof sock);
    if (rc == 0)
        rc = fpy_session_open_port(&s);
    if (rc != 0)
        return rc;
    fpy_upload_reset rs = {&s, virt ? sock : NULL};
    fpy_uplink_opts o = {0};
    fpy_uplink_result res;
    o.reset = fpy_upload_do_reset;
    o.reset_ctx = &rs;
    o.probe_ms = a->b.wait != NULL ? (s.wait_s ? s.wait_s : 1u) * 1000u : 0u; /* 0: 5 s */
    o.event = fpy_session_event;
    o.event_ctx = &s.out;
    o.stop = &fpy_session_stop;
    int up = fpy_uplink_upload(fpy_flasher_conn_link(s.conn), im->buf, im->len, &o, &res);
    fpy_session_close_port(&s);
    if (up == FPY_OK) {
        if (!res.already)
            fpy_wf_history(&fpy_cmd_upload, reg, dev->id, "upload", 1, res.before.idle_addr,
                           im->buf, im->len, im->what);
        fpy_upload_report(a, dev, im, &res);
        return FPY_EXIT_OK;
    }
    if (!a->b.json)
        fprintf(stderr, "fipytool upload: %s: %s\n", s.port, res.msg);
    if (res.code != NULL && strcmp(res.code, FPY_FLC_INTERRUPTED) == 0)
        return FPY_EXIT_INTERRUPTED;
    return FPY_EXIT_FAIL;
}

/* Sign the image with the key (a bytecode image signed already is signed
 * again: the key given is the one the board wants). */
static int fpy_upload_sign(const char *path, fpy_upload_img *im)
{
    fpy_sign_key k;
    char err[600];
    fpy_diag d = {0};
    uint8_t *out;
    size_t n;
    if (fpy_sign_key_load(path, &k, err, sizeof err) != FPY_OK) {
        fprintf(stderr, "fipytool upload: %s\n", err);
        return FPY_EXIT_FAIL;
    }
    int rc = k.has_private ? fpy_sign_image(&k, im->buf, im->len, FPY_SIGN_REPLACE, &out, &n, &d)
                           : FPY_ERR_INVAL;
    fpy_sign_key_free(&k);
    if (rc != FPY_OK) {
        fprintf(stderr, "fipytool upload: signing %s with %s: %s\n", im->what, path,
                k.has_private ? (d.what != NULL ? d.what : fpy_strerror(rc))
                              : "a public key cannot sign; give the private key");
        return FPY_EXIT_FAIL;
    }
    free(im->buf);
    im->buf = out;
    im->len = n;
    return FPY_EXIT_OK;
}

static int fpy_upload(const fpy_upload_args *a, const char *device, const char *what)
{
    fpy_registry *reg;
    fpy_reg_device dev;
    fpy_upload_img im = {NULL, 0, what};
    if (fpy_wf_registry(&fpy_cmd_upload, a->registry, 0, &reg) != 0)
        return fpy_session_json_fail(a->b.json, FPY_EXIT_FAIL, "registry");
    int rc = fpy_wf_device(&fpy_cmd_upload, reg, device, &dev);
    if (rc == 0 && !dev.vm.present) {
        fprintf(stderr, "fipytool upload: no VM created for %s: run 'fipytool vm create' and "
                        "'fipytool virtualize' first\n", dev.id);
        rc = FPY_EXIT_FAIL;
    }
    const fpy_layout *l = fpy_layout_find(dev.layout[0] ? dev.layout : "nonble");
    uint32_t slot = l != NULL ? fpy_layout_area(l, FPY_AREA_BC_SLOT, 0)->size : 0;
    if (rc == 0)
        rc = fpy_upload_is_project(what) ? fpy_upload_project(what, &dev, slot, &im)
                                         : fpy_upload_fbc(what, &dev, slot, &im);
    if (rc == 0 && a->key != NULL)
        rc = fpy_upload_sign(a->key, &im);
    if (rc != 0)
        rc = fpy_session_json_fail(a->b.json, rc, NULL);
    else
        rc = fpy_upload_send(a, reg, &dev, &im);
    free(im.buf);
    fpy_registry_close(reg);
    return rc;
}

static int fpy_upload_run(int argc, char **argv)
{
    fpy_upload_args a = {0};
    const fpy_opt opts[] = {
        {"--port", 'p', &a.b.port, NULL},     {"--wait", 0, &a.b.wait, NULL},
        {"--json", 0, NULL, &a.b.json},       {"--registry", 0, &a.registry, NULL},
        {"--sim-ctl", 0, &a.sim_ctl, NULL},   {"--key", 0, &a.key, NULL}};
    char *pos[3];
    size_t npos;
    int rc = FPY_CLI_PARSE(&fpy_cmd_upload, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos != 2)
        return fpy_cli_usage_error(&fpy_cmd_upload, "expected 'upload DEVICE PROJECT' or "
                                                     "'upload DEVICE BYTECODE.fbc'");
    return fpy_upload(&a, pos[0], pos[1]);
}
