/* fipytool keys: make and show signing keys (ECDSA P-256, PEM). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "hostio.h"
#include "sign.h"

static const char fpy_keys_usage[] =
    "usage: fipytool keys gen -o KEY.pem\n"
    "       fipytool keys pub KEY -o PUB [--raw]\n\n"
    "'gen' makes a new ECDSA P-256 signing key and writes it as PEM (SEC1 \"EC\n"
    "PRIVATE KEY\", as espsecure generate_signing_key and openssl ecparam\n"
    "-genkey write it), readable by its owner only (mode 0600); it never\n"
    "replaces an existing file.  'pub' writes the public half of KEY (a\n"
    "private or public PEM key) as a PEM \"PUBLIC KEY\", or with --raw as the\n"
    "64 bytes X||Y that ESP-IDF builds in as signature_verification_key.bin\n"
    "(espsecure extract_public_key --version 1).  docs/formats/signature.md.\n";

typedef struct fpy_keys_args {
    const char *out;
    int raw;
} fpy_keys_args;

/* A private key is written 0600 and never over another file. */
static int fpy_keys_write_private(const char *out, const char *pem, size_t len)
{
    char err[512];
    struct stat st;
    if (strcmp(out, "-") != 0 && lstat(out, &st) == 0) {
        fprintf(stderr, "fipytool keys: %s exists: gen does not replace a file (it may be "
                        "a key); name a new one\n", out);
        return FPY_EXIT_FAIL;
    }
    mode_t um = umask(077); /* the new file's mode: 0666 less this */
    int rc = fpy_file_write(out, pem, len, err, sizeof err);
    umask(um);
    if (rc != FPY_OK) {
        fprintf(stderr, "fipytool keys: %s\n", err);
        return FPY_EXIT_FAIL;
    }
    return FPY_EXIT_OK;
}

static int fpy_keys_gen(void *ctx, int argc, char **argv)
{
    const fpy_keys_args *a = ctx;
    char err[512], pem[1024], hex[2 * FPY_P256_PUB_LEN + 1];
    size_t len;
    if (argc != 1)
        return fpy_cli_usage_error(&fpy_cmd_keys, "gen takes no file argument (-o KEY.pem)");
    (void)argv;
    if (a->out == NULL)
        return fpy_cli_usage_error(&fpy_cmd_keys, "gen needs -o KEY.pem");
    fpy_sign_key k;
    if (fpy_sign_key_gen(&k, err, sizeof err) != FPY_OK) {
        fprintf(stderr, "fipytool keys: %s\n", err);
        return FPY_EXIT_FAIL;
    }
    int rc = fpy_sign_key_pem(&k, 1, pem, sizeof pem, &len) == FPY_OK
                 ? fpy_keys_write_private(a->out, pem, len)
                 : FPY_EXIT_FAIL;
    fpy_hex(k.pub, sizeof k.pub, hex);
    fpy_sign_key_free(&k);
    memset(pem, 0, sizeof pem);
    if (rc == FPY_EXIT_OK && strcmp(a->out, "-") != 0)
        printf("%s: new ECDSA P-256 key; public X||Y %s\n", a->out, hex);
    return rc;
}

static int fpy_keys_pub(void *ctx, int argc, char **argv)
{
    const fpy_keys_args *a = ctx;
    char err[512], pem[512];
    size_t len = 0;
    if (argc != 2)
        return fpy_cli_usage_error(&fpy_cmd_keys, "pub needs a key file");
    if (a->out == NULL)
        return fpy_cli_usage_error(&fpy_cmd_keys, "pub needs -o PUB");
    int rc = fpy_cli_distinct(&fpy_cmd_keys, a->out, (const char *const *)&argv[1], 1);
    if (rc != 0)
        return rc;
    fpy_sign_key k;
    if (fpy_sign_key_load(argv[1], &k, err, sizeof err) != FPY_OK) {
        fprintf(stderr, "fipytool keys: %s\n", err);
        return FPY_EXIT_FAIL;
    }
    const void *bytes = k.pub;
    len = sizeof k.pub;
    if (!a->raw) {
        rc = fpy_sign_key_pem(&k, 0, pem, sizeof pem, &len);
        bytes = pem;
    }
    if (rc == FPY_OK)
        rc = fpy_file_write(a->out, bytes, len, err, sizeof err);
    else
        snprintf(err, sizeof err, "cannot write the public key as PEM");
    fpy_sign_key_free(&k);
    if (rc != FPY_OK) {
        fprintf(stderr, "fipytool keys: %s\n", err);
        return FPY_EXIT_FAIL;
    }
    return FPY_EXIT_OK;
}

static int fpy_keys_run(int argc, char **argv)
{
    static const fpy_cli_sub subs[] = {{"gen", fpy_keys_gen, NULL}, {"pub", fpy_keys_pub, NULL}};
    static const fpy_cli_subs s = {.cmd = &fpy_cmd_keys, .sub = subs, .n = FPY_COUNTOF(subs),
                                   .unknown = "unknown action '%s'"};
    fpy_keys_args a = {0};
    const fpy_opt opts[] = {{"--out", 'o', &a.out, NULL}, {"--raw", 0, NULL, &a.raw}};
    char *pos[2];
    size_t npos;
    int rc = FPY_CLI_PARSE(&fpy_cmd_keys, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    return fpy_cli_run_sub(&s, &a, (int)npos, pos);
}

const fpy_cli_cmd fpy_cmd_keys = {"keys", "make signing keys, extract public keys",
                                  fpy_keys_usage, fpy_keys_run};
