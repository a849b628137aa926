/* gen_esp32part CSV: each grammar rule with an accepted and a rejected
 * case, automatic placement, verify() rules, and exact to_csv output;
 * then what ESP-IDF 5.5 (gen_esp32part v5.5.1) added. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fipy/hash.h"
#include "fipy/part.h"
#include "part_csv.h"
#include "testutil.h"

static fpy_part_table tbl;

static int parse_opts(const char *text, const fpy_part_opts *o, fpy_diag *d)
{
    return fpy_part_from_csv(text, strlen(text), o, &tbl, d);
}

static int parse(const char *text, fpy_diag *d)
{
    return parse_opts(text, NULL, d);
}

/* Parse one line and return its size field's value (must succeed). */
static uint32_t size_of(const char *size)
{
    char line[128];
    fpy_diag d;
    snprintf(line, sizeof line, "p,data,nvs,0x10000,%s,\n", size);
    int rc = parse(line, &d);
    if (rc != FPY_OK)
        fail_msg("'%s' rejected: %s", size, d.what);
    return tbl.entries[0].size;
}

/* Parse one line whose size field must be rejected; returns the error. */
static int size_err(const char *size, fpy_diag *d)
{
    char line[128];
    snprintf(line, sizeof line, "p,data,nvs,0x10000,%s,\n", size);
    int rc = parse(line, d);
    assert_int_not_equal(rc, FPY_OK);
    assert_string_equal(d->field, "size");
    assert_int_equal(d->line, 1);
    return rc;
}

static void expect_err(const char *text, int err, const char *field, uint32_t line)
{
    fpy_diag d;
    memset(&d, 0, sizeof d);
    int rc = parse(text, &d);
    if (rc != err)
        fail_msg("%s: got %d (%s), want %d", text, rc, d.what ? d.what : "-", err);
    assert_string_equal(d.field, field);
    assert_int_equal(d.line, line);
    assert_int_equal(d.has_offset, 0);
}

static void test_comments_and_blank_lines(void **state)
{
    (void)state;
    fpy_diag d;
    assert_int_equal(parse("# header\n\n   \t\n  # indented comment\nnvs,data,nvs,,16K,\n", &d),
                     FPY_OK);
    assert_int_equal(tbl.count, 1);
    assert_int_equal(tbl.entries[0].line, 5);
    /* No inline comments: the text lands in the flags or size field. */
    expect_err("nvs,data,nvs,,16K, # note\n", FPY_ERR_CORRUPT, "flags", 1);
    expect_err("nvs,data,nvs,,16K # note\n", FPY_ERR_CORRUPT, "size", 1);
}

static void test_size_suffixes(void **state)
{
    (void)state;
    fpy_diag d;
    assert_int_equal(size_of("4k"), 0x1000);
    assert_int_equal(size_of("4K"), 0x1000);
    assert_int_equal(size_of("1m"), 0x100000);
    assert_int_equal(size_of("1M"), 0x100000);
    assert_int_equal(size_of("0x10K"), 0x4000);
    assert_int_equal(size_of("1 K"), 0x400);  /* int() strips the space */
    assert_int_equal(size_of("1\xc2\xa0K"), 0x400); /* and U+00A0 */
    /* U+001F is whitespace to str.strip() but not to int(). */
    size_err("1\x1f" "K", &d);
    assert_int_equal(size_of("\x1f" "4K\x1f"), 0x1000);
    assert_int_equal(size_of("1kk"), 0x100000); /* suffixes apply one by one */
    assert_int_equal(size_of("0kkkkkkkkkkkk"), 0);
    size_err("1MB", &d);
    size_err("1.5M", &d);
    size_err("K", &d);
    assert_int_equal(size_err("1kkkkkk", &d), FPY_ERR_RANGE);
}

static void test_python_int_rules(void **state)
{
    (void)state;
    fpy_diag d;
    assert_int_equal(size_of("0x1000"), 0x1000);
    assert_int_equal(size_of("0X1000"), 0x1000);
    assert_int_equal(size_of("0o10000"), 0x1000);
    assert_int_equal(size_of("0b1000000000000"), 0x1000);
    assert_int_equal(size_of("4096"), 0x1000);
    assert_int_equal(size_of("4_096"), 0x1000);
    assert_int_equal(size_of("0x_1000"), 0x1000);
    assert_int_equal(size_of("+4096"), 0x1000);
    assert_int_equal(size_of("00"), 0);
    assert_int_equal(size_of("0xFFFFFFFF"), 0xFFFFFFFFu);
    size_err("010", &d);
    assert_non_null(strstr(d.what, "leading zero"));
    size_err("0_1", &d);
    assert_non_null(strstr(d.what, "leading zero"));
    size_err("0x", &d);
    size_err("1__0", &d);
    size_err("4096_", &d);
    size_err("_4096", &d);
    size_err("1e3", &d);
    size_err("- 4096", &d);
    size_err("0o8", &d);
    size_err("\xd9\xa1", &d); /* Arabic-Indic one: ASCII digits only */
}

static void test_keywords_case_insensitive(void **state)
{
    (void)state;
    fpy_diag d;
    assert_int_equal(parse("a,DATA,NVS,,4K\nb,Data,Phy,,4K\nc,APP,OTA_15,,64K\n", &d), FPY_OK);
    assert_int_equal(tbl.entries[0].type, 1);
    assert_int_equal(tbl.entries[0].subtype, 2);
    assert_int_equal(tbl.entries[1].subtype, 1);
    assert_int_equal(tbl.entries[2].type, 0);
    assert_int_equal(tbl.entries[2].subtype, 0x1F);
    /* parse_int strips suffixes before the keyword look-up: "appk" is
     * 0 x 1024, which is app; "datak" is 1024, too big for a type. */
    assert_int_equal(parse("a,appk,factory,,64K\n", &d), FPY_OK);
    assert_int_equal(tbl.entries[0].type, 0);
    expect_err("a,datak,nvs,,4K\n", FPY_ERR_RANGE, "type", 1);
    /* Keywords belong to one type; custom types have none. */
    expect_err("a,app,nvs,,64K\n", FPY_ERR_CORRUPT, "subtype", 1);
    expect_err("a,data,ota_0,,4K\n", FPY_ERR_CORRUPT, "subtype", 1);
    expect_err("a,0x40,nvs,,4K\n", FPY_ERR_CORRUPT, "subtype", 1);
    expect_err("a,datum,nvs,,4K\n", FPY_ERR_CORRUPT, "type", 1);
    expect_err("a,app,ota_16,,64K\n", FPY_ERR_CORRUPT, "subtype", 1);
}

static void test_empty_subtype(void **state)
{
    (void)state;
    fpy_diag d;
    assert_int_equal(parse("a,data,,,4K\nb,0x40,,,4K\n", &d), FPY_OK);
    assert_int_equal(tbl.entries[0].subtype, 0x06); /* data "undefined" */
    assert_int_equal(tbl.entries[1].type, 0x40);
    assert_int_equal(tbl.entries[1].subtype, 0x06);
    expect_err("# c\na,app,,,64K\n", FPY_ERR_CORRUPT, "subtype", 2);
}

static void test_required_and_optional_fields(void **state)
{
    (void)state;
    fpy_diag d;
    expect_err("a,,nvs,,4K\n", FPY_ERR_CORRUPT, "type", 1);
    expect_err("a\n", FPY_ERR_CORRUPT, "type", 1);
    expect_err("a,data,nvs,,\n", FPY_ERR_CORRUPT, "size", 1);
    expect_err("a,data\n", FPY_ERR_CORRUPT, "size", 1);
    /* Missing trailing fields are empty, extra ones ignored. */
    assert_int_equal(parse("a,data,nvs,,4K\nb,data,nvs,,4K,readonly,x,y\n,data,nvs,,4K\n", &d),
                     FPY_OK);
    assert_int_equal(tbl.count, 3);
    assert_int_equal(tbl.entries[1].flags, FPY_PART_FLAG_READONLY);
    assert_string_equal(tbl.entries[2].label, ""); /* an empty name is allowed */
}

static void test_automatic_offsets(void **state)
{
    (void)state;
    fpy_diag d;
    static const char csv[] = "nvs,data,nvs,,0x4000,\n"
                              "otadata,data,ota,,0x2000,\n"
                              "phy_init,data,phy,,0x1000,\n"
                              "factory,app,factory,,1M,\n"
                              "small,data,nvs,,1000,\n"
                              "next,data,nvs,,4K,\n"
                              "app2,app,ota_0,,64K,\n"
                              "custom,0x40,0x00,,4K,\n";
    static const uint32_t want[] = {0x9000,   0xD000,   0xF000,   0x10000,
                                    0x110000, 0x111000, 0x120000, 0x130000};
    assert_int_equal(parse(csv, &d), FPY_OK);
    assert_int_equal(tbl.count, 8);
    for (unsigned i = 0; i < 8; i++)
        assert_int_equal(tbl.entries[i].offset, want[i]);
    assert_int_equal(tbl.entries[4].size, 1000);
    /* The first free offset follows the table. */
    fpy_part_opts o = {0};
    o.table_offset = 0x10000;
    assert_int_equal(parse_opts("a,data,nvs,,4K\nb,app,factory,,64K\n", &o, &d), FPY_OK);
    assert_int_equal(tbl.entries[0].offset, 0x11000);
    assert_int_equal(tbl.entries[1].offset, 0x20000);
    assert_int_equal(parse_opts("a,data,nvs,0x9000,4K\n", &o, &d), FPY_ERR_CORRUPT);
    assert_int_equal(d.expected, 0x11000);
}

static void test_negative_size(void **state)
{
    (void)state;
    fpy_diag d;
    /* esp_idf_formats.md §1.5: -0x300000 at 0x110000 gives 0x1F0000. */
    assert_int_equal(parse("a,app,factory,0x110000,-0x300000,\n", &d), FPY_OK);
    assert_int_equal(tbl.entries[0].offset, 0x110000);
    assert_int_equal(tbl.entries[0].size, 0x1F0000);
    /* With an automatic offset: resolved after placement. */
    assert_int_equal(parse("nvs,data,nvs,,-0xd000\nnext,data,nvs,,4K\n", &d), FPY_OK);
    assert_int_equal(tbl.entries[0].offset, 0x9000);
    assert_int_equal(tbl.entries[0].size, 0x4000);
    assert_int_equal(tbl.entries[1].offset, 0xD000);
    /* Ending before it starts. */
    expect_err("a,app,factory,0x110000,-0x100000,\n", FPY_ERR_RANGE, "size", 1);
}

static void test_explicit_offsets_ascend(void **state)
{
    (void)state;
    fpy_diag d;
    assert_int_equal(parse("a,data,nvs,0x9000,4K\nb,data,nvs,0xa000,4K\n", &d), FPY_OK);
    /* 0x9000 after 0x20000 does not overlap, and is still refused. */
    expect_err("a,data,nvs,0x20000,4K\nb,data,nvs,0x9000,4K\n", FPY_ERR_CORRUPT, "offset", 2);
    assert_int_equal(parse("a,data,nvs,0x20000,4K\nb,data,nvs,0x9000,4K\n", &d),
                     FPY_ERR_CORRUPT);
    assert_int_equal(d.index, 1);
    assert_int_equal(d.expected, 0x21000);
    assert_int_equal(d.found, 0x9000);
    /* The first partition may not sit in the table's sector. */
    expect_err("a,data,nvs,0x8000,4K\n", FPY_ERR_CORRUPT, "offset", 1);
    expect_err("a,data,nvs,-0x9000,4K\n", FPY_ERR_RANGE, "offset", 1);
}

static void test_flags(void **state)
{
    (void)state;
    fpy_diag d;
    static const char csv[] = "a,data,nvs,,4K,encrypted\n"
                              "b,data,nvs,,4K,readonly\n"
                              "c,data,nvs,,4K,encrypted:readonly\n"
                              "d,data,nvs,,4K,readonly:encrypted\n"
                              "e,data,nvs,,4K,encrypted::\n"
                              "f,data,nvs,,4K, encrypted \n"
                              "g,data,nvs,,4K,\n";
    static const uint32_t want[] = {1, 2, 3, 3, 1, 1, 0};
    assert_int_equal(parse(csv, &d), FPY_OK);
    for (unsigned i = 0; i < 7; i++)
        assert_int_equal(tbl.entries[i].flags, want[i]);
    /* Flag words are case-sensitive and not stripped one by one. */
    expect_err("a,data,nvs,,4K,Encrypted\n", FPY_ERR_CORRUPT, "flags", 1);
    expect_err("a,data,nvs,,4K,encrypted : readonly\n", FPY_ERR_CORRUPT, "flags", 1);
    expect_err("a,data,nvs,,4K,secure\n", FPY_ERR_CORRUPT, "flags", 1);
}

static void test_env_vars_are_not_expanded(void **state)
{
    (void)state;
    fpy_diag d;
    expect_err("# c\n$PART,data,nvs,,4K\n", FPY_ERR_UNSUPPORTED, "text", 2);
    expect_err("nvs_$x,data,nvs,,4K\n", FPY_ERR_UNSUPPORTED, "text", 1);
    expect_err("nvs,data,nvs,,${SIZE}\n", FPY_ERR_UNSUPPORTED, "text", 1);
    /* Comments may mention variables; a '$' that names nothing is text. */
    assert_int_equal(parse("# uses $HOME\na$,data,nvs,,4K\nb${,data,nvs,,4K\n", &d), FPY_OK);
    assert_string_equal(tbl.entries[0].label, "a$");
    assert_string_equal(tbl.entries[1].label, "b${");
}

static void test_labels(void **state)
{
    (void)state;
    fpy_diag d;
    fpy_part_issue is[4];
    size_t n = 0;
    assert_int_equal(parse("0123456789abcdef,data,nvs,,12K\n", &d), FPY_OK);
    assert_string_equal(tbl.entries[0].label, "0123456789abcdef");
    assert_int_equal(tbl.entries[0].name_cut, 0);
    assert_int_equal(fpy_part_check(&tbl, NULL, is, 4, &n, NULL), FPY_OK);
    assert_int_equal(n, 0);
    /* Longer names are cut to 16 bytes, silently by the tool; fipy warns. */
    assert_int_equal(parse("\n0123456789abcdefXYZ,data,nvs,,12K\n", &d), FPY_OK);
    assert_string_equal(tbl.entries[0].label, "0123456789abcdef");
    assert_int_equal(tbl.entries[0].name_cut, 1);
    assert_int_equal(fpy_part_check(&tbl, NULL, is, 4, &n, NULL), FPY_OK);
    assert_int_equal(n, 1);
    assert_int_equal(is[0].severity, FPY_PART_WARNING);
    assert_int_equal(is[0].diag.line, 2);
    assert_string_equal(is[0].diag.field, "label");
}

static void test_line_endings(void **state)
{
    (void)state;
    fpy_diag d;
    /* CRLF, CR, form feed and U+2028 all end lines, as splitlines() has it. */
    assert_int_equal(parse("a,data,nvs,,4K\r\nb,data,nvs,,4K\rc,data,nvs,,4K\f"
                           "d,data,nvs,,4K\xe2\x80\xa8"
                           "e,data,nvs,,4K",
                           &d),
                     FPY_OK);
    assert_int_equal(tbl.count, 5);
    for (uint32_t i = 0; i < 5; i++)
        assert_int_equal(tbl.entries[i].line, i + 1);
    expect_err("a,data,nvs,,4K\r\n\r\nb,data,nvs,,x\n", FPY_ERR_CORRUPT, "size", 3);
}

static void test_utf8(void **state)
{
    (void)state;
    fpy_diag d;
    /* Python decodes the whole file first: a bad byte in a comment counts. */
    expect_err("a,data,nvs,,4K\n# \xff\n", FPY_ERR_CORRUPT, "text", 2);
    expect_err("a,data,nvs,,4K\n# \xc0\xaf overlong\n", FPY_ERR_CORRUPT, "text", 2);
    expect_err("a,data,nvs,,4K\n# \xed\xa0\x80 surrogate\n", FPY_ERR_CORRUPT, "text", 2);
    /* UTF-8 names are kept; Unicode spaces around fields are stripped. */
    assert_int_equal(parse("gr\xc3\xb6\xc3\x9f" "e\xe3\x80\x80,\xc2\xa0" "data,nvs,,4K\n", &d),
                     FPY_OK);
    assert_string_equal(tbl.entries[0].label, "gr\xc3\xb6\xc3\x9f" "e");
    assert_int_equal(tbl.entries[0].type, 1);
    /* A NUL would make names that differ in Python equal in the label. */
    static const char nul[] = "a,data,nvs,,4K,\n\0,data,nvs,,4K\n# \0 in a comment is fine\n";
    assert_int_equal(fpy_part_from_csv(nul, sizeof nul - 1, NULL, &tbl, &d), FPY_ERR_CORRUPT);
    assert_int_equal(d.line, 2);
    assert_int_equal(fpy_part_from_csv(nul, 16, NULL, &tbl, &d), FPY_OK);
}

static void test_value_ranges(void **state)
{
    (void)state;
    fpy_diag d;
    assert_int_equal(parse("a,255,255,,4K\n", &d), FPY_OK);
    assert_int_equal(tbl.entries[0].type, 0xFF);
    expect_err("a,256,0,,4K\n", FPY_ERR_RANGE, "type", 1);
    expect_err("a,-1,0,,4K\n", FPY_ERR_RANGE, "type", 1);
    expect_err("a,data,0x100,,4K\n", FPY_ERR_RANGE, "subtype", 1);
    expect_err("a,data,nvs,0x100000000,4K\n", FPY_ERR_RANGE, "offset", 1);
    expect_err("a,data,nvs,,0x100000000\n", FPY_ERR_RANGE, "size", 1);
    assert_int_equal(parse("a,data,nvs,0xFFFFF000,0x1000\n", &d), FPY_OK);
}

/* n lines "p<i>,data,nvs,,4K," */
static char *rows(unsigned n, size_t *len)
{
    char *s = malloc(n * 24u + 1);
    assert_non_null(s);
    size_t k = 0;
    for (unsigned i = 0; i < n; i++)
        k += (size_t)sprintf(s + k, "p%u,data,nvs,,4K,\n", i);
    *len = k;
    return s;
}

static void test_row_limit(void **state)
{
    (void)state;
    fpy_diag d;
    size_t len;
    uint8_t bin[FPY_PART_TABLE_LEN];
    char *s = rows(94, &len);
    assert_int_equal(fpy_part_from_csv(s, len, NULL, &tbl, &d), FPY_OK);
    assert_int_equal(fpy_part_encode(&tbl, bin, sizeof bin, &d), FPY_OK);
    free(s);
    s = rows(95, &len);
    assert_int_equal(fpy_part_from_csv(s, len, NULL, &tbl, &d), FPY_OK);
    assert_int_equal(tbl.count, 95);
    assert_int_equal(fpy_part_encode(&tbl, bin, sizeof bin, &d), FPY_ERR_NOSPC);
    fpy_part_opts o = {0};
    o.no_md5 = 1;
    assert_int_equal(fpy_part_from_csv(s, len, &o, &tbl, &d), FPY_OK);
    assert_int_equal(fpy_part_encode(&tbl, bin, sizeof bin, &d), FPY_OK);
    free(s);
    s = rows(96, &len);
    assert_int_equal(fpy_part_from_csv(s, len, NULL, &tbl, &d), FPY_ERR_NOSPC);
    assert_int_equal(d.line, 96);
    assert_int_equal(d.index, 95);
    free(s);
}

static void test_syntax_errors_come_first(void **state)
{
    (void)state;
    /* Line 2 overlaps, line 3 is malformed: gen_esp32part parses every
     * line before it places any, so line 3 is the one reported. */
    expect_err("a,data,nvs,0x20000,4K\nb,data,nvs,0x9000,4K\nc,data,nvs,,4Q\n", FPY_ERR_CORRUPT,
               "size", 3);
}

/* Validate the table parsed from `text`; returns the first error. */
static int verify(const char *text, const fpy_part_opts *o, fpy_diag *d, size_t *n)
{
    fpy_part_issue is[16];
    assert_int_equal(parse_opts(text, o, d), FPY_OK);
    return fpy_part_validate(&tbl, o, is, 16, n, d);
}

static void expect_verify(const char *text, const fpy_part_opts *o, int err,
                          const char *field, uint32_t line)
{
    fpy_diag d;
    size_t n = 0;
    memset(&d, 0, sizeof d);
    int rc = verify(text, o, &d, &n);
    if (rc != err)
        fail_msg("%s: got %d (%s), want %d", text, rc, d.what ? d.what : "-", err);
    if (err != FPY_OK) {
        assert_string_equal(d.field, field);
        assert_int_equal(d.line, line);
    }
}

static void test_verify_alignment(void **state)
{
    (void)state;
    fpy_part_opts secure = {0};
    secure.secure_v1 = 1;
    expect_verify("a,app,factory,0x18000,64K\n", NULL, FPY_ERR_ALIGN, "offset", 1);
    expect_verify("a,app,factory,0x20000,64K\n", NULL, FPY_OK, NULL, 0);
    expect_verify("a,data,nvs,0x9800,4K\n", NULL, FPY_ERR_ALIGN, "offset", 1);
    expect_verify("a,data,nvs,0xa000,12K\n", NULL, FPY_OK, NULL, 0);
    expect_verify("x,data,phy,,4K\na,app,factory,,0x800\n", NULL, FPY_ERR_ALIGN, "size", 2);
    expect_verify("a,app,factory,,0x1000\n", NULL, FPY_OK, NULL, 0);
    expect_verify("a,app,factory,,0x1000\n", &secure, FPY_ERR_ALIGN, "size", 1);
    expect_verify("a,app,factory,,0x10000\n", &secure, FPY_OK, NULL, 0);
    expect_verify("a,data,spiffs,,1000\n", NULL, FPY_OK, NULL, 0); /* data sizes are free */
}

static void test_verify_table_rules(void **state)
{
    (void)state;
    fpy_part_opts flash4m = {0};
    flash4m.flash_size = 0x400000;
    expect_verify("a,data,ota,,8K,readonly\n", NULL, FPY_ERR_INVAL, "flags", 1);
    expect_verify("a,data,coredump,,64K,readonly\n", NULL, FPY_ERR_INVAL, "flags", 1);
    expect_verify("a,data,nvs,,64K,readonly\n", NULL, FPY_OK, NULL, 0);
    expect_verify("a,data,nvs,,12K\nb,data,nvs,,12K\na,data,nvs,,12K\n", NULL, FPY_ERR_EXISTS,
                  "label", 3);
    expect_verify("a,data,ota,,8K\nb,data,ota,,8K\n", NULL, FPY_ERR_EXISTS, "subtype", 2);
    expect_verify("a,data,ota,,4K\n", NULL, FPY_ERR_INVAL, "size", 1);
    expect_verify("a,data,ota,,8K\n", NULL, FPY_OK, NULL, 0);
    expect_verify("a,app,factory,0x10000,0x400000\n", &flash4m, FPY_ERR_RANGE, "size", 1);
    expect_verify("a,app,factory,0x10000,-0x400000\n", &flash4m, FPY_OK, NULL, 0);
}

static void test_verify_name_keyword_warnings(void **state)
{
    (void)state;
    fpy_diag d;
    fpy_part_issue is[8];
    size_t n = 0;
    /* Names equal to a keyword of something else: warnings, not errors. */
    assert_int_equal(parse("nvs,data,phy,,4K\ndata,app,factory,,64K\nota_0,app,ota_0,,64K\n"
                           "Nvs,data,phy,,4K\n",
                           &d),
                     FPY_OK);
    assert_int_equal(fpy_part_validate(&tbl, NULL, is, 8, &n, &d), FPY_OK);
    assert_int_equal(n, 2);
    assert_int_equal(is[0].severity, FPY_PART_WARNING);
    assert_int_equal(is[0].diag.line, 1);
    assert_int_equal(is[1].diag.line, 2);
    assert_int_equal(is[1].rule, FPY_PART_RULE_GEN);
}

static void test_to_csv_formats(void **state)
{
    (void)state;
    fpy_part_table t;
    char out[FPY_PART_CSV_MAX];
    size_t len = 0;
    memset(&t, 0, sizeof t);
    static const fpy_part_entry e[] = {
        {0xABC000, 1000, 0, 0, 0x40, 0x99, 0, "a"},
        {0x100000, 0, 0, 0, 1, 0x06, 0, "b"},
        {0x101000, 0x1400, FPY_PART_FLAG_READONLY, 0, 1, 0x02, 0, "c"},
        {0x110000, 0x300000, 3, 0, 0, 0x1F, 0, "d"},
        {0x410000, 0x10000, 0x10, 0, 0, 0x21, 0, "e"},
        {0x420000, 0x1001, 0, 0, 0xFF, 0xFF, 0, "f"},
    };
    memcpy(t.entries, e, sizeof e);
    t.count = 6;
    assert_int_equal(fpy_part_to_csv(&t, NULL, out, sizeof out, &len), FPY_OK);
    static const char want[] = "# ESP-IDF Partition Table\n"
                               "# Name, Type, SubType, Offset, Size, Flags\n"
                               "a,64,153,0xabc000,0x3e8,\n"
                               "b,data,undefined,0x100000,0M,\n"
                               "c,data,nvs,0x101000,5K,readonly\n"
                               "d,app,ota_15,0x110000,3M,encrypted:readonly\n"
                               "e,app,33,0x410000,64K,\n"
                               "f,255,255,0x420000,0x1001,\n";
    assert_int_equal(len, strlen(want));
    assert_memory_equal(out, want, len);
}

/* A CSV with every feature: parse -> encode -> decode -> to_csv -> parse
 * -> encode gives the same bytes. */
static void test_every_feature_round_trip(void **state)
{
    (void)state;
    static const char csv[] = "# every feature\n"
                              "\n"
                              "  nvs , DATA , Nvs , , 0x4000 ,\r\n"
                              "otadata,data,ota,,8k,\n"
                              "phy_init,data,phy,0xf000,4K,\n"
                              "factory,app,factory,,1M,encrypted\n"
                              "ota_0,0x00,ota_0,0x120000,-0x220000,\n"
                              "ota_1,app,0x11,,0b1_0000_0000_0000_0000_0000\n"
                              "bytecode,data,0x40,,0o2000000,readonly\n"
                              "vmstore,data,65,0x3a0000,4K,readonly:encrypted\n"
                              "custom,0x80,,,1000,\n"
                              "0123456789abcdefghi,data,spiffs,,1m,,ignored\n";
    fpy_part_table t1, t2, t3;
    uint8_t b1[FPY_PART_TABLE_LEN], b2[FPY_PART_TABLE_LEN];
    char out[FPY_PART_CSV_MAX];
    size_t len = 0;
    fpy_diag d;
    assert_int_equal(fpy_part_from_csv(csv, strlen(csv), NULL, &t1, &d), FPY_OK);
    assert_int_equal(t1.count, 10);
    assert_int_equal(t1.entries[4].offset, 0x120000);
    assert_int_equal(t1.entries[4].size, 0x100000);
    assert_int_equal(t1.entries[5].offset, 0x220000);
    assert_int_equal(t1.entries[8].subtype, 0x06);
    assert_int_equal(fpy_part_encode(&t1, b1, sizeof b1, &d), FPY_OK);
    assert_int_equal(fpy_part_decode(b1, sizeof b1, &t2, &d), FPY_OK);
    assert_int_equal(fpy_part_to_csv(&t2, NULL, out, sizeof out, &len), FPY_OK);
    assert_int_equal(fpy_part_from_csv(out, len, NULL, &t3, &d), FPY_OK);
    assert_int_equal(fpy_part_encode(&t3, b2, sizeof b2, &d), FPY_OK);
    assert_memory_equal(b1, b2, sizeof b1);
}


/* ---- ESP-IDF 5.5: gen_esp32part v5.5.1 ----------------------------------------- */

/*
 * CSV -> checked table -> binary, compared with the SHA-256 of what
 * gen_esp32part.py v5.5.1 wrote for the same text and options
 * (`python3 gen_esp32part.py [OPTIONS] in.csv out.bin; sha256sum out.bin`,
 * ESP-IDF tag v5.5.1).
 */
static void expect_table_sha(const char *csv, const fpy_part_opts *o, const char *hex)
{
    uint8_t bin[FPY_PART_TABLE_LEN], want[32], got[32];
    fpy_part_issue is[16];
    fpy_diag d;
    size_t n = 0;
    memset(&d, 0, sizeof d);
    if (parse_opts(csv, o, &d) != FPY_OK)
        fail_msg("refused: %s (line %u)", d.what ? d.what : "-", (unsigned)d.line);
    assert_int_equal(fpy_part_check(&tbl, o, is, 16, &n, &d), FPY_OK);
    assert_int_equal(fpy_part_encode(&tbl, bin, sizeof bin, &d), FPY_OK);
    fpy_test_unhex(hex, want, sizeof want);
    assert_int_equal(fpy_sha256_buf(bin, sizeof bin, got), FPY_OK);
    assert_memory_equal(got, want, sizeof want);
}

/* to_csv of the table in `tbl`, exactly `want`. */
static void expect_csv(const fpy_part_opts *o, const char *want)
{
    static char out[FPY_PART_CSV_MAX];
    size_t len = 0;
    assert_int_equal(fpy_part_to_csv(&tbl, o, out, sizeof out, &len), FPY_OK);
    if (len != strlen(want) || memcmp(out, want, len) != 0)
        fail_msg("to_csv gave:\n%.*s", (int)len, out);
}

#define FPY_CSV_HEAD "# ESP-IDF Partition Table\n# Name, Type, SubType, Offset, Size, Flags\n"

/* The rows of ESP-IDF 5.5's partitions_two_ota_tee.csv and
 * partitions_singleapp_tee.csv, which 2677874 refused. */
static void test_idf55_tee_sample_tables(void **state)
{
    (void)state;
    expect_table_sha("tee_0,          app,   tee_0,       , 192K,\n"
                     "tee_1,          app,   tee_1,       , 192K,\n"
                     "tee_otadata,    data,  tee_ota,     , 8K,\n"
                     "secure_storage, data,  nvs,         , 56K,\n"
                     "ota_0,          app,   ota_0,       , 1536K,\n"
                     "ota_1,          app,   ota_1,       , 1536K,\n"
                     "otadata,        data,  ota,         , 8K,\n"
                     "nvs,            data,  nvs,         , 24K,\n"
                     "phy_init,       data,  phy,         , 4K,\n",
                     NULL, "883be03f33444f90c55145666fcf819ef1354a55446fb005d8c411adb37d9c4c");
    expect_csv(NULL, FPY_CSV_HEAD "tee_0,app,tee_0,0x10000,192K,\n"
                                  "tee_1,app,tee_1,0x40000,192K,\n"
                                  "tee_otadata,data,tee_ota,0x70000,8K,\n"
                                  "secure_storage,data,nvs,0x72000,56K,\n"
                                  "ota_0,app,ota_0,0x80000,1536K,\n"
                                  "ota_1,app,ota_1,0x200000,1536K,\n"
                                  "otadata,data,ota,0x380000,8K,\n"
                                  "nvs,data,nvs,0x382000,24K,\n"
                                  "phy_init,data,phy,0x388000,4K,\n");
    expect_table_sha("tee,            app,   tee_0,       , 192K,\n"
                     "secure_storage, data,  nvs,         , 64K,\n"
                     "factory,        app,   factory,     , 1536K,\n"
                     "nvs,            data,  nvs,         , 24K,\n"
                     "phy_init,       data,  phy,         , 4K,\n",
                     NULL, "1251f930b8a2ec0b50befddd8085af9457fa6b94284de1f03494e597a808d95a");
    assert_int_equal(parse("a,APP,TEE_1,,64K\n", NULL), FPY_OK); /* keywords fold case */
    assert_int_equal(tbl.entries[0].subtype, 0x31);
}

static void test_tee_otadata_rules(void **state)
{
    (void)state;
    expect_verify("a,data,tee_ota,,8K\nb,data,tee_ota,,8K\n", NULL, FPY_ERR_EXISTS, "subtype", 2);
    expect_verify("a,data,tee_ota,,4K\n", NULL, FPY_ERR_INVAL, "size", 1);
    expect_verify("a,data,tee_ota,,8K,readonly\n", NULL, FPY_OK, NULL, 0);
    /* One otadata and one TEE otadata may sit side by side. */
    expect_verify("a,data,ota,,8K\nb,data,tee_ota,,8K\n", NULL, FPY_OK, NULL, 0);
}

static void test_nvs_read_write_minimum(void **state)
{
    (void)state;
    expect_verify("a,data,nvs,,8K\n", NULL, FPY_ERR_RANGE, "size", 1);
    expect_verify("a,data,nvs,,0x2fff\n", NULL, FPY_ERR_RANGE, "size", 1);
    expect_verify("a,data,nvs,,8K,readonly\n", NULL, FPY_OK, NULL, 0);
    expect_verify("a,data,nvs,,12K\n", NULL, FPY_OK, NULL, 0);
    expect_verify("a,data,nvs_keys,,4K\n", NULL, FPY_OK, NULL, 0); /* only data/nvs */
}

static const char bootloader_csv[] = "bootloader,bootloader,primary,N/A,N/A,\n"
                                     "partition_table,partition_table,primary,N/A,N/A,\n"
                                     "nvs,data,nvs,,0x6000,\n"
                                     "otadata,data,ota,,0x2000,\n"
                                     "phy_init,data,phy,,0x1000,\n"
                                     "factory,app,factory,,1M,\n"
                                     "recovery,bootloader,recovery,N/A,N/A,\n"
                                     "ota_0,app,ota_0,,1M,\n"
                                     "pt_ota,partition_table,ota,,N/A,\n"
                                     "bl_ota,bootloader,ota,,N/A,\n";

static void test_bootloader_and_partition_table_entries(void **state)
{
    (void)state;
    fpy_part_opts o = {0};
    o.has_primary_bootloader = 1;
    o.primary_bootloader = 0x1000;
    o.has_recovery_bootloader = 1;
    o.recovery_bootloader = 0x3F0000;
    /* --primary-bootloader-offset 0x1000 --recovery-bootloader-offset 0x3f0000 */
    expect_table_sha(bootloader_csv, &o,
                     "d74d721074757c4b6c6ede60e57f54f6f4506e04f27aab432d40efaa8f5338e2");
    /* The primary entries come from the options and do not move the next
     * free offset; the other bootloader entries are placed like data. */
    expect_csv(&o, FPY_CSV_HEAD "bootloader,bootloader,primary,0x1000,28K,\n"
                                "partition_table,partition_table,primary,0x8000,4K,\n"
                                "nvs,data,nvs,0x9000,24K,\n"
                                "otadata,data,ota,0xf000,8K,\n"
                                "phy_init,data,phy,0x11000,4K,\n"
                                "factory,app,factory,0x20000,1M,\n"
                                "recovery,bootloader,recovery,0x3f0000,28K,\n"
                                "ota_0,app,ota_0,0x400000,1M,\n"
                                "pt_ota,partition_table,ota,0x500000,4K,\n"
                                "bl_ota,bootloader,ota,0x501000,28K,\n");
    /* Numbers work as the keywords; an empty subtype is "undefined". */
    assert_int_equal(parse_opts("b,2,0,,\nt,3,,,\n", &o, NULL), FPY_OK);
    assert_int_equal(tbl.entries[0].offset, 0x1000);
    assert_int_equal(tbl.entries[1].subtype, 0x06);
    assert_int_equal(tbl.entries[1].offset, 0x9000);
    assert_int_equal(tbl.entries[1].size, 0x1000);
    /* Without the options a bootloader entry cannot be placed. */
    expect_err("a,data,nvs,,12K\nbootloader,bootloader,primary,,\n", FPY_ERR_INVAL, "offset", 2);
    expect_err("r,bootloader,recovery,,\n", FPY_ERR_INVAL, "offset", 1);
    expect_err("b,bootloader,ota,,\n", FPY_ERR_INVAL, "size", 1);
    /* Only the primary entries may sit below the table. */
    o.table_offset = 0x10000;
    expect_verify("t,partition_table,primary,,\nb,bootloader,primary,,\n", &o, FPY_OK, NULL, 0);
    fpy_part_issue is[4];
    size_t n = 0;
    assert_int_equal(parse_opts("b,bootloader,primary,,\n", &o, NULL), FPY_OK);
    tbl.entries[0].subtype = 1; /* bootloader/ota at 0x1000: a table no CSV makes */
    tbl.entries[0].line = 0;
    assert_int_equal(fpy_part_validate(&tbl, &o, is, 4, &n, NULL), FPY_ERR_RANGE);
    /* The primary bootloader must be below the table. */
    o.primary_bootloader = 0x10000;
    fpy_diag d;
    assert_int_equal(parse_opts("a,data,nvs,,12K\n", &o, &d), FPY_ERR_INVAL);
    assert_string_equal(d.field, "primary_bootloader");
}

static void test_byte_order_mark(void **state)
{
    (void)state;
    /* A UTF-8 BOM, CRLF lines (gen_esp32part 5.5 decodes as utf-8-sig). */
    expect_table_sha("\xef\xbb\xbf# Name, Type, SubType, Offset, Size, Flags\r\n"
                     "nvs,data,nvs,,24K,\r\nfactory,app,factory,,1M,\r\n",
                     NULL, "4d02417ef1902b866e90e7d2e4a5824aa415d01561e70d71c5bb62541716cee0");
    assert_int_equal(parse("\xef\xbb\xbfnvs,data,nvs,,24K\n", NULL), FPY_OK);
    assert_string_equal(tbl.entries[0].label, "nvs");
    expect_err("\xef\xbb\xbfnvs,data,nvs,,24K\nx,data,nvs,,24Q\n", FPY_ERR_CORRUPT, "size", 2);
    /* Only the first one is a BOM; a second is part of the name. */
    assert_int_equal(parse("\xef\xbb\xbf\xef\xbb\xbfnvs,data,nvs,,24K\n", NULL), FPY_OK);
    assert_string_equal(tbl.entries[0].label, "\xef\xbb\xbfnvs");
    /* UTF-16 (which gen_esp32part 5.5 would decode) is refused. */
    static const char utf16[] = "\xff\xfen\0,\0";
    fpy_diag d;
    assert_int_equal(fpy_part_from_csv(utf16, sizeof utf16 - 1, NULL, &tbl, &d),
                     FPY_ERR_UNSUPPORTED);
}

static void extra(fpy_part_extra *x, const char *text)
{
    fpy_diag d;
    if (fpy_part_extra_parse(text, strlen(text), x, &d) != FPY_OK)
        fail_msg("'%s' refused: %s", text, d.what);
}

static void test_extra_subtypes(void **state)
{
    (void)state;
    fpy_part_extra x[3];
    fpy_part_opts o = {0};
    fpy_diag d;
    extra(&x[0], "app,my_app,40");
    assert_int_equal(x[0].type, FPY_PTYPE_APP);
    assert_int_equal(x[0].subtype, 0x40);
    assert_string_equal(x[0].name, "my_app");
    extra(&x[1], " data , my_data , 0x41 , ignored");
    /* --extra-partition-subtypes app,my_app,40 data,my_data,41 */
    o.extra = x;
    o.extra_count = 2;
    assert_int_equal(fpy_part_opts_check(&o, &d), FPY_OK);
    expect_table_sha("nvs,data,nvs,,24K,\nfw,app,my_app,,1M,\ncfg,data,MY_DATA,,4K,\n", &o,
                     "3d240f988fc07e6a2d53aad7c6e4ce42b6b2fb8ebc591d5c5e7b1ea5eb0178c2");
    expect_csv(&o, FPY_CSV_HEAD "nvs,data,nvs,0x9000,24K,\nfw,app,my_app,0x10000,1M,\n"
                                "cfg,data,my_data,0x110000,4K,\n");
    /* Without the option the keyword is unknown. */
    expect_err("fw,app,my_app,,1M\n", FPY_ERR_CORRUPT, "subtype", 1);
    /* A value the type has already is refused, counting earlier extras. */
    extra(&x[2], "app,other,0x40");
    o.extra_count = 3;
    assert_int_equal(fpy_part_opts_check(&o, &d), FPY_ERR_EXISTS);
    assert_int_equal(d.index, 2);
    extra(&x[0], "app,again,20"); /* "test" */
    o.extra_count = 1;
    assert_int_equal(fpy_part_opts_check(&o, &d), FPY_ERR_EXISTS);
    /* A known name gets a new value (a dict assignment), freeing the old. */
    extra(&x[0], "app,test,21");
    extra(&x[1], "app,was_test,20");
    o.extra_count = 2;
    assert_int_equal(fpy_part_opts_check(&o, &d), FPY_OK);
    assert_string_equal(fpy_part_subtype_keyword(&o, FPY_PTYPE_APP, 0x21), "test");
    assert_string_equal(fpy_part_subtype_keyword(&o, FPY_PTYPE_APP, 0x20), "was_test");
    /* The text is lower-cased before the look-up, the keyword is not: an
     * upper-case extra can be printed but never read. */
    extra(&x[0], "data,Mixed,44");
    o.extra_count = 1;
    expect_err("m,data,Mixed,,4K\n", FPY_ERR_CORRUPT, "subtype", 1);
    assert_string_equal(fpy_part_subtype_keyword(&o, FPY_PTYPE_DATA, 0x44), "Mixed");
    /* Entries fipy refuses. */
    static const char *const bad[] = {"app,x", "custom,x,40", "APP,x,40", "app,my-app,40",
                                      "app,,40", "app,x,100", "app,x,-1", "app,x,0o7"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (fpy_part_extra_parse(bad[i], strlen(bad[i]), &x[0], &d) != FPY_ERR_INVAL)
            fail_msg("'%s' accepted", bad[i]);
}

static void test_extra_subtypes_in_name_warnings(void **state)
{
    (void)state;
    fpy_part_extra x;
    fpy_part_opts o = {0};
    fpy_part_issue is[4];
    size_t n = 0;
    extra(&x, "app,my_app,40");
    o.extra = &x;
    o.extra_count = 1;
    /* verify()'s all_subtype_names has the extra keywords too. */
    assert_int_equal(parse_opts("my_app,data,nvs,,12K\nprimary,data,nvs,,12K\n", &o, NULL),
                     FPY_OK);
    assert_int_equal(fpy_part_validate(&tbl, &o, is, 4, &n, NULL), FPY_OK);
    assert_int_equal(n, 2);
    assert_int_equal(is[0].severity, FPY_PART_WARNING);
    assert_int_equal(is[1].diag.line, 2);
}

static void test_no_verify_checks_only_the_flash(void **state)
{
    (void)state;
    fpy_part_opts o = {0};
    o.no_verify = 1;
    expect_verify("a,app,factory,0x18000,64K\nb,data,ota,,4K,readonly\n", &o, FPY_OK, NULL, 0);
    o.flash_size = 0x400000;
    expect_verify("a,app,factory,0x18000,64K\nb,data,ota,,4M\n", &o, FPY_ERR_RANGE, "size", 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_comments_and_blank_lines),
        cmocka_unit_test(test_size_suffixes),
        cmocka_unit_test(test_python_int_rules),
        cmocka_unit_test(test_keywords_case_insensitive),
        cmocka_unit_test(test_empty_subtype),
        cmocka_unit_test(test_required_and_optional_fields),
        cmocka_unit_test(test_automatic_offsets),
        cmocka_unit_test(test_negative_size),
        cmocka_unit_test(test_explicit_offsets_ascend),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_env_vars_are_not_expanded),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_line_endings),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_value_ranges),
        cmocka_unit_test(test_row_limit),
        cmocka_unit_test(test_syntax_errors_come_first),
        cmocka_unit_test(test_verify_alignment),
        cmocka_unit_test(test_verify_table_rules),
        cmocka_unit_test(test_verify_name_keyword_warnings),
        cmocka_unit_test(test_to_csv_formats),
        cmocka_unit_test(test_every_feature_round_trip),
        cmocka_unit_test(test_idf55_tee_sample_tables),
        cmocka_unit_test(test_tee_otadata_rules),
        cmocka_unit_test(test_nvs_read_write_minimum),
        cmocka_unit_test(test_bootloader_and_partition_table_entries),
        cmocka_unit_test(test_byte_order_mark),
        cmocka_unit_test(test_extra_subtypes),
        cmocka_unit_test(test_extra_subtypes_in_name_warnings),
        cmocka_unit_test(test_no_verify_checks_only_the_flash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
