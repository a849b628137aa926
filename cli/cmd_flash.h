/* fipytool flash: shared by cli/cmd_flash.c (create, the dispatcher) and
 * cli/cmd_flash_board.c (the sub-commands that talk to a board). */
#ifndef FIPY_CMD_FLASH_H
#define FIPY_CMD_FLASH_H

#include "cli.h"
#include "session.h"

typedef struct fpy_flash_args {
    const char *layout, *vm, *bc;           /* create */
    fpy_session_args b;                     /* the board */
    int force, no_compress, no_skip;
} fpy_flash_args;

/* The sub-commands on a board: ctx is the fpy_flash_args, argv[0] the
 * sub-command's name, then its positionals.  Exit status 0, 1, 2, or 130
 * (interrupted). */
int fpy_flash_write_run(void *ctx, int argc, char **argv);
int fpy_flash_read_run(void *ctx, int argc, char **argv);
int fpy_flash_verify_run(void *ctx, int argc, char **argv);
int fpy_flash_erase_run(void *ctx, int argc, char **argv);
int fpy_flash_info_run(void *ctx, int argc, char **argv);


#endif
