/* Option parsing shared by the subcommands. */
#include "cli.h"
#include "fipy/bytes.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fipy/flash.h"

void fpy_cli_help(const fpy_cli_cmd *cmd)
{
    fputs(cmd->usage, stdout);
}

int fpy_cli_done(int rc)
{
    return rc == FPY_CLI_HELP ? FPY_EXIT_OK : rc;
}

int fpy_cli_usage_error(const fpy_cli_cmd *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "fipytool %s: ", cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'fipytool %s --help'.\n", cmd->name);
    return FPY_EXIT_USAGE;
}

static const fpy_opt *fpy_find_opt(const fpy_opt *opts, size_t nopts,
                                   const char *arg, size_t namelen)
{
    for (size_t i = 0; i < nopts; i++) {
        if (arg[1] != '-') {
            if (namelen == 2 && opts[i].shortname == arg[1])
                return &opts[i];
        } else if (strlen(opts[i].name) == namelen &&
                   strncmp(opts[i].name, arg, namelen) == 0) {
            return &opts[i];
        }
    }
    return NULL;
}

static int fpy_take_opt(const fpy_cli_cmd *cmd, const fpy_opt *o,
                        const char *inline_val, int *i, int argc, char **argv)
{
    if (o->value == NULL) {
        if (inline_val != NULL)
            return fpy_cli_usage_error(cmd, "option %s takes no value", o->name);
        *o->flag = 1;
        return 0;
    }
    if (inline_val != NULL) {
        *o->value = inline_val;
        return 0;
    }
    if (*i + 1 >= argc)
        return fpy_cli_usage_error(cmd, "option %s needs a value", o->name);
    *o->value = argv[++*i];
    return 0;
}

/* "-x..." or "--x...", but not "-" (a file name) nor "-5" (a value): no
 * option name starts with a digit. */
static int fpy_is_option(const char *a)
{
    return a[0] == '-' && a[1] != '\0' && !(a[1] >= '0' && a[1] <= '9');
}

int fpy_cli_parse(const fpy_cli_cmd *cmd, int argc, char **argv,
                  const fpy_opt *opts, size_t nopts, char **pos,
                  size_t pos_max, size_t *npos)
{
    int only_pos = 0;
    *npos = 0;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (!only_pos && strcmp(a, "--") == 0) {
            only_pos = 1;
        } else if (!only_pos && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
            fpy_cli_help(cmd);
            return FPY_CLI_HELP;
        } else if (!only_pos && fpy_is_option(a)) {
            const char *eq = a[1] == '-' ? strchr(a, '=') : NULL;
            size_t namelen = eq ? (size_t)(eq - a) : strlen(a);
            const fpy_opt *o = fpy_find_opt(opts, nopts, a, namelen);
            if (o == NULL)
                return fpy_cli_usage_error(cmd, "unknown option '%s'", a);
            int rc = fpy_take_opt(cmd, o, eq ? eq + 1 : NULL, &i, argc, argv);
            if (rc != 0)
                return rc;
        } else {
            if (*npos >= pos_max)
                return fpy_cli_usage_error(cmd, "unexpected argument '%s'", a);
            pos[(*npos)++] = a;
        }
    }
    return 0;
}

/* The number rule, for s[0..len): decimal digits (leading zeros allowed,
 * still decimal), or 0x/0X and hex digits; at least one digit, at most
 * UINT32_MAX; nothing else. */
static int fpy_parse_number(const char *s, size_t len, uint32_t *out)
{
    unsigned base = 10;
    if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        len -= 2;
    }
    if (len == 0)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        int digit = fpy_hex_digit((unsigned char)s[i]);
        if (digit < 0 || (unsigned)digit >= base)
            return -1;
        v = v * base + (unsigned)digit;
        if (v > UINT32_MAX)
            return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

int fpy_cli_parse_u32(const char *s, uint32_t *out)
{
    return s == NULL ? -1 : fpy_parse_number(s, strlen(s), out);
}

int fpy_cli_parse_size(const char *s, uint32_t *out)
{
    if (s == NULL)
        return -1;
    size_t len = strlen(s);
    uint32_t mul = 1, v = 0;
    if (len > 1 && (s[len - 1] == 'B' || s[len - 1] == 'b') && strchr("KkMm", s[len - 2]))
        len--; /* esptool spells sizes 4KB, 1MB */
    if (len > 0 && strchr("KkMm", s[len - 1]) != NULL) {
        mul = s[len - 1] == 'K' || s[len - 1] == 'k' ? 1024u : 1024u * 1024u;
        len--;
    }
    if (fpy_parse_number(s, len, &v) != 0 || v > UINT32_MAX / mul)
        return -1;
    *out = v * mul;
    return 0;
}

/* A limit for people: "255", "0x800000 (8 MiB, the FiPy's flash)". */
static void fpy_cli_limit_text(uint32_t max, char *out, size_t n)
{
    const uint32_t mib = 1024u * 1024u;
    if (max <= 0xFFFFu)
        snprintf(out, n, "%" PRIu32, max);
    else if (max % mib == 0)
        snprintf(out, n, "0x%" PRIx32 " (%" PRIu32 " MiB%s)", max, max / mib,
                 max == FPY_FLASH_SIZE_8M ? ", the FiPy's flash" : "");
    else
        snprintf(out, n, "0x%" PRIx32, max);
}

int fpy_cli_number(const fpy_cli_cmd *cmd, const char *what, const char *s, unsigned kind,
                   uint32_t max, uint32_t *out)
{
    uint32_t v = 0;
    char limit[64];
    if (s == NULL)
        return 0;
    int rc = kind == FPY_NUM_SIZE ? fpy_cli_parse_size(s, &v) : fpy_cli_parse_u32(s, &v);
    if (rc != 0)
        return fpy_cli_usage_error(cmd, "%s: '%s' is not a %s", what, s,
                                   kind == FPY_NUM_SIZE
                                       ? "size (a number, optionally followed by K, KB, M or MB)"
                                       : "number (decimal digits, or 0x and hex digits)");
    if (v > max) {
        fpy_cli_limit_text(max, limit, sizeof limit);
        return fpy_cli_usage_error(cmd, "%s: '%s' is too large: at most %s", what, s, limit);
    }
    *out = v;
    return 0;
}
