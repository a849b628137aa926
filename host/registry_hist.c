/* The registry's history: what was written to a device, where and when
 * (docs/registry.md). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry_int.h"

static int fpy_reg_event_ok(const fpy_reg_event *ev, char *err, size_t errlen)
{
    size_t n = strlen(ev->sha256);
    int hex = 1;
    for (size_t i = 0; i < n; i++)
        hex &= isxdigit((unsigned char)ev->sha256[i]) != 0;
    if (ev->op[0] == '\0')
        return fpy_reg_msg(err, errlen, FPY_ERR_INVAL, "a history row needs an operation");
    if (n != 0 && (n != 64 || !hex))
        return fpy_reg_msg(err, errlen, FPY_ERR_INVAL,
                           "a history row's SHA-256 is 64 hex digits, not '%s'", ev->sha256);
    return FPY_OK;
}

static int fpy_reg_add_txn(fpy_registry *r, void *ctx, char *err, size_t errlen)
{
    fpy_reg_event *ev = ctx;
    sqlite3_stmt *st;
    FPY_TRY(fpy_reg_stmt(r, &st, err, errlen, "SELECT 1 FROM devices WHERE id = ?1", "t",
                         ev->device));
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return fpy_registry_unknown(ev->device, err, errlen);
    if (rc != SQLITE_ROW)
        return fpy_reg_fail(r, rc, "read the registry", err, errlen);
    FPY_TRY(fpy_reg_stmt(r, &st, err, errlen,
                         "INSERT INTO history (device, at, op, label, sha256, address, size)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                         "tttee", ev->device, ev->at, ev->op, ev->label, ev->sha256));
    if (ev->has_region) {
        sqlite3_bind_int64(st, 6, ev->address);
        sqlite3_bind_int64(st, 7, ev->size);
    }
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fpy_reg_fail(r, rc, "write the registry", err, errlen);
    ev->seq = sqlite3_last_insert_rowid(r->db);
    return FPY_OK;
}

int fpy_registry_history_add(fpy_registry *r, fpy_reg_event *ev, char *err, size_t errlen)
{
    FPY_TRY(fpy_reg_event_ok(ev, err, errlen));
    if (ev->at[0] == '\0')
        fpy_reg_now(ev->at);
    for (char *p = ev->sha256; *p != '\0'; p++)
        *p = (char)tolower((unsigned char)*p);
    return fpy_reg_write(r, fpy_reg_add_txn, ev, err, errlen);
}

static void fpy_reg_event_row(sqlite3_stmt *st, fpy_reg_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->seq = sqlite3_column_int64(st, 0);
    fpy_reg_text(st, 1, ev->device, sizeof ev->device);
    fpy_reg_text(st, 2, ev->at, sizeof ev->at);
    fpy_reg_text(st, 3, ev->op, sizeof ev->op);
    ev->has_region = sqlite3_column_type(st, 4) == SQLITE_INTEGER &&
                     sqlite3_column_type(st, 5) == SQLITE_INTEGER;
    if (ev->has_region) {
        ev->address = (uint32_t)fpy_reg_uint(st, 4, UINT32_MAX);
        ev->size = (uint32_t)fpy_reg_uint(st, 5, UINT32_MAX);
    }
    fpy_reg_text(st, 6, ev->sha256, sizeof ev->sha256);
    fpy_reg_text(st, 7, ev->label, sizeof ev->label);
}

int fpy_registry_history_list(fpy_registry *r, const char *id, fpy_reg_event **evs, size_t *n,
                              char *err, size_t errlen)
{
    sqlite3_stmt *st;
    size_t cap = 0;
    int rc;
    *evs = NULL;
    *n = 0;
    FPY_TRY(fpy_reg_stmt(r, &st, err, errlen,
                         "SELECT seq, device, at, op, address, size, sha256, label FROM history"
                         " WHERE device = ?1 ORDER BY seq",
                         "t", id));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            fpy_reg_event *p = realloc(*evs, cap * sizeof *p);
            if (p == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
            *evs = p;
        }
        fpy_reg_event_row(st, &(*evs)[(*n)++]);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return FPY_OK;
    free(*evs);
    *evs = NULL;
    *n = 0;
    return fpy_reg_fail(r, rc, "read the registry", err, errlen);
}
