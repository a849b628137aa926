/* fipytool: dispatch to one subcommand. */
#include "cli.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static const fpy_cli_cmd *const fpy_cmds[] = {
    &fpy_cmd_board,
    &fpy_cmd_layout,
    &fpy_cmd_partition,
    &fpy_cmd_image,
    &fpy_cmd_flash,
    &fpy_cmd_efuse,
    &fpy_cmd_bytecode,
    &fpy_cmd_keys,
    &fpy_cmd_sign,
    &fpy_cmd_verify,
    &fpy_cmd_otadata,
    &fpy_cmd_encrypt,
    &fpy_cmd_decrypt,
    &fpy_cmd_fota,
    &fpy_cmd_boot,
    &fpy_cmd_nvs,
    &fpy_cmd_sim,
    &fpy_cmd_project,
    &fpy_cmd_register,
    &fpy_cmd_vm,
    &fpy_cmd_virtualize,
    &fpy_cmd_upload,
    &fpy_cmd_protect,
    &fpy_cmd_device,
    &fpy_cmd_console,
};

#define FPY_NCMDS FPY_COUNTOF(fpy_cmds)

static void fpy_main_help(FILE *f)
{
    fprintf(f, "usage: fipytool COMMAND [ARGS]\n\n"
               "An open toolkit for the Pycom FiPy 1.0 (ESP32, 8 MB flash).\n\n"
               "Commands:\n");
    for (size_t i = 0; i < FPY_NCMDS; i++)
        fprintf(f, "  %-10s %s\n", fpy_cmds[i]->name, fpy_cmds[i]->summary);
    fprintf(f, "\n'fipytool COMMAND --help' describes one command.\n"
               "Exit status: 0 ok, 1 failure, 2 usage error.\n");
}

static const fpy_cli_cmd *fpy_lookup(const char *name)
{
    for (size_t i = 0; i < FPY_NCMDS; i++)
        if (strcmp(fpy_cmds[i]->name, name) == 0)
            return fpy_cmds[i];
    return NULL;
}

int main(int argc, char **argv)
{
    /* A file-size limit (ulimit -f) then fails the write with EFBIG, which
     * is reported with the file's name, instead of killing us mid-write. */
    signal(SIGXFSZ, SIG_IGN);
    /* Lines in order when stdout and stderr go to one pipe (the demo, CI logs). */
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2) {
        fpy_main_help(stderr);
        return FPY_EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fpy_main_help(stdout);
        return FPY_EXIT_OK;
    }
    if (strcmp(argv[1], "help") == 0) {
        const fpy_cli_cmd *c = argc > 2 ? fpy_lookup(argv[2]) : NULL;
        if (argc > 2 && c == NULL) {
            fprintf(stderr, "fipytool: no command '%s'\n", argv[2]);
            return FPY_EXIT_USAGE;
        }
        if (c != NULL)
            fpy_cli_help(c);
        else
            fpy_main_help(stdout);
        return FPY_EXIT_OK;
    }
    const fpy_cli_cmd *c = fpy_lookup(argv[1]);
    if (c == NULL) {
        fprintf(stderr, "fipytool: no command '%s'; try 'fipytool --help'\n", argv[1]);
        return FPY_EXIT_USAGE;
    }
    return c->run(argc - 1, argv + 1);
}
