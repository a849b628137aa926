/* Placeholder until the bytecode command lands (work in progress). */
#include "cli.h"

#include <stdio.h>

static int fpy_bytecode_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "fipytool bytecode: not built yet\n");
    return FPY_EXIT_FAIL;
}

const fpy_cli_cmd fpy_cmd_bytecode = {"bytecode", "(in progress)", "usage: fipytool bytecode\n", fpy_bytecode_run};
