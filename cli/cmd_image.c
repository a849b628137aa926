/*
 * fipytool image: ESP32 app images.
 *   info       what `esptool image-info` (5.x) prints, or JSON
 *   verify     checksum, SHA-256, loader rules, app description
 *   elf2image  `esptool elf2image --chip esp32`, byte for byte
 *   mkelf      a synthetic ESP32 app ELF (no cross compiler needed)
 */
#include "cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fipy/flash.h"
#include "fipy/image.h"
#include "hostio.h"

#define FPY_IMG_FILE_LIMIT (64u << 20)
/* An app image lives in the FiPy's 8 MiB flash: none is larger. */
#define FPY_IMG_MAX_LEN FPY_FLASH_SIZE_8M

static const fpy_cli_cmd fpy_img_info_cmd = {
    "image info", "",
    "usage: fipytool image info FILE [--json] [--offset N]\n\n"
    "Print what `esptool image-info` prints for an ESP32 app image: header,\n"
    "extended header, segments with memory types, checksum and SHA-256\n"
    "(valid, or invalid with the calculated value) and the app description.\n"
    "A wrong checksum or digest is reported but is not a failure; use\n"
    "'fipytool image verify' for a verdict.\n\n"
    "  --json       machine-readable output\n"
    "  --offset N   the image starts N bytes into FILE (e.g. a flash dump)\n\n"
    "Exit status: 0 parsed, 1 not an image or truncated, 2 usage error.\n",
    NULL};

static const fpy_cli_cmd fpy_img_verify_cmd = {
    "image verify", "",
    "usage: fipytool image verify FILE [--no-app-desc] [--offset N]\n\n"
    "Check an ESP32 app image the way the ESP-IDF bootloader would: structure,\n"
    "checksum, appended SHA-256, chip id, segment lengths, 64 KiB mapping\n"
    "alignment, and an esp_app_desc_t at image offset 0x20.\n\n"
    "  --no-app-desc  do not require the app description (bootloader images)\n"
    "  --offset N     the image starts N bytes into FILE\n\n"
    "Exit status: 0 valid, 1 invalid (the reason names field and offset),\n"
    "2 usage error.\n",
    NULL};

static const fpy_cli_cmd fpy_img_elf2image_cmd = {
    "image elf2image", "",
    "usage: fipytool image elf2image APP.elf -o APP.bin [options]\n\n"
    "Build the image `esptool elf2image --chip esp32` builds (v5.3.1 rules).\n"
    "Defaults are esptool's: qio, 40m, 1MB, max rev 65535. ESP-IDF passes\n"
    "--flash-mode dio --flash-freq 40m --flash-size 2MB --max-rev-full 399\n"
    "--elf-sha256-offset 0xb0.\n\n"
    "  -o, --output FILE         where to write the image (required)\n"
    "  --flash-mode MODE         qio, qout, dio, dout\n"
    "  --flash-freq FREQ         80m, 40m, 26m, 20m\n"
    "  --flash-size SIZE         1MB, 2MB, 4MB, 8MB, 16MB, 32MB, 64MB, 128MB\n"
    "  --min-rev N               legacy minimum chip revision (header 0x0E)\n"
    "  --min-rev-full N          minimum chip revision, major*100+minor\n"
    "  --max-rev-full N          maximum chip revision, major*100+minor\n"
    "  --elf-sha256-offset N     patch the ELF's SHA-256 at image offset N\n"
    "                            (default: 0xb0 when .flash.appdesc exists)\n"
    "  --dont-append-digest      no SHA-256 after the checksum\n"
    "  --secure-pad              pad for a secure boot v1 signature\n"
    "  --secure-pad-v2           pad for a secure boot v2 signature block\n"
    "  --use-segments            use PT_LOAD segments instead of sections\n"
    "  --pad-to-size N           append 0xFF up to a multiple of N (4KB, 1MB;\n"
    "                            at most 8MB, the FiPy's flash)\n\n"
    "Exit status: 0 written, 1 failed (nothing written), 2 usage error.\n",
    NULL};

static const fpy_cli_cmd fpy_img_mkelf_cmd = {
    "image mkelf", "",
    "usage: fipytool image mkelf -o APP.elf [options]\n\n"
    "Write an Xtensa ELF shaped like an ESP-IDF app, with a real\n"
    "esp_app_desc_t in .flash.appdesc, so images can be built and checked\n"
    "without a cross compiler. Contents are deterministic. Sections:\n"
    "  .flash.appdesc 0x3f400020 (256 bytes), .flash.rodata 0x3f400120,\n"
    "  .dram0.data 0x3ffb0000, .dram0.bss (NOBITS), .iram0.vectors 0x40080000\n"
    "  (0x400), .iram0.text 0x40080400, .flash.text 0x400d0020, .comment.\n\n"
    "  -o, --output FILE     where to write the ELF (required)\n"
    "  --project NAME        project_name (default fipy-demo)\n"
    "  --app-version V       version (default 1.0.0)\n"
    "  --idf-version V       idf_ver (default v5.3.1)\n"
    "  --rodata-size N       .flash.rodata bytes (default 0x1234; 0 = none)\n"
    "  --dram-size N         .dram0.data bytes (default 0x200; 0 = none)\n"
    "  --iram-size N         .iram0.text bytes (default 0x3000; 0 = none)\n"
    "  --irom-size N         .flash.text bytes (default 0x5000; 0 = none)\n"
    "  --no-app-desc         leave .flash.appdesc out\n\n"
    "Exit status: 0 written, 1 failed, 2 usage error.\n",
    NULL};

/* ---- shared ---------------------------------------------------------------- */

/* Read FILE and make a source of it from `offset` on. */
static int fpy_img_load(const fpy_cli_cmd *cmd, const char *path, const char *offset_s,
                        uint8_t **buf, fpy_image_src *src)
{
    char err[512];
    size_t len = 0;
    uint32_t off = 0;
    int rc = fpy_cli_number(cmd, "--offset", offset_s, FPY_NUM_PLAIN, UINT32_MAX, &off);
    if (rc != 0)
        return rc;
    if (fpy_file_read(path, FPY_IMG_FILE_LIMIT, buf, &len, err, sizeof err) != FPY_OK) {
        fprintf(stderr, "fipytool: %s\n", err);
        return FPY_EXIT_FAIL;
    }
    if (off > len) {
        fprintf(stderr, "fipytool: %s: --offset 0x%" PRIx32 " is past the end (%zu bytes)\n",
                path, off, len);
        free(*buf);
        *buf = NULL;
        return FPY_EXIT_FAIL;
    }
    *src = fpy_image_src_mem(*buf + off, len - off);
    return FPY_EXIT_OK;
}

static void fpy_img_mem_list(uint32_t types, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (unsigned b = 0; b < FPY_IMAGE_MEM_NTYPES; b++)
        if ((types & (1u << b)) && n < cap)
            n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? ", " : "",
                                  fpy_image_mem_name(b));
}

static const char *fpy_img_or(const char *s, const char *dflt)
{
    return s != NULL ? s : dflt;
}

/* ---- info: text, as esptool 5.x prints it --------------------------------- */

static void fpy_img_title(const char *t)
{
    size_t n = strlen(t);
    printf("%s\n", t);
    for (size_t i = 0; i < n; i++)
        putchar('=');
    putchar('\n');
}

static void fpy_img_print_header(const fpy_image_header *h)
{
    char entry[16];
    fpy_img_title("ESP32 Image Header");
    printf("Image version: 1\n");
    snprintf(entry, sizeof entry, "0x%" PRIx32, h->entry_addr);
    if (h->entry_addr != 0)
        printf("Entry point: %8s\n", entry);
    else
        printf("Entry point not set\n");
    printf("Segments: %u\n", h->segment_count);
    const char *sz = fpy_image_flash_size_name(h->spi_size);
    const char *fr = fpy_image_flash_freq_name(h->spi_speed);
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

static void fpy_img_print_ext(const fpy_image_header *h)
{
    const uint8_t *v = h->spi_pin_drv;
    fpy_img_title("ESP32 Extended Image Header");
    printf("WP pin: 0x%x%s\n", h->wp_pin,
           h->wp_pin == FPY_IMAGE_WP_PIN_DISABLED ? " (disabled)" : "");
    printf("Flash pins drive settings: clk_drv: 0x%x, q_drv: 0x%x, d_drv: 0x%x, "
           "cs0_drv: 0x%x, hd_drv: 0x%x, wp_drv: 0x%x\n",
           v[0] & 15, v[0] >> 4, v[1] & 15, v[1] >> 4, v[2] & 15, v[2] >> 4);
    /* Only the ESP32's id is named: fipy knows no other chip. */
    printf("Chip ID: %u (%s)\n", h->chip_id,
           h->chip_id == FPY_IMAGE_CHIP_ID_ESP32 ? "ESP32" : "not ESP32");
    printf("Minimal chip revision: v%u.%u, (legacy min_rev = %u)\n",
           h->min_chip_rev_full / 100u, h->min_chip_rev_full % 100u, h->min_chip_rev);
    printf("Maximal chip revision: v%u.%u\n\n", h->max_chip_rev_full / 100u,
           h->max_chip_rev_full % 100u);
}

static void fpy_img_print_segments(const fpy_image_info *info)
{
    char types[160];
    fpy_img_title("Segments Information");
    printf("Segment   Length   Load addr   File offs  Memory types\n");
    printf("-------  -------  ----------  ----------  ------------\n");
    for (uint32_t i = 0; i < info->nsegments; i++) {
        const fpy_image_segment *s = &info->seg[i];
        fpy_img_mem_list(s->mem_types, types, sizeof types);
        printf("%7" PRIu32 "  0x%05" PRIx32 "  0x%08" PRIx32 "  0x%08" PRIx32 "  %s\n",
               i, s->data_len, s->load_addr, s->file_offset, types);
    }
    printf("\n");
}

static void fpy_img_print_footer(const fpy_image_info *info)
{
    char hex[2 * FPY_IMAGE_DIGEST_LEN + 1];
    fpy_img_title("ESP32 Image Footer");
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

static void fpy_img_print_desc(const fpy_image_info *info)
{
    char hex[2 * FPY_IMAGE_DIGEST_LEN + 1];
    if (info->has_app_desc) {
        const fpy_image_app_desc *a = &info->app_desc;
        fpy_hex(a->app_elf_sha256, sizeof a->app_elf_sha256, hex);
        printf("\n");
        fpy_img_title("Application Information");
        printf("Project name: %s\nApp version: %s\nCompile time: %s %s\n",
               a->project_name, a->version, a->date, a->time);
        printf("ELF file SHA256: %s\nESP-IDF: %s\n", hex, a->idf_ver);
        printf("Minimal eFuse block revision: %u.%u\n",
               a->min_efuse_blk_rev_full / 100u, a->min_efuse_blk_rev_full % 100u);
        printf("Maximal eFuse block revision: %u.%u\n",
               a->max_efuse_blk_rev_full / 100u, a->max_efuse_blk_rev_full % 100u);
        if (a->mmu_page_size != 0 && a->mmu_page_size < 32)
            printf("MMU page size: %" PRIu32 " KB\n", (1u << a->mmu_page_size) / 1024u);
        printf("Secure version: %" PRIu32 "\n", a->secure_version);
    } else if (info->has_boot_desc) {
        printf("\n");
        fpy_img_title("Bootloader Information");
        printf("Bootloader version: %" PRIu32 "\nESP-IDF: %s\nCompile time: %s\n",
               info->boot_desc.version, info->boot_desc.idf_ver, info->boot_desc.date_time);
    }
}

static void fpy_img_print_text(const fpy_image_info *info)
{
    printf("Image size: %" PRIu32 " bytes\nDetected image type: ESP32\n\n", info->src_size);
    fpy_img_print_header(&info->hdr);
    fpy_img_print_ext(&info->hdr);
    fpy_img_print_segments(info);
    fpy_img_print_footer(info);
    fpy_img_print_desc(info);
}

/* ---- info: JSON ------------------------------------------------------------- */

static void fpy_img_json_kv(const char *k, const char *v, const char *sep)
{
    printf("\"%s\": ", k);
    if (v != NULL)
        fpy_json_str(stdout, v);
    else
        printf("null");
    printf("%s", sep);
}

static void fpy_img_json_header(const fpy_image_header *h)
{
    printf("  \"header\": {\"magic\": %u, \"segment_count\": %u, \"entry_addr\": %" PRIu32 ", ",
           h->magic, h->segment_count, h->entry_addr);
    fpy_img_json_kv("flash_mode", fpy_image_flash_mode_name(h->spi_mode), ", ");
    fpy_img_json_kv("flash_freq", fpy_image_flash_freq_name(h->spi_speed), ", ");
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
        int first = 1;
        for (unsigned b = 0; b < FPY_IMAGE_MEM_NTYPES; b++) {
            if (s->mem_types & (1u << b)) {
                printf("%s\"%s\"", first ? "" : ", ", fpy_image_mem_name(b));
                first = 0;
            }
        }
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
    fpy_hex(info->digest, FPY_IMAGE_DIGEST_LEN, a);
    fpy_hex(info->digest_calc, FPY_IMAGE_DIGEST_LEN, b);
    printf("  \"sha256\": {\"offset\": %" PRIu32 ", \"stored\": \"%s\", \"calculated\": \"%s\", "
           "\"valid\": %s},\n",
           info->checksum_offset + 1u, a, b, info->digest_ok ? "true" : "false");
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

static void fpy_img_print_json(const char *path, const fpy_image_info *info)
{
    printf("{\n  ");
    fpy_img_json_kv("file", path, ",\n");
    printf("  \"size\": %" PRIu32 ", \"image_len\": %" PRIu32 ",\n", info->src_size,
           info->image_len);
    fpy_img_json_header(&info->hdr);
    fpy_img_json_segments(info);
    fpy_img_json_sums(info);
    fpy_img_json_desc(info);
    printf("}\n");
}

/* ---- info and verify ---------------------------------------------------------- */

static int fpy_img_info_run(void *ctx, int argc, char **argv)
{
    (void)ctx;
    const fpy_cli_cmd *cmd = &fpy_img_info_cmd;
    int json = 0;
    const char *offset = NULL;
    const fpy_opt opts[] = {{"--json", 0, NULL, &json}, {"--offset", 0, &offset, NULL}};
    char *pos[1];
    size_t npos = 0;
    int rc = FPY_CLI_PARSE(cmd, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos != 1)
        return fpy_cli_usage_error(cmd, "expected one FILE");
    uint8_t *buf = NULL;
    fpy_image_src src;
    if ((rc = fpy_img_load(cmd, pos[0], offset, &buf, &src)) != FPY_EXIT_OK)
        return rc;
    fpy_image_info info;
    fpy_diag d = {0};
    int err = fpy_image_parse(&src, NULL, 0, &info, &d);
    if (err != FPY_OK) {
        fpy_report(pos[0], &d, err);
        free(buf);
        return FPY_EXIT_FAIL;
    }
    if (json)
        fpy_img_print_json(pos[0], &info);
    else
        fpy_img_print_text(&info);
    free(buf);
    return FPY_EXIT_OK;
}

static int fpy_img_verify_run(void *ctx, int argc, char **argv)
{
    (void)ctx;
    const fpy_cli_cmd *cmd = &fpy_img_verify_cmd;
    int no_desc = 0;
    const char *offset = NULL;
    const fpy_opt opts[] = {{"--no-app-desc", 0, NULL, &no_desc},
                            {"--offset", 0, &offset, NULL}};
    char *pos[1];
    size_t npos = 0;
    int rc = FPY_CLI_PARSE(cmd, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos != 1)
        return fpy_cli_usage_error(cmd, "expected one FILE");
    uint8_t *buf = NULL;
    fpy_image_src src;
    if ((rc = fpy_img_load(cmd, pos[0], offset, &buf, &src)) != FPY_EXIT_OK)
        return rc;
    fpy_image_info info;
    fpy_diag d = {0};
    uint32_t flags = no_desc ? FPY_IMAGE_CHECK_LOADER : FPY_IMAGE_CHECK_APP;
    int err = fpy_image_verify(&src, NULL, 0, flags, &info, &d);
    free(buf);
    if (err != FPY_OK) {
        fpy_report(pos[0], &d, err);
        return FPY_EXIT_FAIL;
    }
    printf("%s: valid: %" PRIu32 " segments, checksum 0x%02x, %s", pos[0],
           info.nsegments, info.checksum, info.has_digest ? "SHA-256 ok" : "no SHA-256");
    if (info.has_app_desc)
        printf(", %s %s", info.app_desc.project_name, info.app_desc.version);
    printf("\n");
    return FPY_EXIT_OK;
}

/* ---- elf2image ------------------------------------------------------------------ */

typedef struct fpy_img_e2i_args {
    const char *out, *mode, *freq, *size, *min_rev, *min_full, *max_full, *sha_off, *pad_to;
    int no_digest, secure_pad, secure_pad2, use_segments;
} fpy_img_e2i_args;

static int fpy_img_e2i_opts(const fpy_cli_cmd *cmd, const fpy_img_e2i_args *a,
                            fpy_image_opts *o)
{
    uint32_t v = 0;
    *o = FPY_IMAGE_OPTS_DEFAULT();
    if (a->mode && fpy_image_flash_mode_parse(a->mode, &o->flash_mode) != FPY_OK)
        return fpy_cli_usage_error(cmd, "--flash-mode: '%s' is not qio, qout, dio or dout", a->mode);
    if (a->freq && fpy_image_flash_freq_parse(a->freq, &o->flash_freq) != FPY_OK)
        return fpy_cli_usage_error(cmd, "--flash-freq: '%s' is not 80m, 40m, 26m or 20m", a->freq);
    if (a->size && fpy_image_flash_size_parse(a->size, &o->flash_size) != FPY_OK)
        return fpy_cli_usage_error(cmd, "--flash-size: '%s' is not 1MB..128MB", a->size);
    int rc = fpy_cli_number(cmd, "--min-rev", a->min_rev, FPY_NUM_PLAIN, 255, &v);
    o->min_rev = (uint8_t)(a->min_rev ? v : 0);
    rc = rc ? rc : fpy_cli_number(cmd, "--min-rev-full", a->min_full, FPY_NUM_PLAIN, 65535, &v);
    o->min_rev_full = (uint16_t)(a->min_full ? v : 0);
    rc = rc ? rc : fpy_cli_number(cmd, "--max-rev-full", a->max_full, FPY_NUM_PLAIN, 65535, &v);
    o->max_rev_full = (uint16_t)(a->max_full ? v : 0xFFFF);
    rc = rc ? rc : fpy_cli_number(cmd, "--elf-sha256-offset", a->sha_off, FPY_NUM_PLAIN,
                                  UINT32_MAX, &o->elf_sha256_offset);
    /* esptool spells it 4KB / 1MB; an app image never outgrows the flash */
    rc = rc ? rc : fpy_cli_number(cmd, "--pad-to-size", a->pad_to, FPY_NUM_SIZE,
                                  FPY_IMG_MAX_LEN, &o->pad_to_size);
    if (rc != 0)
        return rc;
    if (a->secure_pad && a->secure_pad2)
        return fpy_cli_usage_error(cmd, "--secure-pad and --secure-pad-v2 exclude each other");
    o->no_digest = (uint8_t)a->no_digest;
    o->secure_pad = (uint8_t)(a->secure_pad ? 1 : a->secure_pad2 ? 2 : 0);
    o->use_segments = (uint8_t)a->use_segments;
    return 0;
}

/* The image of `elf`, in a malloc'd *out of *need bytes; failures are
 * reported, naming the ELF file. */
static int fpy_img_e2i_make(const char *elf_path, const uint8_t *elf, size_t elf_len,
                            const fpy_image_opts *o, fpy_image_builder *b, uint8_t **out,
                            size_t *need)
{
    fpy_diag d = {0};
    int rc = fpy_image_elf2image(b, elf, elf_len, o, NULL, 0, need, &d);
    if (rc == FPY_ERR_NOSPC && *need > FPY_IMG_MAX_LEN) {
        fprintf(stderr, "fipytool: %s: the image would be 0x%zx bytes, more than the FiPy's "
                        "8 MiB flash (0x%x)\n", elf_path, *need, FPY_IMG_MAX_LEN);
        return FPY_ERR_RANGE;
    }
    if (rc == FPY_ERR_NOSPC && *need > 0 && (*out = malloc(*need)) != NULL)
        rc = fpy_image_elf2image(b, elf, elf_len, o, *out, *need, need, &d);
    if (rc != FPY_OK)
        fpy_report(elf_path, &d, rc);
    return rc;
}

static int fpy_img_e2i_build(const char *elf_path, const char *out_path,
                             const fpy_image_opts *o)
{
    char err[512];
    uint8_t *elf = NULL, *out = NULL;
    size_t elf_len = 0, need = 0;
    if (fpy_file_read(elf_path, FPY_IMG_FILE_LIMIT, &elf, &elf_len, err, sizeof err) != FPY_OK) {
        fprintf(stderr, "fipytool: %s\n", err);
        return FPY_EXIT_FAIL;
    }
    fpy_image_builder *b = malloc(sizeof *b);
    int rc = b ? fpy_img_e2i_make(elf_path, elf, elf_len, o, b, &out, &need) : FPY_ERR_NOSPC;
    if (b == NULL) {
        fprintf(stderr, "fipytool: %s: out of memory\n", elf_path);
    } else if (rc == FPY_OK && fpy_file_write(out_path, out, need, err, sizeof err) != FPY_OK) {
        fprintf(stderr, "fipytool: %s\n", err);
        rc = FPY_ERR_IO;
    } else if (rc == FPY_OK) {
        printf("%s: %zu bytes, %" PRIu32 " segments (%" PRIu32 " from %" PRIu32
               " ELF sections)\n", out_path, need, b->nout, b->nrun, b->nsec);
        if (b->nout > FPY_IMAGE_MAX_SEGMENTS)
            fprintf(stderr, "fipytool: warning: %s has %" PRIu32 " segments with padding; "
                    "the ESP-IDF loader accepts 16\n", out_path, b->nout);
    }
    free(out);
    free(b);
    free(elf);
    return rc == FPY_OK ? FPY_EXIT_OK : FPY_EXIT_FAIL;
}

static int fpy_img_elf2image_run(void *ctx, int argc, char **argv)
{
    (void)ctx;
    const fpy_cli_cmd *cmd = &fpy_img_elf2image_cmd;
    fpy_img_e2i_args a = {0};
    const fpy_opt opts[] = {
        {"--output", 'o', &a.out, NULL},           {"--flash-mode", 0, &a.mode, NULL},
        {"--flash-freq", 0, &a.freq, NULL},        {"--flash-size", 0, &a.size, NULL},
        {"--min-rev", 0, &a.min_rev, NULL},        {"--min-rev-full", 0, &a.min_full, NULL},
        {"--max-rev-full", 0, &a.max_full, NULL},  {"--elf-sha256-offset", 0, &a.sha_off, NULL},
        {"--pad-to-size", 0, &a.pad_to, NULL},     {"--dont-append-digest", 0, NULL, &a.no_digest},
        {"--secure-pad", 0, NULL, &a.secure_pad},  {"--secure-pad-v2", 0, NULL, &a.secure_pad2},
        {"--use-segments", 0, NULL, &a.use_segments},
    };
    char *pos[1];
    size_t npos = 0;
    int rc = FPY_CLI_PARSE(cmd, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos != 1)
        return fpy_cli_usage_error(cmd, "expected one ELF file");
    if (a.out == NULL)
        return fpy_cli_usage_error(cmd, "-o OUTPUT is required");
    const char *const inputs[] = {pos[0]};
    if ((rc = fpy_cli_distinct(cmd, a.out, inputs, FPY_COUNTOF(inputs))) != 0)
        return rc;
    fpy_image_opts o;
    if ((rc = fpy_img_e2i_opts(cmd, &a, &o)) != 0)
        return rc;
    return fpy_img_e2i_build(pos[0], a.out, &o);
}

/* ---- mkelf ---------------------------------------------------------------------- */

/* Deterministic filler: a 32-bit LCG per section, so every section has
 * different, non-zero content and checksums mean something. */
static void fpy_img_fill(uint8_t *p, uint32_t len, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1u;
    for (uint32_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (uint8_t)(x >> 16);
    }
}

typedef struct fpy_img_mkelf_args {
    const char *out, *project, *version, *idf, *sizes[4];
    int no_desc;
} fpy_img_mkelf_args;

/* A real esp_app_desc_t; a fixed date and time keep the ELF reproducible,
 * and app_elf_sha256 stays zero for elf2image to fill in. */
static void fpy_img_mkelf_desc(const fpy_img_mkelf_args *a, uint8_t raw[FPY_IMAGE_APP_DESC_LEN])
{
    fpy_image_app_desc desc = {.magic_word = FPY_IMAGE_APP_DESC_MAGIC};
    snprintf(desc.project_name, sizeof desc.project_name, "%s", fpy_img_or(a->project, "fipy-demo"));
    snprintf(desc.version, sizeof desc.version, "%s", fpy_img_or(a->version, "1.0.0"));
    snprintf(desc.idf_ver, sizeof desc.idf_ver, "%s", fpy_img_or(a->idf, "v5.3.1"));
    snprintf(desc.time, sizeof desc.time, "00:00:00");
    snprintf(desc.date, sizeof desc.date, "Jan  1 2025");
    fpy_image_app_desc_encode(&desc, raw);
}

static int fpy_img_mkelf_write(const fpy_img_mkelf_args *a, const uint32_t sz[4])
{
    enum { RODATA, DRAM, IRAM, IROM };
    static const char comment[] = "fipytool mkelf";
    uint8_t raw[FPY_IMAGE_APP_DESC_LEN];
    fpy_img_mkelf_desc(a, raw);
    uint32_t total = sz[RODATA] + sz[DRAM] + sz[IRAM] + sz[IROM] + 0x400u;
    uint8_t *fill = malloc(total);
    if (fill == NULL)
        return FPY_EXIT_FAIL;
    fpy_img_fill(fill, total, 1);
    const uint32_t A = FPY_ELF_SHF_ALLOC, W = FPY_ELF_SHF_WRITE, X = FPY_ELF_SHF_EXECINSTR;
    uint8_t *r = fill, *dr = r + sz[RODATA], *iv = dr + sz[DRAM], *it = iv + 0x400,
            *ir = it + sz[IRAM];
    fpy_image_elf_sec all[] = {
        {".flash.appdesc", FPY_ELF_SHT_PROGBITS, A, 0x3F400020u, raw, a->no_desc ? 0 : 256u},
        {".flash.rodata", FPY_ELF_SHT_PROGBITS, A, 0x3F400120u, r, sz[RODATA]},
        {".dram0.data", FPY_ELF_SHT_PROGBITS, A | W, 0x3FFB0000u, dr, sz[DRAM]},
        {".dram0.bss", FPY_ELF_SHT_NOBITS, A | W, 0x3FFB0000u + sz[DRAM], NULL, 0x100u},
        {".iram0.vectors", FPY_ELF_SHT_PROGBITS, A | X, 0x40080000u, iv, 0x400u},
        {".iram0.text", FPY_ELF_SHT_PROGBITS, A | X, 0x40080400u, it, sz[IRAM]},
        {".flash.text", FPY_ELF_SHT_PROGBITS, A | X, 0x400D0020u, ir, sz[IROM]},
        {".comment", FPY_ELF_SHT_PROGBITS, 0, 0, (const uint8_t *)comment, sizeof comment},
    };
    fpy_image_elf_sec secs[8];
    size_t n = 0, len = 0;
    for (size_t i = 0; i < 8; i++)
        if (all[i].size != 0)
            secs[n++] = all[i];
    fpy_image_elf_write(0x40080400u, secs, n, NULL, 0, &len);
    uint8_t *out = malloc(len);
    char err[512];
    int rc = out ? fpy_image_elf_write(0x40080400u, secs, n, out, len, &len) : FPY_ERR_NOSPC;
    if (rc == FPY_OK && fpy_file_write(a->out, out, len, err, sizeof err) != FPY_OK) {
        fprintf(stderr, "fipytool: %s\n", err);
        rc = FPY_ERR_IO;
    } else if (rc != FPY_OK) {
        fprintf(stderr, "fipytool: image mkelf: %s\n", fpy_strerror(rc));
    }
    free(out);
    free(fill);
    return rc == FPY_OK ? FPY_EXIT_OK : FPY_EXIT_FAIL;
}

static int fpy_img_mkelf_run(void *ctx, int argc, char **argv)
{
    (void)ctx;
    const fpy_cli_cmd *cmd = &fpy_img_mkelf_cmd;
    fpy_img_mkelf_args a = {0};
    const fpy_opt opts[] = {
        {"--output", 'o', &a.out, NULL},         {"--project", 0, &a.project, NULL},
        {"--app-version", 0, &a.version, NULL},  {"--idf-version", 0, &a.idf, NULL},
        {"--rodata-size", 0, &a.sizes[0], NULL}, {"--dram-size", 0, &a.sizes[1], NULL},
        {"--iram-size", 0, &a.sizes[2], NULL},   {"--irom-size", 0, &a.sizes[3], NULL},
        {"--no-app-desc", 0, NULL, &a.no_desc},
    };
    static const char *const names[4] = {"--rodata-size", "--dram-size", "--iram-size",
                                         "--irom-size"};
    uint32_t sz[4] = {0x1234u, 0x200u, 0x3000u, 0x5000u};
    char *pos[1];
    size_t npos = 0;
    int rc = FPY_CLI_PARSE(cmd, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos != 0)
        return fpy_cli_usage_error(cmd, "unexpected argument '%s'", pos[0]);
    if (a.out == NULL)
        return fpy_cli_usage_error(cmd, "-o OUTPUT is required");
    for (int i = 0; i < 4; i++)
        if ((rc = fpy_cli_number(cmd, names[i], a.sizes[i], FPY_NUM_PLAIN, 0x3FFFFF, &sz[i])))
            return rc;
    return fpy_img_mkelf_write(&a, sz);
}

/* ---- dispatch --------------------------------------------------------------------- */

static void fpy_img_help(const fpy_cli_subs *s, FILE *f)
{
    fprintf(f, "usage: fipytool image COMMAND [ARGS]\n\nESP32 app images.\n\nCommands:\n");
    fpy_cli_subs_list(s, f);
    fprintf(f, "\n'fipytool image COMMAND --help' describes one command.\n"
               "Exit status: 0 ok, 1 failure, 2 usage error.\n");
}

static int fpy_img_dispatch(int argc, char **argv)
{
    static const fpy_cli_sub subs[] = {
        {"info", fpy_img_info_run, "show an app image's header, segments, checksum, digest"},
        {"verify", fpy_img_verify_run, "check an app image"},
        {"elf2image", fpy_img_elf2image_run, "build an app image from an ELF file"},
        {"mkelf", fpy_img_mkelf_run, "write a synthetic ESP32 app ELF"},
    };
    static const fpy_cli_subs s = {.cmd = &fpy_cmd_image, .sub = subs, .n = FPY_COUNTOF(subs),
                                   .help = fpy_img_help};
    return fpy_cli_dispatch(&s, argc, argv);
}

const fpy_cli_cmd fpy_cmd_image = {
    "image", "ESP32 app images: info, verify, elf2image, mkelf",
    "usage: fipytool image COMMAND [ARGS]\n\n"
    "  info FILE [--json]          show header, segments, checksum, digest, app info\n"
    "  verify FILE                 check an image as the bootloader would\n"
    "  elf2image APP.elf -o BIN    build an image like esptool elf2image --chip esp32\n"
    "  mkelf -o APP.elf            write a synthetic ESP32 app ELF\n\n"
    "'fipytool image COMMAND --help' describes one command.\n",
    fpy_img_dispatch};
