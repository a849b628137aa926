/* The control channel's parser and executor (see ctl.h). */
#include "ctl.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fipy/err.h"

typedef struct fpy_ctl_toks {
    char t[FPY_CTL_MAX_TOKENS][FPY_CTL_MAX_TOKEN + 1];
    size_t n;
} fpy_ctl_toks;

static int fpy_ctl_fail(char *err, size_t errlen, const char *fmt, const char *arg)
{
    snprintf(err, errlen, fmt, arg);
    return -1;
}

/* Split on blanks; refuse control bytes, long tokens, too many tokens. */
static int fpy_ctl_split(const char *s, size_t len, fpy_ctl_toks *tk, char *err, size_t errlen)
{
    if (len > 0 && s[len - 1] == '\r')
        len--;
    if (len > FPY_CTL_LINE_MAX)
        return fpy_ctl_fail(err, errlen, "line too long (at most %s characters)", "256");
    tk->n = 0;
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\t') {
            i++;
            continue;
        }
        if (tk->n == FPY_CTL_MAX_TOKENS)
            return fpy_ctl_fail(err, errlen, "too many words (at most %s)", "12");
        size_t k = 0;
        for (; i < len && s[i] != ' ' && s[i] != '\t'; i++, k++) {
            c = (unsigned char)s[i];
            if (c < 0x21 || c > 0x7e) {
                char hex[8];
                snprintf(hex, sizeof hex, "0x%02x", c);
                return fpy_ctl_fail(err, errlen, "byte %s is not printable text", hex);
            }
            if (k == FPY_CTL_MAX_TOKEN)
                return fpy_ctl_fail(err, errlen, "word too long (at most %s characters)", "24");
            tk->t[tk->n][k] = (char)c;
        }
        tk->t[tk->n++][k] = '\0';
    }
    return 0;
}

/* Decimal, or 0x and hex digits, at most `max`. */
static int fpy_ctl_num(const char *s, uint64_t max, uint64_t *out)
{
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && s[2] != '\0') {
        base = 16;
        s += 2;
    }
    if (*s == '\0')
        return -1;
    uint64_t v = 0;
    for (; *s != '\0'; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = (unsigned)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = (unsigned)(*s - 'A' + 10);
        else
            return -1;
        if (v > (max - d) / base)
            return -1;
        v = v * base + d;
    }
    *out = v;
    return 0;
}

static int fpy_ctl_num_arg(const char *what, const char *s, uint64_t max, uint64_t *out,
                           char *err, size_t errlen)
{
    if (fpy_ctl_num(s, max, out) == 0)
        return 0;
    snprintf(err, errlen, "%s: '%s' is not a number up to %" PRIu64, what, s, max);
    return -1;
}

static int fpy_ctl_onoff(const fpy_ctl_toks *tk, size_t i, int *on, char *err, size_t errlen)
{
    if (tk->n != i + 2 || (strcmp(tk->t[i + 1], "on") != 0 && strcmp(tk->t[i + 1], "off") != 0))
        return fpy_ctl_fail(err, errlen, "%s takes 'on' or 'off'", tk->t[i]);
    *on = strcmp(tk->t[i + 1], "on") == 0;
    return 0;
}

static const char *const fpy_ctl_kinds[] = {"", "drop", "corrupt", "stall"};

/* The words after "link KIND DIR": at K | rate N, for MS, seed S. */
static int fpy_ctl_rule_opts(const fpy_ctl_toks *tk, size_t i, fpy_ctl_req *r, char *err,
                             size_t errlen)
{
    int where = 0, dur = 0;
    uint64_t v;
    for (; i < tk->n; i += 2) {
        const char *w = tk->t[i];
        if (i + 1 >= tk->n)
            return fpy_ctl_fail(err, errlen, "link: '%s' needs a value", w);
        const char *a = tk->t[i + 1];
        if (strcmp(w, "at") == 0 && !where) {
            if (fpy_ctl_num_arg("at", a, UINT64_MAX, &r->rule.at, err, errlen) != 0)
                return -1;
            where = 1;
        } else if (strcmp(w, "rate") == 0 && !where) {
            if (fpy_ctl_num_arg("rate", a, UINT32_MAX, &v, err, errlen) != 0)
                return -1;
            if (v == 0)
                return fpy_ctl_fail(err, errlen, "rate: %s is not 1 in N (N >= 1)", a);
            r->rule.rate = (uint32_t)v;
            where = 1;
        } else if (strcmp(w, "for") == 0 && r->rule.kind == FPY_LINK_STALL && !dur) {
            if (fpy_ctl_num_arg("for (ms)", a, 3600000u, &v, err, errlen) != 0)
                return -1;
            r->rule.stall_us = (uint32_t)v * 1000u;
            dur = 1;
        } else if (strcmp(w, "seed") == 0 && !r->has_seed) {
            if (fpy_ctl_num_arg("seed", a, UINT64_MAX, &r->seed, err, errlen) != 0)
                return -1;
            r->has_seed = 1;
        } else {
            return fpy_ctl_fail(err, errlen,
                                "link: unexpected '%s' (at K | rate N, for MS with stall, "
                                "seed S; each once)", w);
        }
    }
    if (!where)
        return fpy_ctl_fail(err, errlen, "link %s: say where: 'at K' (the K-th byte from "
                                         "now, 0 = next) or 'rate N' (1 byte in N)",
                            fpy_ctl_kinds[r->rule.kind]);
    return 0;
}

static int fpy_ctl_link(const fpy_ctl_toks *tk, size_t i, fpy_ctl_req *r, char *err,
                        size_t errlen)
{
    const char *w = i + 1 < tk->n ? tk->t[i + 1] : "";
    if (strcmp(w, "clear") == 0 && tk->n == i + 2)
        return r->op = FPY_CTL_LINK_CLEAR, 0;
    if (strcmp(w, "seed") == 0 && tk->n == i + 3) {
        r->op = FPY_CTL_LINK_SEED;
        r->has_seed = 1;
        return fpy_ctl_num_arg("seed", tk->t[i + 2], UINT64_MAX, &r->seed, err, errlen);
    }
    r->op = FPY_CTL_LINK_RULE;
    for (int k = FPY_LINK_DROP; k <= FPY_LINK_STALL; k++)
        if (strcmp(w, fpy_ctl_kinds[k]) == 0)
            r->rule.kind = k;
    if (r->rule.kind == 0)
        return fpy_ctl_fail(err, errlen, "link: '%s' is not drop, corrupt, stall, seed or clear",
                            w);
    const char *d = i + 2 < tk->n ? tk->t[i + 2] : "";
    if (strcmp(d, "to-board") == 0)
        r->rule.dir = FPY_LINK_TO_BOARD;
    else if (strcmp(d, "from-board") == 0)
        r->rule.dir = FPY_LINK_FROM_BOARD;
    else if (strcmp(d, "both") == 0)
        r->both = 1;
    else
        return fpy_ctl_fail(err, errlen, "link: direction '%s' is not to-board, from-board or "
                                         "both", d);
    if (r->rule.kind == FPY_LINK_STALL)
        r->rule.stall_us = FPY_CTL_STALL_MS * 1000u;
    return fpy_ctl_rule_opts(tk, i + 3, r, err, errlen);
}

/* The command after an optional "board N". */
static int fpy_ctl_command(const fpy_ctl_toks *tk, size_t i, fpy_ctl_req *r, char *err,
                           size_t errlen)
{
    const char *c = tk->t[i];
    size_t left = tk->n - i;
    uint64_t v;
    if (strcmp(c, "jumper") == 0)
        return r->op = FPY_CTL_JUMPER, fpy_ctl_onoff(tk, i, &r->on, err, errlen);
    if (strcmp(c, "power") == 0)
        return r->op = FPY_CTL_POWER, fpy_ctl_onoff(tk, i, &r->on, err, errlen);
    if (strcmp(c, "link") == 0)
        return fpy_ctl_link(tk, i, r, err, errlen);
    if (strcmp(c, "power-cut-after") == 0) {
        r->op = FPY_CTL_CUT;
        if (left != 2)
            return fpy_ctl_fail(err, errlen, "%s takes a count of flash operations", c);
        if (fpy_ctl_num_arg(c, tk->t[i + 1], UINT32_MAX, &v, err, errlen) != 0)
            return -1;
        r->n = (uint32_t)v;
        return 0;
    }
    if (strcmp(c, "status") == 0 && (left == 1 || (left == 2 && !strcmp(tk->t[i + 1], "--json"))))
        return r->op = FPY_CTL_STATUS, r->json = left == 2, 0;
    if (strcmp(c, "reset") == 0 && left == 1)
        return r->op = FPY_CTL_RESET, 0;
    if (strcmp(c, "quit") == 0 && left == 1 && i == 0)
        return r->op = FPY_CTL_QUIT, 0;
    if (strcmp(c, "ports") == 0 && left == 1)
        return r->op = FPY_CTL_PORTS, 0;
    if (strcmp(c, "status") == 0 || strcmp(c, "reset") == 0 || strcmp(c, "quit") == 0 ||
        strcmp(c, "ports") == 0)
        return fpy_ctl_fail(err, errlen, "%s: unexpected arguments", c);
    return fpy_ctl_fail(err, errlen,
                        "unknown command '%s' (jumper, reset, power, power-cut-after, link, "
                        "status, ports, quit)", c);
}

int fpy_ctl_parse(const char *line, size_t len, fpy_ctl_req *req, char *err, size_t errlen)
{
    fpy_ctl_toks tk;
    memset(req, 0, sizeof *req);
    if (fpy_ctl_split(line, len, &tk, err, errlen) != 0)
        return -1;
    if (tk.n == 0)
        return fpy_ctl_fail(err, errlen, "empty command%s", "");
    size_t i = 0;
    if (strcmp(tk.t[0], "board") == 0) {
        uint64_t v;
        if (tk.n < 3)
            return fpy_ctl_fail(err, errlen, "board N COMMAND...%s", "");
        if (fpy_ctl_num_arg("board", tk.t[1], 255, &v, err, errlen) != 0)
            return -1;
        req->board = (uint32_t)v;
        i = 2;
    }
    return fpy_ctl_command(&tk, i, req, err, errlen);
}

/* ---- execution ---------------------------------------------------------- */

static void fpy_ctl_sum(const fpy_link *l, fpy_link_counts *c)
{
    const fpy_link_counts *a = &l->dir[0].n, *b = &l->dir[1].n;
    c->dropped = a->dropped + b->dropped;
    c->corrupted = a->corrupted + b->corrupted;
    c->stalls = a->stalls + b->stalls;
    c->garbled = a->garbled + b->garbled;
    c->lost = b->lost;
}

static void fpy_ctl_status_text(const fpy_vboard_status *st, const fpy_link *l, char *out,
                                size_t cap)
{
    fpy_link_counts c;
    fpy_ctl_sum(l, &c);
    snprintf(out, cap,
             "ok mode=%s baud=%" PRIu32 " jumper=%s power=%s vm_slot=%d bc_slot=%d "
             "test_mode=%d reset_reason=%d uplink=%s bc_size=%" PRIu32 " flash_reads=%" PRIu64
             " flash_programs=%" PRIu64
             " flash_erases=%" PRIu64 " to_board=%" PRIu64 " from_board=%" PRIu64
             " dropped=%" PRIu64 " corrupted=%" PRIu64 " stalls=%" PRIu64 " garbled=%" PRIu64
             " lost=%" PRIu64 " rules=%zu",
             st->mode, st->baud, st->jumper ? "on" : "off", st->powered ? "on" : "off",
             st->vm_slot, st->bc_slot, st->test_mode, st->reset_reason,
             st->uplink ? "open" : "closed", st->bc_size, st->flash_reads,
             st->flash_programs, st->flash_erases, l->dir[0].n.bytes, l->dir[1].n.bytes,
             c.dropped, c.corrupted, c.stalls, c.garbled, c.lost, l->nrules);
}

static void fpy_ctl_status_json(const fpy_vboard_status *st, const fpy_link *l, char *out,
                                size_t cap)
{
    fpy_link_counts c;
    fpy_ctl_sum(l, &c);
    snprintf(out, cap,
             "ok {\"mode\": \"%s\", \"baud\": %" PRIu32 ", \"jumper\": %s, \"power\": %s, "
             "\"vm_slot\": %d, \"bc_slot\": %d, \"test_mode\": %d, \"reset_reason\": %d, "
             "\"uplink\": %s, \"bc_size\": %" PRIu32 ", "
             "\"flash_reads\": %" PRIu64 ", \"flash_programs\": %" PRIu64
             ", \"flash_erases\": %" PRIu64 ", \"link\": {\"to_board\": %" PRIu64
             ", \"from_board\": %" PRIu64 ", \"dropped\": %" PRIu64 ", \"corrupted\": %" PRIu64
             ", \"stalls\": %" PRIu64 ", \"garbled\": %" PRIu64 ", \"lost\": %" PRIu64
             ", \"rules\": %zu}}",
             st->mode, st->baud, st->jumper ? "true" : "false", st->powered ? "true" : "false",
             st->vm_slot, st->bc_slot, st->test_mode, st->reset_reason,
             st->uplink ? "true" : "false", st->bc_size, st->flash_reads,
             st->flash_programs, st->flash_erases, l->dir[0].n.bytes, l->dir[1].n.bytes,
             c.dropped, c.corrupted, c.stalls, c.garbled, c.lost, l->nrules);
}

void fpy_ctl_status(const fpy_link_board *b, const fpy_link *l, int json, char *out, size_t cap)
{
    fpy_vboard_status st = {.mode = "unknown", .vm_slot = -1, .bc_slot = -1, .test_mode = -1};
    if (b->status != NULL)
        b->status(b->ctx, &st);
    if (st.mode == NULL) /* the mode is printed into JSON: no quotes in it */
        st.mode = "unknown";
    if (json)
        fpy_ctl_status_json(&st, l, out, cap);
    else
        fpy_ctl_status_text(&st, l, out, cap);
}

static int fpy_ctl_rule(const fpy_ctl_req *r, fpy_link *l, char *reply, size_t cap)
{
    fpy_link_rule rule = r->rule;
    int n = r->both ? 2 : 1;
    if (l->nrules + (size_t)n > FPY_LINK_MAX_RULES) {
        snprintf(reply, cap, "error: %d fault rules set already (at most %d); 'link clear'",
                 (int)l->nrules, FPY_LINK_MAX_RULES);
        return 0;
    }
    if (r->has_seed)
        fpy_link_seed(l, r->seed);
    for (int d = 0; d < n; d++) {
        if (r->both)
            rule.dir = d;
        if (fpy_link_rule_add(l, &rule) != FPY_OK) {
            snprintf(reply, cap, "error: bad fault rule");
            return 0;
        }
    }
    snprintf(reply, cap, "ok %zu rule%s set", l->nrules, l->nrules == 1 ? "" : "s");
    return 0;
}

/* The board ops a request needs, or NULL when the board has none. */
static int fpy_ctl_can(const fpy_ctl_req *r, const fpy_link_board *b)
{
    switch (r->op) {
    case FPY_CTL_JUMPER: return b->jumper != NULL;
    case FPY_CTL_RESET: return b->reset != NULL;
    case FPY_CTL_POWER: return b->power != NULL;
    case FPY_CTL_CUT: return b->power_cut_after != NULL;
    default: return 1;
    }
}

int fpy_ctl_exec(const fpy_ctl_req *r, const fpy_link_board *b, fpy_link *l, uint64_t now_us,
                 char *reply, size_t cap)
{
    if (!fpy_ctl_can(r, b)) {
        snprintf(reply, cap, "error: this board has no such control");
        return 0;
    }
    snprintf(reply, cap, "ok");
    switch (r->op) {
    case FPY_CTL_JUMPER: b->jumper(b->ctx, r->on); break;
    case FPY_CTL_RESET: b->reset(b->ctx, now_us); break;
    case FPY_CTL_POWER: b->power(b->ctx, now_us, r->on); break;
    case FPY_CTL_CUT: b->power_cut_after(b->ctx, r->n); break;
    case FPY_CTL_LINK_RULE: return fpy_ctl_rule(r, l, reply, cap);
    case FPY_CTL_LINK_SEED: fpy_link_seed(l, r->seed); break;
    case FPY_CTL_LINK_CLEAR: fpy_link_rule_clear(l); break;
    case FPY_CTL_STATUS: fpy_ctl_status(b, l, r->json, reply, cap); break;
    case FPY_CTL_QUIT: snprintf(reply, cap, "ok bye"); return 1;
    default: snprintf(reply, cap, "error: no command"); break;
    }
    return 0;
}
