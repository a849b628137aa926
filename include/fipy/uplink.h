/*
 * The uplink: a new bytecode image delivered without the jumper, as
 * Zerynth's VM took it.  After every start the VM listens on its console
 * UART for a short window; a SYNC in that window opens a session that
 * speaks the ROM loader's framing and packets (fipy/rom.h), restricted to
 * the bytecode slots, and writes the idle slot through the update engine
 * (fipy/fota.h).  END commits the new bytecode as a trial and the board
 * restarts into it; ACCEPT, sent by the host once the new bytecode runs,
 * makes it permanent.  A cut upload, or one never accepted, leaves the old
 * program.  Byte by byte: docs/formats/uplink.md.
 *
 * This is what the VM would run on a FiPy: caller-allocated state, no
 * allocation, no clock (the caller passes its time in milliseconds), no
 * I/O but the flash.  The caller SLIP-decodes its UART input while
 * fpy_uplink_poll says the uplink listens, hands each frame to
 * fpy_uplink_frame and sends the reply SLIP-encoded; outside the window
 * the bytes are the program's console input.
 */
#ifndef FIPY_UPLINK_H
#define FIPY_UPLINK_H

#include <stddef.h>
#include <stdint.h>

#include "fipy/flash.h"
#include "fipy/fota.h"
#include "fipy/fotarec.h"
#include "fipy/fw.h"
#include "fipy/hash.h"
#include "fipy/layout.h"

#define FPY_UPLINK_VERSION 1u
#define FPY_UPLINK_WINDOW_MS 3000u  /* listening after each start */
#define FPY_UPLINK_IDLE_MS 5000u    /* a session ends after this without a frame */
#define FPY_UPLINK_BLOCK_MAX 1024u  /* largest DATA block (the flasher's) */
#define FPY_UPLINK_BAUD 115200u
/* The largest reply packet: header, INFO's payload, 4 status bytes. */
#define FPY_UPLINK_REPLY_MAX (8u + 64u + 4u)

/* Opcodes: the ROM's where it has one, two of fipy's own. */
#define FPY_UPLINK_OP_SYNC 0x08u   /* FPY_ROM_SYNC */
/* SYNC's reply value: not the ROM's (0x20120707), so that a flasher that
 * resets a board into download mode can tell the running VM's window from
 * the ROM loader (docs/formats/uplink.md); bytes "FPUL". */
#define FPY_UPLINK_SYNC_VALUE 0x4C555046u
#define FPY_UPLINK_OP_BEGIN 0x02u  /* FPY_ROM_FLASH_BEGIN, longer body */
#define FPY_UPLINK_OP_DATA 0x03u   /* FPY_ROM_FLASH_DATA */
#define FPY_UPLINK_OP_END 0x04u    /* FPY_ROM_FLASH_END */
#define FPY_UPLINK_OP_MD5 0x13u    /* FPY_ROM_SPI_FLASH_MD5 */
#define FPY_UPLINK_OP_INFO 0xA0u   /* not the ROM's: how a client tells the VM */
#define FPY_UPLINK_OP_ACCEPT 0xA1u

/* Error bytes of a failed reply (status 1), beyond the ROM's 0x01
 * (invalid parameter: block size, seq), 0x05 (malformed body) and 0x07
 * (DATA checksum), which the uplink uses as the ROM does. */
#define FPY_UPLINK_E_SLOT 0xE0u    /* not the idle bytecode slot */
#define FPY_UPLINK_E_BIG 0xE1u     /* image larger than the slot */
#define FPY_UPLINK_E_ABI 0xE2u     /* built for another VM ABI */
#define FPY_UPLINK_E_HEADER 0xE3u  /* header does not decode / size disagrees */
#define FPY_UPLINK_E_HASH 0xE4u    /* SHA-256 or the written image does not verify */
#define FPY_UPLINK_E_STATE 0xE5u   /* not now: no upload, bytes missing, trial running */
#define FPY_UPLINK_E_FLASH 0xE6u   /* the flash failed */
#define FPY_UPLINK_E_SIGNED 0xE7u  /* not signed with the board's key (a protected board) */
#define FPY_UPLINK_E_OLDER 0xE8u   /* older than the board has accepted (anti-rollback) */
#define FPY_UPLINK_E_FIRST FPY_UPLINK_E_SLOT
#define FPY_UPLINK_E_LAST FPY_UPLINK_E_OLDER

/* English text of an error byte, the ROM's included ("invalid parameter"). */
const char *fpy_uplink_error_text(uint8_t error);

/* ---- wire bodies (shared with the host client) ----------------------- */

/* BEGIN: FLASH_BEGIN's 16 bytes, the image's SHA-256, its header. */
#define FPY_UPLINK_BEGIN_OFF_SHA 16u
#define FPY_UPLINK_BEGIN_OFF_HEAD 48u
#define FPY_UPLINK_BEGIN_LEN 176u
_Static_assert(FPY_UPLINK_BEGIN_OFF_SHA + FPY_SHA256_LEN == FPY_UPLINK_BEGIN_OFF_HEAD,
               "sha then head");
_Static_assert(FPY_UPLINK_BEGIN_OFF_HEAD + FPY_FOTA_BC_HEAD == FPY_UPLINK_BEGIN_LEN,
               "begin body is 176 bytes");

typedef struct fpy_uplink_begin {
    uint32_t size, blocks, block_size, offset;
    uint8_t sha256[FPY_SHA256_LEN];
    uint8_t head[FPY_FOTA_BC_HEAD];
} fpy_uplink_begin;

void fpy_uplink_begin_encode(const fpy_uplink_begin *b, uint8_t out[FPY_UPLINK_BEGIN_LEN]);
void fpy_uplink_begin_decode(const uint8_t in[FPY_UPLINK_BEGIN_LEN], fpy_uplink_begin *b);

/* INFO's reply payload (64 bytes, before the status bytes). */
#define FPY_UPLINK_INFO_MAGIC 0x4C555046u /* bytes "FPUL" */
#define FPY_UPLINK_INFO_OFF_MAGIC 0x00u
#define FPY_UPLINK_INFO_OFF_VERSION 0x04u
#define FPY_UPLINK_INFO_OFF_BLOCK 0x06u
#define FPY_UPLINK_INFO_OFF_ABI 0x08u
#define FPY_UPLINK_INFO_OFF_VM_SLOT 0x0Cu
#define FPY_UPLINK_INFO_OFF_BC_SLOT 0x0Du
#define FPY_UPLINK_INFO_OFF_TEST 0x0Eu
#define FPY_UPLINK_INFO_OFF_IDLE 0x0Fu
#define FPY_UPLINK_INFO_OFF_IDLE_ADDR 0x10u
#define FPY_UPLINK_INFO_OFF_IDLE_SIZE 0x14u
#define FPY_UPLINK_INFO_OFF_RUN_SIZE 0x18u
#define FPY_UPLINK_INFO_OFF_RESERVED 0x1Cu
#define FPY_UPLINK_INFO_OFF_RUN_SHA 0x20u
#define FPY_UPLINK_INFO_LEN 0x40u
_Static_assert(FPY_UPLINK_INFO_OFF_RUN_SHA + FPY_SHA256_LEN == FPY_UPLINK_INFO_LEN,
               "info is 64 bytes");

typedef struct fpy_uplink_info {
    uint16_t version;     /* FPY_UPLINK_VERSION */
    uint16_t block_max;   /* largest DATA block */
    uint32_t vm_abi;      /* the running VM's */
    uint8_t vm_slot, bc_slot, test_mode, idle_slot;
    uint32_t idle_addr, idle_size;
    uint32_t run_size;    /* bytes of the running bytecode image; 0: none */
    uint8_t run_sha256[FPY_SHA256_LEN]; /* of the whole image; zeros: none */
} fpy_uplink_info;

void fpy_uplink_info_encode(const fpy_uplink_info *i, uint8_t out[FPY_UPLINK_INFO_LEN]);
/* FPY_ERR_CORRUPT for another magic, FPY_ERR_UNSUPPORTED for another
 * protocol version. */
int fpy_uplink_info_decode(const uint8_t in[FPY_UPLINK_INFO_LEN], fpy_uplink_info *i);

/* ---- the device side ------------------------------------------------- */

typedef struct fpy_uplink_cfg {
    const fpy_flash *flash;
    const fpy_layout *layout;
    fpy_rec_store store;
    uint32_t vm_abi;        /* the running VM's (the boot verified it) */
    uint8_t vm_slot, bc_slot, test_mode; /* what the boot started */
    uint32_t window_ms;     /* 0: FPY_UPLINK_WINDOW_MS */
    uint32_t idle_ms;       /* 0: FPY_UPLINK_IDLE_MS */
    const fpy_sec *sec;     /* the board's policy (fipy/sec.h), NULL: none */
} fpy_uplink_cfg;

typedef enum fpy_uplink_action {
    FPY_UPLINK_NONE = 0,  /* send the reply (if any) and go on */
    FPY_UPLINK_RESTART,   /* send the reply, then restart (software reset) */
    FPY_UPLINK_CLOSED     /* send the reply; the session is over */
} fpy_uplink_action;

#define FPY_UPLINK_CLOSED_ST 0u
#define FPY_UPLINK_WINDOW 1u
#define FPY_UPLINK_SESSION 2u

#define FPY_UPLINK_UP_NONE 0u
#define FPY_UPLINK_UP_WRITING 1u
#define FPY_UPLINK_UP_FINISHED 2u
#define FPY_UPLINK_UP_FAILED 3u

typedef struct fpy_uplink {
    fpy_uplink_cfg cfg;
    uint8_t state;           /* FPY_UPLINK_CLOSED_ST, _WINDOW, _SESSION */
    uint8_t up;              /* FPY_UPLINK_UP_* */
    uint8_t have_run;        /* run_size/run_sha computed */
    uint8_t last_err;        /* the reply to the last DATA (0: ok) */
    uint64_t until_ms;       /* the window or the session ends then */
    uint32_t base, size, block_size, blocks, next_seq, offset;
    uint32_t last_len, last_crc; /* the last DATA block, for a resend */
    uint32_t run_size;
    uint8_t run_sha[FPY_SHA256_LEN];
    fpy_diag diag;           /* why the last refusal (for a log) */
    fpy_fota fota;
    fpy_fw_work w;
} fpy_uplink;

/* Start listening: the window opens at now_ms. */
void fpy_uplink_init(fpy_uplink *u, const fpy_uplink_cfg *cfg, uint64_t now_ms);
/* 1 while the window or a session is open at now_ms; once it has expired
 * the uplink is closed for good (an unfinished upload is abandoned: the
 * idle slot's bytes are referred to by nothing) and 0 is returned. */
int fpy_uplink_poll(fpy_uplink *u, uint64_t now_ms);
/* When the window or the session ends unless a frame comes (ms). */
uint64_t fpy_uplink_deadline(const fpy_uplink *u);

/*
 * One decoded SLIP frame at now_ms.  The reply packet (unencoded) goes to
 * reply[0..*rlen); *rlen = 0 when there is none (a malformed frame, a
 * frame other than SYNC before the session, a closed uplink).  cap must
 * hold FPY_UPLINK_REPLY_MAX bytes.  Never reads past frame[n).
 */
fpy_uplink_action fpy_uplink_frame(fpy_uplink *u, uint64_t now_ms, const uint8_t *frame,
                                   size_t n, uint8_t *reply, size_t cap, size_t *rlen);

/* The running bytecode image (header + payload) as INFO reports it:
 * *size 0 and zeros when the slot holds no valid header.  Reads the slot
 * once; FPY_OK or the flash's error. */
int fpy_uplink_running(fpy_uplink *u, uint32_t *size, uint8_t sha[FPY_SHA256_LEN]);

#endif
