/* Placeholder until the boot command lands (work in progress). */
#include "cli.h"

#include <stdio.h>

static int fpy_boot_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "fipytool boot: not built yet\n");
    return FPY_EXIT_FAIL;
}

const fpy_cli_cmd fpy_cmd_boot = {"boot", "(in progress)", "usage: fipytool boot\n", fpy_boot_run};
