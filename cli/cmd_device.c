/* fipytool device: the boards this machine has met (the registry,
 * host/registry.h, docs/registry.md): list, show, alias, forget. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "hostio.h"
#include "registry.h"
#include "workflow.h"

static const char fpy_device_usage[] =
    "usage: fipytool device COMMAND [ARGS] [--registry PATH]\n\n"
    "The boards registered on this machine (docs/registry.md).\n\n"
    "Commands:\n"
    "  list [--json]                  every registered device\n"
    "  show DEVICE [--json]           one device: identity, VM, history\n"
    "  alias DEVICE NAME | --clear    name a device, or drop its name\n"
    "  forget DEVICE [--yes]          remove a device and its history\n\n"
    "DEVICE is an id (fipy-240ac4123456), an alias, a MAC (240ac4123456 or\n"
    "24:0a:c4:12:34:56), or the last 4 or more hex digits of one MAC.\n"
    "The registry is --registry PATH, else $FIPY_REGISTRY, else\n"
    "$XDG_DATA_HOME/fipy/registry.db, else ~/.local/share/fipy/registry.db.\n"
    "Exit status: 0 ok, 1 failure, 2 usage error.\n";

static const char fpy_list_usage[] =
    "usage: fipytool device list [--json] [--registry PATH]\n\n"
    "Every registered device, ordered by id: alias, chip and revision, flash,\n"
    "layout, VM version, last seen.  --json: {\"registry\": PATH, \"devices\": [...]}\n"
    "with the fields of docs/registry.md.\n";

static const char fpy_show_usage[] =
    "usage: fipytool device show DEVICE [--json] [--registry PATH]\n\n"
    "One device: its identity (MAC, chip, revision, flash), alias, layout, the\n"
    "VM created for it and the history of what was written to it, oldest first.\n";

static const char fpy_alias_usage[] =
    "usage: fipytool device alias DEVICE NAME [--registry PATH]\n"
    "       fipytool device alias DEVICE --clear [--registry PATH]\n\n"
    "Give a device a name to use as DEVICE: 1 to 32 letters, digits, '.', '_'\n"
    "or '-'; not starting with 'fipy-' and not 4 or more hex digits alone (those\n"
    "read as ids and MACs).  A name another device has is refused.\n";

static const char fpy_forget_usage[] =
    "usage: fipytool device forget DEVICE [--yes] [--registry PATH]\n\n"
    "Remove a device and its history from the registry (not from the board).\n"
    "Asks first on a terminal; elsewhere --yes is required.\n";

static const fpy_cli_cmd fpy_list_cmd = {"device list", "", fpy_list_usage, NULL};
static const fpy_cli_cmd fpy_show_cmd = {"device show", "", fpy_show_usage, NULL};
static const fpy_cli_cmd fpy_alias_cmd = {"device alias", "", fpy_alias_usage, NULL};
static const fpy_cli_cmd fpy_forget_cmd = {"device forget", "", fpy_forget_usage, NULL};

typedef struct fpy_dopts {
    const char *registry;
    int json, clear, yes;
} fpy_dopts;

static int fpy_device_fail(const fpy_cli_cmd *cmd, const char *msg)
{
    fprintf(stderr, "fipytool %s: %s\n", cmd->name, msg);
    return FPY_EXIT_FAIL;
}

/* Open the registry the options name.  A reader (create 0) gets *reg NULL
 * and FPY_EXIT_OK when there is no registry yet: nothing registered. */
static int fpy_device_open(const fpy_cli_cmd *cmd, const fpy_dopts *o, int create,
                           fpy_registry **reg, char *path, size_t pathlen)
{
    char err[1024];
    fpy_registry_cfg cfg = {!create, 0};
    *reg = NULL;
    if (fpy_registry_path(o->registry, path, pathlen, err, sizeof err) != FPY_OK)
        return fpy_device_fail(cmd, err);
    int rc = fpy_registry_open(path, &cfg, reg, err, sizeof err);
    if (rc == FPY_ERR_NOTFOUND && !create)
        return FPY_EXIT_OK;
    return rc == FPY_OK ? FPY_EXIT_OK : fpy_device_fail(cmd, err);
}

/* Find DEVICE; its message when it is not there (or no registry yet). */
static int fpy_device_find(const fpy_cli_cmd *cmd, fpy_registry *reg, const char *arg,
                           fpy_reg_device *dev)
{
    char err[1024];
    if (reg == NULL)
        fpy_registry_unknown(arg, err, sizeof err);
    else if (fpy_registry_resolve(reg, arg, dev, err, sizeof err) == FPY_OK)
        return FPY_EXIT_OK;
    return fpy_device_fail(cmd, err);
}

/* ---- output ----------------------------------------------------------------------------- */

/* Text from the registry for a terminal: control characters (in a
 * registry written by another program) become '?'.  Returns out. */
static const char *fpy_clean(const char *s, char *out, size_t len)
{
    size_t i = 0;
    for (; s[i] != '\0' && i + 1 < len; i++)
        out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    out[i] = '\0';
    return out;
}

static void fpy_device_put(const char *s)
{
    char buf[600];
    fputs(fpy_clean(s, buf, sizeof buf), stdout);
}

static void fpy_json_opt(const char *key, const char *s, const char *sep)
{
    printf("\"%s\": ", key);
    if (s[0] == '\0')
        fputs("null", stdout);
    else
        fpy_json_str(stdout, s);
    fputs(sep, stdout);
}

static void fpy_device_json(const fpy_reg_device *d)
{
    const fpy_reg_vm *vm = &d->vm;
    const uint8_t *m = d->mac;
    printf("{\"id\": ");
    fpy_json_str(stdout, d->id);
    printf(", \"mac\": \"%02x:%02x:%02x:%02x:%02x:%02x\", \"chip\": ", m[0], m[1], m[2], m[3],
           m[4], m[5]);
    fpy_json_str(stdout, d->chip);
    printf(", \"revision\": \"%u.%u\", \"flash_id\": %lu, \"flash_size\": %lu, ", d->rev_major,
           d->rev_minor, (unsigned long)d->flash_id, (unsigned long)d->flash_size);
    fpy_json_opt("alias", d->alias, ", ");
    fpy_json_opt("layout", d->layout, ", ");
    fpy_json_opt("registered_at", d->registered_at, ", ");
    fpy_json_opt("last_seen", d->last_seen, ", \"vm\": ");
    if (!vm->present) {
        fputs("null", stdout);
    } else {
        putchar('{');
        fpy_json_opt("path", vm->path, ", ");
        fpy_json_opt("version", vm->version, ", ");
        printf("\"abi\": %lu, \"size\": %llu, ", (unsigned long)vm->abi,
               (unsigned long long)vm->size);
        fpy_json_opt("sha256", vm->sha256, ", ");
        fpy_json_opt("created_at", vm->created_at, "}");
    }
}

static void fpy_event_json(const fpy_reg_event *e)
{
    printf("{\"seq\": %lld, ", (long long)e->seq);
    fpy_json_opt("at", e->at, ", ");
    fpy_json_opt("op", e->op, ", ");
    if (e->has_region)
        printf("\"address\": %lu, \"size\": %lu, ", (unsigned long)e->address,
               (unsigned long)e->size);
    else
        printf("\"address\": null, \"size\": null, ");
    fpy_json_opt("sha256", e->sha256, ", ");
    fpy_json_opt("label", e->label, "}");
}

static void fpy_flash_size(uint32_t size, char *out, size_t len)
{
    if (size != 0 && size % (1u << 20) == 0)
        snprintf(out, len, "%lu MiB", (unsigned long)(size >> 20));
    else
        snprintf(out, len, "%lu B", (unsigned long)size);
}

static void fpy_list_row(const fpy_reg_device *d)
{
    char rev[8], size[24], alias[40], chip[40], vm[40], seen[40];
    snprintf(rev, sizeof rev, "%u.%u", d->rev_major, d->rev_minor);
    fpy_flash_size(d->flash_size, size, sizeof size);
    printf("%-18s %-16s %-13s %-4s %-8s %-7s %-8s %s\n", d->id,
           fpy_clean(d->alias[0] ? d->alias : "-", alias, sizeof alias),
           fpy_clean(d->chip, chip, sizeof chip), rev, size, d->layout[0] ? d->layout : "-",
           fpy_clean(d->vm.present ? (d->vm.version[0] ? d->vm.version : "yes") : "-", vm,
                     sizeof vm),
           fpy_clean(d->last_seen, seen, sizeof seen));
}

/* ---- list --------------------------------------------------------------------------------- */

static int fpy_list_print(const char *path, const fpy_reg_device *devs, size_t n, int json)
{
    if (json) {
        printf("{\"registry\": ");
        fpy_json_str(stdout, path);
        printf(", \"devices\": [");
        for (size_t i = 0; i < n; i++) {
            fputs(i ? ",\n  " : "\n  ", stdout);
            fpy_device_json(&devs[i]);
            putchar('}');
        }
        printf("%s]}\n", n ? "\n" : "");
        return FPY_EXIT_OK;
    }
    if (n == 0) {
        printf("no devices registered in %s\n", path);
        return FPY_EXIT_OK;
    }
    printf("%-18s %-16s %-13s %-4s %-8s %-7s %-8s %s\n", "ID", "ALIAS", "CHIP", "REV", "FLASH",
           "LAYOUT", "VM", "LAST SEEN");
    for (size_t i = 0; i < n; i++)
        fpy_list_row(&devs[i]);
    return FPY_EXIT_OK;
}

static int fpy_list_run(void *ctx, int argc, char **argv)
{
    (void)ctx;
    fpy_dopts o = {0};
    const fpy_opt opts[] = {{"--json", 0, NULL, &o.json}, {"--registry", 0, &o.registry, NULL}};
    size_t npos;
    int rc = FPY_CLI_PARSE_NOPOS(&fpy_list_cmd, argc, argv, opts, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    char path[4096], err[1024];
    fpy_registry *reg;
    fpy_reg_device *devs = NULL;
    size_t n = 0;
    if ((rc = fpy_device_open(&fpy_list_cmd, &o, 0, &reg, path, sizeof path)) != 0)
        return rc;
    if (reg != NULL && fpy_registry_device_list(reg, &devs, &n, err, sizeof err) != FPY_OK)
        rc = fpy_device_fail(&fpy_list_cmd, err);
    else
        rc = fpy_list_print(path, devs, n, o.json);
    free(devs);
    fpy_registry_close(reg);
    return rc;
}

/* ---- show --------------------------------------------------------------------------------- */

static void fpy_show_text(const fpy_reg_device *d, const fpy_reg_event *h, size_t n)
{
    const uint8_t *m = d->mac;
    char size[24];
    fpy_flash_size(d->flash_size, size, sizeof size);
    printf("%s", d->id);
    if (d->alias[0] != '\0') {
        printf(" (");
        fpy_device_put(d->alias);
        putchar(')');
    }
    printf("\n  MAC:         %02x:%02x:%02x:%02x:%02x:%02x\n  chip:        ", m[0], m[1], m[2],
           m[3], m[4], m[5]);
    fpy_device_put(d->chip);
    /* as `flash info` and `register` print it: manufacturer/device */
    printf(", revision %u.%u\n  flash:       %02x/%02x%02x, %s\n", d->rev_major, d->rev_minor,
           (unsigned)(d->flash_id & 0xFFu), (unsigned)((d->flash_id >> 8) & 0xFFu),
           (unsigned)((d->flash_id >> 16) & 0xFFu), size);
    printf("  layout:      %s\n", d->layout[0] ? d->layout : "unknown");
    printf("  registered:  ");
    fpy_device_put(d->registered_at);
    printf("\n  last seen:   ");
    fpy_device_put(d->last_seen);
    printf("\n  VM:          ");
    if (d->vm.present) {
        fpy_device_put(d->vm.path);
        printf(" (version ");
        fpy_device_put(d->vm.version[0] ? d->vm.version : "?");
        printf(", ABI %lu, %llu bytes, SHA-256 ", (unsigned long)d->vm.abi,
               (unsigned long long)d->vm.size);
        fpy_device_put(d->vm.sha256);
        printf(", made ");
        fpy_device_put(d->vm.created_at);
        printf(")\n");
    } else {
        printf("none yet\n");
    }
    printf("history: %zu %s\n", n, n == 1 ? "entry" : "entries");
    for (size_t i = 0; i < n; i++) {
        printf("  ");
        fpy_device_put(h[i].at);
        printf("  %-10s ", h[i].op);
        if (h[i].has_region)
            printf("0x%06lx %8lu B  ", (unsigned long)h[i].address, (unsigned long)h[i].size);
        fpy_device_put(h[i].sha256[0] ? h[i].sha256 : "");
        printf("%s", h[i].sha256[0] ? "  " : "");
        fpy_device_put(h[i].label);
        putchar('\n');
    }
}

static void fpy_show_json(const fpy_reg_device *d, const fpy_reg_event *h, size_t n)
{
    fpy_device_json(d);
    printf(", \"history\": [");
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ",\n  " : "\n  ", stdout);
        fpy_event_json(&h[i]);
    }
    printf("%s]}\n", n ? "\n" : "");
}

static int fpy_show_run(void *ctx, int argc, char **argv)
{
    (void)ctx;
    fpy_dopts o = {0};
    const fpy_opt opts[] = {{"--json", 0, NULL, &o.json}, {"--registry", 0, &o.registry, NULL}};
    char *pos[1], path[4096], err[1024];
    size_t npos, n = 0;
    int rc = FPY_CLI_PARSE(&fpy_show_cmd, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos != 1)
        return fpy_cli_usage_error(&fpy_show_cmd, "which device? want DEVICE");
    fpy_registry *reg;
    fpy_reg_device d;
    fpy_reg_event *h = NULL;
    if ((rc = fpy_device_open(&fpy_show_cmd, &o, 0, &reg, path, sizeof path)) == 0 &&
        (rc = fpy_device_find(&fpy_show_cmd, reg, pos[0], &d)) == 0) {
        if (fpy_registry_history_list(reg, d.id, &h, &n, err, sizeof err) != FPY_OK)
            rc = fpy_device_fail(&fpy_show_cmd, err);
        else if (o.json)
            fpy_show_json(&d, h, n);
        else
            fpy_show_text(&d, h, n);
    }
    free(h);
    fpy_registry_close(reg);
    return rc;
}

/* ---- alias -------------------------------------------------------------------------------- */

static int fpy_alias_run(void *ctx, int argc, char **argv)
{
    (void)ctx;
    fpy_dopts o = {0};
    const fpy_opt opts[] = {{"--clear", 0, NULL, &o.clear},
                            {"--registry", 0, &o.registry, NULL}};
    char *pos[2], path[4096], err[1024], why[128];
    size_t npos;
    int rc = FPY_CLI_PARSE(&fpy_alias_cmd, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos != (o.clear ? 1u : 2u))
        return fpy_cli_usage_error(&fpy_alias_cmd, "want DEVICE NAME, or DEVICE --clear");
    const char *name = o.clear ? NULL : pos[1];
    if (name != NULL && !fpy_registry_alias_ok(name, why, sizeof why))
        return fpy_cli_usage_error(&fpy_alias_cmd, "bad alias '%s': %s", name, why);
    fpy_registry *reg;
    fpy_reg_device d;
    if ((rc = fpy_device_open(&fpy_alias_cmd, &o, 0, &reg, path, sizeof path)) == 0 &&
        (rc = fpy_device_find(&fpy_alias_cmd, reg, pos[0], &d)) == 0) {
        if (fpy_registry_set_alias(reg, d.id, name, err, sizeof err) != FPY_OK)
            rc = fpy_device_fail(&fpy_alias_cmd, err);
        else if (name != NULL)
            printf("%s is now '%s'\n", d.id, name);
        else
            printf("%s has no alias now\n", d.id);
    }
    fpy_registry_close(reg);
    return rc;
}

/* ---- forget ------------------------------------------------------------------------------- */

/* --yes, or a "y" typed on a terminal; never a guess on a pipe. */
static int fpy_forget_confirmed(const fpy_reg_device *d, int yes)
{
    char line[32];
    if (yes)
        return FPY_EXIT_OK;
    if (!isatty(STDIN_FILENO))
        return fpy_cli_usage_error(&fpy_forget_cmd,
                                   "not asking on a non-terminal: add --yes to forget %s",
                                   d->id);
    fprintf(stderr, "forget %s%s%s%s and its history? [y/N] ", d->id, d->alias[0] ? " (" : "",
            d->alias, d->alias[0] ? ")" : "");
    if (fgets(line, sizeof line, stdin) != NULL &&
        (strcmp(line, "y\n") == 0 || strcmp(line, "yes\n") == 0))
        return FPY_EXIT_OK;
    fprintf(stderr, "fipytool device forget: nothing changed\n");
    return FPY_EXIT_FAIL;
}

static int fpy_forget_run(void *ctx, int argc, char **argv)
{
    (void)ctx;
    fpy_dopts o = {0};
    const fpy_opt opts[] = {{"--yes", 'y', NULL, &o.yes}, {"--registry", 0, &o.registry, NULL}};
    char *pos[1], path[4096], err[1024];
    size_t npos;
    int rc = FPY_CLI_PARSE(&fpy_forget_cmd, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos != 1)
        return fpy_cli_usage_error(&fpy_forget_cmd, "which device? want DEVICE");
    fpy_registry *reg;
    fpy_reg_device d;
    if ((rc = fpy_device_open(&fpy_forget_cmd, &o, 0, &reg, path, sizeof path)) == 0 &&
        (rc = fpy_device_find(&fpy_forget_cmd, reg, pos[0], &d)) == 0 &&
        (rc = fpy_forget_confirmed(&d, o.yes)) == 0) {
        if (fpy_registry_forget(reg, d.id, err, sizeof err) != FPY_OK)
            rc = fpy_device_fail(&fpy_forget_cmd, err);
        else if (fpy_wf_device_files_remove(reg, d.id) != 0)
            fprintf(stderr, "fipytool device forget: %s forgotten; its files beside the "
                            "registry could not all be removed\n", d.id);
        else
            printf("%s forgotten\n", d.id);
    }
    fpy_registry_close(reg);
    return rc;
}

/* ---- dispatch ----------------------------------------------------------------------------- */

static int fpy_device_run(int argc, char **argv)
{
    static const fpy_cli_sub subs[] = {
        {"list", fpy_list_run, NULL},
        {"show", fpy_show_run, NULL},
        {"alias", fpy_alias_run, NULL},
        {"forget", fpy_forget_run, NULL},
    };
    static const fpy_cli_subs s = {.cmd = &fpy_cmd_device, .sub = subs,
                                   .n = FPY_COUNTOF(subs)};
    return fpy_cli_dispatch(&s, argc, argv);
}

const fpy_cli_cmd fpy_cmd_device = {"device",
                                    "the registered boards: list, show, alias, forget",
                                    fpy_device_usage, fpy_device_run};
