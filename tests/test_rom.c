/* lib/rom: SLIP framing and ROM loader packets (rom_protocol.md §2–3). */
#include <stdlib.h>
#include <string.h>

#include "fipy/bytes.h"
#include "fipy/err.h"
#include "fipy/rom.h"
#include "testutil.h"

/* Feed all of in[0..n) in pieces of `step`, collecting frames. */
typedef struct frames {
    uint8_t data[8][600];
    size_t len[8];
    size_t count;
} frames;

static void feed_all(fpy_slip_dec *d, const uint8_t *in, size_t n, size_t step, frames *out)
{
    size_t off = 0;
    while (off < n) {
        size_t chunk = n - off < step ? n - off : step;
        size_t used = 0;
        while (used < chunk) {
            int done;
            used += fpy_slip_dec_feed(d, in + off + used, chunk - used, &done);
            if (done) {
                assert_true(out->count < 8);
                memcpy(out->data[out->count], d->buf, d->len);
                out->len[out->count++] = d->len;
            }
        }
        off += chunk;
    }
}

static void test_slip_encodes_the_docs_example(void **state)
{
    (void)state;
    static const uint8_t in[] = {0x01, 0xC0, 0xDB, 0x02};
    static const uint8_t want[] = {0xC0, 0x01, 0xDB, 0xDC, 0xDB, 0xDD, 0x02, 0xC0};
    uint8_t out[16];
    assert_int_equal(fpy_slip_enc_size(in, sizeof in), sizeof want);
    assert_int_equal(fpy_slip_encode(out, sizeof out, in, sizeof in), sizeof want);
    assert_memory_equal(out, want, sizeof want);
    /* too small: nothing */
    assert_int_equal(fpy_slip_encode(out, sizeof want - 1, in, sizeof in), 0);
}

/* Every byte value, every split of the stream: what goes in comes out. */
static void test_slip_round_trip_any_split(void **state)
{
    (void)state;
    uint8_t in[512], enc[1100], buf[600];
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = (uint8_t)(i * 7u + (i >> 3));
    in[10] = FPY_SLIP_END;
    in[11] = FPY_SLIP_ESC;
    size_t n = fpy_slip_encode(enc, sizeof enc, in, sizeof in);
    assert_true(n > sizeof in + 2);
    for (size_t step = 1; step <= n; step += (step < 16 ? 1 : 97)) {
        fpy_slip_dec d;
        frames f = {0};
        fpy_slip_dec_init(&d, buf, sizeof buf);
        feed_all(&d, enc, n, step, &f);
        assert_int_equal(f.count, 1);
        assert_int_equal(f.len[0], sizeof in);
        assert_memory_equal(f.data[0], in, sizeof in);
        assert_int_equal(d.dropped, 0);
    }
}

/* The ROM banner before a frame, noise between frames, C0 C0: skipped. */
static void test_slip_skips_junk_and_empty_frames(void **state)
{
    (void)state;
    static const uint8_t wire[] = "rst:0x1 (POWERON_RESET)\r\n\xC0\xC0\x01\x02\xC0\xC0\xC0noise\xC0\x03\xC0";
    uint8_t buf[64];
    fpy_slip_dec d;
    frames f = {0};
    fpy_slip_dec_init(&d, buf, sizeof buf);
    feed_all(&d, wire, sizeof wire - 1, 5, &f);
    assert_int_equal(f.count, 2);
    assert_int_equal(f.len[0], 2);
    assert_int_equal(f.data[0][0], 0x01);
    /* "noise" sits between C0s: it is a frame, handed up as one (the
     * packet parser refuses it).  The C0 that closes it does not open
     * another (esptool wants a C0 before every frame), so 03 is junk, as
     * is the banner before the first C0 (25 bytes) */
    assert_int_equal(f.len[1], 5);
    assert_memory_equal(f.data[1], "noise", 5);
    assert_int_equal(d.junk, 26);
    assert_int_equal(d.dropped, 0);
}

/* A bad escape or an overflow drops that frame only; the next is fine. */
static void test_slip_resynchronises(void **state)
{
    (void)state;
    static const uint8_t wire[] = {0xC0, 0x01, 0xDB, 0x41, 0x02, 0xC0, /* bad escape */
                                   0xC0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xC0, /* too long for 8 */
                                   0xC0, 0xAA, 0xDB, 0xDC, 0xC0};
    uint8_t buf[8];
    fpy_slip_dec d;
    frames f = {0};
    fpy_slip_dec_init(&d, buf, sizeof buf);
    feed_all(&d, wire, sizeof wire, 3, &f);
    assert_int_equal(d.dropped, 2);
    assert_int_equal(f.count, 1);
    assert_int_equal(f.len[0], 2);
    assert_int_equal(f.data[0][0], 0xAA);
    assert_int_equal(f.data[0][1], 0xC0);
}

/* A frame cut inside an escape by a C0: dropped, and that C0 opens the
 * next frame. */
static void test_slip_cut_in_escape(void **state)
{
    (void)state;
    static const uint8_t wire[] = {0xC0, 0x01, 0xDB, 0xC0, 0x05, 0x06, 0xC0};
    uint8_t buf[8];
    fpy_slip_dec d;
    frames f = {0};
    fpy_slip_dec_init(&d, buf, sizeof buf);
    feed_all(&d, wire, sizeof wire, 1, &f);
    assert_int_equal(d.dropped, 1);
    assert_int_equal(f.count, 1);
    assert_int_equal(f.len[0], 2);
    assert_int_equal(f.data[0][0], 0x05);
}

/* rom_protocol.md §3.2's typical reply: 01 0A 04 00 | 83 1D F0 00 | 00 00 00 00 */
static void test_response_bytes(void **state)
{
    (void)state;
    static const uint8_t want[] = {0x01, 0x0A, 0x04, 0x00, 0x83, 0x1D, 0xF0, 0x00,
                                   0x00, 0x00, 0x00, 0x00};
    uint8_t out[32];
    size_t n = fpy_rom_resp_build(out, sizeof out, FPY_ROM_READ_REG, 0x00F01D83u, NULL, 0, 0,
                                  0, FPY_ROM_STATUS_ROM);
    assert_int_equal(n, sizeof want);
    assert_memory_equal(out, want, sizeof want);
    fpy_rom_resp r;
    assert_int_equal(fpy_rom_resp_parse(out, n, &r), FPY_OK);
    assert_int_equal(r.op, FPY_ROM_READ_REG);
    assert_int_equal(r.value, 0x00F01D83u);
    assert_int_equal(r.size, 4);
    uint8_t st, er;
    assert_int_equal(fpy_rom_resp_status(&r, 0, &st, &er), FPY_OK);
    assert_int_equal(st, 0);
    /* a stub reply: 2 status bytes; an MD5 reply: 32 bytes, then status */
    uint8_t md5[32];
    memset(md5, 'a', sizeof md5);
    n = fpy_rom_resp_build(out, sizeof out, FPY_ROM_SPI_FLASH_MD5, 0, md5, 32, 1, 7,
                           FPY_ROM_STATUS_STUB);
    assert_int_equal(n, 0); /* 8 + 34 does not fit 32 */
    uint8_t big[64];
    n = fpy_rom_resp_build(big, sizeof big, FPY_ROM_SPI_FLASH_MD5, 0, md5, 32, 1, 7,
                           FPY_ROM_STATUS_ROM);
    assert_int_equal(n, 8 + 36);
    assert_int_equal(fpy_rom_resp_parse(big, n, &r), FPY_OK);
    assert_int_equal(fpy_rom_resp_status(&r, 32, &st, &er), FPY_OK);
    assert_int_equal(st, 1);
    assert_int_equal(er, FPY_ROM_E_CHECKSUM);
    assert_int_equal(fpy_rom_resp_status(&r, 35, &st, &er), FPY_ERR_TRUNCATED);
    assert_string_equal(fpy_rom_error_text(er), "Checksum error");
}

static void test_request_parse_is_exact(void **state)
{
    (void)state;
    uint8_t sync[36] = {0x07, 0x07, 0x12, 0x20};
    memset(sync + 4, 0x55, 32);
    uint8_t pkt[64];
    size_t n = fpy_rom_req_build(pkt, sizeof pkt, FPY_ROM_SYNC, sync, 36, 0);
    assert_int_equal(n, 44);
    fpy_rom_req r;
    assert_int_equal(fpy_rom_req_parse(pkt, n, &r), FPY_OK);
    assert_int_equal(r.op, FPY_ROM_SYNC);
    assert_int_equal(r.size, 36);
    assert_memory_equal(r.data, sync, 36);
    assert_string_equal(fpy_rom_op_name(r.op), "SYNC");
    /* short, long, wrong direction, header only */
    assert_int_equal(fpy_rom_req_parse(pkt, n - 1, &r), FPY_ERR_TRUNCATED);
    pkt[n] = 0;
    assert_int_equal(fpy_rom_req_parse(pkt, n + 1, &r), FPY_ERR_CORRUPT);
    assert_int_equal(fpy_rom_req_parse(pkt, 7, &r), FPY_ERR_TRUNCATED);
    pkt[0] = FPY_ROM_DIR_RESP;
    assert_int_equal(fpy_rom_req_parse(pkt, n, &r), FPY_ERR_CORRUPT);
    fpy_rom_resp rs;
    assert_int_equal(fpy_rom_resp_parse(pkt, n, &rs), FPY_OK);
    assert_int_equal(fpy_rom_req_build(pkt, 43, FPY_ROM_SYNC, sync, 36, 0), 0);
    assert_string_equal(fpy_rom_op_name(0x42), "unknown");
}

static void test_data_body_and_checksum(void **state)
{
    (void)state;
    uint8_t bytes[300], body[400], pkt[420];
    for (size_t i = 0; i < sizeof bytes; i++)
        bytes[i] = (uint8_t)(i * 31u);
    uint32_t chk;
    size_t n = fpy_rom_data_build(body, sizeof body, 5, bytes, sizeof bytes, &chk);
    assert_int_equal(n, 16 + sizeof bytes);
    uint8_t want = 0xEF;
    for (size_t i = 0; i < sizeof bytes; i++)
        want ^= bytes[i];
    assert_int_equal(chk, want);
    assert_int_equal(fpy_get_le32(body), sizeof bytes);
    assert_int_equal(fpy_get_le32(body + 4), 5);
    size_t pn = fpy_rom_req_build(pkt, sizeof pkt, FPY_ROM_FLASH_DATA, body, (uint16_t)n, chk);
    fpy_rom_req r;
    assert_int_equal(fpy_rom_req_parse(pkt, pn, &r), FPY_OK);
    uint32_t seq, len;
    const uint8_t *got;
    assert_int_equal(fpy_rom_data_parse(&r, &seq, &got, &len), FPY_OK);
    assert_int_equal(seq, 5);
    assert_int_equal(len, sizeof bytes);
    assert_memory_equal(got, bytes, sizeof bytes);
    /* one flipped data byte: the checksum catches it */
    pkt[8 + 16 + 7] ^= 0x10;
    assert_int_equal(fpy_rom_req_parse(pkt, pn, &r), FPY_OK);
    assert_int_equal(fpy_rom_data_parse(&r, &seq, &got, &len), FPY_ERR_CHECKSUM);
    /* a len word that disagrees with the packet's size */
    pkt[8 + 16 + 7] ^= 0x10;
    fpy_put_le32(pkt + 8, 299);
    assert_int_equal(fpy_rom_req_parse(pkt, pn, &r), FPY_OK);
    assert_int_equal(fpy_rom_data_parse(&r, &seq, &got, &len), FPY_ERR_CORRUPT);
    r.size = 15;
    assert_int_equal(fpy_rom_data_parse(&r, &seq, &got, &len), FPY_ERR_TRUNCATED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slip_encodes_the_docs_example),
        cmocka_unit_test(test_slip_round_trip_any_split),
        cmocka_unit_test(test_slip_skips_junk_and_empty_frames),
        cmocka_unit_test(test_slip_resynchronises),
        cmocka_unit_test(test_slip_cut_in_escape),
        cmocka_unit_test(test_response_bytes),
        cmocka_unit_test(test_request_parse_is_exact),
        cmocka_unit_test(test_data_body_and_checksum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
