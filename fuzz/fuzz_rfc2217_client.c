/*
 * Fuzz the RFC 2217 client's decoder of what a server sends
 * (host/conn_telnet.c: Telnet commands, option negotiation, COM-PORT
 * subnegotiations, IAC IAC in data).  Any input:
 *  - decoding never yields more data bytes than went in, and decoding in
 *    place (as the connection does) gives what a separate buffer gives;
 *  - split anywhere (cut points taken from the input), it decodes to the
 *    same data, answers and flags as in one piece;
 *  - the refusals queued toward the server are whole IAC verb option
 *    triples, within their buffer; kept answer values fit theirs;
 *  - any data, escaped as the client escapes it, decodes to itself.
 * Aborts (a crash for the fuzzer) otherwise.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conn_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Check the reply queue's shape, then empty it as the connection does. */
static void fuzz_drain(fpy_tn *t)
{
    if (t->reply_len > sizeof t->reply || t->reply_len % 3u != 0)
        abort();
    for (size_t i = 0; i < t->reply_len; i += 3)
        if (t->reply[i] != FPY_TN_IAC || t->reply[i + 1] < FPY_TN_WILL)
            abort();
    t->reply_len = 0;
}

static void fuzz_same_state(const fpy_tn *a, const fpy_tn *b)
{
    if (a->state != b->state || a->we_do != b->we_do || a->they_do != b->they_do ||
        a->comport_refused != b->comport_refused || a->notifications != b->notifications)
        abort();
    for (size_t i = 0; i < FPY_RFC2217_NCODES; i++) {
        const fpy_tn_answer *x = &a->answer[i], *y = &b->answer[i];
        if (x->len > FPY_TN_SB_MAX || x->count != y->count || x->len != y->len ||
            memcmp(x->value, y->value, x->len) != 0)
            abort();
    }
}

/* Whole vs split at cut points drawn from the input. */
static void fuzz_split(const uint8_t *data, size_t size, uint8_t *whole, size_t nwhole)
{
    fpy_tn t;
    uint8_t *out = malloc(size + 1), *copy = malloc(size + 1);
    if (out == NULL || copy == NULL)
        abort();
    memcpy(copy, data, size);
    fpy_tn_init(&t);
    size_t k = 0, at = 0;
    for (size_t step = 0; at < size; step++) {
        size_t len = 1u + data[step % size] % 7u;
        if (len > size - at)
            len = size - at;
        k += fpy_tn_feed(&t, copy + at, len, copy + k); /* in place, shifted left */
        fuzz_drain(&t);
        at += len;
    }
    if (k != nwhole || memcmp(copy, whole, k) != 0)
        abort();
    fpy_tn ref;
    fpy_tn_init(&ref);
    if (fpy_tn_feed(&ref, data, size, out) != nwhole)
        abort();
    fuzz_same_state(&t, &ref);
    free(out);
    free(copy);
}

/* The client's escaping, decoded by the client's decoder, is identity. */
static void fuzz_escape_roundtrip(const uint8_t *data, size_t size)
{
    uint8_t *wire = malloc(2 * size + 1), *back = malloc(2 * size + 1);
    if (wire == NULL || back == NULL)
        abort();
    size_t used = 0, n = 0;
    while (used < size) {
        size_t cap = 1u + (size - used) % 5u; /* small pieces: pairs never split */
        n += fpy_tn_escape(data, size, &used, wire + n, cap + 1u);
    }
    fpy_tn t;
    fpy_tn_init(&t);
    if (fpy_tn_feed(&t, wire, n, back) != size || memcmp(back, data, size) != 0 ||
        t.reply_len != 0 || t.state != 0)
        abort();
    free(wire);
    free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fpy_tn t;
    uint8_t hello[16];
    uint8_t *out = malloc(size + 1);
    if (out == NULL)
        return 0;
    fpy_tn_init(&t);
    if (fpy_tn_hello(&t, hello, sizeof hello) != 15)
        abort();
    size_t n = fpy_tn_feed(&t, data, size, out);
    if (n > size)
        abort();
    fuzz_drain(&t);
    if (size > 0) {
        /* without the hello: the same data, whatever was negotiated */
        fuzz_split(data, size, out, n);
        fuzz_escape_roundtrip(data, size);
    }
    free(out);
    return 0;
}
