/* Option parsing shared by the subcommands. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        } else if (!only_pos && a[0] == '-' && a[1] != '\0') {
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

int fpy_cli_parse_u32(const char *s, uint32_t *out)
{
    if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
        return -1;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno != 0 || end == s)
        return -1;
    unsigned long long mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = 1024;
    else if (*end == 'm' || *end == 'M')
        mul = 1024 * 1024;
    if (mul != 1)
        end++;
    if (*end != '\0' || v > 0xFFFFFFFFull / mul)
        return -1;
    *out = (uint32_t)(v * mul);
    return 0;
}
