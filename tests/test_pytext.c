/*
 * The Python text toolkit both CSV readers share (host/pytext.h): int()
 * in the bases the ESP-IDF tools use, the three whitespace sets, line
 * breaks and UTF-8.  Expected values are what CPython 3.11 gives.
 */
#include <string.h>

#include "pytext.h"
#include "testutil.h"

static int py_int(const char *s, unsigned base, fpy_py_space kind, fpy_py_intval *v)
{
    return fpy_py_int((const uint8_t *)s, strlen(s), base, kind, v);
}

/* int(s, base) on a str: 1 and the signed value, or 0. */
static int int_ok(const char *s, unsigned base, int64_t want)
{
    fpy_py_intval v;
    if (!py_int(s, base, FPY_PY_INT, &v) || v.big)
        return 0;
    int64_t got = v.neg ? -(int64_t)v.mag : (int64_t)v.mag;
    return got == want;
}

static int int_bad(const char *s, unsigned base)
{
    fpy_py_intval v;
    return !py_int(s, base, FPY_PY_INT, &v);
}

static void test_int_auto_base(void **state)
{
    (void)state;
    fpy_py_intval v;
    assert_true(int_ok("0x1F", 0, 31));
    assert_true(int_ok("0X_1f", 0, 31));
    assert_true(int_ok("0o17", 0, 15));
    assert_true(int_ok("0b101", 0, 5));
    assert_true(int_ok(" -4_096 ", 0, -4096));
    assert_true(int_ok("00", 0, 0));
    assert_true(int_ok("0_0", 0, 0));
    assert_true(int_bad("010", 0));
    assert_false(py_int("0_1", 0, FPY_PY_INT, &v));
    assert_int_equal(v.leading_zero, 1);
    assert_true(int_bad("0x", 0));
    assert_true(int_bad("0x__1", 0));
    assert_true(int_bad("1_", 0));
    assert_true(int_bad("_1", 0));
    assert_true(int_bad("- 1", 0));
    assert_true(int_bad("", 0));
    assert_true(int_bad("1e3", 0));
}

static void test_int_fixed_bases(void **state)
{
    (void)state;
    /* int(s): leading zeros are plain decimal; no prefix. */
    assert_true(int_ok("010", 10, 10));
    assert_true(int_ok("+007", 10, 7));
    assert_true(int_bad("0x10", 10));
    /* int(s, 16): the prefix is optional, an underscore may follow it. */
    assert_true(int_ok("40", 16, 0x40));
    assert_true(int_ok("0x40", 16, 0x40));
    assert_true(int_ok("0x_4_0", 16, 0x40));
    assert_true(int_ok("0b1", 16, 0xB1)); /* b is a hex digit */
    assert_true(int_bad("0o7", 16));
    assert_true(int_bad("g", 16));
}

static void test_int_size_limits(void **state)
{
    (void)state;
    fpy_py_intval v;
    assert_true(py_int("18446744073709551615", 10, FPY_PY_INT, &v));
    assert_int_equal(v.big, 0);
    assert_true(v.mag == UINT64_MAX);
    assert_true(py_int("18446744073709551616", 10, FPY_PY_INT, &v));
    assert_int_equal(v.big, 1); /* still a number, just too big */
    assert_true(py_int("0x1_0000_0000_0000_0000", 0, FPY_PY_INT, &v));
    assert_int_equal(v.big, 1);
}

static void test_whitespace_sets(void **state)
{
    (void)state;
    /* int(str) strips Unicode spaces but not \x1c-\x1f; str.strip() does. */
    assert_true(int_ok("\xc2\xa0" "5\xe3\x80\x80", 10, 5));
    assert_true(int_bad("\x1c" "5", 10));
    assert_true(int_bad("5\x1f", 0));
    const uint8_t t[] = "\x1f\xe2\x80\x8a" "ab \xc2\x85";
    size_t off = 0, n = sizeof t - 1;
    fpy_py_strip(t, &off, &n, FPY_PY_STR);
    assert_int_equal(off, 4);
    assert_int_equal(n, 2);
    /* bytes.strip() and int(bytes): the six ASCII ones only. */
    fpy_py_intval v;
    assert_true(fpy_py_int((const uint8_t *)"\v5\f", 3, 10, FPY_PY_BYTES, &v));
    assert_false(fpy_py_int((const uint8_t *)"\xc2\xa0" "5", 3, 10, FPY_PY_BYTES, &v));
    off = 0;
    n = sizeof t - 1;
    fpy_py_strip(t, &off, &n, FPY_PY_BYTES);
    assert_int_equal(off, 0);
    assert_int_equal(n, sizeof t - 1);
}

static void test_lines_and_utf8(void **state)
{
    (void)state;
    assert_int_equal(fpy_py_linebreak_len((const uint8_t *)"\r\nx", 3), 2);
    assert_int_equal(fpy_py_linebreak_len((const uint8_t *)"\x1e", 1), 1);
    assert_int_equal(fpy_py_linebreak_len((const uint8_t *)"\x1f", 1), 0);
    assert_int_equal(fpy_py_linebreak_len((const uint8_t *)"\xe2\x80\xa9", 3), 3);
    assert_int_equal(fpy_py_utf8_len((const uint8_t *)"\xf0\x9f\x98\x80", 4), 4);
    assert_int_equal(fpy_py_utf8_len((const uint8_t *)"\xc0\xaf", 2), 0);     /* overlong */
    assert_int_equal(fpy_py_utf8_len((const uint8_t *)"\xed\xa0\x80", 3), 0); /* surrogate */
    assert_int_equal(fpy_py_utf8_len((const uint8_t *)"\xf4\x90\x80\x80", 4), 0);
    assert_true(fpy_py_utf8_valid((const uint8_t *)"gr\xc3\xb6\xc3\x9f" "e", 7));
    assert_false(fpy_py_utf8_valid((const uint8_t *)"\xc3", 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int_auto_base),
        cmocka_unit_test(test_int_fixed_bases),
        cmocka_unit_test(test_int_size_limits),
        cmocka_unit_test(test_whitespace_sets),
        cmocka_unit_test(test_lines_and_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
