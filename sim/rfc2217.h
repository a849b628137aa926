/*
 * The server side of a TCP serial port: RFC 2217 (Telnet COM-PORT-OPTION)
 * as pyserial 3.5 and esptool speak it (rfc2217://), or plain bytes
 * (socket://) — docs/sim.md, "TCP".  A pure state machine over the bytes
 * a client sends: it owns no socket; it reports data, settings, modem
 * lines and purges through callbacks, in the order they came, and
 * writes its replies through `send`.
 *
 * Telling the two apart: an RFC 2217 client speaks first, and its first
 * byte is IAC (0xFF: pyserial sends DO ECHO at once).  A raw client's
 * first byte is data (esptool's socket:// starts with SLIP's 0xC0).  The
 * server therefore offers nothing and waits: the first byte decides.  A
 * client that sends nothing is raw once the caller says so
 * (fpy_rfc2217_set_raw, after a short wait).
 *
 * Guarantees for untrusted input: never reads past `in[n)`, no recursion,
 * constant work per byte, a subnegotiation longer than its buffer is
 * dropped whole (not truncated and acted on).
 */
#ifndef FIPY_SIM_RFC2217_H
#define FIPY_SIM_RFC2217_H

#include <stddef.h>
#include <stdint.h>

#define FPY_RFC2217_UNDECIDED 0
#define FPY_RFC2217_TELNET 1
#define FPY_RFC2217_RAW 2

#define FPY_RFC2217_SB_MAX 16

/* PURGE-DATA values */
#define FPY_RFC2217_PURGE_RX 1   /* the server's data toward the client */
#define FPY_RFC2217_PURGE_TX 2   /* the client's data not yet on the wire */
#define FPY_RFC2217_PURGE_BOTH 3

typedef struct fpy_rfc2217_cb {
    void *ctx;
    void (*data)(void *ctx, const uint8_t *p, size_t n); /* unescaped */
    /* The port's settings changed (baud, 8N1 or not). */
    void (*config)(void *ctx, uint32_t baud, int frame_8n1);
    void (*lines)(void *ctx, int dtr, int rts);
    void (*purge)(void *ctx, int which);
    void (*send)(void *ctx, const uint8_t *p, size_t n); /* replies */
} fpy_rfc2217_cb;

typedef struct fpy_rfc2217 {
    int mode;
    int state;              /* the Telnet parser's */
    uint8_t cmd;            /* WILL/WONT/DO/DONT awaiting its option */
    uint8_t sb[FPY_RFC2217_SB_MAX];
    size_t sb_len;
    int sb_overflow;
    uint8_t us[256 / 8], him[256 / 8]; /* options enabled on each side */
    /* The port as the client set it; a new connection starts like a
     * bridge just opened: 115200 8N1, DTR and RTS not asserted. */
    uint32_t baud;
    uint8_t datasize, parity, stopsize;
    int dtr, rts;
    uint64_t bad; /* malformed or refused requests, for status */
} fpy_rfc2217;

void fpy_rfc2217_init(fpy_rfc2217 *s);
/* The client sent nothing for a while: a raw (socket://) client. */
void fpy_rfc2217_set_raw(fpy_rfc2217 *s);
/* Feed what the client sent. */
void fpy_rfc2217_input(fpy_rfc2217 *s, const uint8_t *in, size_t n, const fpy_rfc2217_cb *cb);
/* Encode data toward the client: IAC doubled in Telnet mode, as is in raw
 * mode.  Takes bytes from in[0..n) while they fit in out[0..cap);
 * returns the bytes written to out, *used the bytes of in taken. */
size_t fpy_rfc2217_encode(const fpy_rfc2217 *s, const uint8_t *in, size_t n, uint8_t *out,
                          size_t cap, size_t *used);
/* 1 when the port's frame is 8N1 (data size 8, no parity). */
int fpy_rfc2217_frame_ok(const fpy_rfc2217 *s);

#endif
