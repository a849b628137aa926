/* The device registry (host/registry.h, docs/registry.md): devices, the
 * DEVICE argument rule, aliases, history, forgetting; migration from v1;
 * files that are newer, foreign, damaged, locked or odd; and parallel
 * writers that lose nothing.
 *
 * Run with FPY_REGISTRY_FIXTURE=PATH, it writes a small registry there
 * and exits: tests/cli/device.sh drives fipytool against it. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sqlite3.h>
#include <unistd.h>

#include "registry.h"
#include "testutil.h"

static char dir[256];
static char err[1024];

static int setup(void **state)
{
    (void)state;
    return fpy_test_tmpdir(dir, sizeof dir, "registry");
}

static int teardown(void **state)
{
    (void)state;
    return fpy_test_rmdir(dir);
}

static const char *at(const char *name)
{
    return fpy_test_path(dir, name);
}

static fpy_registry *open_ok(const char *path)
{
    fpy_registry *r = NULL;
    int rc = fpy_registry_open(path, NULL, &r, err, sizeof err);
    if (rc != FPY_OK)
        fail_msg("open %s: %d %s", path, rc, err);
    return r;
}

/* A device with MAC 24:0a:c4:00:00:<last> (or <b4>:<last>). */
static fpy_reg_device dev_of(uint8_t b4, uint8_t last)
{
    fpy_reg_device d;
    memset(&d, 0, sizeof d);
    uint8_t mac[6] = {0x24, 0x0a, 0xc4, 0x00, b4, last};
    memcpy(d.mac, mac, 6);
    snprintf(d.chip, sizeof d.chip, "ESP32-D0WDQ6");
    d.rev_major = 1;
    d.flash_id = 0x1740c8;
    d.flash_size = 8u << 20;
    fpy_registry_id(d.mac, d.id);
    return d;
}

static void put(fpy_registry *r, fpy_reg_device d, int want_created)
{
    int created = -1;
    assert_int_equal(fpy_registry_device_put(r, &d, &created, err, sizeof err), FPY_OK);
    assert_int_equal(created, want_created);
}

static fpy_reg_event event(const char *id, const char *op, uint32_t addr, const char *label)
{
    fpy_reg_event ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.device, sizeof ev.device, "%s", id);
    snprintf(ev.op, sizeof ev.op, "%s", op);
    ev.has_region = 1;
    ev.address = addr;
    ev.size = 0x1000;
    memset(ev.sha256, 'a', 64);
    snprintf(ev.label, sizeof ev.label, "%s", label);
    return ev;
}

static void add(fpy_registry *r, const char *id, const char *op, uint32_t addr)
{
    fpy_reg_event ev = event(id, op, addr, "app.bin");
    if (fpy_registry_history_add(r, &ev, err, sizeof err) != FPY_OK)
        fail_msg("history_add: %s", err);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *buf = malloc(1 << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static void spit(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Raw SQL on a file, as another program would write it. */
static void raw_sql(const char *path, const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
}

static long long raw_int(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* Opening `path` fails with `want`, says `needle`, and leaves the file's
 * bytes as they were. */
static void refused_unchanged(const char *path, int want, const char *needle)
{
    size_t n0, n1;
    uint8_t *before = slurp(path, &n0);
    fpy_registry *r = (fpy_registry *)1;
    assert_int_equal(fpy_registry_open(path, NULL, &r, err, sizeof err), want);
    assert_null(r);
    if (strstr(err, needle) == NULL || strstr(err, path) == NULL)
        fail_msg("message lacks '%s' or the path: %s", needle, err);
    uint8_t *after = slurp(path, &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
    free(before);
    free(after);
}

/* ---- devices ----------------------------------------------------------------------- */

static void test_put_keeps_alias_and_updates_identity(void **state)
{
    (void)state;
    fpy_registry *r = open_ok(at("sub/dir/registry.db"));
    struct stat st;
    assert_int_equal(stat(at("sub/dir"), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    put(r, dev_of(0x12, 0x34), 1);
    put(r, dev_of(0x00, 0x01), 1);
    assert_int_equal(fpy_registry_set_alias(r, "fipy-240ac4001234", "bench", err, sizeof err),
                     FPY_OK);
    fpy_reg_device d = dev_of(0x12, 0x34);
    d.rev_minor = 3;
    d.flash_size = 4u << 20;
    d.id[0] = '\0';
    int created = -1;
    assert_int_equal(fpy_registry_device_put(r, &d, &created, err, sizeof err), FPY_OK);
    assert_int_equal(created, 0);
    assert_string_equal(d.id, "fipy-240ac4001234");

    fpy_reg_device *all;
    size_t n;
    assert_int_equal(fpy_registry_device_list(r, &all, &n, err, sizeof err), FPY_OK);
    assert_int_equal(n, 2);
    assert_string_equal(all[0].id, "fipy-240ac4000001"); /* ordered by id */
    assert_string_equal(all[1].id, "fipy-240ac4001234");
    assert_string_equal(all[1].alias, "bench");
    assert_int_equal(all[1].rev_minor, 3);
    assert_int_equal(all[1].flash_size, 4u << 20);
    assert_int_equal(all[1].flash_id, 0x1740c8);
    assert_memory_equal(all[1].mac, d.mac, 6);
    assert_string_equal(all[1].chip, "ESP32-D0WDQ6");
    assert_int_equal(strlen(all[1].registered_at), 20);
    assert_false(all[1].vm.present);
    assert_string_equal(all[1].layout, "");
    free(all);
    fpy_registry_close(r);
}

static void test_device_argument_rule(void **state)
{
    (void)state;
    fpy_registry *r = open_ok(at("r.db"));
    put(r, dev_of(0x12, 0x34), 1);
    put(r, dev_of(0x56, 0x34), 1);
    assert_int_equal(fpy_registry_set_alias(r, "fipy-240ac4005634", "lab.1", err, sizeof err),
                     FPY_OK);
    static const struct {
        const char *arg;
        int rc;
        const char *id;
    } cases[] = {
        {"fipy-240ac4001234", FPY_OK, "fipy-240ac4001234"},
        {"FIPY-240AC4001234", FPY_OK, "fipy-240ac4001234"},
        {"lab.1", FPY_OK, "fipy-240ac4005634"},
        {"LAB.1", FPY_ERR_NOTFOUND, NULL}, /* aliases are exact */
        {"240ac4001234", FPY_OK, "fipy-240ac4001234"},
        {"24:0A:C4:00:56:34", FPY_OK, "fipy-240ac4005634"},
        {"1234", FPY_OK, "fipy-240ac4001234"},
        {"005634", FPY_OK, "fipy-240ac4005634"},
        {"0034", FPY_ERR_NOTFOUND, NULL},
        {"34", FPY_ERR_NOTFOUND, NULL},    /* a tail has 4 digits or more */
        {"0x1234", FPY_ERR_NOTFOUND, NULL},
        {"fipy-240ac400123", FPY_ERR_NOTFOUND, NULL},
        {"", FPY_ERR_NOTFOUND, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fpy_reg_device d;
        int rc = fpy_registry_resolve(r, cases[i].arg, &d, err, sizeof err);
        if (rc != cases[i].rc)
            fail_msg("'%s': %d, want %d (%s)", cases[i].arg, rc, cases[i].rc, err);
        if (rc == FPY_OK)
            assert_string_equal(d.id, cases[i].id);
        if (rc == FPY_ERR_NOTFOUND && strstr(err, "device not registered: ") == NULL)
            fail_msg("'%s': %s", cases[i].arg, err);
    }
    /* two devices whose MACs end in the same 4 digits: that tail is
     * refused naming both, a longer one finds each */
    fpy_reg_device d = dev_of(0x12, 0x34);
    d.mac[3] = 0x01;
    put(r, d, 1);
    assert_int_equal(fpy_registry_resolve(r, "1234", &d, err, sizeof err), FPY_ERR_STATE);
    assert_non_null(strstr(err, "fipy-240ac4001234"));
    assert_non_null(strstr(err, "fipy-240ac4011234"));
    assert_int_equal(fpy_registry_resolve(r, "011234", &d, err, sizeof err), FPY_OK);
    assert_string_equal(d.id, "fipy-240ac4011234");
    assert_int_equal(fpy_registry_resolve(r, "c4001234", &d, err, sizeof err), FPY_OK);
    assert_string_equal(d.id, "fipy-240ac4001234");
    fpy_registry_close(r);
}

static void test_aliases(void **state)
{
    (void)state;
    fpy_registry *r = open_ok(at("r.db"));
    put(r, dev_of(0, 1), 1);
    put(r, dev_of(0, 2), 1);
    const char *a = "fipy-240ac4000001", *b = "fipy-240ac4000002";
    assert_int_equal(fpy_registry_set_alias(r, a, "desk", err, sizeof err), FPY_OK);
    assert_int_equal(fpy_registry_set_alias(r, a, "desk", err, sizeof err), FPY_OK);
    assert_int_equal(fpy_registry_set_alias(r, b, "desk", err, sizeof err), FPY_ERR_EXISTS);
    assert_non_null(strstr(err, a));
    static const char *const bad[] = {"fipy-x", "FIPY-y", "beef", "240ac4000001", "a b",
                                      "x/y", "", "123456789012345678901234567890123"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char why[128];
        assert_int_equal(fpy_registry_alias_ok(bad[i], why, sizeof why), 0);
        if (bad[i][0] != '\0') /* "" clears */
            assert_int_equal(fpy_registry_set_alias(r, b, bad[i], err, sizeof err),
                             FPY_ERR_INVAL);
    }
    assert_int_equal(fpy_registry_alias_ok("bee", NULL, 0), 1);
    assert_int_equal(fpy_registry_alias_ok("x_1.2-Z", NULL, 0), 1);
    assert_int_equal(fpy_registry_set_alias(r, "fipy-240ac4000009", "x", err, sizeof err),
                     FPY_ERR_NOTFOUND);
    /* cleared, the name is free for the other device */
    assert_int_equal(fpy_registry_set_alias(r, a, NULL, err, sizeof err), FPY_OK);
    assert_int_equal(fpy_registry_set_alias(r, b, "desk", err, sizeof err), FPY_OK);
    fpy_reg_device d;
    assert_int_equal(fpy_registry_resolve(r, "desk", &d, err, sizeof err), FPY_OK);
    assert_string_equal(d.id, b);
    fpy_registry_close(r);
}

static void test_vm_and_layout(void **state)
{
    (void)state;
    fpy_registry *r = open_ok(at("r.db"));
    put(r, dev_of(0, 1), 1);
    const char *id = "fipy-240ac4000001";
    fpy_reg_vm vm = {1, "vm/fipy-vm.bin", "1.20.2", 3, "", 123456, ""};
    memset(vm.sha256, 'B', 64);
    assert_int_equal(fpy_registry_set_vm(r, id, &vm, err, sizeof err), FPY_OK);
    assert_int_equal(fpy_registry_set_layout(r, id, "ble", err, sizeof err), FPY_OK);
    assert_int_equal(fpy_registry_set_layout(r, id, "BLE", err, sizeof err), FPY_ERR_INVAL);
    fpy_reg_device d;
    assert_int_equal(fpy_registry_resolve(r, id, &d, err, sizeof err), FPY_OK);
    assert_true(d.vm.present);
    assert_string_equal(d.vm.path, "vm/fipy-vm.bin");
    assert_string_equal(d.vm.version, "1.20.2");
    assert_int_equal(d.vm.abi, 3);
    assert_int_equal(d.vm.size, 123456);
    assert_int_equal(d.vm.sha256[0], 'b');
    assert_int_equal(strlen(d.vm.created_at), 20);
    assert_string_equal(d.layout, "ble");
    vm.sha256[3] = 'x';
    assert_int_equal(fpy_registry_set_vm(r, id, &vm, err, sizeof err), FPY_ERR_INVAL);
    assert_int_equal(fpy_registry_set_vm(r, "fipy-240ac4000002", NULL, err, sizeof err),
                     FPY_ERR_NOTFOUND);
    assert_int_equal(fpy_registry_set_vm(r, id, NULL, err, sizeof err), FPY_OK);
    assert_int_equal(fpy_registry_set_layout(r, id, NULL, err, sizeof err), FPY_OK);
    assert_int_equal(fpy_registry_resolve(r, id, &d, err, sizeof err), FPY_OK);
    assert_false(d.vm.present);
    assert_string_equal(d.layout, "");
    fpy_registry_close(r);
}

static void test_history_and_forget(void **state)
{
    (void)state;
    fpy_registry *r = open_ok(at("r.db"));
    put(r, dev_of(0, 1), 1);
    put(r, dev_of(0, 2), 1);
    const char *a = "fipy-240ac4000001", *b = "fipy-240ac4000002";
    add(r, a, "register", 0);
    add(r, b, "upload", 0x10000);
    fpy_reg_event ev = event(a, "virtualize", 0x1000, "vm.bin");
    ev.has_region = 0;
    ev.sha256[0] = '\0';
    assert_int_equal(fpy_registry_history_add(r, &ev, err, sizeof err), FPY_OK);
    ev = event(a, "upload", 0x210000, "main.fbc");
    ev.sha256[10] = 'g';
    assert_int_equal(fpy_registry_history_add(r, &ev, err, sizeof err), FPY_ERR_INVAL);
    ev = event("fipy-240ac4000003", "upload", 0, "x");
    assert_int_equal(fpy_registry_history_add(r, &ev, err, sizeof err), FPY_ERR_NOTFOUND);

    fpy_reg_event *h;
    size_t n;
    assert_int_equal(fpy_registry_history_list(r, a, &h, &n, err, sizeof err), FPY_OK);
    assert_int_equal(n, 2);
    assert_string_equal(h[0].op, "register");
    assert_true(h[0].has_region);
    assert_int_equal(h[0].size, 0x1000);
    assert_int_equal(strlen(h[0].sha256), 64);
    assert_string_equal(h[1].op, "virtualize");
    assert_false(h[1].has_region);
    assert_string_equal(h[1].sha256, "");
    assert_string_equal(h[1].label, "vm.bin");
    assert_true(h[0].seq < h[1].seq);
    free(h);

    assert_int_equal(fpy_registry_forget(r, a, err, sizeof err), FPY_OK);
    assert_int_equal(fpy_registry_forget(r, a, err, sizeof err), FPY_ERR_NOTFOUND);
    assert_int_equal(fpy_registry_history_list(r, a, &h, &n, err, sizeof err), FPY_OK);
    assert_int_equal(n, 0);
    free(h);
    assert_int_equal(fpy_registry_history_list(r, b, &h, &n, err, sizeof err), FPY_OK);
    assert_int_equal(n, 1);
    assert_int_equal(h[0].address, 0x10000);
    free(h);
    fpy_registry_close(r);
    assert_int_equal(raw_int(at("r.db"), "SELECT count(*) FROM history"), 1);
}

/* ---- versions ---------------------------------------------------------------------- */

/* The first released schema, written out here as fipytool 1 made it. */
static const char v1_sql[] =
    "PRAGMA application_id = 1181307001;"
    "CREATE TABLE devices (id TEXT PRIMARY KEY NOT NULL, mac TEXT NOT NULL,"
    " chip TEXT NOT NULL, rev_major INTEGER NOT NULL, rev_minor INTEGER NOT NULL,"
    " flash_id INTEGER NOT NULL, flash_size INTEGER NOT NULL, alias TEXT UNIQUE,"
    " registered_at TEXT NOT NULL, last_seen TEXT NOT NULL);"
    "CREATE TABLE history (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " device TEXT NOT NULL REFERENCES devices(id), at TEXT NOT NULL, op TEXT NOT NULL,"
    " address INTEGER, size INTEGER, label TEXT);"
    "INSERT INTO devices VALUES ('fipy-240ac4abcdef', '24:0a:c4:ab:cd:ef', 'ESP32-D0WDQ6',"
    " 1, 0, 1523912, 8388608, 'old', '2023-01-02T03:04:05Z', '2023-01-02T03:04:05Z');"
    "INSERT INTO history (device, at, op, address, size, label) VALUES"
    " ('fipy-240ac4abcdef', '2023-01-02T03:04:06Z', 'upload', 65536, 4096, 'main.py');"
    "PRAGMA user_version = 1;";

static void test_v1_is_migrated_with_its_data(void **state)
{
    (void)state;
    const char *p = at("v1.db");
    raw_sql(p, v1_sql);
    fpy_registry *r = open_ok(p);
    fpy_reg_device d;
    assert_int_equal(fpy_registry_resolve(r, "old", &d, err, sizeof err), FPY_OK);
    assert_string_equal(d.id, "fipy-240ac4abcdef");
    assert_int_equal(d.mac[5], 0xef);
    assert_int_equal(d.flash_id, 1523912);
    assert_string_equal(d.registered_at, "2023-01-02T03:04:05Z");
    assert_string_equal(d.layout, "");
    assert_false(d.vm.present);
    fpy_reg_event *h;
    size_t n;
    assert_int_equal(fpy_registry_history_list(r, d.id, &h, &n, err, sizeof err), FPY_OK);
    assert_int_equal(n, 1);
    assert_string_equal(h[0].label, "main.py");
    assert_int_equal(h[0].address, 65536);
    assert_string_equal(h[0].sha256, "");
    free(h);
    /* the v2 columns work */
    add(r, d.id, "upload", 0x20000);
    assert_int_equal(fpy_registry_set_layout(r, d.id, "nonble", err, sizeof err), FPY_OK);
    fpy_registry_close(r);
    assert_int_equal(raw_int(p, "PRAGMA user_version"), FPY_REGISTRY_VERSION);
    assert_int_equal(raw_int(p, "SELECT count(*) FROM history WHERE sha256 IS NOT NULL"), 1);
    /* and opening it again changes nothing */
    r = open_ok(p);
    fpy_registry_close(r);
    assert_int_equal(raw_int(p, "SELECT count(*) FROM history"), 2);
}

static void test_newer_and_foreign_files_are_left_alone(void **state)
{
    (void)state;
    const char *p = at("v3.db");
    raw_sql(p, "PRAGMA application_id = 1181307001; CREATE TABLE devices (x);"
               "CREATE TABLE gadgets (y); PRAGMA user_version = 3;");
    refused_unchanged(p, FPY_ERR_UNSUPPORTED, "made by a newer fipytool, version 3");
    assert_non_null(strstr(err, "knows up to 2"));

    p = at("other.db");
    raw_sql(p, "CREATE TABLE bookmarks (url TEXT); INSERT INTO bookmarks VALUES ('x');");
    refused_unchanged(p, FPY_ERR_CORRUPT, "not a fipy registry");
    p = at("other2.db");
    raw_sql(p, "PRAGMA user_version = 2; CREATE TABLE t (a);");
    refused_unchanged(p, FPY_ERR_CORRUPT, "not a fipy registry");
}

/* Our version number, but a table without a column, or values of the
 * wrong type written by another program: refused or read as zero,
 * never a crash. */
static void test_odd_tables_and_values(void **state)
{
    (void)state;
    const char *p = at("r.db");
    fpy_registry_close(open_ok(p));
    raw_sql(p, "INSERT INTO devices (id, mac, chip, rev_major, rev_minor, flash_id, flash_size,"
               " registered_at, last_seen, vm_path, vm_abi, vm_size) VALUES ('fipy-240ac4000001',"
               " 'zz', x'00ff', 'one', -5, 'big', 1e300, 7, 8, x'41', 'abi', -1);"
               "INSERT INTO history (device, at, op, address, size) VALUES"
               " ('fipy-240ac4000001', 1, 2, 'a', -3);");
    fpy_registry *r = open_ok(p);
    fpy_reg_device *all;
    size_t n;
    assert_int_equal(fpy_registry_device_list(r, &all, &n, err, sizeof err), FPY_OK);
    assert_int_equal(n, 1);
    assert_int_equal(all[0].rev_major, 0);
    assert_int_equal(all[0].rev_minor, 0);
    assert_int_equal(all[0].flash_id, 0);
    assert_int_equal(all[0].flash_size, 0);
    assert_true(all[0].vm.present);
    assert_int_equal(all[0].vm.size, 0);
    assert_string_equal(all[0].registered_at, "7");
    free(all);
    fpy_reg_event *h;
    assert_int_equal(fpy_registry_history_list(r, "fipy-240ac4000001", &h, &n, err, sizeof err),
                     FPY_OK);
    assert_int_equal(n, 1);
    assert_false(h[0].has_region);
    free(h);
    fpy_registry_close(r);

    p = at("nocol.db");
    raw_sql(p, v1_sql);
    raw_sql(p, "PRAGMA user_version = 2;");
    refused_unchanged(p, FPY_ERR_CORRUPT, "has no column layout");
    /* a v1 whose migration cannot apply (no history table), or which
     * lacks a column after it: rolled back, the file as it was */
    p = at("nohist.db");
    raw_sql(p, "PRAGMA application_id = 1181307001; CREATE TABLE devices (id, mac);"
               "PRAGMA user_version = 1;");
    refused_unchanged(p, FPY_ERR_CORRUPT, "not a fipy registry (or is damaged): version 1");
    p = at("nochip.db");
    raw_sql(p, "PRAGMA application_id = 1181307001; CREATE TABLE devices (id, mac);"
               "CREATE TABLE history (seq, device, at, op, address, size, label);"
               "PRAGMA user_version = 1;");
    refused_unchanged(p, FPY_ERR_CORRUPT, "table devices has no column chip");
}

/* ---- damaged, locked and odd files ------------------------------------------------- */

static void test_damaged_files_are_refused_unchanged(void **state)
{
    (void)state;
    uint8_t junk[8192];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof junk; i++) {
        x = x * 1103515245u + 12345u;
        junk[i] = (uint8_t)(x >> 16);
    }
    spit(at("random.db"), junk, sizeof junk);
    refused_unchanged(at("random.db"), FPY_ERR_CORRUPT, "is not a fipy registry (or is damaged)");
    assert_non_null(strstr(err, "move it away"));

    /* a real registry with enough rows for several pages, cut short */
    const char *p = at("real.db");
    fpy_registry *r = open_ok(p);
    put(r, dev_of(0, 1), 1);
    for (uint32_t i = 0; i < 200; i++)
        add(r, "fipy-240ac4000001", "upload", i << 12);
    fpy_registry_close(r);
    size_t len;
    uint8_t *whole = slurp(p, &len);
    assert_true(len >= 5 * 4096);
    spit(at("cut.db"), whole, len / 2);
    free(whole);
    refused_unchanged(at("cut.db"), FPY_ERR_CORRUPT, "is not a fipy registry (or is damaged)");
    /* a b-tree page's header overwritten (page 2: a table's root) */
    whole = slurp(p, &len);
    memset(whole + 4096, 0x5a, 12);
    spit(at("smashed.db"), whole, len);
    free(whole);
    refused_unchanged(at("smashed.db"), FPY_ERR_CORRUPT, "damaged");
}

static void test_locked_registry_times_out(void **state)
{
    (void)state;
    const char *p = at("r.db");
    fpy_registry *r = open_ok(p);
    put(r, dev_of(0, 1), 1);
    fpy_registry_close(r);

    int go[2], done[2];
    assert_int_equal(pipe(go), 0);
    assert_int_equal(pipe(done), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* another process holding the write lock */
        sqlite3 *db;
        char c = 0;
        int ok = sqlite3_open(p, &db) == SQLITE_OK &&
                 sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL) == SQLITE_OK;
        if (write(go[1], ok ? "y" : "n", 1) != 1 || read(done[0], &c, 1) != 1)
            _exit(2);
        _exit(ok ? 0 : 1);
    }
    char c = 0;
    assert_int_equal(read(go[0], &c, 1), 1);
    assert_int_equal(c, 'y');
    /* opened after the fork: a child must not inherit an open connection */
    fpy_registry_cfg cfg = {0, 150};
    assert_int_equal(fpy_registry_open(p, &cfg, &r, err, sizeof err), FPY_OK);
    /* reads go on (WAL); writes wait, then say who is in the way */
    fpy_reg_device d;
    assert_int_equal(fpy_registry_resolve(r, "0001", &d, err, sizeof err), FPY_OK);
    fpy_reg_event ev = event(d.id, "upload", 0, "x");
    assert_int_equal(fpy_registry_history_add(r, &ev, err, sizeof err), FPY_ERR_TIMEOUT);
    assert_non_null(strstr(err, "is locked by another process"));
    assert_non_null(strstr(err, p));
    assert_int_equal(fpy_registry_set_alias(r, d.id, "a", err, sizeof err), FPY_ERR_TIMEOUT);
    assert_int_equal(write(done[1], "x", 1), 1);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* the lock gone, the same handle writes */
    assert_int_equal(fpy_registry_history_add(r, &ev, err, sizeof err), FPY_OK);
    fpy_registry_close(r);
    close(go[0]);
    close(go[1]);
    close(done[0]);
    close(done[1]);
}

static void test_paths(void **state)
{
    (void)state;
    char out[512];
    fpy_registry *r;
    /* a folder, a missing file when not creating, a symlink followed */
    assert_int_equal(mkdir(at("folder"), 0700), 0);
    assert_int_equal(fpy_registry_open(at("folder"), NULL, &r, err, sizeof err), FPY_ERR_INVAL);
    assert_non_null(strstr(err, "is a folder"));
    fpy_registry_cfg ro = {1, 0};
    assert_int_equal(fpy_registry_open(at("none.db"), &ro, &r, err, sizeof err),
                     FPY_ERR_NOTFOUND);
    assert_int_equal(access(at("none.db"), F_OK), -1);
    r = open_ok(at("real.db"));
    put(r, dev_of(0, 7), 1);
    fpy_registry_close(r);
    assert_int_equal(symlink("real.db", at("link.db")), 0);
    r = open_ok(at("link.db"));
    put(r, dev_of(0, 8), 1);
    fpy_registry_close(r);
    assert_int_equal(raw_int(at("real.db"), "SELECT count(*) FROM devices"), 2);
    /* a path under a file: unreachable, for root too */
    assert_int_equal(fpy_registry_open(at("real.db/r.db"), NULL, &r, err, sizeof err),
                     FPY_ERR_IO);
    assert_non_null(strstr(err, "cannot reach the registry"));
    if (geteuid() != 0) { /* root reads and writes anything */
        assert_int_equal(chmod(at("real.db"), 0400), 0);
        assert_int_equal(fpy_registry_open(at("real.db"), NULL, &r, err, sizeof err),
                         FPY_ERR_IO);
        assert_non_null(strstr(err, "read-only"));
        assert_int_equal(chmod(at("real.db"), 0), 0);
        assert_int_equal(fpy_registry_open(at("real.db"), NULL, &r, err, sizeof err),
                         FPY_ERR_IO);
        assert_non_null(strstr(err, "cannot read the registry"));
    }

    /* --registry, then FIPY_REGISTRY, then XDG_DATA_HOME (absolute), then HOME */
    setenv("FIPY_REGISTRY", "/env/r.db", 1);
    setenv("XDG_DATA_HOME", "/xdg", 1);
    setenv("HOME", "/home/u", 1);
    assert_int_equal(fpy_registry_path("given.db", out, sizeof out, err, sizeof err), FPY_OK);
    assert_string_equal(out, "given.db");
    assert_int_equal(fpy_registry_path("", out, sizeof out, err, sizeof err), FPY_ERR_INVAL);
    assert_int_equal(fpy_registry_path(NULL, out, sizeof out, err, sizeof err), FPY_OK);
    assert_string_equal(out, "/env/r.db");
    unsetenv("FIPY_REGISTRY");
    assert_int_equal(fpy_registry_path(NULL, out, sizeof out, err, sizeof err), FPY_OK);
    assert_string_equal(out, "/xdg/fipy/registry.db");
    setenv("XDG_DATA_HOME", "relative", 1);
    assert_int_equal(fpy_registry_path(NULL, out, sizeof out, err, sizeof err), FPY_OK);
    assert_string_equal(out, "/home/u/.local/share/fipy/registry.db");
    unsetenv("HOME");
    assert_int_equal(fpy_registry_path(NULL, out, sizeof out, err, sizeof err), FPY_ERR_INVAL);
    assert_int_equal(fpy_registry_path(NULL, out, 8, err, sizeof err), FPY_ERR_INVAL);
    setenv("HOME", "/h", 1);
    assert_int_equal(fpy_registry_path(NULL, out, 8, err, sizeof err), FPY_ERR_NOSPC);
}

/* ---- parallel writers -------------------------------------------------------------- */

#define FPY_T_PROCS 8
#define FPY_T_ROWS 50

static int writer(const char *p, int k)
{
    fpy_registry *r;
    char e[512];
    if (fpy_registry_open(p, NULL, &r, e, sizeof e) != FPY_OK) {
        fprintf(stderr, "writer %d: %s\n", k, e);
        return 1;
    }
    fpy_reg_device d = dev_of(0, (uint8_t)k);
    for (int i = 0; i < FPY_T_ROWS; i++) {
        fpy_reg_event ev = event(d.id, "upload", (uint32_t)i << 12, "w");
        if (fpy_registry_device_put(r, &d, NULL, e, sizeof e) != FPY_OK ||
            fpy_registry_history_add(r, &ev, e, sizeof e) != FPY_OK) {
            fprintf(stderr, "writer %d row %d: %s\n", k, i, e);
            fpy_registry_close(r);
            return 1;
        }
    }
    fpy_registry_close(r);
    return 0;
}

static void test_parallel_writers_lose_nothing(void **state)
{
    (void)state;
    const char *p = at("deep/r.db"); /* created by the racing writers themselves */
    pid_t pids[FPY_T_PROCS];
    for (int k = 0; k < FPY_T_PROCS; k++) {
        pids[k] = fork();
        assert_true(pids[k] >= 0);
        if (pids[k] == 0)
            _exit(writer(p, k));
    }
    for (int k = 0; k < FPY_T_PROCS; k++) {
        int status;
        assert_int_equal(waitpid(pids[k], &status, 0), pids[k]);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fail_msg("writer %d failed (status %d)", k, status);
    }
    assert_int_equal(raw_int(p, "SELECT count(*) FROM history"), FPY_T_PROCS * FPY_T_ROWS);
    assert_int_equal(raw_int(p, "SELECT count(*) FROM devices"), FPY_T_PROCS);
    assert_int_equal(raw_int(p, "SELECT count(DISTINCT seq) FROM history"),
                     FPY_T_PROCS * FPY_T_ROWS);
    assert_int_equal(raw_int(p, "SELECT count(*) FROM pragma_integrity_check WHERE "
                                "integrity_check = 'ok'"),
                     1);
    fpy_registry *r = open_ok(p);
    for (int k = 0; k < FPY_T_PROCS; k++) {
        fpy_reg_event *h;
        size_t n;
        char id[FPY_REGISTRY_ID_LEN];
        fpy_reg_device d = dev_of(0, (uint8_t)k);
        fpy_registry_id(d.mac, id);
        assert_int_equal(fpy_registry_history_list(r, id, &h, &n, err, sizeof err), FPY_OK);
        assert_int_equal(n, FPY_T_ROWS);
        for (size_t i = 0; i < n; i++) /* each writer's rows in its order */
            assert_int_equal(h[i].address, (uint32_t)i << 12);
        free(h);
    }
    fpy_registry_close(r);
}

/* ---- a fixture for tests/cli/device.sh ---------------------------------------------- */

static int write_fixture(const char *p)
{
    fpy_registry *r;
    if (fpy_registry_open(p, NULL, &r, err, sizeof err) != FPY_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    fpy_reg_device a = dev_of(0x12, 0x34), b = dev_of(0x56, 0x78), c = dev_of(0x56, 0x78);
    c.mac[3] = 0x01; /* b and c share the MAC tail 5678 */
    fpy_reg_vm vm = {1, "vm/fipy.bin", "1.20.2", 1, "", 1536000, "2024-05-01T10:00:00Z"};
    memset(vm.sha256, 'c', 64);
    fpy_reg_event ev = event("fipy-240ac4001234", "upload", 0x210000, "main \"1\".fbc");
    int rc = fpy_registry_device_put(r, &a, NULL, err, sizeof err);
    if (rc == FPY_OK)
        rc = fpy_registry_device_put(r, &b, NULL, err, sizeof err);
    if (rc == FPY_OK)
        rc = fpy_registry_device_put(r, &c, NULL, err, sizeof err);
    if (rc == FPY_OK)
        rc = fpy_registry_set_alias(r, a.id, "bench", err, sizeof err);
    if (rc == FPY_OK)
        rc = fpy_registry_set_vm(r, a.id, &vm, err, sizeof err);
    if (rc == FPY_OK)
        rc = fpy_registry_set_layout(r, a.id, "nonble", err, sizeof err);
    if (rc == FPY_OK)
        rc = fpy_registry_history_add(r, &ev, err, sizeof err);
    fpy_registry_close(r);
    if (rc != FPY_OK)
        fprintf(stderr, "%s\n", err);
    return rc != FPY_OK;
}

int main(void)
{
    const char *fixture = getenv("FPY_REGISTRY_FIXTURE");
    if (fixture != NULL)
        return write_fixture(fixture);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_keeps_alias_and_updates_identity, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_device_argument_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aliases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vm_and_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_and_forget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v1_is_migrated_with_its_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_and_foreign_files_are_left_alone, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_odd_tables_and_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_files_are_refused_unchanged, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_locked_registry_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parallel_writers_lose_nothing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
