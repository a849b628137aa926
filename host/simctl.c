/* The virtual board's control socket, host side (host/simctl.h). */
#define _DEFAULT_SOURCE /* realpath */
#include "simctl.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "fipy/err.h"

/* Connect with a 5 s limit on each exchange. */
static int fpy_simctl_connect(const char *path, char *err, size_t errlen)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    struct timeval tv = {5, 0};
    if (strlen(path) >= sizeof a.sun_path) {
        snprintf(err, errlen, "%s: path too long for a socket", path);
        return -1;
    }
    memcpy(a.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        snprintf(err, errlen, "cannot connect to %s: %s (is 'fipytool sim' running?)", path,
                 strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return fd;
}

static int fpy_simctl_exchange(int fd, const char *cmd, char *reply, size_t cap)
{
    size_t n = strlen(cmd), k = 0;
    if (send(fd, cmd, n, MSG_NOSIGNAL) != (ssize_t)n || send(fd, "\n", 1, MSG_NOSIGNAL) != 1)
        return -1;
    while (k + 1 < cap) {
        ssize_t r = recv(fd, reply + k, 1, 0);
        if (r <= 0)
            return -1;
        if (reply[k] == '\n')
            break;
        k++;
    }
    reply[k] = '\0';
    return 0;
}

int fpy_simctl_send(const char *sock, const char *cmd, char *reply, size_t cap, char *err,
                    size_t errlen)
{
    if (cap == 0)
        return FPY_ERR_INVAL;
    reply[0] = '\0';
    int fd = fpy_simctl_connect(sock, err, errlen);
    if (fd < 0)
        return FPY_ERR_IO;
    errno = 0;
    int rc = fpy_simctl_exchange(fd, cmd, reply, cap);
    close(fd);
    if (rc != 0) {
        snprintf(err, errlen, "%s: no reply (%s)", sock,
                 errno ? strerror(errno) : "connection closed");
        return FPY_ERR_IO;
    }
    if (strncmp(reply, "error:", 6) == 0) {
        snprintf(err, errlen, "%s: %s", sock, reply);
        return FPY_ERR_INVAL;
    }
    return FPY_OK;
}

/* The TCP port of a local rfc2217:// or socket:// spec, else -1. */
static long fpy_simctl_tcp(const char *port)
{
    static const char *const schemes[] = {"rfc2217://", "socket://"};
    static const char *const hosts[] = {"localhost:", "127.0.0.1:"};
    for (size_t s = 0; s < 2; s++) {
        size_t sl = strlen(schemes[s]);
        if (strncmp(port, schemes[s], sl) != 0)
            continue;
        for (size_t h = 0; h < 2; h++) {
            size_t hl = strlen(hosts[h]);
            if (strncmp(port + sl, hosts[h], hl) != 0)
                continue;
            char *end;
            long v = strtol(port + sl + hl, &end, 10);
            return end != port + sl + hl && (*end == '\0' || *end == '?') && v > 0 ? v : -1;
        }
    }
    return -1;
}

/* Does the board at `sock` answer for this pty path or TCP port? */
static int fpy_simctl_matches(const char *sock, const char *pty, long tcp)
{
    char reply[400], err[300], want[PATH_MAX + 8];
    if (fpy_simctl_send(sock, "ports", reply, sizeof reply, err, sizeof err) != FPY_OK)
        return 0;
    if (tcp > 0) {
        snprintf(want, sizeof want, " tcp=%ld", tcp);
        size_t n = strlen(want);
        const char *at = strstr(reply, want);
        return at != NULL && (at[n] == '\0' || at[n] == ' ');
    }
    snprintf(want, sizeof want, " pty=%s ", pty);
    return strstr(reply, want) != NULL;
}

static int fpy_simctl_scan(const char *dir, const char *pty, long tcp, char *sock, size_t cap)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    struct dirent *e;
    int found = 0;
    while (!found && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (strncmp(e->d_name, "fipy-sim-", 9) != 0 || n < 13 ||
            strcmp(e->d_name + n - 4, ".ctl") != 0)
            continue;
        char path[PATH_MAX];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path)
            continue;
        if (fpy_simctl_matches(path, pty, tcp) && strlen(path) < cap) {
            memcpy(sock, path, strlen(path) + 1);
            found = 1;
        }
    }
    closedir(d);
    return found;
}

int fpy_simctl_find(const char *port, char *sock, size_t cap)
{
    const char *env = getenv("FIPY_SIM_CTL");
    if (env != NULL && env[0] != '\0') {
        if (strlen(env) >= cap)
            return FPY_ERR_NOTFOUND;
        memcpy(sock, env, strlen(env) + 1);
        return FPY_OK;
    }
    long tcp = fpy_simctl_tcp(port);
    char pty[PATH_MAX] = "";
    if (tcp < 0 && (strstr(port, "://") != NULL || realpath(port, pty) == NULL ||
                    strncmp(pty, "/dev/pts/", 9) != 0))
        return FPY_ERR_NOTFOUND; /* a real serial port, or a remote one */
    const char *rt = getenv("XDG_RUNTIME_DIR");
    if (rt != NULL && rt[0] == '/' && fpy_simctl_scan(rt, pty, tcp, sock, cap))
        return FPY_OK;
    return fpy_simctl_scan("/tmp", pty, tcp, sock, cap) ? FPY_OK : FPY_ERR_NOTFOUND;
}
