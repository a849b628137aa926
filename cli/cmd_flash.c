/* fipytool flash: make a FiPy flash image file to work on without a board. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_flash.h"
#include "fipy/part.h"
#include "hostio.h"

static const char fpy_flash_usage[] =
    "usage: fipytool flash create FLASH.bin [--layout nonble|ble] [--vm VM.bin]\n"
    "                             [--bc APP.fbc] [--force]\n"
    "       fipytool flash write ADDR FILE [ADDR FILE ...] [board options]\n"
    "                            [--no-compress] [--no-skip] [--force]\n"
    "       fipytool flash read ADDR SIZE FILE [board options]\n"
    "       fipytool flash verify ADDR FILE [ADDR FILE ...] [board options]\n"
    "       fipytool flash erase-region ADDR SIZE [board options]\n"
    "       fipytool flash info [board options]\n\n"
    "  create        write a new 8 MiB FiPy flash image file: erased (0xFF), with\n"
    "                the layout's partition table at 0x8000 and, if given, a VM\n"
    "                image in VM slot 0 and a bytecode image in bytecode slot 0\n"
    "                (both checked first); an existing file is kept unless --force\n"
    "  write         write files to a board's flash through the ESP32 ROM loader:\n"
    "                only the 4 KiB sectors that differ (asked by MD5), compressed,\n"
    "                each piece checked by MD5; running it again after a failure or\n"
    "                Ctrl-C resumes (what already matches is skipped). ADDR must be\n"
    "                a multiple of 4 KiB; the rest of a file's last sector is erased.\n"
    "                A VM image at a VM slot and a partition table at 0x8000 are\n"
    "                checked first (--force writes them anyway)\n"
    "  read          read SIZE bytes at ADDR into FILE (64 bytes per request: slow)\n"
    "  verify        compare files with the flash by MD5; names the first\n"
    "                differing sector\n"
    "  erase-region  erase SIZE bytes at ADDR (both multiples of 4 KiB)\n"
    "  info          chip, revision, features, crystal, MAC, flash ID and size\n\n"
    "Board options:\n"
    "  --port PORT   /dev/ttyUSB0, rfc2217://HOST:PORT or socket://HOST:PORT;\n"
    "                without it, the one FiPy expansion board found on USB\n"
    "  --baud N      rate after the ROM answers (default 921600; socket:// stays)\n"
    "  --no-reset    touch no modem line (the board is in download mode already)\n"
    "  --wait S      how long to wait for a reset by hand (jumper G23-GND and the\n"
    "                reset button) when the port has no modem lines (default 60)\n"
    "  --json        one JSON object per line on stdout: the stages and progress\n"
    "                (docs/flasher.md)\n"
    "Exit status: 0 done, 1 failed, 2 usage error, 130 interrupted (Ctrl-C).\n";

/* Copy an image into its slot, if it fits. */
static int fpy_put(uint8_t *mem, const fpy_area *a, const fpy_cli_image *im, const char *what)
{
    if (im->buf == NULL)
        return FPY_EXIT_OK;
    if (im->len > a->size) {
        fprintf(stderr, "fipytool flash: %s %s: %zu bytes do not fit %s (%u bytes)\n",
                im->kind, im->path, im->len, what, a->size);
        return FPY_EXIT_FAIL;
    }
    memcpy(mem + a->offset, im->buf, im->len);
    return FPY_EXIT_OK;
}

static int fpy_fill(uint8_t *mem, const fpy_layout *l, const fpy_cli_image im[2])
{
    uint8_t table[FPY_PART_TABLE_LEN];
    fpy_part_table t;
    fpy_diag d = {0};
    if (fpy_part_from_layout(l, NULL, &t, &d) != FPY_OK ||
        fpy_part_encode(&t, table, sizeof table, &d) != FPY_OK) {
        fprintf(stderr, "fipytool flash: cannot encode the %s partition table\n", l->name);
        return FPY_EXIT_FAIL;
    }
    memcpy(mem + FPY_PART_TABLE_OFFSET, table, sizeof table);
    int rc = fpy_put(mem, fpy_layout_area(l, FPY_AREA_VM_SLOT, 0), &im[0], "VM slot 0");
    return rc != FPY_EXIT_OK
               ? rc
               : fpy_put(mem, fpy_layout_area(l, FPY_AREA_BC_SLOT, 0), &im[1], "bytecode slot 0");
}

static int fpy_create(const char *path, const char *layout, const char *vm, const char *bc,
                      int force)
{
    const fpy_layout *l = fpy_layout_find(layout ? layout : "nonble");
    char err[256];
    if (l == NULL)
        return fpy_cli_usage_error(&fpy_cmd_flash, "no layout '%s' (nonble or ble)", layout);
    if (!force && access(path, F_OK) == 0) {
        fprintf(stderr, "fipytool flash: %s exists; keeping it (use --force to replace)\n",
                path);
        return FPY_EXIT_FAIL;
    }
    /* both images read and checked by the board's rules before anything */
    fpy_cli_image im[2] = FPY_CLI_IMAGES(vm, bc);
    int rc = fpy_cli_images_load(&fpy_cmd_flash, im, 16u << 20);
    if (rc == FPY_EXIT_OK)
        rc = fpy_cli_images_check(&fpy_cmd_flash, im);
    uint8_t *mem = rc == FPY_EXIT_OK ? malloc(l->flash_size) : NULL;
    if (rc == FPY_EXIT_OK && mem == NULL)
        rc = FPY_EXIT_FAIL;
    if (rc == FPY_EXIT_OK) {
        memset(mem, 0xFF, l->flash_size);
        rc = fpy_fill(mem, l, im);
    }
    fpy_cli_images_free(im);
    if (rc == FPY_EXIT_OK && fpy_file_write(path, mem, l->flash_size, err, sizeof err) != FPY_OK) {
        fprintf(stderr, "fipytool flash: %s\n", err);
        rc = FPY_EXIT_FAIL;
    }
    free(mem);
    if (rc == FPY_EXIT_OK)
        printf("%s: 8 MiB FiPy flash, %s layout%s%s\n", path, l->name,
               vm ? ", VM in slot 0" : "", bc ? ", bytecode in slot 0" : "");
    return rc;
}

static int fpy_flash_create_run(void *ctx, int argc, char **argv)
{
    const fpy_flash_args *a = ctx;
    if (a->b.port || a->b.baud || a->b.wait || a->b.json || a->no_compress || a->no_skip ||
        a->b.no_reset)
        return fpy_cli_usage_error(&fpy_cmd_flash, "board options do not apply to 'flash create'");
    if (argc != 2)
        return fpy_cli_usage_error(&fpy_cmd_flash, "expected 'create FLASH.bin'");
    const char *const inputs[] = {a->vm, a->bc};
    int rc = fpy_cli_distinct(&fpy_cmd_flash, argv[1], inputs, FPY_COUNTOF(inputs));
    if (rc != 0)
        return rc;
    return fpy_create(argv[1], a->layout, a->vm, a->bc, a->force);
}

static int fpy_flash_run(int argc, char **argv)
{
    static const fpy_cli_sub subs[] = {{"create", fpy_flash_create_run, NULL},
                                       {"write", fpy_flash_write_run, NULL},
                                       {"read", fpy_flash_read_run, NULL},
                                       {"verify", fpy_flash_verify_run, NULL},
                                       {"erase-region", fpy_flash_erase_run, NULL},
                                       {"info", fpy_flash_info_run, NULL}};
    static const fpy_cli_subs s = {.cmd = &fpy_cmd_flash, .sub = subs, .n = FPY_COUNTOF(subs)};
    fpy_flash_args a = {0};
    const fpy_opt opts[] = {{"--layout", 0, &a.layout, NULL},
                            {"--vm", 0, &a.vm, NULL},
                            {"--bc", 0, &a.bc, NULL},
                            {"--force", 0, NULL, &a.force},
                            {"--port", 'p', &a.b.port, NULL},
                            {"--baud", 'b', &a.b.baud, NULL},
                            {"--wait", 0, &a.b.wait, NULL},
                            {"--json", 0, NULL, &a.b.json},
                            {"--no-compress", 0, NULL, &a.no_compress},
                            {"--no-skip", 0, NULL, &a.no_skip},
                            {"--no-reset", 0, NULL, &a.b.no_reset}};
    char *pos[65];
    size_t npos;
    int rc = FPY_CLI_PARSE(&fpy_cmd_flash, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    return fpy_cli_run_sub(&s, &a, (int)npos, pos);
}

const fpy_cli_cmd fpy_cmd_flash = {"flash", "flash image files; write, read, verify a board's flash",
                                   fpy_flash_usage, fpy_flash_run};
