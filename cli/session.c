/*
 * The board session shared by the commands that talk to a board
 * (cli/session.h): the port, the rates, Ctrl-C and the event output.
 */
#include "session.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fipy/efuse.h"
#include "flasher_conn.h"
#include "hostio.h"

#define FPY_SESSION_DEFAULT_BAUD 921600u

volatile sig_atomic_t fpy_session_stop;

static void fpy_session_on_sigint(int sig)
{
    (void)sig;
    fpy_session_stop = 1;
}

/* Ctrl-C asks the engine to stop at a block boundary; a second one ends
 * the program at once (SA_RESETHAND). */
static void fpy_session_catch_sigint(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fpy_session_on_sigint;
    sa.sa_flags = (int)SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

/* ---- output: JSON lines, a progress bar, or plain lines ----------------- */

static void fpy_session_json_event(const fpy_flasher_event *e)
{
    printf("{\"stage\": ");
    fpy_json_str(stdout, e->stage);
    if (e->name != NULL) {
        printf(", \"file\": ");
        fpy_json_str(stdout, e->name);
    }
    printf(", \"addr\": %u, \"done\": %llu, \"total\": %llu, \"retries\": %u", (unsigned)e->addr,
           (unsigned long long)e->done, (unsigned long long)e->total, (unsigned)e->retries);
    if (e->code != NULL) {
        printf(", \"code\": ");
        fpy_json_str(stdout, e->code);
    }
    if (e->msg != NULL) {
        printf(", \"message\": ");
        fpy_json_str(stdout, e->msg);
    }
    printf("}\n");
    fflush(stdout);
}

static int fpy_session_is_progress(const char *stage)
{
    return strcmp(stage, "write") == 0 || strcmp(stage, "read") == 0 ||
           strcmp(stage, "upload") == 0;
}

static void fpy_session_progress(fpy_session_out *o, const fpy_flasher_event *e)
{
    unsigned pct = e->total ? (unsigned)(e->done * 100u / e->total) : 100u;
    if (o->tty) {
        fprintf(stderr, "\r%-6s %-24.24s [%-40.*s] %3u%%", e->stage, e->name ? e->name : "",
                (int)(pct * 40u / 100u), "========================================", pct);
        o->last_pct = pct;
        return;
    }
    if (o->last_stage != e->stage || pct / 10u != o->last_pct / 10u || pct == 100u) {
        if (pct != o->last_pct || o->last_stage != e->stage)
            fprintf(stderr, "%s: %llu of %llu bytes (%u%%)\n", e->stage,
                    (unsigned long long)e->done, (unsigned long long)e->total, pct);
        o->last_pct = pct;
    }
}

void fpy_session_endline(fpy_session_out *o)
{
    if (o->tty && o->last_stage != NULL && fpy_session_is_progress(o->last_stage))
        fputc('\n', stderr);
    o->last_stage = NULL;
}

void fpy_session_event(void *ctx, const fpy_flasher_event *e)
{
    fpy_session_out *o = ctx;
    if (o->json) {
        fpy_session_json_event(e);
        return;
    }
    if (fpy_session_is_progress(e->stage)) {
        fpy_session_progress(o, e);
        o->last_stage = e->stage;
        return;
    }
    fpy_session_endline(o);
    o->last_stage = e->stage;
    o->last_pct = 0;
    if (strcmp(e->stage, "note") == 0 || strcmp(e->stage, "retry") == 0)
        fprintf(stderr, "%s: %s%s\n", o->prefix, strcmp(e->stage, "retry") == 0 ? "retry: " : "",
                e->msg ? e->msg : "");
    else if (strcmp(e->stage, "compare") == 0)
        fprintf(stderr, "comparing %s at 0x%x with the flash\n", e->name, (unsigned)e->addr);
    else if (strcmp(e->stage, "verify") == 0 && e->name != NULL)
        fprintf(stderr, "%s at 0x%x: %s\n", e->name, (unsigned)e->addr, e->msg ? e->msg : "");
    else if (strcmp(e->stage, "baud") == 0)
        fprintf(stderr, "baud rate %u%s%s\n", (unsigned)e->addr, e->msg ? ": " : "",
                e->msg ? e->msg : "");
}

int fpy_session_json_fail(int json, int rc, const char *code)
{
    if (json && rc != FPY_EXIT_OK && rc != FPY_EXIT_INTERRUPTED) {
        printf("{\"stage\": \"error\", \"code\": \"%s\", \"message\": "
               "\"see standard error\"}\n",
               code != NULL ? code : rc == FPY_EXIT_USAGE ? "usage" : FPY_FLC_INPUT);
        fflush(stdout);
    }
    return rc;
}

/* ---- the port ----------------------------------------------------------- */

static int fpy_session_pick_port(fpy_session *s)
{
    char found[8][64];
    if (s->a->port != NULL) {
        snprintf(s->port, sizeof s->port, "%s", s->a->port);
        return FPY_EXIT_OK;
    }
    size_t n = fpy_conn_find(found, FPY_COUNTOF(found));
    if (n == 0) {
        fprintf(stderr, "%s: no FiPy expansion board found on USB; name the port "
                        "with --port /dev/ttyUSB0 (or rfc2217://HOST:PORT, "
                        "socket://HOST:PORT)\n", s->out.prefix);
        return FPY_EXIT_FAIL;
    }
    if (n > 1) {
        fprintf(stderr, "%s: %zu boards found; choose one with --port:\n", s->out.prefix, n);
        for (size_t i = 0; i < n && i < FPY_COUNTOF(found); i++)
            fprintf(stderr, "  %s\n", found[i]);
        return FPY_EXIT_USAGE;
    }
    snprintf(s->port, sizeof s->port, "%s", found[0]);
    return FPY_EXIT_OK;
}

/* --baud: the rate after the ROM answers (921600 by default; a raw
 * socket has no rate to change; a quick command stays at 115200). */
static int fpy_session_baud(fpy_session *s, int quick)
{
    const char *b = s->a->baud;
    s->baud = quick || strncmp(s->port, "socket://", 9) == 0 ? 0 : FPY_SESSION_DEFAULT_BAUD;
    if (b == NULL)
        return 0;
    int rc = fpy_cli_number(s->cmd, "--baud", b, FPY_NUM_PLAIN, 4000000u, &s->baud);
    if (rc == 0 && s->baud < 9600u)
        rc = fpy_cli_usage_error(s->cmd, "--baud: %u is too slow (9600 or more)",
                                 (unsigned)s->baud);
    return rc;
}

int fpy_session_prepare(fpy_session *s, const fpy_cli_cmd *cmd, const fpy_session_args *a,
                        int quick)
{
    memset(s, 0, sizeof *s);
    s->cmd = cmd;
    s->a = a;
    s->out.json = a->json;
    s->out.tty = !a->json && isatty(STDERR_FILENO);
    snprintf(s->out.prefix, sizeof s->out.prefix, "fipytool %s", cmd->name);
    s->wait_s = 60;
    int rc = 0;
    if (a->wait != NULL)
        rc = fpy_cli_number(cmd, "--wait", a->wait, FPY_NUM_PLAIN, 3600u, &s->wait_s);
    if (rc == 0 && a->port != NULL)
        snprintf(s->port, sizeof s->port, "%s", a->port);
    if (rc == 0)
        rc = fpy_session_baud(s, quick);
    if (rc != 0)
        return fpy_session_json_fail(a->json, rc, NULL);
    rc = fpy_session_pick_port(s);
    if (rc == 0)
        rc = fpy_session_baud(s, quick); /* the found port may be a socket */
    return rc != 0 ? fpy_session_json_fail(a->json, rc, "no-port") : 0;
}

int fpy_session_open_port(fpy_session *s)
{
    char err[300];
    if (fpy_conn_open(&s->conn, s->port, FPY_SESSION_ROM_BAUD, err, sizeof err) != FPY_OK) {
        fprintf(stderr, "%s: %s\n", s->out.prefix, err);
        s->conn = NULL;
        return fpy_session_json_fail(s->a->json, FPY_EXIT_FAIL, "port");
    }
    fpy_session_stop = 0;
    fpy_session_catch_sigint();
    return FPY_EXIT_OK;
}

void fpy_session_close_port(fpy_session *s)
{
    fpy_session_endline(&s->out);
    if (s->conn != NULL)
        fpy_conn_close(s->conn);
    s->conn = NULL;
    signal(SIGINT, SIG_DFL);
}

/* A lost link: what the connection itself says (unplugged, server gone). */
static void fpy_session_link_cause(const fpy_session *s)
{
    const char *why = fpy_conn_last_error(s->conn);
    if (!s->a->json && s->fl.code != NULL && strcmp(s->fl.code, FPY_FLC_LINK) == 0 && why[0])
        fprintf(stderr, "%s: %s: %s\n", s->out.prefix, s->port, why);
}

int fpy_session_connect(fpy_session *s, const fpy_flasher_opts *o)
{
    int rc = s->conn != NULL ? FPY_EXIT_OK : fpy_session_open_port(s);
    if (rc != FPY_EXIT_OK)
        return rc;
    fpy_flasher_opts fo = *o;
    fo.manual_wait_s = s->wait_s > 0 ? s->wait_s : 1;
    fo.baud = s->baud;
    fo.no_reset = s->a->no_reset;
    fo.event = fpy_session_event;
    fo.event_ctx = &s->out;
    fo.stop = &fpy_session_stop;
    if (fpy_flasher_connect(&s->fl, fpy_flasher_conn_link(s->conn), FPY_SESSION_ROM_BAUD, &fo) !=
        FPY_OK) {
        if (!s->a->json)
            fprintf(stderr, "%s: %s: %s\n", s->out.prefix, s->port, s->fl.msg);
        fpy_session_link_cause(s);
        fpy_session_close_port(s);
        return s->fl.interrupted ? FPY_EXIT_INTERRUPTED : FPY_EXIT_FAIL;
    }
    return FPY_EXIT_OK;
}

int fpy_session_close(fpy_session *s, int rc, int run)
{
    fpy_session_endline(&s->out);
    if (rc != FPY_OK && !s->a->json)
        fprintf(stderr, "%s: %s\n", s->out.prefix, s->fl.msg);
    fpy_session_link_cause(s);
    if (rc != FPY_OK && !s->fl.interrupted && s->fl.done_msg[0] && !s->a->json)
        fprintf(stderr, "%s: so far: %s; run the same command again to resume\n",
                s->out.prefix, s->fl.done_msg);
    /* a hard reset into the app after success; else the ROM back at the
     * rate it was found at (fpy_flasher_leave) */
    (void)fpy_flasher_leave(&s->fl, rc == FPY_OK && run && !s->a->no_reset);
    fpy_session_close_port(s);
    if (rc == FPY_OK)
        return FPY_EXIT_OK;
    return s->fl.interrupted ? FPY_EXIT_INTERRUPTED : FPY_EXIT_FAIL;
}

int fpy_session_refuse_encrypted(fpy_session *s, const char *what)
{
    fpy_efuse e = {{0}};
    memcpy(e.w, s->fl.chip.efuse, sizeof s->fl.chip.efuse); /* BLOCK0, read at connect */
    if (!fpy_efuse_flash_crypt_on(&e))
        return 0;
    fprintf(stderr, "fipytool %s: the board's flash is encrypted (FLASH_CRYPT_CNT odd) with a "
                    "key only the board holds: a plain %s would leave flash its firmware "
                    "decrypts into noise, and the board would not boot; upload signed bytecode "
                    "instead (docs/security.md); nothing written\n",
            s->cmd->name, what);
    (void)fpy_session_close(s, FPY_OK, 1);
    return fpy_session_json_fail(s->a->json, FPY_EXIT_FAIL, "encrypted");
}
