/* The registry's SQL plumbing: SQLite's errors as sentences, statements
 * with bound parameters, columns read defensively, and the one way to
 * write (a BEGIN IMMEDIATE transaction within the lock timeout). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "registry_int.h"

int fpy_reg_msg(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

int fpy_reg_fail(const fpy_registry *r, int rc, const char *what, char *err, size_t errlen)
{
    const char *p = r->path, *m = sqlite3_errmsg(r->db);
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return fpy_reg_msg(err, errlen, FPY_ERR_TIMEOUT,
                           "%s is locked by another process (waited %.1f s to %s); try again "
                           "when the other fipytool has finished",
                           p, r->busy_ms / 1000.0, what);
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_FORMAT:
        return fpy_reg_msg(err, errlen, FPY_ERR_CORRUPT,
                           "%s is not a fipy registry (or is damaged): %s; move it away to "
                           "start afresh",
                           p, m);
    case SQLITE_READONLY:
        return fpy_reg_msg(err, errlen, FPY_ERR_IO,
                           "cannot %s: %s is read-only (%s); fipytool must be able to write "
                           "the file and its folder",
                           what, p, m);
    case SQLITE_FULL:
        return fpy_reg_msg(err, errlen, FPY_ERR_NOSPC, "cannot %s: %s: the disk is full",
                           what, p);
    case SQLITE_NOMEM:
        return fpy_reg_msg(err, errlen, FPY_ERR_NOSPC, "cannot %s: out of memory", what);
    default: {
        int e = sqlite3_system_errno(r->db);
        return fpy_reg_msg(err, errlen, FPY_ERR_IO, "cannot %s: %s: %s%s%s", what, p, m,
                           e ? ": " : "", e ? strerror(e) : "");
    }
    }
}

int fpy_reg_prepare(fpy_registry *r, const char *sql, sqlite3_stmt **st, char *err,
                    size_t errlen)
{
    int rc = sqlite3_prepare_v2(r->db, sql, -1, st, NULL);
    return rc == SQLITE_OK ? FPY_OK : fpy_reg_fail(r, rc, "read the registry", err, errlen);
}

static int fpy_reg_vbind(sqlite3_stmt *st, const char *types, va_list ap)
{
    int rc = SQLITE_OK, have = sqlite3_bind_parameter_count(st);
    for (int i = 0; types[i] != '\0' && rc == SQLITE_OK; i++) {
        if (types[i] == 'i') {
            long long v = va_arg(ap, long long);
            rc = i < have ? sqlite3_bind_int64(st, i + 1, v) : SQLITE_OK;
            continue;
        }
        const char *t = va_arg(ap, const char *);
        if (i >= have) /* a statement that uses fewer of them */
            continue;
        if (t == NULL || (types[i] == 'e' && t[0] == '\0'))
            rc = sqlite3_bind_null(st, i + 1);
        else
            rc = sqlite3_bind_text(st, i + 1, t, -1, SQLITE_TRANSIENT);
    }
    return rc;
}

int fpy_reg_stmt(fpy_registry *r, sqlite3_stmt **st, char *err, size_t errlen, const char *sql,
                 const char *types, ...)
{
    FPY_TRY(fpy_reg_prepare(r, sql, st, err, errlen));
    va_list ap;
    va_start(ap, types);
    int rc = fpy_reg_vbind(*st, types, ap);
    va_end(ap);
    if (rc == SQLITE_OK)
        return FPY_OK;
    sqlite3_finalize(*st);
    *st = NULL;
    return fpy_reg_fail(r, rc, "read the registry", err, errlen);
}

int fpy_reg_exec(fpy_registry *r, int *changes, char *err, size_t errlen, const char *sql,
                 const char *types, ...)
{
    sqlite3_stmt *st;
    FPY_TRY(fpy_reg_prepare(r, sql, &st, err, errlen));
    va_list ap;
    va_start(ap, types);
    int rc = fpy_reg_vbind(st, types, ap);
    va_end(ap);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        rc = SQLITE_OK;
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fpy_reg_fail(r, rc, "write the registry", err, errlen);
    if (changes != NULL)
        *changes = sqlite3_changes(r->db);
    return FPY_OK;
}

uint64_t fpy_reg_uint(sqlite3_stmt *st, int col, uint64_t max)
{
    if (sqlite3_column_type(st, col) != SQLITE_INTEGER)
        return 0;
    sqlite3_int64 v = sqlite3_column_int64(st, col);
    return v < 0 || (uint64_t)v > max ? 0 : (uint64_t)v;
}

void fpy_reg_text(sqlite3_stmt *st, int col, char *out, size_t outlen)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(out, outlen, "%s", t != NULL ? (const char *)t : "");
}

void fpy_reg_now(char out[FPY_REGISTRY_TIME_LEN])
{
    time_t t = time(NULL);
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL ||
        strftime(out, FPY_REGISTRY_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, FPY_REGISTRY_TIME_LEN, "1970-01-01T00:00:00Z");
}

/* ---- writing ------------------------------------------------------------------------- */

static long fpy_reg_ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)(t.tv_sec - t0->tv_sec) * 1000L + (t.tv_nsec - t0->tv_nsec) / 1000000L;
}

int fpy_reg_write(fpy_registry *r, fpy_reg_txn_fn fn, void *ctx, char *err, size_t errlen)
{
    struct timespec t0, nap = {0, 10 * 1000000L};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc;
    /* SQLite's busy handler waits inside BEGIN; a BUSY it does not cover
     * (another process recovering the WAL) is retried here, within the
     * same time. */
    while ((rc = sqlite3_exec(r->db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) != SQLITE_OK &&
           (rc & 0xff) == SQLITE_BUSY && fpy_reg_ms_since(&t0) < (long)r->busy_ms)
        nanosleep(&nap, NULL);
    if (rc != SQLITE_OK)
        return fpy_reg_fail(r, rc, "write the registry", err, errlen);
    int e = fn(r, ctx, err, errlen);
    if (e == FPY_OK && (rc = sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK)
        e = fpy_reg_fail(r, rc, "write the registry", err, errlen);
    if (e != FPY_OK)
        sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
    return e;
}
