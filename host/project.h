/*
 * Projects: the project.yml of a FiPy program, read with libyaml, and the
 * bytecode image built from the project's sources.  Keys, types, what is
 * refused and why: docs/project.md; the payload of the image ("project
 * bundle v1"): docs/formats/bytecode-image.md.
 *
 * A project is a directory holding project.yml, main.py and other *.py
 * files.  fpy_project_load reads and checks project.yml into an
 * fpy_project and a list of diagnostics (errors and warnings, each with
 * file, line, column, message and fix); fpy_project_build bundles the
 * sources into a bytecode image for one VM ABI.
 *
 * Guarantees for untrusted project.yml bytes: at most
 * FPY_PROJECT_MAX_YAML bytes are read; NUL bytes and invalid UTF-8 are
 * refused before libyaml sees them; aliases are refused (no "billion
 * laughs"), as are explicit tags and a second document; nesting and the
 * number of values are bounded (FPY_PROJECT_MAX_DEPTH,
 * FPY_PROJECT_MAX_NODES); nothing recurses.  Every error and warning
 * names a 1-based line and column.
 */
#ifndef FIPY_PROJECT_H
#define FIPY_PROJECT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fipy/err.h"
#include "fipy/layout.h"

#define FPY_PROJECT_FILE "project.yml"
#define FPY_PROJECT_TARGET "pycom_fipy_v1" /* the one target fipy knows */
#define FPY_PROJECT_MAX_YAML (256u * 1024u)
#define FPY_PROJECT_MAX_DEPTH 16u
#define FPY_PROJECT_MAX_NODES 4096u
#define FPY_PROJECT_MAX_DIAGS 100u /* more are counted, not kept */

/* VM features (vm.features), as bits of fpy_project.features. */
#define FPY_PROJECT_FEAT_FOTA 0x1u
#define FPY_PROJECT_FEAT_SECURE_FIRMWARE 0x2u
#define FPY_PROJECT_FEAT_POWER_SAVING 0x4u

typedef enum fpy_project_cfg_type {
    FPY_PROJECT_CFG_NULL,   /* `KEY: null` or `KEY:`: the macro is disabled */
    FPY_PROJECT_CFG_BOOL,   /* num is 0 or 1 */
    FPY_PROJECT_CFG_INT,    /* num */
    FPY_PROJECT_CFG_STRING  /* str (a quoted value, or plain text that is no other type) */
} fpy_project_cfg_type;

/* One `config:` entry, in file order. */
typedef struct fpy_project_cfg {
    char *name;
    fpy_project_cfg_type type;
    int64_t num;
    char *str;          /* FPY_PROJECT_CFG_STRING only; else NULL */
    uint32_t line, col; /* of the key, 1-based */
} fpy_project_cfg;

/* A project.yml as read.  All strings are malloc'd and owned by the
 * struct: fpy_project_free releases them.  Zero it before use. */
typedef struct fpy_project {
    char *target;            /* NULL when missing (an error) */
    fpy_layout_id layout;    /* vm.layout; FPY_LAYOUT_NONBLE when absent */
    uint32_t features;       /* FPY_PROJECT_FEAT_* */
    uint32_t abi;            /* vm.abi, when has_abi */
    int has_abi;
    char *vm_uid;            /* vm.uid, vm.version: optional, NULL when absent */
    char *vm_version;
    fpy_project_cfg *config;
    size_t nconfig;
    /* config's native_mbedtls / NATIVE_MBEDTLS and zerynth_ssl /
     * ZERYNTH_SSL (either spelling, not both): 1 when true. */
    int native_mbedtls;
    int zerynth_ssl;
} fpy_project;

#define FPY_PROJECT_ERROR 1
#define FPY_PROJECT_WARNING 2

typedef struct fpy_project_msg {
    int severity;       /* FPY_PROJECT_ERROR or FPY_PROJECT_WARNING */
    int err;            /* errors: the fpy_err code; warnings: 0 */
    const char *file;   /* the list's `file` */
    uint32_t line, col; /* 1-based; 0 when the whole file is meant */
    char msg[240];      /* what is wrong, naming the key or value */
    char fix[200];      /* what to do; may be empty */
} fpy_project_msg;

/* Diagnostics, in the order found.  Zero it before use; free with
 * fpy_project_diags_free. */
typedef struct fpy_project_diags {
    char *file;         /* the path messages name (owned) */
    fpy_project_msg *v; /* the first FPY_PROJECT_MAX_DIAGS */
    size_t n, cap;
    size_t errors, warnings, dropped;
} fpy_project_diags;

/*
 * Read and check `path`: a project directory (its project.yml is read) or
 * the YAML file itself.  Fills `p` (zeroed by the caller) as far as the
 * file allows and appends every error and warning to `d`.  Returns FPY_OK
 * when there is no error (warnings may be present), else the code of the
 * first error: FPY_ERR_IO (unreadable), FPY_ERR_NOSPC (over
 * FPY_PROJECT_MAX_YAML), FPY_ERR_CORRUPT (not UTF-8, NUL bytes, YAML
 * syntax, alias, second document), FPY_ERR_INVAL (a wrong type, a missing
 * or unknown target, a duplicate key), FPY_ERR_UNSUPPORTED (zerynth_ssl).
 * The caller frees both with fpy_project_free and fpy_project_diags_free,
 * whatever the result.
 */
int fpy_project_load(const char *path, fpy_project *p, fpy_project_diags *d);

/* The same for text already in memory, text[0, len); `file` names it in
 * the messages (copied). */
int fpy_project_parse(const char *text, size_t len, const char *file, fpy_project *p,
                      fpy_project_diags *d);

void fpy_project_free(fpy_project *p);
void fpy_project_diags_free(fpy_project_diags *d);

/* "FILE:LINE:COL: error: MSG" and, on the next line, "  fix: FIX", for
 * each diagnostic, then a count of dropped ones. */
void fpy_project_diags_print(const fpy_project_diags *d, FILE *f);

/* "fota", "secure_firmware", "power_saving" for one FPY_PROJECT_FEAT_ bit;
 * NULL for anything else. */
const char *fpy_project_feature_name(uint32_t bit);

/* Sources of a bundle: main.py, then the other top-level *.py files. */
#define FPY_PROJECT_MAX_SOURCE (256u * 1024u) /* bytes of one file */
#define FPY_PROJECT_MAX_FILES 128u
#define FPY_PROJECT_MAX_NAME 64u              /* bytes of a file name */

/* The project bundle v1 (docs/formats/bytecode-image.md): the payload of
 * a bytecode image. */
#define FPY_BUNDLE_MAGIC 0x31425046u /* bytes "FPB1" */
#define FPY_BUNDLE_VERSION 1u
#define FPY_BUNDLE_HEADER_LEN 16u
#define FPY_BUNDLE_ENTRY_LEN 8u      /* name length, data length; then the bytes */
#define FPY_BUNDLE_OFF_MAGIC 0u
#define FPY_BUNDLE_OFF_VERSION 4u
#define FPY_BUNDLE_OFF_HDRLEN 6u
#define FPY_BUNDLE_OFF_COUNT 8u
#define FPY_BUNDLE_OFF_TOTAL 12u

/*
 * Build the bytecode image of the project in `dir` (already loaded into
 * `p` without errors) for a VM of ABI `vm_abi`: an fbc header
 * (fpy_bc_build, security version 0) whose payload is the project bundle
 * of main.py and the directory's other *.py files, in a fixed order, so
 * the same project gives the same bytes.  At most `max_size` bytes in
 * all (the bytecode slot).  On success *buf (malloc'd; free it) and *len
 * hold the image.  Errors, with an English reason in err:
 * FPY_ERR_STATE when p's vm.abi differs from vm_abi (both named);
 * FPY_ERR_NOTFOUND without main.py; FPY_ERR_NOSPC for a source over
 * FPY_PROJECT_MAX_SOURCE, more than FPY_PROJECT_MAX_FILES sources, or an
 * image over max_size (both sizes named); FPY_ERR_INVAL for a source
 * whose name is not a Python module name or that is not a regular file;
 * FPY_ERR_IO when the directory or a file cannot be read.
 */
int fpy_project_build(const char *dir, const fpy_project *p, uint32_t vm_abi, size_t max_size,
                      uint8_t **buf, size_t *len, char *err, size_t errlen);

/*
 * Create a starting project in `dir`: project.yml (target, layout, ABI,
 * config with comments), main.py (prints hello) and README.md (the files
 * and the workflow).  `dir` must not exist or be an empty directory; no
 * file is ever overwritten.  The files are written to a temporary
 * directory next to `dir` that is then renamed to `dir`, so a failure
 * leaves nothing half-made.  FPY_ERR_EXISTS (dir is a file, a symlink or
 * a non-empty directory), FPY_ERR_IO (cannot write), with the reason in
 * err.
 */
int fpy_project_new(const char *dir, char *err, size_t errlen);

#endif
