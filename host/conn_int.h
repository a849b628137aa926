/*
 * Inside host/conn.h: the connection object shared by conn.c (dispatch,
 * poll-based I/O), conn_tty.c (serial devices), conn_tcp.c (RFC 2217 and
 * plain sockets), conn_telnet.c (the Telnet / RFC 2217 byte decoder) and
 * conn_find.c (sysfs discovery).  Tests include it to reach the pieces
 * that have no public entry point (the decoder, the sysfs root, the
 * message builders).
 */
#ifndef FIPY_CONN_INT_H
#define FIPY_CONN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"

/* ---- Telnet / RFC 2217 (conn_telnet.c: no I/O, no libc beyond memcpy) ---- */

#define FPY_TN_IAC 0xFFu
#define FPY_TN_DONT 0xFEu
#define FPY_TN_DO 0xFDu
#define FPY_TN_WONT 0xFCu
#define FPY_TN_WILL 0xFBu
#define FPY_TN_SB 0xFAu
#define FPY_TN_SE 0xF0u
#define FPY_TN_BINARY 0x00u
#define FPY_TN_ECHO 0x01u
#define FPY_TN_SGA 0x03u
#define FPY_TN_COMPORT 0x2Cu /* RFC 2217 COM-PORT-OPTION */

/* COM-PORT client codes; the server answers with code + 100. */
#define FPY_RFC2217_SET_BAUDRATE 1u
#define FPY_RFC2217_SET_DATASIZE 2u
#define FPY_RFC2217_SET_PARITY 3u
#define FPY_RFC2217_SET_STOPSIZE 4u
#define FPY_RFC2217_SET_CONTROL 5u
#define FPY_RFC2217_PURGE_DATA 12u
#define FPY_RFC2217_SERVER_OFFSET 100u
/* Server codes 101..112 are tracked (acks and notifications). */
#define FPY_RFC2217_NCODES 12u

/* SET-CONTROL values (RFC 2217; "on" = asserted). */
#define FPY_RFC2217_NO_FLOW 0x01u
#define FPY_RFC2217_DTR_ON 0x08u
#define FPY_RFC2217_DTR_OFF 0x09u
#define FPY_RFC2217_RTS_ON 0x0Bu
#define FPY_RFC2217_RTS_OFF 0x0Cu

#define FPY_TN_SB_MAX 16u    /* longest COM-PORT value kept (others: counted, dropped) */
#define FPY_TN_REPLY_MAX 96u /* refusals queued toward the server */

/* What the server said about one COM-PORT code (reply code - 101). */
typedef struct fpy_tn_answer {
    uint32_t count;             /* answers seen so far */
    uint8_t value[FPY_TN_SB_MAX];
    uint8_t len;                /* bytes kept in value */
    uint8_t truncated;          /* the value was longer than FPY_TN_SB_MAX */
} fpy_tn_answer;

/*
 * The client side of a Telnet stream carrying RFC 2217, decoded byte by
 * byte so a reply may be split anywhere across reads.  Zero it, then
 * fpy_tn_init().  Guarantees (untrusted input): never writes past `out`
 * (which needs room for n bytes: decoding only shrinks), never past its
 * own buffers, constant work per byte, no recursion, no allocation.
 */
typedef struct fpy_tn {
    uint8_t state;       /* FPY_TN_ST_* in conn_telnet.c */
    uint8_t verb;        /* WILL/WONT/DO/DONT waiting for its option byte */
    uint8_t sb_opt;      /* option of the subnegotiation being read */
    uint8_t sb_len;
    uint8_t sb_over;     /* subnegotiation longer than sb[] */
    uint8_t sb[FPY_TN_SB_MAX + 1];
    /* Option states, one bit per option 0..63: what we do / what the
     * server does (our side of RFC 1143, simplified: requests are sent
     * once by fpy_tn_hello and never repeated). */
    uint64_t we_asked, we_do;     /* WILL sent / DO received for it */
    uint64_t they_asked, they_do; /* DO sent / WILL received for it */
    uint8_t comport_refused;      /* the server sent DONT COM-PORT */
    fpy_tn_answer answer[FPY_RFC2217_NCODES];
    uint32_t notifications;       /* NOTIFY-LINESTATE/MODEMSTATE seen (ignored) */
    uint32_t ignored;             /* commands and subnegotiations dropped */
    uint8_t reply[FPY_TN_REPLY_MAX]; /* bytes the client must send back */
    size_t reply_len;
} fpy_tn;

void fpy_tn_init(fpy_tn *t);

/* The opening requests pyserial 3.5 sends (DO ECHO, WILL SGA, DO SGA,
 * DO COM-PORT, WILL COM-PORT), written to out (15 bytes; cap >= 15);
 * marks them as asked.  Returns the length. */
size_t fpy_tn_hello(fpy_tn *t, uint8_t *out, size_t cap);

/* Decode n wire bytes: data (IAC IAC undone) goes to out, which may be
 * `in` itself; commands update t and may queue replies in t->reply.
 * Returns the number of data bytes. */
size_t fpy_tn_feed(fpy_tn *t, const uint8_t *in, size_t n, uint8_t *out);

/* 1 once the server has accepted COM-PORT (sent DO COM-PORT). */
int fpy_tn_comport_ready(const fpy_tn *t);

/* A COM-PORT request IAC SB 2C code value IAC SE, 0xFF in the value
 * doubled, into out (cap >= 6 + 2 * len).  Returns the length, 0 if it
 * does not fit. */
size_t fpy_tn_subneg(uint8_t code, const uint8_t *value, size_t len, uint8_t *out, size_t cap);

/* Data bytes with every 0xFF doubled, from in[*used..] into out while it
 * fits (a pair is never split); advances *used.  Returns the length. */
size_t fpy_tn_escape(const uint8_t *in, size_t n, size_t *used, uint8_t *out, size_t cap);

/* The answer slot for client request `code` (1..12), or NULL. */
const fpy_tn_answer *fpy_tn_answer_for(const fpy_tn *t, uint8_t code);

/* ---- The connection ------------------------------------------------------ */

typedef struct fpy_conn_ops {
    int (*set_baud)(fpy_conn *c, uint32_t baud);
    int (*set_lines)(fpy_conn *c, int dtr, int rts);
    int (*flush_input)(fpy_conn *c);
    /* Read raw bytes from the fd into c->rx (decoding them for RFC 2217);
     * called when poll says the fd is readable.  FPY_OK or FPY_ERR_IO. */
    int (*fill)(fpy_conn *c);
    /* Write buf (already in wire form) fully before the deadline. */
    int (*write)(fpy_conn *c, const void *buf, size_t n, int64_t deadline_ms);
} fpy_conn_ops;

#define FPY_CONN_RX_CAP 65536u
#define FPY_CONN_ERR_CAP 512u

struct fpy_conn {
    const fpy_conn_ops *ops;
    int fd;
    int is_socket;        /* send(MSG_NOSIGNAL), not write */
    int dtr, rts;         /* line state last set (0 after open) */
    uint32_t baud;
    int ign_set_control;  /* rfc2217://...?ign_set_control: don't wait for its ack */
    void *tty_saved;      /* a tty's struct termios as found at open (malloc'd;
                             not spelled here: conn_tty2.c's kernel termios
                             cannot share a file with <termios.h>) */
    char *name;           /* the spec as given */
    fpy_tn tn;            /* RFC 2217 only */
    size_t rx_off, rx_len; /* decoded input not yet returned, in rx */
    uint8_t rx[FPY_CONN_RX_CAP];
    char last_err[FPY_CONN_ERR_CAP];
};

/* Put a tty back as it was found (settings, and TIOCEXCL cleared) before
 * the close: a pty or a port the next program opens must not inherit our
 * raw mode with VMIN 0 (a 'cat' would read end-of-file at once) or our
 * exclusive flag (a user's terminal program would get EBUSY). */
void fpy_conn_tty_release(fpy_conn *c);

/* Monotonic milliseconds, and the time left until a deadline (>= 0). */
int64_t fpy_conn_now_ms(void);
int fpy_conn_left_ms(int64_t deadline_ms);

/* Wait until fd is ready for events (POLLIN/POLLOUT) or the deadline:
 * FPY_OK, FPY_ERR_TIMEOUT, or FPY_ERR_IO (hang-up, error).  EINTR is
 * retried with the time that is left. */
int fpy_conn_wait(fpy_conn *c, short events, int64_t deadline_ms);

/* Write n bytes to c->fd before the deadline (EAGAIN waits, EINTR
 * retries, EPIPE/EIO/reset are FPY_ERR_IO with a message). */
int fpy_conn_write_fd(fpy_conn *c, const void *buf, size_t n, int64_t deadline_ms);

/* Record a message for fpy_conn_last_error (printf-style); returns rc. */
int fpy_conn_fail(fpy_conn *c, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The order to change DTR and RTS in when both change, so that the step
 * between never holds EN low (RTS asserted, DTR not) unless the target
 * does: 1 = DTR first, 0 = RTS first. */
int fpy_conn_dtr_first(int old_dtr, int old_rts, int dtr, int rts);

/* Allocate a connection named spec (fd -1); NULL when out of memory. */
fpy_conn *fpy_conn_alloc(const char *spec);

/* Openers, each filling *c's fd and ops or returning an error with err. */
int fpy_conn_tty_open(fpy_conn *c, const char *path, uint32_t baud, char *err, size_t errlen);
int fpy_conn_rfc2217_open(fpy_conn *c, const char *hostport, uint32_t baud, char *err,
                          size_t errlen);
int fpy_conn_socket_open(fpy_conn *c, const char *hostport, char *err, size_t errlen);

/* conn_tty2.c: a rate without a Bxxx constant, through termios2
 * (TCSETS2, BOTHER).  0, or -1 with errno. */
int fpy_conn_tty_custom_baud(int fd, uint32_t baud);

/* ---- Messages (conn_tty.c), exposed for tests ---------------------------- */

/* The message for open(path) failing with errno e: names the fix. */
void fpy_conn_tty_errmsg(const char *path, int e, char *err, size_t errlen);

/* Who holds path open, from /proc/PID/fd links under proc_root ("/proc"):
 * "process 123 (brltty)" joined by ", " into out; returns how many. */
size_t fpy_conn_holders(const char *proc_root, const char *path, char *out, size_t cap,
                        int *has_brltty);

/* The message for path held by another process, naming it from
 * proc_root, and what to do about brltty if it is the one. */
void fpy_conn_busy_msg(const char *proc_root, const char *path, char *err, size_t errlen);

/* ---- Discovery (conn_find.c) ----------------------------------------------- */

/* fpy_conn_find with sysfs at sys_root ("/sys"); also writes the USB ID
 * of each match ("04d8:ef98") into ids when non-NULL. */
size_t fpy_conn_find_in(const char *sys_root, char (*paths)[64], char (*ids)[16], size_t max);

/* What a USB ID is (a board name), or NULL when it is not a Pycom board. */
const char *fpy_conn_board_name(uint16_t vid, uint16_t pid);

#endif
