/* The virtual board's insides, shared by sim/vboard*.c only. */
#ifndef FIPY_VBOARD_INT_H
#define FIPY_VBOARD_INT_H

#include "devout.h"
#include "bootcfg.h"
#include "cryptflash.h"
#include "efusesim.h"
#include "flashsim.h"
#include "romdev.h"
#include "simsys.h"
#include "stubdev.h"
#include "vboard.h"
#include "fipy/boot.h"
#include "fipy/rom.h"
#include "fipy/uplink.h"

#define FPY_VB_BAUD0 115200u
/* EN released by the auto-reset circuit to straps sampled: the EN
 * capacitor's delay, set so esptool's classic reset over RFC 2217 finds
 * GPIO0 low (stub_and_rfc2217.md §5.7: 150 ms lies in every window). */
#define FPY_VB_STRAP_DELAY_US 150000u
#define FPY_VB_RXCAP (FPY_ROM_HDR + 0xFFFFu) /* the largest request */

/* ROM reset causes as the banner prints them (rom_protocol.md §1.2). */
#define FPY_VB_RST_POWERON 0x1
#define FPY_VB_RST_SW 0x3

typedef enum fpy_vb_mode {
    FPY_VB_OFF = 0,
    FPY_VB_RESET,    /* EN low, or waiting for the straps to be sampled */
    FPY_VB_DOWNLOAD,
    FPY_VB_STUB,
    FPY_VB_RUNNING,
    FPY_VB_HALTED
} fpy_vb_mode;

/* One output: bytes, or (len 0, baud != 0) a baud switch, ready at
 * `ready` (simulated time of the work before it). */
typedef struct fpy_vb_chunk {
    struct fpy_vb_chunk *next;
    uint64_t ready;
    uint32_t baud;
    size_t len, off;
    uint8_t data[];
} fpy_vb_chunk;

struct fpy_vboard {
    int fd;
    uint8_t *mem;
    fpy_flashsim sim;
    fpy_flash flash;
    int ble;
    uint8_t mac[6];             /* what fresh eFuses get (from the path) */
    fpy_efusesim *efuse;        /* the eFuses, kept in FLASH.efuse */

    /* What the firmware reads and writes: the flash through the cache,
     * decrypted when flash encryption is on (sim/cryptflash.h), else the
     * chip itself.  The ROM loader and the stub use b->flash: raw. */
    fpy_cryptflash cf;
    fpy_flash cfflash;
    const fpy_flash *fw;
    /* The protected board's policy, from its bootloader's configuration
     * (sim/bootcfg.h) and its eFuses; sec_on 0: none. */
    fpy_bootcfg bcfg;
    fpy_sec sec;
    int sec_on;

    uint64_t now;
    int powered, cut, jumper, dtr, rts, en_held;
    fpy_vb_mode mode;
    uint64_t strap_at;          /* UINT64_MAX: no strap sample pending */
    int strap_rst;              /* the ROM reset cause for that boot */
    int latched_download;       /* FLASH_END(reboot): straps as latched */

    uint32_t baud;
    int baud_locked;            /* autobaud done: the first frame came */
    fpy_slip_dec dec;
    uint8_t *rxbuf;

    fpy_vb_chunk *head, *tail;
    uint64_t tail_ready;

    fpy_devout out;
    fpy_romdev *rom;
    fpy_stubdev *stub;
    fpy_stubdev_hooks hooks;
    int stub_left;              /* the stub asked for a reset (hooks.reboot) */

    fpy_simsys ss;
    fpy_sys sys;
    fpy_fw_work w;
    fpy_boot_result res;
    int vm_slot, bc_slot, test_mode, reset_reason;

    /* the VM's uplink (lib/uplink): it listens from vm_at on */
    const fpy_layout *layout;   /* the layout the boot ran on */
    fpy_uplink *ul;
    int ul_live;                /* initialised by the last boot */
    uint64_t vm_at;             /* the VM starts: its boot log is out */
    uint32_t bc_size;           /* the running bytecode image, 0: none */
    uint8_t bc_sha[FPY_SHA256_LEN];
    uint8_t ul_reply[FPY_UPLINK_REPLY_MAX];
};

/* vboard.c: the output queue. */
void fpy_vb_queue(fpy_vboard *b, const uint8_t *data, size_t n, uint32_t busy_us);
void fpy_vb_line(fpy_vboard *b, uint32_t busy_us, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void fpy_vb_drop_pending(fpy_vboard *b);
void fpy_vb_stop_engines(fpy_vboard *b);

/* vboard_boot.c: what happens when the straps are sampled. */
void fpy_vb_start(fpy_vboard *b, int rst, int download);
void fpy_vb_boot_flash(fpy_vboard *b);
void fpy_vb_power_lost(fpy_vboard *b);
/* vboard_sec.c: the firmware's view of the flash (decrypted when flash
 * encryption is on) into b->fw; the ROM's secure boot check and the
 * policy (b->sec_on, b->sec): -1 with why when secure boot refuses to
 * start; the boot log's line on the protection. */
int fpy_vb_fw_view(fpy_vboard *b);
int fpy_vb_protection(fpy_vboard *b, char *why, size_t n);
void fpy_vb_protection_line(fpy_vboard *b);
/* vboard_boot.c: a frame for the VM's uplink, its reply queued. */
void fpy_vb_uplink_frame(fpy_vboard *b, const uint8_t *f, size_t n);

#endif
