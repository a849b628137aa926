/*
 * Serial devices for host/conn.h: a FiPy's expansion board
 * (/dev/ttyACM0, /dev/ttyUSB0) or the virtual board's pseudo-terminal
 * slave (/dev/pts/N).  Raw 8N1, no flow control, exclusive.
 *
 * A pseudo-terminal has no modem lines: TIOCMBIS/TIOCMBIC fail there and
 * fpy_conn_set_lines says FPY_ERR_UNSUPPORTED without printing anything;
 * the virtual board is reset through its rfc2217:// port instead.
 */
#define _DEFAULT_SOURCE /* cfmakeraw, B460800 and up, flock */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "conn_int.h"
#include "fipy/err.h"

/* The rates with a termios constant (Linux), fastest first is not needed:
 * a linear scan of 30 entries per baud change. */
static const struct {
    uint32_t baud;
    speed_t code;
} fpy_conn_bauds[] = {
    {50, B50},           {75, B75},           {110, B110},         {134, B134},
    {150, B150},         {200, B200},         {300, B300},         {600, B600},
    {1200, B1200},       {1800, B1800},       {2400, B2400},       {4800, B4800},
    {9600, B9600},       {19200, B19200},     {38400, B38400},     {57600, B57600},
    {115200, B115200},   {230400, B230400},   {460800, B460800},   {500000, B500000},
    {576000, B576000},   {921600, B921600},   {1000000, B1000000}, {1152000, B1152000},
    {1500000, B1500000}, {2000000, B2000000}, {2500000, B2500000}, {3000000, B3000000},
    {3500000, B3500000}, {4000000, B4000000},
};

static int fpy_conn_tty_baud(fpy_conn *c, uint32_t baud)
{
    for (size_t i = 0; i < sizeof fpy_conn_bauds / sizeof fpy_conn_bauds[0]; i++) {
        if (fpy_conn_bauds[i].baud != baud)
            continue;
        struct termios t;
        if (tcgetattr(c->fd, &t) != 0 || cfsetispeed(&t, fpy_conn_bauds[i].code) != 0 ||
            cfsetospeed(&t, fpy_conn_bauds[i].code) != 0 || tcsetattr(c->fd, TCSANOW, &t) != 0)
            return fpy_conn_fail(c, FPY_ERR_IO, "%s: cannot set %u baud: %s", c->name,
                                 (unsigned)baud, strerror(errno));
        return FPY_OK;
    }
    if (fpy_conn_tty_custom_baud(c->fd, baud) != 0)
        return fpy_conn_fail(c, errno == EINVAL ? FPY_ERR_UNSUPPORTED : FPY_ERR_IO,
                             "%s: cannot set %u baud (not a standard rate; the driver "
                             "refused it: %s)", c->name, (unsigned)baud, strerror(errno));
    return FPY_OK;
}

/* Why a modem-line ioctl failed: no lines at all, or the link went. */
static int fpy_conn_tty_line_err(fpy_conn *c, int e)
{
    if (e == EIO || e == ENXIO || e == ENODEV)
        return fpy_conn_fail(c, FPY_ERR_IO, "%s: the link is gone (%s)", c->name, strerror(e));
    return fpy_conn_fail(c, FPY_ERR_UNSUPPORTED,
                         "%s has no DTR/RTS lines (a pseudo-terminal, or a driver without "
                         "modem control: %s); reset the board by hand, or use the virtual "
                         "board's rfc2217:// port", c->name, strerror(e));
}

static int fpy_conn_tty_line(fpy_conn *c, int bit, int on)
{
    if (ioctl(c->fd, on ? TIOCMBIS : TIOCMBIC, &bit) != 0)
        return fpy_conn_tty_line_err(c, errno);
    return FPY_OK;
}

static int fpy_conn_tty_lines(fpy_conn *c, int dtr, int rts)
{
    if (fpy_conn_dtr_first(c->dtr, c->rts, dtr, rts)) {
        FPY_TRY(fpy_conn_tty_line(c, TIOCM_DTR, dtr));
        return fpy_conn_tty_line(c, TIOCM_RTS, rts);
    }
    FPY_TRY(fpy_conn_tty_line(c, TIOCM_RTS, rts));
    return fpy_conn_tty_line(c, TIOCM_DTR, dtr);
}

static int fpy_conn_tty_flush(fpy_conn *c)
{
    if (tcflush(c->fd, TCIFLUSH) != 0)
        return fpy_conn_fail(c, FPY_ERR_IO, "%s: cannot drop input: %s", c->name,
                             strerror(errno));
    return FPY_OK;
}

/* Read what the fd has into c->rx: after a USB unplug a tty reads EIO or
 * end-of-file (0), a pty slave whose master closed reads EIO. */
static int fpy_conn_tty_fill(fpy_conn *c)
{
    if (c->rx_off > 0 && c->rx_len > 0)
        memmove(c->rx, c->rx + c->rx_off, c->rx_len);
    c->rx_off = 0;
    size_t room = sizeof c->rx - c->rx_len;
    if (room == 0)
        return FPY_OK;
    for (;;) {
        ssize_t r = read(c->fd, c->rx + c->rx_len, room);
        if (r > 0) {
            c->rx_len += (size_t)r;
            return FPY_OK;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return FPY_OK;
        return fpy_conn_fail(c, FPY_ERR_IO,
                             "%s: the link is gone (%s): was the board unplugged?", c->name,
                             r == 0 ? "end of file" : strerror(errno));
    }
}

static int fpy_conn_tty_write(fpy_conn *c, const void *buf, size_t n, int64_t deadline_ms)
{
    return fpy_conn_write_fd(c, buf, n, deadline_ms);
}

static const fpy_conn_ops fpy_conn_tty_ops = {
    .set_baud = fpy_conn_tty_baud,
    .set_lines = fpy_conn_tty_lines,
    .flush_input = fpy_conn_tty_flush,
    .fill = fpy_conn_tty_fill,
    .write = fpy_conn_tty_write,
};

/* ---- messages ------------------------------------------------------------- */

static int fpy_conn_is_pid(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s != '\0'; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* Does process dir (proc_root/PID) hold an fd linked to target? */
static int fpy_conn_pid_holds(const char *proc_root, const char *pid, const char *target)
{
    char dir[PATH_MAX], to[PATH_MAX];
    if ((size_t)snprintf(dir, sizeof dir, "%s/%s/fd", proc_root, pid) >= sizeof dir)
        return 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0; /* gone, or another user's: not readable without root */
    int found = 0;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        if (!fpy_conn_is_pid(e->d_name))
            continue;
        ssize_t n = readlinkat(dirfd(d), e->d_name, to, sizeof to - 1);
        if (n <= 0)
            continue;
        to[n] = '\0';
        found = strcmp(to, target) == 0;
    }
    closedir(d);
    return found;
}

static void fpy_conn_comm(const char *proc_root, const char *pid, char *comm, size_t cap)
{
    char path[PATH_MAX];
    snprintf(comm, cap, "?");
    if ((size_t)snprintf(path, sizeof path, "%s/%s/comm", proc_root, pid) >= sizeof path)
        return;
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    if (fgets(comm, (int)cap, f) == NULL)
        snprintf(comm, cap, "?");
    fclose(f);
    comm[strcspn(comm, "\n")] = '\0';
}

size_t fpy_conn_holders(const char *proc_root, const char *path, char *out, size_t cap,
                        int *has_brltty)
{
    char target[PATH_MAX], comm[64];
    size_t found = 0, k = 0;
    *has_brltty = 0;
    if (cap > 0)
        out[0] = '\0';
    if (realpath(path, target) == NULL)
        snprintf(target, sizeof target, "%s", path);
    DIR *d = opendir(proc_root);
    if (d == NULL)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && found < 8) {
        if (!fpy_conn_is_pid(e->d_name) || !fpy_conn_pid_holds(proc_root, e->d_name, target))
            continue;
        fpy_conn_comm(proc_root, e->d_name, comm, sizeof comm);
        if (strcmp(comm, "brltty") == 0)
            *has_brltty = 1;
        if (k < cap) {
            int w = snprintf(out + k, cap - k, "%sprocess %s (%s)", found ? ", " : "",
                             e->d_name, comm);
            k += w > 0 ? (size_t)w : 0;
        }
        found++;
    }
    closedir(d);
    return found;
}

void fpy_conn_busy_msg(const char *proc_root, const char *path, char *err, size_t errlen)
{
    char who[512];
    int brltty = 0;
    size_t n = fpy_conn_holders(proc_root, path, who, sizeof who, &brltty);
    if (n == 0) {
        snprintf(err, errlen, "%s is in use by another program (it holds the port "
                              "exclusively; no process of yours has it open, so it may "
                              "belong to another user: try 'sudo fuser -v %s')",
                 path, path);
        return;
    }
    size_t k = (size_t)snprintf(err, errlen, "%s is in use by %s: close it (another "
                                             "flasher, a serial monitor) and try again",
                                path, who);
    if (brltty && k < errlen)
        snprintf(err + k, errlen - k,
                 ". brltty (a braille display daemon) grabs USB-serial adapters: remove it "
                 "(sudo apt remove brltty) or stop and disable it (sudo systemctl stop "
                 "brltty-udev.service brltty.service; sudo systemctl mask "
                 "brltty-udev.service brltty.service)");
}

static void fpy_conn_noent_msg(const char *path, char *err, size_t errlen)
{
    char paths[8][64], ids[8][16];
    size_t n = fpy_conn_find_in("/sys", paths, ids, 8);
    if (n == 0) {
        snprintf(err, errlen, "no such serial port %s, and no Pycom expansion board was "
                              "found on USB: plug the board in (a data cable, not a "
                              "charge-only one), or name the right port", path);
        return;
    }
    size_t k = (size_t)snprintf(err, errlen, "no such serial port %s; found:", path);
    for (size_t i = 0; i < n && i < 8 && k < errlen; i++) {
        unsigned vid = 0, pid = 0;
        const char *what = NULL;
        if (sscanf(ids[i], "%x:%x", &vid, &pid) == 2)
            what = fpy_conn_board_name((uint16_t)vid, (uint16_t)pid);
        k += (size_t)snprintf(err + k, errlen - k, "%s %s (%s, %s)", i ? "," : "", paths[i],
                              what != NULL ? what : "?", ids[i]);
    }
}

static void fpy_conn_perm_msg(const char *path, char *err, size_t errlen)
{
    struct stat st;
    const char *group = NULL;
    if (stat(path, &st) == 0) {
        struct group *g = getgrgid(st.st_gid);
        if (g != NULL && strcmp(g->gr_name, "root") != 0)
            group = g->gr_name;
    }
    if (group == NULL || strcmp(group, "dialout") == 0 || strcmp(group, "uucp") == 0)
        snprintf(err, errlen, "permission denied on %s: add yourself to the 'dialout' group "
                              "(sudo usermod -aG dialout $USER; 'uucp' on Arch), then log "
                              "in again", path);
    else
        snprintf(err, errlen, "permission denied on %s: add yourself to its group '%s' "
                              "(sudo usermod -aG %s $USER), then log in again",
                 path, group, group);
}

void fpy_conn_tty_errmsg(const char *path, int e, char *err, size_t errlen)
{
    if (e == ENOENT || e == ENODEV || e == ENXIO)
        fpy_conn_noent_msg(path, err, errlen);
    else if (e == EACCES || e == EPERM)
        fpy_conn_perm_msg(path, err, errlen);
    else if (e == EBUSY || e == EWOULDBLOCK)
        fpy_conn_busy_msg("/proc", path, err, errlen);
    else
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(e));
}

static int fpy_conn_tty_errcode(int e)
{
    if (e == ENOENT || e == ENODEV || e == ENXIO)
        return FPY_ERR_NOTFOUND;
    if (e == EBUSY || e == EWOULDBLOCK)
        return FPY_ERR_STATE;
    return FPY_ERR_IO;
}

/* ---- open ------------------------------------------------------------------- */

/* Is path a character device?  Otherwise say what it is instead. */
static int fpy_conn_tty_check(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        int e = errno;
        fpy_conn_tty_errmsg(path, e, err, errlen);
        return fpy_conn_tty_errcode(e);
    }
    if (S_ISCHR(st.st_mode))
        return FPY_OK;
    snprintf(err, errlen, "%s is not a serial port (it is a %s); name a device such as "
                          "/dev/ttyACM0, or rfc2217://HOST:PORT", path,
             S_ISREG(st.st_mode) ? "regular file" : S_ISDIR(st.st_mode) ? "directory"
                                                                           : "special file");
    return FPY_ERR_INVAL;
}

/* Raw 8N1, no flow control, no echo, no line discipline. */
static int fpy_conn_tty_raw(fpy_conn *c, const char *path, char *err, size_t errlen)
{
    struct termios t;
    if (tcgetattr(c->fd, &t) != 0) {
        snprintf(err, errlen, "%s is not a serial port (%s)", path, strerror(errno));
        return errno == ENOTTY ? FPY_ERR_INVAL : FPY_ERR_IO;
    }
    free(c->tty_saved);
    c->tty_saved = malloc(sizeof t);
    if (c->tty_saved != NULL) /* without it, only the put-back is lost */
        memcpy(c->tty_saved, &t, sizeof t);
    cfmakeraw(&t);
    t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | CSTOPB | CRTSCTS);
    t.c_cflag |= CS8 | CLOCAL | CREAD;
    t.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(c->fd, TCSANOW, &t) != 0) {
        snprintf(err, errlen, "%s: cannot set raw 8N1: %s", path, strerror(errno));
        return FPY_ERR_IO;
    }
    return FPY_OK;
}

/* Exclusive: flock() keeps out other flashers (even root's, which
 * TIOCEXCL does not stop), TIOCEXCL keeps out other programs' opens. */
static int fpy_conn_tty_lock(fpy_conn *c, const char *path, char *err, size_t errlen)
{
    if (flock(c->fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
        close(c->fd);
        c->fd = -1; /* out of the way before the holders are listed */
        fpy_conn_busy_msg("/proc", path, err, errlen);
        return FPY_ERR_STATE;
    }
    (void)ioctl(c->fd, TIOCEXCL); /* tcgetattr below says if this is no tty */
    return FPY_OK;
}

int fpy_conn_tty_open(fpy_conn *c, const char *path, uint32_t baud, char *err, size_t errlen)
{
    FPY_TRY(fpy_conn_tty_check(path, err, errlen));
    c->fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (c->fd < 0) {
        int e = errno;
        fpy_conn_tty_errmsg(path, e, err, errlen);
        return fpy_conn_tty_errcode(e);
    }
    c->ops = &fpy_conn_tty_ops;
    FPY_TRY(fpy_conn_tty_lock(c, path, err, errlen));
    FPY_TRY(fpy_conn_tty_raw(c, path, err, errlen));
    int rc = fpy_conn_tty_baud(c, baud);
    if (rc != FPY_OK) {
        snprintf(err, errlen, "%s", c->last_err);
        return rc;
    }
    c->baud = baud;
    /* Opening raised DTR and RTS together (no reset); drop both in one
     * call.  A pty has no lines: nothing to drop. */
    int both = TIOCM_DTR | TIOCM_RTS;
    (void)ioctl(c->fd, TIOCMBIC, &both);
    c->dtr = 0;
    c->rts = 0;
    c->last_err[0] = '\0';
    return FPY_OK;
}

void fpy_conn_tty_release(fpy_conn *c)
{
    if (c->tty_saved == NULL)
        return;
    if (c->fd >= 0) {
        (void)ioctl(c->fd, TIOCNXCL);
        (void)tcsetattr(c->fd, TCSANOW, (const struct termios *)c->tty_saved);
    }
    free(c->tty_saved);
    c->tty_saved = NULL;
}
