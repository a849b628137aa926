/*
 * The pseudo-terminal transport (see pty.h).  Facts this relies on, run
 * on Linux 6.x / glibc 2.36 (docs/sim.md):
 *  - tcgetattr on the master returns the slave's termios (the kernel's
 *    termios ioctls on a master act on its slave), so cfgetospeed tells
 *    the baud the host program chose;
 *  - before any open of the slave the master polls quiet; after the last
 *    close it polls POLLHUP until a program opens the slave again;
 *  - bytes written to the master while no one has the slave open wait in
 *    the tty for the next program (a USB bridge would drop them), so the
 *    caller discards the board's output while hung up;
 *  - modem ioctls (TIOCMSET/TIOCMBIS) on the slave fail: no DTR/RTS.
 */
#define _DEFAULT_SOURCE /* cfmakeraw, B460800.. (glibc: also POSIX 2008) */
#define _XOPEN_SOURCE 700 /* posix_openpt, grantpt, ptsname */

#include "pty.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

/* speed_t constants and their bauds (glibc before 2.42 encodes them). */
static const struct {
    speed_t sp;
    uint32_t baud;
} fpy_speeds[] = {
    {B300, 300},       {B600, 600},       {B1200, 1200},     {B2400, 2400},
    {B4800, 4800},     {B9600, 9600},     {B19200, 19200},   {B38400, 38400},
    {B57600, 57600},   {B115200, 115200}, {B230400, 230400},
#ifdef B460800
    {B460800, 460800}, {B500000, 500000}, {B576000, 576000}, {B921600, 921600},
    {B1000000, 1000000}, {B1152000, 1152000}, {B1500000, 1500000},
    {B2000000, 2000000}, {B2500000, 2500000}, {B3000000, 3000000},
#endif
};

static int fpy_pty_err(char *err, size_t errlen, const char *what, const char *path)
{
    snprintf(err, errlen, "%s%s%s: %s", what, path ? " " : "", path ? path : "",
             strerror(errno));
    return -1;
}

/* Raw 8N1 at 115200, as a USB bridge's port looks after stty raw. */
static int fpy_pty_raw(int fd)
{
    struct termios t;
    if (tcgetattr(fd, &t) != 0)
        return -1;
    cfmakeraw(&t);
    t.c_cflag |= CLOCAL | CREAD;
    cfsetispeed(&t, B115200);
    cfsetospeed(&t, B115200);
    return tcsetattr(fd, TCSANOW, &t);
}

/* Make `link_path` a symlink to the slave.  An old symlink (a run that
 * was killed) is replaced; a file or directory is not ours to remove. */
static int fpy_pty_symlink(fpy_pty *p, const char *link_path, char *err, size_t errlen)
{
    struct stat st;
    if (strlen(link_path) >= sizeof p->link) {
        snprintf(err, errlen, "--link %s: path too long", link_path);
        return -1;
    }
    if (lstat(link_path, &st) == 0) {
        if (!S_ISLNK(st.st_mode)) {
            snprintf(err, errlen, "--link %s: exists and is not a symlink; not replacing it",
                     link_path);
            return -1;
        }
        if (unlink(link_path) != 0)
            return fpy_pty_err(err, errlen, "--link: cannot remove the old symlink", link_path);
    }
    if (symlink(p->path, link_path) != 0)
        return fpy_pty_err(err, errlen, "--link: cannot create", link_path);
    strcpy(p->link, link_path);
    return 0;
}

static int fpy_pty_setup(fpy_pty *p, char *err, size_t errlen)
{
    const char *name;
    if (grantpt(p->master) != 0 || unlockpt(p->master) != 0 ||
        (name = ptsname(p->master)) == NULL)
        return fpy_pty_err(err, errlen, "pseudo-terminal", NULL);
    if (strlen(name) >= sizeof p->path) {
        snprintf(err, errlen, "pseudo-terminal: slave name too long: %s", name);
        return -1;
    }
    strcpy(p->path, name);
    /* Open the slave once to set its mode and to enter the hung-up state
     * (POLLHUP) that tells us no program has it open. */
    int s = open(p->path, O_RDWR | O_NOCTTY);
    if (s < 0)
        return fpy_pty_err(err, errlen, "pseudo-terminal: cannot open", p->path);
    int rc = fpy_pty_raw(s);
    close(s);
    if (rc != 0)
        return fpy_pty_err(err, errlen, "pseudo-terminal: cannot set raw mode on", p->path);
    int fl = fcntl(p->master, F_GETFL);
    if (fl < 0 || fcntl(p->master, F_SETFL, fl | O_NONBLOCK) != 0 ||
        fcntl(p->master, F_SETFD, FD_CLOEXEC) != 0)
        return fpy_pty_err(err, errlen, "pseudo-terminal: fcntl", NULL);
    p->hung = 1;
    return 0;
}

int fpy_pty_open(fpy_pty *p, const char *link_path, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->master = posix_openpt(O_RDWR | O_NOCTTY);
    if (p->master < 0)
        return fpy_pty_err(err, errlen, "posix_openpt", NULL);
    if (fpy_pty_setup(p, err, errlen) != 0 ||
        (link_path != NULL && fpy_pty_symlink(p, link_path, err, errlen) != 0)) {
        close(p->master);
        p->master = -1;
        return -1;
    }
    return 0;
}

void fpy_pty_close(fpy_pty *p)
{
    if (p->link[0] != '\0') {
        char target[sizeof p->path];
        ssize_t n = readlink(p->link, target, sizeof target - 1);
        if (n >= 0) {
            target[n] = '\0';
            if (strcmp(target, p->path) == 0) /* not a newer run's */
                unlink(p->link);
        }
        p->link[0] = '\0';
    }
    if (p->master >= 0)
        close(p->master);
    p->master = -1;
}

int fpy_pty_attached(fpy_pty *p)
{
    struct pollfd pf = {.fd = p->master, .events = POLLIN};
    if (p->master < 0)
        return 0;
    if (poll(&pf, 1, 0) < 0)
        return !p->hung;
    p->hung = (pf.revents & POLLHUP) != 0;
    return !p->hung;
}

int fpy_pty_config(const fpy_pty *p, uint32_t *baud, int *frame_8n1)
{
    struct termios t;
    if (tcgetattr(p->master, &t) != 0)
        return -1;
    speed_t sp = cfgetospeed(&t);
    *baud = 0;
    for (size_t i = 0; i < sizeof fpy_speeds / sizeof fpy_speeds[0]; i++)
        if (fpy_speeds[i].sp == sp)
            *baud = fpy_speeds[i].baud;
    if (*baud == 0 && sp > 4096u) /* a glibc whose speed_t is the baud */
        *baud = (uint32_t)sp;
    *frame_8n1 = (t.c_cflag & CSIZE) == CS8 && !(t.c_cflag & PARENB);
    return 0;
}

long fpy_pty_read(fpy_pty *p, uint8_t *buf, size_t cap)
{
    ssize_t n = read(p->master, buf, cap);
    if (n >= 0)
        return (long)n;
    /* EIO: the last program closed the slave and nothing is left. */
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EIO || errno == EINTR ? 0 : -1;
}

long fpy_pty_write(fpy_pty *p, const uint8_t *buf, size_t n)
{
    ssize_t k = write(p->master, buf, n);
    if (k >= 0)
        return (long)k;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EIO || errno == EINTR ? 0 : -1;
}
