/* fipytool project: start, check and build a FiPy project (docs/project.md). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "fipy/bcimage.h"
#include "fipy/layout.h"
#include "hostio.h"
#include "project.h"

static const char fpy_project_usage[] =
    "usage: fipytool project COMMAND [ARGS]\n\n"
    "A FiPy project is a directory with project.yml (board, VM, options),\n"
    "main.py and other *.py files (docs/project.md).\n\n"
    "Commands:\n"
    "  new DIR                            a starting project in a new directory\n"
    "  check DIR|FILE [--json]            read project.yml; list errors and warnings\n"
    "  build DIR --abi N [-o OUT.fbc] [--max-size N]\n"
    "                                     the bytecode image for a VM of ABI N\n\n"
    "'fipytool project COMMAND --help' describes one command.\n"
    "Exit status: 0 ok, 1 failure (errors in project.yml), 2 usage error.\n";

static const char fpy_new_usage[] =
    "usage: fipytool project new DIR\n\n"
    "Create DIR with a starting project: project.yml (target, VM layout,\n"
    "features and ABI, config, with comments), main.py (prints hello) and\n"
    "README.md (the files and the steps to the board).  DIR must not exist or\n"
    "be empty; nothing is ever overwritten, and a failure leaves nothing.\n";

static const char fpy_check_usage[] =
    "usage: fipytool project check DIR|FILE [--json]\n\n"
    "Read DIR/project.yml (or FILE) and print each error and warning as\n"
    "FILE:LINE:COLUMN with what to do, then what the project says.  Exit 1\n"
    "when there is an error; warnings (unknown keys or features) do not fail.\n\n"
    "  --json   machine-readable output\n";

static const char fpy_build_usage[] =
    "usage: fipytool project build DIR --abi N [-o OUT.fbc] [--max-size N]\n\n"
    "Bundle main.py and the other *.py files of DIR (project bundle v1) into a\n"
    "bytecode image for a VM of ABI version N (docs/formats/bytecode-image.md).\n"
    "Refused when project.yml has errors, when its vm.abi is not N, without\n"
    "main.py, or when the image exceeds the bytecode slot.  The same project\n"
    "gives the same bytes.\n\n"
    "  --abi N           the VM's ABI version (required)\n"
    "  -o, --output F    output file (default DIR/project.fbc; not a .py file)\n"
    "  --max-size N      largest image (default: the bytecode slot of the\n"
    "                    layout, 512K for nonble, 320K for ble)\n";

static const fpy_cli_cmd fpy_new_cmd = {"project new", "", fpy_new_usage, NULL};
static const fpy_cli_cmd fpy_check_cmd = {"project check", "", fpy_check_usage, NULL};
static const fpy_cli_cmd fpy_build_cmd = {"project build", "", fpy_build_usage, NULL};

/* ---- new ----------------------------------------------------------------------------- */

static int fpy_new_run(void *ctx, int argc, char **argv)
{
    (void)ctx;
    /* No option but --help, which the parser answers before the table;
     * the entry is there because a table cannot be empty. */
    int help = 0;
    const fpy_opt opts[] = {{"--help", 'h', NULL, &help}};
    char *pos[1];
    size_t npos = 0;
    char err[512];
    int rc = FPY_CLI_PARSE(&fpy_new_cmd, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos != 1)
        return fpy_cli_usage_error(&fpy_new_cmd, "want DIR, the new project's directory");
    if (fpy_project_new(pos[0], err, sizeof err) != FPY_OK) {
        fprintf(stderr, "fipytool project: %s\n", err);
        return FPY_EXIT_FAIL;
    }
    printf("created %s: project.yml, main.py, README.md\nnext: fipytool project check %s\n",
           pos[0], pos[0]);
    return FPY_EXIT_OK;
}

/* ---- check --------------------------------------------------------------------------- */

static const char *const fpy_cfg_types[] = {"null", "bool", "int", "string"};

static void fpy_json_cfg(const fpy_project_cfg *c)
{
    printf("{\"name\":");
    fpy_json_str(stdout, c->name);
    printf(",\"type\":\"%s\",\"value\":", fpy_cfg_types[c->type]);
    if (c->type == FPY_PROJECT_CFG_NULL)
        printf("null");
    else if (c->type == FPY_PROJECT_CFG_BOOL)
        printf("%s", c->num ? "true" : "false");
    else if (c->type == FPY_PROJECT_CFG_INT)
        printf("%" PRId64, c->num);
    else
        fpy_json_str(stdout, c->str);
    printf(",\"line\":%u}", (unsigned)c->line);
}

static void fpy_json_opt(const char *key, const char *s)
{
    printf(",\"%s\":", key);
    if (s == NULL)
        printf("null");
    else
        fpy_json_str(stdout, s);
}

static void fpy_json_project(const fpy_project *p)
{
    printf("{\"target\":");
    p->target ? fpy_json_str(stdout, p->target) : (void)printf("null");
    printf(",\"layout\":\"%s\",\"features\":[", fpy_layout_get(p->layout)->name);
    const char *sep = "";
    for (uint32_t bit = 1; fpy_project_feature_name(bit) != NULL; bit <<= 1)
        if (p->features & bit) {
            printf("%s\"%s\"", sep, fpy_project_feature_name(bit));
            sep = ",";
        }
    printf("],\"abi\":");
    p->has_abi ? (void)printf("%u", (unsigned)p->abi) : (void)printf("null");
    fpy_json_opt("uid", p->vm_uid);
    fpy_json_opt("version", p->vm_version);
    printf(",\"native_mbedtls\":%s,\"zerynth_ssl\":%s,\"config\":[",
           p->native_mbedtls ? "true" : "false", p->zerynth_ssl ? "true" : "false");
    for (size_t i = 0; i < p->nconfig; i++) {
        printf("%s", i ? "," : "");
        fpy_json_cfg(&p->config[i]);
    }
    printf("]}");
}

static void fpy_check_json(const fpy_project *p, const fpy_project_diags *d)
{
    printf("{\"file\":");
    fpy_json_str(stdout, d->file ? d->file : "");
    printf(",\"ok\":%s,\"errors\":%zu,\"warnings\":%zu,\"diagnostics\":[",
           d->errors ? "false" : "true", d->errors, d->warnings);
    for (size_t i = 0; i < d->n; i++) {
        const fpy_project_msg *m = &d->v[i];
        printf("%s{\"severity\":\"%s\",\"line\":%u,\"column\":%u,\"message\":", i ? "," : "",
               m->severity == FPY_PROJECT_ERROR ? "error" : "warning", (unsigned)m->line,
               (unsigned)m->col);
        fpy_json_str(stdout, m->msg);
        printf(",\"fix\":");
        fpy_json_str(stdout, m->fix);
        printf("}");
    }
    printf("],\"project\":");
    fpy_json_project(p);
    printf("}\n");
}

static void fpy_check_text(const fpy_project *p, const fpy_project_diags *d)
{
    fpy_project_diags_print(d, stdout);
    const char *file = d->file ? d->file : FPY_PROJECT_FILE;
    if (d->errors != 0) {
        printf("%s: %zu error(s), %zu warning(s)\n", file, d->errors, d->warnings);
        return;
    }
    printf("%s: ok (%zu warning(s))\n  target:   %s\n  layout:   %s\n  features:", file,
           d->warnings, p->target, fpy_layout_get(p->layout)->name);
    int any = 0;
    for (uint32_t bit = 1; fpy_project_feature_name(bit) != NULL; bit <<= 1)
        if (p->features & bit)
            any = printf(" %s", fpy_project_feature_name(bit));
    printf("%s\n  VM ABI:   ", any ? "" : " none");
    p->has_abi ? (void)printf("%u\n", (unsigned)p->abi) : (void)printf("not given\n");
    printf("  config:   %zu entr%s%s\n", p->nconfig, p->nconfig == 1 ? "y" : "ies",
           p->native_mbedtls ? " (native_mbedtls on)" : "");
}

static int fpy_check_run(void *ctx, int argc, char **argv)
{
    (void)ctx;
    int json = 0;
    const fpy_opt opts[] = {{"--json", 0, NULL, &json}};
    char *pos[1];
    size_t npos = 0;
    int rc = FPY_CLI_PARSE(&fpy_check_cmd, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos != 1)
        return fpy_cli_usage_error(&fpy_check_cmd, "want a project directory or its project.yml");
    fpy_project p = {0};
    fpy_project_diags d = {0};
    rc = fpy_project_load(pos[0], &p, &d);
    if (json)
        fpy_check_json(&p, &d);
    else
        fpy_check_text(&p, &d);
    fpy_project_free(&p);
    fpy_project_diags_free(&d);
    return rc == FPY_OK ? FPY_EXIT_OK : FPY_EXIT_FAIL;
}

/* ---- build --------------------------------------------------------------------------- */

typedef struct fpy_build_args {
    const char *dir, *abi_s, *out, *max_s;
    uint32_t abi, max;
    char *out_own; /* the default DIR/project.fbc */
} fpy_build_args;

/* The output must not replace an input: project.yml, or a source (.py). */
static int fpy_build_out(const fpy_build_args *a, const char *yml)
{
    size_t n = strlen(a->out);
    if (n >= 3 && strcmp(a->out + n - 3, ".py") == 0)
        return fpy_cli_usage_error(&fpy_build_cmd,
                                   "-o %s ends in .py: the image would replace a source; "
                                   "name a .fbc file",
                                   a->out);
    return fpy_cli_distinct(&fpy_build_cmd, a->out, &yml, 1);
}

static int fpy_build_args_check(fpy_build_args *a, const fpy_project *p, const char *yml)
{
    int rc;
    if (a->abi_s == NULL)
        return fpy_cli_usage_error(&fpy_build_cmd, "build needs --abi N, the VM's ABI version");
    if ((rc = fpy_cli_number(&fpy_build_cmd, "--abi", a->abi_s, FPY_NUM_PLAIN, UINT32_MAX,
                             &a->abi)) != 0 ||
        (rc = fpy_cli_number(&fpy_build_cmd, "--max-size", a->max_s, FPY_NUM_SIZE,
                             FPY_FLASH_SIZE_8M, &a->max)) != 0)
        return rc;
    if (a->max_s == NULL)
        a->max = fpy_layout_area(fpy_layout_get(p->layout), FPY_AREA_BC_SLOT, 0)->size;
    if (a->out == NULL) {
        size_t n = strlen(a->dir) + sizeof "/project.fbc";
        if ((a->out_own = malloc(n)) == NULL)
            return FPY_EXIT_FAIL;
        snprintf(a->out_own, n, "%s/project.fbc", a->dir);
        a->out = a->out_own;
    }
    return fpy_build_out(a, yml);
}

static int fpy_build_write(const fpy_build_args *a, const uint8_t *img, size_t len)
{
    char err[512];
    if (fpy_file_write(a->out, img, len, err, sizeof err) != FPY_OK) {
        fprintf(stderr, "fipytool project: %s\n", err);
        return FPY_EXIT_FAIL;
    }
    printf("%s: %zu bytes (header %u + project bundle %zu), VM ABI %u; slot %u bytes\n",
           a->out, len, FPY_BC_HEADER_LEN, len - FPY_BC_HEADER_LEN, (unsigned)a->abi,
           (unsigned)a->max);
    return FPY_EXIT_OK;
}

static int fpy_build_do(fpy_build_args *a)
{
    fpy_project p = {0};
    fpy_project_diags d = {0};
    int rc = fpy_project_load(a->dir, &p, &d);
    fpy_project_diags_print(&d, stderr);
    if (rc != FPY_OK) {
        fprintf(stderr, "fipytool project: %s has errors: not built\n", d.file ? d.file : a->dir);
        rc = FPY_EXIT_FAIL;
    } else if ((rc = fpy_build_args_check(a, &p, d.file)) == 0) {
        uint8_t *img = NULL;
        size_t len = 0;
        char err[512];
        if (fpy_project_build(a->dir, &p, a->abi, a->max, &img, &len, err, sizeof err) != FPY_OK) {
            fprintf(stderr, "fipytool project: %s\n", err);
            rc = FPY_EXIT_FAIL;
        } else {
            rc = fpy_build_write(a, img, len);
        }
        free(img);
    }
    fpy_project_free(&p);
    fpy_project_diags_free(&d);
    return rc;
}

static int fpy_build_run(void *ctx, int argc, char **argv)
{
    (void)ctx;
    fpy_build_args a = {0};
    const fpy_opt opts[] = {{"--abi", 0, &a.abi_s, NULL},
                            {"--output", 'o', &a.out, NULL},
                            {"--max-size", 0, &a.max_s, NULL}};
    char *pos[1];
    size_t npos = 0;
    int rc = FPY_CLI_PARSE(&fpy_build_cmd, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos != 1)
        return fpy_cli_usage_error(&fpy_build_cmd, "want DIR, the project's directory");
    struct stat st;
    if (stat(pos[0], &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "fipytool project: %s is not a project directory\n", pos[0]);
        return FPY_EXIT_FAIL;
    }
    a.dir = pos[0];
    rc = fpy_build_do(&a);
    free(a.out_own);
    return rc;
}

/* ---- dispatch ------------------------------------------------------------------------ */

static int fpy_project_run(int argc, char **argv)
{
    static const fpy_cli_sub subs[] = {
        {"new", fpy_new_run, NULL},
        {"check", fpy_check_run, NULL},
        {"build", fpy_build_run, NULL},
    };
    static const fpy_cli_subs s = {.cmd = &fpy_cmd_project, .sub = subs,
                                   .n = FPY_COUNTOF(subs)};
    return fpy_cli_dispatch(&s, argc, argv);
}

const fpy_cli_cmd fpy_cmd_project = {"project", "FiPy projects: new, check, build (project.yml)",
                                     fpy_project_usage, fpy_project_run};
