/*
 * The uplink's host side: a bytecode image delivered to a running FiPy
 * without the jumper (docs/formats/uplink.md), over the ROM loader's
 * client (host/romclient.h), for `fipytool upload`.
 *
 *   reset (the caller's step: DTR/RTS, the virtual board's control
 *   channel, or "press reset") -> SYNC through the boot log until the VM's
 *   window answers -> INFO -> BEGIN -> DATA blocks (a lost reply: the
 *   same seq again; the board answers a repeat without writing twice) ->
 *   MD5 of the idle slot -> END (the board commits the trial and
 *   restarts) -> SYNC in the new window -> INFO shows the new bytecode in
 *   test mode -> ACCEPT -> END (the session closes, the program runs).
 *
 * Events and stable error codes have the flasher's shape (host/flasher.h;
 * docs/flasher.md), so `--json` prints them the same way.
 */
#ifndef FIPY_HOST_UPLINK_H
#define FIPY_HOST_UPLINK_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "flasher.h"
#include "romclient.h"
#include "fipy/uplink.h"

/* Stable error codes, beyond the flasher's FPY_FLC_* (link-lost, timeout,
 * bad-input, interrupted, protocol, verify-mismatch). */
#define FPY_ULC_DOWNLOAD "download-mode"    /* the ROM answered: jumper on */
#define FPY_ULC_NO_ANSWER "no-uplink"       /* nothing answered in the window */
#define FPY_ULC_TOO_BIG "too-big"
#define FPY_ULC_ABI "wrong-abi"
#define FPY_ULC_IMAGE "bad-image"           /* the board refused the header */
#define FPY_ULC_TRIAL "trial-running"       /* a bytecode on trial, or not now */
#define FPY_ULC_FLASH "flash-error"
#define FPY_ULC_SIGNED "not-signed"         /* a protected board: sign with its key */
#define FPY_ULC_OLDER "older"               /* anti-rollback: a newer one was accepted */
#define FPY_ULC_NOT_BOOTED "not-booted"     /* after the restart, the new bytecode
                                               does not run (the boot refused it) */

/* The caller's reset step: FPY_OK once the board is being reset (or the
 * user was asked to press reset), or an error that ends the upload. */
typedef int (*fpy_uplink_reset_fn)(void *ctx);

typedef struct fpy_uplink_opts {
    fpy_uplink_reset_fn reset;   /* NULL: the board is not reset (it must be in its
                                    window already) */
    void *reset_ctx;
    uint32_t probe_ms;           /* SYNC for this long after a reset; 0: 5000 */
    unsigned retries;            /* attempts per block after the first; 0: 3 */
    fpy_flasher_event_fn event;  /* may be NULL; stages: "reset", "sync", "info",
                                    "write", "verify", "commit", "restart",
                                    "accept", "retry", "note", "done", "error" */
    void *event_ctx;
    volatile sig_atomic_t *stop; /* set (by SIGINT): stop at a block boundary */
} fpy_uplink_opts;

typedef struct fpy_uplink_result {
    const char *code;            /* stable error code of the failure, else NULL */
    char msg[400];               /* what failed, or what was done, in English */
    int already;                 /* the image was running already: nothing sent */
    fpy_uplink_info before;      /* INFO before the upload */
    fpy_uplink_info after;       /* INFO after the restart (when it got there) */
    uint32_t blocks, resends;
} fpy_uplink_result;

/*
 * Upload a bytecode image (a .fbc: header and payload) over link, at the
 * uplink's 115200 baud.  It is checked first (fpy_bc_verify_mem): a bad
 * image sends nothing.  FPY_OK when the board runs it and it is accepted
 * (or it ran already: r->already); otherwise an fpy_err with r->code and
 * r->msg.  A failure before END leaves the old program running; after
 * END and before ACCEPT, the next reset of the board rolls it back.
 */
int fpy_uplink_upload(fpy_rom_link link, const uint8_t *image, size_t len,
                      const fpy_uplink_opts *o, fpy_uplink_result *r);

#endif
