/*
 * The client side of Telnet carrying RFC 2217 (COM-PORT-OPTION), as
 * pyserial 3.5 speaks it: a byte-at-a-time decoder of what the server
 * sends, and the encoders for what the client sends.  No I/O here, so the
 * decoder can be fuzzed alone (fuzz/fuzz_rfc2217_client.c).
 *
 * Guarantees on untrusted input: every write is bounds-checked (out gets
 * at most one byte per input byte; sb[] and reply[] are capped and
 * overflow is dropped and counted), each input byte costs constant work,
 * and nothing recurses or allocates.
 */
#include <string.h>

#include "conn_int.h"

enum {
    FPY_TN_ST_DATA,   /* plain data */
    FPY_TN_ST_IAC,    /* after IAC */
    FPY_TN_ST_OPT,    /* after IAC WILL/WONT/DO/DONT: the option byte */
    FPY_TN_ST_SB_OPT, /* after IAC SB: the option byte */
    FPY_TN_ST_SB,     /* inside a subnegotiation */
    FPY_TN_ST_SB_IAC  /* IAC inside a subnegotiation */
};

static uint64_t fpy_tn_bit(uint8_t opt)
{
    return opt < 64u ? (uint64_t)1 << opt : 0u;
}

void fpy_tn_init(fpy_tn *t)
{
    memset(t, 0, sizeof *t);
    t->state = FPY_TN_ST_DATA;
}

/* Queue IAC verb opt toward the server; dropped (and counted) when the
 * queue is full: a server that floods us with requests gets fewer
 * refusals, never an overflow. */
static void fpy_tn_reply(fpy_tn *t, uint8_t verb, uint8_t opt)
{
    if (t->reply_len + 3u > sizeof t->reply) {
        t->ignored++;
        return;
    }
    t->reply[t->reply_len++] = FPY_TN_IAC;
    t->reply[t->reply_len++] = verb;
    t->reply[t->reply_len++] = opt;
}

size_t fpy_tn_hello(fpy_tn *t, uint8_t *out, size_t cap)
{
    static const uint8_t hello[] = {
        FPY_TN_IAC, FPY_TN_DO, FPY_TN_ECHO,      FPY_TN_IAC, FPY_TN_WILL,
        FPY_TN_SGA, FPY_TN_IAC, FPY_TN_DO,       FPY_TN_SGA, FPY_TN_IAC,
        FPY_TN_DO,  FPY_TN_COMPORT, FPY_TN_IAC,  FPY_TN_WILL, FPY_TN_COMPORT,
    };
    if (cap < sizeof hello)
        return 0;
    memcpy(out, hello, sizeof hello);
    t->they_asked |= fpy_tn_bit(FPY_TN_ECHO) | fpy_tn_bit(FPY_TN_SGA) |
                     fpy_tn_bit(FPY_TN_COMPORT);
    t->we_asked |= fpy_tn_bit(FPY_TN_SGA) | fpy_tn_bit(FPY_TN_COMPORT);
    return sizeof hello;
}

/* The server offers (WILL) or withdraws (WONT) an option on its side. */
static void fpy_tn_their_side(fpy_tn *t, uint8_t verb, uint8_t opt)
{
    uint64_t b = fpy_tn_bit(opt);
    if (verb == FPY_TN_WILL) {
        if (b != 0 && (t->they_do & b) != 0)
            return; /* already on: an answer would start a loop */
        if (b != 0 && ((t->they_asked & b) != 0 || opt == FPY_TN_BINARY)) {
            if ((t->they_asked & b) == 0)
                fpy_tn_reply(t, FPY_TN_DO, opt); /* BINARY: accepted like pyserial */
            t->they_do |= b;
            return;
        }
        fpy_tn_reply(t, FPY_TN_DONT, opt);
        return;
    }
    if ((t->they_do & b) != 0)
        fpy_tn_reply(t, FPY_TN_DONT, opt);
    t->they_do &= ~b;
    t->they_asked &= ~b;
}

/* The server asks (DO) or forbids (DONT) an option on our side. */
static void fpy_tn_our_side(fpy_tn *t, uint8_t verb, uint8_t opt)
{
    uint64_t b = fpy_tn_bit(opt);
    if (verb == FPY_TN_DO) {
        if (b != 0 && (t->we_do & b) != 0)
            return;
        if (b != 0 && ((t->we_asked & b) != 0 || opt == FPY_TN_BINARY)) {
            if ((t->we_asked & b) == 0)
                fpy_tn_reply(t, FPY_TN_WILL, opt);
            t->we_do |= b;
            return;
        }
        fpy_tn_reply(t, FPY_TN_WONT, opt);
        return;
    }
    if (opt == FPY_TN_COMPORT)
        t->comport_refused = 1;
    if ((t->we_do & b) != 0)
        fpy_tn_reply(t, FPY_TN_WONT, opt);
    t->we_do &= ~b;
    t->we_asked &= ~b;
}

/* A complete subnegotiation: keep COM-PORT answers, count the rest. */
static void fpy_tn_sb_done(fpy_tn *t)
{
    uint8_t code = t->sb[0];
    if (t->sb_opt != FPY_TN_COMPORT || t->sb_len == 0 ||
        code <= FPY_RFC2217_SERVER_OFFSET ||
        code > FPY_RFC2217_SERVER_OFFSET + FPY_RFC2217_NCODES) {
        t->ignored++;
        return;
    }
    if (code == FPY_RFC2217_SERVER_OFFSET + 6u || code == FPY_RFC2217_SERVER_OFFSET + 7u)
        t->notifications++; /* NOTIFY-LINESTATE / -MODEMSTATE: not needed to flash */
    fpy_tn_answer *a = &t->answer[code - FPY_RFC2217_SERVER_OFFSET - 1u];
    a->count++;
    a->len = (uint8_t)(t->sb_len - 1u);
    memcpy(a->value, t->sb + 1, a->len);
    a->truncated = t->sb_over;
}

/* The byte after IAC (outside a subnegotiation). */
static void fpy_tn_command(fpy_tn *t, uint8_t c)
{
    if (c >= FPY_TN_WILL && c <= FPY_TN_DONT) {
        t->verb = c;
        t->state = FPY_TN_ST_OPT;
    } else if (c == FPY_TN_SB) {
        t->state = FPY_TN_ST_SB_OPT;
    } else {
        t->ignored++; /* NOP, GA, SE out of place, ...: no meaning for a serial link */
        t->state = FPY_TN_ST_DATA;
    }
}

static void fpy_tn_sb_byte(fpy_tn *t, uint8_t c)
{
    if (t->sb_len < sizeof t->sb)
        t->sb[t->sb_len++] = c;
    else
        t->sb_over = 1;
}

/* One byte inside a subnegotiation (states SB and SB_IAC). */
static void fpy_tn_in_sb(fpy_tn *t, uint8_t c)
{
    if (t->state == FPY_TN_ST_SB) {
        if (c == FPY_TN_IAC)
            t->state = FPY_TN_ST_SB_IAC;
        else
            fpy_tn_sb_byte(t, c);
        return;
    }
    if (c == FPY_TN_IAC) {
        fpy_tn_sb_byte(t, c);
        t->state = FPY_TN_ST_SB;
    } else if (c == FPY_TN_SE) {
        fpy_tn_sb_done(t);
        t->state = FPY_TN_ST_DATA;
    } else {
        /* IAC <command> inside SB: the subnegotiation was cut short.
         * Drop it and take the command as if it stood alone. */
        t->ignored++;
        fpy_tn_command(t, c);
    }
}

size_t fpy_tn_feed(fpy_tn *t, const uint8_t *in, size_t n, uint8_t *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = in[i];
        switch (t->state) {
        case FPY_TN_ST_DATA:
            if (c == FPY_TN_IAC)
                t->state = FPY_TN_ST_IAC;
            else
                out[k++] = c;
            break;
        case FPY_TN_ST_IAC:
            if (c == FPY_TN_IAC) {
                out[k++] = c;
                t->state = FPY_TN_ST_DATA;
            } else {
                fpy_tn_command(t, c);
            }
            break;
        case FPY_TN_ST_OPT:
            if (t->verb == FPY_TN_WILL || t->verb == FPY_TN_WONT)
                fpy_tn_their_side(t, t->verb, c);
            else
                fpy_tn_our_side(t, t->verb, c);
            t->state = FPY_TN_ST_DATA;
            break;
        case FPY_TN_ST_SB_OPT:
            t->sb_opt = c;
            t->sb_len = 0;
            t->sb_over = 0;
            t->state = FPY_TN_ST_SB;
            break;
        default:
            fpy_tn_in_sb(t, c);
            break;
        }
    }
    return k;
}

int fpy_tn_comport_ready(const fpy_tn *t)
{
    return (t->we_do & fpy_tn_bit(FPY_TN_COMPORT)) != 0;
}

size_t fpy_tn_subneg(uint8_t code, const uint8_t *value, size_t len, uint8_t *out, size_t cap)
{
    size_t k = 0;
    if (cap < 6u + 2u * len)
        return 0;
    out[k++] = FPY_TN_IAC;
    out[k++] = FPY_TN_SB;
    out[k++] = FPY_TN_COMPORT;
    out[k++] = code;
    for (size_t i = 0; i < len; i++) {
        out[k++] = value[i];
        if (value[i] == FPY_TN_IAC)
            out[k++] = FPY_TN_IAC;
    }
    out[k++] = FPY_TN_IAC;
    out[k++] = FPY_TN_SE;
    return k;
}

size_t fpy_tn_escape(const uint8_t *in, size_t n, size_t *used, uint8_t *out, size_t cap)
{
    size_t k = 0, i = *used;
    for (; i < n; i++) {
        size_t need = in[i] == FPY_TN_IAC ? 2u : 1u;
        if (k + need > cap)
            break;
        out[k++] = in[i];
        if (need == 2u)
            out[k++] = FPY_TN_IAC;
    }
    *used = i;
    return k;
}

const fpy_tn_answer *fpy_tn_answer_for(const fpy_tn *t, uint8_t code)
{
    if (code == 0 || code > FPY_RFC2217_NCODES)
        return NULL;
    return &t->answer[code - 1u];
}
