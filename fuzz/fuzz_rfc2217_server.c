/*
 * Fuzz the RFC 2217 / Telnet server's parser (sim/rfc2217.c) with what a
 * TCP client may send.  The first byte picks how the rest is cut into
 * reads (the parser keeps state across them).  Checked: the data handed
 * on never outgrows the input, each reply is a whole Telnet command (IAC
 * first, a subnegotiation ends IAC SE), the port's settings stay in their
 * ranges, and encoding data back doubles exactly its IACs.  Aborts (a
 * crash for the fuzzer) otherwise.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rfc2217.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fuzz_sink {
    size_t data, sent;
} fuzz_sink;

static void f_data(void *c, const uint8_t *p, size_t n)
{
    fuzz_sink *s = c;
    if (n == 0 || p == NULL)
        abort();
    s->data += n;
}

static void f_config(void *c, uint32_t baud, int ok)
{
    (void)c;
    if (baud < 300 || baud > 5000000 || (ok != 0 && ok != 1))
        abort();
}

static void f_lines(void *c, int dtr, int rts)
{
    (void)c;
    if ((dtr != 0 && dtr != 1) || (rts != 0 && rts != 1))
        abort();
}

static void f_purge(void *c, int which)
{
    (void)c;
    if (which < 1 || which > 3)
        abort();
}

static void f_send(void *c, const uint8_t *p, size_t n)
{
    fuzz_sink *s = c;
    if (n < 3 || p[0] != 0xFF)
        abort();
    if (p[1] == 250 && (p[n - 2] != 0xFF || p[n - 1] != 240 || n > 14))
        abort();
    if (p[1] != 250 && n != 3)
        abort();
    s->sent += n;
}

static void fuzz_check_encode(const fpy_rfc2217 *st, const uint8_t *data, size_t size)
{
    uint8_t out[64];
    size_t used, iacs = 0;
    size_t k = fpy_rfc2217_encode(st, data, size, out, sizeof out, &used);
    for (size_t i = 0; i < used; i++)
        iacs += data[i] == 0xFF;
    if (used > size || k > sizeof out ||
        k != used + (st->mode == FPY_RFC2217_TELNET ? iacs : 0))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t chunk = (size_t)data[0] % 17 + 1;
    data++, size--;
    fpy_rfc2217 st;
    fuzz_sink sink = {0, 0};
    const fpy_rfc2217_cb cb = {&sink, f_data, f_config, f_lines, f_purge, f_send};
    fpy_rfc2217_init(&st);
    for (size_t off = 0; off < size; off += chunk)
        fpy_rfc2217_input(&st, data + off, size - off < chunk ? size - off : chunk, &cb);
    if (sink.data > size || st.datasize < 5 || st.datasize > 8 || st.parity < 1 ||
        st.parity > 5 || st.stopsize < 1 || st.stopsize > 3)
        abort();
    /* a reply is at most 3x what asked for it (fpy_tcp_read relies on it) */
    if (sink.sent > 3 * size)
        abort();
    fuzz_check_encode(&st, data, size);
    return 0;
}
