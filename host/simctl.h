/*
 * The virtual FiPy's control socket seen from the host (docs/sim.md, "The
 * control channel"): send one command, get its reply line; and find the
 * socket of the virtual board a port leads to, so the workflow commands
 * can do on a virtual board what a person does with a real one (the
 * jumper, the reset button).
 */
#ifndef FIPY_SIMCTL_H
#define FIPY_SIMCTL_H

#include <stddef.h>

/*
 * Send `cmd` (one line, no newline) to the control socket at `sock` and
 * read the reply (without its newline) into reply.  FPY_OK for an "ok"
 * reply; FPY_ERR_INVAL for an "error: ..." reply (reply holds it);
 * FPY_ERR_IO when the socket cannot be reached or says nothing within 5 s
 * (err says why, naming the socket).
 */
int fpy_simctl_send(const char *sock, const char *cmd, char *reply, size_t cap, char *err,
                    size_t errlen);

/*
 * The control socket of the virtual board behind `port` (a pty path or a
 * symlink to it, or rfc2217:// / socket:// to a local TCP port): $FIPY_SIM_CTL
 * when set, else the sockets `fipytool sim` makes by default
 * ($XDG_RUNTIME_DIR/fipy-sim-PID.ctl, /tmp/fipy-sim-PID.ctl) whose `ports`
 * reply names that pty or TCP port.  FPY_OK with the path in sock;
 * FPY_ERR_NOTFOUND when no virtual board answers for it (a real board).
 */
int fpy_simctl_find(const char *port, char *sock, size_t cap);

#endif
