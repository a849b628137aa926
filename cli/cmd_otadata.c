/* Placeholder until the otadata command lands (work in progress). */
#include "cli.h"

#include <stdio.h>

static int fpy_otadata_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "fipytool otadata: not built yet\n");
    return FPY_EXIT_FAIL;
}

const fpy_cli_cmd fpy_cmd_otadata = {"otadata", "(in progress)", "usage: fipytool otadata\n", fpy_otadata_run};
