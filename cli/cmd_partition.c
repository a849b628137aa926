/* fipytool partition: ESP-IDF partition tables (binary and CSV). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fipy/bytes.h"
#include "fipy/flash.h"
#include "fipy/part.h"
#include "hostio.h"
#include "part_csv.h"

#define FPY_CSV_LIMIT (1u << 20) /* a CSV file bigger than 1 MiB is not a table */

static const char fpy_partition_usage[] =
    "usage: fipytool partition COMMAND [ARGS]\n\n"
    "ESP-IDF partition tables: the 0xC00-byte binary the bootloader reads at\n"
    "0x8000, and the CSV that ESP-IDF's gen_esp32part.py turns into it.\n\n"
    "Commands:\n"
    "  gen --layout nonble|ble -o FILE   the table of a FiPy layout\n"
    "  dump FILE [--json]                show a binary table and check it\n"
    "  from-csv CSV -o FILE              CSV to binary, as gen_esp32part does\n"
    "  to-csv FILE [-o OUT]              binary to CSV, as gen_esp32part does\n\n"
    "'fipytool partition COMMAND --help' describes one command.\n"
    "Exit status: 0 ok, 1 failure, 2 usage error.\n";

/* The options every table command shares, for the usage texts. */
#define FPY_TABLE_OPTS_HELP                                                       \
    "  --offset OFF       where the table lives (default 0x8000; partitions\n"     \
    "                     start at OFF + 0x1000 or later)\n"                       \
    "  --secure [v1|v2]   secure boot: with v1 (the default of a bare\n"         \
    "                     --secure) app sizes must be 64 KiB multiples\n"        \
    "  --primary-bootloader-offset OFF   where the bootloader is: the\n"         \
    "                     offset and size of 'bootloader' entries (the size\n"   \
    "                     is the table offset minus OFF); below --offset\n"      \
    "  --recovery-bootloader-offset OFF  the offset of a 'bootloader,\n"         \
    "                     recovery' entry\n"                                     \
    "  --extra-partition-subtypes TYPE,NAME,VALUE...  more subtype keywords,\n"  \
    "                     VALUE in hex (\"app,my_app,40\"); one or more entries\n" \
    "                     after the option, which may be repeated\n"

static const char fpy_gen_usage[] =
    "usage: fipytool partition gen --layout nonble|ble -o FILE [--no-md5]\n"
    "                              [--secure [v1|v2]]\n\n"
    "Write the ESP-IDF partition table of one of the FiPy's layouts: the\n"
    "areas that are partitions, in flash order, then the MD5 entry, padded\n"
    "with FF to 0xC00 bytes; the same bytes gen_esp32part.py writes for the\n"
    "CSV that 'to-csv' prints.  Flash it at 0x8000.\n\n"
    "  --layout NAME     nonble (non-BLE VMs) or ble (BLE VMs)\n"
    "  -o, --output F    output file (required; '-' for standard output)\n"
    "  --no-md5          leave out the MD5 entry (gen_esp32part --disable-md5sum)\n"
    "  --secure [v1|v2]  check the app sizes for secure boot (v1: 64 KiB\n"
    "                    multiples)\n";

static const char fpy_dump_usage[] =
    "usage: fipytool partition dump FILE [--json] [--flash-size SIZE]\n"
    "                               [TABLE OPTIONS]\n\n"
    "Decode a binary partition table (0xC00 bytes, or 0x1000 with the last\n"
    "1 KiB erased) and list its partitions: label, type, subtype, offset,\n"
    "size, flags, and the MD5 entry.  Then check it with the rules of\n"
    "gen_esp32part.py v5.5.1, the bootloader's and the app's; problems go to\n"
    "standard error as 'warning:' or 'error:'.  Exit 1 on an undecodable\n"
    "table or an error.\n\n"
    "  --json             machine-readable output (issues included)\n"
    "  --flash-size SIZE  flash every partition must fit: 4MB, 8M, 0x800000\n"
    "                     (default 8MB, the FiPy's; 0 to skip)\n"
    "Table options:\n" FPY_TABLE_OPTS_HELP;

static const char fpy_from_csv_usage[] =
    "usage: fipytool partition from-csv CSV -o FILE [--flash-size SIZE]\n"
    "              [--no-md5] [--no-verify] [TABLE OPTIONS]\n\n"
    "Turn a gen_esp32part CSV (Name, Type, SubType, Offset, Size, Flags)\n"
    "into the binary table, byte for byte as gen_esp32part.py v5.5.1 does,\n"
    "including automatic offsets, negative sizes, the bootloader and\n"
    "partition_table types and a UTF-8 byte order mark.  Environment\n"
    "variables ($NAME) are not expanded: such a line is an error.\n\n"
    "  -o, --output F     output file (required; '-' for standard output)\n"
    "  --flash-size SIZE  check that every partition fits (4MB, 8M, ...)\n"
    "  --no-md5           leave out the MD5 entry (--disable-md5sum)\n"
    "  --no-verify        skip gen_esp32part's verify() rules (the flash\n"
    "                     size is still checked, as the tool does)\n"
    "Table options:\n" FPY_TABLE_OPTS_HELP;

static const char fpy_to_csv_usage[] =
    "usage: fipytool partition to-csv FILE [-o OUT] [--flash-size SIZE]\n"
    "              [--no-verify] [TABLE OPTIONS]\n\n"
    "Print a binary partition table as CSV, exactly as gen_esp32part.py\n"
    "v5.5.1 prints it (subtypes by keyword, the extra ones included).  The\n"
    "table is verified first, as the tool does.\n\n"
    "  -o, --output F     output file (default '-': standard output)\n"
    "  --flash-size SIZE  check that every partition fits (4MB, 8M, ...)\n"
    "  --no-verify        skip gen_esp32part's verify() rules (the flash\n"
    "                     size is still checked, as the tool does)\n"
    "Table options:\n" FPY_TABLE_OPTS_HELP;

static const fpy_cli_cmd fpy_gen_cmd = {"partition gen", "", fpy_gen_usage, NULL};
static const fpy_cli_cmd fpy_dump_cmd = {"partition dump", "", fpy_dump_usage, NULL};
static const fpy_cli_cmd fpy_from_csv_cmd = {"partition from-csv", "", fpy_from_csv_usage, NULL};
static const fpy_cli_cmd fpy_to_csv_cmd = {"partition to-csv", "", fpy_to_csv_usage, NULL};

/* ---- shared pieces -------------------------------------------------------- */

#define FPY_MAX_EXTRA 32u /* --extra-partition-subtypes entries */

typedef struct fpy_popts {
    const char *out;
    const char *layout;
    const char *offset;
    const char *flash;
    const char *primary_bl;
    const char *recovery_bl;
    const char *secure; /* "v1" or "v2"; NULL: not given */
    int json;
    int no_md5;
    int no_verify;
    const char *extra_text[FPY_MAX_EXTRA];
    fpy_part_extra extra[FPY_MAX_EXTRA];
    size_t n_extra;
} fpy_popts;

/* The options dump, from-csv and to-csv share (besides --secure and
 * --extra-partition-subtypes, which fpy_take_special takes). */
#define FPY_TABLE_OPTS(p)                                                      \
    {"--offset", 0, &(p).offset, NULL},                                        \
        {"--primary-bootloader-offset", 0, &(p).primary_bl, NULL},             \
        {"--recovery-bootloader-offset", 0, &(p).recovery_bl, NULL}

/* The value options of the partition commands (for fpy_take_special). */
static int fpy_takes_value(const char *a)
{
    static const char *const names[] = {"-o", "--output", "--layout", "--offset",
                                        "--flash-size", "--primary-bootloader-offset",
                                        "--recovery-bootloader-offset"};
    for (size_t i = 0; i < FPY_COUNTOF(names); i++)
        if (strcmp(a, names[i]) == 0)
            return 1;
    return 0;
}

static int fpy_is_secure_level(const char *a)
{
    return strcmp(a, "v1") == 0 || strcmp(a, "v2") == 0;
}

/* --secure, --secure v1|v2, --secure=v1|v2 (gen_esp32part: nargs='?'). */
static int fpy_take_secure(const fpy_cli_cmd *cmd, int argc, char **argv, int *i, fpy_popts *p)
{
    const char *a = argv[*i];
    if (a[8] == '=') {
        if (!fpy_is_secure_level(a + 9))
            return fpy_cli_usage_error(cmd, "--secure takes v1 or v2, not '%s'", a + 9);
        p->secure = a + 9;
    } else if (*i + 1 < argc && fpy_is_secure_level(argv[*i + 1])) {
        p->secure = argv[++*i];
    } else {
        p->secure = "v1";
    }
    return 0;
}

/* --extra-partition-subtypes ENTRY... (gen_esp32part: nargs='*'): the
 * arguments that follow it and hold a comma, or one ENTRY after '='. */
static int fpy_take_extra(const fpy_cli_cmd *cmd, int argc, char **argv, int *i, fpy_popts *p)
{
    const char *eq = strchr(argv[*i], '=');
    size_t before = p->n_extra;
    while (eq != NULL || (*i + 1 < argc && argv[*i + 1][0] != '-' &&
                          strchr(argv[*i + 1], ',') != NULL)) {
        if (p->n_extra == FPY_MAX_EXTRA)
            return fpy_cli_usage_error(cmd, "more than %u extra subtypes",
                                       (unsigned)FPY_MAX_EXTRA);
        p->extra_text[p->n_extra++] = eq != NULL ? eq + 1 : argv[++*i];
        if (eq != NULL)
            break;
    }
    if (p->n_extra == before)
        return fpy_cli_usage_error(cmd, "--extra-partition-subtypes wants TYPE,NAME,VALUE "
                                        "entries");
    return 0;
}

/*
 * gen_esp32part's `--secure [v1|v2]` (an optional value) and
 * `--extra-partition-subtypes ENTRY...` (several values) do not fit the
 * shared option parser: take them out of argv before it runs.  The values
 * of the other options and everything after "--" are left alone.
 */
static int fpy_take_special(const fpy_cli_cmd *cmd, int extra_ok, int *argc, char **argv,
                            fpy_popts *p)
{
    int n = 1, rc = 0, i = 1;
    for (; i < *argc && rc == 0; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            break;
        if (strcmp(a, "--secure") == 0 || strncmp(a, "--secure=", 9) == 0)
            rc = fpy_take_secure(cmd, *argc, argv, &i, p);
        else if (extra_ok && strncmp(a, "--extra-partition-subtypes", 26) == 0 &&
                 (a[26] == '\0' || a[26] == '='))
            rc = fpy_take_extra(cmd, *argc, argv, &i, p);
        else if (fpy_takes_value(a) && i + 1 < *argc) {
            argv[n++] = argv[i++];
            argv[n++] = argv[i];
        } else
            argv[n++] = argv[i];
    }
    while (i < *argc)
        argv[n++] = argv[i++];
    *argc = n;
    return rc;
}

/* The extra subtypes' text into the library's form. */
static int fpy_parse_extras(const fpy_cli_cmd *cmd, fpy_popts *p)
{
    for (size_t i = 0; i < p->n_extra; i++) {
        fpy_diag d;
        const char *t = p->extra_text[i];
        if (fpy_part_extra_parse(t, strlen(t), &p->extra[i], &d) != FPY_OK)
            return fpy_cli_usage_error(cmd, "--extra-partition-subtypes '%s': %s", t, d.what);
    }
    return 0;
}

/* A sound set of options, as fpy_part_opts_check judges it. */
static int fpy_check_opts(const fpy_cli_cmd *cmd, const fpy_popts *p, const fpy_part_opts *o)
{
    fpy_diag d;
    if (fpy_part_opts_check(o, &d) == FPY_OK)
        return 0;
    if (d.has_index)
        return fpy_cli_usage_error(cmd, "--extra-partition-subtypes '%s': %s",
                                   p->extra_text[d.index], d.what);
    return fpy_cli_usage_error(cmd, "--primary-bootloader-offset %s: %s (0x%x)", p->primary_bl,
                               d.what, (unsigned)fpy_part_table_offset(o));
}

/* An optional offset option: *given and *out set when it is there. */
static int fpy_opt_offset(const fpy_cli_cmd *cmd, const char *name, const char *text,
                          uint8_t *given, uint32_t *out)
{
    int rc = fpy_cli_number(cmd, name, text, FPY_NUM_PLAIN, UINT32_MAX, out);
    *given = rc == 0 && text != NULL;
    return rc;
}

/* The numbers of the table options into the library's options. */
static int fpy_parse_numbers(const fpy_cli_cmd *cmd, const fpy_popts *p, fpy_part_opts *o)
{
    int rc = fpy_cli_number(cmd, "--offset", p->offset, FPY_NUM_PLAIN, UINT32_MAX,
                            &o->table_offset);
    if (rc == 0 && p->offset != NULL &&
        (o->table_offset == 0 || o->table_offset % FPY_PART_SECTOR != 0))
        return fpy_cli_usage_error(cmd, "--offset wants a non-zero multiple of 0x1000, "
                                        "not '%s'", p->offset);
    if (rc == 0)
        rc = fpy_cli_number(cmd, "--flash-size", p->flash, FPY_NUM_SIZE, UINT32_MAX,
                            &o->flash_size);
    if (rc == 0)
        rc = fpy_opt_offset(cmd, "--primary-bootloader-offset", p->primary_bl,
                            &o->has_primary_bootloader, &o->primary_bootloader);
    if (rc == 0)
        rc = fpy_opt_offset(cmd, "--recovery-bootloader-offset", p->recovery_bl,
                            &o->has_recovery_bootloader, &o->recovery_bootloader);
    return rc;
}

/* Every table option into the library's options, checked. */
static int fpy_table_opts(const fpy_cli_cmd *cmd, fpy_popts *p, fpy_part_opts *o,
                          uint32_t flash_default)
{
    memset(o, 0, sizeof *o);
    o->flash_size = flash_default;
    o->no_md5 = (uint8_t)p->no_md5;
    o->no_verify = (uint8_t)p->no_verify;
    o->secure_v1 = p->secure != NULL && strcmp(p->secure, "v1") == 0;
    int rc = fpy_parse_numbers(cmd, p, o);
    if (rc == 0)
        rc = fpy_parse_extras(cmd, p);
    o->extra = p->extra;
    o->extra_count = (uint32_t)p->n_extra;
    return rc != 0 ? rc : fpy_check_opts(cmd, p, o);
}

static const char *fpy_rule_name(uint8_t rule)
{
    switch (rule) {
    case FPY_PART_RULE_GEN: return "gen_esp32part";
    case FPY_PART_RULE_BOOT: return "bootloader";
    case FPY_PART_RULE_APP: return "app";
    default: return "fipy";
    }
}

/* A label for a terminal: printable ASCII as is, other bytes as \xNN. */
static void fpy_label_str(const char *label, char *out, size_t n)
{
    size_t k = 0;
    out[0] = '\0';
    for (const unsigned char *p = (const unsigned char *)label; *p && k + 5 < n; p++) {
        if (*p >= 0x20 && *p < 0x7F)
            out[k++] = (char)*p;
        else
            k += (size_t)snprintf(out + k, n - k, "\\x%02x", *p);
    }
    out[k] = '\0';
}

static void fpy_issue_text(const fpy_part_table *t, const fpy_part_issue *is,
                           char *out, size_t n)
{
    char msg[384], lab[4 * FPY_PART_LABEL_LEN + 1];
    fpy_diag_format(&is->diag, is->err, msg, sizeof msg);
    if (is->other != FPY_PART_NO_OTHER && is->other < t->count) {
        fpy_label_str(t->entries[is->other].label, lab, sizeof lab);
        snprintf(out, n, "%s; see entry %u '%s' [%s]", msg, (unsigned)is->other, lab,
                 fpy_rule_name(is->rule));
    }
    else
        snprintf(out, n, "%s [%s]", msg, fpy_rule_name(is->rule));
}

/* Validate and print every issue to stderr; 1 if there was an error. */
static int fpy_check(const char *file, const fpy_part_table *t, const fpy_part_opts *o,
                     fpy_part_issue *issues, size_t cap, size_t *n)
{
    int rc = fpy_part_check(t, o, issues, cap, n, NULL);
    size_t shown = *n < cap ? *n : cap;
    for (size_t i = 0; i < shown; i++) {
        char text[512];
        fpy_issue_text(t, &issues[i], text, sizeof text);
        fprintf(stderr, "fipytool: %s: %s: %s\n", file,
                issues[i].severity == FPY_PART_ERROR ? "error" : "warning", text);
    }
    return rc != FPY_OK;
}

static int fpy_write(const char *path, const void *buf, size_t len)
{
    char err[512];
    if (fpy_file_write(path, buf, len, err, sizeof err) != FPY_OK) {
        fprintf(stderr, "fipytool: %s\n", err);
        return FPY_EXIT_FAIL;
    }
    return FPY_EXIT_OK;
}

/* What gen_esp32part writes is 0xC00 bytes; a dump of the whole sector
 * is 0x1000 with the signature space erased. */
static int fpy_check_file_size(const char *file, const uint8_t *buf, size_t len)
{
    if (len == FPY_PART_TABLE_LEN)
        return 0;
    if (len == FPY_PART_SECTOR) {
        size_t i = FPY_PART_TABLE_LEN +
                   fpy_erased_prefix(buf + FPY_PART_TABLE_LEN, len - FPY_PART_TABLE_LEN);
        if (i < len) {
            fprintf(stderr, "fipytool: %s: byte at offset 0x%zx is 0x%02x: bytes "
                            "0xc00..0xfff must be erased (FF); signed tables are "
                            "not supported\n", file, i, buf[i]);
            return 1;
        }
        return 0;
    }
    fprintf(stderr, "fipytool: %s: %zu (0x%zx) bytes; a partition table file is 0xc00 "
                    "bytes, or 0x1000 with the last 0x400 erased\n", file, len, len);
    return 1;
}

static void fpy_report_md5(const char *file, const fpy_part_table *t)
{
    char a[2 * FPY_PART_MD5_LEN + 1], b[2 * FPY_PART_MD5_LEN + 1];
    fpy_hex(t->md5_stored, FPY_PART_MD5_LEN, a);
    fpy_hex(t->md5_computed, FPY_PART_MD5_LEN, b);
    fprintf(stderr, "fipytool: %s: MD5 entry holds %s, the entries hash to %s\n", file, a, b);
}

/* Read and decode a binary table file; 0 ok, 1 failure (reported). */
static int fpy_load_table(const char *file, fpy_part_table *t, size_t *size)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    char err[512];
    fpy_diag d;
    if (fpy_file_read(file, FPY_PART_SECTOR, &buf, &len, err, sizeof err) != FPY_OK) {
        fprintf(stderr, "fipytool: %s\n", err);
        return 1;
    }
    int rc = fpy_part_decode(buf, len, t, &d);
    if (rc != FPY_OK) {
        fpy_report(file, &d, rc);
        if (rc == FPY_ERR_CHECKSUM)
            fpy_report_md5(file, t);
    }
    int bad = rc != FPY_OK || fpy_check_file_size(file, buf, len);
    *size = len;
    free(buf);
    return bad;
}

/* ---- gen ------------------------------------------------------------------ */

static int fpy_gen_run(void *ctx, int argc, char **argv)
{
    (void)ctx;
    fpy_popts p = {0};
    const fpy_opt opts[] = {
        {"--layout", 0, &p.layout, NULL},
        {"--output", 'o', &p.out, NULL},
        {"--no-md5", 0, NULL, &p.no_md5},
    };
    size_t npos = 0;
    int rc = fpy_take_special(&fpy_gen_cmd, 0, &argc, argv, &p);
    if (rc != 0)
        return rc;
    rc = FPY_CLI_PARSE_NOPOS(&fpy_gen_cmd, argc, argv, opts, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    const fpy_layout *l = fpy_layout_find(p.layout);
    if (p.layout == NULL || l == NULL)
        return fpy_cli_usage_error(&fpy_gen_cmd, "--layout wants nonble or ble");
    if (p.out == NULL)
        return fpy_cli_usage_error(&fpy_gen_cmd, "-o FILE is required ('-' for stdout)");
    fpy_part_opts o = {0};
    o.no_md5 = (uint8_t)p.no_md5;
    o.secure_v1 = p.secure != NULL && strcmp(p.secure, "v1") == 0;
    o.flash_size = l->flash_size;
    fpy_part_table t;
    fpy_diag d;
    uint8_t bin[FPY_PART_TABLE_LEN];
    fpy_part_issue issues[16];
    size_t n = 0;
    if ((rc = fpy_part_from_layout(l, &o, &t, &d)) != FPY_OK ||
        (rc = fpy_part_encode(&t, bin, sizeof bin, &d)) != FPY_OK) {
        fpy_report(l->name, &d, rc);
        return FPY_EXIT_FAIL;
    }
    if (fpy_check(l->name, &t, &o, issues, 16, &n))
        return FPY_EXIT_FAIL;
    return fpy_write(p.out, bin, sizeof bin);
}

/* ---- dump ------------------------------------------------------------------- */

/* The subtype's name: ESP-IDF's keyword, fipy's own, or "-". */
static void fpy_subtype_str(const fpy_part_opts *o, const fpy_part_entry *e, char *out,
                            size_t n)
{
    const char *kw = fpy_part_subtype_keyword(o, e->type, e->subtype);
    const char *fk = fpy_part_fipy_subtype(e->type, e->subtype);
    if (kw != NULL)
        snprintf(out, n, "%s", kw);
    else if (fk != NULL)
        snprintf(out, n, "fipy:%s", fk);
    else
        snprintf(out, n, "-");
}

static void fpy_flags_str(uint32_t flags, char *out, size_t n)
{
    snprintf(out, n, "%s%s%s", (flags & FPY_PART_FLAG_ENCRYPTED) ? "encrypted" : "",
             (flags & FPY_PART_FLAG_ENCRYPTED) && (flags & FPY_PART_FLAG_READONLY) ? ":" : "",
             (flags & FPY_PART_FLAG_READONLY) ? "readonly" : "");
    if (out[0] == '\0')
        snprintf(out, n, "-");
    if (flags & ~FPY_PART_FLAGS_KNOWN) {
        size_t k = strlen(out);
        snprintf(out + k, n - k, " (0x%08x)", (unsigned)flags);
    }
}

static void fpy_size_str(uint32_t v, char *out, size_t n)
{
    if (v != 0 && v % 0x100000u == 0)
        snprintf(out, n, "%uM", (unsigned)(v >> 20));
    else if (v != 0 && v % 0x400u == 0)
        snprintf(out, n, "%uK", (unsigned)(v >> 10));
    else
        snprintf(out, n, "%u", (unsigned)v);
}

static void fpy_dump_text(const char *file, const fpy_part_table *t, const fpy_part_opts *o)
{
    printf("%s: ESP-IDF partition table, %u partition%s\n", file, (unsigned)t->count,
           t->count == 1 ? "" : "s");
    printf(" #  %-16s %-9s %-16s %-10s %-10s %-7s %s\n", "label", "type", "subtype", "offset",
           "size", "", "flags");
    for (uint32_t i = 0; i < t->count; i++) {
        const fpy_part_entry *e = &t->entries[i];
        const char *tk = fpy_part_type_keyword(e->type);
        char sub[48], fl[48], sz[16], ty[16], lab[4 * FPY_PART_LABEL_LEN + 1];
        fpy_label_str(e->label, lab, sizeof lab);
        fpy_subtype_str(o, e, sub, sizeof sub);
        fpy_flags_str(e->flags, fl, sizeof fl);
        fpy_size_str(e->size, sz, sizeof sz);
        snprintf(ty, sizeof ty, "%s", tk ? tk : "-");
        printf("%2u  %-16s %-4s 0x%02x %-11s 0x%02x 0x%08x 0x%08x %-7s %s\n", (unsigned)i,
               lab, ty, e->type, sub, e->subtype, (unsigned)e->offset, (unsigned)e->size,
               sz, fl);
    }
    char hex[2 * FPY_PART_MD5_LEN + 1];
    fpy_hex(t->md5_stored, FPY_PART_MD5_LEN, hex);
    if (t->has_md5)
        printf("MD5: ok (%s)\n", hex);
    else
        printf("MD5: absent\n");
}

/* JSON string of a label: ASCII as is, other bytes as \u00XX. */
static void fpy_json_label(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7F)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static void fpy_json_entry(const fpy_part_opts *o, const fpy_part_entry *e, uint32_t i)
{
    char sub[48], hex[2 * FPY_PART_LABEL_LEN + 1];
    const char *tk = fpy_part_type_keyword(e->type);
    fpy_subtype_str(o, e, sub, sizeof sub);
    fpy_hex((const uint8_t *)e->label, strlen(e->label), hex);
    printf("    {\"index\": %u, \"label\": ", (unsigned)i);
    fpy_json_label(e->label);
    printf(", \"label_hex\": \"%s\", \"type\": %u, \"type_name\": \"%s\", \"subtype\": %u, "
           "\"subtype_name\": \"%s\", \"offset\": %u, \"offset_hex\": \"0x%x\", \"size\": %u, "
           "\"size_hex\": \"0x%x\", \"flags\": %u, \"encrypted\": %s, \"readonly\": %s}",
           hex, e->type, tk ? tk : "-", e->subtype, sub, (unsigned)e->offset,
           (unsigned)e->offset, (unsigned)e->size, (unsigned)e->size, (unsigned)e->flags,
           (e->flags & FPY_PART_FLAG_ENCRYPTED) ? "true" : "false",
           (e->flags & FPY_PART_FLAG_READONLY) ? "true" : "false");
}

static void fpy_json_issue(const fpy_part_issue *is)
{
    char msg[384];
    fpy_diag_format(&is->diag, is->err, msg, sizeof msg);
    printf("    {\"severity\": \"%s\", \"rule\": \"%s\", \"entry\": ",
           is->severity == FPY_PART_ERROR ? "error" : "warning", fpy_rule_name(is->rule));
    if (is->diag.has_index)
        printf("%u", (unsigned)is->diag.index);
    else
        printf("null");
    printf(", \"field\": ");
    fpy_json_str(stdout, is->diag.field ? is->diag.field : "");
    printf(", \"message\": ");
    fpy_json_str(stdout, msg);
    printf("}");
}

static void fpy_dump_json(const char *file, size_t size, const fpy_part_table *t,
                          const fpy_part_opts *o, const fpy_part_issue *issues, size_t n)
{
    char hex[2 * FPY_PART_MD5_LEN + 1];
    size_t errors = 0;
    printf("{\n  \"file\": ");
    fpy_json_str(stdout, file);
    printf(",\n  \"size\": %zu,\n  \"count\": %u,\n  \"md5\": ", size, (unsigned)t->count);
    fpy_hex(t->md5_stored, FPY_PART_MD5_LEN, hex);
    if (t->has_md5)
        printf("{\"present\": true, \"ok\": true, \"value\": \"%s\"}", hex);
    else
        printf("{\"present\": false}");
    printf(",\n  \"entries\": [\n");
    for (uint32_t i = 0; i < t->count; i++) {
        fpy_json_entry(o, &t->entries[i], i);
        printf(i + 1 < t->count ? ",\n" : "\n");
    }
    printf("  ],\n  \"issues\": [\n");
    for (size_t i = 0; i < n; i++) {
        errors += issues[i].severity == FPY_PART_ERROR;
        fpy_json_issue(&issues[i]);
        printf(i + 1 < n ? ",\n" : "\n");
    }
    printf("  ],\n  \"errors\": %zu,\n  \"warnings\": %zu\n}\n", errors, n - errors);
}

#define FPY_MAX_ISSUES 256u

static int fpy_dump_run(void *ctx, int argc, char **argv)
{
    (void)ctx;
    fpy_popts p = {0};
    const fpy_opt opts[] = {
        {"--json", 0, NULL, &p.json},
        {"--flash-size", 0, &p.flash, NULL},
        FPY_TABLE_OPTS(p),
    };
    char *pos[1];
    size_t npos = 0, size = 0, n = 0;
    int rc = fpy_take_special(&fpy_dump_cmd, 1, &argc, argv, &p);
    if (rc != 0)
        return rc;
    rc = FPY_CLI_PARSE(&fpy_dump_cmd, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos != 1)
        return fpy_cli_usage_error(&fpy_dump_cmd, "which table file?");
    fpy_part_opts o;
    if ((rc = fpy_table_opts(&fpy_dump_cmd, &p, &o, FPY_FLASH_SIZE_8M)) != 0)
        return rc;
    static fpy_part_table t;
    static fpy_part_issue issues[FPY_MAX_ISSUES];
    if (fpy_load_table(pos[0], &t, &size))
        return FPY_EXIT_FAIL;
    int bad = fpy_check(pos[0], &t, &o, issues, FPY_MAX_ISSUES, &n);
    if (n > FPY_MAX_ISSUES)
        n = FPY_MAX_ISSUES;
    if (p.json)
        fpy_dump_json(pos[0], size, &t, &o, issues, n);
    else
        fpy_dump_text(pos[0], &t, &o);
    return bad ? FPY_EXIT_FAIL : FPY_EXIT_OK;
}

/* ---- from-csv / to-csv --------------------------------------------------------- */

static int fpy_from_csv_convert(const char *file, const char *text, size_t len,
                                const fpy_popts *p, const fpy_part_opts *o)
{
    static fpy_part_table t;
    static fpy_part_issue issues[FPY_MAX_ISSUES];
    uint8_t bin[FPY_PART_TABLE_LEN];
    fpy_diag d;
    size_t n = 0;
    int rc = fpy_part_from_csv(text, len, o, &t, &d);
    if (rc != FPY_OK) {
        fpy_report(file, &d, rc);
        return FPY_EXIT_FAIL;
    }
    if (fpy_check(file, &t, o, issues, FPY_MAX_ISSUES, &n))
        return FPY_EXIT_FAIL;
    if ((rc = fpy_part_encode(&t, bin, sizeof bin, &d)) != FPY_OK) {
        fpy_report(file, &d, rc);
        return FPY_EXIT_FAIL;
    }
    return fpy_write(p->out, bin, sizeof bin);
}

static int fpy_from_csv_run(void *ctx, int argc, char **argv)
{
    (void)ctx;
    fpy_popts p = {0};
    const fpy_opt opts[] = {
        {"--output", 'o', &p.out, NULL},     {"--flash-size", 0, &p.flash, NULL},
        {"--no-md5", 0, NULL, &p.no_md5},    {"--no-verify", 0, NULL, &p.no_verify},
        FPY_TABLE_OPTS(p),
    };
    char *pos[1];
    size_t npos = 0;
    int rc = fpy_take_special(&fpy_from_csv_cmd, 1, &argc, argv, &p);
    if (rc != 0)
        return rc;
    rc = FPY_CLI_PARSE(&fpy_from_csv_cmd, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos != 1)
        return fpy_cli_usage_error(&fpy_from_csv_cmd, "which CSV file?");
    if (p.out == NULL)
        return fpy_cli_usage_error(&fpy_from_csv_cmd, "-o FILE is required ('-' for stdout)");
    const char *const inputs[] = {pos[0]};
    if ((rc = fpy_cli_distinct(&fpy_from_csv_cmd, p.out, inputs, 1)) != 0)
        return rc;
    fpy_part_opts o;
    if ((rc = fpy_table_opts(&fpy_from_csv_cmd, &p, &o, 0)) != 0)
        return rc;
    uint8_t *buf = NULL;
    size_t len = 0;
    char err[512];
    if (fpy_file_read(pos[0], FPY_CSV_LIMIT, &buf, &len, err, sizeof err) != FPY_OK) {
        fprintf(stderr, "fipytool: %s\n", err);
        return FPY_EXIT_FAIL;
    }
    rc = fpy_from_csv_convert(pos[0], (const char *)buf, len, &p, &o);
    free(buf);
    return rc;
}

static int fpy_to_csv_run(void *ctx, int argc, char **argv)
{
    (void)ctx;
    fpy_popts p = {0};
    const fpy_opt opts[] = {
        {"--output", 'o', &p.out, NULL},
        {"--flash-size", 0, &p.flash, NULL},
        {"--no-verify", 0, NULL, &p.no_verify},
        FPY_TABLE_OPTS(p),
    };
    char *pos[1];
    size_t npos = 0, size = 0, n = 0, len = 0;
    int rc = fpy_take_special(&fpy_to_csv_cmd, 1, &argc, argv, &p);
    if (rc != 0)
        return rc;
    rc = FPY_CLI_PARSE(&fpy_to_csv_cmd, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos != 1)
        return fpy_cli_usage_error(&fpy_to_csv_cmd, "which table file?");
    const char *const inputs[] = {pos[0]};
    if ((rc = fpy_cli_distinct(&fpy_to_csv_cmd, p.out, inputs, 1)) != 0)
        return rc;
    fpy_part_opts o;
    if ((rc = fpy_table_opts(&fpy_to_csv_cmd, &p, &o, 0)) != 0)
        return rc;
    static fpy_part_table t;
    static fpy_part_issue issues[FPY_MAX_ISSUES];
    static char csv[FPY_PART_CSV_MAX];
    if (fpy_load_table(pos[0], &t, &size))
        return FPY_EXIT_FAIL;
    if (fpy_check(pos[0], &t, &o, issues, FPY_MAX_ISSUES, &n))
        return FPY_EXIT_FAIL;
    if (fpy_part_to_csv(&t, &o, csv, sizeof csv, &len) != FPY_OK) {
        fprintf(stderr, "fipytool: %s: CSV longer than %u bytes\n", pos[0],
                (unsigned)sizeof csv);
        return FPY_EXIT_FAIL;
    }
    return fpy_write(p.out ? p.out : "-", csv, len);
}

/* ---- dispatch --------------------------------------------------------------------- */

static int fpy_partition_run(int argc, char **argv)
{
    static const fpy_cli_sub subs[] = {
        {"gen", fpy_gen_run, NULL},
        {"dump", fpy_dump_run, NULL},
        {"from-csv", fpy_from_csv_run, NULL},
        {"to-csv", fpy_to_csv_run, NULL},
    };
    static const fpy_cli_subs sb = {.cmd = &fpy_cmd_partition, .sub = subs,
                                    .n = FPY_COUNTOF(subs)};
    return fpy_cli_dispatch(&sb, argc, argv);
}

const fpy_cli_cmd fpy_cmd_partition = {
    "partition", "ESP-IDF partition tables: gen, dump, from-csv, to-csv",
    fpy_partition_usage, fpy_partition_run};
