/*
 * fipytool image info: what `esptool image-info` (5.3.1) prints, for an
 * image of any chip of the ESP32 family, or the same as JSON.  FILE is a
 * binary image or Intel HEX; a HEX file whose bytes fall in several
 * separate parts (what `esptool merge-bin --format hex` writes:
 * bootloader, partition table, app) is shown part by part, as esptool
 * shows it.  Warnings of fipy's own go to stderr, so that stdout is
 * esptool's text.
 */
#include "cmd_image.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostio.h"

static int fpy_img_info_run(int argc, char **argv);

const fpy_cli_cmd fpy_img_info_cmd = {
    "image info", "show an app image's header, segments, checksum, digest",
    "usage: fipytool image info FILE [--json] [--offset N]\n\n"
    "Print what `esptool image-info` (5.3.1) prints: header, extended header,\n"
    "segments with memory types, checksum and SHA-256 (valid, or invalid with\n"
    "the calculated value) and the app or bootloader description.\n\n"
    "Like esptool, it reads images for every chip of the ESP32 family (the\n"
    "header's chip id names it); one for another chip than the FiPy's ESP32\n"
    "gets a warning on stderr. A wrong checksum or digest, or a file that ends\n"
    "inside the appended SHA-256, is reported but is not a failure; use\n"
    "'fipytool image verify' for a verdict.\n\n"
    "FILE may be Intel HEX. When its bytes fall in separate parts (esptool\n"
    "merge-bin --format hex: bootloader, partition table, app), each part is\n"
    "shown with its address; a part that is no image is skipped with a note.\n\n"
    "  --json       machine-readable output\n"
    "  --offset N   the image starts N bytes into FILE (a binary file, e.g. a\n"
    "               flash dump)\n\n"
    "Exit status: 0 shown; 1 not an image, an unknown chip id, or the file\n"
    "ends before the checksum; 2 usage error.\n",
    fpy_img_info_run};

/* ---- reading a part --------------------------------------------------------- */

/* esptool's walk over a merged file skips a part that does not start like
 * an image: neither 0xE9 nor 0xEA (an ESP8266 v2 image) first. */
#define FPY_IMG_ESP8266_V2_MAGIC 0xEAu

static int fpy_img_is_foreign(const fpy_image_src *src)
{
    return src->size == 0 ||
           (src->mem[0] != FPY_IMAGE_MAGIC && src->mem[0] != FPY_IMG_ESP8266_V2_MAGIC);
}

/* What the FiPy would refuse in an image that info still shows. */
static void fpy_img_warn(const char *ctx, const fpy_image_info *info)
{
    const fpy_image_header *h = &info->hdr;
    const fpy_image_chip *c = fpy_image_chip_by_id(h->chip_id);
    if (h->chip_id != FPY_IMAGE_CHIP_ID_ESP32)
        fprintf(stderr, "fipytool: warning: %s: chip id %u (%s), not the FiPy's ESP32 (0): "
                        "'image verify', 'flash create' and FOTA refuse this image\n",
                ctx, h->chip_id, c != NULL ? c->name : "no known chip");
    if (info->has_digest && info->digest_len < FPY_IMAGE_DIGEST_LEN)
        fprintf(stderr, "fipytool: warning: %s: the file ends inside the appended SHA-256 "
                        "(%u of 32 bytes at offset 0x%" PRIx32 "): 'image verify' refuses it\n",
                ctx, info->digest_len, info->checksum_offset + 1u);
}

/* esptool reads an image as an ESP8266 one when hash_appended is not 0
 * or 1, or no chip has its chip id's low byte. */
static void fpy_img_esp8266_note(const char *ctx)
{
    fprintf(stderr, "fipytool: %s: esptool would take this for an ESP8266 image; fipy reads "
                    "images of the ESP32 family only\n", ctx);
}

/* Read one part as esptool image-info does: as chip `as`, or (NULL) as
 * the chip its id names.  `say`: report errors and warnings on stderr.
 * Returns 0, or 1 when the part cannot be shown. */
static int fpy_img_read(const char *ctx, const fpy_image_src *src, const fpy_image_chip *as,
                        fpy_image_info *info)
{
    fpy_diag d = {0};
    int err = fpy_image_parse_as(src, as, NULL, 0, info, &d);
    if (err != FPY_OK) {
        fpy_report(ctx, &d, err);
        if (as == NULL && d.field != NULL && strcmp(d.field, "hash_appended") == 0)
            fpy_img_esp8266_note(ctx);
        return FPY_EXIT_FAIL;
    }
    if (info->chip == NULL) {
        fprintf(stderr, "fipytool: %s: chip id %u is no chip esptool 5.3.1 knows (field "
                        "chip_id at offset 0xc)\n", ctx, info->hdr.chip_id);
        fpy_img_esp8266_note(ctx);
        return FPY_EXIT_FAIL;
    }
    fpy_img_warn(ctx, info);
    return FPY_EXIT_OK;
}

/* ---- text, as esptool 5.3.1 prints it ----------------------------------------- */

/* "ESP32-S2 Image Header" and its underline; `chip` may be NULL. */
static void fpy_img_title(const fpy_image_chip *chip, const char *t)
{
    int n = printf("%s%s%s\n", chip ? chip->name : "", chip ? " " : "", t) - 1;
    for (int i = 0; i < n; i++)
        putchar('=');
    putchar('\n');
}

static void fpy_img_print_header(const fpy_image_info *info)
{
    const fpy_image_header *h = &info->hdr;
    char entry[16];
    fpy_img_title(info->chip, "Image Header");
    printf("Image version: 1\n");
    snprintf(entry, sizeof entry, "0x%" PRIx32, h->entry_addr);
    if (h->entry_addr != 0)
        printf("Entry point: %8s\n", entry);
    else
        printf("Entry point not set\n");
    printf("Segments: %u\n", h->segment_count);
    const char *sz = fpy_image_flash_size_name(h->spi_size);
    const char *fr = fpy_image_chip_freq_name(info->chip, h->spi_speed);
    const char *md = fpy_image_flash_mode_name(h->spi_mode);
    if (sz) printf("Flash size: %s\n", sz);
    else printf("Warning: Invalid flash size (0x%x)\n", (unsigned)h->spi_size << 4);
    if (fr) printf("Flash freq: %s\n", fr);
    else printf("Warning: Invalid flash frequency (0x%x)\n", h->spi_speed);
    if (md) {
        printf("Flash mode: ");
        for (const char *p = md; *p; p++)
            putchar(*p - 'a' + 'A');
        putchar('\n');
    } else {
        printf("Warning: Invalid flash mode (%u)\n", h->spi_mode);
    }
    printf("\n");
}

static void fpy_img_print_ext(const fpy_image_info *info)
{
    const fpy_image_header *h = &info->hdr;
    const uint8_t *v = h->spi_pin_drv;
    const fpy_image_chip *named = fpy_image_chip_by_id(h->chip_id);
    fpy_img_title(info->chip, "Extended Image Header");
    printf("WP pin: 0x%x%s\n", h->wp_pin,
           h->wp_pin == FPY_IMAGE_WP_PIN_DISABLED ? " (disabled)" : "");
    printf("Flash pins drive settings: clk_drv: 0x%x, q_drv: 0x%x, d_drv: 0x%x, "
           "cs0_drv: 0x%x, hd_drv: 0x%x, wp_drv: 0x%x\n",
           v[0] & 15, v[0] >> 4, v[1] & 15, v[1] >> 4, v[2] & 15, v[2] >> 4);
    printf("Chip ID: %u (%s)\n", h->chip_id, named ? named->name : "Unknown ID");
    printf("Minimal chip revision: v%u.%u, (legacy min_rev = %u)\n",
           h->min_chip_rev_full / 100u, h->min_chip_rev_full % 100u, h->min_chip_rev);
    printf("Maximal chip revision: v%u.%u\n\n", h->max_chip_rev_full / 100u,
           h->max_chip_rev_full % 100u);
}

/* The memory types of `addr` on the image's chip, in esptool's order. */
static void fpy_img_mem_list(const fpy_image_info *info, uint32_t addr, const char *sep,
                             const char *quote)
{
    uint8_t t[FPY_IMAGE_MEM_NTYPES];
    size_t n = fpy_image_chip_mem_list(info->chip, addr, t);
    for (size_t i = 0; i < n; i++)
        printf("%s%s%s%s", i ? sep : "", quote, fpy_image_mem_name(t[i]), quote);
}

static void fpy_img_print_segments(const fpy_image_info *info)
{
    fpy_img_title(NULL, "Segments Information");
    printf("Segment   Length   Load addr   File offs  Memory types\n");
    printf("-------  -------  ----------  ----------  ------------\n");
    for (uint32_t i = 0; i < info->nsegments; i++) {
        const fpy_image_segment *s = &info->seg[i];
        printf("%7" PRIu32 "  0x%05" PRIx32 "  0x%08" PRIx32 "  0x%08" PRIx32 "  ",
               i, s->data_len, s->load_addr, s->file_offset);
        fpy_img_mem_list(info, s->load_addr, ", ", "");
        printf("\n");
    }
    printf("\n");
}

static void fpy_img_print_footer(const fpy_image_info *info)
{
    char hex[2 * FPY_IMAGE_DIGEST_LEN + 1];
    fpy_img_title(info->chip, "Image Footer");
    if (info->checksum_ok)
        printf("Checksum: 0x%02x (valid)\n", info->checksum);
    else
        printf("Checksum: 0x%02x (invalid - calculated 0x%02x)\n", info->checksum,
               info->checksum_calc);
    if (info->has_digest) {
        fpy_hex(info->digest_calc, FPY_IMAGE_DIGEST_LEN, hex);
        printf("Validation hash: %s (%s)\n", hex, info->digest_ok ? "valid" : "invalid");
    }
}

/* esptool prints 2**n // 1024 for any n up to 255: 2^(n-10) in decimal,
 * or 0 below 10. */
static void fpy_img_print_pow2_kb(unsigned n)
{
    uint8_t dig[80] = {1}; /* little-endian decimal digits; 2^245 has 74 */
    size_t nd = 1;
    for (unsigned k = 10; k < n; k++) {
        unsigned carry = 0;
        for (size_t i = 0; i < nd; i++) {
            unsigned v = dig[i] * 2u + carry;
            dig[i] = (uint8_t)(v % 10u);
            carry = v / 10u;
        }
        if (carry)
            dig[nd++] = (uint8_t)carry;
    }
    if (n < 10)
        dig[0] = 0;
    while (nd > 0)
        putchar('0' + dig[--nd]);
}

static void fpy_img_print_app_desc(const fpy_image_app_desc *a)
{
    char hex[2 * FPY_IMAGE_DIGEST_LEN + 1];
    fpy_hex(a->app_elf_sha256, sizeof a->app_elf_sha256, hex);
    printf("\n");
    fpy_img_title(NULL, "Application Information");
    printf("Project name: %s\nApp version: %s\nCompile time: %s %s\n",
           a->project_name, a->version, a->date, a->time);
    printf("ELF file SHA256: %s\nESP-IDF: %s\n", hex, a->idf_ver);
    printf("Minimal eFuse block revision: %u.%u\n",
           a->min_efuse_blk_rev_full / 100u, a->min_efuse_blk_rev_full % 100u);
    printf("Maximal eFuse block revision: %u.%u\n",
           a->max_efuse_blk_rev_full / 100u, a->max_efuse_blk_rev_full % 100u);
    if (a->mmu_page_size != 0) {
        printf("MMU page size: ");
        fpy_img_print_pow2_kb(a->mmu_page_size);
        printf(" KB\n");
    }
    printf("Secure version: %" PRIu32 "\n", a->secure_version);
}

static void fpy_img_print_desc(const fpy_image_info *info)
{
    if (info->has_app_desc) {
        fpy_img_print_app_desc(&info->app_desc);
    } else if (info->has_boot_desc) {
        printf("\n");
        fpy_img_title(NULL, "Bootloader Information");
        printf("Bootloader version: %" PRIu32 "\nESP-IDF: %s\nCompile time: %s\n",
               info->boot_desc.version, info->boot_desc.idf_ver, info->boot_desc.date_time);
    }
}

/* Everything esptool prints once it has loaded the image: its warning
 * about a chip id that is not the chip's (the high byte set, or a part
 * read as the first part's chip), then the report. */
static void fpy_img_print_text(const fpy_image_info *info)
{
    if (info->chip->id != info->hdr.chip_id)
        printf("Warning: Unexpected chip ID in image. Expected %u but value was %u. "
               "Is this image for a different chip model?\n", info->chip->id, info->hdr.chip_id);
    printf("\n");
    fpy_img_print_header(info);
    fpy_img_print_ext(info);
    fpy_img_print_segments(info);
    fpy_img_print_footer(info);
    fpy_img_print_desc(info);
}

/* ---- JSON ------------------------------------------------------------------------ */

static void fpy_img_json_kv(const char *k, const char *v, const char *sep)
{
    printf("\"%s\": ", k);
    if (v != NULL)
        fpy_json_str(stdout, v);
    else
        printf("null");
    printf("%s", sep);
}

static void fpy_img_json_header(const fpy_image_info *info)
{
    const fpy_image_header *h = &info->hdr;
    printf("  \"header\": {\"magic\": %u, \"segment_count\": %u, \"entry_addr\": %" PRIu32 ", ",
           h->magic, h->segment_count, h->entry_addr);
    fpy_img_json_kv("flash_mode", fpy_image_flash_mode_name(h->spi_mode), ", ");
    fpy_img_json_kv("flash_freq", fpy_image_chip_freq_name(info->chip, h->spi_speed), ", ");
    fpy_img_json_kv("flash_size", fpy_image_flash_size_name(h->spi_size), ", ");
    printf("\"spi_mode\": %u, \"spi_speed\": %u, \"spi_size\": %u},\n", h->spi_mode,
           h->spi_speed, h->spi_size);
    printf("  \"extended_header\": {\"wp_pin\": %u, \"spi_pin_drv\": [%u, %u, %u], "
           "\"chip_id\": %u, \"min_chip_rev\": %u, \"min_chip_rev_full\": %u, "
           "\"max_chip_rev_full\": %u, \"hash_appended\": %u},\n",
           h->wp_pin, h->spi_pin_drv[0], h->spi_pin_drv[1], h->spi_pin_drv[2], h->chip_id,
           h->min_chip_rev, h->min_chip_rev_full, h->max_chip_rev_full, h->hash_appended);
}

static void fpy_img_json_segments(const fpy_image_info *info)
{
    printf("  \"segments\": [");
    for (uint32_t i = 0; i < info->nsegments; i++) {
        const fpy_image_segment *s = &info->seg[i];
        printf("%s\n    {\"index\": %" PRIu32 ", \"length\": %" PRIu32 ", \"load_addr\": %" PRIu32
               ", \"file_offset\": %" PRIu32 ", \"memory_types\": [",
               i ? "," : "", i, s->data_len, s->load_addr, s->file_offset);
        fpy_img_mem_list(info, s->load_addr, ", ", "\"");
        printf("]}");
    }
    printf("%s],\n", info->nsegments ? "\n  " : "");
}

static void fpy_img_json_sums(const fpy_image_info *info)
{
    char a[2 * FPY_IMAGE_DIGEST_LEN + 1], b[2 * FPY_IMAGE_DIGEST_LEN + 1];
    printf("  \"checksum\": {\"offset\": %" PRIu32 ", \"stored\": %u, \"calculated\": %u, "
           "\"valid\": %s},\n",
           info->checksum_offset, info->checksum, info->checksum_calc,
           info->checksum_ok ? "true" : "false");
    if (!info->has_digest) {
        printf("  \"sha256\": null,\n");
        return;
    }
    /* a file that ends inside the digest: the bytes there are */
    fpy_hex(info->digest, info->digest_len, a);
    fpy_hex(info->digest_calc, FPY_IMAGE_DIGEST_LEN, b);
    printf("  \"sha256\": {\"offset\": %" PRIu32 ", \"stored\": \"%s\", \"stored_len\": %u, "
           "\"calculated\": \"%s\", \"valid\": %s},\n",
           info->checksum_offset + 1u, a, info->digest_len, b,
           info->digest_ok ? "true" : "false");
}

static void fpy_img_json_desc(const fpy_image_info *info)
{
    char hex[2 * FPY_IMAGE_DIGEST_LEN + 1];
    const fpy_image_app_desc *a = &info->app_desc;
    if (!info->has_app_desc) {
        printf("  \"app_desc\": null,\n");
    } else {
        fpy_hex(a->app_elf_sha256, sizeof a->app_elf_sha256, hex);
        printf("  \"app_desc\": {\"magic_word\": %" PRIu32 ", \"secure_version\": %" PRIu32 ", ",
               a->magic_word, a->secure_version);
        fpy_img_json_kv("version", a->version, ", ");
        fpy_img_json_kv("project_name", a->project_name, ", ");
        fpy_img_json_kv("time", a->time, ", ");
        fpy_img_json_kv("date", a->date, ", ");
        fpy_img_json_kv("idf_ver", a->idf_ver, ", ");
        fpy_img_json_kv("app_elf_sha256", hex, ", ");
        printf("\"min_efuse_blk_rev_full\": %u, \"max_efuse_blk_rev_full\": %u, "
               "\"mmu_page_size\": %u},\n",
               a->min_efuse_blk_rev_full, a->max_efuse_blk_rev_full, a->mmu_page_size);
    }
    if (!info->has_boot_desc) {
        printf("  \"bootloader_desc\": null\n");
        return;
    }
    printf("  \"bootloader_desc\": {\"version\": %" PRIu32 ", ", info->boot_desc.version);
    fpy_img_json_kv("idf_ver", info->boot_desc.idf_ver, ", ");
    fpy_img_json_kv("date_time", info->boot_desc.date_time, "}\n");
}

/* The fields of one image (the caller writes the braces around them). */
static void fpy_img_json_image(const fpy_image_info *info)
{
    printf("  \"size\": %" PRIu32 ", \"image_len\": %" PRIu32 ",\n  ", info->src_size,
           info->image_len);
    fpy_img_json_kv("chip", info->chip->name, ",\n");
    fpy_img_json_header(info);
    fpy_img_json_segments(info);
    fpy_img_json_sums(info);
    fpy_img_json_desc(info);
}

/* ---- the parts of a file --------------------------------------------------------- */

/* Walk over the parts of the input: once to read them all (messages on
 * stderr; any failure stops before anything is printed), then again to
 * print them. */
typedef struct fpy_img_walk {
    const fpy_img_input *in;
    size_t n;                  /* parts */
    int merged;                /* HEX with several parts: esptool's merged view */
    int json;
    int print;                 /* 0: the reading pass; 1: the printing pass */
    const fpy_image_chip *as;  /* merged: the first part's chip, for the rest */
    fpy_image_info *info;      /* [n]: what the reading pass found, printed by the other */
} fpy_img_walk;

static void fpy_img_rule(int n)
{
    for (int i = 0; i < n; i++)
        putchar('=');
    putchar('\n');
}

static void fpy_img_text_part(const fpy_img_walk *w, size_t i, uint32_t where, uint32_t size,
                              const fpy_image_info *info)
{
    if (!w->merged) {
        printf("Image size: %" PRIu32 " bytes\nDetected image type: %s\n", size,
               info->chip->name);
    } else {
        char line[128];
        int n = snprintf(line, sizeof line, "Processing file %zu/%zu, offset: 0x%" PRIx32
                         ", size: %" PRIu32 " bytes", i + 1u, w->n, where, size);
        printf("\n");
        fpy_img_rule(n);
        printf("%s\n", line);
        fpy_img_rule(n);
        if (info != NULL && i == 0)
            printf("Detected image type: %s\n", info->chip->name);
    }
    if (info != NULL)
        fpy_img_print_text(info);
}

static void fpy_img_json_part(const fpy_img_walk *w, size_t i, uint32_t where, uint32_t size,
                              const fpy_image_info *info)
{
    if (!w->merged) {
        fpy_img_json_image(info);
        return;
    }
    printf("%s    {\"offset\": %" PRIu32 ", \"size\": %" PRIu32 ", \"image\": ", i ? ",\n" : "",
           where, size);
    if (info == NULL) {
        printf("null}");
        return;
    }
    printf("{\n");
    fpy_img_json_image(info);
    printf("}}");
}

/* Part i: read it (a merged file's part that is no image is skipped, as
 * esptool does), and in the printing pass print it. */
static int fpy_img_part(fpy_img_walk *w, size_t i)
{
    uint32_t where;
    char ctx[4200]; /* a path, and where the part is */
    fpy_image_src src = fpy_img_input_src(w->in, i, &where);
    fpy_image_info *info = &w->info[i];
    if (!w->merged)
        snprintf(ctx, sizeof ctx, "%s", w->in->path);
    else
        snprintf(ctx, sizeof ctx, "%s, part %zu/%zu at 0x%" PRIx32, w->in->path, i + 1u, w->n,
                 where);
    int foreign = w->merged && fpy_img_is_foreign(&src);
    if (foreign && !w->print)
        fprintf(stderr, "fipytool: %s: not an image (first byte 0x%02x), skipped, as esptool "
                        "does (a partition table?)\n", ctx, src.mem[0]);
    /* each part is read (and hashed) once, in the reading pass */
    if (!w->print && !foreign && fpy_img_read(ctx, &src, w->as, info) != FPY_EXIT_OK)
        return FPY_EXIT_FAIL;
    if (!w->print && w->merged && i == 0 && !foreign)
        w->as = info->chip;
    if (w->print && w->json)
        fpy_img_json_part(w, i, where, src.size, foreign ? NULL : info);
    else if (w->print)
        fpy_img_text_part(w, i, where, src.size, foreign ? NULL : info);
    return FPY_EXIT_OK;
}

static int fpy_img_walk_parts(fpy_img_walk *w)
{
    if (w->print && w->json) {
        printf("{\n  ");
        fpy_img_json_kv("file", w->in->path, w->merged ? ",\n  \"parts\": [\n" : ",\n");
    } else if (w->print && w->merged) {
        printf("Merged binary image detected. Processing each file individually.\n");
    }
    for (size_t i = 0; i < w->n; i++)
        if (fpy_img_part(w, i) != FPY_EXIT_OK)
            return FPY_EXIT_FAIL;
    if (w->print && w->json)
        printf("%s}\n", w->merged ? "\n  ]\n" : "");
    return FPY_EXIT_OK;
}

static int fpy_img_info_run(int argc, char **argv)
{
    const fpy_cli_cmd *cmd = &fpy_img_info_cmd;
    int json = 0;
    const char *offset = NULL;
    const fpy_opt opts[] = {{"--json", 0, NULL, &json}, {"--offset", 0, &offset, NULL}};
    fpy_img_input in;
    int rc = fpy_img_open_arg(cmd, argc, argv, opts, &offset, &in);
    if (rc != FPY_IMG_OPENED)
        return rc;
    size_t n = fpy_img_input_count(&in);
    fpy_img_walk w = {&in, n, in.is_hex && n > 1, json, 0, NULL, calloc(n ? n : 1, sizeof *w.info)};
    rc = w.info != NULL ? fpy_img_walk_parts(&w) : FPY_EXIT_FAIL;
    if (rc == FPY_EXIT_OK) { /* nothing printed unless every part reads */
        w.print = 1;
        rc = fpy_img_walk_parts(&w);
    }
    free(w.info);
    fpy_img_input_close(&in);
    return rc;
}
