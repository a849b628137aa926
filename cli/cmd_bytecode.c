/* fipytool bytecode: build and inspect fipy bytecode images (.fbc). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fipy/bcimage.h"
#include "hostio.h"

static const char fpy_bytecode_usage[] =
    "usage: fipytool bytecode build PAYLOAD --abi N [--secver N] -o OUT.fbc\n"
    "       fipytool bytecode info FILE.fbc [--abi N]\n\n"
    "Wrap a payload (the program a VM runs) in a fipy bytecode image: header\n"
    "with magic, format version, the VM ABI version it needs, payload length,\n"
    "SHA-256 and room for a signature (docs/formats/bytecode-image.md).\n"
    "'info' checks an image (header CRC, payload SHA-256, and with --abi the\n"
    "ABI a VM would demand) and prints its header; exit 1 if it fails.\n";

#define FPY_BC_MAX_FILE (1024u * 1024u)

static int fpy_bc_build_cmd(const char *in, const char *abi_s, const char *sv_s,
                            const char *out)
{
    uint32_t abi = 0, sv = 0;
    char err[256];
    int rc;
    if (abi_s == NULL)
        return fpy_cli_usage_error(&fpy_cmd_bytecode, "build needs --abi N");
    if ((rc = fpy_cli_number(&fpy_cmd_bytecode, "--abi", abi_s, FPY_NUM_PLAIN, UINT32_MAX,
                             &abi)) != 0 ||
        (rc = fpy_cli_number(&fpy_cmd_bytecode, "--secver", sv_s, FPY_NUM_PLAIN, UINT32_MAX,
                             &sv)) != 0)
        return rc;
    if (out == NULL)
        return fpy_cli_usage_error(&fpy_cmd_bytecode, "build needs -o OUT.fbc");
    rc = fpy_cli_distinct(&fpy_cmd_bytecode, out, &in, 1);
    if (rc != 0)
        return rc;
    uint8_t *payload;
    size_t len;
    if (fpy_file_read(in, FPY_BC_MAX_FILE, &payload, &len, err, sizeof err) != FPY_OK) {
        fprintf(stderr, "fipytool bytecode: %s\n", err);
        return FPY_EXIT_FAIL;
    }
    size_t total = FPY_BC_HEADER_LEN + len;
    uint8_t *img = malloc(total);
    rc = img ? fpy_bc_build(abi, sv, payload, (uint32_t)len, img, (uint32_t)total)
             : FPY_ERR_NOSPC;
    if (rc == FPY_OK)
        rc = fpy_file_write(out, img, total, err, sizeof err);
    else
        snprintf(err, sizeof err, "%s", fpy_strerror(rc));
    free(payload);
    free(img);
    if (rc != FPY_OK) {
        fprintf(stderr, "fipytool bytecode: %s\n", err);
        return FPY_EXIT_FAIL;
    }
    printf("%s: %zu bytes (header %u + payload %zu), VM ABI %u\n", out, total,
           FPY_BC_HEADER_LEN, len, abi);
    return FPY_EXIT_OK;
}

static int fpy_bc_info_cmd(const char *path, const char *abi_s)
{
    uint32_t abi = 0;
    char err[256], hex[65];
    int rc = fpy_cli_number(&fpy_cmd_bytecode, "--abi", abi_s, FPY_NUM_PLAIN, UINT32_MAX, &abi);
    if (rc != 0)
        return rc;
    uint8_t *buf;
    size_t len;
    if (fpy_file_read(path, FPY_BC_MAX_FILE + FPY_BC_HEADER_LEN, &buf, &len, err,
                      sizeof err) != FPY_OK) {
        fprintf(stderr, "fipytool bytecode: %s\n", err);
        return FPY_EXIT_FAIL;
    }
    fpy_bc_header h;
    fpy_diag d = {0};
    rc = fpy_bc_verify_mem(buf, len, abi_s ? &abi : NULL, &h, &d);
    free(buf);
    if (rc != FPY_OK) {
        fpy_report(path, &d, rc);
        return FPY_EXIT_FAIL;
    }
    fpy_hex(h.sha256, sizeof h.sha256, hex);
    printf("fipy bytecode image, format %u\n  VM ABI:           %u\n  payload:          %u "
           "bytes\n  security version: %u\n  flags:            0x%x (%s)\n  SHA-256:          "
           "%s (valid)\n  header CRC:       0x%08x (valid)\n",
           h.format_version, h.vm_abi, h.payload_len, h.security_version, h.flags,
           (h.flags & FPY_BC_FLAG_SIGNED) ? "signed" : "unsigned", hex, h.header_crc);
    return FPY_EXIT_OK;
}

typedef struct fpy_bc_args {
    const char *abi, *sv, *out;
} fpy_bc_args;

static int fpy_bc_build_run(void *ctx, int argc, char **argv)
{
    const fpy_bc_args *a = ctx;
    (void)argc;
    return fpy_bc_build_cmd(argv[1], a->abi, a->sv, a->out);
}

static int fpy_bc_info_run(void *ctx, int argc, char **argv)
{
    const fpy_bc_args *a = ctx;
    (void)argc;
    return fpy_bc_info_cmd(argv[1], a->abi);
}

static int fpy_bytecode_run(int argc, char **argv)
{
    static const fpy_cli_sub subs[] = {{"build", fpy_bc_build_run, NULL},
                                       {"info", fpy_bc_info_run, NULL}};
    static const fpy_cli_subs s = {.cmd = &fpy_cmd_bytecode, .sub = subs,
                                   .n = FPY_COUNTOF(subs), .unknown = "unknown action '%s'"};
    fpy_bc_args a = {0};
    const fpy_opt opts[] = {{"--abi", 0, &a.abi, NULL},
                            {"--secver", 0, &a.sv, NULL},
                            {"--out", 'o', &a.out, NULL}};
    char *pos[2];
    size_t npos;
    int rc = FPY_CLI_PARSE(&fpy_cmd_bytecode, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos != 2)
        return fpy_cli_usage_error(&fpy_cmd_bytecode, "expected an action and a file");
    return fpy_cli_run_sub(&s, &a, (int)npos, pos);
}

const fpy_cli_cmd fpy_cmd_bytecode = {"bytecode", "build and check bytecode images (.fbc)",
                                      fpy_bytecode_usage, fpy_bytecode_run};
