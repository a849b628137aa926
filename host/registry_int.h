/* Inside the registry (host/registry*.c): the open handle and the helpers
 * every part uses.  Not for other modules: they see host/registry.h. */
#ifndef FIPY_REGISTRY_INT_H
#define FIPY_REGISTRY_INT_H

#include <sqlite3.h>

#include "registry.h"

struct fpy_registry {
    sqlite3 *db;
    char *path;       /* as given to open, for messages */
    unsigned busy_ms; /* how long a write waits for another process */
};

/* Turn SQLite's result `rc` for doing `what` into an fpy_err and a
 * sentence naming the file: locked, damaged, read-only, full, ... */
int fpy_reg_fail(const fpy_registry *r, int rc, const char *what, char *err, size_t errlen);

/* Prepare `sql`; on failure the message says what. */
int fpy_reg_prepare(fpy_registry *r, const char *sql, sqlite3_stmt **st, char *err,
                    size_t errlen);

/*
 * Run fn(r, ctx, err, errlen) inside BEGIN IMMEDIATE ... COMMIT: the
 * write lock is taken first, so two writers take turns instead of one
 * failing half-way; waiting for it is bounded by r->busy_ms.  Anything
 * but FPY_OK from fn rolls back.
 */
typedef int (*fpy_reg_txn_fn)(fpy_registry *r, void *ctx, char *err, size_t errlen);
int fpy_reg_write(fpy_registry *r, fpy_reg_txn_fn fn, void *ctx, char *err, size_t errlen);

/*
 * Prepare `sql` and bind its parameters ?1, ?2, ... from the arguments,
 * one per letter of `types`: 't' a const char * (NULL: SQL NULL), 'e' the
 * same but "" is NULL too, 'i' a long long.  Arguments past the statement's last parameter are
 * skipped (one argument list may serve several statements).
 */
int fpy_reg_stmt(fpy_registry *r, sqlite3_stmt **st, char *err, size_t errlen, const char *sql,
                 const char *types, ...);
/* The same, then run it to the end: FPY_OK, with *changes (may be NULL)
 * the rows it changed. */
int fpy_reg_exec(fpy_registry *r, int *changes, char *err, size_t errlen, const char *sql,
                 const char *types, ...);

/* printf into err (NULL or errlen 0: nothing); returns rc. */
int fpy_reg_msg(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Column `col` of the current row as text into out (NULL: ""), cut to fit. */
void fpy_reg_text(sqlite3_stmt *st, int col, char *out, size_t outlen);

/* An integer column that must fit in [0, max]; anything else (a NULL, a
 * negative number, text written by another program) reads as 0. */
uint64_t fpy_reg_uint(sqlite3_stmt *st, int col, uint64_t max);

/* Now, UTC, ISO-8601 ("2024-05-01T12:34:56Z"). */
void fpy_reg_now(char out[FPY_REGISTRY_TIME_LEN]);


#endif
