/*
 * fipytool: one command, one file per subcommand (cli/cmd_*.c).
 * Exit status: 0 ok, 1 the operation failed, 2 usage error.
 */
#ifndef FIPY_CLI_H
#define FIPY_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define FPY_EXIT_OK 0
#define FPY_EXIT_FAIL 1
#define FPY_EXIT_USAGE 2
#define FPY_EXIT_INTERRUPTED 130 /* Ctrl-C */

typedef struct fpy_cli_cmd {
    const char *name;
    const char *summary;  /* one line for `fipytool --help` */
    const char *usage;    /* full text for `fipytool NAME --help` */
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
} fpy_cli_cmd;

extern const fpy_cli_cmd fpy_cmd_board;
extern const fpy_cli_cmd fpy_cmd_layout;
extern const fpy_cli_cmd fpy_cmd_partition;
extern const fpy_cli_cmd fpy_cmd_image;
extern const fpy_cli_cmd fpy_cmd_nvs;
extern const fpy_cli_cmd fpy_cmd_otadata;
extern const fpy_cli_cmd fpy_cmd_fota;
extern const fpy_cli_cmd fpy_cmd_boot;
extern const fpy_cli_cmd fpy_cmd_flash;
extern const fpy_cli_cmd fpy_cmd_bytecode;
extern const fpy_cli_cmd fpy_cmd_keys;
extern const fpy_cli_cmd fpy_cmd_sign;
extern const fpy_cli_cmd fpy_cmd_verify;
extern const fpy_cli_cmd fpy_cmd_sim;
extern const fpy_cli_cmd fpy_cmd_register;
extern const fpy_cli_cmd fpy_cmd_vm;
extern const fpy_cli_cmd fpy_cmd_virtualize;
extern const fpy_cli_cmd fpy_cmd_protect;
extern const fpy_cli_cmd fpy_cmd_console;
extern const fpy_cli_cmd fpy_cmd_project;
extern const fpy_cli_cmd fpy_cmd_upload;
extern const fpy_cli_cmd fpy_cmd_device;
extern const fpy_cli_cmd fpy_cmd_encrypt;
extern const fpy_cli_cmd fpy_cmd_decrypt;
extern const fpy_cli_cmd fpy_cmd_efuse;

/* One option of a subcommand.  `value` non-NULL: takes an argument
 * ("-o FILE", "--out FILE", "--out=FILE"); otherwise `flag` is set to 1. */
typedef struct fpy_opt {
    const char *name;   /* long form, e.g. "--json" */
    char shortname;     /* e.g. 'o', or 0 */
    const char **value;
    int *flag;
} fpy_opt;

#define FPY_CLI_HELP 1

/* The number of elements of an array, counted by the compiler (a pointer
 * is refused: -Wsizeof-pointer-div, an error here). */
#define FPY_COUNTOF(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Parse argv[1..argc): options may appear anywhere, "--" ends them, and
 * the rest are positionals stored in pos[0..pos_max).  "-" alone and "-"
 * followed by a digit ("-5", a value) are positionals: no option name
 * starts with a digit.  Returns 0;
 * FPY_CLI_HELP after printing the usage when -h/--help was given; or
 * FPY_EXIT_USAGE after printing the problem and a hint to stderr.  The
 * caller stops on non-zero with `return fpy_cli_done(rc);`.
 * Commands call it through FPY_CLI_PARSE, which counts both arrays.
 */
int fpy_cli_parse(const fpy_cli_cmd *cmd, int argc, char **argv,
                  const fpy_opt *opts, size_t nopts, char **pos,
                  size_t pos_max, size_t *npos);
/* fpy_cli_parse with the option table `opts` and the positionals array
 * `pos` (both arrays) counted by the compiler. */
#define FPY_CLI_PARSE(cmd, argc, argv, opts, pos, npos)                       \
    fpy_cli_parse((cmd), (argc), (argv), (opts), FPY_COUNTOF(opts), (pos),    \
                  FPY_COUNTOF(pos), (npos))
/* The same for a command that takes no positional argument. */
#define FPY_CLI_PARSE_NOPOS(cmd, argc, argv, opts, npos)                      \
    fpy_cli_parse((cmd), (argc), (argv), (opts), FPY_COUNTOF(opts), NULL, 0, (npos))

/*
 * Sub-commands (cli/subs.c).  A command with sub-commands ("nvs gen",
 * "fota status") names them in a table; `run` gets argv[0] = the
 * sub-command's name and the `ctx` the command passed (its parsed
 * options, or NULL).
 */
typedef struct fpy_cli_sub {
    const char *name;
    int (*run)(void *ctx, int argc, char **argv);
    /* Or a sub-command with its own fpy_cli_cmd (usage, summary, run):
     * run as cmd->run(argc, argv), listed by fpy_cli_subs_list. */
    const fpy_cli_cmd *cmd;
} fpy_cli_sub;

typedef struct fpy_cli_subs {
    const fpy_cli_cmd *cmd; /* the command: messages, and its usage for --help */
    const fpy_cli_sub *sub;
    size_t n;
    /* A usage error when no sub-command is given; NULL: "which command?
     * gen, dump or erase" from the table. */
    const char *missing;
    /* A usage error for an unknown one, "%s" its name; NULL: "no command '%s'". */
    const char *unknown;
    /* Non-NULL: --help prints this (to stdout), and so does a missing
     * sub-command (to stderr, a usage error) instead of `missing`. */
    void (*help)(const struct fpy_cli_subs *s, FILE *f);
} fpy_cli_subs;

/*
 * The one dispatcher.  fpy_cli_run_sub runs the sub-command argv[0]
 * (argc 0: none given) with `ctx`; a missing or unknown one is a usage
 * error (status 2) with the table's messages.  Commands whose options
 * may come before the sub-command parse first and pass the positionals
 * ("fota --json status F": npos, pos).
 */
int fpy_cli_run_sub(const fpy_cli_subs *s, void *ctx, int argc, char **argv);
/* For a command whose first argument names a sub-command with options of
 * its own ("nvs gen CSV SIZE -o F"): argv[0] is the command; "-h" or
 * "--help" as argv[1] prints the help; else fpy_cli_run_sub on the rest
 * with no ctx. */
int fpy_cli_dispatch(const fpy_cli_subs *s, int argc, char **argv);
/* "  info       show ..." for each sub-command that has its own cmd. */
void fpy_cli_subs_list(const fpy_cli_subs *s, FILE *f);

/* The exit status for a non-zero fpy_cli_parse result (help: 0). */
int fpy_cli_done(int rc);
/* Print `cmd->usage` to stdout. */
void fpy_cli_help(const fpy_cli_cmd *cmd);
/* Print "fipytool NAME: <msg>" and the usage hint to stderr; returns 2. */
int fpy_cli_usage_error(const fpy_cli_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Files (cli/files.c, docs/files.md).  Refuse an output that is one of
 * the `n` inputs (NULL entries skipped): 0, or FPY_EXIT_USAGE after
 * printing which files are the same. */
int fpy_cli_distinct(const fpy_cli_cmd *cmd, const char *out, const char *const *in, size_t n);
/* Report a failure to open or save a file ("fipytool NAME: msg"): the
 * exit status is 2 when the options contradict the file (FPY_ERR_INVAL,
 * e.g. --layout against the image's table), else 1. */
int fpy_cli_file_error(const fpy_cli_cmd *cmd, int rc, const char *msg);

/* A VM image ([0]) and a bytecode image ([1]) named by --vm / --bc
 * (cli/images.c).  `path` NULL: not given. */
typedef struct fpy_cli_image {
    const char *path;
    const char *kind; /* "VM image", "bytecode image" */
    uint8_t *buf;
    size_t len;
} fpy_cli_image;
#define FPY_CLI_IMAGES(vm, bc) {{(vm), "VM image", NULL, 0}, {(bc), "bytecode image", NULL, 0}}
/* Read the images given (at most `limit` bytes each): 0, or 1 after
 * saying which file could not be read. */
int fpy_cli_images_load(const fpy_cli_cmd *cmd, fpy_cli_image im[2], size_t limit);
/* Check them in memory by the board's rules: the VM may boot
 * (fpy_fw_vm_check), the bytecode verifies for that VM's ABI.  0, or 1
 * after saying which image is refused and why. */
int fpy_cli_images_check(const fpy_cli_cmd *cmd, const fpy_cli_image im[2]);
void fpy_cli_images_free(fpy_cli_image im[2]);

/*
 * The number rule, for every number fipytool reads from its command line:
 * decimal digits (leading zeros allowed and still decimal: "017" is 17),
 * or "0x"/"0X" followed by hex digits; nothing else: no sign, no
 * whitespace, no octal, no empty string, nothing above UINT32_MAX.
 * Returns 0 with *out set, or -1 (s NULL or not a number).
 */
int fpy_cli_parse_u32(const char *s, uint32_t *out);

/* A size: a number as above, optionally followed by K or KB (x 1024) or M
 * or MB (x 1024 * 1024), as esptool and gen_esp32part spell sizes ("8M",
 * "64KB").  0 ok, -1 bad (or the product above UINT32_MAX). */
int fpy_cli_parse_size(const char *s, uint32_t *out);

#define FPY_NUM_PLAIN 0u /* fpy_cli_number: a number */
#define FPY_NUM_SIZE 1u  /* fpy_cli_number: a size (K/KB/M/MB allowed) */

/*
 * The value `s` of option or argument `what` (e.g. "--abi") as a number
 * (kind FPY_NUM_PLAIN) or a size (FPY_NUM_SIZE) of at most `max`.  s NULL
 * (option not given): returns 0, *out untouched.  A bad value: prints
 * "fipytool CMD: --abi: '1 ' is not a number (decimal digits, or 0x and
 * hex digits)" or "... is too large: at most 255" and returns 2 (the usage
 * error status).  Otherwise 0 with *out set.
 */
int fpy_cli_number(const fpy_cli_cmd *cmd, const char *what, const char *s, unsigned kind,
                   uint32_t max, uint32_t *out);

#endif
