/* gen_esp32part CSV: each grammar rule with an accepted and a rejected
 * case, automatic placement, verify() rules, and exact to_csv output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    assert_int_equal(parse("0123456789abcdef,data,nvs,,4K\n", &d), FPY_OK);
    assert_string_equal(tbl.entries[0].label, "0123456789abcdef");
    assert_int_equal(tbl.entries[0].name_cut, 0);
    assert_int_equal(fpy_part_check(&tbl, NULL, is, 4, &n, NULL), FPY_OK);
    assert_int_equal(n, 0);
    /* Longer names are cut to 16 bytes, silently by the tool; fipy warns. */
    assert_int_equal(parse("\n0123456789abcdefXYZ,data,nvs,,4K\n", &d), FPY_OK);
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
    expect_err("\xef\xbb\xbfnvs,data,nvs,,4K\n", FPY_ERR_UNSUPPORTED, "text", 1);
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
    expect_verify("a,data,nvs,0xa000,4K\n", NULL, FPY_OK, NULL, 0);
    expect_verify("x,data,nvs,,4K\na,app,factory,,0x800\n", NULL, FPY_ERR_ALIGN, "size", 2);
    expect_verify("a,app,factory,,0x1000\n", NULL, FPY_OK, NULL, 0);
    expect_verify("a,app,factory,,0x1000\n", &secure, FPY_ERR_ALIGN, "size", 1);
    expect_verify("a,app,factory,,0x10000\n", &secure, FPY_OK, NULL, 0);
    expect_verify("a,data,nvs,,1000\n", NULL, FPY_OK, NULL, 0); /* data sizes are free */
}

static void test_verify_table_rules(void **state)
{
    (void)state;
    fpy_part_opts flash4m = {0};
    flash4m.flash_size = 0x400000;
    expect_verify("a,data,ota,,8K,readonly\n", NULL, FPY_ERR_INVAL, "flags", 1);
    expect_verify("a,data,coredump,,64K,readonly\n", NULL, FPY_ERR_INVAL, "flags", 1);
    expect_verify("a,data,nvs,,64K,readonly\n", NULL, FPY_OK, NULL, 0);
    expect_verify("a,data,nvs,,4K\nb,data,nvs,,4K\na,data,nvs,,4K\n", NULL, FPY_ERR_EXISTS,
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
    assert_int_equal(fpy_part_to_csv(&t, out, sizeof out, &len), FPY_OK);
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
    assert_int_equal(fpy_part_to_csv(&t2, out, sizeof out, &len), FPY_OK);
    assert_int_equal(fpy_part_from_csv(out, len, NULL, &t3, &d), FPY_OK);
    assert_int_equal(fpy_part_encode(&t3, b2, sizeof b2, &d), FPY_OK);
    assert_memory_equal(b1, b2, sizeof b1);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
