/*
 * project.yml's keys and types (docs/project.md), checked over the tree
 * project_yaml.c builds.  Every problem is a diagnostic with its place;
 * the check goes on after an error, so one run lists them all.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hostio.h"
#include "project_int.h"

/* ---- target ------------------------------------------------------------ */

static int fpy_pj_target(fpy_pj *pj, const fpy_ynode *k, const fpy_ynode *v)
{
    (void)k;
    int64_t num;
    pj->saw_target = 1;
    if (fpy_pj_type(v, &num) != FPY_YV_STR)
        return fpy_pj_wrong(pj, v, "target", "a board name",
                            "write `target: " FPY_PROJECT_TARGET "`");
    free(pj->p->target);
    pj->p->target = strdup(v->s);
    if (pj->p->target == NULL)
        return FPY_ERR_NOSPC;
    if (strcmp(v->s, FPY_PROJECT_TARGET) == 0)
        return FPY_OK;
    return fpy_pdiag(pj->d, FPY_PROJECT_ERROR, FPY_ERR_INVAL, v->line, v->col,
                     "write `target: " FPY_PROJECT_TARGET "`",
                     "wrong target '%s': fipy knows one target, " FPY_PROJECT_TARGET
                     " (the Pycom FiPy 1.0)",
                     v->s);
}

/* ---- vm ---------------------------------------------------------------- */

static int fpy_pj_layout(fpy_pj *pj, const fpy_ynode *k, const fpy_ynode *v)
{
    (void)k;
    int64_t num;
    const char *fix = "write `layout: nonble` or `layout: ble` (a VM with Bluetooth)";
    if (fpy_pj_type(v, &num) != FPY_YV_STR)
        return fpy_pj_wrong(pj, v, "vm.layout", "ble or nonble", fix);
    const fpy_layout *l = fpy_layout_find(v->s);
    if (l == NULL)
        return fpy_pdiag(pj->d, FPY_PROJECT_ERROR, FPY_ERR_INVAL, v->line, v->col, fix,
                         "unknown vm.layout '%s': the FiPy has two, nonble and ble", v->s);
    pj->p->layout = l == fpy_layout_get(FPY_LAYOUT_BLE) ? FPY_LAYOUT_BLE : FPY_LAYOUT_NONBLE;
    return FPY_OK;
}

static int fpy_pj_abi(fpy_pj *pj, const fpy_ynode *k, const fpy_ynode *v)
{
    (void)k;
    int64_t num = 0;
    const char *fix = "write the VM's ABI version as a whole number, e.g. `abi: 1`";
    pj->saw_abi = 1;
    int ty = fpy_pj_type(v, &num);
    if (ty != FPY_YV_INT && ty != FPY_YV_BADNUM)
        return fpy_pj_wrong(pj, v, "vm.abi", "a whole number", fix);
    if (ty == FPY_YV_BADNUM || num < 0 || num > (int64_t)UINT32_MAX)
        return fpy_pdiag(pj->d, FPY_PROJECT_ERROR, FPY_ERR_INVAL, v->line, v->col, fix,
                         "vm.abi '%s' is not a number from 0 to 4294967295 in decimal or 0x hex",
                         v->s);
    pj->p->abi = (uint32_t)num;
    pj->p->has_abi = 1;
    return FPY_OK;
}

static void fpy_pj_feature(fpy_pj *pj, const fpy_ynode *it)
{
    int64_t num;
    if (fpy_pj_type(it, &num) != FPY_YV_STR) {
        fpy_pj_wrong(pj, it, "an item of vm.features", "a feature name",
                     "list names: fota, secure_firmware, power_saving");
        return;
    }
    for (uint32_t bit = 1; fpy_project_feature_name(bit) != NULL; bit <<= 1) {
        if (strcmp(it->s, fpy_project_feature_name(bit)) != 0)
            continue;
        if (pj->p->features & bit)
            fpy_pdiag(pj->d, FPY_PROJECT_WARNING, 0, it->line, it->col, "list it once",
                      "feature '%s' listed twice", it->s);
        pj->p->features |= bit;
        return;
    }
    fpy_pdiag(pj->d, FPY_PROJECT_WARNING, 0, it->line, it->col,
              "the features are fota, secure_firmware and power_saving",
              "unknown feature '%s': ignored", it->s);
}

/* A key whose value is a collection: 1 when v is of type `want` (walk
 * it); 0 when it is null (*rc OK: nothing to do) or of another type (*rc:
 * the error, reported with the key, what it must be and the fix). */
static int fpy_pj_collection(fpy_pj *pj, const fpy_ynode *v, int want, const char *key,
                             const char *what, const char *fix, int *rc)
{
    int64_t num;
    int ty = fpy_pj_type(v, &num);
    *rc = FPY_OK;
    if (ty == want)
        return 1;
    if (ty != FPY_YV_NULL)
        *rc = fpy_pj_wrong(pj, v, key, what, fix);
    return 0;
}

static int fpy_pj_features(fpy_pj *pj, const fpy_ynode *k, const fpy_ynode *v)
{
    (void)k;
    int rc;
    if (!fpy_pj_collection(pj, v, FPY_YV_SEQ, "vm.features", "a list",
                           "write a list such as `features: [fota, secure_firmware]`", &rc))
        return rc;
    for (const fpy_ynode *it = fpy_pj_node(pj, v->child); it; it = fpy_pj_node(pj, it->next))
        fpy_pj_feature(pj, it);
    return FPY_OK;
}

static int fpy_pj_uid(fpy_pj *pj, const fpy_ynode *k, const fpy_ynode *v)
{
    (void)k;
    return fpy_pj_text(pj, v, "vm.uid", &pj->p->vm_uid);
}

static int fpy_pj_version(fpy_pj *pj, const fpy_ynode *k, const fpy_ynode *v)
{
    (void)k;
    return fpy_pj_text(pj, v, "vm.version", &pj->p->vm_version);
}

/* Zerynth's dev_uid and rtos: read for their type, not used by fipy. */
static int fpy_pj_zerynth_text(fpy_pj *pj, const fpy_ynode *k, const fpy_ynode *v)
{
    char *s = NULL;
    char key[48];
    snprintf(key, sizeof key, "vm.%s", k->s);
    int rc = fpy_pj_text(pj, v, key, &s);
    free(s);
    return rc;
}

static int fpy_pj_vm(fpy_pj *pj, const fpy_ynode *k, const fpy_ynode *v)
{
    static const fpy_pj_key keys[] = {
        {"layout", fpy_pj_layout}, {"features", fpy_pj_features},
        {"abi", fpy_pj_abi},       {"uid", fpy_pj_uid},
        {"version", fpy_pj_version}, {"dev_uid", fpy_pj_zerynth_text},
        {"rtos", fpy_pj_zerynth_text},
    };
    (void)k;
    int rc;
    if (!fpy_pj_collection(pj, v, FPY_YV_MAP, "vm", "a mapping",
                           "indent the VM's keys under `vm:` (layout, features, abi)", &rc))
        return rc;
    fpy_pj_map(pj, v, keys, sizeof keys / sizeof keys[0], NULL, "vm",
               "layout, features, abi, uid, version, dev_uid and rtos");
    return FPY_OK;
}

/* ---- config ------------------------------------------------------------ */

/* Each config entry becomes a C macro (-DKEY=value) and a CFG name. */
static int fpy_pj_ident(const char *s)
{
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_' ||
              (*s >= '0' && *s <= '9')))
            return 0;
    return 1;
}

/* native_mbedtls (0) or zerynth_ssl (1), in either spelling; -1 else. */
static int fpy_pj_switch_of(const char *s)
{
    if (strcmp(s, "native_mbedtls") == 0 || strcmp(s, "NATIVE_MBEDTLS") == 0)
        return 0;
    if (strcmp(s, "zerynth_ssl") == 0 || strcmp(s, "ZERYNTH_SSL") == 0)
        return 1;
    return -1;
}

/* The page writes native_mbedtls and zerynth_ssl in lower case, Zerynth's
 * C code tests NATIVE_MBEDTLS and ZERYNTH_SSL: both spellings mean the
 * same here, and giving both is refused (which one would win?). */
static int fpy_pj_switch(fpy_pj *pj, const fpy_ynode *k, const fpy_ynode *v, int which,
                         const fpy_project_cfg *c)
{
    const fpy_ynode *first = pj->sw[which];
    if (first != NULL)
        return fpy_pdiag(pj->d, FPY_PROJECT_ERROR, FPY_ERR_INVAL, k->line, k->col,
                         "keep one spelling",
                         "%s is set twice: as %s (line %u) and as %s", which ? "zerynth_ssl"
                                                                             : "native_mbedtls",
                         first->s, (unsigned)first->line, k->s);
    pj->sw[which] = k;
    if (c->type != FPY_PROJECT_CFG_BOOL && c->type != FPY_PROJECT_CFG_NULL) {
        char key[40];
        snprintf(key, sizeof key, "config.%s", k->s);
        return fpy_pj_wrong(pj, v, key, "true or false", "write true or false");
    }
    int on = c->type == FPY_PROJECT_CFG_BOOL && c->num != 0;
    if (which == 0) {
        pj->p->native_mbedtls = on;
        return FPY_OK;
    }
    pj->p->zerynth_ssl = on;
    if (!on)
        return FPY_OK;
    return fpy_pdiag(pj->d, FPY_PROJECT_ERROR, FPY_ERR_UNSUPPORTED, v->line, v->col,
                     "use `native_mbedtls: true` for secure sockets, and remove zerynth_ssl",
                     "%s: true is refused: Zerynth's own SSL is not available on the ESP32 "
                     "target, whose VM carries mbedTLS (with lwIP and the socket API)",
                     k->s);
}

static int fpy_pj_cfg_value(fpy_pj *pj, const fpy_ynode *k, const fpy_ynode *v,
                            fpy_project_cfg *c)
{
    char key[80];
    snprintf(key, sizeof key, "config.%.60s", k->s);
    switch (fpy_pj_type(v, &c->num)) {
    case FPY_YV_NULL:
        c->type = FPY_PROJECT_CFG_NULL;
        return FPY_OK;
    case FPY_YV_BOOL:
        c->type = FPY_PROJECT_CFG_BOOL;
        return FPY_OK;
    case FPY_YV_INT:
        c->type = FPY_PROJECT_CFG_INT;
        return FPY_OK;
    case FPY_YV_STR:
        c->type = FPY_PROJECT_CFG_STRING;
        c->str = strdup(v->s);
        return c->str ? FPY_OK : FPY_ERR_NOSPC;
    case FPY_YV_BADNUM:
        return fpy_pdiag(pj->d, FPY_PROJECT_ERROR, FPY_ERR_INVAL, v->line, v->col,
                         "write it in decimal without a leading zero, or 0x hex, or quote it",
                         "%s: '%s' is not a number fipy reads (a leading zero means octal in "
                         "YAML 1.1; at most 64 bits)",
                         key, v->s);
    default:
        return fpy_pj_wrong(pj, v, key, "one value (true, false, null, a number or a string)",
                            "write a single value after the colon");
    }
}

static int fpy_pj_cfg(fpy_pj *pj, const fpy_ynode *k, const fpy_ynode *v)
{
    fpy_project *p = pj->p;
    if (!fpy_pj_ident(k->s))
        return fpy_pdiag(pj->d, FPY_PROJECT_ERROR, FPY_ERR_INVAL, k->line, k->col,
                         "use letters, digits and _ (not first)",
                         "config key '%s' is not a C name: each entry becomes a macro", k->s);
    fpy_project_cfg *more = realloc(p->config, (p->nconfig + 1) * sizeof *more);
    if (more == NULL)
        return FPY_ERR_NOSPC;
    p->config = more;
    fpy_project_cfg *c = &p->config[p->nconfig];
    memset(c, 0, sizeof *c);
    c->line = k->line;
    c->col = k->col;
    int rc = fpy_pj_cfg_value(pj, k, v, c);
    if (rc != FPY_OK) {
        free(c->str);
        return rc;
    }
    c->name = strdup(k->s);
    if (c->name == NULL) {
        free(c->str);
        return FPY_ERR_NOSPC;
    }
    p->nconfig++;
    int which = fpy_pj_switch_of(k->s);
    return which < 0 ? FPY_OK : fpy_pj_switch(pj, k, v, which, c);
}

static int fpy_pj_config(fpy_pj *pj, const fpy_ynode *k, const fpy_ynode *v)
{
    (void)k;
    int rc;
    if (!fpy_pj_collection(pj, v, FPY_YV_MAP, "config", "a mapping",
                           "indent entries under `config:`, e.g. `  native_mbedtls: true`", &rc))
        return rc;
    fpy_pj_map(pj, v, NULL, 0, fpy_pj_cfg, "config", "");
    return FPY_OK;
}

/* Zerynth Studio's specs (port, probe, disk): read for their type only. */
static int fpy_pj_specs(fpy_pj *pj, const fpy_ynode *k, const fpy_ynode *v)
{
    (void)k;
    int rc;
    (void)fpy_pj_collection(pj, v, FPY_YV_MAP, "specs", "a mapping",
                            "indent its keys under `specs:`", &rc);
    return rc;
}

/* ---- the file ---------------------------------------------------------- */

static void fpy_pj_root(fpy_pj *pj)
{
    static const fpy_pj_key keys[] = {
        {"target", fpy_pj_target}, {"vm", fpy_pj_vm},
        {"config", fpy_pj_config}, {"specs", fpy_pj_specs},
    };
    const fpy_ynode *root = pj->t->count ? &pj->t->n[0] : NULL;
    int64_t num;
    if (root != NULL && fpy_pj_type(root, &num) != FPY_YV_NULL) {
        if (root->kind != FPY_YN_MAP) {
            fpy_pj_wrong(pj, root, "project.yml", "a mapping of keys (target, vm, config)",
                         "start with `target: " FPY_PROJECT_TARGET "`");
            return;
        }
        fpy_pj_map(pj, root, keys, sizeof keys / sizeof keys[0], NULL, "project.yml",
                   "target, vm, config and specs");
    }
    uint32_t line = root ? root->line : 1, col = root ? root->col : 1;
    if (!pj->saw_target)
        fpy_pj_note(pj, fpy_pdiag(pj->d, FPY_PROJECT_ERROR, FPY_ERR_INVAL, line, col,
                                  "add `target: " FPY_PROJECT_TARGET "`",
                                  "no target: fipy needs to know the board"));
    if (!pj->saw_abi)
        fpy_pdiag(pj->d, FPY_PROJECT_WARNING, 0, line, col, "add `abi: N` under `vm:`",
                  "no vm.abi: a build takes the ABI of the VM it is built for, unchecked");
}

static int fpy_pj_file(fpy_project_diags *d, const char *file)
{
    if (d->file != NULL)
        return FPY_OK;
    d->file = strdup(file ? file : FPY_PROJECT_FILE);
    return d->file ? FPY_OK : FPY_ERR_NOSPC;
}

static int fpy_pj_result(const fpy_project_diags *d, int rc)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->v[i].severity == FPY_PROJECT_ERROR)
            return d->v[i].err;
    return d->errors ? (rc != FPY_OK ? rc : FPY_ERR_INVAL) : rc;
}

int fpy_project_parse(const char *text, size_t len, const char *file, fpy_project *p,
                      fpy_project_diags *d)
{
    FPY_TRY(fpy_pj_file(d, file));
    if (len > FPY_PROJECT_MAX_YAML)
        return fpy_pdiag(d, FPY_PROJECT_ERROR, FPY_ERR_NOSPC, 0, 0,
                         "project.yml needs a few hundred bytes; check the file",
                         "too large: %zu bytes, at most %u", len, FPY_PROJECT_MAX_YAML);
    fpy_ytree t = {0};
    int rc = fpy_ytree_parse(text, len, &t, d);
    if (rc == FPY_OK) {
        fpy_pj pj = {.t = &t, .p = p, .d = d};
        fpy_pj_root(&pj);
        rc = pj.rc;
    }
    fpy_ytree_free(&t);
    return fpy_pj_result(d, rc);
}

int fpy_project_load(const char *path, fpy_project *p, fpy_project_diags *d)
{
    struct stat st;
    char *file = NULL;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        size_t n = strlen(path) + sizeof "/" FPY_PROJECT_FILE;
        file = malloc(n);
        if (file == NULL)
            return FPY_ERR_NOSPC;
        snprintf(file, n, "%s/%s", path, FPY_PROJECT_FILE);
    }
    const char *name = file ? file : path;
    int rc = fpy_pj_file(d, name);
    uint8_t *buf = NULL;
    size_t len = 0;
    char err[256];
    if (rc == FPY_OK) {
        rc = fpy_file_read(name, FPY_PROJECT_MAX_YAML, &buf, &len, err, sizeof err);
        if (rc != FPY_OK)
            fpy_pdiag(d, FPY_PROJECT_ERROR, rc, 0, 0,
                      rc == FPY_ERR_NOSPC ? "project.yml needs a few hundred bytes; check the file"
                                          : "name a project directory or its project.yml",
                      "%s", err);
        else
            rc = fpy_project_parse((const char *)buf, len, name, p, d);
    }
    free(buf);
    free(file);
    return rc;
}

void fpy_project_free(fpy_project *p)
{
    for (size_t i = 0; i < p->nconfig; i++) {
        free(p->config[i].name);
        free(p->config[i].str);
    }
    free(p->config);
    free(p->target);
    free(p->vm_uid);
    free(p->vm_version);
    memset(p, 0, sizeof *p);
}
