/* fipytool nvs: ESP-IDF NVS partitions (generate, dump, get, set, erase). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fipy/flash.h"
#include "hostio.h"
#include "nvs_gen.h"
#include "nvs_host.h"

#define FPY_NVS_CSV_LIMIT (64u << 20)
/* No partition is larger than the FiPy's 8 MiB flash. */
#define FPY_NVS_GEN_MAX FPY_FLASH_SIZE_8M
/* ESP-IDF writes an NVS partition of 3 pages or more; a smaller one must be
 * read-only (nvs_partition_gen.py: "Minimum partition size for read/write
 * NVS is 0x3000 bytes"). */
#define FPY_NVS_RW_MIN_PAGES 3u

static const char fpy_nvs_usage[] =
    "usage: fipytool nvs COMMAND [ARGS]\n\n"
    "ESP-IDF NVS partitions (format version 2, as nvs_flash reads and writes\n"
    "them).  FILE is a partition image, or a whole 8 MiB FiPy flash image, in\n"
    "which case the NVS partition at 0x9000 (16 KiB) is used.\n\n"
    "Commands:\n"
    "  gen CSV SIZE -o FILE             a partition from an nvs_partition_gen CSV\n"
    "  dump FILE [--json]               pages, namespaces, values and problems\n"
    "  get FILE NAMESPACE KEY           print one value\n"
    "  set FILE NAMESPACE KEY TYPE VALUE  write one value (in place)\n"
    "  erase FILE NAMESPACE KEY|--all   erase a key or a namespace's keys\n\n"
    "'fipytool nvs COMMAND --help' describes one command.\n"
    "Exit status: 0 ok, 1 failure, 2 usage error.\n";

static const char fpy_gen_usage[] =
    "usage: fipytool nvs gen CSV SIZE -o FILE [--version 1|2]\n\n"
    "Make an NVS partition image from the CSV that ESP-IDF's nvs_partition_gen.py\n"
    "(esp-idf-nvs-partition-gen 0.2.0) reads: a header line key,type,encoding,value,\n"
    "then rows of type namespace, data or file; encodings u8, i8, u16, i16, u32,\n"
    "i32, u64, i64, string, hex2bin, base64, binary, blob_fill(N;0xHH) and\n"
    "blob_sz_fill(N;0xHH).  The output is byte for byte what the Python tool\n"
    "writes for the same input, its quirks included (docs/formats/nvs.md).\n"
    "Paths of file rows are relative to the working directory, as in Python.\n\n"
    "  SIZE            partition size: a multiple of 0x1000 up to 0x800000 (0x1000\n"
    "                  and 0x2000 make a read-only partition: no reserved page, file\n"
    "                  not padded)\n"
    "  -o, --output F  output file (required; '-' for standard output)\n"
    "  --version N     2 (default): multi-page blobs; 1: single-page blobs\n";

static const char fpy_dump_usage[] =
    "usage: fipytool nvs dump FILE [--json] [--strict] [--offset OFF] [--size SIZE]\n\n"
    "Show an NVS partition: each page's state, sequence number, version and\n"
    "CRC; the namespaces and every value as a device would read them; and the\n"
    "problems found (entries written but never marked, bad CRCs, inconsistent\n"
    "headers, incomplete items, corrupt pages), each with its page, entry,\n"
    "field and offset.  A corrupt entry is reported and skipped.\n\n"
    "  --json         machine-readable output\n"
    "  --strict       exit 1 when there is any problem\n"
    "  --offset OFF   partition offset in FILE (default: 0x9000 in an 8 MiB\n"
    "                 flash image, else 0)\n"
    "  --size SIZE    partition size (default: 0x4000 in a flash image, else\n"
    "                 the rest of the file)\n";

static const char fpy_get_usage[] =
    "usage: fipytool nvs get FILE NAMESPACE KEY [-o OUT] [--offset OFF] [--size SIZE]\n\n"
    "Print one value: integers in decimal, strings as text, blobs as hex.\n"
    "With -o, write the value's bytes to OUT instead (a string without its NUL).\n";

static const char fpy_set_usage[] =
    "usage: fipytool nvs set FILE NAMESPACE KEY TYPE VALUE [--file] [--format]\n"
    "                        [--offset OFF] [--size SIZE]\n\n"
    "Write one value into the partition in FILE, as a device would (new item,\n"
    "then the old one erased; garbage collection when a page fills), and\n"
    "save FILE atomically.  The namespace is created if needed.\n"
    "TYPE is a CSV encoding: u8, i8, u16, i16, u32, i32, u64, i64, string,\n"
    "hex2bin, base64, binary, blob_fill(N;0xHH).  A negative VALUE needs no '--'.\n"
    "A partition of fewer than 3 pages (0x3000 bytes) is read-only.\n\n"
    "  --file     VALUE is a file whose bytes are converted with TYPE\n"
    "  --format   FILE (or its NVS area) holds no NVS partition yet: erase it\n"
    "             and start an empty one.  Without it such a file is refused;\n"
    "             with it a file that holds NVS pages is refused.\n";

static const char fpy_erase_usage[] =
    "usage: fipytool nvs erase FILE NAMESPACE (KEY | --all) [--offset OFF] [--size SIZE]\n\n"
    "Erase one key (a blob with its chunks), or with --all every key of the\n"
    "namespace, and save FILE atomically.\n";

static const fpy_cli_cmd fpy_gen_cmd = {"nvs gen", "", fpy_gen_usage, NULL};
static const fpy_cli_cmd fpy_dump_cmd = {"nvs dump", "", fpy_dump_usage, NULL};
static const fpy_cli_cmd fpy_get_cmd = {"nvs get", "", fpy_get_usage, NULL};
static const fpy_cli_cmd fpy_set_cmd = {"nvs set", "", fpy_set_usage, NULL};
static const fpy_cli_cmd fpy_erase_cmd = {"nvs erase", "", fpy_erase_usage, NULL};

typedef struct fpy_nopts {
    const char *out, *version, *offset, *size;
    int json, strict, all, file, format;
} fpy_nopts;

/* "fipytool: <msg>" on stderr; returns the failure exit status. */
static int fpy_nvs_fail(const char *msg)
{
    fprintf(stderr, "fipytool: %s\n", msg);
    return FPY_EXIT_FAIL;
}

/* ---- gen ------------------------------------------------------------------------ */

static int fpy_gen_run(void *ctx, int argc, char **argv)
{
    (void)ctx;
    fpy_nopts o = {0};
    const fpy_opt opts[] = {{"--output", 'o', &o.out, NULL}, {"--version", 0, &o.version, NULL}};
    char *pos[2];
    size_t npos = 0, len = 0;
    uint32_t size = 0, img_len = 0;
    int rc = FPY_CLI_PARSE(&fpy_gen_cmd, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos != 2)
        return fpy_cli_usage_error(&fpy_gen_cmd, "want CSV and SIZE");
    if ((rc = fpy_cli_number(&fpy_gen_cmd, "SIZE", pos[1], FPY_NUM_PLAIN, FPY_NVS_GEN_MAX,
                             &size)) != 0)
        return rc;
    if (size == 0 || size % 0x1000u != 0)
        return fpy_cli_usage_error(&fpy_gen_cmd, "SIZE must be a non-zero multiple of 0x1000, "
                                                 "not '%s'", pos[1]);
    if (o.out == NULL)
        return fpy_cli_usage_error(&fpy_gen_cmd, "-o FILE is required ('-' for stdout)");
    const char *const inputs[] = {pos[0]};
    if ((rc = fpy_cli_distinct(&fpy_gen_cmd, o.out, inputs, FPY_COUNTOF(inputs))) != 0)
        return rc;
    if (o.version != NULL && strcmp(o.version, "1") != 0 && strcmp(o.version, "2") != 0)
        return fpy_cli_usage_error(&fpy_gen_cmd, "--version wants 1 or 2");
    uint8_t version = o.version != NULL && o.version[0] == '1' ? FPY_NVS_VERSION_1
                                                                : FPY_NVS_VERSION_2;
    uint8_t *text = NULL, *img = NULL;
    char err[512];
    if (fpy_file_read(pos[0], FPY_NVS_CSV_LIMIT, &text, &len, err, sizeof err) != FPY_OK)
        return fpy_nvs_fail(err);
    rc = fpy_nvs_host_gen(pos[0], o.out, (const char *)text, len, size, version, &img, &img_len,
                          err, sizeof err);
    free(text);
    if (rc != FPY_OK)
        return fpy_nvs_fail(err);
    rc = fpy_file_write(o.out, img, img_len, err, sizeof err);
    free(img);
    return rc == FPY_OK ? FPY_EXIT_OK : fpy_nvs_fail(err);
}

/* ---- dump ------------------------------------------------------------------------- */

/* Load FILE at --offset/--size; 0 ok, else the exit status (reported). */
static int fpy_nvs_load(const fpy_cli_cmd *cmd, fpy_nvs_file *f, const char *path,
                        const fpy_nopts *o, int mode)
{
    uint32_t off = 0, size = 0;
    char err[512];
    fpy_nvs_file_init(f);
    int rc = fpy_cli_number(cmd, "--offset", o->offset, FPY_NUM_PLAIN, UINT32_MAX, &off);
    if (rc == 0)
        rc = fpy_cli_number(cmd, "--size", o->size, FPY_NUM_PLAIN, UINT32_MAX, &size);
    if (rc != 0)
        return rc;
    if (fpy_nvs_file_load(f, path, o->offset ? &off : NULL, o->size ? &size : NULL, mode, err,
                          sizeof err) != FPY_OK)
        return fpy_nvs_fail(err);
    return 0;
}

static int fpy_dump_run(void *ctx, int argc, char **argv)
{
    (void)ctx;
    fpy_nopts o = {0};
    const fpy_opt opts[] = {
        {"--json", 0, NULL, &o.json},       {"--strict", 0, NULL, &o.strict},
        {"--offset", 0, &o.offset, NULL},   {"--size", 0, &o.size, NULL},
    };
    char *pos[1];
    size_t npos = 0;
    int rc = FPY_CLI_PARSE(&fpy_dump_cmd, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos != 1)
        return fpy_cli_usage_error(&fpy_dump_cmd, "which image file?");
    fpy_nvs_file f;
    if ((rc = fpy_nvs_load(&fpy_dump_cmd, &f, pos[0], &o, FPY_FILE_READ)) != 0) {
        fpy_nvs_file_free(&f);
        return rc;
    }
    int problems = fpy_nvs_dump(stdout, &f, o.json);
    fpy_nvs_file_free(&f);
    if (!o.strict || problems == 0)
        return FPY_EXIT_OK;
    fprintf(stderr, "fipytool: %s: %d problem(s) in the NVS partition (--strict)\n", pos[0],
            problems);
    return FPY_EXIT_FAIL;
}

/* ---- get / set / erase -------------------------------------------------------------- */

/* 0 when the partition is big enough to be written, else 1 (reported). */
static int fpy_check_writable(const fpy_nvs_file *f)
{
    char where[96];
    uint32_t pages = f->size / FPY_NVS_PAGE_SIZE;
    if (pages >= FPY_NVS_RW_MIN_PAGES)
        return 0;
    fprintf(stderr, "fipytool: %s%s: an NVS partition that is written needs at least %u pages "
                    "(0x%x bytes); this one has %u (0x%x bytes), so it is read-only\n",
            f->path, fpy_nvs_file_where(f, where, sizeof where), FPY_NVS_RW_MIN_PAGES,
            FPY_NVS_RW_MIN_PAGES * FPY_NVS_PAGE_SIZE, (unsigned)pages, (unsigned)f->size);
    return FPY_EXIT_FAIL;
}

/* Load FILE and open its store; 0 ok, else the exit status (reported).
 * A writer holds FILE locked until fpy_nvs_file_free, and only writes
 * into an NVS partition or an erased area (--format: fpy_nvs_file_prepare). */
static int fpy_open_store(const fpy_cli_cmd *cmd, fpy_nvs_file *f, const char *path,
                          const fpy_nopts *o, int read_only)
{
    char where[96], err[1024];
    int rc = fpy_nvs_load(cmd, f, path, o, read_only ? FPY_FILE_READ : FPY_FILE_WRITE);
    if (rc == 0 && !read_only)
        rc = fpy_check_writable(f);
    if (rc == 0 && !read_only && fpy_nvs_file_prepare(f, o->format, err, sizeof err) != FPY_OK)
        rc = fpy_nvs_fail(err);
    if (rc != 0)
        return rc;
    rc = fpy_nvs_file_open(f, read_only);
    if (rc != FPY_OK) {
        fprintf(stderr, "fipytool: %s%s: the NVS partition does not mount: %s%s\n", path,
                fpy_nvs_file_where(f, where, sizeof where), fpy_strerror(rc),
                rc == FPY_ERR_NOSPC ? " (no free page: every page is in use)" : "");
        return FPY_EXIT_FAIL;
    }
    return 0;
}

static int fpy_store_error(const fpy_nvs_file *f, const char *ns, const char *key, int rc)
{
    const char *hint = rc == FPY_ERR_NOTFOUND ? ": no such key or namespace"
                       : rc == FPY_ERR_INVAL  ? ": bad name (1..15 characters) or value"
                       : rc == FPY_ERR_NOSPC  ? ": the partition is full"
                                              : "";
    fprintf(stderr, "fipytool: %s: %s/%s: %s%s\n", f->path, ns, key, fpy_strerror(rc), hint);
    return FPY_EXIT_FAIL;
}

static int fpy_get_raw(const fpy_nvs_handle *h, const fpy_nvs_info *info, const char *out)
{
    char err[512];
    size_t len = info->size;
    uint8_t *buf = malloc(len + 1u);
    int rc = buf == NULL ? FPY_ERR_NOSPC
             : info->type == FPY_NVS_TYPE_STR ? fpy_nvs_get_str(h, info->key, (char *)buf, &len)
             : info->type == FPY_NVS_TYPE_BLOB ? fpy_nvs_get_blob(h, info->key, buf, &len)
                                               : FPY_ERR_INVAL;
    if (rc == FPY_ERR_INVAL && buf != NULL) { /* integers: their little-endian bytes */
        uint64_t raw = 0;
        rc = fpy_nvs_get_int(h, info->key, (fpy_nvs_type)info->type, &raw);
        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)(raw >> (8u * i));
    }
    if (rc == FPY_OK && info->type == FPY_NVS_TYPE_STR && len > 0 && buf[len - 1] == 0)
        len--;
    if (rc == FPY_OK && fpy_file_write(out, buf, len, err, sizeof err) != FPY_OK) {
        fprintf(stderr, "fipytool: %s\n", err);
        rc = FPY_ERR_IO;
    }
    free(buf);
    return rc;
}

static int fpy_get_value(fpy_nvs_file *f, char **pos, const char *out)
{
    fpy_nvs_handle h;
    fpy_nvs_info info = {0};
    fpy_nvs_type type;
    size_t size = 0;
    int rc = fpy_nvs_open(&f->nvs, pos[1], FPY_NVS_READONLY, &h);
    if (rc == FPY_OK)
        rc = fpy_nvs_get_size(&h, pos[2], &type, &size);
    if (rc != FPY_OK)
        return fpy_store_error(f, pos[1], pos[2], rc);
    snprintf(info.key, sizeof info.key, "%s", pos[2]);
    snprintf(info.ns_name, sizeof info.ns_name, "%s", pos[1]);
    info.type = (uint8_t)type;
    info.size = (uint32_t)size;
    rc = out != NULL ? fpy_get_raw(&h, &info, out) : fpy_nvs_print_value(stdout, &h, &info, 0);
    if (rc != FPY_OK)
        return fpy_store_error(f, pos[1], pos[2], rc);
    if (out == NULL)
        putchar('\n');
    return FPY_EXIT_OK;
}

static int fpy_get_run(void *ctx, int argc, char **argv)
{
    (void)ctx;
    fpy_nopts o = {0};
    const fpy_opt opts[] = {{"--output", 'o', &o.out, NULL},
                            {"--offset", 0, &o.offset, NULL},
                            {"--size", 0, &o.size, NULL}};
    char *pos[3];
    size_t npos = 0;
    int rc = FPY_CLI_PARSE(&fpy_get_cmd, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos != 3)
        return fpy_cli_usage_error(&fpy_get_cmd, "want FILE NAMESPACE KEY");
    const char *const inputs[] = {pos[0]};
    if ((rc = fpy_cli_distinct(&fpy_get_cmd, o.out, inputs, FPY_COUNTOF(inputs))) != 0)
        return rc;
    fpy_nvs_file f;
    if ((rc = fpy_open_store(&fpy_get_cmd, &f, pos[0], &o, 1)) == 0)
        rc = fpy_get_value(&f, pos, o.out);
    fpy_nvs_file_free(&f);
    return rc;
}

/* The store keeps C strings: the text up to its NUL (one is added). */
static int fpy_set_string(const fpy_nvs_handle *h, const char *key, const fpy_nvs_gen_val *v)
{
    size_t n = v->len > 0 && v->data[v->len - 1] == 0 ? v->len - 1 : v->len;
    if (memchr(v->data, 0, n) != NULL)
        return FPY_ERR_INVAL;
    char *s = malloc(n + 1u);
    if (s == NULL)
        return FPY_ERR_NOSPC;
    memcpy(s, v->data, n);
    s[n] = '\0';
    int rc = fpy_nvs_set_str(h, key, s);
    free(s);
    return rc;
}

/* TYPE and VALUE (or the bytes of the file VALUE names) through the CSV
 * conversion. */
static int fpy_set_value(fpy_nvs_file *f, char **pos, const uint8_t *data, size_t len,
                         int from_file)
{
    fpy_nvs_handle h;
    fpy_nvs_gen_val v;
    fpy_diag d = {0};
    char err[512], msg[384];
    uint8_t *scratch = malloc(len + f->size + 8u);
    int rc = scratch == NULL ? FPY_ERR_NOSPC
                             : fpy_nvs_gen_value(pos[3], strlen(pos[3]), data, len, from_file,
                                                 scratch, len + f->size + 8u, &v, &d);
    if (rc != FPY_OK) { /* a bad value is a usage error; one that does not fit, a failure */
        fpy_diag_format(&d, rc, msg, sizeof msg);
        fprintf(stderr, "fipytool: nvs set: %s: %s %s: %s\n", f->path, pos[3], pos[4], msg);
        rc = rc == FPY_ERR_NOSPC ? FPY_EXIT_FAIL : FPY_EXIT_USAGE;
    } else if ((rc = fpy_nvs_open(&f->nvs, pos[1], FPY_NVS_READWRITE, &h)) != FPY_OK ||
               (rc = fpy_nvs_type_is_int(v.type)
                         ? fpy_nvs_set_int(&h, pos[2], (fpy_nvs_type)v.type, v.raw)
                     : v.type == FPY_NVS_TYPE_STR ? fpy_set_string(&h, pos[2], &v)
                                                  : fpy_nvs_set_blob(&h, pos[2], v.data, v.len)) !=
                   FPY_OK) {
        rc = fpy_store_error(f, pos[1], pos[2], rc);
    } else if (fpy_nvs_file_save(f, err, sizeof err) != FPY_OK) {
        rc = fpy_nvs_fail(err);
    }
    free(scratch);
    return rc;
}

static int fpy_set_run(void *ctx, int argc, char **argv)
{
    (void)ctx;
    fpy_nopts o = {0};
    const fpy_opt opts[] = {{"--file", 0, NULL, &o.file},
                            {"--format", 0, NULL, &o.format},
                            {"--offset", 0, &o.offset, NULL},
                            {"--size", 0, &o.size, NULL}};
    char *pos[5], err[512];
    size_t npos = 0, len;
    uint8_t *file = NULL;
    int rc = FPY_CLI_PARSE(&fpy_set_cmd, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos != 5)
        return fpy_cli_usage_error(&fpy_set_cmd, "want FILE NAMESPACE KEY TYPE VALUE");
    /* the value's file first: no lock is held while another is awaited */
    len = strlen(pos[4]);
    if (o.file && fpy_file_read(pos[4], 16u << 20, &file, &len, err, sizeof err) != FPY_OK)
        return fpy_nvs_fail(err);
    fpy_nvs_file f;
    if ((rc = fpy_open_store(&fpy_set_cmd, &f, pos[0], &o, 0)) == 0)
        rc = fpy_set_value(&f, pos, o.file ? file : (const uint8_t *)pos[4], len, o.file);
    fpy_nvs_file_free(&f);
    free(file);
    return rc;
}

static int fpy_erase_in(fpy_nvs_file *f, char **pos, size_t npos, int all)
{
    fpy_nvs_handle h;
    char err[512];
    /* read-only first, so that a missing namespace is not created */
    int rc = fpy_nvs_open(&f->nvs, pos[1], FPY_NVS_READONLY, &h);
    if (rc == FPY_OK)
        rc = fpy_nvs_open(&f->nvs, pos[1], FPY_NVS_READWRITE, &h);
    if (rc == FPY_OK)
        rc = all ? fpy_nvs_erase_all(&h) : fpy_nvs_erase_key(&h, pos[2]);
    if (rc != FPY_OK)
        return fpy_store_error(f, pos[1], npos > 2 ? pos[2] : "*", rc);
    if (fpy_nvs_file_save(f, err, sizeof err) != FPY_OK)
        return fpy_nvs_fail(err);
    return FPY_EXIT_OK;
}

static int fpy_erase_run(void *ctx, int argc, char **argv)
{
    (void)ctx;
    fpy_nopts o = {0};
    const fpy_opt opts[] = {{"--all", 0, NULL, &o.all},
                            {"--offset", 0, &o.offset, NULL},
                            {"--size", 0, &o.size, NULL}};
    char *pos[3];
    size_t npos = 0;
    int rc = FPY_CLI_PARSE(&fpy_erase_cmd, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos != (o.all ? 2u : 3u))
        return fpy_cli_usage_error(&fpy_erase_cmd, "want FILE NAMESPACE KEY, or FILE "
                                                   "NAMESPACE --all");
    fpy_nvs_file f;
    if ((rc = fpy_open_store(&fpy_erase_cmd, &f, pos[0], &o, 0)) == 0)
        rc = fpy_erase_in(&f, pos, npos, o.all);
    fpy_nvs_file_free(&f);
    return rc;
}

/* ---- dispatch ------------------------------------------------------------------------- */

static int fpy_nvs_run(int argc, char **argv)
{
    static const fpy_cli_sub subs[] = {
        {"gen", fpy_gen_run, NULL},   {"dump", fpy_dump_run, NULL},   {"get", fpy_get_run, NULL},
        {"set", fpy_set_run, NULL},   {"erase", fpy_erase_run, NULL},
    };
    static const fpy_cli_subs s = {.cmd = &fpy_cmd_nvs, .sub = subs, .n = FPY_COUNTOF(subs)};
    return fpy_cli_dispatch(&s, argc, argv);
}

const fpy_cli_cmd fpy_cmd_nvs = {"nvs", "ESP-IDF NVS partitions: gen, dump, get, set, erase",
                                 fpy_nvs_usage, fpy_nvs_run};
