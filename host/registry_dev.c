/* The registry's devices: record, find (the DEVICE argument rule), list,
 * alias, layout, VM, forget (docs/registry.md). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "registry_int.h"

#define FPY_REG_DEV_SELECT                                                                     \
    "SELECT id, mac, chip, rev_major, rev_minor, flash_id, flash_size, alias, layout,"        \
    " registered_at, last_seen, vm_path, vm_version, vm_abi, vm_sha256, vm_size,"             \
    " vm_created_at FROM devices "
/* The shortest MAC tail accepted as a DEVICE argument. */
#define FPY_REG_TAIL_MIN 4u

int fpy_registry_unknown(const char *arg, char *err, size_t errlen)
{
    return fpy_reg_msg(err, errlen, FPY_ERR_NOTFOUND,
                       "device not registered: %s (run `fipytool register` with the board "
                       "connected; `fipytool device list` shows the registered ones)",
                       arg);
}

void fpy_registry_id(const uint8_t mac[6], char out[FPY_REGISTRY_ID_LEN])
{
    snprintf(out, FPY_REGISTRY_ID_LEN, "fipy-%02x%02x%02x%02x%02x%02x", mac[0], mac[1],
             mac[2], mac[3], mac[4], mac[5]);
}

static int fpy_reg_all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

static unsigned fpy_reg_nibble(char c)
{
    return isdigit((unsigned char)c) ? (unsigned)(c - '0')
                                     : (unsigned)(tolower((unsigned char)c) - 'a' + 10);
}

/* "240ac4123456" or "24:0a:c4:12:34:56", any case: 0 with mac set, or -1. */
static int fpy_reg_parse_mac(const char *s, uint8_t mac[6])
{
    size_t n = strlen(s);
    int colons = n == 17;
    if (n != 12 && !colons)
        return -1;
    for (size_t i = 0; i < 6; i++) {
        const char *p = s + i * (colons ? 3u : 2u);
        if (!fpy_reg_all_hex(p, 2) || (colons && i < 5 && p[2] != ':'))
            return -1;
        mac[i] = (uint8_t)(fpy_reg_nibble(p[0]) << 4 | fpy_reg_nibble(p[1]));
    }
    return 0;
}

static void fpy_reg_row(sqlite3_stmt *st, fpy_reg_device *d)
{
    char mac[24];
    memset(d, 0, sizeof *d);
    fpy_reg_text(st, 0, d->id, sizeof d->id);
    fpy_reg_text(st, 1, mac, sizeof mac);
    (void)fpy_reg_parse_mac(mac, d->mac); /* a bad one reads as zeros */
    fpy_reg_text(st, 2, d->chip, sizeof d->chip);
    d->rev_major = (uint8_t)fpy_reg_uint(st, 3, UINT8_MAX);
    d->rev_minor = (uint8_t)fpy_reg_uint(st, 4, UINT8_MAX);
    d->flash_id = (uint32_t)fpy_reg_uint(st, 5, UINT32_MAX);
    d->flash_size = (uint32_t)fpy_reg_uint(st, 6, UINT32_MAX);
    fpy_reg_text(st, 7, d->alias, sizeof d->alias);
    fpy_reg_text(st, 8, d->layout, sizeof d->layout);
    fpy_reg_text(st, 9, d->registered_at, sizeof d->registered_at);
    fpy_reg_text(st, 10, d->last_seen, sizeof d->last_seen);
    d->vm.present = sqlite3_column_type(st, 11) != SQLITE_NULL;
    if (!d->vm.present)
        return;
    fpy_reg_text(st, 11, d->vm.path, sizeof d->vm.path);
    fpy_reg_text(st, 12, d->vm.version, sizeof d->vm.version);
    d->vm.abi = (uint32_t)fpy_reg_uint(st, 13, UINT32_MAX);
    fpy_reg_text(st, 14, d->vm.sha256, sizeof d->vm.sha256);
    d->vm.size = fpy_reg_uint(st, 15, INT64_MAX);
    fpy_reg_text(st, 16, d->vm.created_at, sizeof d->vm.created_at);
}

/* The device whose `where` holds for ?1 = key: FPY_OK, FPY_ERR_NOTFOUND. */
static int fpy_reg_get(fpy_registry *r, const char *where, const char *key,
                       fpy_reg_device *dev, char *err, size_t errlen)
{
    char sql[512];
    sqlite3_stmt *st;
    snprintf(sql, sizeof sql, FPY_REG_DEV_SELECT "WHERE %s", where);
    FPY_TRY(fpy_reg_stmt(r, &st, err, errlen, sql, "t", key));
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        fpy_reg_row(st, dev);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return FPY_OK;
    return rc == SQLITE_DONE ? FPY_ERR_NOTFOUND
                             : fpy_reg_fail(r, rc, "read the registry", err, errlen);
}

/* The one device whose MAC ends in the hex digits `tail`. */
static int fpy_reg_by_tail(fpy_registry *r, const char *tail, fpy_reg_device *dev, char *err,
                           size_t errlen)
{
    sqlite3_stmt *st;
    char ids[160] = "";
    int n = 0, rc;
    FPY_TRY(fpy_reg_stmt(r, &st, err, errlen,
                         FPY_REG_DEV_SELECT "WHERE substr(id, 6) LIKE '%' || ?1 ORDER BY id",
                         "t", tail));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        fpy_reg_device d;
        fpy_reg_row(st, &d);
        if (n++ == 0)
            *dev = d;
        size_t k = strlen(ids);
        if (n <= 5)
            snprintf(ids + k, sizeof ids - k, "%s%s", k ? ", " : "", n <= 4 ? d.id : "...");
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fpy_reg_fail(r, rc, "read the registry", err, errlen);
    if (n > 1)
        return fpy_reg_msg(err, errlen, FPY_ERR_STATE,
                           "'%s' matches %d registered devices (%s): give more digits of the "
                           "MAC, the id or an alias",
                           tail, n, ids);
    return n == 1 ? FPY_OK : FPY_ERR_NOTFOUND;
}

int fpy_registry_resolve(fpy_registry *r, const char *arg, fpy_reg_device *dev, char *err,
                         size_t errlen)
{
    char id[FPY_REGISTRY_ID_LEN];
    uint8_t mac[6];
    size_t n = strlen(arg);
    int rc = FPY_ERR_NOTFOUND;
    if (strncasecmp(arg, "fipy-", 5) == 0)
        rc = fpy_reg_get(r, "id = lower(?1)", arg, dev, err, errlen);
    else if (n > 0 && n <= FPY_REGISTRY_ALIAS_MAX)
        rc = fpy_reg_get(r, "alias = ?1", arg, dev, err, errlen);
    if (rc == FPY_ERR_NOTFOUND && fpy_reg_parse_mac(arg, mac) == 0) {
        fpy_registry_id(mac, id);
        rc = fpy_reg_get(r, "id = ?1", id, dev, err, errlen);
    } else if (rc == FPY_ERR_NOTFOUND && n >= FPY_REG_TAIL_MIN && n < 12 &&
               fpy_reg_all_hex(arg, n)) {
        for (size_t i = 0; i <= n; i++)
            id[i] = (char)tolower((unsigned char)arg[i]);
        rc = fpy_reg_by_tail(r, id, dev, err, errlen);
    }
    return rc == FPY_ERR_NOTFOUND ? fpy_registry_unknown(arg, err, errlen) : rc;
}

int fpy_registry_device_list(fpy_registry *r, fpy_reg_device **devs, size_t *n, char *err,
                             size_t errlen)
{
    sqlite3_stmt *st;
    size_t cap = 0;
    int rc;
    *devs = NULL;
    *n = 0;
    FPY_TRY(fpy_reg_prepare(r, FPY_REG_DEV_SELECT "ORDER BY id", &st, err, errlen));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            fpy_reg_device *p = realloc(*devs, cap * sizeof *p);
            if (p == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
            *devs = p;
        }
        fpy_reg_row(st, &(*devs)[(*n)++]);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return FPY_OK;
    free(*devs);
    *devs = NULL;
    *n = 0;
    return fpy_reg_fail(r, rc, "read the registry", err, errlen);
}

/* ---- writes --------------------------------------------------------------------------- */

/* Inside a write: FPY_OK when device `id` is registered. */
static int fpy_reg_known(fpy_registry *r, const char *id, char *err, size_t errlen)
{
    fpy_reg_device d;
    int rc = fpy_reg_get(r, "id = ?1", id, &d, err, errlen);
    return rc == FPY_ERR_NOTFOUND ? fpy_registry_unknown(id, err, errlen) : rc;
}

typedef struct fpy_reg_put {
    fpy_reg_device *dev;
    int created;
} fpy_reg_put;

static int fpy_reg_put_txn(fpy_registry *r, void *ctx, char *err, size_t errlen)
{
    fpy_reg_put *p = ctx;
    const fpy_reg_device *d = p->dev;
    fpy_reg_device old;
    char mac[18], now[FPY_REGISTRY_TIME_LEN];
    int rc = fpy_reg_get(r, "id = ?1", d->id, &old, err, errlen);
    if (rc != FPY_OK && rc != FPY_ERR_NOTFOUND)
        return rc;
    p->created = rc == FPY_ERR_NOTFOUND;
    snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", d->mac[0], d->mac[1], d->mac[2],
             d->mac[3], d->mac[4], d->mac[5]);
    fpy_reg_now(now);
    return fpy_reg_exec(
        r, NULL, err, errlen,
        "INSERT INTO devices (id, mac, chip, rev_major, rev_minor, flash_id, flash_size,"
        " registered_at, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)"
        " ON CONFLICT (id) DO UPDATE SET mac = excluded.mac, chip = excluded.chip,"
        " rev_major = excluded.rev_major, rev_minor = excluded.rev_minor,"
        " flash_id = excluded.flash_id, flash_size = excluded.flash_size,"
        " last_seen = excluded.last_seen",
        "tttiiiit", d->id, mac, d->chip, (long long)d->rev_major, (long long)d->rev_minor,
        (long long)d->flash_id, (long long)d->flash_size, now);
}

int fpy_registry_device_put(fpy_registry *r, fpy_reg_device *dev, int *created, char *err,
                            size_t errlen)
{
    fpy_reg_put p = {dev, 0};
    fpy_registry_id(dev->mac, dev->id);
    int rc = fpy_reg_write(r, fpy_reg_put_txn, &p, err, errlen);
    if (rc == FPY_OK && created != NULL)
        *created = p.created;
    return rc;
}

int fpy_registry_alias_ok(const char *a, char *err, size_t errlen)
{
    size_t n = strlen(a);
    if (n == 0 || n > FPY_REGISTRY_ALIAS_MAX)
        return fpy_reg_msg(err, errlen, 0, "an alias has 1 to %d characters",
                           FPY_REGISTRY_ALIAS_MAX);
    if (strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != n)
        return fpy_reg_msg(err, errlen, 0,
                           "an alias is made of letters, digits, '.', '_' and '-'");
    if (strncasecmp(a, "fipy-", 5) == 0)
        return fpy_reg_msg(err, errlen, 0, "an alias may not start with 'fipy-' (an id)");
    if (n >= FPY_REG_TAIL_MIN && fpy_reg_all_hex(a, n))
        return fpy_reg_msg(err, errlen, 0,
                           "an alias of %u or more hex digits alone would read as a MAC",
                           FPY_REG_TAIL_MIN);
    return 1;
}

typedef struct fpy_reg_alias {
    const char *id, *alias;
} fpy_reg_alias;

static int fpy_reg_alias_txn(fpy_registry *r, void *ctx, char *err, size_t errlen)
{
    const fpy_reg_alias *a = ctx;
    fpy_reg_device other;
    FPY_TRY(fpy_reg_known(r, a->id, err, errlen));
    int rc = fpy_reg_get(r, "alias = ?1", a->alias, &other, err, errlen);
    if (rc == FPY_OK && strcmp(other.id, a->id) != 0)
        return fpy_reg_msg(err, errlen, FPY_ERR_EXISTS,
                           "the alias '%s' already names %s; clear it there first "
                           "(fipytool device alias %s --clear)",
                           a->alias, other.id, other.id);
    if (rc != FPY_OK && rc != FPY_ERR_NOTFOUND)
        return rc;
    return fpy_reg_exec(r, NULL, err, errlen, "UPDATE devices SET alias = ?2 WHERE id = ?1",
                        "te", a->id, a->alias);
}

int fpy_registry_set_alias(fpy_registry *r, const char *id, const char *alias, char *err,
                           size_t errlen)
{
    char why[128];
    fpy_reg_alias a = {id, alias != NULL ? alias : ""};
    if (a.alias[0] != '\0' && !fpy_registry_alias_ok(a.alias, why, sizeof why))
        return fpy_reg_msg(err, errlen, FPY_ERR_INVAL, "bad alias '%s': %s", a.alias, why);
    return fpy_reg_write(r, fpy_reg_alias_txn, &a, err, errlen);
}

/* One UPDATE of one device, refused when the device is not registered. */
typedef struct fpy_reg_update {
    const char *id, *sql, *t1, *t2, *t3, *t4;
    long long i1, i2;
} fpy_reg_update;

static int fpy_reg_update_txn(fpy_registry *r, void *ctx, char *err, size_t errlen)
{
    const fpy_reg_update *u = ctx;
    FPY_TRY(fpy_reg_known(r, u->id, err, errlen));
    return fpy_reg_exec(r, NULL, err, errlen, u->sql, "teeeeii", u->id, u->t1, u->t2, u->t3,
                        u->t4, u->i1, u->i2);
}

static int fpy_reg_is_sha256(const char *s)
{
    return strlen(s) == 64 && fpy_reg_all_hex(s, 64);
}

int fpy_registry_set_vm(fpy_registry *r, const char *id, const fpy_reg_vm *vm, char *err,
                        size_t errlen)
{
    char now[FPY_REGISTRY_TIME_LEN], sha[FPY_REGISTRY_HEX256_LEN] = "";
    fpy_reg_update u = {id, "UPDATE devices SET vm_path = NULL, vm_version = NULL,"
                            " vm_abi = NULL, vm_sha256 = NULL, vm_size = NULL,"
                            " vm_created_at = NULL WHERE id = ?1",
                        NULL, NULL, NULL, NULL, 0, 0};
    if (vm != NULL && vm->present) {
        if (vm->path[0] == '\0' || !fpy_reg_is_sha256(vm->sha256) || vm->size > INT64_MAX)
            return fpy_reg_msg(err, errlen, FPY_ERR_INVAL,
                               "a VM needs a path, a SHA-256 of 64 hex digits and a size");
        for (size_t i = 0; i < 65; i++)
            sha[i] = (char)tolower((unsigned char)vm->sha256[i]);
        fpy_reg_now(now);
        u = (fpy_reg_update){id, "UPDATE devices SET vm_path = ?2, vm_version = ?3,"
                                 " vm_abi = ?6, vm_sha256 = ?4, vm_size = ?7,"
                                 " vm_created_at = ?5 WHERE id = ?1",
                             vm->path, vm->version, sha, vm->created_at[0] ? vm->created_at : now,
                             vm->abi, (long long)vm->size};
    }
    return fpy_reg_write(r, fpy_reg_update_txn, &u, err, errlen);
}

int fpy_registry_set_layout(fpy_registry *r, const char *id, const char *layout, char *err,
                            size_t errlen)
{
    layout = layout != NULL ? layout : "";
    if (layout[0] != '\0' && strcmp(layout, "nonble") != 0 && strcmp(layout, "ble") != 0)
        return fpy_reg_msg(err, errlen, FPY_ERR_INVAL,
                           "unknown layout '%s': nonble or ble", layout);
    fpy_reg_update u = {id, "UPDATE devices SET layout = ?2 WHERE id = ?1", layout, NULL,
                        NULL, NULL, 0, 0};
    return fpy_reg_write(r, fpy_reg_update_txn, &u, err, errlen);
}

static int fpy_reg_forget_txn(fpy_registry *r, void *ctx, char *err, size_t errlen)
{
    const char *id = ctx;
    FPY_TRY(fpy_reg_known(r, id, err, errlen));
    FPY_TRY(fpy_reg_exec(r, NULL, err, errlen, "DELETE FROM history WHERE device = ?1", "t",
                         id));
    return fpy_reg_exec(r, NULL, err, errlen, "DELETE FROM devices WHERE id = ?1", "t", id);
}

int fpy_registry_forget(fpy_registry *r, const char *id, char *err, size_t errlen)
{
    return fpy_reg_write(r, fpy_reg_forget_txn, (void *)(uintptr_t)id, err, errlen);
}
