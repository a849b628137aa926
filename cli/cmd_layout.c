/* Placeholder until the layout module lands (work in progress). */
#include "cli.h"

#include <stdio.h>

static int fpy_layout_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "fipytool layout: not built yet\n");
    return FPY_EXIT_FAIL;
}

const fpy_cli_cmd fpy_cmd_layout = {"layout", "(in progress)", "usage: fipytool layout\n", fpy_layout_run};
