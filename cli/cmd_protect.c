/*
 * fipytool protect: Secure Firmware's protecting half on a virtual FiPy
 * (docs/security.md).  The device's VM is signed with the user's key (or
 * checked to be), the board gets a bootloader configured with that key
 * (signed images only, anti-rollback), the flash is written as ciphertext
 * and the eFuses are burnt in the order of host/protect.h: keys, flash,
 * enable, lock.  Refused before anything is written when it would brick
 * the board or could not be finished; a cut run is finished by running
 * it again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "efuse_rom.h"
#include "fipy/image.h"
#include "hostio.h"
#include "protect.h"
#include "provision.h"
#include "sign.h"
#include "vmgen.h"
#include "workflow.h"

static const char fpy_protect_usage[] =
    "usage: fipytool protect DEVICE --key KEY.pem [--registry PATH] [board options]\n\n"
    "Protect a virtualized virtual FiPy for good: its VM signed with KEY (signed\n"
    "here when it is not), a bootloader that runs only images signed with KEY\n"
    "and refuses older ones (anti-rollback), the flash encrypted with a new key\n"
    "that only the board keeps, and the eFuses burnt: secure boot, flash\n"
    "encryption, JTAG and the download mode's encryption, decryption and cache\n"
    "disabled, the keys read- and write-protected. Burning is one way. The\n"
    "bytecode on the board is not kept (it is not signed): upload the signed\n"
    "program afterwards with 'fipytool upload DEVICE PROJECT --key KEY.pem'.\n"
    "A cut run is finished by running protect again.\n\n"
    "  --key KEY.pem      the private P-256 key (fipytool keys gen, espsecure)\n"
    "  --registry PATH    the registry\n"
    "  --sim-ctl SOCKET   the virtual board's control socket\n"
    "Board options: --port PORT, --baud N, --wait S, --no-reset, --json.\n"
    "Exit status: 0 protected (or already), 1 failed or refused, 2 usage error,\n"
    "130 interrupted.\n";

static int fpy_protect_run(int argc, char **argv);
const fpy_cli_cmd fpy_cmd_protect = {"protect", "protect a virtual board for good: secure "
                                     "boot, flash encryption, eFuses",
                                     fpy_protect_usage, fpy_protect_run};

typedef struct fpy_prot_args {
    fpy_session_args b;
    const char *key, *registry, *sim_ctl;
} fpy_prot_args;

typedef struct fpy_prot {
    const fpy_prot_args *a;
    fpy_registry *reg;
    fpy_reg_device dev;
    fpy_sign_key key;
    uint8_t *vm, *boot;
    size_t vm_len, boot_len;
    uint32_t vm_secver;
    fpy_provision pv;
    fpy_session s;
    char sock[300];
} fpy_prot;

static int fpy_prot_fail(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "fipytool protect: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    return FPY_EXIT_FAIL;
}

/* The VM signed with the key: as it is when it is, signed here when it
 * has no signature, refused when another key signed it. */
static int fpy_prot_vm(fpy_prot *p)
{
    fpy_diag d = {0};
    int kind;
    int rc = fpy_sign_verify(p->key.pub, p->vm, p->vm_len, &kind, &d);
    if (rc == FPY_OK)
        return FPY_EXIT_OK;
    if (rc != FPY_ERR_TRUNCATED && rc != FPY_ERR_NOTFOUND)
        return fpy_prot_fail("the VM of %s is signed, but not with this key (%s): the "
                             "protected board would not boot it; nothing written",
                             p->dev.id, d.what != NULL ? d.what : fpy_strerror(rc));
    uint8_t *out;
    size_t n;
    rc = fpy_sign_image(&p->key, p->vm, p->vm_len, 0, &out, &n, &d);
    if (rc != FPY_OK)
        return fpy_prot_fail("cannot sign the VM of %s: %s; nothing written", p->dev.id,
                             d.what != NULL ? d.what : fpy_strerror(rc));
    free(p->vm);
    p->vm = out;
    p->vm_len = n;
    return FPY_EXIT_OK;
}

/* The bootloader configured with the key, signed for secure boot. */
static int fpy_prot_boot(fpy_prot *p)
{
    fpy_bootcfg cfg = {FPY_BOOTCFG_F_SIGNED | FPY_BOOTCFG_F_ANTI_ROLLBACK, {0}};
    uint8_t *plain;
    size_t n;
    fpy_diag d = {0};
    memcpy(cfg.pub, p->key.pub, sizeof cfg.pub);
    int rc = fpy_vmgen_bootloader(&cfg, &plain, &n);
    if (rc == FPY_OK)
        rc = fpy_sign_image(&p->key, plain, n, 0, &p->boot, &p->boot_len, &d);
    free(plain);
    if (rc != FPY_OK)
        return fpy_prot_fail("the protected bootloader: %s%s", fpy_strerror(rc), "");
    return FPY_EXIT_OK;
}

static int fpy_prot_files(fpy_prot *p, const char *device)
{
    char err[600];
    const fpy_prot_args *a = p->a;
    if (fpy_wf_registry(&fpy_cmd_protect, a->registry, 0, &p->reg) != 0)
        return FPY_EXIT_FAIL;
    int rc = fpy_wf_device(&fpy_cmd_protect, p->reg, device, &p->dev);
    if (rc == 0)
        rc = fpy_wf_vm_load(&fpy_cmd_protect, &p->dev, &p->vm, &p->vm_len);
    if (rc != 0)
        return rc;
    if (fpy_sign_key_load(a->key, &p->key, err, sizeof err) != FPY_OK)
        return fpy_prot_fail("%s%s", err, "");
    if (!p->key.has_private)
        return fpy_prot_fail("%s is a public key: protect signs the VM and the bootloader, "
                             "give the private key%s", a->key, "");
    if (fpy_prot_vm(p) != 0 || fpy_prot_boot(p) != 0)
        return FPY_EXIT_FAIL;
    fpy_image_app_desc desc;
    if (p->vm_len >= FPY_IMAGE_APP_DESC_IMAGE_OFF + FPY_IMAGE_APP_DESC_LEN &&
        fpy_image_app_desc_decode(p->vm + FPY_IMAGE_APP_DESC_IMAGE_OFF, &desc, NULL) == FPY_OK)
        p->vm_secver = desc.secure_version;
    fpy_provision_in in = {fpy_layout_find(p->dev.layout[0] ? p->dev.layout : "nonble"),
                           p->boot, p->boot_len, "the protected bootloader", p->vm, p->vm_len,
                           "VM (signed)", p->dev.id, p->dev.registered_at};
    if (fpy_provision_build(&in, &p->pv, err, sizeof err) != FPY_OK)
        return fpy_prot_fail("%s; nothing written%s", err, "");
    return FPY_EXIT_OK;
}

/* Burn `want` (what is not burnt yet), with the step's name for errors. */
static int fpy_prot_burn(fpy_prot *p, const fpy_efuse *want, const char *step)
{
    int rc = fpy_efr_burn(&p->s.fl.rc, want);
    if (rc != FPY_OK)
        fprintf(stderr, "fipytool protect: burning %s: %s (%s); run protect again to finish\n",
                step, p->s.fl.rc.msg[0] ? p->s.fl.rc.msg : "failed", fpy_strerror(rc));
    return rc;
}

/* The board is ours and in download mode: read its eFuses, decide, then
 * keys, flash, enable, lock (host/protect.h). */
static int fpy_prot_steps(fpy_prot *p, int *already)
{
    fpy_efuse e;
    fpy_protect_plan plan;
    uint8_t fresh[FPY_EFUSE_KEY_LEN];
    fpy_flash_region r[FPY_PROTECT_REGIONS];
    size_t n;
    char err[600];
    FPY_TRY(fpy_efr_read(&p->s.fl.rc, &e));
    if (p->vm_secver < fpy_efuse_secure_version(&e)) {
        fprintf(stderr, "fipytool protect: the VM's secure_version is %u but the board has "
                        "accepted %u (SECURE_VERSION): it would not boot; nothing written\n",
                (unsigned)p->vm_secver, fpy_efuse_secure_version(&e));
        return FPY_ERR_STATE;
    }
    FPY_TRY(fpy_sign_random(fresh, sizeof fresh));
    if (fpy_protect_plan_make(&e, p->key.pub, fresh, &plan, err, sizeof err) != FPY_OK) {
        fprintf(stderr, "fipytool protect: %s\n", err);
        return FPY_ERR_STATE;
    }
    memset(fresh, 0, sizeof fresh);
    *already = plan.done;
    if (plan.done)
        return FPY_OK;
    if (plan.write_flash) {
        FPY_TRY(fpy_prot_burn(p, &plan.keys, "the keys (BLOCK1, FLASH_CRYPT_CONFIG, BLOCK2)"));
        const fpy_layout *l = fpy_layout_find(p->dev.layout[0] ? p->dev.layout : "nonble");
        if (fpy_protect_regions(&p->pv, l, &plan, r, &n, err, sizeof err) != FPY_OK) {
            fprintf(stderr, "fipytool protect: %s\n", err);
            return FPY_ERR_STATE;
        }
        FPY_TRY(fpy_wf_write_regions(&fpy_cmd_protect, &p->s, p->reg, &p->dev, r, n));
    }
    memset(plan.key, 0, sizeof plan.key);
    FPY_TRY(fpy_prot_burn(p, &plan.enable, "FLASH_CRYPT_CNT, ABS_DONE_0, JTAG_DISABLE, "
                                           "DISABLE_DL_*"));
    return fpy_prot_burn(p, &plan.lock, "the read and write protection");
}

static int fpy_prot_board(fpy_prot *p)
{
    int already = 0, done = 0;
    int rc = fpy_wf_connect(&p->s, p->sock);
    if (rc != 0)
        return rc;
    if (fpy_wf_same_board(&fpy_cmd_protect, &p->s, &p->dev) != 0) {
        (void)fpy_session_close(&p->s, FPY_OK, 0);
        return fpy_session_json_fail(p->a->b.json, FPY_EXIT_FAIL, "wrong-board");
    }
    int st = fpy_prot_steps(p, &already);
    if (st == FPY_OK && !already)
        fpy_wf_history(&fpy_cmd_protect, p->reg, p->dev.id, "protect", 0, 0, NULL, 0,
                       "secure boot, flash encryption, eFuses burnt");
    rc = fpy_session_close(&p->s, st, !fpy_wf_by_hand(&p->s, p->sock));
    if (rc == 0)
        rc = fpy_wf_run_mode(&p->s, p->sock, &done);
    if (rc == 0 && !p->a->b.json)
        printf("%s %s: secure boot on (key digest in BLOCK2), flash encryption on (its key "
               "only in the board), JTAG and the download mode's crypto off; it runs only "
               "images signed with %s%s\n",
               p->dev.id, already ? "is protected already" : "protected", p->a->key,
               done ? "; the board boots now" : "");
    return rc;
}

static int fpy_protect(const fpy_prot_args *a, const char *device)
{
    fpy_prot p;
    memset(&p, 0, sizeof p);
    p.a = a;
    int rc = fpy_prot_files(&p, device);
    if (rc == 0)
        rc = fpy_session_prepare(&p.s, &fpy_cmd_protect, &a->b, 0);
    if (rc == 0 && !fpy_wf_virtual(&p.s, a->sim_ctl, p.sock, sizeof p.sock))
        rc = fpy_prot_fail("%s is not a virtual FiPy: on a chip, protection is ESP-IDF's "
                           "bootloader built with secure boot and flash encryption "
                           "(docs/security.md); nothing written%s", p.s.port, "");
    rc = rc != 0 ? fpy_session_json_fail(a->b.json, rc, NULL) : fpy_prot_board(&p);
    fpy_provision_free(&p.pv);
    fpy_sign_key_free(&p.key);
    free(p.vm);
    free(p.boot);
    fpy_registry_close(p.reg);
    return rc;
}

static int fpy_protect_run(int argc, char **argv)
{
    fpy_prot_args a = {0};
    const fpy_opt opts[] = {
        {"--port", 'p', &a.b.port, NULL},   {"--baud", 'b', &a.b.baud, NULL},
        {"--wait", 0, &a.b.wait, NULL},     {"--json", 0, NULL, &a.b.json},
        {"--no-reset", 0, NULL, &a.b.no_reset}, {"--key", 0, &a.key, NULL},
        {"--registry", 0, &a.registry, NULL},   {"--sim-ctl", 0, &a.sim_ctl, NULL}};
    char *pos[2];
    size_t npos;
    int rc = FPY_CLI_PARSE(&fpy_cmd_protect, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos != 1)
        return fpy_cli_usage_error(&fpy_cmd_protect, "expected 'protect DEVICE --key KEY.pem'");
    if (a.key == NULL)
        return fpy_cli_usage_error(&fpy_cmd_protect, "--key KEY.pem is required (fipytool keys "
                                                     "gen -o KEY.pem makes one)");
    return fpy_protect(&a, pos[0]);
}
