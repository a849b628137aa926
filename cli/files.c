/* The file rules every subcommand shares (docs/files.md). */
#include "cli.h"

#include <stdio.h>

#include "hostio.h"

int fpy_cli_distinct(const fpy_cli_cmd *cmd, const char *out, const char *const *in, size_t n)
{
    char err[1024];
    if (fpy_file_distinct(out, in, n, err, sizeof err) != FPY_OK)
        return fpy_cli_usage_error(cmd, "%s", err);
    return 0;
}

int fpy_cli_file_error(const fpy_cli_cmd *cmd, int rc, const char *msg)
{
    if (rc == FPY_ERR_INVAL)
        return fpy_cli_usage_error(cmd, "%s", msg);
    fprintf(stderr, "fipytool %s: %s\n", cmd->name, msg);
    return FPY_EXIT_FAIL;
}
