/*
 * The uplink's host client (host/uplink.h): reset, probe the VM's window,
 * upload into the idle bytecode slot, let the board restart into the
 * trial, accept it.  The board judges the image (slot size, VM ABI,
 * header, SHA-256); this side turns its error bytes into English with
 * the numbers INFO gave.
 */
#include "uplink.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fipy/bcimage.h"
#include "fipy/bytes.h"
#include "fipy/err.h"
#include "fipy/hash.h"

#define FPY_ULH_BLOCK FPY_UPLINK_BLOCK_MAX
#define FPY_ULH_SYNC_TRY_MS 150u  /* one SYNC attempt: 100 ms wait, 50 ms pause */
#define FPY_ULH_SLOW_MS 10000u    /* BEGIN (the board verifies its VM), the last block
                                     (it verifies the image), END (record writes) */

typedef struct fpy_ulh {
    fpy_romclient rc;
    fpy_uplink_opts o;
    fpy_uplink_result *r;
    const uint8_t *img;
    uint32_t len;
    uint8_t sha[FPY_SHA256_LEN], md5[FPY_MD5_LEN];
    fpy_bc_header h;
} fpy_ulh;

static void fpy_ulh_event(fpy_ulh *u, const char *stage, uint32_t addr, uint64_t done,
                          uint64_t total, const char *code, const char *msg)
{
    if (u->o.event == NULL)
        return;
    fpy_flasher_event e = {stage, NULL, addr, done, total, u->r->resends, code, msg};
    u->o.event(u->o.event_ctx, &e);
}

static int fpy_ulh_fail(fpy_ulh *u, int rc, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fpy_ulh_fail(fpy_ulh *u, int rc, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(u->r->msg, sizeof u->r->msg, fmt, ap);
    va_end(ap);
    u->r->code = code;
    fpy_ulh_event(u, "error", 0, 0, 0, code, u->r->msg);
    return rc;
}

/* A board error byte in English, with INFO's numbers where they help. */
static int fpy_ulh_board_fail(fpy_ulh *u, int rc, const char *what)
{
    const fpy_uplink_info *b = &u->r->before;
    int e = u->rc.rom_error;
    switch (e) {
    case FPY_UPLINK_E_BIG:
        return fpy_ulh_fail(u, FPY_ERR_NOSPC, FPY_ULC_TOO_BIG,
                            "the bytecode image is %u bytes; the board's bytecode slot %u holds "
                            "%u bytes: nothing was written",
                            (unsigned)u->len, b->idle_slot, (unsigned)b->idle_size);
    case FPY_UPLINK_E_ABI:
        return fpy_ulh_fail(u, FPY_ERR_STATE, FPY_ULC_ABI,
                            "the bytecode needs VM ABI %u; the board's VM has ABI %u: build it "
                            "for the board's VM (or update the VM first); nothing was written",
                            (unsigned)u->h.vm_abi, (unsigned)b->vm_abi);
    case FPY_UPLINK_E_HEADER:
        return fpy_ulh_fail(u, FPY_ERR_CORRUPT, FPY_ULC_IMAGE, "%s: the board refused: %s", what,
                            fpy_uplink_error_text((uint8_t)e));
    case FPY_UPLINK_E_HASH:
        return fpy_ulh_fail(u, FPY_ERR_CHECKSUM, FPY_FLC_MISMATCH,
                            "%s: %s; nothing was committed, the old program runs", what,
                            fpy_uplink_error_text((uint8_t)e));
    case FPY_UPLINK_E_STATE:
        if (b->test_mode)
            return fpy_ulh_fail(u, FPY_ERR_STATE, FPY_ULC_TRIAL,
                                "the board runs a bytecode on trial (test mode) that was never "
                                "accepted: reset the board (it rolls back), then upload again");
        return fpy_ulh_fail(u, FPY_ERR_STATE, FPY_ULC_TRIAL, "%s: the board refused: %s", what,
                            fpy_uplink_error_text((uint8_t)e));
    case FPY_UPLINK_E_FLASH:
        return fpy_ulh_fail(u, FPY_ERR_IO, FPY_ULC_FLASH, "%s: %s", what,
                            fpy_uplink_error_text((uint8_t)e));
    case FPY_UPLINK_E_SIGNED:
        return fpy_ulh_fail(u, FPY_ERR_SIGNATURE, FPY_ULC_SIGNED,
                            "%s: the board refused it: %s (upload --key KEY.pem signs it); "
                            "nothing was committed, the old program runs", what,
                            fpy_uplink_error_text((uint8_t)e));
    case FPY_UPLINK_E_OLDER:
        return fpy_ulh_fail(u, FPY_ERR_ROLLBACK, FPY_ULC_OLDER,
                            "%s: the board refused it: %s; raise security_version; nothing "
                            "was committed, the old program runs", what,
                            fpy_uplink_error_text((uint8_t)e));
    default:
        break;
    }
    if (rc == FPY_ERR_IO && e < 0)
        return fpy_ulh_fail(u, rc, FPY_FLC_LINK, "%s: %s", what, u->rc.msg);
    if (rc == FPY_ERR_TIMEOUT)
        return fpy_ulh_fail(u, rc, FPY_FLC_TIMEOUT, "%s: %s", what, u->rc.msg);
    if (e >= 0)
        return fpy_ulh_fail(u, rc, FPY_FLC_PROTOCOL, "%s: the board answered error 0x%02x (%s)",
                            what, (unsigned)e, fpy_uplink_error_text((uint8_t)e));
    return fpy_ulh_fail(u, rc, FPY_FLC_PROTOCOL, "%s: %s", what,
                        u->rc.msg[0] ? u->rc.msg : fpy_strerror(rc));
}

/* SYNC until the window answers: the boot log on the line is skipped. */
static int fpy_ulh_probe(fpy_ulh *u, const char *why)
{
    uint32_t ms = u->o.probe_ms ? u->o.probe_ms : 5000u;
    unsigned tries = ms / FPY_ULH_SYNC_TRY_MS ? ms / FPY_ULH_SYNC_TRY_MS : 1u;
    fpy_ulh_event(u, "sync", 0, 0, 0, NULL, why);
    int rc = fpy_romc_sync(&u->rc, tries);
    if (rc == FPY_OK)
        return FPY_OK;
    if (rc == FPY_ERR_IO)
        return fpy_ulh_fail(u, rc, FPY_FLC_LINK, "the link is gone");
    return fpy_ulh_fail(u, FPY_ERR_TIMEOUT, FPY_ULC_NO_ANSWER,
                        "no answer in the uplink window (%u ms of SYNC): is fipy's VM on the "
                        "board (virtualized), and was the board reset just before?",
                        (unsigned)ms);
}

static int fpy_ulh_info(fpy_ulh *u, fpy_uplink_info *info)
{
    uint8_t p[FPY_UPLINK_INFO_LEN];
    int rc = fpy_romc_retry(&u->rc, FPY_UPLINK_OP_INFO, NULL, 0, sizeof p, 0,
                            FPY_ROMC_T_DEFAULT, p, NULL);
    if (rc == FPY_ERR_UNSUPPORTED)
        return fpy_ulh_fail(u, rc, FPY_ULC_DOWNLOAD,
                            "the board answers as the ESP32 ROM loader: it is in download mode. "
                            "Remove the G23-GND jumper and reset it, then upload again");
    if (rc != FPY_OK)
        return fpy_ulh_board_fail(u, rc, "INFO");
    rc = fpy_uplink_info_decode(p, info);
    if (rc != FPY_OK)
        return fpy_ulh_fail(u, rc, FPY_FLC_PROTOCOL,
                            rc == FPY_ERR_UNSUPPORTED
                                ? "the board speaks another uplink protocol version"
                                : "INFO: the reply is not the uplink's (no FPUL magic)");
    fpy_ulh_event(u, "info", info->idle_addr, info->run_size, info->idle_size, NULL, NULL);
    return FPY_OK;
}

static int fpy_ulh_runs_image(const fpy_ulh *u, const fpy_uplink_info *i)
{
    return i->run_size == u->len && memcmp(i->run_sha256, u->sha, FPY_SHA256_LEN) == 0;
}

/* ACCEPT, then END to close the session so the program runs at once. */
static int fpy_ulh_accept(fpy_ulh *u)
{
    uint8_t flag[4] = {0};
    fpy_ulh_event(u, "accept", 0, 0, 0, NULL, NULL);
    int rc = fpy_romc_retry(&u->rc, FPY_UPLINK_OP_ACCEPT, NULL, 0, 0, 0, FPY_ULH_SLOW_MS, NULL,
                            NULL);
    if (rc != FPY_OK)
        return fpy_ulh_board_fail(u, rc, "ACCEPT");
    (void)fpy_romc_command(&u->rc, FPY_UPLINK_OP_END, flag, sizeof flag, 0, 0,
                           FPY_ROMC_T_DEFAULT, NULL, NULL); /* best effort: it closes anyway */
    return FPY_OK;
}

static int fpy_ulh_begin(fpy_ulh *u)
{
    fpy_uplink_begin b = {u->len, (u->len + FPY_ULH_BLOCK - 1) / FPY_ULH_BLOCK, FPY_ULH_BLOCK,
                          u->r->before.idle_addr, {0}, {0}};
    uint8_t body[FPY_UPLINK_BEGIN_LEN];
    memcpy(b.sha256, u->sha, sizeof b.sha256);
    memcpy(b.head, u->img, FPY_FOTA_BC_HEAD);
    fpy_uplink_begin_encode(&b, body);
    int rc = fpy_romc_retry(&u->rc, FPY_UPLINK_OP_BEGIN, body, sizeof body, 0, 2000u,
                            FPY_ULH_SLOW_MS, NULL, NULL);
    return rc == FPY_OK ? FPY_OK : fpy_ulh_board_fail(u, rc, "BEGIN");
}

/*
 * One block, sent again with the same seq when no usable answer came (a
 * timeout, a garbled reply, or the board saying the block arrived
 * damaged); the board answers a repeat of a block it wrote without
 * writing it again.  After a timeout a SYNC checks the board is still
 * there: a board that lost power or was reset answers nothing, and the
 * upload ends at once instead of waiting out every resend (the old
 * program runs; the same command again starts over).
 */
static int fpy_ulh_block(fpy_ulh *u, const uint8_t *body, size_t bl, uint32_t sum, int last)
{
    uint32_t full = last ? FPY_ULH_SLOW_MS : FPY_ROMC_T_DEFAULT;
    uint32_t t = fpy_romc_t_quick(&u->rc, bl, 16, last ? 2000u : 100u, full);
    unsigned attempts = 1u + (u->o.retries ? u->o.retries : 3u), timeouts = 0;
    int rc = FPY_OK;
    for (unsigned i = 0; i < attempts; i++) {
        if (i > 0) {
            u->r->resends++;
            fpy_ulh_event(u, "retry", 0, 0, 0,
                          rc == FPY_ERR_TIMEOUT ? FPY_FLC_TIMEOUT : FPY_FLC_PROTOCOL,
                          u->rc.msg);
            t = t * 2u < full ? t * 2u : full;
            if (timeouts >= 1 && fpy_romc_sync(&u->rc, 2) != FPY_OK)
                return fpy_ulh_fail(u, FPY_ERR_TIMEOUT, FPY_FLC_TIMEOUT,
                                    "the board stopped answering during the upload (power "
                                    "lost, or reset?); the old program still runs: upload "
                                    "again");
            fpy_romc_drain(&u->rc, rc == FPY_ERR_TIMEOUT ? 0 : 20);
        }
        rc = fpy_romc_command(&u->rc, FPY_UPLINK_OP_DATA, body, (uint16_t)bl, sum, 0, t, NULL,
                              NULL);
        if (rc == FPY_OK)
            return FPY_OK;
        timeouts = rc == FPY_ERR_TIMEOUT ? timeouts + 1u : 0u;
        int garbled = rc == FPY_ERR_TIMEOUT || rc == FPY_ERR_CORRUPT ||
                      u->rc.rom_error == FPY_ROM_E_CHECKSUM ||
                      u->rc.rom_error == FPY_ROM_E_BAD_FORMAT ||
                      u->rc.rom_error == FPY_ROM_E_INVALID_PARAM;
        if (!garbled)
            break;
    }
    return fpy_ulh_board_fail(u, rc, "DATA");
}

static int fpy_ulh_blocks(fpy_ulh *u)
{
    uint8_t body[FPY_ROM_DATA_HDR + FPY_ULH_BLOCK];
    uint32_t nblocks = (u->len + FPY_ULH_BLOCK - 1) / FPY_ULH_BLOCK;
    for (uint32_t seq = 0; seq < nblocks; seq++) {
        if (u->o.stop != NULL && *u->o.stop)
            return fpy_ulh_fail(u, FPY_ERR_STATE, FPY_FLC_INTERRUPTED,
                                "interrupted after %u of %u bytes: nothing was committed, the "
                                "old program runs",
                                (unsigned)(seq * FPY_ULH_BLOCK), (unsigned)u->len);
        uint32_t off = seq * FPY_ULH_BLOCK;
        uint32_t blen = u->len - off < FPY_ULH_BLOCK ? u->len - off : FPY_ULH_BLOCK;
        uint32_t sum = 0;
        size_t bl = fpy_rom_data_build(body, sizeof body, seq, u->img + off, blen, &sum);
        FPY_TRY(fpy_ulh_block(u, body, bl, sum, seq + 1 == nblocks));
        u->r->blocks++;
        fpy_ulh_event(u, "write", u->r->before.idle_addr, off + blen, u->len, NULL, NULL);
    }
    return FPY_OK;
}

static int fpy_ulh_verify(fpy_ulh *u)
{
    uint8_t got[FPY_MD5_LEN];
    int rc = fpy_romc_md5(&u->rc, u->r->before.idle_addr, u->len, got);
    if (rc != FPY_OK)
        return fpy_ulh_board_fail(u, rc, "SPI_FLASH_MD5");
    if (memcmp(got, u->md5, sizeof got) != 0)
        return fpy_ulh_fail(u, FPY_ERR_CHECKSUM, FPY_FLC_MISMATCH,
                            "the idle bytecode slot at 0x%06x differs from the image (MD5): "
                            "nothing was committed, the old program runs",
                            (unsigned)u->r->before.idle_addr);
    fpy_ulh_event(u, "verify", u->r->before.idle_addr, u->len, u->len, NULL, "MD5 verified");
    return FPY_OK;
}

/* END: the board commits the trial and restarts.  A lost reply is no
 * failure yet: INFO in the next window tells what the board runs. */
static int fpy_ulh_end(fpy_ulh *u)
{
    uint8_t flag[4] = {0};
    fpy_ulh_event(u, "commit", u->r->before.idle_addr, u->len, u->len, NULL, NULL);
    int rc = fpy_romc_command(&u->rc, FPY_UPLINK_OP_END, flag, sizeof flag, 0, 0,
                              FPY_ULH_SLOW_MS, NULL, NULL);
    if (rc == FPY_ERR_TIMEOUT || rc == FPY_ERR_CORRUPT)
        return FPY_OK;
    return rc == FPY_OK ? FPY_OK : fpy_ulh_board_fail(u, rc, "END");
}

/* After the restart: the new bytecode must run, on trial; accept it. */
static int fpy_ulh_after(fpy_ulh *u)
{
    fpy_uplink_info *a = &u->r->after;
    fpy_ulh_event(u, "restart", 0, 0, 0, NULL, "waiting for the board to restart");
    FPY_TRY(fpy_ulh_probe(u, "the new window"));
    FPY_TRY(fpy_ulh_info(u, a));
    if (!fpy_ulh_runs_image(u, a))
        return fpy_ulh_fail(u, FPY_ERR_STATE, FPY_ULC_NOT_BOOTED,
                            "the board restarted but runs bytecode slot %u (%u bytes), not the "
                            "new image: its boot refused it or rolled back (see the board's "
                            "boot log)",
                            a->bc_slot, (unsigned)a->run_size);
    FPY_TRY(fpy_ulh_accept(u));
    snprintf(u->r->msg, sizeof u->r->msg,
             "%u bytes of bytecode written to slot %u (0x%06x), verified, running and accepted",
             (unsigned)u->len, a->bc_slot, (unsigned)u->r->before.idle_addr);
    return FPY_OK;
}

static int fpy_ulh_prepare(fpy_ulh *u, const uint8_t *image, size_t len)
{
    fpy_diag d = {0};
    int rc = fpy_bc_verify_mem(image, len, NULL, &u->h, &d);
    if (rc != FPY_OK)
        return fpy_ulh_fail(u, rc, FPY_FLC_INPUT,
                            "not a fipy bytecode image: %s%s%s (%s); nothing was sent",
                            d.what ? d.what : "refused", d.field ? ", field " : "",
                            d.field ? d.field : "", fpy_strerror(rc));
    u->img = image;
    u->len = (uint32_t)len;
    if (fpy_sha256_buf(image, len, u->sha) != FPY_OK || fpy_md5_buf(image, len, u->md5) != FPY_OK)
        return fpy_ulh_fail(u, FPY_ERR_IO, FPY_FLC_INPUT, "cannot hash the image");
    return FPY_OK;
}

static int fpy_ulh_run(fpy_ulh *u)
{
    if (u->o.reset != NULL) {
        fpy_ulh_event(u, "reset", 0, 0, 0, NULL, NULL);
        int rc = u->o.reset(u->o.reset_ctx);
        if (rc != FPY_OK)
            return fpy_ulh_fail(u, rc, FPY_FLC_LINK, "the reset step failed (%s)",
                                fpy_strerror(rc));
    }
    FPY_TRY(fpy_ulh_probe(u, "the uplink window"));
    FPY_TRY(fpy_ulh_info(u, &u->r->before));
    if (fpy_ulh_runs_image(u, &u->r->before)) {
        u->r->already = 1;
        u->r->after = u->r->before;
        FPY_TRY(fpy_ulh_accept(u)); /* a trial of this very image: finish it */
        snprintf(u->r->msg, sizeof u->r->msg,
                 "the image runs already (bytecode slot %u): nothing was sent",
                 u->r->before.bc_slot);
        fpy_ulh_event(u, "note", 0, 0, 0, NULL, u->r->msg);
        return FPY_OK;
    }
    FPY_TRY(fpy_ulh_begin(u));
    FPY_TRY(fpy_ulh_blocks(u));
    FPY_TRY(fpy_ulh_verify(u));
    FPY_TRY(fpy_ulh_end(u));
    return fpy_ulh_after(u);
}

int fpy_uplink_upload(fpy_rom_link link, const uint8_t *image, size_t len,
                      const fpy_uplink_opts *o, fpy_uplink_result *r)
{
    static const fpy_uplink_opts none = {0};
    fpy_ulh u;
    memset(r, 0, sizeof *r);
    memset(&u, 0, sizeof u);
    u.o = o != NULL ? *o : none;
    u.r = r;
    FPY_TRY(fpy_ulh_prepare(&u, image, len));
    fpy_romc_init(&u.rc, link, FPY_UPLINK_BAUD);
    u.rc.peer_err_first = FPY_UPLINK_E_FIRST;
    u.rc.peer_err_last = FPY_UPLINK_E_LAST;
    if (link.ops->set_baud != NULL && link.ops->set_baud(link.ctx, FPY_UPLINK_BAUD) != FPY_OK)
        return fpy_ulh_fail(&u, FPY_ERR_IO, FPY_FLC_LINK, "cannot set the port to 115200 baud");
    int rc = fpy_ulh_run(&u);
    if (rc == FPY_OK)
        fpy_ulh_event(&u, "done", 0, u.len, u.len, NULL, r->msg);
    return rc;
}
