/*
 * A connection to a board, for the flasher (issue 14): a serial device (a
 * FiPy's expansion board on /dev/ttyUSB0 or /dev/ttyACM0, or the virtual
 * board's pseudo-terminal), RFC 2217 over TCP ("rfc2217://HOST:PORT"), or
 * a plain TCP socket ("socket://HOST:PORT", no modem lines, no baud).
 *
 * Errors: FPY_ERR_NOTFOUND (no such port, unknown host), FPY_ERR_STATE
 * (held by another process), FPY_ERR_INVAL (not a serial port, a bad
 * spec, baud 0), FPY_ERR_IO (permission denied, connection refused, the
 * link gone), FPY_ERR_TIMEOUT, FPY_ERR_UNSUPPORTED (no modem lines, a
 * value the RFC 2217 server or the driver refuses).  Each comes with a
 * message that names the fix: no such port, permission
 * denied (add the user to 'dialout', or 'uucp' on Arch), the port held by
 * another process (which one, by PID and name: brltty included), ...
 */
#ifndef FIPY_CONN_H
#define FIPY_CONN_H

#include <stddef.h>
#include <stdint.h>

typedef struct fpy_conn fpy_conn;

/* Open spec at baud (8N1, no flow control, DTR and RTS deasserted).
 * FPY_OK, or a negative fpy_err with err saying what and the fix. */
int fpy_conn_open(fpy_conn **out, const char *spec, uint32_t baud, char *err, size_t errlen);
void fpy_conn_close(fpy_conn *c);

/* The spec as given, for messages. */
const char *fpy_conn_name(const fpy_conn *c);

/* Change the baud rate (a tty: termios; RFC 2217: SET-BAUDRATE; a
 * socket: accepted and ignored). */
int fpy_conn_set_baud(fpy_conn *c, uint32_t baud);

/* Drive DTR and RTS (1 = asserted).  A socket has no lines:
 * FPY_ERR_UNSUPPORTED. */
int fpy_conn_set_lines(fpy_conn *c, int dtr, int rts);

/* Write all n bytes within timeout_ms: FPY_OK, FPY_ERR_TIMEOUT, or
 * FPY_ERR_IO when the link is gone. */
int fpy_conn_write(fpy_conn *c, const void *buf, size_t n, uint32_t timeout_ms);

/* Read what is there, up to cap bytes, waiting at most timeout_ms for the
 * first: the count (0 on timeout), or FPY_ERR_IO when the link is gone. */
long fpy_conn_read(fpy_conn *c, void *buf, size_t cap, uint32_t timeout_ms);

/* Drop unread input. */
int fpy_conn_flush_input(fpy_conn *c);

/* The message of the last failed call on c (read, write, set_baud,
 * set_lines, flush_input: they take no err buffer), or "" when none. */
const char *fpy_conn_last_error(const fpy_conn *c);

/*
 * Find FiPy expansion boards (Pycom's USB VID:PID, the fact sheet's list)
 * by reading sysfs only, never opening a port that is not one.  Writes up
 * to max device paths ("/dev/ttyACM0") into paths; returns how many were
 * found (may exceed max).
 */
size_t fpy_conn_find(char (*paths)[64], size_t max);

#endif
