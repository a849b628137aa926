/*
 * `fipytool nvs dump`: an NVS partition in text or JSON.
 *
 * Two views, both from lib/nvs:
 *  - pages and entries, classified by the same functions the store's
 *    loader uses (nvs_format.h): page states, and every entry that is not
 *    sound (never marked, illegal state, bad CRC, inconsistent header,
 *    incomplete item, payload CRC mismatch), reported with its page, entry
 *    index, field and offset, and skipped;
 *  - namespaces and values as a device sees them: the store opened
 *    read-only, so duplicates, orphan chunks and broken blobs are settled
 *    by the device's own rules.
 * Nothing in the image is fatal: a page or entry that does not parse is
 * reported and the dump goes on.
 */
#include "nvs_host.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hostio.h"
#include "pytext.h"

typedef struct fpy_dump {
    FILE *out;
    fpy_nvs_file *f;
    int json;
    int problems;
    int first; /* JSON: no comma before the next element */
} fpy_dump;

static const char *fpy_pkind_name(uint8_t kind)
{
    static const char *const names[] = {"EMPTY", "ACTIVE", "FULL", "FREEING", "CORRUPT",
                                        "NEWER VERSION"};
    return kind < sizeof names / sizeof names[0] ? names[kind] : "?";
}

static const char *fpy_pwhy_name(fpy_nvs_pwhy why)
{
    switch (why) {
    case FPY_NVS_PW_NOT_ERASED: return "state is EMPTY but the page is written";
    case FPY_NVS_PW_BAD_CRC: return "header CRC mismatch";
    case FPY_NVS_PW_BAD_STATE: return "unknown state value";
    default: return "";
    }
}

static void fpy_dump_sep(fpy_dump *dp)
{
    if (!dp->first)
        fputs(",\n", dp->out);
    dp->first = 0;
}

/* ---- problems -------------------------------------------------------------------- */

static void fpy_dump_problem(fpy_dump *dp, uint32_t page, int entry, uint32_t off,
                             const char *what, const char *field)
{
    dp->problems++;
    if (dp->json) {
        fpy_dump_sep(dp);
        fprintf(dp->out, "    {\"page\": %u, \"entry\": ", (unsigned)page);
        if (entry >= 0)
            fprintf(dp->out, "%d", entry);
        else
            fputs("null", dp->out);
        fprintf(dp->out, ", \"offset\": %u, \"field\": ", (unsigned)off);
        fpy_json_str(dp->out, field ? field : "");
        fputs(", \"problem\": ", dp->out);
        fpy_json_str(dp->out, what);
        fputs("}", dp->out);
        return;
    }
    fprintf(dp->out, "  %s: page %u", dp->f->path, (unsigned)page);
    if (entry >= 0)
        fprintf(dp->out, " entry %d", entry);
    fprintf(dp->out, " (offset 0x%x): %s", (unsigned)off, what);
    if (field != NULL)
        fprintf(dp->out, " (field %s)", field);
    fputs(entry >= 0 ? "; skipped\n" : "\n", dp->out);
}

static uint32_t fpy_dump_entry_off(const fpy_dump *dp, uint32_t p, uint32_t i)
{
    return dp->f->off + p * FPY_NVS_PAGE_SIZE + FPY_NVS_FIRST_ENTRY + i * FPY_NVS_ENTRY_SIZE;
}

static void fpy_dump_check_payload(fpy_dump *dp, const uint8_t *page, uint32_t p, uint32_t i,
                                   const fpy_nvs_item *it)
{
    if (!fpy_nvs_type_is_varlen(it->type))
        return;
    uint32_t size = fpy_nvs_item_vsize(it);
    if (fpy_nvs_crc(fpy_nvs_page_entry(page, i + 1u), size) != fpy_nvs_item_vcrc(it))
        fpy_dump_problem(dp, p, (int)i, fpy_dump_entry_off(dp, p, i) + FPY_NVS_E_VCRC,
                         "payload CRC mismatch", "dataCrc32");
}

static void fpy_dump_page_entries(fpy_dump *dp, const uint8_t *page, uint32_t p,
                                  const fpy_nvs_page_view *v)
{
    const uint8_t *bm = page + FPY_NVS_BITMAP_OFFSET;
    fpy_nvs_item it;
    fpy_nvs_verdict verdict;
    const char *field;
    for (uint32_t i = 0, n = 1; i < FPY_NVS_ENTRY_COUNT; i += n) {
        n = fpy_nvs_classify(bm, v->next_free, i, fpy_nvs_page_entry(page, i), &it, &verdict,
                             &field);
        if (verdict == FPY_NVS_V_ITEM)
            fpy_dump_check_payload(dp, page, p, i, &it);
        else if (verdict != FPY_NVS_V_FREE && verdict != FPY_NVS_V_ERASED)
            fpy_dump_problem(dp, p, (int)i, fpy_dump_entry_off(dp, p, i),
                             fpy_nvs_verdict_name(verdict), field);
    }
}

static void fpy_dump_problems(fpy_dump *dp)
{
    for (uint32_t p = 0; p < dp->f->size / FPY_NVS_PAGE_SIZE; p++) {
        const uint8_t *page = dp->f->buf + dp->f->off + p * FPY_NVS_PAGE_SIZE;
        fpy_nvs_page_view v;
        fpy_nvs_page_parse(page, &v);
        if (v.kind == FPY_NVS_PK_CORRUPT)
            fpy_dump_problem(dp, p, -1, dp->f->off + p * FPY_NVS_PAGE_SIZE,
                             fpy_pwhy_name(v.why), v.why == FPY_NVS_PW_BAD_CRC ? "crc32" : "state");
        else if (v.kind == FPY_NVS_PK_NEWER)
            fpy_dump_problem(dp, p, -1, dp->f->off + p * FPY_NVS_PAGE_SIZE + FPY_NVS_HDR_VERSION,
                             "format version newer than 2", "version");
        else if (v.kind != FPY_NVS_PK_FREE)
            fpy_dump_page_entries(dp, page, p, &v);
    }
}

/* ---- pages --------------------------------------------------------------------------- */

static void fpy_dump_page(fpy_dump *dp, uint32_t p)
{
    const uint8_t *page = dp->f->buf + dp->f->off + p * FPY_NVS_PAGE_SIZE;
    fpy_nvs_page_view v;
    fpy_nvs_page_parse(page, &v);
    const char *sname = fpy_nvs_state_name(v.hdr.state);
    int crc_ok = v.hdr.crc_stored == v.hdr.crc_calc;
    if (dp->json) {
        fpy_dump_sep(dp);
        fprintf(dp->out, "    {\"index\": %u, \"offset\": %u, \"state\": %u, \"state_name\": \"%s\", "
                         "\"kind\": \"%s\", \"seq\": %u, \"version\": %u, \"crc_ok\": %s, "
                         "\"written\": %u, \"erased\": %u, \"empty\": %u, \"illegal\": %u, "
                         "\"next_free\": %u}",
                (unsigned)p, (unsigned)(dp->f->off + p * FPY_NVS_PAGE_SIZE), (unsigned)v.hdr.state,
                sname ? sname : "?", fpy_pkind_name((uint8_t)v.kind), (unsigned)v.hdr.seq,
                (unsigned)v.hdr.version, crc_ok ? "true" : "false",
                (unsigned)v.count[FPY_NVS_ES_WRITTEN], (unsigned)v.count[FPY_NVS_ES_ERASED],
                (unsigned)v.count[FPY_NVS_ES_EMPTY], (unsigned)v.count[FPY_NVS_ES_ILLEGAL],
                (unsigned)v.next_free);
        return;
    }
    fprintf(dp->out, "  page %u @0x%05x  ", (unsigned)p, (unsigned)(dp->f->off + p * 4096u));
    if (v.kind == FPY_NVS_PK_FREE) {
        fputs("EMPTY (erased)\n", dp->out);
        return;
    }
    if (sname != NULL)
        fprintf(dp->out, "%-8s", sname);
    else
        fprintf(dp->out, "0x%08x", (unsigned)v.hdr.state);
    fprintf(dp->out, " seq %-5u version %u (0x%02x) crc %s  written %u erased %u empty %u%s\n",
            (unsigned)v.hdr.seq, 256u - v.hdr.version, (unsigned)v.hdr.version,
            crc_ok ? "ok" : "BAD", (unsigned)v.count[FPY_NVS_ES_WRITTEN],
            (unsigned)v.count[FPY_NVS_ES_ERASED], (unsigned)v.count[FPY_NVS_ES_EMPTY],
            v.kind == FPY_NVS_PK_CORRUPT ? "  [corrupt: reused after an erase]" : "");
}

/* ---- values ------------------------------------------------------------------------------ */

/* A string for people or JSON: valid UTF-8 as it is, other bytes escaped
 * (\xNN in text, \u00NN in JSON, which keeps the JSON valid). */
static void fpy_dump_text_bytes(FILE *out, const uint8_t *b, size_t n, int json)
{
    int utf8 = fpy_py_utf8_valid(b, n);
    fputc('"', out);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = b[i];
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c < 0x20 || c == 0x7F || (!utf8 && c >= 0x80))
            fprintf(out, json ? "\\u%04x" : "\\x%02x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

static int fpy_print_int(FILE *out, const fpy_nvs_handle *h, const fpy_nvs_info *info)
{
    uint64_t raw = 0;
    FPY_TRY(fpy_nvs_get_int(h, info->key, (fpy_nvs_type)info->type, &raw));
    if ((info->type & 0x10u) == 0) {
        fprintf(out, "%" PRIu64, raw);
        return FPY_OK;
    }
    uint32_t bits = 8u * (info->type & 0x0Fu);
    int64_t v = bits < 64 && (raw >> (bits - 1u)) & 1u ? (int64_t)(raw | (~0ull << bits))
                                                        : (int64_t)raw;
    fprintf(out, "%" PRId64, v);
    return FPY_OK;
}

/* float and double (newer ESP-IDF): their IEEE-754 bits, as a number */
static int fpy_print_real(FILE *out, const fpy_nvs_handle *h, const fpy_nvs_info *info,
                          int json)
{
    uint64_t raw = 0;
    double v;
    FPY_TRY(fpy_nvs_get_int(h, info->key, (fpy_nvs_type)info->type, &raw));
    if (info->type == FPY_NVS_TYPE_FLOAT) {
        uint32_t bits = (uint32_t)raw;
        float f;
        memcpy(&f, &bits, sizeof f);
        v = (double)f;
    } else {
        memcpy(&v, &raw, sizeof v);
    }
    if (!isfinite(v)) /* JSON has no NaN or infinity */
        fprintf(out, json ? "\"%g\"" : "%g", v);
    else
        fprintf(out, "%.17g", v);
    return FPY_OK;
}

int fpy_nvs_print_value(FILE *out, const fpy_nvs_handle *h, const fpy_nvs_info *info, int json)
{
    if (info->type == FPY_NVS_TYPE_FLOAT || info->type == FPY_NVS_TYPE_DOUBLE)
        return fpy_print_real(out, h, info, json);
    if (fpy_nvs_type_is_int(info->type))
        return fpy_print_int(out, h, info);
    size_t len = info->size;
    uint8_t *buf = malloc(len + 1u);
    if (buf == NULL)
        return FPY_ERR_NOSPC;
    int rc = info->type == FPY_NVS_TYPE_STR ? fpy_nvs_get_str(h, info->key, (char *)buf, &len)
                                            : fpy_nvs_get_blob(h, info->key, buf, &len);
    if (rc == FPY_OK && info->type == FPY_NVS_TYPE_STR) {
        fpy_dump_text_bytes(out, buf, len > 0 && buf[len - 1] == 0 ? len - 1 : len, json);
    } else if (rc == FPY_OK) {
        char *hex = malloc(2 * len + 1u);
        if (hex == NULL) {
            free(buf);
            return FPY_ERR_NOSPC;
        }
        fpy_hex(buf, len, hex);
        fprintf(out, json ? "\"%s\"" : "%s", hex);
        free(hex);
    }
    free(buf);
    return rc;
}

static const char *fpy_dump_type(uint8_t t)
{
    return t == FPY_NVS_TYPE_BLOB ? "blob" : fpy_nvs_type_name(t);
}

static void fpy_dump_value(fpy_dump *dp, const fpy_nvs_info *info)
{
    fpy_nvs_handle h;
    int rc = fpy_nvs_open(&dp->f->nvs, info->ns_name, FPY_NVS_READONLY, &h);
    if (dp->json) {
        fpy_dump_sep(dp);
        fputs("    {\"namespace\": ", dp->out);
        fpy_json_str(dp->out, info->ns_name);
        fputs(", \"key\": ", dp->out);
        fpy_json_str(dp->out, info->key);
        fprintf(dp->out, ", \"type\": \"%s\", \"size\": %u, \"value\": ",
                fpy_dump_type(info->type), (unsigned)info->size);
    } else {
        fprintf(dp->out, "  %-15s %-15s %-6s ", info->ns_name, info->key,
                fpy_dump_type(info->type));
    }
    if (rc == FPY_OK)
        rc = fpy_nvs_print_value(dp->out, &h, info, dp->json);
    if (rc != FPY_OK) {
        dp->problems++;
        fprintf(dp->out, dp->json ? "null, \"error\": \"%s\"" : "<unreadable: %s>",
                fpy_strerror(rc));
    }
    fputs(dp->json ? "}" : "\n", dp->out);
}

static void fpy_dump_values(fpy_dump *dp)
{
    fpy_nvs_iter it;
    int rc = fpy_nvs_iter_start(&it, &dp->f->nvs, NULL, FPY_NVS_TYPE_ANY);
    while (rc == FPY_OK && (rc = fpy_nvs_iter_next(&it)) == FPY_OK)
        fpy_dump_value(dp, &it.info);
}

static void fpy_dump_namespaces(fpy_dump *dp)
{
    char name[FPY_NVS_KEY_SIZE];
    for (uint32_t idx = 1; idx < 255u; idx++) {
        if (fpy_nvs_ns_name(&dp->f->nvs, (uint8_t)idx, name) != FPY_OK)
            continue;
        if (dp->json) {
            fpy_dump_sep(dp);
            fprintf(dp->out, "    {\"index\": %u, \"name\": ", (unsigned)idx);
            fpy_json_str(dp->out, name);
            fputs("}", dp->out);
        } else {
            fprintf(dp->out, "  %3u %s\n", (unsigned)idx, name);
        }
    }
}

/* ---- the whole dump ------------------------------------------------------------------------- */

typedef void (*fpy_dump_part)(fpy_dump *dp);

static void fpy_dump_pages(fpy_dump *dp)
{
    for (uint32_t p = 0; p < dp->f->size / FPY_NVS_PAGE_SIZE; p++)
        fpy_dump_page(dp, p);
}

static void fpy_dump_section(fpy_dump *dp, const char *name, fpy_dump_part part, int last)
{
    if (dp->json) {
        fprintf(dp->out, "  \"%s\": [\n", name);
        dp->first = 1;
        part(dp);
        fprintf(dp->out, "%s  ]%s\n", dp->first ? "" : "\n", last ? "" : ",");
        return;
    }
    fprintf(dp->out, "%s:\n", name);
    part(dp);
}

static void fpy_dump_store(fpy_dump *dp, int rc)
{
    const fpy_nvs_report *r = &dp->f->nvs.report;
    if (dp->json) {
        fprintf(dp->out, "  \"mountable\": %s, \"error\": ", rc == FPY_OK ? "true" : "false");
        fpy_json_str(dp->out, rc == FPY_OK ? "" : fpy_strerror(rc));
        fprintf(dp->out, ",\n  \"ignored\": {\"entries\": %u, \"duplicates\": %u, "
                         "\"broken_blobs\": %u, \"orphan_chunks\": %u},\n",
                (unsigned)r->entries_dropped, (unsigned)r->duplicates,
                (unsigned)r->blobs_dropped, (unsigned)r->orphans);
        return;
    }
    if (rc != FPY_OK)
        fprintf(dp->out, "device view: the partition does not mount (%s)\n", fpy_strerror(rc));
    else if (r->duplicates + r->blobs_dropped + r->orphans > 0)
        fprintf(dp->out, "device view: ignores %u older duplicate(s), %u broken blob(s), "
                         "%u orphan chunk(s)\n",
                (unsigned)r->duplicates, (unsigned)r->blobs_dropped, (unsigned)r->orphans);
}

int fpy_nvs_dump(FILE *out, fpy_nvs_file *f, int json)
{
    fpy_dump dp = {out, f, json, 0, 1};
    char where[96];
    int rc = fpy_nvs_file_open(f, 1);
    if (json) {
        fputs("{\n  \"file\": ", out);
        fpy_json_str(out, f->path);
        fprintf(out, ",\n  \"offset\": %u,\n  \"size\": %u,\n  \"whole_flash\": %s,\n",
                (unsigned)f->off, (unsigned)f->size, f->whole_flash ? "true" : "false");
        fpy_dump_store(&dp, rc);
    } else {
        fprintf(out, "%s: NVS partition, %u pages%s\n", f->path,
                (unsigned)(f->size / FPY_NVS_PAGE_SIZE), fpy_nvs_file_where(f, where, sizeof where));
    }
    fpy_dump_section(&dp, "pages", fpy_dump_pages, 0);
    if (rc == FPY_OK) {
        fpy_dump_section(&dp, "namespaces", fpy_dump_namespaces, 0);
        fpy_dump_section(&dp, "values", fpy_dump_values, 0);
    } else if (json) {
        fputs("  \"namespaces\": [],\n  \"values\": [],\n", out);
    }
    int before = dp.problems;
    fpy_dump_section(&dp, "problems", fpy_dump_problems, 1);
    if (json) {
        fputs("}\n", out);
    } else {
        if (dp.problems == before)
            fputs("  none\n", out);
        fpy_dump_store(&dp, rc);
    }
    return dp.problems + (rc != FPY_OK);
}
