/*
 * Private to `fipytool image` (cmd_image.c, cmd_image_info.c): the info
 * subcommand, and the input file both info and verify read.
 */
#ifndef FIPY_CMD_IMAGE_H
#define FIPY_CMD_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "fipy/image.h"
#include "ihex.h"

extern const fpy_cli_cmd fpy_img_info_cmd;

/* An input file: a binary file holding one image from `offset` on, or an
 * Intel HEX file (esptool's test: it starts with ':') whose regions each
 * hold one part (an image, a partition table, ...). */
typedef struct fpy_img_input {
    const char *path;
    uint8_t *buf;
    size_t len;
    uint32_t offset;
    int is_hex;
    fpy_ihex hex;
} fpy_img_input;

/* What fpy_img_open_arg returns when FILE is open. */
#define FPY_IMG_OPENED (-1)

/* Parse `fipytool image info|verify FILE [options]` with `opts` (one of
 * them --offset, whose value lands in *offset) and open FILE into *in.
 * Returns FPY_IMG_OPENED, or the exit status to return (--help: 0, usage
 * error: 2, a file that cannot be read: 1), with nothing left open. */
int fpy_img_open_arg(const fpy_cli_cmd *cmd, int argc, char **argv, const fpy_opt opts[2],
                     const char *const *offset, fpy_img_input *in);

/* Read `path` (with `offset_s`, the --offset value or NULL).  Returns 0,
 * or an exit status after printing why: a file that cannot be read, a
 * HEX file that is not valid (the message names the line) or holds no
 * data, an offset past the end (1); --offset with a HEX file (2).  Warns
 * on stderr about a HEX file without an end-of-file record. */
int fpy_img_input_open(const fpy_cli_cmd *cmd, const char *path, const char *offset_s,
                       fpy_img_input *in);
/* How many parts: the HEX file's regions, or 1. */
size_t fpy_img_input_count(const fpy_img_input *in);
/* Part i, and the address (HEX) or file offset (binary) it starts at. */
fpy_image_src fpy_img_input_src(const fpy_img_input *in, size_t i, uint32_t *where);
void fpy_img_input_close(fpy_img_input *in);

#endif
