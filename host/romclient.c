/*
 * The ROM loader client's core: one command and its reply, reset into
 * download mode, SYNC, registers (rom_protocol.md §2–5, §7.10).
 */
#include "romclient.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fipy/bytes.h"
#include "fipy/err.h"

void fpy_romc_init(fpy_romclient *c, fpy_rom_link link, uint32_t baud)
{
    memset(c, 0, sizeof *c);
    c->link = link;
    c->baud = baud;
    c->rom_error = -1;
    fpy_slip_dec_init(&c->dec, c->frame, sizeof c->frame);
}

static uint32_t fpy_romc_per_mb(uint32_t bytes, uint32_t ms_per_mb)
{
    uint64_t t = (uint64_t)bytes * ms_per_mb / 1000000u;
    return t < FPY_ROMC_T_DEFAULT ? FPY_ROMC_T_DEFAULT : t > 240000u ? 240000u : (uint32_t)t;
}

uint32_t fpy_romc_t_erase(uint32_t bytes) { return fpy_romc_per_mb(bytes, 30000u); }
uint32_t fpy_romc_t_md5(uint32_t bytes) { return fpy_romc_per_mb(bytes, 8000u); }
uint32_t fpy_romc_t_defl(uint32_t bytes) { return fpy_romc_per_mb(bytes, 40000u); }

static int fpy_romc_fail(fpy_romclient *c, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fpy_romc_fail(fpy_romclient *c, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->msg, sizeof c->msg, fmt, ap);
    va_end(ap);
    return rc;
}

static uint64_t fpy_romc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void fpy_romc_sleep(fpy_romclient *c, uint32_t ms)
{
    if (c->link.ops->sleep_ms != NULL) {
        c->link.ops->sleep_ms(c->link.ctx, ms);
        return;
    }
    struct timespec ts = {(time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Drop what the link holds, and the decoder's half frame with it. */
static void fpy_romc_flush(fpy_romclient *c)
{
    c->in_off = c->in_len = 0;
    fpy_slip_dec_init(&c->dec, c->frame, sizeof c->frame);
    if (c->link.ops->flush_input != NULL)
        (void)c->link.ops->flush_input(c->link.ctx);
}

/*
 * The next SLIP frame within timeout_ms.  A read that returns 0 has
 * waited its whole time, so the deadline is only consulted while bytes
 * keep coming (junk that never forms a frame cannot hold us forever).
 */
static int fpy_romc_frame(fpy_romclient *c, uint32_t timeout_ms)
{
    uint64_t deadline = fpy_romc_now_ms() + timeout_ms;
    for (;;) {
        while (c->in_off < c->in_len) {
            int done = 0;
            uint32_t junk = c->dec.junk;
            c->in_off += fpy_slip_dec_feed(&c->dec, c->in + c->in_off, c->in_len - c->in_off,
                                           &done);
            c->junk += c->dec.junk - junk;
            if (done)
                return FPY_OK;
        }
        uint64_t now = fpy_romc_now_ms();
        if (now >= deadline)
            return FPY_ERR_TIMEOUT;
        long n = c->link.ops->read(c->link.ctx, c->in, sizeof c->in, (uint32_t)(deadline - now));
        if (n < 0)
            return fpy_romc_fail(c, FPY_ERR_IO, "the link is gone");
        if (n == 0)
            return FPY_ERR_TIMEOUT;
        c->in_off = 0;
        c->in_len = (size_t)n;
    }
}

int fpy_romc_err(uint8_t rom_error)
{
    switch (rom_error) {
    case FPY_ROM_E_CHECKSUM:
        return FPY_ERR_CHECKSUM;
    case FPY_ROM_E_INVALID_PARAM:
    case FPY_ROM_E_BAD_FORMAT:
        return FPY_ERR_INVAL;
    default:
        return FPY_ERR_IO;
    }
}

static int fpy_romc_send(fpy_romclient *c, uint8_t op, const uint8_t *data, uint16_t size,
                         uint32_t checksum)
{
    size_t n = fpy_rom_req_build(c->pkt, sizeof c->pkt, op, data, size, checksum);
    size_t m = n ? fpy_slip_encode(c->tx, sizeof c->tx, c->pkt, n) : 0;
    if (m == 0)
        return fpy_romc_fail(c, FPY_ERR_NOSPC, "%s: request of %u bytes too long",
                             fpy_rom_op_name(op), size);
    int rc = c->link.ops->write(c->link.ctx, c->tx, m, 10000u);
    if (rc != FPY_OK)
        return fpy_romc_fail(c, rc == FPY_ERR_TIMEOUT ? rc : FPY_ERR_IO,
                             "%s: cannot send the request (%s)", fpy_rom_op_name(op),
                             rc == FPY_ERR_TIMEOUT ? "write timed out" : "the link is gone");
    return FPY_OK;
}

/* The error codes an ESP32 ROM answers with (0x01 from the virtual
 * board for a block out of order; 0x05..0x0F from the ROM's table).
 * Anything else in an error reply is a garbled byte. */
static int fpy_romc_known_error(const fpy_romclient *c, uint8_t e)
{
    if (c->peer_err_last != 0 && e >= c->peer_err_first && e <= c->peer_err_last)
        return 1;
    return e == FPY_ROM_E_INVALID_PARAM || (e >= FPY_ROM_E_BAD_FORMAT && e <= FPY_ROM_E_RAM_ADDR);
}

/* Wire time of n bytes at the link's rate, 10 bits a byte, in ms. */
static uint32_t fpy_romc_wire_ms(const fpy_romclient *c, size_t n)
{
    uint32_t baud = c->baud ? c->baud : 115200u;
    return (uint32_t)(((uint64_t)n * 10000u + baud - 1) / baud);
}

uint32_t fpy_romc_t_quick(const fpy_romclient *c, size_t req, size_t reply, uint32_t extra_ms,
                          uint32_t full_ms)
{
    uint64_t t = (uint64_t)fpy_romc_wire_ms(c, 2 * req + reply + 16) + 4u * (uint64_t)c->rtt_ms +
                 100u + extra_ms;
    return t < full_ms ? (uint32_t)t : full_ms;
}

/* Judge one reply frame to a request with opcode op: 1 = not ours (skip),
 * else FPY_OK or the error it carries. */
static int fpy_romc_judge(fpy_romclient *c, uint8_t op, size_t plen, uint8_t *payload,
                          uint32_t *value)
{
    fpy_rom_resp r;
    uint8_t status, error;
    if (fpy_rom_resp_parse(c->frame, c->dec.len, &r) != FPY_OK)
        return 1;
    if (r.op != op) {
        /* §4.3: the ROM's "unknown command" reply carries another op and
         * status 1, error 0x05 */
        if (r.size >= 2 && r.data[0] != 0 && r.data[1] == FPY_ROM_E_BAD_FORMAT &&
            op >= FPY_ROM_GET_SECURITY_INFO) /* every op outside the ESP32 ROM's set */
            return fpy_romc_fail(c, FPY_ERR_UNSUPPORTED, "%s: the ROM does not know this command",
                                 fpy_rom_op_name(op));
        return 1;
    }
    if (fpy_rom_resp_status(&r, plen, &status, &error) != FPY_OK)
        return fpy_romc_fail(c, FPY_ERR_CORRUPT, "%s: reply of %u bytes, expected %zu or more",
                             fpy_rom_op_name(op), r.size, plen + 2);
    if (status > 1 || (status == 1 && !fpy_romc_known_error(c, error)))
        return fpy_romc_fail(c, FPY_ERR_CORRUPT,
                             "%s: implausible reply status %02x%02x (garbled on the way?)",
                             fpy_rom_op_name(op), status, error);
    if (status != 0) {
        c->rom_error = error;
        return fpy_romc_fail(c, fpy_romc_err(error), "%s failed (result was %02x%02x: %s)",
                             fpy_rom_op_name(op), status, error, fpy_rom_error_text(error));
    }
    if (plen != 0)
        memcpy(payload, r.data, plen);
    if (value != NULL)
        *value = r.value;
    return FPY_OK;
}

int fpy_romc_command(fpy_romclient *c, uint8_t op, const uint8_t *data, uint16_t size,
                     uint32_t checksum, size_t plen, uint32_t timeout_ms, uint8_t *payload,
                     uint32_t *value)
{
    c->rom_error = -1;
    c->msg[0] = '\0';
    FPY_TRY(fpy_romc_send(c, op, data, size, checksum));
    uint64_t start = fpy_romc_now_ms(), deadline = start + timeout_ms;
    c->last_ms = 0;
    for (;;) {
        uint64_t now = fpy_romc_now_ms();
        int rc = now >= deadline ? FPY_ERR_TIMEOUT : fpy_romc_frame(c, (uint32_t)(deadline - now));
        if (rc == FPY_ERR_TIMEOUT)
            return fpy_romc_fail(c, rc, "%s: no reply within %u ms", fpy_rom_op_name(op),
                                 timeout_ms);
        if (rc != FPY_OK)
            return rc;
        rc = fpy_romc_judge(c, op, plen, payload, value);
        if (rc == FPY_OK) {
            uint64_t took = fpy_romc_now_ms() - start;
            uint32_t wire = fpy_romc_wire_ms(c, (size_t)size + FPY_ROM_HDR + c->dec.len);
            c->last_ms = took > wire ? (uint32_t)(took - wire > 10000u ? 10000u : took - wire) : 0;
        }
        if (rc != 1)
            return rc;
        c->stale++;
    }
}

void fpy_romc_drain(fpy_romclient *c, uint32_t ms)
{
    while (fpy_romc_frame(c, ms) == FPY_OK)
        c->stale++;
    fpy_romc_flush(c);
}

int fpy_romc_retry(fpy_romclient *c, uint8_t op, const uint8_t *data, uint16_t size,
                   size_t plen, uint32_t extra_ms, uint32_t full_ms, uint8_t *payload,
                   uint32_t *value)
{
    uint32_t t = fpy_romc_t_quick(c, size, plen + 16u, extra_ms, full_ms);
    int rc = FPY_ERR_TIMEOUT;
    for (unsigned i = 0; i < FPY_ROMC_ATTEMPTS; i++) {
        if (i > 0) {
            c->resends++;
            t = t * 2u < full_ms ? t * 2u : full_ms;
            /* a garbled reply may still have its tail on the way */
            fpy_romc_drain(c, rc == FPY_ERR_TIMEOUT ? 0 : 20);
        }
        rc = fpy_romc_command(c, op, data, size, 0, plen, t, payload, value);
        /* the slowest answer to a command with no work to do */
        if (rc == FPY_OK && extra_ms == 0 && c->last_ms > c->rtt_ms)
            c->rtt_ms = c->last_ms;
        if (rc == FPY_OK && i > 0)
            fpy_romc_drain(c, t); /* the first answer, if it was only late */
        if (rc != FPY_ERR_TIMEOUT && rc != FPY_ERR_CORRUPT)
            return rc;
    }
    return rc;
}

/*
 * ClassicReset (stub_and_rfc2217.md §5.6–5.7): RTS drives EN low, then
 * DTR holds GPIO0 low while EN rises, and the chip samples its straps.
 */
int fpy_romc_reset_download(fpy_romclient *c, uint32_t hold_ms)
{
    if (c->link.ops->set_lines == NULL)
        return FPY_ERR_UNSUPPORTED;
    int rc = c->link.ops->set_lines(c->link.ctx, 0, 1);
    if (rc != FPY_OK)
        return rc;
    fpy_romc_sleep(c, 100);
    FPY_TRY(c->link.ops->set_lines(c->link.ctx, 1, 0));
    fpy_romc_sleep(c, hold_ms);
    return c->link.ops->set_lines(c->link.ctx, 0, 0);
}

int fpy_romc_reset_run(fpy_romclient *c)
{
    if (c->link.ops->set_lines == NULL)
        return FPY_ERR_UNSUPPORTED;
    FPY_TRY(c->link.ops->set_lines(c->link.ctx, 0, 1));
    fpy_romc_sleep(c, 100);
    return c->link.ops->set_lines(c->link.ctx, 0, 0);
}

/* The 36 bytes of SYNC (§5.1). */
static void fpy_romc_sync_body(uint8_t body[36])
{
    static const uint8_t head[4] = {0x07, 0x07, 0x12, 0x20};
    memcpy(body, head, sizeof head);
    memset(body + 4, 0x55, 32);
}

int fpy_romc_sync(fpy_romclient *c, unsigned attempts)
{
    uint8_t body[36];
    fpy_romc_sync_body(body);
    for (unsigned i = 0; i < attempts; i++) {
        fpy_romc_flush(c);
        int rc = fpy_romc_command(c, FPY_ROM_SYNC, body, sizeof body, 0, 0, FPY_ROMC_T_SYNC,
                                  NULL, &c->sync_value);
        if (rc == FPY_OK) {
            /* the ROM answers a SYNC 8 times: let the other 7 come, then drop them */
            for (int k = 0; k < 7 && fpy_romc_frame(c, FPY_ROMC_T_SYNC) == FPY_OK; k++)
                ;
            fpy_romc_flush(c);
            return FPY_OK;
        }
        if (rc == FPY_ERR_IO)
            return rc;
        fpy_romc_sleep(c, 50);
    }
    return fpy_romc_fail(c, FPY_ERR_TIMEOUT,
                         "no answer to SYNC after %u attempts: is the board in download mode?",
                         attempts);
}

int fpy_romc_read_reg(fpy_romclient *c, uint32_t addr, uint32_t *v)
{
    uint8_t b[4];
    fpy_put_le32(b, addr);
    return fpy_romc_retry(c, FPY_ROM_READ_REG, b, sizeof b, 0, 0, FPY_ROMC_T_DEFAULT, NULL, v);
}

int fpy_romc_read_reg_sure(fpy_romclient *c, uint32_t addr, uint32_t *v)
{
    uint32_t prev = 0, cur = 0;
    FPY_TRY(fpy_romc_read_reg(c, addr, &prev));
    for (int i = 0; i < 3; i++) {
        FPY_TRY(fpy_romc_read_reg(c, addr, &cur));
        if (cur == prev) {
            *v = cur;
            return FPY_OK;
        }
        prev = cur;
    }
    return fpy_romc_fail(c, FPY_ERR_CORRUPT,
                         "READ_REG 0x%08x: four reads, no two in a row the same (a noisy link)",
                         (unsigned)addr);
}

int fpy_romc_write_reg(fpy_romclient *c, uint32_t addr, uint32_t v)
{
    uint8_t b[16];
    fpy_put_le32(b, addr);
    fpy_put_le32(b + 4, v);
    fpy_put_le32(b + 8, 0xFFFFFFFFu);
    fpy_put_le32(b + 12, 0);
    return fpy_romc_retry(c, FPY_ROM_WRITE_REG, b, sizeof b, 0, 0, FPY_ROMC_T_DEFAULT, NULL,
                          NULL);
}

int fpy_romc_detect(fpy_romclient *c)
{
    uint32_t magic = 0;
    FPY_TRY(fpy_romc_read_reg_sure(c, FPY_ROMC_MAGIC_REG, &magic));
    if (magic != FPY_ROMC_MAGIC_ESP32)
        return fpy_romc_fail(c, FPY_ERR_UNSUPPORTED,
                             "not an ESP32: the ROM magic at 0x40001000 reads 0x%08x, "
                             "expected 0x00f01d83",
                             (unsigned)magic);
    return FPY_OK;
}

int fpy_romc_security_info(fpy_romclient *c)
{
    uint8_t dummy[20];
    int rc = fpy_romc_command(c, FPY_ROM_GET_SECURITY_INFO, NULL, 0, 0, 0, FPY_ROMC_T_SYNC * 2,
                              dummy, NULL);
    /* whatever it answered, the ESP32 ROM has no such command: drop copies */
    fpy_romc_flush(c);
    return rc == FPY_OK ? FPY_ERR_UNSUPPORTED : rc;
}
