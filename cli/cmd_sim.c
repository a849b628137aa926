/* fipytool sim: run the virtual FiPy behind a pty / TCP port; talk to it. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "ctl.h"
#include "fipy/err.h"
#include "simctl.h"
#include "link.h"
#include "simrun.h"
#include "vboard.h"

#define FPY_SIM_DEFAULT_FLASH "fipy-sim-flash.bin"

static const char fpy_sim_usage[] =
    "usage: fipytool sim [--flash FILE] [--ble] [--link PATH] [--tcp PORT] [--ctl PATH]\n"
    "                    [--fast] [--latency-ms N] [--seed S] [-v]\n"
    "       fipytool sim ctl SOCKET COMMAND... [--json]\n\n"
    "Run a virtual FiPy 1.0 until killed (Ctrl-C, SIGTERM) or told to 'quit'.\n"
    "It prints where to reach it: a pseudo-terminal (use it like /dev/ttyUSB0;\n"
    "no DTR/RTS), a TCP port on 127.0.0.1 (rfc2217://localhost:PORT with\n"
    "esptool's auto-reset, or socket://localhost:PORT), and its control socket.\n\n"
    "  --flash FILE     the board's 8 MiB flash (default ./" FPY_SIM_DEFAULT_FLASH
    ", created\n"
    "                   blank when missing; kept between runs)\n"
    "  --ble            the BLE layout for a blank flash\n"
    "  --link PATH      a symlink PATH to the pty, removed at exit\n"
    "  --tcp PORT       listen on 127.0.0.1:PORT (0: any free port)\n"
    "  --ctl PATH       the control socket (default $XDG_RUNTIME_DIR or /tmp,\n"
    "                   fipy-sim-PID.ctl)\n"
    "  --fast           bytes move at once: no baud pacing, no bridge latency\n"
    "  --latency-ms N   the USB bridge's latency each way (default 2)\n"
    "  --seed S         the seed for the link's fault injection (default 1)\n"
    "  -v, --verbose    connections and control commands on stderr\n\n"
    "Control commands (fipytool sim ctl SOCKET ..., one reply 'ok ...' or\n"
    "'error: ...'; exit 1 on an error):\n"
    "  jumper on|off            the G23-GND jumper (download mode at reset)\n"
    "  reset                    press the reset button\n"
    "  power on|off             power-cycle\n"
    "  power-cut-after N        cut the power after N more flash writes/erases\n"
    "  link drop|corrupt|stall to-board|from-board|both at K|rate N [for MS]\n"
    "                           [seed S]   a fault on the K-th byte from now\n"
    "                           (0 = next) or on 1 byte in N; a stall holds\n"
    "                           the link MS ms (default 1000)\n"
    "  link seed S | link clear\n"
    "  status [--json]          mode, baud, jumper, power, slots, counters\n"
    "  quit                     stop the board (its flash file is saved)\n"
    "See docs/sim.md.\n";

static const char fpy_sim_ctl_usage[] =
    "usage: fipytool sim ctl SOCKET COMMAND... [--json]\n\n"
    "Send one control command to a running 'fipytool sim' and print its\n"
    "reply; exit 1 when the reply is an error.  Commands: 'fipytool sim --help'.\n";

static int fpy_sim_main(int argc, char **argv);
static int fpy_sim_ctl(int argc, char **argv);

const fpy_cli_cmd fpy_cmd_sim = {"sim", "run the virtual FiPy (pty, RFC 2217), control it",
                                 fpy_sim_usage, fpy_sim_main};
static const fpy_cli_cmd fpy_cmd_sim_ctl = {"sim ctl", "send a control command",
                                            fpy_sim_ctl_usage, fpy_sim_ctl};

static const fpy_cli_sub fpy_sim_subs_tab[] = {{"ctl", NULL, &fpy_cmd_sim_ctl}};
static const fpy_cli_subs fpy_sim_subs = {&fpy_cmd_sim, fpy_sim_subs_tab,
                                          FPY_COUNTOF(fpy_sim_subs_tab), NULL,
                                          "no command '%s' (the only one is 'ctl'; options "
                                          "start with --)",
                                          NULL};

/* ---- sim ctl --------------------------------------------------------------- */

static int fpy_sim_ctl(int argc, char **argv)
{
    char *pos[FPY_CTL_MAX_TOKENS + 1];
    size_t npos;
    int json = 0;
    const fpy_opt opts[] = {{"--json", 0, NULL, &json}};
    int rc = FPY_CLI_PARSE(&fpy_cmd_sim_ctl, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos < 2)
        return fpy_cli_usage_error(&fpy_cmd_sim_ctl, "needs SOCKET and a COMMAND");
    char line[FPY_CTL_LINE_MAX + 2] = "", reply[FPY_CTL_REPLY_MAX + 2];
    for (size_t i = 1; i < npos; i++) {
        if (strlen(line) + strlen(pos[i]) + 9 > FPY_CTL_LINE_MAX)
            return fpy_cli_usage_error(&fpy_cmd_sim_ctl, "command too long");
        strcat(line, pos[i]);
        strcat(line, " ");
    }
    if (json)
        strcat(line, "--json");
    else if (line[0] != '\0')
        line[strlen(line) - 1] = '\0'; /* the last space */
    char err[400];
    rc = fpy_simctl_send(pos[0], line, reply, sizeof reply, err, sizeof err);
    if (rc == FPY_ERR_IO) {
        fprintf(stderr, "fipytool sim ctl: %s\n", err);
        return FPY_EXIT_FAIL;
    }
    printf("%s\n", reply);
    return rc == FPY_OK ? FPY_EXIT_OK : FPY_EXIT_FAIL;
}

/* ---- sim ------------------------------------------------------------------- */

/* Set by SIGINT/SIGTERM/SIGHUP; the loop looks at it each round (at most
 * 100 ms apart) and then closes everything in order. */
static volatile sig_atomic_t fpy_sim_stop;

static void fpy_sim_on_signal(int sig)
{
    (void)sig;
    fpy_sim_stop = 1;
}

static void fpy_sim_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fpy_sim_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

typedef struct fpy_sim_args {
    const char *flash, *link, *tcp, *ctl, *latency, *seed;
    int ble, fast, verbose;
    uint32_t port, latency_ms, seed_n;
    char ctl_buf[108];
} fpy_sim_args;

static int fpy_sim_numbers(fpy_sim_args *a)
{
    const fpy_cli_cmd *c = &fpy_cmd_sim;
    a->latency_ms = FPY_LINK_LATENCY_US / 1000u;
    a->seed_n = 1;
    int rc = fpy_cli_number(c, "--tcp", a->tcp, FPY_NUM_PLAIN, 65535, &a->port);
    if (rc == 0)
        rc = fpy_cli_number(c, "--latency-ms", a->latency, FPY_NUM_PLAIN, 10000, &a->latency_ms);
    if (rc == 0)
        rc = fpy_cli_number(c, "--seed", a->seed, FPY_NUM_PLAIN, UINT32_MAX, &a->seed_n);
    if (rc == 0 && a->fast && a->latency != NULL)
        rc = fpy_cli_usage_error(c, "--fast and --latency-ms contradict each other");
    if (rc == 0 && a->ctl == NULL) {
        const char *dir = getenv("XDG_RUNTIME_DIR");
        snprintf(a->ctl_buf, sizeof a->ctl_buf, "%s/fipy-sim-%ld.ctl",
                 dir != NULL && dir[0] == '/' && strlen(dir) < 64 ? dir : "/tmp",
                 (long)getpid());
        a->ctl = a->ctl_buf;
    }
    return rc;
}

static void fpy_sim_banner(const fpy_simrun *r, const fpy_sim_args *a)
{
    printf("flash: %s%s\n", a->flash, a->ble ? " (BLE layout if blank)" : "");
    printf("pty: %s\n", fpy_simrun_pty_path(r, 0));
    if (a->link != NULL)
        printf("link: %s\n", a->link);
    if (a->tcp != NULL)
        printf("tcp: 127.0.0.1:%d (rfc2217://localhost:%d or socket://localhost:%d)\n",
               fpy_simrun_tcp_port(r, 0), fpy_simrun_tcp_port(r, 0), fpy_simrun_tcp_port(r, 0));
    printf("ctl: %s\n", fpy_simrun_ctl_path(r));
    printf("link model: %s\n", a->fast ? "fast (no pacing, no latency)" : "paced at the baud");
    fflush(stdout);
}

static int fpy_sim_serve(fpy_vboard *vb, const fpy_sim_args *a)
{
    char err[512];
    fpy_simrun_cfg rc = {.ctl_path = a->ctl, .stop = &fpy_sim_stop, .verbose = a->verbose};
    fpy_simrun_board bc = {.pty = 1, .link_path = a->link, .tcp = a->tcp != NULL,
                           .tcp_port = (uint16_t)a->port};
    bc.link = (fpy_link_cfg){.latency_us = a->latency_ms * 1000u, .fast = a->fast,
                             .seed = a->seed_n};
    fpy_link_board_vboard(&bc.ops, vb);
    fpy_simrun *r = fpy_simrun_new(&rc, err, sizeof err);
    if (r == NULL || fpy_simrun_add(r, &bc, err, sizeof err) < 0) {
        fprintf(stderr, "fipytool sim: %s\n", err);
        fpy_simrun_free(r);
        return FPY_EXIT_FAIL;
    }
    fpy_sim_banner(r, a);
    fpy_simrun_run(r);
    fpy_simrun_free(r); /* symlink and control socket removed */
    return FPY_EXIT_OK;
}

static int fpy_sim_main(int argc, char **argv)
{
    if (argc >= 2 && argv[1][0] != '-') /* a sub-command: ctl */
        return fpy_cli_run_sub(&fpy_sim_subs, NULL, argc - 1, argv + 1);
    fpy_sim_args a = {.flash = FPY_SIM_DEFAULT_FLASH};
    const fpy_opt opts[] = {
        {"--flash", 0, &a.flash, NULL},     {"--ble", 0, NULL, &a.ble},
        {"--link", 0, &a.link, NULL},       {"--tcp", 0, &a.tcp, NULL},
        {"--ctl", 0, &a.ctl, NULL},         {"--fast", 0, NULL, &a.fast},
        {"--latency-ms", 0, &a.latency, NULL}, {"--seed", 0, &a.seed, NULL},
        {"--verbose", 'v', NULL, &a.verbose},
    };
    size_t npos;
    int rc = FPY_CLI_PARSE_NOPOS(&fpy_cmd_sim, argc, argv, opts, &npos);
    if (rc == 0)
        rc = fpy_sim_numbers(&a);
    if (rc != 0)
        return fpy_cli_done(rc);
    char err[512] = "";
    fpy_vboard_cfg vc = {.flash_path = a.flash, .ble = a.ble};
    fpy_vboard *vb = fpy_vboard_open(&vc, err, sizeof err);
    if (vb == NULL) {
        fprintf(stderr, "fipytool sim: %s: %s\n", a.flash, err[0] ? err : "cannot open");
        return FPY_EXIT_FAIL;
    }
    fpy_sim_signals();
    rc = fpy_sim_serve(vb, &a);
    fpy_vboard_close(vb); /* after the loop: the flash file is consistent */
    return rc;
}
