/*
 * Internal to host/project*.c: the YAML of project.yml as a flat tree
 * built from libyaml's events (project_yaml.c), and the diagnostics
 * helper the schema check (project.c) shares.
 */
#ifndef FIPY_PROJECT_INT_H
#define FIPY_PROJECT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "project.h"

#define FPY_YN_SCALAR 1
#define FPY_YN_SEQ 2
#define FPY_YN_MAP 3

/* One node.  A mapping's children alternate key, value.  Index 0 is the
 * root (the document's value); 0 as `child` or `next` means none. */
typedef struct fpy_ynode {
    uint8_t kind;
    uint8_t plain;      /* scalar: plain (unquoted, untagged): its type is resolved */
    uint32_t line, col; /* 1-based */
    uint32_t child, next, last;
    uint32_t nchild;
    char *s;            /* scalar text, NUL-terminated (NULs were refused) */
    size_t len;
} fpy_ynode;

typedef struct fpy_ytree {
    fpy_ynode *n;
    size_t count, cap;
} fpy_ytree;

/* Parse text[0, len) into `t` (zeroed by the caller).  FPY_OK with
 * t->count 0 for an empty document; on an error the diag is in `d` and
 * the tree is partial (free it all the same). */
int fpy_ytree_parse(const char *text, size_t len, fpy_ytree *t, fpy_project_diags *d);
void fpy_ytree_free(fpy_ytree *t);

/* ---- the key walk (project_walk.c), shared by project.c ---- */

/* What a value is, as YAML 1.1 (PyYAML, which Zerynth's tools use)
 * resolves a plain scalar: null, a boolean, an integer, or a string. */
#define FPY_YV_NULL 0
#define FPY_YV_BOOL 1
#define FPY_YV_INT 2
#define FPY_YV_STR 3
#define FPY_YV_BADNUM 4 /* an integer fipy will not guess at: octal, too large */
#define FPY_YV_MAP 5
#define FPY_YV_SEQ 6

typedef struct fpy_pj {
    const fpy_ytree *t;
    fpy_project *p;
    fpy_project_diags *d;
    int rc;                  /* the first error */
    const fpy_ynode *sw[2];  /* the keys of native_mbedtls, zerynth_ssl */
    int saw_target, saw_abi; /* the key was there, right or wrong */
} fpy_pj;

typedef int (*fpy_pj_fn)(fpy_pj *pj, const fpy_ynode *k, const fpy_ynode *v);

typedef struct fpy_pj_key {
    const char *name;
    fpy_pj_fn fn;
} fpy_pj_key;

/* The i-th node, NULL for 0 (no node). */
const fpy_ynode *fpy_pj_node(const fpy_pj *pj, uint32_t i);
/* Keep the first error as the result. */
void fpy_pj_note(fpy_pj *pj, int rc);
/* FPY_YV_* of a node; *num gets a boolean's 0/1 or an integer. */
int fpy_pj_type(const fpy_ynode *n, int64_t *num);
/* "a mapping", "a number", ... for messages. */
const char *fpy_pj_kind(const fpy_ynode *n);
/* The "wrong type: KEY must be WANT, not KIND" error at v, noted. */
int fpy_pj_wrong(fpy_pj *pj, const fpy_ynode *v, const char *key, const char *want,
                 const char *fix);
/* A text value (a string, or a number written plainly) into *out (malloc'd). */
int fpy_pj_text(fpy_pj *pj, const fpy_ynode *v, const char *key, char **out);
/* Walk a mapping's pairs: non-scalar and duplicate keys are errors; a
 * key of `keys` runs its handler, another runs `other`, or, when `other`
 * is NULL, warns as unknown, naming `known`.  `where` names the mapping. */
void fpy_pj_map(fpy_pj *pj, const fpy_ynode *map, const fpy_pj_key *keys, size_t nkeys,
                fpy_pj_fn other, const char *where, const char *known);

/* Append a diagnostic; returns `err` (0 for a warning) for tail calls.
 * `fix` may be NULL. */
int fpy_pdiag(fpy_project_diags *d, int severity, int err, uint32_t line, uint32_t col,
              const char *fix, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

#endif
