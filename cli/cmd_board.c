/* Placeholder until the board module lands (work in progress). */
#include "cli.h"

#include <stdio.h>

static int fpy_board_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "fipytool board: not built yet\n");
    return FPY_EXIT_FAIL;
}

const fpy_cli_cmd fpy_cmd_board = {"board", "(in progress)", "usage: fipytool board\n", fpy_board_run};
