/* Placeholder until the image module lands (work in progress). */
#include "cli.h"

#include <stdio.h>

static int fpy_image_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "fipytool image: not built yet\n");
    return FPY_EXIT_FAIL;
}

const fpy_cli_cmd fpy_cmd_image = {"image", "(in progress)", "usage: fipytool image\n", fpy_image_run};
