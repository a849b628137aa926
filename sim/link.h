/*
 * The serial link between a board and the outside world (issue 14): the
 * board's side as an ops table, and a model of the wire and the USB-serial
 * bridge in between (docs/sim.md, "The link model").
 *
 * The link owns no file descriptor and no clock: a transport (sim/pty.h,
 * sim/rfc2217.h, run by sim/simrun.h) hands it the host's bytes with the
 * time they arrived and takes the board's bytes when they are due.  Time
 * is in microseconds on the caller's clock and never goes backwards.
 */
#ifndef FIPY_SIM_LINK_H
#define FIPY_SIM_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "vboard.h"

/*
 * A board as the link sees it.  rx..lines are required; the control ops
 * (jumper..status) may be NULL, then the control channel answers that the
 * board cannot do it.  A sender_baud of 0 means a frame the board's 8N1
 * UART cannot read at all (the host set 7 data bits or a parity bit).
 * sim/link_vboard.c fills one from sim/vboard.h; the tests use fakes.
 */
typedef struct fpy_link_board {
    void *ctx;
    void (*rx)(void *ctx, uint64_t now_us, const uint8_t *in, size_t n, uint32_t sender_baud);
    size_t (*tx)(void *ctx, uint64_t now_us, uint8_t *out, size_t cap);
    uint64_t (*next_event)(void *ctx); /* UINT64_MAX: waits for input */
    void (*advance)(void *ctx, uint64_t now_us);
    uint32_t (*baud)(void *ctx);
    void (*lines)(void *ctx, uint64_t now_us, int dtr, int rts);
    /* control */
    void (*jumper)(void *ctx, int on);
    void (*reset)(void *ctx, uint64_t now_us);
    void (*power)(void *ctx, uint64_t now_us, int on);
    void (*power_cut_after)(void *ctx, uint32_t n);
    void (*status)(void *ctx, fpy_vboard_status *st);
} fpy_link_board;

/* The adapter over sim/vboard.h (sim/link_vboard.c). */
void fpy_link_board_vboard(fpy_link_board *ops, fpy_vboard *b);

/* ---- the link model ---------------------------------------------------- */

#define FPY_LINK_TO_BOARD 0   /* host -> board */
#define FPY_LINK_FROM_BOARD 1 /* board -> host */

#define FPY_LINK_DROP 1
#define FPY_LINK_CORRUPT 2
#define FPY_LINK_STALL 3

#define FPY_LINK_MAX_RULES 8
/* Bytes in flight per direction: the bridge's buffers.  A full queue
 * stops the reader (the host's writes block, the board's output waits). */
#define FPY_LINK_QUEUE 8192u
/* The default one-way latency of the USB-serial bridge. */
#define FPY_LINK_LATENCY_US 2000u

/* A fault: `kind` on the byte numbered `at` (0 = the next byte to pass
 * in that direction after the rule was set; once), or on each byte with
 * probability 1/rate (rate > 0; until cleared).  A stall holds the byte
 * and everything after it for stall_us. */
typedef struct fpy_link_rule {
    int kind;
    int dir;
    uint64_t at;
    uint32_t rate;
    uint32_t stall_us;
} fpy_link_rule;

typedef struct fpy_link_counts {
    uint64_t bytes;     /* delivered */
    uint64_t dropped;   /* by a rule */
    uint64_t corrupted; /* by a rule */
    uint64_t stalls;
    uint64_t garbled;   /* baud or frame mismatch (from-board: seen here) */
    uint64_t lost;      /* from-board: no host had the port open */
} fpy_link_counts;

/* One queued byte: the time it is due at the far end and the baud (and
 * frame: 0 = unreadable) it was sent with. */
typedef struct fpy_link_byte {
    uint64_t due_us;
    uint32_t baud;
    uint8_t b;
    uint8_t frame_ok; /* 8N1 (a host may set 7 bits or a parity bit) */
} fpy_link_byte;

typedef struct fpy_link_dir {
    fpy_link_byte q[FPY_LINK_QUEUE];
    size_t head, len;
    uint64_t wire_free_us; /* when the UART finishes the last queued byte */
    uint64_t stall_until_us;
    /* The run of back-to-back bytes the wire is sending: its start, its
     * length and baud, so that n bytes take exactly ceil(n*10/baud). */
    uint64_t run_start_us, run_n;
    uint32_t run_baud;
    uint64_t seen; /* bytes offered in this direction */
    fpy_link_counts n;
} fpy_link_dir;

typedef struct fpy_link_cfg {
    uint32_t latency_us; /* one way, each direction; FPY_LINK_LATENCY_US */
    int fast;            /* no pacing, no latency */
    uint64_t seed;       /* for rate rules and corruption (0: 1) */
} fpy_link_cfg;

typedef struct fpy_link {
    fpy_link_cfg cfg;
    fpy_link_dir dir[2];
    fpy_link_rule rule[FPY_LINK_MAX_RULES];
    uint64_t rule_base[FPY_LINK_MAX_RULES]; /* dir[].seen when set */
    size_t nrules;
    uint64_t rng;
} fpy_link;

void fpy_link_init(fpy_link *l, const fpy_link_cfg *cfg);

/* The time byte-by-byte pacing gives n bytes at `baud` (10 bits a byte:
 * start, 8 data, stop), rounded up to a microsecond. */
uint64_t fpy_link_wire_us(size_t n, uint32_t baud);

/* Space for host bytes now (the transport reads no more than this). */
size_t fpy_link_room(const fpy_link *l, int dir);

/* Bytes from the host, arrived at now_us, sent at host_baud with an 8N1
 * frame or not (frame_ok 0: 7 data bits or a parity bit, which the
 * board's UART cannot read).  Returns how many were taken (the rest: no
 * room); dropped ones count as taken. */
size_t fpy_link_host_write(fpy_link *l, uint64_t now_us, const uint8_t *in, size_t n,
                           uint32_t host_baud, int frame_ok);

/* Deliver the to-board bytes due by now_us to the board (one rx call per
 * run of equal baud), then take the board's output (as much as there is
 * room for) and queue it toward the host at the board's baud. */
void fpy_link_pump(fpy_link *l, uint64_t now_us, const fpy_link_board *b);

/* Copy out the from-board bytes due by now_us, as a host whose port is
 * set to host_baud, 8N1 or not (frame_ok), receives them: bytes sent at
 * another baud, or read with another frame, arrive garbled.  Returns the
 * count. */
size_t fpy_link_host_read(fpy_link *l, uint64_t now_us, uint8_t *out, size_t cap,
                          uint32_t host_baud, int frame_ok);
/* The same bytes thrown away (no host has the port open): returns how
 * many were lost. */
size_t fpy_link_host_discard(fpy_link *l, uint64_t now_us);

/* The earliest time something is due: a queued byte in either direction,
 * or the board's next event (UINT64_MAX: nothing). */
uint64_t fpy_link_next_event(const fpy_link *l, const fpy_link_board *b);
/* When the next from-board byte is due for the host (UINT64_MAX: none). */
uint64_t fpy_link_host_due(const fpy_link *l);

/* Throw away what is queued in one direction (RFC 2217 PURGE-DATA). */
void fpy_link_purge(fpy_link *l, int dir);

/* Add a fault rule: FPY_OK, FPY_ERR_NOSPC (FPY_LINK_MAX_RULES set), or
 * FPY_ERR_INVAL (a bad kind or direction, no `at` nor rate). */
int fpy_link_rule_add(fpy_link *l, const fpy_link_rule *r);
void fpy_link_rule_clear(fpy_link *l);
void fpy_link_seed(fpy_link *l, uint64_t seed);

/* 1 when two bauds differ by more than a UART tolerates (3 %), or one of
 * them is 0. */
int fpy_link_baud_mismatch(uint32_t a, uint32_t b);

#endif
