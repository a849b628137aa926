/*
 * fipytool console: the board's console (its UART at 115200), as a serial
 * monitor shows it: the ROM's lines, the boot log, the VM.  With --reset
 * the board is reset first (DTR/RTS; a virtual FiPy behind a pty through
 * its control socket), so the boot log is seen from its start.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "workflow.h"

static const char fpy_console_usage[] =
    "usage: fipytool console [--port PORT] [--seconds S] [--reset] [--sim-ctl SOCKET]\n\n"
    "Print what the board sends on its console (115200 8N1), carriage returns\n"
    "dropped, until Ctrl-C or for S seconds. --reset resets the board first\n"
    "(the RTS line; a virtual FiPy behind a pty: its reset control), so the\n"
    "boot log shows from its first line. Nothing is sent to the board.\n\n"
    "Exit status: 0, 1 the port failed, 2 usage error.\n";

static int fpy_console_run(int argc, char **argv);
const fpy_cli_cmd fpy_cmd_console = {"console", "show the board's console (the boot log)",
                                     fpy_console_usage, fpy_console_run};

static uint64_t fpy_console_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static int fpy_console_copy(fpy_session *s, uint32_t seconds)
{
    uint64_t end = seconds ? fpy_console_ms() + seconds * 1000ull : UINT64_MAX;
    char buf[512];
    while (!fpy_session_stop && fpy_console_ms() < end) {
        long n = fpy_conn_read(s->conn, buf, sizeof buf, 100);
        if (n < 0) {
            fprintf(stderr, "fipytool console: %s: %s\n", s->port, fpy_conn_last_error(s->conn));
            return FPY_EXIT_FAIL;
        }
        for (long i = 0; i < n; i++)
            if (buf[i] != '\r')
                putchar(buf[i]);
        fflush(stdout);
    }
    return FPY_EXIT_OK;
}

static int fpy_console_run(int argc, char **argv)
{
    fpy_session_args b = {0};
    const char *secs = NULL, *sim_ctl = NULL;
    int reset = 0;
    const fpy_opt opts[] = {{"--port", 'p', &b.port, NULL},
                            {"--seconds", 0, &secs, NULL},
                            {"--reset", 0, NULL, &reset},
                            {"--sim-ctl", 0, &sim_ctl, NULL}};
    size_t npos;
    int rc = FPY_CLI_PARSE_NOPOS(&fpy_cmd_console, argc, argv, opts, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    uint32_t seconds = 0;
    if (secs != NULL &&
        (rc = fpy_cli_number(&fpy_cmd_console, "--seconds", secs, FPY_NUM_PLAIN, 86400u,
                             &seconds)) != 0)
        return rc;
    fpy_session s;
    char sock[300];
    rc = fpy_session_prepare(&s, &fpy_cmd_console, &b, 1);
    int virt = rc == 0 && reset && fpy_wf_virtual(&s, sim_ctl, sock, sizeof sock);
    if (rc == 0)
        rc = fpy_session_open_port(&s);
    if (rc != 0)
        return rc;
    if (reset)
        rc = fpy_wf_reset(&s, virt ? sock : NULL);
    if (rc == 0)
        rc = fpy_console_copy(&s, seconds);
    fpy_session_close_port(&s);
    return rc;
}
