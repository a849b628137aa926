/*
 * The device registry (docs/registry.md): what fipytool knows about the
 * boards it has met, kept in one SQLite file on the user's machine.
 *
 * A device is named by an id made from its eFuse MAC ("fipy-240ac4123456")
 * and carries its chip, revision and flash, an optional alias, its flash
 * layout, the VM created for it and a history of what was written where.
 *
 * Every function returns FPY_OK or a negative fpy_err and, on failure,
 * writes an English sentence naming the registry file (and the device) to
 * `err` (errlen bytes, always NUL-terminated when errlen > 0):
 *   FPY_ERR_NOTFOUND     no such device / no registry file (open without CREATE)
 *   FPY_ERR_CORRUPT      the file is not a fipy registry or is damaged (left as is)
 *   FPY_ERR_UNSUPPORTED  made by a newer fipytool (left as is)
 *   FPY_ERR_TIMEOUT      locked by another process past the timeout
 *   FPY_ERR_EXISTS       the alias names another device
 *   FPY_ERR_INVAL        a bad argument (alias spelling, layout name, ...)
 *   FPY_ERR_STATE        a DEVICE argument that matches several devices
 *   FPY_ERR_IO, FPY_ERR_NOSPC  the file could not be read or written
 * Every write is one transaction: two fipytool processes never lose or
 * tear each other's rows.  Strings read back are truncated to the fields'
 * sizes (a registry written by someone else cannot overflow them).
 */
#ifndef FIPY_REGISTRY_H
#define FIPY_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "fipy/err.h"

/* The schema this fipytool writes (PRAGMA user_version). */
#define FPY_REGISTRY_VERSION 2
#define FPY_REGISTRY_ID_LEN 18     /* "fipy-" + 12 hex + NUL */
#define FPY_REGISTRY_ALIAS_MAX 32  /* characters, [A-Za-z0-9._-] */
#define FPY_REGISTRY_TIME_LEN 24   /* "2024-05-01T12:34:56Z" + NUL */
#define FPY_REGISTRY_HEX256_LEN 65 /* SHA-256 in lowercase hex + NUL */

typedef struct fpy_registry fpy_registry; /* an open registry (opaque) */

/* The VM created for a device (`fipytool vm create`). */
typedef struct fpy_reg_vm {
    int present;                  /* 0: no VM yet (other fields empty) */
    char path[512];               /* the image file, as given */
    char version[32];             /* the app version in the image */
    uint32_t abi;                 /* the bytecode ABI it runs */
    char sha256[FPY_REGISTRY_HEX256_LEN];
    uint64_t size;
    char created_at[FPY_REGISTRY_TIME_LEN];
} fpy_reg_vm;

typedef struct fpy_reg_device {
    char id[FPY_REGISTRY_ID_LEN]; /* set by fpy_registry_device_put from mac */
    uint8_t mac[6];               /* the eFuse base MAC */
    char chip[32];                /* "ESP32-D0WDQ6" */
    uint8_t rev_major, rev_minor; /* chip revision */
    uint32_t flash_id;            /* JEDEC id as the ROM reports it */
    uint32_t flash_size;          /* bytes */
    char alias[FPY_REGISTRY_ALIAS_MAX + 1]; /* "" when none */
    char layout[8];               /* "nonble", "ble", or "" (unknown) */
    char registered_at[FPY_REGISTRY_TIME_LEN];
    char last_seen[FPY_REGISTRY_TIME_LEN];
    fpy_reg_vm vm;
} fpy_reg_device;

/* One history row: what was done to a device, where and when. */
typedef struct fpy_reg_event {
    int64_t seq;                  /* set by the registry, increasing */
    char device[FPY_REGISTRY_ID_LEN];
    char at[FPY_REGISTRY_TIME_LEN]; /* UTC; "" on add: now */
    char op[24];                  /* "register", "virtualize", "upload", ... */
    int has_region;               /* address and size are meaningful */
    uint32_t address;
    uint32_t size;
    char sha256[FPY_REGISTRY_HEX256_LEN]; /* "" when none */
    char label[256];              /* a file name, or "" */
} fpy_reg_event;

/* How to open.  A zeroed struct (or NULL) means the defaults. */
typedef struct fpy_registry_cfg {
    int no_create;      /* 1: a missing file is FPY_ERR_NOTFOUND, not created */
    unsigned busy_ms;   /* wait for another process's lock; 0: 5000 ms */
} fpy_registry_cfg;

/*
 * The registry's path: `given` (--registry) when non-NULL, else
 * $FIPY_REGISTRY, else $XDG_DATA_HOME/fipy/registry.db, else
 * $HOME/.local/share/fipy/registry.db.  Writes it to out (outlen bytes).
 */
int fpy_registry_path(const char *given, char *out, size_t outlen, char *err, size_t errlen);

/*
 * Open the registry at `path` (a symlink is followed): create it and its
 * missing directories (mode 0700) unless cfg->no_create, bring an older
 * schema up to FPY_REGISTRY_VERSION in one transaction, and check it.
 * A file that is not a registry, is damaged or is newer is refused and
 * never written.  *reg is NULL on failure.  Close with fpy_registry_close.
 */
int fpy_registry_open(const char *path, const fpy_registry_cfg *cfg, fpy_registry **reg,
                      char *err, size_t errlen);
void fpy_registry_close(fpy_registry *reg);
/* The path it was opened with, for messages. */
const char *fpy_registry_file(const fpy_registry *reg);

/* "fipy-" + the MAC in lowercase hex: out holds FPY_REGISTRY_ID_LEN bytes. */
void fpy_registry_id(const uint8_t mac[6], char out[FPY_REGISTRY_ID_LEN]);

/*
 * Record a device seen now: sets dev->id from dev->mac; a new device is
 * inserted (registered_at = last_seen = now); a known one gets its chip,
 * revision, flash and last_seen updated and keeps its alias, layout, VM
 * and history.  *created (may be NULL): 1 if it was new.  dev->alias,
 * dev->layout and dev->vm are ignored (their own setters below).
 */
int fpy_registry_device_put(fpy_registry *reg, fpy_reg_device *dev, int *created, char *err,
                            size_t errlen);

/*
 * The DEVICE argument rule, the one every command uses: `arg` is an id
 * ("fipy-240ac4123456"), an alias, a MAC ("240ac4123456" or
 * "24:0a:c4:12:34:56", any case) or the last 4 or more hex digits of one
 * MAC ("3456").  Fills *dev.  FPY_ERR_NOTFOUND: not registered;
 * FPY_ERR_STATE: a MAC tail that matches several devices (err lists them).
 */
int fpy_registry_resolve(fpy_registry *reg, const char *arg, fpy_reg_device *dev, char *err,
                         size_t errlen);

/* The sentence for a DEVICE argument that names no registered device
 * ("device not registered: X (run `fipytool register` ...)"), the same
 * for every command; returns FPY_ERR_NOTFOUND. */
int fpy_registry_unknown(const char *arg, char *err, size_t errlen);

/* Every device, ordered by id, in a malloc'd array (*devs, *n; free()). */
int fpy_registry_device_list(fpy_registry *reg, fpy_reg_device **devs, size_t *n, char *err,
                             size_t errlen);

/*
 * Give device `id` the alias `alias`, or none when alias is NULL or "".
 * An alias is 1 to 32 of [A-Za-z0-9._-], does not start with "fipy-" and
 * is not 4 or more hex digits alone (it would read as a MAC tail): else
 * FPY_ERR_INVAL.  FPY_ERR_EXISTS when another device has it (err names it).
 */
int fpy_registry_set_alias(fpy_registry *reg, const char *id, const char *alias, char *err,
                           size_t errlen);
/* 0 and a reason in err (may be NULL) when `alias` is not an acceptable alias. */
int fpy_registry_alias_ok(const char *alias, char *err, size_t errlen);

/* The VM created for device `id` (vm NULL or !vm->present: none).
 * An empty vm->created_at means now. */
int fpy_registry_set_vm(fpy_registry *reg, const char *id, const fpy_reg_vm *vm, char *err,
                        size_t errlen);
/* The device's layout: "nonble", "ble", or NULL/"" for unknown. */
int fpy_registry_set_layout(fpy_registry *reg, const char *id, const char *layout, char *err,
                            size_t errlen);

/* Remove device `id` and its history, in one transaction. */
int fpy_registry_forget(fpy_registry *reg, const char *id, char *err, size_t errlen);

/* Append ev to ev->device's history (the device must be registered);
 * ev->seq is set, and ev->at when it was empty. */
int fpy_registry_history_add(fpy_registry *reg, fpy_reg_event *ev, char *err, size_t errlen);
/* Device `id`'s history, oldest first, in a malloc'd array (free()). */
int fpy_registry_history_list(fpy_registry *reg, const char *id, fpy_reg_event **evs,
                              size_t *n, char *err, size_t errlen);

#endif
