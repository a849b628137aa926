/* Placeholder until the nvs command lands (work in progress). */
#include "cli.h"

#include <stdio.h>

static int fpy_nvs_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "fipytool nvs: not built yet\n");
    return FPY_EXIT_FAIL;
}

const fpy_cli_cmd fpy_cmd_nvs = {"nvs", "(in progress)", "usage: fipytool nvs\n", fpy_nvs_run};
