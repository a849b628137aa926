/*
 * The link model (docs/sim.md, "The link model"): each direction is a
 * queue of bytes stamped with the time they reach the far end.  A byte
 * takes 10 bit times on the wire (start, 8 data, stop); the USB-serial
 * bridge adds its latency before the wire toward the board (the host's
 * USB transfer) and after it toward the host (the bridge's receive timer).
 * Faults are applied as a byte enters its queue.
 */
#include "link.h"

#include <string.h>

#include "fipy/err.h"

/* When the host gives no baud (a raw socket), pacing still needs one. */
#define FPY_LINK_DEFAULT_BAUD 115200u

void fpy_link_init(fpy_link *l, const fpy_link_cfg *cfg)
{
    memset(l, 0, sizeof *l);
    if (cfg != NULL)
        l->cfg = *cfg;
    if (l->cfg.fast)
        l->cfg.latency_us = 0;
    fpy_link_seed(l, l->cfg.seed);
}

void fpy_link_seed(fpy_link *l, uint64_t seed)
{
    l->cfg.seed = seed;
    l->rng = seed != 0 ? seed : 1;
}

/* xorshift64: small, deterministic for a seed, good enough for faults. */
static uint64_t fpy_link_rand(fpy_link *l)
{
    uint64_t x = l->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    l->rng = x;
    return x;
}

uint64_t fpy_link_wire_us(size_t n, uint32_t baud)
{
    if (baud == 0)
        baud = FPY_LINK_DEFAULT_BAUD;
    return ((uint64_t)n * 10000000u + baud - 1) / baud;
}

int fpy_link_baud_mismatch(uint32_t a, uint32_t b)
{
    if (a == 0 || b == 0)
        return 1;
    uint32_t hi = a > b ? a : b, lo = a > b ? b : a;
    /* A UART samples mid-bit: over 10 bits it survives a few % of error. */
    return (uint64_t)(hi - lo) * 100u > (uint64_t)hi * 3u;
}

size_t fpy_link_room(const fpy_link *l, int dir)
{
    return FPY_LINK_QUEUE - l->dir[dir].len;
}

/* ---- faults ------------------------------------------------------------ */

static void fpy_link_rule_remove(fpy_link *l, size_t i)
{
    for (size_t k = i + 1; k < l->nrules; k++) {
        l->rule[k - 1] = l->rule[k];
        l->rule_base[k - 1] = l->rule_base[k];
    }
    l->nrules--;
}

/* The fault (FPY_LINK_*) a rule puts on the byte about to enter `dir`, or
 * 0.  `at` rules fire once and go. */
static int fpy_link_fault(fpy_link *l, int dir, uint32_t *stall_us)
{
    for (size_t i = 0; i < l->nrules; i++) {
        const fpy_link_rule *r = &l->rule[i];
        if (r->dir != dir)
            continue;
        int hit = r->rate > 0 ? fpy_link_rand(l) % r->rate == 0
                              : l->dir[dir].seen - l->rule_base[i] == r->at;
        if (!hit)
            continue;
        int kind = r->kind;
        *stall_us = r->stall_us;
        if (r->rate == 0)
            fpy_link_rule_remove(l, i);
        return kind;
    }
    return 0;
}

int fpy_link_rule_add(fpy_link *l, const fpy_link_rule *r)
{
    if (r->kind < FPY_LINK_DROP || r->kind > FPY_LINK_STALL)
        return FPY_ERR_INVAL;
    if (r->dir != FPY_LINK_TO_BOARD && r->dir != FPY_LINK_FROM_BOARD)
        return FPY_ERR_INVAL;
    if (l->nrules >= FPY_LINK_MAX_RULES)
        return FPY_ERR_NOSPC;
    l->rule[l->nrules] = *r;
    l->rule_base[l->nrules] = l->dir[r->dir].seen;
    l->nrules++;
    return FPY_OK;
}

void fpy_link_rule_clear(fpy_link *l)
{
    l->nrules = 0;
}

/* ---- the queues --------------------------------------------------------- */

static fpy_link_byte *fpy_link_at(fpy_link_dir *d, size_t i)
{
    return &d->q[(d->head + i) % FPY_LINK_QUEUE];
}

/* Schedule one byte entering `dir` at now_us: after `lat_in` (and any
 * stall) it goes on the wire right after the byte before it, and it is
 * due `lat_out` after its stop bit. */
static uint64_t fpy_link_schedule(fpy_link *l, fpy_link_dir *d, uint64_t now_us, uint32_t baud,
                                  uint64_t lat_in, uint64_t lat_out)
{
    if (l->cfg.fast) {
        uint64_t t = now_us > d->stall_until_us ? now_us : d->stall_until_us;
        return t > d->wire_free_us ? (d->wire_free_us = t) : d->wire_free_us;
    }
    uint64_t ready = now_us + lat_in;
    if (ready < d->stall_until_us)
        ready = d->stall_until_us;
    if (ready > d->wire_free_us || baud != d->run_baud || d->run_n == 0) {
        /* the wire was idle (or changes speed): a new run of bytes */
        d->run_start_us = ready > d->wire_free_us ? ready : d->wire_free_us;
        d->run_n = 0;
        d->run_baud = baud;
    }
    d->run_n++;
    d->wire_free_us = d->run_start_us + fpy_link_wire_us((size_t)d->run_n, baud);
    return d->wire_free_us + lat_out;
}

/* One byte offered to `dir`: faults, then the queue.  0 when there is no
 * room (nothing happened), 1 when taken (queued or dropped). */
static int fpy_link_offer(fpy_link *l, int dir, uint64_t now_us, uint8_t b, uint32_t baud,
                          int frame_ok)
{
    fpy_link_dir *d = &l->dir[dir];
    if (d->len >= FPY_LINK_QUEUE)
        return 0;
    uint32_t stall_us = 0;
    int fault = fpy_link_fault(l, dir, &stall_us);
    d->seen++;
    if (fault == FPY_LINK_DROP) {
        d->n.dropped++;
        return 1;
    }
    if (fault == FPY_LINK_CORRUPT) {
        b ^= (uint8_t)(1u << (fpy_link_rand(l) % 8)); /* one bit of line noise */
        d->n.corrupted++;
    }
    if (fault == FPY_LINK_STALL) {
        uint64_t from = now_us > d->wire_free_us ? now_us : d->wire_free_us;
        d->stall_until_us = from + stall_us;
        d->run_n = 0;
        d->n.stalls++;
    }
    uint64_t lat = l->cfg.latency_us;
    fpy_link_byte *q = fpy_link_at(d, d->len++);
    q->due_us = dir == FPY_LINK_TO_BOARD ? fpy_link_schedule(l, d, now_us, baud, lat, 0)
                                         : fpy_link_schedule(l, d, now_us, baud, 0, lat);
    q->baud = baud;
    q->b = b;
    q->frame_ok = (uint8_t)(frame_ok != 0);
    return 1;
}

size_t fpy_link_host_write(fpy_link *l, uint64_t now_us, const uint8_t *in, size_t n,
                           uint32_t host_baud, int frame_ok)
{
    if (host_baud == 0)
        host_baud = FPY_LINK_DEFAULT_BAUD;
    size_t i = 0;
    while (i < n && fpy_link_offer(l, FPY_LINK_TO_BOARD, now_us, in[i], host_baud, frame_ok))
        i++;
    return i;
}

/* Hand the due to-board bytes to the board, one rx per run of one baud. */
static void fpy_link_deliver(fpy_link *l, uint64_t now_us, const fpy_link_board *b)
{
    fpy_link_dir *d = &l->dir[FPY_LINK_TO_BOARD];
    uint8_t buf[256];
    while (d->len > 0 && fpy_link_at(d, 0)->due_us <= now_us) {
        const fpy_link_byte *first = fpy_link_at(d, 0);
        uint32_t baud = first->frame_ok ? first->baud : 0;
        size_t k = 0;
        while (k < sizeof buf && k < d->len) {
            const fpy_link_byte *q = fpy_link_at(d, k);
            if (q->due_us > now_us || (q->frame_ok ? q->baud : 0) != baud)
                break;
            buf[k++] = q->b;
        }
        d->head = (d->head + k) % FPY_LINK_QUEUE;
        d->len -= k;
        d->n.bytes += k;
        b->rx(b->ctx, now_us, buf, k, baud);
    }
}

void fpy_link_pump(fpy_link *l, uint64_t now_us, const fpy_link_board *b)
{
    fpy_link_deliver(l, now_us, b);
    uint8_t buf[256];
    for (;;) {
        size_t room = fpy_link_room(l, FPY_LINK_FROM_BOARD);
        if (room == 0)
            break;
        /* The baud before the bytes: a board switches after its reply to
         * CHANGE_BAUDRATE has gone out (sim/devout.h). */
        uint32_t baud = b->baud(b->ctx);
        size_t n = b->tx(b->ctx, now_us, buf, room < sizeof buf ? room : sizeof buf);
        if (n == 0)
            break;
        for (size_t i = 0; i < n; i++)
            fpy_link_offer(l, FPY_LINK_FROM_BOARD, now_us, buf[i], baud, 1);
    }
}

/* What a host UART at host_baud makes of a byte sent at another speed:
 * framing errors and wrong bits, never the byte itself. */
static uint8_t fpy_link_garble(fpy_link *l, uint8_t b)
{
    uint8_t x = (uint8_t)(fpy_link_rand(l) | 1u);
    return (uint8_t)(b ^ x);
}

size_t fpy_link_host_read(fpy_link *l, uint64_t now_us, uint8_t *out, size_t cap,
                          uint32_t host_baud, int frame_ok)
{
    fpy_link_dir *d = &l->dir[FPY_LINK_FROM_BOARD];
    if (host_baud == 0)
        host_baud = FPY_LINK_DEFAULT_BAUD;
    size_t k = 0;
    while (k < cap && d->len > 0 && fpy_link_at(d, 0)->due_us <= now_us) {
        const fpy_link_byte *q = fpy_link_at(d, 0);
        uint8_t b = q->b;
        if (!frame_ok || fpy_link_baud_mismatch(q->baud, host_baud)) {
            b = fpy_link_garble(l, b);
            d->n.garbled++;
        }
        out[k++] = b;
        d->head = (d->head + 1) % FPY_LINK_QUEUE;
        d->len--;
    }
    d->n.bytes += k;
    return k;
}

size_t fpy_link_host_discard(fpy_link *l, uint64_t now_us)
{
    fpy_link_dir *d = &l->dir[FPY_LINK_FROM_BOARD];
    size_t k = 0;
    while (d->len > 0 && fpy_link_at(d, 0)->due_us <= now_us) {
        d->head = (d->head + 1) % FPY_LINK_QUEUE;
        d->len--;
        k++;
    }
    d->n.lost += k;
    return k;
}

uint64_t fpy_link_host_due(const fpy_link *l)
{
    const fpy_link_dir *d = &l->dir[FPY_LINK_FROM_BOARD];
    return d->len > 0 ? d->q[d->head].due_us : UINT64_MAX;
}

uint64_t fpy_link_next_event(const fpy_link *l, const fpy_link_board *b)
{
    uint64_t t = b->next_event(b->ctx);
    const fpy_link_dir *d = &l->dir[FPY_LINK_TO_BOARD];
    if (d->len > 0 && d->q[d->head].due_us < t)
        t = d->q[d->head].due_us;
    uint64_t h = fpy_link_host_due(l);
    return h < t ? h : t;
}

void fpy_link_purge(fpy_link *l, int dir)
{
    fpy_link_dir *d = &l->dir[dir];
    d->head = 0;
    d->len = 0;
}
