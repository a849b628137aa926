/*
 * A session with a board over a port, shared by every command that talks
 * to one (flash, register, virtualize, upload): which port (--port, or
 * the one FiPy found on USB), the rate (--baud, parsed here once), the
 * wait for a reset by hand (--wait), Ctrl-C, and the output of the
 * flasher's events: JSON lines (--json), a progress bar on a terminal,
 * or plain lines.
 */
#ifndef FIPY_CLI_SESSION_H
#define FIPY_CLI_SESSION_H

#include <signal.h>
#include <stdint.h>

#include "cli.h"
#include "conn.h"
#include "flasher.h"

/* The board options as given (NULL: not given). */
typedef struct fpy_session_args {
    const char *port, *baud, *wait;
    int json, no_reset;
} fpy_session_args;

typedef struct fpy_session_out {
    int json, tty;
    unsigned last_pct;
    const char *last_stage;
    char prefix[48];    /* "fipytool flash" */
} fpy_session_out;

typedef struct fpy_session {
    const fpy_cli_cmd *cmd;
    const fpy_session_args *a;
    fpy_conn *conn;
    fpy_flasher fl;
    fpy_session_out out;
    uint32_t baud;       /* after the ROM answers; 0: stay */
    uint32_t wait_s;     /* for a reset by hand */
    char port[64];
} fpy_session;

#define FPY_SESSION_ROM_BAUD 115200u

/* Set when Ctrl-C was pressed (the flasher stops at a block boundary). */
extern volatile sig_atomic_t fpy_session_stop;

/* Parse --baud and --wait and pick the port; nothing is opened.  quick:
 * a few register reads (stay at the ROM's rate unless --baud).  0, or the
 * exit status of a usage error or "no port" (with --json, an "error"
 * line too). */
int fpy_session_prepare(fpy_session *s, const fpy_cli_cmd *cmd, const fpy_session_args *a,
                        int quick);
/* After fpy_session_connect: 0 when the board's flash encryption is off;
 * else says that writing `what` ("write", "erase", "virtualize") would
 * brick it, closes the session and returns the exit status (JSON code
 * "encrypted").  Only protect and upload (through the VM) write a
 * protected board. */
int fpy_session_refuse_encrypted(fpy_session *s, const char *what);
/* Open the port at 115200 and catch Ctrl-C.  0 or an exit status. */
int fpy_session_open_port(fpy_session *s);
/* Open the port (unless open already), put the board in the ROM's download mode (the reset, or
 * the user asked for the jumper) and connect the flasher (o may carry
 * --no-compress etc.; its event, stop and rates are set here).  0 or an
 * exit status (130: interrupted); the port is closed on failure. */
int fpy_session_connect(fpy_session *s, const fpy_flasher_opts *o);
/* End: say what failed (rc is an fpy_err of the last operation), leave
 * the board (run: a hard reset into the app when rc is OK), close the
 * port.  Returns the exit status. */
int fpy_session_close(fpy_session *s, int rc, int run);
/* Close a port opened without the flasher (fpy_session_open_port). */
void fpy_session_close_port(fpy_session *s);

/* The flasher event printer, for other engines that report the same way
 * (ctx: a fpy_session_out). */
void fpy_session_event(void *ctx, const fpy_flasher_event *e);
/* End a progress bar line on a terminal before other output. */
void fpy_session_endline(fpy_session_out *o);
/* A failure before any engine ran: with --json an "error" line whose
 * message points at standard error.  Returns rc. */
int fpy_session_json_fail(int json, int rc, const char *code);

#endif
