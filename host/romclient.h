/*
 * A client of the ESP32 ROM serial loader (rom_protocol.md): commands and
 * their replies over a byte link, sync, chip detection, eFuse reads, the
 * flash ID through the SPI1 user-command engine, attach, set params, baud
 * change.  Only what the ROM itself offers: no stub is uploaded.
 *
 * The link is a small ops table with a context pointer, so the client runs
 * over a real connection (host/flasher_conn.c adapts host/conn.h) or over
 * an in-process fake ROM in the tests.
 */
#ifndef FIPY_ROMCLIENT_H
#define FIPY_ROMCLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "fipy/rom.h"

/*
 * The byte link.  read returns the count (0: nothing arrived within
 * timeout_ms, the full time passed) or a negative fpy_err (FPY_ERR_IO:
 * the link is gone); write sends all n bytes or fails.  set_lines may
 * return FPY_ERR_UNSUPPORTED (a socket has no modem lines).  sleep_ms may
 * be NULL (then the client sleeps for real).
 */
typedef struct fpy_rom_link_ops {
    int (*write)(void *ctx, const void *buf, size_t n, uint32_t timeout_ms);
    long (*read)(void *ctx, void *buf, size_t cap, uint32_t timeout_ms);
    int (*set_baud)(void *ctx, uint32_t baud);
    int (*set_lines)(void *ctx, int dtr, int rts);
    int (*flush_input)(void *ctx);
    void (*sleep_ms)(void *ctx, uint32_t ms);
} fpy_rom_link_ops;

typedef struct fpy_rom_link {
    const fpy_rom_link_ops *ops;
    void *ctx;
} fpy_rom_link;

/* Reply payload big enough for the ROM's largest (READ_FLASH_SLOW: 64 +
 * 4 status) and some slack for a confused peer (longer frames dropped). */
#define FPY_ROMC_FRAME_MAX 256u
/* Largest request: 8 header + 16 data header + 1024 bytes, SLIP doubled. */
#define FPY_ROMC_BLOCK 0x400u
#define FPY_ROMC_TX_MAX (2u * (FPY_ROM_HDR + FPY_ROM_DATA_HDR + FPY_ROMC_BLOCK) + 2u)

/* Messages for the user (reset prompt, sync attempts); may be NULL. */
typedef void (*fpy_romc_note_fn)(void *ctx, const char *msg);

/*
 * The client's state; caller-allocated, set up with fpy_romc_init.  After
 * a failed call `msg` says what went wrong in English (the ROM's own
 * error text included) and `rom_error` holds the ROM's error byte (or
 * -1 when the failure was not a ROM error reply).
 */
typedef struct fpy_romclient {
    fpy_rom_link link;
    uint32_t baud;          /* the link's current rate */
    fpy_romc_note_fn note;
    void *note_ctx;
    char msg[256];
    int rom_error;
    uint32_t stale;         /* replies skipped: wrong op, wrong direction */
    uint32_t junk;          /* bytes skipped outside frames */
    uint32_t scale_pct;     /* timeouts scaled by this percentage (0: 100) */
    uint32_t rtt_ms;        /* slowest answer to a quick command, wire time excluded */
    uint32_t last_ms;       /* the last command's answer time, wire time excluded */
    uint32_t resends;       /* requests sent again by fpy_romc_retry */
    uint32_t sync_value;    /* the value of the last SYNC reply: the ROM's
                               0x20120707, or another peer's (fipy's uplink) */
    /* Error bytes a peer other than the ROM answers with, taken as error
     * replies like the ROM's (the uplink's 0xE0..0xE6, host/uplink.h);
     * 0 and 0: none.  rom_error holds them too. */
    uint8_t peer_err_first, peer_err_last;
    /* private */
    fpy_slip_dec dec;
    uint8_t frame[FPY_ROMC_FRAME_MAX];
    uint8_t in[512];
    size_t in_off, in_len;
    uint8_t tx[FPY_ROMC_TX_MAX];
    uint8_t pkt[FPY_ROM_HDR + FPY_ROM_DATA_HDR + FPY_ROMC_BLOCK];
} fpy_romclient;

void fpy_romc_init(fpy_romclient *c, fpy_rom_link link, uint32_t baud);

/* Timeouts in ms (rom_protocol.md §7.10). */
#define FPY_ROMC_T_DEFAULT 3000u
#define FPY_ROMC_T_SYNC 100u
uint32_t fpy_romc_t_erase(uint32_t bytes);  /* 30 s per MB, at least 3 s */
uint32_t fpy_romc_t_md5(uint32_t bytes);    /* 8 s per MB, at least 3 s */
uint32_t fpy_romc_t_defl(uint32_t bytes);   /* 40 s per MB inflated, at least 3 s */

/*
 * Send one request and wait for its reply: frames with another op or
 * direction (stale replies of an earlier command, SYNC echoes) and bytes
 * outside frames are skipped.  plen is the payload the reply must carry
 * before its status bytes (0, 32 for MD5, 64 for READ_FLASH_SLOW); it is
 * copied to payload (may be NULL when plen is 0); *value (may be NULL)
 * gets the header's value field.  Returns FPY_OK, FPY_ERR_TIMEOUT,
 * FPY_ERR_IO (link gone), FPY_ERR_UNSUPPORTED (the ROM's "unknown
 * command" reply), FPY_ERR_CORRUPT (a reply too short for plen), or the
 * ROM's error reply mapped by fpy_romc_err (msg has the ROM's text).
 */
int fpy_romc_command(fpy_romclient *c, uint8_t op, const uint8_t *data, uint16_t size,
                     uint32_t checksum, size_t plen, uint32_t timeout_ms, uint8_t *payload,
                     uint32_t *value);

/*
 * The same for a command the ROM may run twice without harm (SYNC-free
 * reads, register writes, attach, set params, MD5, slow read): sent again
 * on a timeout or a reply that makes no sense (FPY_ERR_CORRUPT: too
 * short, or a status byte / error code the ROM does not use), up to
 * FPY_ROMC_ATTEMPTS times.  The first wait is fpy_romc_t_quick's, doubled
 * on each resend up to full_ms; after a resend that got its answer, a
 * late copy of the first answer is drained so it cannot pass for the
 * reply to the next request.  Error replies the ROM does use are final.
 */
#define FPY_ROMC_ATTEMPTS 4u
int fpy_romc_retry(fpy_romclient *c, uint8_t op, const uint8_t *data, uint16_t size,
                   size_t plen, uint32_t extra_ms, uint32_t full_ms, uint8_t *payload,
                   uint32_t *value);

/*
 * A first wait shorter than esptool's fixed 3 s, so a lost byte costs a
 * fraction of a second: the wire time of req + reply bytes at the current
 * rate, 4 times the slowest answer seen so far, 100 ms, and extra_ms for
 * the work asked (erase, inflate, MD5); never more than full_ms.
 */
uint32_t fpy_romc_t_quick(const fpy_romclient *c, size_t req, size_t reply, uint32_t extra_ms,
                          uint32_t full_ms);
/* Wait up to ms for stray frames and drop them and any input. */
void fpy_romc_drain(fpy_romclient *c, uint32_t ms);

/* The fpy_err for a ROM error byte: 0x07 FPY_ERR_CHECKSUM, 0x01/0x05
 * FPY_ERR_INVAL, others FPY_ERR_IO. */
int fpy_romc_err(uint8_t rom_error);

/*
 * Put the chip into download mode: the classic DTR/RTS sequence (RTS→EN,
 * DTR→GPIO0), GPIO0 held low hold_ms after EN rises (esptool alternates
 * 50 and 550 ms; longer suits boards with a large capacitor on EN, or a
 * slow RFC 2217 server).  A link without modem lines: FPY_ERR_UNSUPPORTED,
 * and the caller asks the user to strap GPIO0 (G23) to GND and press reset.
 */
int fpy_romc_reset_download(fpy_romclient *c, uint32_t hold_ms);
/* Wait ms (the link's sleep_ms, or for real). */
void fpy_romc_sleep(fpy_romclient *c, uint32_t ms);
/* Hard reset into the application: RTS pulse with DTR released. */
int fpy_romc_reset_run(fpy_romclient *c);

/* SYNC until the ROM answers, up to `attempts` times (flushing stale input
 * before each); the remaining SYNC replies are drained. */
int fpy_romc_sync(fpy_romclient *c, unsigned attempts);

/* Read / write a 32-bit register (WRITE_REG mask 0xFFFFFFFF, no delay),
 * both through fpy_romc_retry. */
int fpy_romc_read_reg(fpy_romclient *c, uint32_t addr, uint32_t *v);
int fpy_romc_write_reg(fpy_romclient *c, uint32_t addr, uint32_t v);
/* A read that must be right (chip identity, pad config, the flash ID):
 * replies carry no CRC, so read until two in a row agree (up to 4 reads;
 * FPY_ERR_CORRUPT when they never do). */
int fpy_romc_read_reg_sure(fpy_romclient *c, uint32_t addr, uint32_t *v);

#define FPY_ROMC_MAGIC_REG 0x40001000u
#define FPY_ROMC_MAGIC_ESP32 0x00F01D83u

/* What fpy_romc_chip_info reads from the chip. */
typedef struct fpy_rom_chip {
    uint8_t mac[6];
    unsigned pkg;            /* eFuse package code (0: D0WDQ6) */
    unsigned major, minor;   /* chip revision vMAJOR.MINOR */
    uint32_t efuse[7];       /* BLK0 RDATA0..6 */
    uint32_t date;           /* APB_CTRL DATE */
    unsigned xtal_mhz;       /* 40, 26 (or 48), from UART0 CLKDIV and the baud */
    uint32_t flash_id;       /* JEDEC RDID: manufacturer in bits 7..0 */
    uint32_t flash_size;     /* from the ID, 0 when unknown */
} fpy_rom_chip;

/* FPY_OK when the magic register says ESP32; FPY_ERR_UNSUPPORTED (msg
 * names the value) otherwise. */
int fpy_romc_detect(fpy_romclient *c);
/* eFuses, revision, crystal; not the flash (fpy_romc_flash_id). */
int fpy_romc_chip_info(fpy_romclient *c, fpy_rom_chip *chip);
/* "ESP32-D0WDQ6", "ESP32-D0WD", ...; "ESP32 (unknown package N)" as "ESP32". */
const char *fpy_romc_pkg_name(unsigned pkg);
/* The features line, e.g. "Wi-Fi, BT, Dual Core, 240MHz, Vref calibration
 * in eFuse, Coding Scheme None", into out. */
void fpy_romc_features(const fpy_rom_chip *chip, char *out, size_t outlen);

/* Run one SPI flash command through SPI1's user-command engine (§6.2):
 * opcode, then up to 32 bits read back into *result (miso_bits 0: none). */
int fpy_romc_spi_cmd(fpy_romclient *c, uint8_t opcode, unsigned miso_bits, uint32_t *result);
/* RDID: the JEDEC ID and the size it names (0: unknown). */
int fpy_romc_flash_id(fpy_romclient *c, uint32_t *id, uint32_t *size);
uint32_t fpy_romc_size_from_id(uint32_t id);

/* SPI_ATTACH with the eFuse pad configuration (chip from chip_info). */
int fpy_romc_spi_attach(fpy_romclient *c, const fpy_rom_chip *chip);
/* SPI_SET_PARAMS for a flash of total_size bytes. */
int fpy_romc_set_params(fpy_romclient *c, uint32_t total_size);

/* CHANGE_BAUDRATE: the ROM replies at the old rate; then the local port
 * follows and stale input is dropped.  A lost or garbled reply leaves it
 * unknown whether the ROM switched: SYNC decides (new rate first, then
 * the old one, where the change is asked again); on failure the port is
 * at the rate the ROM answered at last, c->baud says which. */
int fpy_romc_change_baud(fpy_romclient *c, uint32_t baud);

/* SPI_FLASH_MD5 of [addr, addr+size): the 16 raw bytes. */
int fpy_romc_md5(fpy_romclient *c, uint32_t addr, uint32_t size, uint8_t md5[16]);
/* READ_FLASH_SLOW: up to 64 bytes. */
int fpy_romc_read_slow(fpy_romclient *c, uint32_t addr, uint8_t *out, uint32_t len);

/* GET_SECURITY_INFO: the ESP32 ROM rejects it (FPY_ERR_UNSUPPORTED). */
int fpy_romc_security_info(fpy_romclient *c);

#endif
