/*
 * RFC 2217 server side (see rfc2217.h).  Telnet negotiation answers each
 * request once, the way RFC 1143 keeps two peers from looping: a request
 * for the state an option is already in gets no answer.  No NVT
 * translation: pyserial never negotiates BINARY and still sends raw
 * bytes (CR is not followed by NUL), so the data path is transparent
 * apart from IAC doubling.
 */
#include "rfc2217.h"

#include <string.h>

#define FPY_T_SE 240u
#define FPY_T_SB 250u
#define FPY_T_WILL 251u
#define FPY_T_WONT 252u
#define FPY_T_DO 253u
#define FPY_T_DONT 254u
#define FPY_T_IAC 255u

#define FPY_OPT_BINARY 0u
#define FPY_OPT_ECHO 1u
#define FPY_OPT_SGA 3u
#define FPY_OPT_COMPORT 44u

/* COM-PORT-OPTION client codes; the server's reply is code + 100. */
#define FPY_CP_BAUD 1u
#define FPY_CP_DATASIZE 2u
#define FPY_CP_PARITY 3u
#define FPY_CP_STOPSIZE 4u
#define FPY_CP_CONTROL 5u
#define FPY_CP_LINEMASK 10u
#define FPY_CP_MODEMMASK 11u
#define FPY_CP_PURGE 12u
#define FPY_CP_REPLY 100u

/* The bauds a USB-serial bridge accepts (CP2102N: up to 3 Mbaud; FTDI
 * and CH340 similar); outside them the request is refused. */
#define FPY_BAUD_MIN 300u
#define FPY_BAUD_MAX 5000000u

enum { FPY_ST_DATA, FPY_ST_IAC, FPY_ST_OPT, FPY_ST_SB, FPY_ST_SB_IAC };

void fpy_rfc2217_init(fpy_rfc2217 *s)
{
    memset(s, 0, sizeof *s);
    s->baud = 115200;
    s->datasize = 8;
    s->parity = 1;
    s->stopsize = 1;
}

void fpy_rfc2217_set_raw(fpy_rfc2217 *s)
{
    if (s->mode == FPY_RFC2217_UNDECIDED)
        s->mode = FPY_RFC2217_RAW;
}

int fpy_rfc2217_frame_ok(const fpy_rfc2217 *s)
{
    /* Stop bits do not matter to an 8N1 receiver (more idle time); 7 data
     * bits or a parity bit shift what it reads. */
    return s->datasize == 8 && s->parity == 1;
}

static int fpy_bit(const uint8_t *set, uint8_t opt)
{
    return (set[opt / 8] >> (opt % 8)) & 1;
}

static void fpy_setbit(uint8_t *set, uint8_t opt, int on)
{
    if (on)
        set[opt / 8] = (uint8_t)(set[opt / 8] | (1u << (opt % 8)));
    else
        set[opt / 8] = (uint8_t)(set[opt / 8] & ~(1u << (opt % 8)));
}

static void fpy_send3(const fpy_rfc2217_cb *cb, uint8_t cmd, uint8_t opt)
{
    const uint8_t m[3] = {FPY_T_IAC, cmd, opt};
    cb->send(cb->ctx, m, 3);
}

/* Options this server enables on its side (WILL) and lets the client
 * enable (DO).  Not ECHO: the board echoes nothing, and neither does a
 * serial port. */
static int fpy_opt_ok(uint8_t opt)
{
    return opt == FPY_OPT_BINARY || opt == FPY_OPT_SGA || opt == FPY_OPT_COMPORT;
}

static void fpy_negotiate(fpy_rfc2217 *s, uint8_t cmd, uint8_t opt, const fpy_rfc2217_cb *cb)
{
    int ok = fpy_opt_ok(opt);
    switch (cmd) {
    case FPY_T_DO:
        if (!ok)
            fpy_send3(cb, FPY_T_WONT, opt);
        else if (!fpy_bit(s->us, opt))
            fpy_setbit(s->us, opt, 1), fpy_send3(cb, FPY_T_WILL, opt);
        break;
    case FPY_T_DONT:
        if (fpy_bit(s->us, opt))
            fpy_setbit(s->us, opt, 0), fpy_send3(cb, FPY_T_WONT, opt);
        break;
    case FPY_T_WILL:
        if (!ok)
            fpy_send3(cb, FPY_T_DONT, opt);
        else if (!fpy_bit(s->him, opt))
            fpy_setbit(s->him, opt, 1), fpy_send3(cb, FPY_T_DO, opt);
        break;
    default: /* WONT */
        if (fpy_bit(s->him, opt))
            fpy_setbit(s->him, opt, 0), fpy_send3(cb, FPY_T_DONT, opt);
        break;
    }
}

/* IAC SB COM-PORT code+100 value IAC SE, 0xFF in the value doubled. */
static void fpy_reply(const fpy_rfc2217_cb *cb, uint8_t code, const uint8_t *v, size_t n)
{
    uint8_t m[4 + 2 * 4 + 2];
    size_t k = 0;
    m[k++] = FPY_T_IAC;
    m[k++] = FPY_T_SB;
    m[k++] = FPY_OPT_COMPORT;
    m[k++] = (uint8_t)(code + FPY_CP_REPLY);
    for (size_t i = 0; i < n && i < 4; i++) {
        m[k++] = v[i];
        if (v[i] == FPY_T_IAC)
            m[k++] = FPY_T_IAC;
    }
    m[k++] = FPY_T_IAC;
    m[k++] = FPY_T_SE;
    cb->send(cb->ctx, m, k);
}

static void fpy_reply1(const fpy_rfc2217_cb *cb, uint8_t code, uint8_t v)
{
    fpy_reply(cb, code, &v, 1);
}

static void fpy_config_changed(const fpy_rfc2217 *s, const fpy_rfc2217_cb *cb)
{
    cb->config(cb->ctx, s->baud, fpy_rfc2217_frame_ok(s));
}

static void fpy_set_baud(fpy_rfc2217 *s, const uint8_t *v, size_t n, const fpy_rfc2217_cb *cb)
{
    if (n != 4) {
        s->bad++;
        return;
    }
    uint32_t b = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
    if (b != 0 && (b < FPY_BAUD_MIN || b > FPY_BAUD_MAX))
        s->bad++; /* refused: the reply names the baud that stays */
    else if (b != 0 && b != s->baud)
        s->baud = b, fpy_config_changed(s, cb);
    const uint8_t r[4] = {(uint8_t)(s->baud >> 24), (uint8_t)(s->baud >> 16),
                          (uint8_t)(s->baud >> 8), (uint8_t)s->baud};
    fpy_reply(cb, FPY_CP_BAUD, r, 4);
}

/* DATASIZE, PARITY, STOPSIZE: 0 asks, lo..hi sets, others are refused. */
static void fpy_set_u8(fpy_rfc2217 *s, uint8_t code, const uint8_t *v, size_t n,
                       const fpy_rfc2217_cb *cb)
{
    static const uint8_t lo[3] = {5, 1, 1}, hi[3] = {8, 5, 3};
    uint8_t *field = code == FPY_CP_DATASIZE ? &s->datasize
                     : code == FPY_CP_PARITY ? &s->parity
                                             : &s->stopsize;
    unsigned i = code - FPY_CP_DATASIZE;
    if (n != 1) {
        s->bad++;
        return;
    }
    if (v[0] != 0 && (v[0] < lo[i] || v[0] > hi[i]))
        s->bad++;
    else if (v[0] != 0 && v[0] != *field)
        *field = v[0], fpy_config_changed(s, cb);
    fpy_reply1(cb, code, *field);
}

/* SET-CONTROL (RFC 2217 values): the modem lines reach the board. */
static void fpy_set_control(fpy_rfc2217 *s, const uint8_t *v, size_t n,
                            const fpy_rfc2217_cb *cb)
{
    if (n != 1) {
        s->bad++;
        return;
    }
    uint8_t c = v[0], r = c;
    switch (c) {
    case 0: r = 1; break;                      /* flow control? none */
    case 4: r = 6; break;                      /* BREAK? off */
    case 7: r = s->dtr ? 8 : 9; break;         /* DTR? */
    case 10: r = s->rts ? 11 : 12; break;      /* RTS? */
    case 8: case 9:
        s->dtr = c == 8;
        cb->lines(cb->ctx, s->dtr, s->rts);
        break;
    case 11: case 12:
        s->rts = c == 11;
        cb->lines(cb->ctx, s->dtr, s->rts);
        break;
    default:
        if (c > 19) { /* 1-3 flow, 5-6 BREAK, 13-19 inbound flow: acked */
            s->bad++;
            return;
        }
        break;
    }
    fpy_reply1(cb, FPY_CP_CONTROL, r);
}

/* One complete subnegotiation in s->sb[0..sb_len). */
static void fpy_subneg(fpy_rfc2217 *s, const fpy_rfc2217_cb *cb)
{
    if (s->sb_overflow || s->sb_len < 2 || s->sb[0] != FPY_OPT_COMPORT) {
        s->bad += s->sb_overflow || s->sb_len < 2;
        return;
    }
    uint8_t code = s->sb[1];
    const uint8_t *v = s->sb + 2;
    size_t n = s->sb_len - 2;
    switch (code) {
    case FPY_CP_BAUD: fpy_set_baud(s, v, n, cb); break;
    case FPY_CP_DATASIZE: case FPY_CP_PARITY: case FPY_CP_STOPSIZE:
        fpy_set_u8(s, code, v, n, cb);
        break;
    case FPY_CP_CONTROL: fpy_set_control(s, v, n, cb); break;
    case FPY_CP_LINEMASK: case FPY_CP_MODEMMASK:
        if (n == 1)
            fpy_reply1(cb, code, v[0]);
        else
            s->bad++;
        break;
    case FPY_CP_PURGE:
        if (n == 1 && v[0] >= 1 && v[0] <= 3) {
            cb->purge(cb->ctx, v[0]);
            fpy_reply1(cb, code, v[0]);
        } else {
            s->bad++;
        }
        break;
    default: break; /* notifications and flow suspend: nothing to do */
    }
}

static void fpy_sb_byte(fpy_rfc2217 *s, uint8_t c)
{
    if (s->sb_len < sizeof s->sb)
        s->sb[s->sb_len++] = c;
    else
        s->sb_overflow = 1;
}

/* One byte after IAC. */
static void fpy_after_iac(fpy_rfc2217 *s, uint8_t c)
{
    if (c == FPY_T_WILL || c == FPY_T_WONT || c == FPY_T_DO || c == FPY_T_DONT) {
        s->cmd = c;
        s->state = FPY_ST_OPT;
    } else if (c == FPY_T_SB) {
        s->sb_len = 0;
        s->sb_overflow = 0;
        s->state = FPY_ST_SB;
    } else {
        s->state = FPY_ST_DATA; /* NOP, AYT, stray SE, ...: ignored */
    }
}

/* The Telnet parser: data runs go out as slices of `in`, unescaped. */
static void fpy_telnet(fpy_rfc2217 *s, const uint8_t *in, size_t n, const fpy_rfc2217_cb *cb)
{
    size_t run = 0; /* start of the pending data run */
    for (size_t i = 0; i < n; i++) {
        uint8_t c = in[i];
        switch (s->state) {
        case FPY_ST_DATA:
            if (c == FPY_T_IAC) {
                if (i > run)
                    cb->data(cb->ctx, in + run, i - run);
                s->state = FPY_ST_IAC;
            }
            continue;
        case FPY_ST_IAC:
            if (c == FPY_T_IAC) { /* a doubled 0xFF: data, starting here */
                s->state = FPY_ST_DATA;
                run = i;
                continue;
            }
            fpy_after_iac(s, c);
            break;
        case FPY_ST_OPT:
            fpy_negotiate(s, s->cmd, c, cb);
            s->state = FPY_ST_DATA;
            break;
        case FPY_ST_SB:
            if (c == FPY_T_IAC)
                s->state = FPY_ST_SB_IAC;
            else
                fpy_sb_byte(s, c);
            break;
        default: /* SB_IAC */
            if (c == FPY_T_IAC) {
                fpy_sb_byte(s, c);
                s->state = FPY_ST_SB;
            } else if (c == FPY_T_SE) {
                fpy_subneg(s, cb);
                s->state = FPY_ST_DATA;
            } else { /* a command inside SB: the SB is broken, drop it */
                s->bad++;
                fpy_after_iac(s, c);
            }
            break;
        }
        run = i + 1;
    }
    if (s->state == FPY_ST_DATA && n > run)
        cb->data(cb->ctx, in + run, n - run);
}

void fpy_rfc2217_input(fpy_rfc2217 *s, const uint8_t *in, size_t n, const fpy_rfc2217_cb *cb)
{
    if (n == 0)
        return;
    if (s->mode == FPY_RFC2217_UNDECIDED)
        s->mode = in[0] == FPY_T_IAC ? FPY_RFC2217_TELNET : FPY_RFC2217_RAW;
    if (s->mode == FPY_RFC2217_RAW)
        cb->data(cb->ctx, in, n);
    else
        fpy_telnet(s, in, n, cb);
}

size_t fpy_rfc2217_encode(const fpy_rfc2217 *s, const uint8_t *in, size_t n, uint8_t *out,
                          size_t cap, size_t *used)
{
    size_t i = 0, k = 0;
    int esc = s->mode == FPY_RFC2217_TELNET;
    while (i < n) {
        size_t need = esc && in[i] == FPY_T_IAC ? 2 : 1;
        if (k + need > cap)
            break;
        out[k++] = in[i];
        if (need == 2)
            out[k++] = FPY_T_IAC;
        i++;
    }
    *used = i;
    return k;
}
