/*
 * fipytool efuse summary: a board's eFuses read through the ROM loader
 * (host/efuse_rom.h): each field with its value and protection, and the
 * security state in words (docs/efuse.md).
 */
#include <stdio.h>
#include <string.h>

#include "efuse_rom.h"
#include "fipy/efuse.h"
#include "hostio.h"
#include "session.h"

static const char fpy_efuse_usage[] =
    "usage: fipytool efuse summary [--json] [board options]\n\n"
    "Read the eFuses of the board on the port through the ROM loader (download\n"
    "mode, as 'fipytool flash') and show them: the security state in words (flash\n"
    "encryption and its counter, secure boot, JTAG, the download mode's\n"
    "restrictions, the secure version), then each field with its value and\n"
    "whether software may read (R) and burn (W) it. A read-protected key shows\n"
    "as '?" "?'. Nothing is burnt.\n\n"
    "  --json            JSON lines: the session's events, then one object with\n"
    "                    \"security\" and \"fields\"\n"
    "Board options: --port PORT, --baud N, --wait S, --no-reset (as in\n"
    "'fipytool flash').\n"
    "Exit status: 0 shown, 1 failed, 2 usage error, 130 interrupted.\n";

static int fpy_efuse_run(int argc, char **argv);
const fpy_cli_cmd fpy_cmd_efuse = {"efuse", "show a board's eFuses and security state",
                                   fpy_efuse_usage, fpy_efuse_run};

static uint32_t fpy_efuse_val(const fpy_efuse *e, fpy_efuse_id id)
{
    uint32_t v = 0;
    (void)fpy_efuse_get(e, id, &v);
    return v;
}

/* The value as text: a number, the MAC with its CRC check, a key in
 * key-file order ("??" when read-protected: it reads 0). */
static void fpy_efuse_text(const fpy_efuse *e, fpy_efuse_id id, char *out, size_t cap)
{
    const fpy_efuse_field *f = fpy_efuse_field_get(id);
    if (id == FPY_EFUSE_MAC) {
        uint8_t m[6];
        fpy_efuse_get_mac(e, m);
        unsigned crc = fpy_efuse_val(e, FPY_EFUSE_MAC_CRC);
        snprintf(out, cap, "%02x:%02x:%02x:%02x:%02x:%02x (CRC 0x%02x %s)", m[0], m[1], m[2],
                 m[3], m[4], m[5], crc, crc == fpy_efuse_mac_crc(m) ? "OK" : "invalid");
    } else if (f->width == 256) {
        uint8_t k[FPY_EFUSE_KEY_LEN];
        (void)fpy_efuse_get_key(e, f->block, k);
        int hidden = !fpy_efuse_is_readable(e, id);
        for (unsigned i = 0; i < sizeof k && 2u * i + 3u <= cap; i++)
            snprintf(out + 2u * i, cap - 2u * i, hidden ? "??" : "%02x", k[i]);
    } else {
        snprintf(out, cap, "0x%x", (unsigned)fpy_efuse_val(e, id));
    }
}

static unsigned fpy_efuse_ones(uint32_t v)
{
    unsigned n = 0;
    for (; v != 0; v &= v - 1u)
        n++;
    return n;
}

static const char *fpy_efuse_tf(uint32_t v)
{
    return v ? "true" : "false";
}

/* One line, after the session's event lines (JSON Lines). */
static void fpy_efuse_json(const fpy_session *s, const fpy_efuse *e)
{
    printf("{\"port\": ");
    fpy_json_str(stdout, s->port);
    printf(", \"security\": {\"flash_encryption\": %s, \"flash_crypt_cnt\": %u, "
           "\"secure_boot\": %s, \"jtag_disabled\": %s, \"download_encrypt_disabled\": %s, "
           "\"download_decrypt_disabled\": %s, \"download_cache_disabled\": %s, "
           "\"secure_version\": %u}, \"fields\": {",
           fpy_efuse_tf((uint32_t)fpy_efuse_flash_crypt_on(e)),
           (unsigned)fpy_efuse_val(e, FPY_EFUSE_FLASH_CRYPT_CNT),
           fpy_efuse_tf(fpy_efuse_val(e, FPY_EFUSE_ABS_DONE_0)),
           fpy_efuse_tf(fpy_efuse_val(e, FPY_EFUSE_JTAG_DISABLE)),
           fpy_efuse_tf(fpy_efuse_val(e, FPY_EFUSE_DISABLE_DL_ENCRYPT)),
           fpy_efuse_tf(fpy_efuse_val(e, FPY_EFUSE_DISABLE_DL_DECRYPT)),
           fpy_efuse_tf(fpy_efuse_val(e, FPY_EFUSE_DISABLE_DL_CACHE)),
           fpy_efuse_secure_version(e));
    for (unsigned i = 0; i < FPY_EFUSE_NFIELDS; i++) {
        const fpy_efuse_field *f = fpy_efuse_field_get((fpy_efuse_id)i);
        char v[80];
        fpy_efuse_text(e, (fpy_efuse_id)i, v, sizeof v);
        printf("%s\"%s\": {\"block\": %u, \"value\": \"%s\", \"readable\": %s, "
               "\"writable\": %s}", i ? ", " : "", f->name, f->block, v,
               fpy_efuse_tf((uint32_t)fpy_efuse_is_readable(e, (fpy_efuse_id)i)),
               fpy_efuse_tf((uint32_t)fpy_efuse_is_writable(e, (fpy_efuse_id)i)));
    }
    printf("}}\n");
}

static void fpy_efuse_words(const fpy_efuse *e)
{
    static const char *const dl[3] = {"flash encryption", "flash decryption", "flash cache"};
    static const fpy_efuse_id dl_id[3] = {FPY_EFUSE_DISABLE_DL_ENCRYPT,
                                          FPY_EFUSE_DISABLE_DL_DECRYPT,
                                          FPY_EFUSE_DISABLE_DL_CACHE};
    unsigned cnt = (unsigned)fpy_efuse_val(e, FPY_EFUSE_FLASH_CRYPT_CNT);
    printf("Flash encryption: %s (FLASH_CRYPT_CNT 0x%02x: %u of 7 bits; config 0x%x)\n",
           fpy_efuse_flash_crypt_on(e) ? "on" : "off", cnt, fpy_efuse_ones(cnt),
           (unsigned)fpy_efuse_val(e, FPY_EFUSE_FLASH_CRYPT_CONFIG));
    printf("Secure boot:      %s (ABS_DONE_0; key BLOCK2 %s)\n",
           fpy_efuse_val(e, FPY_EFUSE_ABS_DONE_0) ? "on" : "off",
           fpy_efuse_is_readable(e, FPY_EFUSE_BLOCK2) ? "readable" : "read-protected");
    printf("JTAG:             %s\n",
           fpy_efuse_val(e, FPY_EFUSE_JTAG_DISABLE) ? "disabled (JTAG_DISABLE)" : "enabled");
    printf("Download mode:   ");
    for (unsigned i = 0; i < 3; i++)
        printf(" %s %s%s", dl[i], fpy_efuse_val(e, dl_id[i]) ? "disabled" : "allowed",
               i < 2 ? "," : "\n");
    printf("Secure version:   %u (SECURE_VERSION 0x%08x)\n\n", fpy_efuse_secure_version(e),
           (unsigned)fpy_efuse_val(e, FPY_EFUSE_SECURE_VERSION));
}

static void fpy_efuse_print(const fpy_session *s, const fpy_efuse *e)
{
    char line[200];
    printf("Port:             %s\n", s->port);
    fpy_efr_security_line(e, line, sizeof line);
    printf("Security:         %s\n", line);
    fpy_efuse_words(e);
    for (unsigned i = 0; i < FPY_EFUSE_NFIELDS; i++) {
        const fpy_efuse_field *f = fpy_efuse_field_get((fpy_efuse_id)i);
        char v[80];
        fpy_efuse_text(e, (fpy_efuse_id)i, v, sizeof v);
        printf("%-22s BLOCK%u %c/%c  %s\n", f->name, f->block,
               fpy_efuse_is_readable(e, (fpy_efuse_id)i) ? 'R' : '-',
               fpy_efuse_is_writable(e, (fpy_efuse_id)i) ? 'W' : '-', v);
    }
}

static int fpy_efuse_summary_run(void *ctx, int argc, char **argv)
{
    const fpy_session_args *a = ctx;
    (void)argv;
    if (argc != 1)
        return fpy_session_json_fail(
            a->json, fpy_cli_usage_error(&fpy_cmd_efuse, "'summary' takes no argument"), NULL);
    fpy_session s;
    fpy_flasher_opts o = {0};
    int rc = fpy_session_prepare(&s, &fpy_cmd_efuse, a, 1);
    if (rc == 0)
        rc = fpy_session_connect(&s, &o);
    if (rc != 0)
        return rc;
    fpy_efuse e;
    int er = fpy_efr_read(&s.fl.rc, &e);
    if (er == FPY_OK) {
        if (a->json)
            fpy_efuse_json(&s, &e);
        else
            fpy_efuse_print(&s, &e);
    }
    return fpy_session_close(&s, er, 1);
}

static int fpy_efuse_run(int argc, char **argv)
{
    static const fpy_cli_sub subs[] = {{"summary", fpy_efuse_summary_run, NULL}};
    static const fpy_cli_subs sd = {.cmd = &fpy_cmd_efuse, .sub = subs,
                                    .n = FPY_COUNTOF(subs)};
    fpy_session_args a = {0};
    const fpy_opt opts[] = {{"--port", 'p', &a.port, NULL},
                            {"--baud", 'b', &a.baud, NULL},
                            {"--wait", 0, &a.wait, NULL},
                            {"--json", 0, NULL, &a.json},
                            {"--no-reset", 0, NULL, &a.no_reset}};
    char *pos[4];
    size_t npos;
    int rc = FPY_CLI_PARSE(&fpy_cmd_efuse, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    return fpy_cli_run_sub(&sd, &a, (int)npos, pos);
}
