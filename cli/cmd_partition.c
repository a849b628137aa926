/* Placeholder until the partition module lands (work in progress). */
#include "cli.h"

#include <stdio.h>

static int fpy_partition_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "fipytool partition: not built yet\n");
    return FPY_EXIT_FAIL;
}

const fpy_cli_cmd fpy_cmd_partition = {"partition", "(in progress)", "usage: fipytool partition\n", fpy_partition_run};
