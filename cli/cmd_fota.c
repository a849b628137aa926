/* Placeholder until the fota command lands (work in progress). */
#include "cli.h"

#include <stdio.h>

static int fpy_fota_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "fipytool fota: not built yet\n");
    return FPY_EXIT_FAIL;
}

const fpy_cli_cmd fpy_cmd_fota = {"fota", "(in progress)", "usage: fipytool fota\n", fpy_fota_run};
