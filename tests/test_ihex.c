/*
 * Intel HEX reading (host/ihex.c): every record type, line endings,
 * regions cut at gaps whatever the record order, and each refusal with
 * its code, field and line.
 */
#include <stdlib.h>
#include <string.h>

#include "ihex.h"
#include "testutil.h"

static int parse(const char *text, fpy_ihex *h, fpy_diag *d)
{
    memset(d, 0, sizeof *d);
    return fpy_ihex_parse(text, strlen(text), h, d);
}

/* A refusal: code, field and line. */
static void refused(const char *text, int rc, const char *field, uint32_t line)
{
    fpy_ihex h;
    fpy_diag d;
    int got = parse(text, &h, &d);
    if (got != rc)
        fail_msg("rc %d, want %d for:\n%s", got, rc, text);
    assert_non_null(d.what);
    assert_string_equal(d.field, field);
    assert_int_equal(d.line, line);
    assert_null(h.region);
    assert_null(h.bytes);
}

static void test_records_and_regions(void **state)
{
    (void)state;
    /* Data at 0x10000 (after an 04 record), then data at 0x0100 and
     * 0x0104 through an 02 record (0x0010 * 16 = 0x100), out of order, a
     * zero-length data record and a start address. */
    const char *text = ":020000040001F9\n"
                       ":040000001122334452\n"
                       ":020000020010EC\n"
                       ":04000400556677883E\n"
                       ":04000000AABBCCDDEE\n"
                       ":0000000000\n"
                       ":0400000540080400AB\n"
                       ":00000001FF\n"
                       "this line is after the end and is not read\n";
    fpy_ihex h;
    fpy_diag d;
    assert_int_equal(parse(text, &h, &d), FPY_OK);
    assert_int_equal(h.nregion, 2);
    assert_int_equal(h.region[0].addr, 0x100);
    assert_int_equal(h.region[0].len, 8);
    assert_memory_equal(h.region[0].data, "\xAA\xBB\xCC\xDD\x55\x66\x77\x88", 8);
    assert_int_equal(h.region[1].addr, 0x10000);
    assert_int_equal(h.region[1].len, 4);
    assert_memory_equal(h.region[1].data, "\x11\x22\x33\x44", 4);
    assert_int_equal(h.nbytes, 12);
    assert_int_equal(h.start_type, FPY_IHEX_START_LINEAR);
    assert_int_equal(h.start, 0x40080400u);
    assert_true(h.has_eof);
    fpy_ihex_free(&h);
    assert_null(h.region);
}

/* LF, CRLF and a lone CR all end a line (Python's universal newlines);
 * empty lines count but are skipped; hex digits in either case. */
static void test_line_endings(void **state)
{
    (void)state;
    fpy_ihex h;
    fpy_diag d;
    assert_int_equal(parse(":0100000001FE\r\n\r\n:01000100ab53\r:01000200ccL", &h, &d),
                     FPY_ERR_CORRUPT);
    assert_int_equal(d.line, 4); /* CRLF, CRLF (an empty line 2), CR: the L is on line 4 */
    assert_int_equal(parse(":0100000001FE\r\n\r\n:01000100ab53\r:01000200cc31\n", &h, &d),
                     FPY_OK);
    assert_int_equal(h.nregion, 1);
    assert_int_equal(h.region[0].len, 3);
    assert_memory_equal(h.region[0].data, "\x01\xAB\xCC", 3);
    assert_false(h.has_eof); /* no end-of-file record: read to the end */
    fpy_ihex_free(&h);
    /* No data at all: no regions, not an error. */
    assert_int_equal(parse(":00000001FF\n", &h, &d), FPY_OK);
    assert_int_equal(h.nregion, 0);
    assert_true(fpy_ihex_detect((const uint8_t *)":", 1));
    assert_false(fpy_ihex_detect((const uint8_t *)"\xE9", 1));
    assert_false(fpy_ihex_detect(NULL, 0));
}

/* Regions meet across a 64 KiB boundary whether the data is addressed
 * through 04 records or runs linearly past 0xFFFF (no wrap, as intelhex). */
static void test_linear_addresses(void **state)
{
    (void)state;
    fpy_ihex h;
    fpy_diag d;
    assert_int_equal(parse(":02FFFF00AABB9B\n:020000040001F9\n:01000100CC32\n", &h, &d),
                     FPY_OK);
    assert_int_equal(h.nregion, 1);
    assert_int_equal(h.region[0].addr, 0xFFFF);
    assert_int_equal(h.region[0].len, 3);
    fpy_ihex_free(&h);
    /* The very last byte of the 32-bit space is fine; one past is not. */
    assert_int_equal(parse(":02000004FFFFFC\n:01FFFF0012EF\n", &h, &d), FPY_OK);
    assert_int_equal(h.region[0].addr, 0xFFFFFFFFu);
    fpy_ihex_free(&h);
    refused(":02000004FFFFFC\n:02FFFF001234BA\n", FPY_ERR_RANGE, "address", 2);
}

static void test_refusals(void **state)
{
    (void)state;
    refused("0100000001FE\n", FPY_ERR_CORRUPT, "record", 1);
    refused(":0100000001FE\n :0100010001FD\n", FPY_ERR_CORRUPT, "record", 2);
    refused(":0100000001FE \n", FPY_ERR_CORRUPT, "record", 1);
    refused(":0100000001F\n", FPY_ERR_CORRUPT, "record", 1);
    refused(":01000000G1FE\n", FPY_ERR_CORRUPT, "record", 1);
    refused(":00000001\n", FPY_ERR_CORRUPT, "record", 1);
    refused(":\n", FPY_ERR_CORRUPT, "record", 1);
    refused(":0200000001FD\n", FPY_ERR_CORRUPT, "length", 1);
    refused(":0100000001FF\n", FPY_ERR_CHECKSUM, "checksum", 1);
    refused(":00000006FA\n", FPY_ERR_UNSUPPORTED, "type", 1);
    refused(":0100000101FD\n", FPY_ERR_CORRUPT, "length", 1);
    refused(":00000101FE\n", FPY_ERR_CORRUPT, "address", 1);
    refused(":03000002001000EB\n", FPY_ERR_CORRUPT, "length", 1);
    refused(":020001040001F8\n", FPY_ERR_CORRUPT, "address", 1);
    refused(":020000050000F9\n", FPY_ERR_CORRUPT, "length", 1);
    refused(":0400000540080400AB\n:0400000300000000F9\n", FPY_ERR_CORRUPT, "start", 2);
    /* The second of two records writing 0x0001 is named. */
    refused(":020000001122CB\n:0000000000\n:0100010033CB\n", FPY_ERR_CORRUPT, "address", 3);
    refused(":0100010033CB\n:020000001122CB\n", FPY_ERR_CORRUPT, "address", 2);
    fpy_ihex h;
    fpy_diag d;
    assert_int_equal(parse(":0100000001FF\n", &h, &d), FPY_ERR_CHECKSUM);
    assert_int_equal(d.expected, 0xFE);
    assert_int_equal(d.found, 0xFF);
    assert_int_equal(parse(":0200000001FD\n", &h, &d), FPY_ERR_CORRUPT);
    assert_int_equal(d.expected, 2);
    assert_int_equal(d.found, 1);
}

/* Every prefix of a valid file parses or is refused naming a line, and
 * reads nothing past its end (each copy is exactly as long as the
 * prefix, for ASan). */
static void test_every_prefix(void **state)
{
    (void)state;
    const char *text = ":020000040001F9\n:040000001122334452\r\n:0400000540080400AB\n:00000001FF\n";
    size_t len = strlen(text);
    for (size_t n = 0; n <= len; n++) {
        char *cut = malloc(n + 1u);
        memcpy(cut, text, n);
        fpy_ihex h;
        fpy_diag d = {0};
        int rc = fpy_ihex_parse(cut, n, &h, &d);
        if (rc != FPY_OK)
            assert_true(d.line >= 1 && d.line <= 4);
        fpy_ihex_free(&h);
        free(cut);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_and_regions),
        cmocka_unit_test(test_line_endings),
        cmocka_unit_test(test_linear_addresses),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_every_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
