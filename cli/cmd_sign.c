/* fipytool sign: sign an app image (secure boot v1) or a bytecode image. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "hostio.h"
#include "sign.h"

static const char fpy_sign_usage[] =
    "usage: fipytool sign --key KEY.pem IN -o OUT [--replace]\n\n"
    "Sign IN with the ECDSA P-256 private key KEY (PEM: SEC1 or PKCS#8).  An\n"
    "ESP32 app image gets ESP-IDF's secure boot v1 signature block appended\n"
    "(68 bytes: version 0, r, s), the bytes `espsecure sign_data --version 1`\n"
    "writes (RFC 6979: the same key and image give the same signature).  The\n"
    "image must end with its digest: sign before any padding (elf2image\n"
    "--secure-pad pads inside the image).  A bytecode image gets its signed\n"
    "flag and the signature in its header.  An input already signed is\n"
    "refused unless --replace.  The result is verified before it is written.\n"
    "docs/formats/signature.md.\n";

#define FPY_SIGN_MAX_FILE (16u * 1024u * 1024u)

typedef struct fpy_sign_args {
    const char *key, *out;
    int replace;
} fpy_sign_args;

static int fpy_sign_do(const fpy_sign_args *a, const char *in)
{
    char err[512];
    fpy_sign_key k;
    uint8_t *buf, *out = NULL;
    size_t len, out_len = 0;
    if (fpy_sign_key_load(a->key, &k, err, sizeof err) != FPY_OK) {
        fprintf(stderr, "fipytool sign: %s\n", err);
        return FPY_EXIT_FAIL;
    }
    if (!k.has_private) {
        fpy_sign_key_free(&k);
        fprintf(stderr, "fipytool sign: %s is a public key: signing needs the private key\n",
                a->key);
        return FPY_EXIT_FAIL;
    }
    int rc = fpy_file_read(in, FPY_SIGN_MAX_FILE, &buf, &len, err, sizeof err);
    if (rc != FPY_OK) {
        fpy_sign_key_free(&k);
        fprintf(stderr, "fipytool sign: %s\n", err);
        return FPY_EXIT_FAIL;
    }
    fpy_diag d = {0};
    int kind = fpy_sign_kind(buf, len);
    rc = fpy_sign_image(&k, buf, len, a->replace ? FPY_SIGN_REPLACE : 0u, &out, &out_len, &d);
    fpy_sign_key_free(&k);
    free(buf);
    if (rc != FPY_OK) {
        fpy_report(in, &d, rc);
        return FPY_EXIT_FAIL;
    }
    rc = fpy_file_write(a->out, out, out_len, err, sizeof err);
    free(out);
    if (rc != FPY_OK) {
        fprintf(stderr, "fipytool sign: %s\n", err);
        return FPY_EXIT_FAIL;
    }
    if (a->out[0] != '-' || a->out[1] != '\0')
        printf("%s: signed %s, %zu bytes\n", a->out, fpy_sign_kind_name(kind), out_len);
    return FPY_EXIT_OK;
}

static int fpy_sign_run(int argc, char **argv)
{
    fpy_sign_args a = {0};
    const fpy_opt opts[] = {{"--key", 'k', &a.key, NULL},
                            {"--out", 'o', &a.out, NULL},
                            {"--replace", 0, NULL, &a.replace}};
    char *pos[1];
    size_t npos;
    int rc = FPY_CLI_PARSE(&fpy_cmd_sign, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos != 1)
        return fpy_cli_usage_error(&fpy_cmd_sign, "expected one input file");
    if (a.key == NULL)
        return fpy_cli_usage_error(&fpy_cmd_sign, "needs --key KEY.pem");
    if (a.out == NULL)
        return fpy_cli_usage_error(&fpy_cmd_sign, "needs -o OUT");
    const char *ins[2] = {pos[0], a.key};
    rc = fpy_cli_distinct(&fpy_cmd_sign, a.out, ins, 2);
    if (rc != 0)
        return rc;
    return fpy_sign_do(&a, pos[0]);
}

const fpy_cli_cmd fpy_cmd_sign = {"sign", "sign an app image (secure boot v1) or bytecode",
                                  fpy_sign_usage, fpy_sign_run};
