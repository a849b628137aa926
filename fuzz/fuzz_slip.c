/*
 * Fuzz the SLIP decoder and the ROM packet parsers (lib/rom), the first
 * things both ends of the serial link run on bytes they did not choose.
 * The first input byte picks the decoder's buffer size; the rest is the
 * wire, fed in pieces whose sizes the input also picks.  Every frame
 * handed up must fit the buffer and encode back to a frame that decodes
 * to itself; every parse that succeeds must describe exactly the frame.
 * Aborts (a crash for the fuzzer) otherwise.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fipy/err.h"
#include "fipy/rom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check_packets(const uint8_t *f, size_t n)
{
    fpy_rom_req q;
    fpy_rom_resp r;
    if (fpy_rom_req_parse(f, n, &q) == FPY_OK) {
        if (n != FPY_ROM_HDR + (size_t)q.size || q.data != f + FPY_ROM_HDR)
            abort();
        uint32_t seq, len;
        const uint8_t *b;
        if (fpy_rom_data_parse(&q, &seq, &b, &len) == FPY_OK &&
            (len + FPY_ROM_DATA_HDR != q.size || fpy_rom_checksum(b, len) != q.checksum))
            abort();
    }
    if (fpy_rom_resp_parse(f, n, &r) == FPY_OK) {
        uint8_t st, er;
        if (n != FPY_ROM_HDR + (size_t)r.size)
            abort();
        if (fpy_rom_resp_status(&r, 0, &st, &er) == FPY_OK && r.size < 2)
            abort();
        (void)fpy_rom_error_text(er);
        (void)fpy_rom_op_name(r.op);
    }
}

static void fuzz_check_frame(const uint8_t *f, size_t n, size_t cap)
{
    static uint8_t enc[2 * 4096 + 2], again[4096];
    if (n == 0 || n > cap)
        abort();
    size_t e = fpy_slip_encode(enc, sizeof enc, f, n);
    if (e != fpy_slip_enc_size(f, n) || e < n + 2)
        abort();
    fpy_slip_dec d;
    fpy_slip_dec_init(&d, again, sizeof again);
    int done;
    if (fpy_slip_dec_feed(&d, enc, e, &done) != e || !done || d.len != n ||
        memcmp(again, f, n) != 0)
        abort();
    fuzz_check_packets(f, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[4096];
    if (size < 2)
        return 0;
    size_t cap = (size_t)data[0] * 16u + 1u; /* 1 .. 4081 */
    size_t step = (size_t)(data[1] % 64u) + 1u;
    data += 2;
    size -= 2;
    fpy_slip_dec d;
    fpy_slip_dec_init(&d, buf, cap);
    size_t off = 0;
    while (off < size) {
        size_t chunk = size - off < step ? size - off : step;
        int done;
        size_t used = fpy_slip_dec_feed(&d, data + off, chunk, &done);
        if (used == 0 || used > chunk || (!done && used != chunk))
            abort();
        if (done)
            fuzz_check_frame(d.buf, d.len, cap);
        off += used;
    }
    return 0;
}
