/*
 * fipytool image: ESP32 app images.
 *   info       what `esptool image-info` (5.x) prints, or JSON
 *   verify     checksum, SHA-256, loader rules, app description
 *   elf2image  `esptool elf2image --chip esp32`, byte for byte
 *   mkelf      a synthetic ESP32 app ELF (no cross compiler needed)
 */
#include "cmd_image.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fipy/flash.h"
#include "fipy/image.h"
#include "hostio.h"
#include "vmgen.h"

#define FPY_IMG_FILE_LIMIT (64u << 20)
/* An app image lives in the FiPy's 8 MiB flash: none is larger. */
#define FPY_IMG_MAX_LEN FPY_FLASH_SIZE_8M

static int fpy_img_verify_run(int argc, char **argv);
static int fpy_img_elf2image_run(int argc, char **argv);
static int fpy_img_mkelf_run(int argc, char **argv);

static const fpy_cli_cmd fpy_img_verify_cmd = {
    "image verify", "check an app image",
    "usage: fipytool image verify FILE [--no-app-desc] [--offset N]\n\n"
    "Check an ESP32 app image the way the ESP-IDF bootloader would: structure,\n"
    "checksum, appended SHA-256, chip id, segment lengths, 64 KiB mapping\n"
    "alignment, and an esp_app_desc_t at image offset 0x20. Only ESP32 images\n"
    "pass (chip id 0): an image for another chip is refused. FILE may be\n"
    "Intel HEX holding one image.\n\n"
    "  --no-app-desc  do not require the app description (bootloader images)\n"
    "  --offset N     the image starts N bytes into FILE (a binary file)\n\n"
    "Exit status: 0 valid, 1 invalid (the reason names field and offset),\n"
    "2 usage error.\n",
    fpy_img_verify_run};

static const fpy_cli_cmd fpy_img_elf2image_cmd = {
    "image elf2image", "build an app image from an ELF file",
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
    fpy_img_elf2image_run};

static const fpy_cli_cmd fpy_img_mkelf_cmd = {
    "image mkelf", "write a synthetic ESP32 app ELF",
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
    fpy_img_mkelf_run};


/* ---- shared ---------------------------------------------------------------- */

static int fpy_img_input_hex(const fpy_cli_cmd *cmd, fpy_img_input *in, const char *offset_s)
{
    fpy_diag d = {0};
    int err = fpy_ihex_parse((const char *)in->buf, in->len, &in->hex, &d);
    if (err != FPY_OK) {
        fpy_report(in->path, &d, err);
        return FPY_EXIT_FAIL;
    }
    if (offset_s != NULL)
        return fpy_cli_usage_error(cmd, "--offset: %s is Intel HEX, whose records give the "
                                   "addresses; --offset is for binary files", in->path);
    if (in->hex.nregion == 0) {
        fprintf(stderr, "fipytool: %s: the Intel HEX file holds no data records\n", in->path);
        return FPY_EXIT_FAIL;
    }
    if (!in->hex.has_eof)
        fprintf(stderr, "fipytool: warning: %s: no end-of-file record (type 01): the file "
                        "may be cut short\n", in->path);
    return FPY_EXIT_OK;
}

int fpy_img_input_open(const fpy_cli_cmd *cmd, const char *path, const char *offset_s,
                       fpy_img_input *in)
{
    char err[512];
    *in = (fpy_img_input){.path = path};
    int rc = fpy_cli_number(cmd, "--offset", offset_s, FPY_NUM_PLAIN, UINT32_MAX, &in->offset);
    if (rc != 0)
        return rc;
    if (fpy_file_read(path, FPY_IMG_FILE_LIMIT, &in->buf, &in->len, err, sizeof err) != FPY_OK) {
        fprintf(stderr, "fipytool: %s\n", err);
        return FPY_EXIT_FAIL;
    }
    in->is_hex = fpy_ihex_detect(in->buf, in->len);
    if (in->is_hex)
        rc = fpy_img_input_hex(cmd, in, offset_s);
    else if (in->offset > in->len) {
        fprintf(stderr, "fipytool: %s: --offset 0x%" PRIx32 " is past the end (%zu bytes)\n",
                path, in->offset, in->len);
        rc = FPY_EXIT_FAIL;
    }
    if (rc != 0)
        fpy_img_input_close(in);
    return rc;
}

int fpy_img_open_arg(const fpy_cli_cmd *cmd, int argc, char **argv, const fpy_opt opts[2],
                     const char *const *offset, fpy_img_input *in)
{
    const fpy_opt o[2] = {opts[0], opts[1]};
    char *pos[1];
    size_t npos = 0;
    int rc = FPY_CLI_PARSE(cmd, argc, argv, o, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos != 1)
        return fpy_cli_usage_error(cmd, "expected one FILE");
    rc = fpy_img_input_open(cmd, pos[0], *offset, in);
    return rc != 0 ? rc : FPY_IMG_OPENED;
}

size_t fpy_img_input_count(const fpy_img_input *in)
{
    return in->is_hex ? in->hex.nregion : 1u;
}

fpy_image_src fpy_img_input_src(const fpy_img_input *in, size_t i, uint32_t *where)
{
    if (!in->is_hex) {
        *where = in->offset;
        return fpy_image_src_mem(in->buf + in->offset, in->len - in->offset);
    }
    *where = in->hex.region[i].addr;
    return fpy_image_src_mem(in->hex.region[i].data, in->hex.region[i].len);
}

void fpy_img_input_close(fpy_img_input *in)
{
    fpy_ihex_free(&in->hex);
    free(in->buf);
    in->buf = NULL;
}

/* ---- verify ---------------------------------------------------------------- */

static int fpy_img_verify_run(int argc, char **argv)
{
    const fpy_cli_cmd *cmd = &fpy_img_verify_cmd;
    int no_desc = 0;
    const char *offset = NULL;
    const fpy_opt opts[] = {{"--no-app-desc", 0, NULL, &no_desc},
                            {"--offset", 0, &offset, NULL}};
    fpy_img_input in;
    int rc = fpy_img_open_arg(cmd, argc, argv, opts, &offset, &in);
    if (rc != FPY_IMG_OPENED)
        return rc;
    const char *path = in.path;
    if (fpy_img_input_count(&in) != 1) {
        fprintf(stderr, "fipytool: %s: the Intel HEX file holds %zu separate parts; 'image "
                        "verify' checks one image ('image info' shows each part)\n",
                path, fpy_img_input_count(&in));
        fpy_img_input_close(&in);
        return FPY_EXIT_FAIL;
    }
    uint32_t where;
    fpy_image_src src = fpy_img_input_src(&in, 0, &where);
    fpy_image_info info;
    fpy_diag d = {0};
    uint32_t flags = no_desc ? FPY_IMAGE_CHECK_LOADER : FPY_IMAGE_CHECK_APP;
    int err = fpy_image_verify(&src, NULL, 0, flags, &info, &d);
    fpy_img_input_close(&in);
    if (err != FPY_OK) {
        fpy_report(path, &d, err);
        return FPY_EXIT_FAIL;
    }
    printf("%s: valid: %" PRIu32 " segments, checksum 0x%02x, %s", path,
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

static int fpy_img_elf2image_run(int argc, char **argv)
{
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
    if ((rc = fpy_cli_distinct(cmd, a.out, inputs, 1)) != 0)
        return rc;
    fpy_image_opts o;
    if ((rc = fpy_img_e2i_opts(cmd, &a, &o)) != 0)
        return rc;
    return fpy_img_e2i_build(pos[0], a.out, &o);
}

/* ---- mkelf ---------------------------------------------------------------------- */

static int fpy_img_mkelf_write(const char *path, const fpy_vmgen_elf_args *a)
{
    uint8_t *out;
    size_t len;
    char err[512];
    int rc = fpy_vmgen_elf(a, &out, &len);
    if (rc == FPY_OK && fpy_file_write(path, out, len, err, sizeof err) != FPY_OK) {
        fprintf(stderr, "fipytool: %s\n", err);
        rc = FPY_ERR_IO;
    } else if (rc != FPY_OK) {
        fprintf(stderr, "fipytool: image mkelf: %s\n", fpy_strerror(rc));
    }
    free(out);
    return rc == FPY_OK ? FPY_EXIT_OK : FPY_EXIT_FAIL;
}

static int fpy_img_mkelf_run(int argc, char **argv)
{
    const fpy_cli_cmd *cmd = &fpy_img_mkelf_cmd;
    fpy_vmgen_elf_args a = {NULL, NULL, NULL, FPY_VMGEN_SIZES, 0};
    const char *out = NULL, *sizes[4] = {NULL, NULL, NULL, NULL};
    const fpy_opt opts[] = {
        {"--output", 'o', &out, NULL},         {"--project", 0, &a.project, NULL},
        {"--app-version", 0, &a.version, NULL},  {"--idf-version", 0, &a.idf, NULL},
        {"--rodata-size", 0, &sizes[0], NULL}, {"--dram-size", 0, &sizes[1], NULL},
        {"--iram-size", 0, &sizes[2], NULL},   {"--irom-size", 0, &sizes[3], NULL},
        {"--no-app-desc", 0, NULL, &a.no_desc},
    };
    static const char *const names[4] = {"--rodata-size", "--dram-size", "--iram-size",
                                         "--irom-size"};
    char *pos[1];
    size_t npos = 0;
    int rc = FPY_CLI_PARSE(cmd, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos != 0)
        return fpy_cli_usage_error(cmd, "unexpected argument '%s'", pos[0]);
    if (out == NULL)
        return fpy_cli_usage_error(cmd, "-o OUTPUT is required");
    for (int i = 0; i < 4; i++)
        if ((rc = fpy_cli_number(cmd, names[i], sizes[i], FPY_NUM_PLAIN, 0x3FFFFF, &a.sizes[i])))
            return rc;
    return fpy_img_mkelf_write(out, &a);
}

/* ---- dispatch --------------------------------------------------------------------- */

static void fpy_img_help(const fpy_cli_subs *sb, FILE *f)
{
    fprintf(f, "usage: fipytool image COMMAND [ARGS]\n\nESP32 app images.\n\nCommands:\n");
    fpy_cli_subs_list(sb, f);
    fprintf(f, "\n'fipytool image COMMAND --help' describes one command.\n"
               "Exit status: 0 ok, 1 failure, 2 usage error.\n");
}

static int fpy_img_dispatch(int argc, char **argv)
{
    static const fpy_cli_sub subs[] = {
        {"info", NULL, &fpy_img_info_cmd},
        {"verify", NULL, &fpy_img_verify_cmd},
        {"elf2image", NULL, &fpy_img_elf2image_cmd},
        {"mkelf", NULL, &fpy_img_mkelf_cmd},
    };
    static const fpy_cli_subs sb = {.cmd = &fpy_cmd_image, .sub = subs, .n = FPY_COUNTOF(subs),
                                    .help = fpy_img_help};
    return fpy_cli_dispatch(&sb, argc, argv);
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
