/* The registry file: where it lives, opening it, checking it is ours,
 * and its schema versions and migrations (docs/registry.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry_int.h"

/* PRAGMA application_id of a fipy registry ("FiPy"), so that another
 * program's SQLite file given by mistake is told apart from ours. */
#define FPY_REG_APP_ID 0x46695079
#define FPY_REG_BUSY_MS 5000u

/*
 * The migrations: step k brings a registry of version k to version k + 1,
 * all of them in one transaction with the new user_version.  Steps are
 * never edited once released; a change of schema is a new step.
 * v1: devices (identity, alias) and history (no hashes).
 * v2: a device's layout and VM; the SHA-256 of what was written.
 */
static const char *const fpy_reg_steps[FPY_REGISTRY_VERSION] = {
    "PRAGMA application_id = 1181307001;"
    "CREATE TABLE devices (id TEXT PRIMARY KEY NOT NULL, mac TEXT NOT NULL,"
    " chip TEXT NOT NULL, rev_major INTEGER NOT NULL, rev_minor INTEGER NOT NULL,"
    " flash_id INTEGER NOT NULL, flash_size INTEGER NOT NULL, alias TEXT UNIQUE,"
    " registered_at TEXT NOT NULL, last_seen TEXT NOT NULL);"
    "CREATE TABLE history (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " device TEXT NOT NULL REFERENCES devices(id), at TEXT NOT NULL, op TEXT NOT NULL,"
    " address INTEGER, size INTEGER, label TEXT);",

    "ALTER TABLE devices ADD COLUMN layout TEXT;"
    "ALTER TABLE devices ADD COLUMN vm_path TEXT;"
    "ALTER TABLE devices ADD COLUMN vm_version TEXT;"
    "ALTER TABLE devices ADD COLUMN vm_abi INTEGER;"
    "ALTER TABLE devices ADD COLUMN vm_sha256 TEXT;"
    "ALTER TABLE devices ADD COLUMN vm_size INTEGER;"
    "ALTER TABLE devices ADD COLUMN vm_created_at TEXT;"
    "ALTER TABLE history ADD COLUMN sha256 TEXT;"
    "CREATE INDEX history_device ON history (device, seq);",
};
_Static_assert(FPY_REG_APP_ID == 1181307001, "the application id in step 1");

/* The columns the code reads and writes, checked after every open: a file
 * with our version number but not our tables is refused, not crashed on. */
static const char *const fpy_reg_dev_cols[] = {
    "id", "mac", "chip", "rev_major", "rev_minor", "flash_id", "flash_size", "alias",
    "registered_at", "last_seen", "layout", "vm_path", "vm_version", "vm_abi", "vm_sha256",
    "vm_size", "vm_created_at"};
static const char *const fpy_reg_hist_cols[] = {"seq",  "device", "at",    "op",
                                                "address", "size", "label", "sha256"};

/* ---- where it lives ------------------------------------------------------------------ */

static int fpy_reg_join(char *out, size_t outlen, const char *a, const char *b, char *err,
                        size_t errlen)
{
    int n = snprintf(out, outlen, "%s%s", a, b);
    if (n < 0 || (size_t)n >= outlen)
        return fpy_reg_msg(err, errlen, FPY_ERR_NOSPC, "the registry path %s%s is too long",
                           a, b);
    return FPY_OK;
}

int fpy_registry_path(const char *given, char *out, size_t outlen, char *err, size_t errlen)
{
    const char *env = getenv("FIPY_REGISTRY");
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    if (given != NULL && given[0] == '\0')
        return fpy_reg_msg(err, errlen, FPY_ERR_INVAL, "--registry: empty path");
    if (given != NULL)
        return fpy_reg_join(out, outlen, given, "", err, errlen);
    if (env != NULL && env[0] != '\0')
        return fpy_reg_join(out, outlen, env, "", err, errlen);
    /* The XDG spec: a relative XDG_DATA_HOME is invalid and ignored. */
    if (xdg != NULL && xdg[0] == '/')
        return fpy_reg_join(out, outlen, xdg, "/fipy/registry.db", err, errlen);
    if (home != NULL && home[0] != '\0')
        return fpy_reg_join(out, outlen, home, "/.local/share/fipy/registry.db", err, errlen);
    return fpy_reg_msg(err, errlen, FPY_ERR_INVAL,
                       "no place for the device registry: HOME is not set; give --registry "
                       "PATH or set FIPY_REGISTRY");
}

/* Create the missing folders above `path`, mode 0700 (the registry says
 * which boards a user owns: nobody else's business). */
static int fpy_reg_mkdirs(const char *path, char *err, size_t errlen)
{
    char dir[4096];
    if (fpy_reg_join(dir, sizeof dir, path, "", err, errlen) != FPY_OK)
        return FPY_ERR_NOSPC;
    char *slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return FPY_OK;
    *slash = '\0';
    for (char *p = dir + 1;; p++) {
        int end = *p == '\0';
        if (*p != '/' && !end)
            continue;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return fpy_reg_msg(err, errlen, FPY_ERR_IO,
                               "cannot create the folder %s for the registry %s: %s", dir,
                               path, strerror(errno));
        if (end)
            return FPY_OK;
        *p = '/';
    }
}

/* What is at `path` before SQLite sees it: a folder or a device is
 * refused, a missing file created (or refused), an unreadable one named. */
static int fpy_reg_precheck(const char *path, int create, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno != ENOENT)
            return fpy_reg_msg(err, errlen, FPY_ERR_IO, "cannot reach the registry %s: %s",
                               path, strerror(errno));
        if (!create)
            return fpy_reg_msg(err, errlen, FPY_ERR_NOTFOUND, "no registry at %s yet", path);
        return fpy_reg_mkdirs(path, err, errlen);
    }
    if (S_ISDIR(st.st_mode))
        return fpy_reg_msg(err, errlen, FPY_ERR_INVAL,
                           "the registry %s is a folder; give a file's path (e.g. "
                           "%s/registry.db)",
                           path, path);
    if (!S_ISREG(st.st_mode))
        return fpy_reg_msg(err, errlen, FPY_ERR_INVAL,
                           "the registry %s is not a regular file", path);
    if (access(path, R_OK) != 0)
        return fpy_reg_msg(err, errlen, FPY_ERR_IO, "cannot read the registry %s: %s", path,
                           strerror(errno));
    if (access(path, W_OK) != 0)
        return fpy_reg_msg(err, errlen, FPY_ERR_IO,
                           "the registry %s is read-only (%s); fipytool must be able to "
                           "write it",
                           path, strerror(errno));
    return FPY_OK;
}

/* ---- the schema -------------------------------------------------------------------- */

static int fpy_reg_int(fpy_registry *r, const char *sql, int64_t *v, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    FPY_TRY(fpy_reg_prepare(r, sql, &st, err, errlen));
    int rc = sqlite3_step(st);
    *v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return fpy_reg_fail(r, rc, "read the registry", err, errlen);
    return FPY_OK;
}

/* A whole-file check that reads every page: a damaged file (a truncated
 * copy, bytes overwritten) is refused here, before anything is written. */
static int fpy_reg_quick_check(fpy_registry *r, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    FPY_TRY(fpy_reg_prepare(r, "PRAGMA quick_check(1)", &st, err, errlen));
    int rc = sqlite3_step(st);
    char res[200] = "";
    if (rc == SQLITE_ROW)
        fpy_reg_text(st, 0, res, sizeof res);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return fpy_reg_fail(r, rc, "read the registry", err, errlen);
    if (strcmp(res, "ok") != 0)
        return fpy_reg_msg(err, errlen, FPY_ERR_CORRUPT,
                           "%s is not a fipy registry (or is damaged): %s; move it away to "
                           "start afresh",
                           r->path, res);
    return FPY_OK;
}

/* Ours (our application id and a version we know), or a new empty file:
 * else refused before anything is written to it. */
static int fpy_reg_whose(fpy_registry *r, int64_t *ver, char *err, size_t errlen)
{
    int64_t app, objects;
    /* One statement, one snapshot: read one by one, another process's
     * first creation could land between the reads (version 0 read before
     * it, the application id after), and a new registry was refused as
     * foreign (seen once in 5 runs of test_registry's parallel writers). */
    sqlite3_stmt *st;
    FPY_TRY(fpy_reg_prepare(r,
                            "SELECT (SELECT user_version FROM pragma_user_version), "
                            "(SELECT application_id FROM pragma_application_id), "
                            "(SELECT count(*) FROM sqlite_master)",
                            &st, err, errlen));
    int rc = sqlite3_step(st);
    *ver = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    app = rc == SQLITE_ROW ? sqlite3_column_int64(st, 1) : 0;
    objects = rc == SQLITE_ROW ? sqlite3_column_int64(st, 2) : 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return fpy_reg_fail(r, rc, "read the registry", err, errlen);
    if (*ver == 0 && app == 0 && objects == 0)
        return FPY_OK;
    if (app != FPY_REG_APP_ID || *ver <= 0)
        return fpy_reg_msg(err, errlen, FPY_ERR_CORRUPT,
                           "%s is an SQLite database but not a fipy registry (application id "
                           "0x%llx, version %lld); give another path",
                           r->path, (unsigned long long)app, (long long)*ver);
    if (*ver > FPY_REGISTRY_VERSION)
        return fpy_reg_msg(err, errlen, FPY_ERR_UNSUPPORTED,
                           "%s was made by a newer fipytool, version %lld; this one knows up "
                           "to %d: use the newer fipytool (this one leaves the file alone)",
                           r->path, (long long)*ver, FPY_REGISTRY_VERSION);
    return FPY_OK;
}

static int fpy_reg_has_cols(fpy_registry *r, const char *table, const char *const *cols,
                            size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        char sql[160];
        int64_t have;
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM pragma_table_info('%s') WHERE name = '%s'", table,
                 cols[i]);
        FPY_TRY(fpy_reg_int(r, sql, &have, err, errlen));
        if (have != 1)
            return fpy_reg_msg(err, errlen, FPY_ERR_CORRUPT,
                               "%s is not a fipy registry (or is damaged): table %s has no "
                               "column %s; move it away to start afresh",
                               r->path, table, cols[i]);
    }
    return FPY_OK;
}

static int fpy_reg_tables(fpy_registry *r, char *err, size_t errlen)
{
    FPY_TRY(fpy_reg_has_cols(r, "devices", fpy_reg_dev_cols, sizeof fpy_reg_dev_cols /
                             sizeof fpy_reg_dev_cols[0], err, errlen));
    return fpy_reg_has_cols(r, "history", fpy_reg_hist_cols,
                            sizeof fpy_reg_hist_cols / sizeof fpy_reg_hist_cols[0], err, errlen);
}

/* Inside the write transaction: look again (another process may have
 * migrated meanwhile), then run the missing steps. */
static int fpy_reg_migrate_txn(fpy_registry *r, void *ctx, char *err, size_t errlen)
{
    (void)ctx;
    int64_t ver;
    FPY_TRY(fpy_reg_whose(r, &ver, err, errlen));
    for (int64_t k = ver; k < FPY_REGISTRY_VERSION; k++) {
        int rc = sqlite3_exec(r->db, fpy_reg_steps[k], NULL, NULL, NULL);
        /* a step that does not apply: the tables are not the version's */
        if ((rc & 0xff) == SQLITE_ERROR)
            return fpy_reg_msg(err, errlen, FPY_ERR_CORRUPT,
                               "%s is not a fipy registry (or is damaged): version %lld but "
                               "%s; move it away to start afresh",
                               r->path, (long long)k, sqlite3_errmsg(r->db));
        if (rc != SQLITE_OK)
            return fpy_reg_fail(r, rc, "update the registry's schema", err, errlen);
    }
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", FPY_REGISTRY_VERSION);
    int rc = sqlite3_exec(r->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return fpy_reg_fail(r, rc, "update the registry", err, errlen);
    return fpy_reg_tables(r, err, errlen); /* before COMMIT: a refusal undoes it all */
}

/* WAL: readers never wait for the writer, writers take turns, and a
 * writer that dies mid-way leaves the file as it was.  Set once; the
 * file remembers it. */
static int fpy_reg_wal(fpy_registry *r, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    FPY_TRY(fpy_reg_prepare(r, "PRAGMA journal_mode", &st, err, errlen));
    char mode[16] = "";
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        fpy_reg_text(st, 0, mode, sizeof mode);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return fpy_reg_fail(r, rc, "open the registry", err, errlen);
    if (strcmp(mode, "wal") == 0)
        return FPY_OK;
    rc = sqlite3_exec(r->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
    return rc == SQLITE_OK ? FPY_OK : fpy_reg_fail(r, rc, "open the registry", err, errlen);
}

/* Everything that may refuse the file is read before anything is written
 * to it; a migration that fails is rolled back; WAL is switched on last,
 * on a file known to be ours. */
static int fpy_reg_schema(fpy_registry *r, char *err, size_t errlen)
{
    int64_t ver;
    FPY_TRY(fpy_reg_quick_check(r, err, errlen));
    FPY_TRY(fpy_reg_whose(r, &ver, err, errlen));
    if (ver != FPY_REGISTRY_VERSION)
        FPY_TRY(fpy_reg_write(r, fpy_reg_migrate_txn, NULL, err, errlen));
    else
        FPY_TRY(fpy_reg_tables(r, err, errlen));
    return fpy_reg_wal(r, err, errlen);
}

/* ---- opening ------------------------------------------------------------------------- */

int fpy_registry_open(const char *path, const fpy_registry_cfg *cfg, fpy_registry **reg,
                      char *err, size_t errlen)
{
    fpy_registry_cfg dflt = {0};
    cfg = cfg != NULL ? cfg : &dflt;
    *reg = NULL;
    FPY_TRY(fpy_reg_precheck(path, !cfg->no_create, err, errlen));
    fpy_registry *r = calloc(1, sizeof *r);
    if (r == NULL || (r->path = strdup(path)) == NULL) {
        free(r);
        return fpy_reg_msg(err, errlen, FPY_ERR_NOSPC, "out of memory");
    }
    r->busy_ms = cfg->busy_ms != 0 ? cfg->busy_ms : FPY_REG_BUSY_MS;
    int flags = SQLITE_OPEN_READWRITE | (cfg->no_create ? 0 : SQLITE_OPEN_CREATE);
    int rc = sqlite3_open_v2(path, &r->db, flags, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_extended_result_codes(r->db, 1);
        sqlite3_busy_timeout(r->db, (int)r->busy_ms);
        rc = sqlite3_db_readonly(r->db, "main") == 1 ? SQLITE_READONLY : SQLITE_OK;
    }
    int e = rc == SQLITE_OK ? fpy_reg_schema(r, err, errlen)
                            : fpy_reg_fail(r, rc, "open the registry", err, errlen);
    if (e != FPY_OK) {
        fpy_registry_close(r);
        return e;
    }
    *reg = r;
    return FPY_OK;
}

void fpy_registry_close(fpy_registry *reg)
{
    if (reg == NULL)
        return;
    sqlite3_close(reg->db);
    free(reg->path);
    free(reg);
}

const char *fpy_registry_file(const fpy_registry *reg)
{
    return reg->path;
}
