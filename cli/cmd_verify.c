/* fipytool verify: check the signature of an app or bytecode image. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "hostio.h"
#include "sign.h"

static const char fpy_verify_usage[] =
    "usage: fipytool verify --key KEY FILE\n\n"
    "Check the signature of FILE, an ESP32 app image with a secure boot v1\n"
    "signature block (as `espsecure verify_signature --version 1` does) or a\n"
    "signed bytecode image, with KEY: a private or public PEM key, or the 64\n"
    "raw bytes X||Y of signature_verification_key.bin.  Exit 0 when valid;\n"
    "1 with the reason when not (docs/formats/signature.md).\n";

#define FPY_VERIFY_MAX_FILE (16u * 1024u * 1024u)

static int fpy_verify_do(const char *keyfile, const char *path)
{
    char err[512];
    fpy_sign_key k;
    uint8_t *buf;
    size_t len;
    if (fpy_sign_key_load(keyfile, &k, err, sizeof err) != FPY_OK) {
        fprintf(stderr, "fipytool verify: %s\n", err);
        return FPY_EXIT_FAIL;
    }
    if (fpy_file_read(path, FPY_VERIFY_MAX_FILE, &buf, &len, err, sizeof err) != FPY_OK) {
        fpy_sign_key_free(&k);
        fprintf(stderr, "fipytool verify: %s\n", err);
        return FPY_EXIT_FAIL;
    }
    fpy_diag d = {0};
    int kind;
    int rc = fpy_sign_verify(k.pub, buf, len, &kind, &d);
    fpy_sign_key_free(&k);
    free(buf);
    if (rc != FPY_OK) {
        fpy_report(path, &d, rc);
        return FPY_EXIT_FAIL;
    }
    printf("%s: signature valid (%s, ECDSA P-256)\n", path, fpy_sign_kind_name(kind));
    return FPY_EXIT_OK;
}

static int fpy_verify_run(int argc, char **argv)
{
    const char *key = NULL;
    const fpy_opt opts[] = {{"--key", 'k', &key, NULL}};
    char *pos[1];
    size_t npos;
    int rc = FPY_CLI_PARSE(&fpy_cmd_verify, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos != 1)
        return fpy_cli_usage_error(&fpy_cmd_verify, "expected one file");
    if (key == NULL)
        return fpy_cli_usage_error(&fpy_cmd_verify, "needs --key KEY");
    return fpy_verify_do(key, pos[0]);
}

const fpy_cli_cmd fpy_cmd_verify = {"verify", "check the signature of an app or bytecode image",
                                    fpy_verify_usage, fpy_verify_run};
