/* fipytool encrypt / decrypt: the ESP32's flash encryption (sim/flashcrypt.h)
 * on a file, as espsecure's encrypt_flash_data / decrypt_flash_data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "flashcrypt.h"
#include "hostio.h"

static const char fpy_encrypt_usage[] =
    "usage: fipytool encrypt --key KEY.bin --address ADDR [--flash-crypt-conf N] IN -o OUT\n\n"
    "Encrypt IN as the ESP32's flash encryption stores it at flash address ADDR:\n"
    "the same bytes as espsecure encrypt_flash_data for the same key, address and\n"
    "FLASH_CRYPT_CONFIG (docs/formats/flash-encryption.md).\n"
    "  --key KEY.bin           the flash encryption key: exactly 32 bytes (256 bits)\n"
    "  --address ADDR          where IN goes in flash: a multiple of 16, below 16 MiB\n"
    "  --flash-crypt-conf N    the FLASH_CRYPT_CONFIG eFuse (0..0xF, default 0xF)\n"
    "  -o, --out OUT           the ciphertext\n"
    "IN is padded with 0xFF bytes to a multiple of 16 (espsecure pads with random\n"
    "bytes): the padding is said on stderr.\n";

static const char fpy_decrypt_usage[] =
    "usage: fipytool decrypt --key KEY.bin --address ADDR [--flash-crypt-conf N] IN -o OUT\n\n"
    "Decrypt IN, bytes read raw from ESP32 flash at address ADDR with flash\n"
    "encryption on: the same bytes as espsecure decrypt_flash_data.  IN's length\n"
    "must be a multiple of 16.  Options as for 'fipytool encrypt'.\n";

typedef struct fpy_crypt_args {
    const fpy_cli_cmd *cmd;
    int encrypt;
    const char *key, *addr, *conf, *out, *in;
} fpy_crypt_args;

/* Key bytes are wiped before they are freed; a plain memset before free()
 * may be dropped by the compiler. */
static void fpy_crypt_wipe(uint8_t *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n--)
        *v++ = 0;
}

static int fpy_crypt_load_key(const fpy_crypt_args *a, uint8_t key[FPY_FLASHCRYPT_KEY_LEN])
{
    char err[512];
    uint8_t *buf;
    size_t len;
    if (fpy_file_read(a->key, 4096, &buf, &len, err, sizeof err) != FPY_OK) {
        fprintf(stderr, "fipytool %s: key: %s\n", a->cmd->name, err);
        return FPY_EXIT_FAIL;
    }
    int ok = len == FPY_FLASHCRYPT_KEY_LEN;
    if (ok)
        memcpy(key, buf, FPY_FLASHCRYPT_KEY_LEN);
    fpy_crypt_wipe(buf, len);
    free(buf);
    if (!ok) {
        fprintf(stderr, "fipytool %s: key %s has %zu bytes; an ESP32 flash encryption key is "
                        "exactly 32 bytes (256 bits, raw)\n", a->cmd->name, a->key, len);
        return FPY_EXIT_FAIL;
    }
    return FPY_EXIT_OK;
}

/* The numbers and files of the command line: 0 or a usage error. */
static int fpy_crypt_check_args(const fpy_crypt_args *a, uint32_t *addr, uint32_t *conf)
{
    const fpy_cli_cmd *c = a->cmd;
    if (a->key == NULL)
        return fpy_cli_usage_error(c, "needs --key KEY.bin (the 32-byte flash encryption key)");
    if (a->addr == NULL)
        return fpy_cli_usage_error(c, "needs --address ADDR (where the data sits in flash)");
    if (a->out == NULL)
        return fpy_cli_usage_error(c, "needs -o OUT");
    int rc = fpy_cli_number(c, "--address", a->addr, FPY_NUM_PLAIN,
                            FPY_FLASHCRYPT_ADDR_END - FPY_FLASHCRYPT_BLOCK, addr);
    if (rc == 0)
        rc = fpy_cli_number(c, "--flash-crypt-conf", a->conf, FPY_NUM_PLAIN,
                            FPY_FLASHCRYPT_CONF_MAX, conf);
    if (rc != 0)
        return rc;
    if (*addr % FPY_FLASHCRYPT_BLOCK != 0)
        return fpy_cli_usage_error(c, "--address 0x%x is not a multiple of 16 (flash "
                                      "encryption works in 16-byte blocks)", (unsigned)*addr);
    const char *in[2] = {a->in, a->key};
    return fpy_cli_distinct(c, a->out, in, 2);
}

/* IN's bytes, with room for the padding to 16: 0 or the exit status. */
static int fpy_crypt_load_in(const fpy_crypt_args *a, uint32_t addr, uint8_t **buf,
                             size_t *len)
{
    char err[512];
    size_t room = FPY_FLASHCRYPT_ADDR_END - addr;
    if (fpy_file_read(a->in, room, buf, len, err, sizeof err) != FPY_OK) {
        fprintf(stderr, "fipytool %s: %s (flash ends at 16 MiB: at most %zu bytes from "
                        "address 0x%x)\n", a->cmd->name, err, room, (unsigned)addr);
        return FPY_EXIT_FAIL;
    }
    size_t pad = (FPY_FLASHCRYPT_BLOCK - *len % FPY_FLASHCRYPT_BLOCK) % FPY_FLASHCRYPT_BLOCK;
    if (pad != 0 && !a->encrypt) {
        fprintf(stderr, "fipytool decrypt: %s has %zu bytes, not a multiple of 16: flash "
                        "encryption works in 16-byte blocks\n", a->in, *len);
        free(*buf);
        return FPY_EXIT_FAIL;
    }
    if (pad == 0)
        return FPY_EXIT_OK;
    uint8_t *p = realloc(*buf, *len + pad);
    if (p == NULL) {
        fprintf(stderr, "fipytool encrypt: out of memory\n");
        free(*buf);
        return FPY_EXIT_FAIL;
    }
    memset(p + *len, 0xFF, pad);
    fprintf(stderr, "fipytool encrypt: note: %s has %zu bytes; padded with %zu bytes 0xFF to a "
                    "multiple of 16\n", a->in, *len, pad);
    *buf = p;
    *len += pad;
    return FPY_EXIT_OK;
}

static int fpy_crypt_do(const fpy_crypt_args *a)
{
    uint32_t addr = 0, conf = FPY_FLASHCRYPT_CONF_DEFAULT;
    uint8_t key[FPY_FLASHCRYPT_KEY_LEN], *buf = NULL;
    size_t len = 0;
    char err[512];
    int rc = fpy_crypt_check_args(a, &addr, &conf);
    if (rc != 0)
        return rc;
    if ((rc = fpy_crypt_load_key(a, key)) != 0)
        return rc;
    if ((rc = fpy_crypt_load_in(a, addr, &buf, &len)) != 0) {
        fpy_crypt_wipe(key, sizeof key);
        return rc;
    }
    rc = a->encrypt ? fpy_flashcrypt_encrypt(key, conf, addr, buf, buf, len)
                    : fpy_flashcrypt_decrypt(key, conf, addr, buf, buf, len);
    fpy_crypt_wipe(key, sizeof key);
    if (rc != FPY_OK)
        snprintf(err, sizeof err, "%s at 0x%x: %s", a->in, (unsigned)addr, fpy_strerror(rc));
    else
        rc = fpy_file_write(a->out, buf, len, err, sizeof err);
    if (!a->encrypt)
        fpy_crypt_wipe(buf, len); /* plaintext */
    free(buf);
    if (rc != FPY_OK) {
        fprintf(stderr, "fipytool %s: %s\n", a->cmd->name, err);
        return FPY_EXIT_FAIL;
    }
    if (strcmp(a->out, "-") != 0)
        printf("%s: %zu bytes %s for flash address 0x%x (FLASH_CRYPT_CONFIG 0x%x)\n", a->out,
               len, a->encrypt ? "encrypted" : "decrypted", (unsigned)addr, (unsigned)conf);
    return FPY_EXIT_OK;
}

static int fpy_crypt_run(const fpy_cli_cmd *cmd, int encrypt, int argc, char **argv)
{
    fpy_crypt_args a = {cmd, encrypt, NULL, NULL, NULL, NULL, NULL};
    const fpy_opt opts[] = {{"--key", 'k', &a.key, NULL},
                            {"--address", 'a', &a.addr, NULL},
                            {"--flash-crypt-conf", 0, &a.conf, NULL},
                            {"--out", 'o', &a.out, NULL}};
    char *pos[1];
    size_t npos;
    int rc = FPY_CLI_PARSE(cmd, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos != 1)
        return fpy_cli_usage_error(cmd, "expected one input file");
    a.in = pos[0];
    return fpy_crypt_do(&a);
}

static int fpy_encrypt_run(int argc, char **argv)
{
    return fpy_crypt_run(&fpy_cmd_encrypt, 1, argc, argv);
}

static int fpy_decrypt_run(int argc, char **argv)
{
    return fpy_crypt_run(&fpy_cmd_decrypt, 0, argc, argv);
}

const fpy_cli_cmd fpy_cmd_encrypt = {"encrypt", "encrypt data for ESP32 flash encryption",
                                     fpy_encrypt_usage, fpy_encrypt_run};
const fpy_cli_cmd fpy_cmd_decrypt = {"decrypt", "decrypt data read from encrypted ESP32 flash",
                                     fpy_decrypt_usage, fpy_decrypt_run};
