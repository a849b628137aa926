/*
 * The virtual board's control channel (docs/sim.md, "The control
 * channel"): one text command per line, one reply line per command,
 * "ok ..." or "error: ...".  This file is the pure part: the parser of a
 * line (untrusted: anyone who can open the socket writes it) and the
 * execution against a board's ops and its link.  sim/simrun.c owns the
 * Unix socket.
 *
 *   [board N] jumper on|off
 *   [board N] reset
 *   [board N] power on|off
 *   [board N] power-cut-after N
 *   [board N] link drop|corrupt|stall to-board|from-board|both
 *                  (at K | rate N) [for MS] [seed S]
 *   [board N] link seed S
 *   [board N] link clear
 *   [board N] status [--json]
 *   [board N] ports        where the board is reached: pty=PATH tcp=PORT
 *   quit
 *
 * Parser guarantees: reads at most `len` bytes of the line, no recursion,
 * bounded tokens (FPY_CTL_MAX_TOKENS of FPY_CTL_MAX_TOKEN chars); any
 * byte outside printable ASCII, space and tab is an error naming it.
 */
#ifndef FIPY_SIM_CTL_H
#define FIPY_SIM_CTL_H

#include <stddef.h>
#include <stdint.h>

#include "link.h"

#define FPY_CTL_LINE_MAX 256
#define FPY_CTL_MAX_TOKENS 12
#define FPY_CTL_MAX_TOKEN 24
#define FPY_CTL_REPLY_MAX 1024
/* A stall without `for`: one second (longer than esptool's 0.1 s
 * first-reply timeout, shorter than its 3 s command timeout). */
#define FPY_CTL_STALL_MS 1000u

enum {
    FPY_CTL_JUMPER = 1,
    FPY_CTL_RESET,
    FPY_CTL_POWER,
    FPY_CTL_CUT,
    FPY_CTL_LINK_RULE,
    FPY_CTL_LINK_SEED,
    FPY_CTL_LINK_CLEAR,
    FPY_CTL_STATUS,
    FPY_CTL_QUIT,
    FPY_CTL_PORTS /* answered by the event loop (sim/simrun.c), which knows them */
};

typedef struct fpy_ctl_req {
    int op;
    uint32_t board; /* index; 0 unless "board N" */
    int on;         /* jumper, power */
    int json;       /* status */
    uint32_t n;     /* power-cut-after */
    fpy_link_rule rule;
    int both;       /* the rule in both directions */
    uint64_t seed;
    int has_seed;
} fpy_ctl_req;

/* Parse one line (without its newline; a trailing CR is allowed).  0, or
 * -1 with "what was wrong" in err (no "error:" prefix). */
int fpy_ctl_parse(const char *line, size_t len, fpy_ctl_req *req, char *err, size_t errlen);

/* Carry out a parsed request on board `b` and its link at now_us; the
 * reply line (no newline) goes to reply.  Returns 1 for quit, else 0. */
int fpy_ctl_exec(const fpy_ctl_req *req, const fpy_link_board *b, fpy_link *l,
                 uint64_t now_us, char *reply, size_t cap);

/* The status line: the board's (fpy_vboard_status) and the link's
 * counters, "key=value ..." or one JSON object. */
void fpy_ctl_status(const fpy_link_board *b, const fpy_link *l, int json, char *out,
                    size_t cap);

#endif
