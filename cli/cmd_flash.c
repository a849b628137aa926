/* Placeholder until the flash command lands (work in progress). */
#include "cli.h"

#include <stdio.h>

static int fpy_flash_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "fipytool flash: not built yet\n");
    return FPY_EXIT_FAIL;
}

const fpy_cli_cmd fpy_cmd_flash = {"flash", "(in progress)", "usage: fipytool flash\n", fpy_flash_run};
