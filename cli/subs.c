/* The sub-command dispatcher: see cli.h. */
#include "cli.h"

#include <string.h>

/* "which command? gen, dump, get, set or erase" */
static int fpy_cli_missing(const fpy_cli_subs *s)
{
    char list[256] = "";
    if (s->missing != NULL)
        return fpy_cli_usage_error(s->cmd, "%s", s->missing);
    for (size_t i = 0; i < s->n; i++) {
        const char *sep = i == 0 ? "" : i + 1 == s->n ? " or " : ", ";
        strncat(list, sep, sizeof list - strlen(list) - 1);
        strncat(list, s->sub[i].name, sizeof list - strlen(list) - 1);
    }
    return fpy_cli_usage_error(s->cmd, "which command? %s", list);
}

int fpy_cli_run_sub(const fpy_cli_subs *s, void *ctx, int argc, char **argv)
{
    if (argc < 1)
        return fpy_cli_missing(s);
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(argv[0], s->sub[i].name) == 0)
            return s->sub[i].cmd != NULL ? s->sub[i].cmd->run(argc, argv)
                                         : s->sub[i].run(ctx, argc, argv);
    return fpy_cli_usage_error(s->cmd, s->unknown ? s->unknown : "no command '%s'", argv[0]);
}

int fpy_cli_dispatch(const fpy_cli_subs *s, int argc, char **argv)
{
    int help = argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0);
    if (s->help != NULL && (help || argc < 2)) {
        s->help(s, help ? stdout : stderr);
        return help ? FPY_EXIT_OK : FPY_EXIT_USAGE;
    }
    if (help) {
        fpy_cli_help(s->cmd);
        return FPY_EXIT_OK;
    }
    return fpy_cli_run_sub(s, NULL, argc - 1, argv + 1);
}

void fpy_cli_subs_list(const fpy_cli_subs *s, FILE *f)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->sub[i].cmd != NULL)
            fprintf(f, "  %-10s %s\n", s->sub[i].name, s->sub[i].cmd->summary);
}
