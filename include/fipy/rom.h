/*
 * The ESP32 ROM serial loader's wire format, shared by both ends: the
 * virtual board (sim/, device side) and the flasher (host/).  SLIP
 * framing, request and response packets, the data-command body and its
 * checksum, the opcodes and the error codes of the ROM and of esptool's
 * stub.  Facts: ../shared/docs/rom_protocol.md §2–4; byte layout in
 * docs/formats/rom-protocol.md.
 *
 * Pure byte work over caller buffers: no allocation, no state but the
 * decoder's, which the caller owns.
 */
#ifndef FIPY_ROM_H
#define FIPY_ROM_H

#include <stddef.h>
#include <stdint.h>

/* ---- SLIP ------------------------------------------------------------- */

#define FPY_SLIP_END 0xC0u
#define FPY_SLIP_ESC 0xDBu
#define FPY_SLIP_ESC_END 0xDCu /* DB DC stands for C0 */
#define FPY_SLIP_ESC_ESC 0xDDu /* DB DD stands for DB */

/*
 * Incremental SLIP decoder with resynchronisation.  Bytes outside a frame
 * are counted as junk and skipped (the ROM's boot banner, line noise); an
 * empty frame (C0 C0) is skipped; a frame with a bad escape (DB followed
 * by anything but DC/DD) or longer than the buffer is dropped and counted,
 * and the decoder waits for the next C0.  A C0 that ends a frame does not
 * start the next one: every frame opens with its own C0, as esptool
 * expects (bytes between a closing C0 and the next C0 are junk).
 */
typedef struct fpy_slip_dec {
    uint8_t *buf;   /* caller's storage for one decoded frame */
    size_t cap;
    size_t len;     /* bytes decoded so far; the frame when *done is set */
    uint8_t state;  /* private */
    uint32_t junk;  /* bytes seen outside frames */
    uint32_t dropped; /* frames dropped: bad escape or overflow */
} fpy_slip_dec;

void fpy_slip_dec_init(fpy_slip_dec *d, uint8_t *buf, size_t cap);

/*
 * Feed up to n bytes.  Returns how many were consumed; stops right after
 * a frame's closing C0 with *done = 1 and the frame in d->buf[0..d->len)
 * (valid until the next call); *done = 0 when all n were consumed without
 * completing a frame.
 */
size_t fpy_slip_dec_feed(fpy_slip_dec *d, const uint8_t *in, size_t n, int *done);

/* Bytes the SLIP encoding of in[0..n) takes, both C0s included. */
size_t fpy_slip_enc_size(const uint8_t *in, size_t n);

/* Encode in[0..n) as one frame into out; returns its length, or 0 when
 * cap is too small (nothing useful written). */
size_t fpy_slip_encode(uint8_t *out, size_t cap, const uint8_t *in, size_t n);

/* ---- packets ---------------------------------------------------------- */

#define FPY_ROM_HDR 8u            /* direction, op, size (LE16), value/checksum (LE32) */
#define FPY_ROM_DIR_REQ 0x00u
#define FPY_ROM_DIR_RESP 0x01u
#define FPY_ROM_STATUS_ROM 4u     /* status, error, 0, 0: the ESP32 ROM */
#define FPY_ROM_STATUS_STUB 2u    /* status, error: esptool's stub */
#define FPY_ROM_CHECKSUM_SEED 0xEFu
#define FPY_ROM_DATA_HDR 16u      /* *_DATA body: len, seq, 0, 0 before the bytes */

/* Opcodes: the ESP32 ROM's (rom_protocol.md §4.1) and the stub's (§4.2). */
enum fpy_rom_op {
    FPY_ROM_FLASH_BEGIN = 0x02,
    FPY_ROM_FLASH_DATA = 0x03,
    FPY_ROM_FLASH_END = 0x04,
    FPY_ROM_MEM_BEGIN = 0x05,
    FPY_ROM_MEM_END = 0x06,
    FPY_ROM_MEM_DATA = 0x07,
    FPY_ROM_SYNC = 0x08,
    FPY_ROM_WRITE_REG = 0x09,
    FPY_ROM_READ_REG = 0x0A,
    FPY_ROM_SPI_SET_PARAMS = 0x0B,
    FPY_ROM_SPI_ATTACH = 0x0D,
    FPY_ROM_READ_FLASH_SLOW = 0x0E,
    FPY_ROM_CHANGE_BAUDRATE = 0x0F,
    FPY_ROM_FLASH_DEFL_BEGIN = 0x10,
    FPY_ROM_FLASH_DEFL_DATA = 0x11,
    FPY_ROM_FLASH_DEFL_END = 0x12,
    FPY_ROM_SPI_FLASH_MD5 = 0x13,
    FPY_ROM_GET_SECURITY_INFO = 0x14,
    FPY_ROM_ERASE_FLASH = 0xD0,  /* stub only, from here on */
    FPY_ROM_ERASE_REGION = 0xD1,
    FPY_ROM_READ_FLASH = 0xD2,
    FPY_ROM_RUN_USER_CODE = 0xD3,
    FPY_ROM_FLASH_ENCRYPT_DATA = 0xD4
};

/* The error byte of a failed reply (status 1): the ROM's (§3.4) ... */
enum fpy_rom_error {
    FPY_ROM_E_UNDEFINED = 0x00,
    FPY_ROM_E_INVALID_PARAM = 0x01,
    FPY_ROM_E_MALLOC = 0x02,
    FPY_ROM_E_SEND = 0x03,
    FPY_ROM_E_RECV = 0x04,
    FPY_ROM_E_BAD_FORMAT = 0x05,   /* also "unsupported command" (§4.3) */
    FPY_ROM_E_RESULT = 0x06,
    FPY_ROM_E_CHECKSUM = 0x07,
    FPY_ROM_E_FLASH_WRITE = 0x08,
    FPY_ROM_E_FLASH_READ = 0x09,
    FPY_ROM_E_READ_LEN = 0x0A,
    FPY_ROM_E_DEFLATE = 0x0B,
    FPY_ROM_E_ADLER = 0x0C,
    FPY_ROM_E_DEFLATE_PARAM = 0x0D,
    FPY_ROM_E_RAM_SIZE = 0x0E,
    FPY_ROM_E_RAM_ADDR = 0x0F,
    /* ... and the stub's. */
    FPY_STUB_E_BAD_DATA_LEN = 0xC0,
    FPY_STUB_E_BAD_DATA_CHECKSUM = 0xC1,
    FPY_STUB_E_BAD_BLOCKSIZE = 0xC2,
    FPY_STUB_E_INVALID_COMMAND = 0xC3,
    FPY_STUB_E_FAILED_SPI_OP = 0xC4,
    FPY_STUB_E_FAILED_SPI_UNLOCK = 0xC5,
    FPY_STUB_E_NOT_IN_FLASH_MODE = 0xC6,
    FPY_STUB_E_INFLATE = 0xC7,
    FPY_STUB_E_NOT_ENOUGH_DATA = 0xC8,
    FPY_STUB_E_TOO_MUCH_DATA = 0xC9,
    FPY_STUB_E_NOT_IMPLEMENTED = 0xFF
};

/* A request, as parsed from a decoded frame; data points into the frame. */
typedef struct fpy_rom_req {
    uint8_t op;
    uint16_t size;      /* bytes of data */
    uint32_t checksum;  /* header bytes 4..7 */
    const uint8_t *data;
} fpy_rom_req;

/* A response; data holds size bytes: the payload, then the status bytes. */
typedef struct fpy_rom_resp {
    uint8_t op;
    uint16_t size;
    uint32_t value;
    const uint8_t *data;
} fpy_rom_resp;

/* Parse a request: direction 0x00 and exactly size bytes after the
 * header.  FPY_ERR_TRUNCATED when shorter than the header or than size
 * says, FPY_ERR_CORRUPT for another direction or trailing bytes. */
int fpy_rom_req_parse(const uint8_t *pkt, size_t n, fpy_rom_req *r);

/* Parse a response: direction 0x01 and exactly size bytes after the
 * header (same errors as above). */
int fpy_rom_resp_parse(const uint8_t *pkt, size_t n, fpy_rom_resp *r);

/* Write a request (header, then data[0..size)) into out; returns its
 * length, or 0 when cap is too small. */
size_t fpy_rom_req_build(uint8_t *out, size_t cap, uint8_t op, const uint8_t *data,
                         uint16_t size, uint32_t checksum);

/* Write a response: header with value, payload[0..plen), then status and
 * error and status_len - 2 zero bytes (status_len 4 for the ROM, 2 for
 * the stub); returns its length, or 0 when cap is too small. */
size_t fpy_rom_resp_build(uint8_t *out, size_t cap, uint8_t op, uint32_t value,
                          const uint8_t *payload, size_t plen, uint8_t status, uint8_t error,
                          size_t status_len);

/* The status and error bytes of a response whose payload is plen bytes,
 * located as esptool 5.3.1 does (rom_protocol.md §3.2).  FPY_ERR_TRUNCATED
 * when the response has fewer than plen + 2 data bytes. */
int fpy_rom_resp_status(const fpy_rom_resp *r, size_t plen, uint8_t *status, uint8_t *error);

/* The checksum of a *_DATA command: seed 0xEF XOR every data byte. */
uint8_t fpy_rom_checksum(const uint8_t *data, size_t n);

/* The body of FLASH_DATA, MEM_DATA, FLASH_DEFL_DATA (and the stub's
 * 0xD4): len, seq, 0, 0, then len bytes.  FPY_ERR_TRUNCATED when the
 * request is shorter than 16 bytes, FPY_ERR_CORRUPT when len disagrees
 * with the request's size, FPY_ERR_CHECKSUM when the header's checksum
 * is not the checksum of the bytes. */
int fpy_rom_data_parse(const fpy_rom_req *r, uint32_t *seq, const uint8_t **bytes,
                       uint32_t *len);

/* Build a *_DATA body (16-byte header, then bytes) into out; returns its
 * length (16 + len) or 0 when cap is too small.  *checksum receives the
 * value for the request header. */
size_t fpy_rom_data_build(uint8_t *out, size_t cap, uint32_t seq, const uint8_t *bytes,
                          uint32_t len, uint32_t *checksum);

/* Names for messages: "FLASH_DEFL_DATA", "unknown"; an error code's text
 * as esptool 5.3.1 prints it ("Checksum error"), stub codes included. */
const char *fpy_rom_op_name(uint8_t op);
const char *fpy_rom_error_text(uint8_t error);

#endif
