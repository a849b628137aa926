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

/* Append a diagnostic; returns `err` (0 for a warning) for tail calls.
 * `fix` may be NULL. */
int fpy_pdiag(fpy_project_diags *d, int severity, int err, uint32_t line, uint32_t col,
              const char *fix, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

#endif
