/*
 * ROM loader packets (rom_protocol.md §3): an 8-byte header, then data.
 * The header's size must account for every byte after it exactly: a
 * frame with bytes missing or to spare is refused rather than guessed at,
 * on both ends.
 */
#include <string.h>

#include "fipy/bytes.h"
#include "fipy/err.h"
#include "fipy/rom.h"

/* Header layout: direction, op, size (LE16), checksum or value (LE32). */
_Static_assert(FPY_ROM_HDR == 1 + 1 + 2 + 4, "ROM packet header is 8 bytes");
_Static_assert(FPY_ROM_DATA_HDR == 4 * 4, "*_DATA body header is four words");

/* The shared part of both parsers: direction, then exact size. */
static int fpy_rom_parse_hdr(const uint8_t *pkt, size_t n, uint8_t dir, uint16_t *size)
{
    if (n < FPY_ROM_HDR)
        return FPY_ERR_TRUNCATED;
    if (pkt[0] != dir)
        return FPY_ERR_CORRUPT;
    *size = fpy_get_le16(pkt + 2);
    if (n - FPY_ROM_HDR < *size)
        return FPY_ERR_TRUNCATED;
    return n - FPY_ROM_HDR == *size ? FPY_OK : FPY_ERR_CORRUPT;
}

int fpy_rom_req_parse(const uint8_t *pkt, size_t n, fpy_rom_req *r)
{
    FPY_TRY(fpy_rom_parse_hdr(pkt, n, FPY_ROM_DIR_REQ, &r->size));
    r->op = pkt[1];
    r->checksum = fpy_get_le32(pkt + 4);
    r->data = pkt + FPY_ROM_HDR;
    return FPY_OK;
}

int fpy_rom_resp_parse(const uint8_t *pkt, size_t n, fpy_rom_resp *r)
{
    FPY_TRY(fpy_rom_parse_hdr(pkt, n, FPY_ROM_DIR_RESP, &r->size));
    r->op = pkt[1];
    r->value = fpy_get_le32(pkt + 4);
    r->data = pkt + FPY_ROM_HDR;
    return FPY_OK;
}

static void fpy_rom_put_hdr(uint8_t *out, uint8_t dir, uint8_t op, uint16_t size, uint32_t word)
{
    out[0] = dir;
    out[1] = op;
    fpy_put_le16(out + 2, size);
    fpy_put_le32(out + 4, word);
}

size_t fpy_rom_req_build(uint8_t *out, size_t cap, uint8_t op, const uint8_t *data,
                         uint16_t size, uint32_t checksum)
{
    if (cap < FPY_ROM_HDR || cap - FPY_ROM_HDR < size)
        return 0;
    fpy_rom_put_hdr(out, FPY_ROM_DIR_REQ, op, size, checksum);
    if (size > 0)
        memcpy(out + FPY_ROM_HDR, data, size);
    return FPY_ROM_HDR + (size_t)size;
}

size_t fpy_rom_resp_build(uint8_t *out, size_t cap, uint8_t op, uint32_t value,
                          const uint8_t *payload, size_t plen, uint8_t status, uint8_t error,
                          size_t status_len)
{
    if (status_len < 2 || plen > 0xFFFFu - status_len)
        return 0;
    size_t size = plen + status_len;
    if (cap < FPY_ROM_HDR || cap - FPY_ROM_HDR < size)
        return 0;
    fpy_rom_put_hdr(out, FPY_ROM_DIR_RESP, op, (uint16_t)size, value);
    uint8_t *p = out + FPY_ROM_HDR;
    if (plen > 0)
        memcpy(p, payload, plen);
    p[plen] = status;
    p[plen + 1] = error;
    memset(p + plen + 2, 0, status_len - 2);
    return FPY_ROM_HDR + size;
}

int fpy_rom_resp_status(const fpy_rom_resp *r, size_t plen, uint8_t *status, uint8_t *error)
{
    if (r->size < 2 || plen > (size_t)r->size - 2)
        return FPY_ERR_TRUNCATED;
    *status = r->data[plen];
    *error = r->data[plen + 1];
    return FPY_OK;
}

uint8_t fpy_rom_checksum(const uint8_t *data, size_t n)
{
    uint8_t c = FPY_ROM_CHECKSUM_SEED;
    for (size_t i = 0; i < n; i++)
        c ^= data[i];
    return c;
}

int fpy_rom_data_parse(const fpy_rom_req *r, uint32_t *seq, const uint8_t **bytes,
                       uint32_t *len)
{
    if (r->size < FPY_ROM_DATA_HDR)
        return FPY_ERR_TRUNCATED;
    uint32_t n = fpy_get_le32(r->data);
    if (n != (uint32_t)r->size - FPY_ROM_DATA_HDR)
        return FPY_ERR_CORRUPT;
    const uint8_t *b = r->data + FPY_ROM_DATA_HDR;
    if (r->checksum != fpy_rom_checksum(b, n))
        return FPY_ERR_CHECKSUM;
    *seq = fpy_get_le32(r->data + 4);
    *bytes = b;
    *len = n;
    return FPY_OK;
}

size_t fpy_rom_data_build(uint8_t *out, size_t cap, uint32_t seq, const uint8_t *bytes,
                          uint32_t len, uint32_t *checksum)
{
    if (cap < FPY_ROM_DATA_HDR || cap - FPY_ROM_DATA_HDR < len)
        return 0;
    fpy_put_le32(out, len);
    fpy_put_le32(out + 4, seq);
    fpy_put_le32(out + 8, 0);
    fpy_put_le32(out + 12, 0);
    if (len > 0)
        memcpy(out + FPY_ROM_DATA_HDR, bytes, len);
    *checksum = fpy_rom_checksum(bytes, len);
    return FPY_ROM_DATA_HDR + (size_t)len;
}
