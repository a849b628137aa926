/*
 * A scripted fake ESP32 ROM loader for the flasher's tests: it speaks the
 * ROM protocol (lib/rom) over an in-memory flash, in-process, through the
 * romclient's link ops (no sleeping, no threads: a read returns what the
 * fake has queued, or 0 = "timed out").
 *
 * It models what the flasher relies on (rom_protocol.md): SYNC with 8
 * replies, READ_REG/WRITE_REG over a register file with the SPI1 user
 * command engine (RDID), SPI_ATTACH (required before flash commands),
 * SPI_SET_PARAMS, FLASH_BEGIN erasing up front, FLASH_DATA written with
 * NOR semantics and read back (error 0x08 when the bytes do not stick),
 * FLASH_DEFL_* inflating with zlib, SPI_FLASH_MD5 (lowercase hex),
 * READ_FLASH_SLOW (always 64 bytes), CHANGE_BAUDRATE, and the "unknown
 * command" reply for anything else.  Faults: junk before replies, a
 * dropped reply, a lost request, a garbled status byte, a run of lost data
 * replies, a link that dies at command N, SYNCs ignored.  A block out of
 * order gets 0x01 (what the virtual board answers).
 */
#ifndef FIPY_TEST_FAKEROM_H
#define FIPY_TEST_FAKEROM_H

#include <stddef.h>
#include <stdint.h>

#include "romclient.h"

#define FPY_FAKEROM_DROPS 4

typedef struct fpy_fakerom {
    uint8_t *flash;
    uint32_t flash_size;
    uint32_t efuse[7], date, cali, jedec;
    uint32_t spi_user, spi_user1, spi_user2, spi_miso_dlen, spi_cmd, spi_w0;
    uint32_t baud;               /* the ROM's UART rate */
    uint32_t host_baud;          /* the host port's rate: bytes at another are lost */
    /* counters */
    uint32_t commands;           /* requests handled (this session and earlier) */
    uint32_t ops[256];           /* per opcode */
    uint32_t baud_changes;
    /* faults */
    const char *junk;            /* sent before the next reply, once */
    uint32_t drop[FPY_FAKEROM_DROPS]; /* command numbers whose reply is lost */
    uint32_t die_at;             /* the link dies on this command (0: never) */
    uint32_t garble_at;          /* this command arrives with a wrong checksum */
    uint32_t lose_at;            /* this request is lost on the way (no effect, no reply) */
    uint32_t bad_status_at;      /* this command's reply arrives with status byte 0x04 */
    uint32_t flip_at;            /* this command's reply has a bit flipped in its value
                                    or first payload byte (undetectable on the wire) */
    uint32_t mute_at, mute_data; /* from command mute_at, the replies to the next
                                    mute_data *_DATA commands are lost */
    uint32_t ignore_syncs;       /* SYNCs left unanswered (auto-baud) */
    int no_lines;                /* set_lines: FPY_ERR_UNSUPPORTED */
    int dead;
    /* private */
    int attached, mode;          /* mode: 0 none, 1 FLASH_*, 2 FLASH_DEFL_* */
    uint32_t base, size, seq, pos;
    void *z;
    fpy_slip_dec dec;
    uint8_t frame[4096];
    uint8_t *out;
    size_t out_len, out_off, out_cap;
} fpy_fakerom;

/* An erased flash of flash_size bytes, a D0WDQ6 rev 1 with MAC
 * 24:0a:c4:00:01:02 and an 8 MiB flash (JEDEC ef 40 17). */
int fpy_fakerom_init(fpy_fakerom *f, uint32_t flash_size);
void fpy_fakerom_free(fpy_fakerom *f);
/* A new session on the same chip and flash (after a dropped link or a
 * power cut): the link lives again, attach and the write state are gone. */
void fpy_fakerom_reconnect(fpy_fakerom *f);
fpy_rom_link fpy_fakerom_link(fpy_fakerom *f);
/* Reset the counters. */
void fpy_fakerom_count_reset(fpy_fakerom *f);

#endif
