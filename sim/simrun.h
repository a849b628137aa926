/*
 * The virtual boards' event loop (docs/sim.md): one thread, poll(), no
 * globals.  It runs one or several boards, each behind its link model
 * (sim/link.h) with a pseudo-terminal (sim/pty.h) and/or a TCP port on
 * loopback speaking RFC 2217 or raw bytes (sim/rfc2217.h), and a control
 * socket (sim/ctl.h) for all of them.
 *
 * Time: microseconds since fpy_simrun_new on CLOCK_MONOTONIC, or the
 * caller's clock (tests).  Boards are the caller's: it opens them before
 * fpy_simrun_add and closes them after fpy_simrun_free.
 */
#ifndef FIPY_SIM_SIMRUN_H
#define FIPY_SIM_SIMRUN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "link.h"

#define FPY_SIMRUN_MAX_BOARDS 8
#define FPY_SIMRUN_MAX_CTL 8
/* A TCP client that has sent nothing this long is a raw (socket://) one;
 * an RFC 2217 client speaks at once. */
#define FPY_SIMRUN_RAW_AFTER_US 300000u

typedef struct fpy_simrun fpy_simrun;

typedef struct fpy_simrun_cfg {
    const char *ctl_path;              /* NULL: no control socket */
    uint64_t (*clock)(void *ctx);      /* NULL: CLOCK_MONOTONIC */
    void *clock_ctx;
    volatile sig_atomic_t *stop;       /* non-zero: fpy_simrun_run returns */
    int verbose;                       /* connections and ctl commands to stderr */
} fpy_simrun_cfg;

typedef struct fpy_simrun_board {
    fpy_link_board ops;
    fpy_link_cfg link;
    int pty;               /* give it a pseudo-terminal */
    const char *link_path; /* and a symlink to it (NULL: none) */
    int tcp;               /* listen on 127.0.0.1:tcp_port */
    uint16_t tcp_port;     /* 0: any free port (fpy_simrun_tcp_port) */
} fpy_simrun_board;

/* NULL with a message on failure (the control socket path in use, ...). */
fpy_simrun *fpy_simrun_new(const fpy_simrun_cfg *cfg, char *err, size_t errlen);
/* Add a board: its index, or -1 with a message (the port in use, ...). */
int fpy_simrun_add(fpy_simrun *r, const fpy_simrun_board *b, char *err, size_t errlen);
/* Close every socket and pty, remove the symlinks and the control
 * socket.  The boards stay the caller's. */
void fpy_simrun_free(fpy_simrun *r);

const char *fpy_simrun_pty_path(const fpy_simrun *r, int board); /* NULL: none */
int fpy_simrun_tcp_port(const fpy_simrun *r, int board);          /* -1: none */
const char *fpy_simrun_ctl_path(const fpy_simrun *r);
fpy_link *fpy_simrun_link(fpy_simrun *r, int board);
uint64_t fpy_simrun_now(const fpy_simrun *r);

/* One round: wait up to max_wait_ms for something to do (less when a
 * board or a byte is due), then move bytes, accept connections, answer
 * control commands.  1 after a `quit`, else 0. */
int fpy_simrun_step(fpy_simrun *r, int max_wait_ms);
/* Rounds until `quit` or *cfg.stop. */
void fpy_simrun_run(fpy_simrun *r);

#endif
