/* project.yml (host/project*.c, docs/project.md): every error and warning
 * with its line and column, the zerynth_ssl refusal, aliases and other
 * YAML refused; the bytecode build (ABI mismatch, sizes, determinism, the
 * bundle's bytes); project new. */
#define _GNU_SOURCE /* mkdtemp, memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fipy/bcimage.h"
#include "fipy/bytes.h"
#include "hostio.h"
#include "project.h"
#include "testutil.h"

static char dir[256];
static char err[1024];

static int setup(void **state)
{
    (void)state;
    return fpy_test_tmpdir(dir, sizeof dir, "project");
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

static void put(const char *name, const char *text, size_t len)
{
    assert_int_equal(fpy_file_write(at(name), text, len, err, sizeof err), FPY_OK);
}

#define PUT(name, text) put((name), (text), strlen(text))

/* ---- parsing ------------------------------------------------------------------------ */

typedef struct parsed {
    fpy_project p;
    fpy_project_diags d;
    int rc;
} parsed;

static parsed *parse_n(const char *text, size_t len)
{
    parsed *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->rc = fpy_project_parse(text, len, "t.yml", &r->p, &r->d);
    return r;
}

static parsed *parse(const char *text)
{
    return parse_n(text, strlen(text));
}

static void done(parsed *r)
{
    fpy_project_free(&r->p);
    fpy_project_diags_free(&r->d);
    free(r);
}

/* The i-th diagnostic is of `severity` at line:col and its message holds `part`. */
static void assert_diag(const parsed *r, size_t i, int severity, uint32_t line, uint32_t col,
                        const char *part)
{
    if (i >= r->d.n)
        fail_msg("no diagnostic %zu (have %zu)", i, r->d.n);
    const fpy_project_msg *m = &r->d.v[i];
    if (m->severity != severity || m->line != line || m->col != col ||
        strstr(m->msg, part) == NULL)
        fail_msg("diagnostic %zu: %s at %u:%u \"%s\"; wanted %s at %u:%u with \"%s\"", i,
                 m->severity == FPY_PROJECT_ERROR ? "error" : "warning", (unsigned)m->line,
                 (unsigned)m->col, m->msg, severity == FPY_PROJECT_ERROR ? "error" : "warning",
                 (unsigned)line, (unsigned)col, part);
    assert_string_equal(m->file, "t.yml");
}

/* Exactly one error, `rc`, at line:col, and no warning. */
static void one_error(const char *text, int rc, uint32_t line, uint32_t col, const char *part)
{
    parsed *r = parse(text);
    assert_int_equal(r->rc, rc);
    assert_int_equal(r->d.errors, 1);
    assert_diag(r, 0, FPY_PROJECT_ERROR, line, col, part);
    assert_int_equal(r->d.v[0].err, rc);
    assert_true(r->d.v[0].fix[0] != '\0');
    done(r);
}

#define HEAD "target: pycom_fipy_v1\nvm:\n  abi: 3\n"

static void test_full_project(void **state)
{
    (void)state;
    parsed *r = parse("# comment\n"
                      "target: pycom_fipy_v1\n"
                      "vm:\n"
                      "  layout: ble\n"
                      "  features: [fota, secure_firmware]\n"
                      "  abi: 0x10\n"
                      "  uid: \"abc123\"\n"
                      "  version: r2.6.0\n"
                      "config:\n"
                      "  NATIVE_MBEDTLS: true\n"
                      "  ZERYNTH_SSL_MAX_SOCKS: 4\n"
                      "  NEG: -12\n"
                      "  NAME: 'hello: world'\n"
                      "  OFF: ~\n"
                      "  RATE: 1.5\n"
                      "  BIG: 1_000\n");
    assert_int_equal(r->rc, FPY_OK);
    assert_int_equal(r->d.n, 0);
    assert_string_equal(r->p.target, "pycom_fipy_v1");
    assert_int_equal(r->p.layout, FPY_LAYOUT_BLE);
    assert_int_equal(r->p.features, FPY_PROJECT_FEAT_FOTA | FPY_PROJECT_FEAT_SECURE_FIRMWARE);
    assert_true(r->p.has_abi);
    assert_int_equal(r->p.abi, 16);
    assert_string_equal(r->p.vm_uid, "abc123");
    assert_string_equal(r->p.vm_version, "r2.6.0");
    assert_int_equal(r->p.native_mbedtls, 1);
    assert_int_equal(r->p.zerynth_ssl, 0);
    assert_int_equal(r->p.nconfig, 7);
    const fpy_project_cfg *c = r->p.config;
    assert_string_equal(c[0].name, "NATIVE_MBEDTLS");
    assert_int_equal(c[0].type, FPY_PROJECT_CFG_BOOL);
    assert_int_equal(c[0].num, 1);
    assert_int_equal(c[0].line, 10);
    assert_int_equal(c[0].col, 3);
    assert_int_equal(c[1].type, FPY_PROJECT_CFG_INT);
    assert_int_equal(c[1].num, 4);
    assert_int_equal(c[2].num, -12);
    assert_int_equal(c[3].type, FPY_PROJECT_CFG_STRING);
    assert_string_equal(c[3].str, "hello: world");
    assert_int_equal(c[4].type, FPY_PROJECT_CFG_NULL);
    assert_int_equal(c[5].type, FPY_PROJECT_CFG_STRING); /* floats stay text */
    assert_string_equal(c[5].str, "1.5");
    assert_int_equal(c[6].type, FPY_PROJECT_CFG_INT);
    assert_int_equal(c[6].num, 1000);
    done(r);
}

static void test_defaults(void **state)
{
    (void)state;
    parsed *r = parse("target: pycom_fipy_v1\nvm:\n  abi: 1\nconfig:\n");
    assert_int_equal(r->rc, FPY_OK);
    assert_int_equal(r->d.n, 0);
    assert_int_equal(r->p.layout, FPY_LAYOUT_NONBLE);
    assert_int_equal(r->p.features, 0);
    assert_null(r->p.vm_uid);
    assert_int_equal(r->p.nconfig, 0);
    done(r);
}

static void test_wrong_target(void **state)
{
    (void)state;
    one_error("vm: {abi: 1}\ntarget: esp32_devkitc\n", FPY_ERR_INVAL, 2, 9, "wrong target");
    one_error("vm: {abi: 1}\ntarget: [pycom_fipy_v1]\n", FPY_ERR_INVAL, 2, 9,
              "target must be a board name, not a list");
    one_error("vm: {abi: 1}\n", FPY_ERR_INVAL, 1, 1, "no target");
    parsed *r = parse("target: esp32_devkitc\nvm: {abi: 1}\n");
    assert_non_null(strstr(r->d.v[0].msg, "pycom_fipy_v1")); /* names the known one */
    assert_non_null(strstr(r->d.v[0].fix, "target: pycom_fipy_v1"));
    done(r);
}

static void test_wrong_types(void **state)
{
    (void)state;
    one_error("target: pycom_fipy_v1\nvm: 3\n", FPY_ERR_INVAL, 2, 5,
              "vm must be a mapping, not a number");
    one_error(HEAD "  layout: yes\n", FPY_ERR_INVAL, 4, 11, "vm.layout must be ble or nonble");
    one_error(HEAD "  layout: bluetooth\n", FPY_ERR_INVAL, 4, 11, "unknown vm.layout");
    one_error("target: pycom_fipy_v1\nvm:\n  abi: \"x\"\n", FPY_ERR_INVAL, 3, 8,
              "vm.abi must be a whole number, not a string");
    one_error("target: pycom_fipy_v1\nvm:\n  abi: -1\n", FPY_ERR_INVAL, 3, 8, "vm.abi '-1'");
    one_error("target: pycom_fipy_v1\nvm:\n  abi: 4294967296\n", FPY_ERR_INVAL, 3, 8,
              "vm.abi '4294967296'");
    one_error(HEAD "  features: yes\n", FPY_ERR_INVAL, 4, 13,
              "vm.features must be a list, not true/false");
    one_error(HEAD "  features: fota\n", FPY_ERR_INVAL, 4, 13, "must be a list, not a string");
    one_error(HEAD "  features: [fota, {a: 1}]\n", FPY_ERR_INVAL, 4, 20,
              "an item of vm.features must be a feature name, not a mapping");
    one_error(HEAD "  uid: [1]\n", FPY_ERR_INVAL, 4, 8, "vm.uid must be a string");
    one_error(HEAD "config: 7\n", FPY_ERR_INVAL, 4, 9, "config must be a mapping");
    one_error(HEAD "config:\n  X: [1]\n", FPY_ERR_INVAL, 5, 6, "config.X must be one value");
    one_error(HEAD "config:\n  X: 017\n", FPY_ERR_INVAL, 5, 6, "octal");
    one_error(HEAD "config:\n  X: 99999999999999999999\n", FPY_ERR_INVAL, 5, 6, "64 bits");
    one_error(HEAD "config:\n  my-key: 1\n", FPY_ERR_INVAL, 5, 3, "not a C name");
    one_error(HEAD "config:\n  native_mbedtls: 1\n", FPY_ERR_INVAL, 5, 19,
              "config.native_mbedtls must be true or false");
    one_error(HEAD "specs: 1\n", FPY_ERR_INVAL, 4, 8, "specs must be a mapping");
    one_error(HEAD "? [a]\n: 1\n", FPY_ERR_INVAL, 4, 3, "a key in project.yml must be a name");
    one_error("- target\n- pycom_fipy_v1\n", FPY_ERR_INVAL, 1, 1,
              "project.yml must be a mapping");
    one_error("just text\n", FPY_ERR_INVAL, 1, 1, "not a string");
}

static void test_duplicates(void **state)
{
    (void)state;
    one_error(HEAD "target: pycom_fipy_v1\n", FPY_ERR_INVAL, 4, 1,
              "duplicate key 'target' in project.yml (first at line 1, column 1)");
    one_error(HEAD "  abi: 3\n", FPY_ERR_INVAL, 4, 3, "duplicate key 'abi' in vm");
    one_error(HEAD "config:\n  A: 1\n  A: 2\n", FPY_ERR_INVAL, 6, 3, "duplicate key 'A'");
    one_error(HEAD "config:\n  native_mbedtls: true\n  NATIVE_MBEDTLS: true\n", FPY_ERR_INVAL,
              6, 3, "native_mbedtls is set twice");
}

static void test_zerynth_ssl_refused(void **state)
{
    (void)state;
    one_error(HEAD "config:\n  zerynth_ssl: true\n", FPY_ERR_UNSUPPORTED, 5, 16,
              "Zerynth's own SSL is not available on the ESP32");
    one_error(HEAD "config:\n  ZERYNTH_SSL: yes\n", FPY_ERR_UNSUPPORTED, 5, 16,
              "ZERYNTH_SSL: true is refused");
    parsed *r = parse(HEAD "config:\n  zerynth_ssl: true\n");
    assert_non_null(strstr(r->d.v[0].msg, "mbedTLS"));
    assert_non_null(strstr(r->d.v[0].fix, "native_mbedtls: true"));
    done(r);
    r = parse(HEAD "config:\n  zerynth_ssl: false\n  native_mbedtls: true\n");
    assert_int_equal(r->rc, FPY_OK);
    assert_int_equal(r->p.native_mbedtls, 1);
    assert_int_equal(r->p.zerynth_ssl, 0);
    done(r);
}

static void test_warnings(void **state)
{
    (void)state;
    parsed *r = parse(HEAD "  features: [fota, turbo, fota]\n  colour: red\nfoo: 1\n");
    assert_int_equal(r->rc, FPY_OK);
    assert_int_equal(r->d.errors, 0);
    assert_int_equal(r->d.warnings, 4);
    assert_diag(r, 0, FPY_PROJECT_WARNING, 4, 20, "unknown feature 'turbo'");
    assert_diag(r, 1, FPY_PROJECT_WARNING, 4, 27, "feature 'fota' listed twice");
    assert_diag(r, 2, FPY_PROJECT_WARNING, 5, 3, "unknown key 'colour' in vm");
    assert_diag(r, 3, FPY_PROJECT_WARNING, 6, 1, "unknown key 'foo' in project.yml");
    assert_int_equal(r->p.features, FPY_PROJECT_FEAT_FOTA);
    done(r);
    r = parse("target: pycom_fipy_v1\n");
    assert_int_equal(r->rc, FPY_OK);
    assert_int_equal(r->d.warnings, 1);
    assert_diag(r, 0, FPY_PROJECT_WARNING, 1, 1, "no vm.abi");
    done(r);
}

/* One run lists every problem, not just the first. */
static void test_all_listed(void **state)
{
    (void)state;
    parsed *r = parse("target: x\nvm:\n  abi: y\n  zzz: 1\n");
    assert_int_equal(r->rc, FPY_ERR_INVAL);
    assert_int_equal(r->d.errors, 2);
    assert_int_equal(r->d.warnings, 1);
    assert_diag(r, 0, FPY_PROJECT_ERROR, 1, 9, "wrong target");
    assert_diag(r, 1, FPY_PROJECT_ERROR, 3, 8, "vm.abi");
    assert_diag(r, 2, FPY_PROJECT_WARNING, 4, 3, "unknown key 'zzz'");
    done(r);
}

static void test_yaml_refused(void **state)
{
    (void)state;
    one_error("target: [pycom\n", FPY_ERR_CORRUPT, 2, 1, "YAML syntax: did not find expected");
    one_error("target: pycom_fipy_v1\n vm: 1\n", FPY_ERR_CORRUPT, 2, 4, "YAML syntax");
    one_error("target: pycom_fipy_v1\n---\nvm: 1\n", FPY_ERR_CORRUPT, 2, 1,
              "more than one YAML document");
    one_error("a: &x [1, 2]\nb: *x\n", FPY_ERR_CORRUPT, 2, 4, "aliases are not supported");
    one_error("target: !!str pycom_fipy_v1\n", FPY_ERR_CORRUPT, 1, 9, "explicit tags");
    one_error("vm: !!map {abi: 1}\n", FPY_ERR_CORRUPT, 1, 5, "explicit tags");
    one_error("target: p\xc3\xa9\xff\n", FPY_ERR_CORRUPT, 1, 11, "invalid UTF-8 (byte 0xff)");
    one_error("target: \xc0\xaf\n", FPY_ERR_CORRUPT, 1, 9, "invalid UTF-8"); /* overlong */
    one_error("a: 1\r\nb: \x01\n", FPY_ERR_CORRUPT, 2, 4, "YAML syntax: control characters");
    parsed *r = parse_n("target: pycom\0_fipy_v1\n", 23);
    assert_int_equal(r->rc, FPY_ERR_CORRUPT);
    assert_diag(r, 0, FPY_PROJECT_ERROR, 1, 14, "a NUL byte");
    done(r);
    /* UTF-16 with its BOM: NUL bytes, not text libyaml would decode */
    r = parse_n("\xff\xfet\0:\0 \0x\0", 10);
    assert_int_equal(r->rc, FPY_ERR_CORRUPT);
    done(r);
}

/* The billion laughs: nine levels of ten aliases each.  Refused at the
 * first alias, long before anything is expanded. */
static void test_alias_bomb(void **state)
{
    (void)state;
    char text[2048];
    size_t n = (size_t)snprintf(text, sizeof text, "a0: &a0 [lol]\n");
    for (int i = 1; i < 10; i++) {
        n += (size_t)snprintf(text + n, sizeof text - n, "a%d: &a%d [", i, i);
        for (int j = 0; j < 10; j++)
            n += (size_t)snprintf(text + n, sizeof text - n, "%s*a%d", j ? ", " : "", i - 1);
        n += (size_t)snprintf(text + n, sizeof text - n, "]\n");
    }
    parsed *r = parse(text);
    assert_int_equal(r->rc, FPY_ERR_CORRUPT);
    assert_int_equal(r->d.errors, 1);
    assert_diag(r, 0, FPY_PROJECT_ERROR, 2, 10, "aliases are not supported");
    done(r);
}

static void test_limits(void **state)
{
    (void)state;
    size_t big = FPY_PROJECT_MAX_YAML + 1;
    char *text = malloc(big);
    assert_non_null(text);
    memset(text, '#', big);
    parsed *r = parse_n(text, big);
    assert_int_equal(r->rc, FPY_ERR_NOSPC);
    assert_non_null(strstr(r->d.v[0].msg, "too large"));
    done(r);
    /* exactly the limit is read (all comment: then no target) */
    r = parse_n(text, FPY_PROJECT_MAX_YAML);
    assert_int_equal(r->rc, FPY_ERR_INVAL);
    assert_diag(r, 0, FPY_PROJECT_ERROR, 1, 1, "no target");
    done(r);
    free(text);
    char deep[256] = "a: ";
    for (int i = 0; i < 20; i++)
        strcat(deep, "[");
    one_error(deep, FPY_ERR_CORRUPT, 1, 19, "nested too deep");
    size_t cap = 5 * FPY_PROJECT_MAX_NODES + 16;
    char *many = malloc(cap);
    assert_non_null(many);
    size_t len = (size_t)snprintf(many, cap, "a: [");
    for (unsigned i = 0; i < FPY_PROJECT_MAX_NODES; i++)
        len += (size_t)snprintf(many + len, cap - len, "1,");
    snprintf(many + len, cap - len, "1]\n");
    r = parse(many);
    assert_int_equal(r->rc, FPY_ERR_CORRUPT);
    assert_non_null(strstr(r->d.v[0].msg, "too many values"));
    done(r);
    free(many);
}

/* Columns count characters, as libyaml does; CRLF and NEL end lines. */
static void test_places(void **state)
{
    (void)state;
    one_error("vm: {abi: 1}\r\n# \xc3\xa9\xc3\xa9\r\ntarget: \xc3\xa9x\r\n", FPY_ERR_INVAL, 3, 9,
              "wrong target");
    parsed *r = parse("vm: {abi: 1, x\xc3\xa9: 1, abi: 2}\ntarget: pycom_fipy_v1\n");
    assert_int_equal(r->rc, FPY_ERR_INVAL);
    assert_diag(r, 0, FPY_PROJECT_WARNING, 1, 14, "unknown key 'x\xc3\xa9' in vm");
    assert_diag(r, 1, FPY_PROJECT_ERROR, 1, 21, "duplicate key 'abi'"); /* not byte 22 */
    done(r);
}

static void test_load(void **state)
{
    (void)state;
    PUT("project.yml", HEAD "foo: 1\n");
    fpy_project p = {0};
    fpy_project_diags d = {0};
    assert_int_equal(fpy_project_load(dir, &p, &d), FPY_OK);
    assert_int_equal(d.warnings, 1);
    assert_non_null(strstr(d.file, "/project.yml"));
    assert_ptr_equal(d.v[0].file, d.file);
    fpy_project_free(&p);
    fpy_project_diags_free(&d);
    assert_int_equal(fpy_project_load(at("project.yml"), &p, &d), FPY_OK);
    fpy_project_free(&p);
    fpy_project_diags_free(&d);
    assert_int_equal(fpy_project_load(at("nothing"), &p, &d), FPY_ERR_IO);
    assert_int_equal(d.errors, 1);
    assert_non_null(strstr(d.v[0].msg, "nothing"));
    fpy_project_free(&p);
    fpy_project_diags_free(&d);
    /* over the cap: refused while reading */
    size_t big = FPY_PROJECT_MAX_YAML + 10;
    char *text = malloc(big);
    assert_non_null(text);
    memset(text, '\n', big);
    put("project.yml", text, big);
    free(text);
    assert_int_equal(fpy_project_load(dir, &p, &d), FPY_ERR_NOSPC);
    fpy_project_free(&p);
    fpy_project_diags_free(&d);
}

/* ---- build -------------------------------------------------------------------------- */

static fpy_project proj_abi(uint32_t abi, int has)
{
    fpy_project p = {0};
    p.abi = abi;
    p.has_abi = has;
    return p;
}

static int build(const char *d, const fpy_project *p, uint32_t abi, size_t max, uint8_t **buf,
                 size_t *len)
{
    err[0] = '\0';
    return fpy_project_build(d, p, abi, max, buf, len, err, sizeof err);
}

static void test_build_bundle(void **state)
{
    (void)state;
    PUT("main.py", "import util\nprint('hi')\n");
    PUT("util.py", "x = 1\n");
    PUT("Zed.py", "");
    PUT("README.md", "not a source\n");
    PUT(".hidden.py", "skipped\n");
    fpy_project p = proj_abi(2, 1);
    uint8_t *img;
    size_t len;
    assert_int_equal(build(dir, &p, 2, 4096, &img, &len), FPY_OK);
    fpy_bc_header h;
    fpy_diag dg = {0};
    uint32_t abi = 2;
    assert_int_equal(fpy_bc_verify_mem(img, len, &abi, &h, &dg), FPY_OK);
    const uint8_t *b = img + FPY_BC_HEADER_LEN;
    assert_int_equal(fpy_get_le32(b), FPY_BUNDLE_MAGIC);
    assert_memory_equal(b, "FPB1", 4);
    assert_int_equal(fpy_get_le16(b + 4), 1);
    assert_int_equal(fpy_get_le16(b + 6), FPY_BUNDLE_HEADER_LEN);
    assert_int_equal(fpy_get_le32(b + 8), 3);
    assert_int_equal(fpy_get_le32(b + 12), h.payload_len);
    /* main.py first, then by bytes: "Zed.py" < "util.py" */
    const char *names[] = {"main.py", "Zed.py", "util.py"};
    const char *data[] = {"import util\nprint('hi')\n", "", "x = 1\n"};
    size_t off = FPY_BUNDLE_HEADER_LEN;
    for (int i = 0; i < 3; i++) {
        uint32_t nl = fpy_get_le32(b + off), dl = fpy_get_le32(b + off + 4);
        assert_int_equal(nl, strlen(names[i]));
        assert_int_equal(dl, strlen(data[i]));
        assert_memory_equal(b + off + 8, names[i], nl);
        assert_memory_equal(b + off + 8 + nl, data[i], dl);
        off += 8 + nl + dl;
    }
    assert_int_equal(off, h.payload_len);
    free(img);
}

static void test_build_deterministic(void **state)
{
    (void)state;
    PUT("b.py", "b\n");
    PUT("main.py", "main\n");
    PUT("a.py", "a\n");
    fpy_project p = proj_abi(0, 0); /* no vm.abi: the VM's is taken */
    uint8_t *one, *two;
    size_t n1, n2;
    assert_int_equal(build(dir, &p, 7, 1u << 20, &one, &n1), FPY_OK);
    assert_int_equal(build(dir, &p, 7, 1u << 20, &two, &n2), FPY_OK);
    assert_int_equal(n1, n2);
    assert_memory_equal(one, two, n1);
    free(two);
    /* the same files made in another order, elsewhere: the same bytes */
    char other[300];
    snprintf(other, sizeof other, "%s/other", dir);
    assert_int_equal(mkdir(other, 0755), 0);
    PUT("other/a.py", "a\n");
    PUT("other/main.py", "main\n");
    PUT("other/b.py", "b\n");
    assert_int_equal(build(other, &p, 7, 1u << 20, &two, &n2), FPY_OK);
    assert_int_equal(n1, n2);
    assert_memory_equal(one, two, n1);
    assert_int_equal(fpy_get_le32(one + FPY_BC_OFF_ABI), 7);
    free(one);
    free(two);
}

static void test_build_abi_mismatch(void **state)
{
    (void)state;
    PUT("main.py", "print(1)\n");
    fpy_project p = proj_abi(3, 1);
    uint8_t *img = (uint8_t *)1;
    size_t len = 1;
    assert_int_equal(build(dir, &p, 4, 1u << 20, &img, &len), FPY_ERR_STATE);
    assert_null(img);
    assert_int_equal(len, 0);
    assert_non_null(strstr(err, "another VM ABI"));
    assert_non_null(strstr(err, "vm.abi 3"));
    assert_non_null(strstr(err, "ABI 4"));
    assert_int_equal(build(dir, &p, 3, 1u << 20, &img, &len), FPY_OK);
    free(img);
}

static void test_build_refusals(void **state)
{
    (void)state;
    fpy_project p = proj_abi(1, 1);
    uint8_t *img;
    size_t len;
    PUT("util.py", "x\n");
    assert_int_equal(build(dir, &p, 1, 1u << 20, &img, &len), FPY_ERR_NOTFOUND);
    assert_non_null(strstr(err, "no main.py"));
    PUT("main.py", "print(1)\n");
    /* the limit: exactly fits, one byte less does not (both sizes named) */
    assert_int_equal(build(dir, &p, 1, 1u << 20, &img, &len), FPY_OK);
    free(img);
    size_t need = len;
    assert_int_equal(build(dir, &p, 1, need, &img, &len), FPY_OK);
    free(img);
    assert_int_equal(build(dir, &p, 1, need - 1, &img, &len), FPY_ERR_NOSPC);
    char want[64];
    snprintf(want, sizeof want, "would be %zu bytes", need);
    assert_non_null(strstr(err, want));
    snprintf(want, sizeof want, "the slot holds %zu", need - 1);
    assert_non_null(strstr(err, want));
    /* one source too big */
    char *big = malloc(FPY_PROJECT_MAX_SOURCE + 1);
    assert_non_null(big);
    memset(big, '#', FPY_PROJECT_MAX_SOURCE + 1);
    put("huge.py", big, FPY_PROJECT_MAX_SOURCE + 1);
    free(big);
    assert_int_equal(build(dir, &p, 1, 8u << 20, &img, &len), FPY_ERR_NOSPC);
    assert_non_null(strstr(err, "huge.py is too big"));
    assert_int_equal(unlink(at("huge.py")), 0);
    /* not a module name; not a regular file */
    PUT("my prog.py", "x\n");
    assert_int_equal(build(dir, &p, 1, 1u << 20, &img, &len), FPY_ERR_INVAL);
    assert_non_null(strstr(err, "my prog.py"));
    assert_int_equal(unlink(at("my prog.py")), 0);
    assert_int_equal(mkdir(at("pkg.py"), 0755), 0);
    assert_int_equal(build(dir, &p, 1, 1u << 20, &img, &len), FPY_ERR_INVAL);
    assert_non_null(strstr(err, "not a regular file"));
    assert_int_equal(build(at("absent"), &p, 1, 1u << 20, &img, &len), FPY_ERR_IO);
}

/* ---- new ---------------------------------------------------------------------------- */

static void test_new(void **state)
{
    (void)state;
    const char *pd = at("proj");
    assert_int_equal(fpy_project_new(pd, err, sizeof err), FPY_OK);
    /* the project it writes is clean and builds */
    fpy_project p = {0};
    fpy_project_diags d = {0};
    assert_int_equal(fpy_project_load(pd, &p, &d), FPY_OK);
    assert_int_equal(d.n, 0);
    assert_true(p.has_abi);
    uint8_t *img;
    size_t len;
    assert_int_equal(build(pd, &p, p.abi, 512u * 1024u, &img, &len), FPY_OK);
    free(img);
    fpy_project_free(&p);
    fpy_project_diags_free(&d);
    uint8_t *readme;
    assert_int_equal(fpy_file_read(at("proj/README.md"), 1u << 16, &readme, &len, err,
                                   sizeof err), FPY_OK);
    const char *words[] = {"fipytool register", "vm create", "virtualize", "upload",
                           "project.yml", "main.py"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        assert_non_null(memmem(readme, len, words[i], strlen(words[i])));
    free(readme);
    struct stat st;
    assert_int_equal(stat(pd, &st), 0);
    assert_true((st.st_mode & 0777) != 0700); /* not mkdtemp's mode */
    /* again: refused, nothing changed */
    assert_int_equal(fpy_project_new(pd, err, sizeof err), FPY_ERR_EXISTS);
    assert_non_null(strstr(err, "not empty"));
    /* an empty directory is taken; a file is not; no temporary left */
    assert_int_equal(mkdir(at("empty"), 0755), 0);
    assert_int_equal(fpy_project_new(at("empty/"), err, sizeof err), FPY_OK);
    assert_int_equal(access(at("empty/main.py"), F_OK), 0);
    PUT("file", "x");
    assert_int_equal(fpy_project_new(at("file"), err, sizeof err), FPY_ERR_EXISTS);
    assert_int_equal(fpy_project_new(at("no/such/parent"), err, sizeof err), FPY_ERR_IO);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | grep -q fipytool-", dir);
    assert_int_not_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_project),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_wrong_target),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_zerynth_ssl_refused),
        cmocka_unit_test(test_warnings),
        cmocka_unit_test(test_all_listed),
        cmocka_unit_test(test_yaml_refused),
        cmocka_unit_test(test_alias_bomb),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_places),
        cmocka_unit_test_setup_teardown(test_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_build_bundle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_build_deterministic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_build_abi_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_build_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
