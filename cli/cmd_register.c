/*
 * fipytool register: the page's "Register" step with no cloud.  The board
 * goes into download mode (the jumper and the reset button, or DTR/RTS),
 * its identity is read through the ROM loader (eFuse MAC, revision, flash
 * ID and size) and recorded in the device registry, and its provisioning
 * NVS partition is prepared beside the registry (docs/workflow.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fipy/flash.h"
#include "fipy/layout.h"
#include "hostio.h"
#include "provision.h"
#include "workflow.h"

static const char fpy_register_usage[] =
    "usage: fipytool register [--alias NAME] [--registry PATH] [board options]\n\n"
    "Register the FiPy on the port: put it in the ROM's download mode (on a board\n"
    "without DTR/RTS: the jumper G23-GND and the reset button, when asked; on a\n"
    "virtual FiPy behind a pty, through its control socket), read its identity\n"
    "(eFuse MAC, chip revision, flash ID and size), record it in the device\n"
    "registry and prepare its provisioning NVS partition. The board stays in\n"
    "download mode for 'fipytool virtualize'. Registering again updates the\n"
    "record and keeps its alias, VM and history.\n\n"
    "  --alias NAME      a name for the device ([A-Za-z0-9._-], up to 32)\n"
    "  --registry PATH   the registry (default $FIPY_REGISTRY, else\n"
    "                    $XDG_DATA_HOME/fipy/registry.db)\n"
    "  --sim-ctl SOCKET  the virtual board's control socket, when it is not\n"
    "                    found by itself\n"
    "Board options: --port PORT, --baud N, --wait S, --no-reset, --json (as in\n"
    "'fipytool flash').\n"
    "Exit status: 0 registered, 1 failed, 2 usage error, 130 interrupted.\n";

static int fpy_register_run(int argc, char **argv);
const fpy_cli_cmd fpy_cmd_register = {"register", "register the FiPy on a port (download mode)",
                                      fpy_register_usage, fpy_register_run};

typedef struct fpy_register_args {
    fpy_session_args b;
    const char *alias, *registry, *sim_ctl;
} fpy_register_args;

/* A FiPy 1.0 has an ESP32 with 8 MB of flash: anything else is not the
 * target this registry and its layouts are for. */
static int fpy_register_target(const fpy_session *s)
{
    const fpy_rom_chip *c = &s->fl.chip;
    if (c->flash_size == FPY_FLASH_SIZE_8M)
        return FPY_EXIT_OK;
    fprintf(stderr, "fipytool register: wrong target: the board on %s has %s%u MB of flash; a "
                    "Pycom FiPy 1.0 (pycom_fipy_v1) has 8 MB\n", s->port,
            c->flash_size ? "" : "an unknown size, not ", (unsigned)(c->flash_size >> 20));
    return FPY_EXIT_FAIL;
}

static void fpy_register_device(const fpy_session *s, fpy_reg_device *d)
{
    const fpy_rom_chip *c = &s->fl.chip;
    memset(d, 0, sizeof *d);
    memcpy(d->mac, c->mac, sizeof d->mac);
    snprintf(d->chip, sizeof d->chip, "%s", fpy_romc_pkg_name(c->pkg));
    d->rev_major = (uint8_t)c->major;
    d->rev_minor = (uint8_t)c->minor;
    d->flash_id = c->flash_id;
    d->flash_size = c->flash_size;
}

/* The provisioning NVS, saved as DEVICE-DIR/provision-nvs.bin. */
static int fpy_register_nvs(fpy_registry *reg, const fpy_reg_device *d, char *path, size_t cap)
{
    const fpy_layout *l = fpy_layout_find(d->layout[0] ? d->layout : "nonble");
    uint8_t *img = NULL;
    uint32_t len = 0;
    char dir[1024], err[600];
    int rc = fpy_wf_device_dir(reg, d->id, 1, dir, sizeof dir) == 0 ? FPY_OK : FPY_ERR_IO;
    if (rc != FPY_OK)
        snprintf(err, sizeof err, "cannot make the device's directory beside %s",
                 fpy_registry_file(reg));
    if (rc == FPY_OK)
        rc = fpy_provision_nvs(l, d->id, d->registered_at, &img, &len, err, sizeof err);
    if (rc == FPY_OK) {
        snprintf(path, cap, "%s/provision-nvs.bin", dir);
        rc = fpy_file_write(path, img, len, err, sizeof err);
    }
    free(img);
    if (rc != FPY_OK)
        fprintf(stderr, "fipytool register: the provisioning NVS: %s\n", err);
    return rc == FPY_OK ? FPY_EXIT_OK : FPY_EXIT_FAIL;
}

/* Record the device read from the board; its alias and layout. */
static int fpy_register_record(const fpy_register_args *a, fpy_registry *reg,
                               const fpy_session *s, fpy_reg_device *d, int *created)
{
    char err[600];
    fpy_register_device(s, d);
    int rc = fpy_registry_device_put(reg, d, created, err, sizeof err);
    if (rc == FPY_OK && a->alias != NULL)
        rc = fpy_registry_set_alias(reg, d->id, a->alias, err, sizeof err);
    if (rc == FPY_OK)
        rc = fpy_registry_resolve(reg, d->id, d, err, sizeof err);
    if (rc == FPY_OK && d->layout[0] == '\0') {
        rc = fpy_registry_set_layout(reg, d->id, "nonble", err, sizeof err);
        snprintf(d->layout, sizeof d->layout, "nonble");
    }
    if (rc != FPY_OK) {
        fprintf(stderr, "fipytool register: %s\n", err);
        return FPY_EXIT_FAIL;
    }
    fpy_wf_history(&fpy_cmd_register, reg, d->id, "register", 0, 0, NULL, 0, s->port);
    return FPY_EXIT_OK;
}

static void fpy_register_print(const fpy_register_args *a, const fpy_reg_device *d, int created,
                               const char *nvs)
{
    if (a->b.json) {
        printf("{\"stage\": \"registered\", \"device\": ");
        fpy_json_str(stdout, d->id);
        printf(", \"new\": %s, \"chip\": ", created ? "true" : "false");
        fpy_json_str(stdout, d->chip);
        printf(", \"revision\": \"v%u.%u\", \"flash_id\": \"%06x\", \"flash_size\": %u, "
               "\"provision_nvs\": ", d->rev_major, d->rev_minor, (unsigned)d->flash_id,
               (unsigned)d->flash_size);
        fpy_json_str(stdout, nvs);
        printf("}\n");
        return;
    }
    printf("%s %s: %s (revision v%u.%u), MAC %02x:%02x:%02x:%02x:%02x:%02x, flash %02x/%02x%02x "
           "(%u MB)%s%s\n", created ? "registered" : "registered again", d->id, d->chip,
           d->rev_major, d->rev_minor, d->mac[0], d->mac[1], d->mac[2], d->mac[3], d->mac[4],
           d->mac[5], (unsigned)(d->flash_id & 0xFFu), (unsigned)((d->flash_id >> 8) & 0xFFu),
           (unsigned)((d->flash_id >> 16) & 0xFFu), (unsigned)(d->flash_size >> 20),
           d->alias[0] ? ", alias " : "", d->alias);
    printf("provisioning NVS: %s\n", nvs);
    fpy_wf_say("next: 'fipytool vm create %s', then 'fipytool virtualize %s' (the board stays "
               "in download mode)", d->alias[0] ? d->alias : d->id,
               d->alias[0] ? d->alias : d->id);
}

static int fpy_register_run(int argc, char **argv)
{
    fpy_register_args a = {0};
    const fpy_opt opts[] = {
        {"--port", 'p', &a.b.port, NULL},   {"--baud", 'b', &a.b.baud, NULL},
        {"--wait", 0, &a.b.wait, NULL},     {"--json", 0, NULL, &a.b.json},
        {"--no-reset", 0, NULL, &a.b.no_reset}, {"--alias", 0, &a.alias, NULL},
        {"--registry", 0, &a.registry, NULL},   {"--sim-ctl", 0, &a.sim_ctl, NULL}};
    size_t npos;
    int rc = FPY_CLI_PARSE_NOPOS(&fpy_cmd_register, argc, argv, opts, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    char err[300];
    if (a.alias != NULL && !fpy_registry_alias_ok(a.alias, err, sizeof err))
        return fpy_cli_usage_error(&fpy_cmd_register, "--alias: %s", err);
    fpy_registry *reg;
    if (fpy_wf_registry(&fpy_cmd_register, a.registry, 1, &reg) != 0)
        return fpy_session_json_fail(a.b.json, FPY_EXIT_FAIL, "registry");
    fpy_session s;
    char sock[300], nvs[1200] = "";
    fpy_flasher_opts o = {0};
    rc = fpy_session_prepare(&s, &fpy_cmd_register, &a.b, 1);
    int virt = rc == 0 && fpy_wf_virtual(&s, a.sim_ctl, sock, sizeof sock);
    if (rc == 0)
        rc = fpy_session_open_port(&s);
    if (rc == 0 && (rc = fpy_wf_download_mode(&s, virt ? sock : NULL)) != 0)
        fpy_session_close_port(&s);
    if (rc == 0)
        rc = fpy_session_connect(&s, &o);
    if (rc == 0) {
        fpy_reg_device d;
        int created = 0;
        int r = fpy_register_target(&s);
        if (r == 0)
            r = fpy_register_record(&a, reg, &s, &d, &created);
        if (r == 0)
            r = fpy_register_nvs(reg, &d, nvs, sizeof nvs);
        rc = fpy_session_close(&s, FPY_OK, 0); /* the ROM stays, for virtualize */
        if (r != 0)
            rc = fpy_session_json_fail(a.b.json, FPY_EXIT_FAIL, "register");
        else if (rc == 0)
            fpy_register_print(&a, &d, created, nvs);
    }
    fpy_registry_close(reg);
    return rc;
}
