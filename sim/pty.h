/*
 * The virtual board's serial port as a pseudo-terminal (docs/sim.md,
 * "The pseudo-terminal").  A program opens the slave (printed path, or a
 * stable symlink) like /dev/ttyUSB0.  Linux lets the master read the
 * slave's termios, so the baud and frame the host program set are known
 * (fpy_pty_config); a pty has no modem lines, so DTR/RTS never reach the
 * board this way (use the control channel's reset and jumper, or TCP).
 */
#ifndef FIPY_SIM_PTY_H
#define FIPY_SIM_PTY_H

#include <stddef.h>
#include <stdint.h>

typedef struct fpy_pty {
    int master;          /* -1: closed */
    char path[128];      /* the slave, /dev/pts/N */
    char link[512];      /* the symlink made, or "" */
    int hung;            /* no program has the slave open */
} fpy_pty;

/* Open a pty in raw mode at 115200 8N1 (the first program to open it
 * finds a quiet line, not a cooked terminal that echoes) and, when
 * link_path is non-NULL, a symlink to it there (an existing symlink is
 * replaced, any other file is refused).  0, or -1 with a message. */
int fpy_pty_open(fpy_pty *p, const char *link_path, char *err, size_t errlen);
/* Close the master and remove the symlink if it still points at us. */
void fpy_pty_close(fpy_pty *p);

/* Whether a program has the slave open now: updates p->hung (a master
 * sees POLLHUP while no slave is open). */
int fpy_pty_attached(fpy_pty *p);
/* The slave's baud and frame (8 data bits, no parity) as the program set
 * them: 0, or -1 when termios cannot be read. */
int fpy_pty_config(const fpy_pty *p, uint32_t *baud, int *frame_8n1);

/* Non-blocking reads and writes on the master: the count, 0 when nothing
 * can move now, -1 on an error (errno) other than EAGAIN / EIO of a hung
 * up pty. */
long fpy_pty_read(fpy_pty *p, uint8_t *buf, size_t cap);
long fpy_pty_write(fpy_pty *p, const uint8_t *buf, size_t n);

#endif
