/*
 * The flasher's write path: compare by MD5, write only the changed
 * sectors in chunks, check each chunk, retry (flasher.h, docs/flasher.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fipy/bytes.h"
#include "fipy/err.h"
#include "fipy/hash.h"
#include "flasher_int.h"

#define FPY_FL_BLOCK FPY_ROMC_BLOCK
#define FPY_FL_BLOCK_ATTEMPTS 4u

static void fpy_fl_clear(uint8_t *s, uint32_t from, uint32_t to)
{
    if (from < to)
        memset(s + from, 0, to - from);
}

/* Sectors still to ask about: 1 (2 = decided: differs). */
static int fpy_fl_any(const uint8_t *s, uint32_t from, uint32_t to)
{
    for (uint32_t i = from; i < to; i++)
        if (s[i] == 1)
            return 1;
    return 0;
}

/* Every sector differs (1 or 2): the whole region is to be written. */
static int fpy_fl_all(const uint8_t *s, uint32_t from, uint32_t to)
{
    for (uint32_t i = from; i < to; i++)
        if (s[i] == 0)
            return 0;
    return 1;
}

/* The chip's MD5 of [addr, addr+n), asked again after a fresh SYNC when
 * the reply is lost or garbled. */
static int fpy_fl_chip_md5(fpy_flasher *f, uint32_t addr, uint32_t n, uint8_t md5[FPY_MD5_LEN])
{
    int rc = fpy_romc_md5(&f->rc, addr, n, md5);
    for (unsigned k = 0; k < 3 && (rc == FPY_ERR_TIMEOUT || rc == FPY_ERR_CORRUPT); k++) {
        f->retries++;
        fpy_fl_event(f, "retry", NULL, addr, 0, 0, fpy_fl_code(f, rc), f->rc.msg);
        (void)fpy_romc_sync(&f->rc, 5);
        rc = fpy_romc_md5(&f->rc, addr, n, md5);
    }
    return rc == FPY_OK ? rc : fpy_fl_rom_fail(f, rc, "SPI_FLASH_MD5");
}

int fpy_fl_differs(fpy_flasher *f, uint32_t addr, const uint8_t *buf, uint32_t n)
{
    uint8_t mine[FPY_MD5_LEN], chip[FPY_MD5_LEN];
    FPY_TRY(fpy_fl_chip_md5(f, addr, n, chip));
    if (fpy_md5_buf(buf, n, mine) != FPY_OK)
        return fpy_fl_fail(f, FPY_ERR_IO, FPY_FLC_PROTOCOL, "MD5 of the file failed");
    return memcmp(mine, chip, sizeof mine) != 0;
}

/*
 * One piece of the compare: 0 same, 1 differs.  A piece that differs and
 * whose chip MD5 is that of erased bytes is erased on the chip: its
 * sectors are decided here (a sector differs unless the file's is erased
 * too) without asking sector by sector, which is the first write to a
 * fresh region.  ff: n bytes of 0xFF, or NULL (a sector: not worth it).
 */
static int fpy_fl_piece(fpy_flasher *f, uint32_t addr, const uint8_t *buf, uint32_t n,
                        const uint8_t *ff, uint8_t *suspect, uint32_t first)
{
    uint8_t mine[FPY_MD5_LEN], chip[FPY_MD5_LEN], erased[FPY_MD5_LEN];
    FPY_TRY(fpy_fl_chip_md5(f, addr, n, chip));
    if (fpy_md5_buf(buf, n, mine) != FPY_OK ||
        (ff != NULL && fpy_md5_buf(ff, n, erased) != FPY_OK))
        return fpy_fl_fail(f, FPY_ERR_IO, FPY_FLC_PROTOCOL, "MD5 of the file failed");
    if (memcmp(mine, chip, sizeof mine) == 0)
        return 0;
    if (ff != NULL && memcmp(chip, erased, sizeof chip) == 0)
        for (uint32_t off = 0; off < n; off += FPY_FLASHER_SECTOR) {
            uint32_t m = n - off < FPY_FLASHER_SECTOR ? n - off : FPY_FLASHER_SECTOR;
            suspect[first + off / FPY_FLASHER_SECTOR] = fpy_is_erased(buf + off, m) ? 0 : 2;
        }
    return 1;
}

static int fpy_fl_level(fpy_flasher *f, uint32_t addr, const uint8_t *buf, uint32_t len,
                        uint32_t s, const uint8_t *ff, uint8_t *suspect, int stop_first)
{
    uint32_t nsec = (len + FPY_FLASHER_SECTOR - 1) / FPY_FLASHER_SECTOR;
    for (uint32_t off = 0; off < len; off += s) {
        uint32_t n = len - off < s ? len - off : s;
        uint32_t first = off / FPY_FLASHER_SECTOR;
        uint32_t last = (off + n - 1) / FPY_FLASHER_SECTOR + 1;
        if (!fpy_fl_any(suspect, first, last))
            continue;
        int use_ff = ff != NULL && !stop_first && n > FPY_FLASHER_SECTOR;
        int d = fpy_fl_piece(f, addr + off, buf + off, n, use_ff ? ff : NULL, suspect, first);
        if (d < 0)
            return d;
        if (d == 0) {
            fpy_fl_clear(suspect, first, last);
        } else if (stop_first) {
            fpy_fl_clear(suspect, last, nsec);
            break;
        }
    }
    return FPY_OK;
}

int fpy_fl_compare(fpy_flasher *f, uint32_t addr, const uint8_t *buf, uint32_t len,
                   uint8_t *suspect, int stop_first)
{
    const uint32_t sizes[3] = {len, FPY_FLASHER_CHUNK, FPY_FLASHER_SECTOR};
    uint32_t prev = UINT32_MAX;
    /* erased bytes as long as the largest piece asked about: a region (or
     * a piece) whose chip MD5 is that of erased flash is decided at once,
     * sector by sector from the file (a first write to fresh flash: one
     * MD5 request for the whole file) */
    uint32_t fflen = len > FPY_FLASHER_CHUNK ? len : FPY_FLASHER_CHUNK;
    uint8_t *ff = malloc(fflen);
    int rc = FPY_OK;
    if (ff != NULL)
        memset(ff, 0xFF, fflen);
    for (int l = 0; l < 3 && rc == FPY_OK; l++) {
        if (sizes[l] >= prev)
            continue;
        prev = sizes[l];
        rc = fpy_fl_level(f, addr, buf, len, sizes[l], ff, suspect, stop_first);
    }
    free(ff);
    return rc;
}

/* BEGIN for a chunk of len bytes (a multiple of 4 KiB) sent as n bytes. */
static int fpy_fl_begin(fpy_flasher *f, int defl, uint32_t addr, uint32_t len, uint32_t n)
{
    uint8_t b[16];
    fpy_put_le32(b, len);
    fpy_put_le32(b + 4, (n + FPY_FL_BLOCK - 1) / FPY_FL_BLOCK);
    fpy_put_le32(b + 8, FPY_FL_BLOCK);
    fpy_put_le32(b + 12, addr);
    int rc = fpy_romc_command(&f->rc, defl ? FPY_ROM_FLASH_DEFL_BEGIN : FPY_ROM_FLASH_BEGIN, b,
                              sizeof b, 0, 0, fpy_romc_t_erase(len), NULL, NULL);
    return rc == FPY_OK ? rc : fpy_fl_rom_fail(f, rc, defl ? "FLASH_DEFL_BEGIN" : "FLASH_BEGIN");
}

typedef struct fpy_fl_pos {
    const char *name;
    uint64_t base, total; /* progress: bytes done before this chunk, of all */
} fpy_fl_pos;

/*
 * One block, resent as esptool does (same seq) when it got no usable
 * answer: a timeout, a garbled reply, or an error reply that says the
 * block did not arrive intact (checksum, bad format, or out of order on a
 * first try: a garbled seq).  An "out of order" answer (0x01) to a resend
 * that follows a lost answer means the first copy was applied and only
 * its reply was lost: the block is done.  Any other error reply (a flash
 * write or inflate error) ends the piece; the piece's MD5 judges anyway.
 */
static int fpy_fl_block(fpy_flasher *f, int defl, const uint8_t *body, size_t bl, uint32_t sum,
                        uint32_t work_ms, uint32_t full_ms)
{
    uint8_t op = defl ? FPY_ROM_FLASH_DEFL_DATA : FPY_ROM_FLASH_DATA;
    uint32_t t = fpy_romc_t_quick(&f->rc, bl, 16, work_ms, full_ms);
    int lost = 0, rc = FPY_OK;
    for (unsigned i = 0; i < FPY_FL_BLOCK_ATTEMPTS; i++) {
        if (i > 0) {
            f->rc.resends++;
            f->block_resends++;
            fpy_fl_event(f, "retry", NULL, 0, 0, 0, fpy_fl_code(f, rc), f->rc.msg);
            t = t * 2u < full_ms ? t * 2u : full_ms;
            fpy_romc_drain(&f->rc, rc == FPY_ERR_TIMEOUT ? 0 : 20);
        }
        rc = fpy_romc_command(&f->rc, op, body, (uint16_t)bl, sum, 0, t, NULL, NULL);
        if (rc == FPY_OK || (lost && f->rc.rom_error == FPY_ROM_E_INVALID_PARAM)) {
            if (lost) /* a late copy of an earlier answer must not pass for the next one */
                fpy_romc_drain(&f->rc, t);
            return FPY_OK;
        }
        if (rc == FPY_ERR_TIMEOUT || rc == FPY_ERR_CORRUPT)
            lost = 1;
        else if (rc != FPY_ERR_CHECKSUM && rc != FPY_ERR_INVAL)
            break;
    }
    /* romclient's message names the command already */
    return fpy_fl_fail(f, rc, fpy_fl_code(f, rc), "%s", f->rc.msg[0] ? f->rc.msg : fpy_strerror(rc));
}

/* Stream one chunk: BEGIN (the ROM erases), then the blocks. */
static int fpy_fl_stream(fpy_flasher *f, const fpy_fl_pos *p, uint32_t addr, const uint8_t *data,
                         uint32_t len, const uint8_t *z, uint32_t zlen)
{
    int defl = z != NULL;
    const uint8_t *src = defl ? z : data;
    uint32_t n = defl ? zlen : len, nblocks = (n + FPY_FL_BLOCK - 1) / FPY_FL_BLOCK;
    uint8_t body[FPY_ROM_DATA_HDR + FPY_FL_BLOCK];
    /* the ROM writes (and inflates) before it answers: 40 s/MB of what a
     * block becomes on average, as esptool allows for DEFL */
    uint32_t work_ms = (uint32_t)((uint64_t)len * 40u / 1000u / nblocks);
    uint32_t full_ms = defl ? fpy_romc_t_defl(len) : FPY_ROMC_T_DEFAULT;
    FPY_TRY(fpy_fl_begin(f, defl, addr, len, n));
    for (uint32_t seq = 0; seq < nblocks; seq++) {
        if (fpy_fl_stopped(f))
            return FPY_ERR_STATE;
        uint32_t blen = n - seq * FPY_FL_BLOCK < FPY_FL_BLOCK ? n - seq * FPY_FL_BLOCK : FPY_FL_BLOCK;
        uint32_t sum = 0;
        size_t bl = fpy_rom_data_build(body, sizeof body, seq, src + seq * FPY_FL_BLOCK, blen, &sum);
        FPY_TRY(fpy_fl_block(f, defl, body, bl, sum, work_ms, full_ms));
        f->blocks++;
        f->wire_bytes += blen;
        fpy_fl_event(f, "write", p->name, addr, p->base + (uint64_t)len * (seq + 1) / nblocks,
                     p->total, NULL, NULL);
    }
    return FPY_OK;
}

/* Stream the chunk, compressed when zlib makes it smaller, then check it. */
static int fpy_fl_chunk_once(fpy_flasher *f, const fpy_fl_pos *p, uint32_t addr,
                             const uint8_t *data, uint32_t len)
{
    uint8_t *z = NULL;
    uLongf zlen = 0;
    if (!f->o.no_compress) {
        zlen = compressBound(len);
        z = malloc(zlen);
        if (z == NULL)
            return fpy_fl_fail(f, FPY_ERR_NOSPC, FPY_FLC_PROTOCOL, "out of memory");
        if (compress2(z, &zlen, data, len, 9) != Z_OK || zlen >= len) {
            free(z);
            z = NULL;
        }
    }
    int rc = fpy_fl_stream(f, p, addr, data, len, z, (uint32_t)zlen);
    free(z);
    if (rc != FPY_OK)
        return rc;
    rc = fpy_fl_differs(f, addr, data, len);
    if (rc > 0)
        return fpy_fl_fail(f, FPY_ERR_CHECKSUM, FPY_FLC_MISMATCH,
                           "0x%x..0x%x of %s: the chip's MD5 differs after writing", (unsigned)addr,
                           (unsigned)(addr + len), p->name);
    return rc;
}

/* After a failed attempt: a fresh SYNC (the ROM may still be busy with
 * the lost block), then a slower rate from the second failure on.  A
 * board that answers no SYNC at all is gone (power, cable): no point in
 * more attempts. */
static int fpy_fl_recover(fpy_flasher *f, unsigned attempt)
{
    static const uint32_t steps[] = {460800u, 230400u, 115200u};
    if (fpy_romc_sync(&f->rc, 5) != FPY_OK) {
        char why[sizeof f->msg];
        snprintf(why, sizeof why, "%s", f->msg[0] ? f->msg : "a failed piece");
        return fpy_fl_fail(f, FPY_ERR_TIMEOUT, FPY_FLC_TIMEOUT,
                           "the board stopped answering (no reply to SYNC) after: %s", why);
    }
    if (attempt >= 1) {
        for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
            if (steps[i] < f->rc.baud) {
                if (fpy_romc_change_baud(&f->rc, steps[i]) == FPY_OK)
                    fpy_fl_event(f, "baud", NULL, steps[i], 0, 0, NULL, "stepping down");
                break;
            }
    }
    return FPY_OK;
}

/* The piece size after a piece verified (4 in a row: back up by 4) or
 * failed (down by 4, to 4 KiB). */
static uint32_t fpy_fl_piece_max(const fpy_flasher *f)
{
    return f->o.piece_max ? f->o.piece_max : FPY_FLASHER_PIECE_MAX;
}

static void fpy_fl_piece_adapt(fpy_flasher *f, int ok)
{
    if (!ok) {
        f->piece_ok = 0;
        f->piece = f->piece / 4u < FPY_FLASHER_PIECE_MIN ? FPY_FLASHER_PIECE_MIN : f->piece / 4u;
    } else if (++f->piece_ok >= 4 && f->piece < fpy_fl_piece_max(f)) {
        f->piece_ok = 0;
        f->piece *= 4u;
    }
}

/* A run of changed sectors, in pieces of f->piece bytes, each retried
 * (smaller) until it verifies or its attempts are spent. */
static int fpy_fl_chunk(fpy_flasher *f, const fpy_fl_pos *p, uint32_t addr, const uint8_t *data,
                        uint32_t len)
{
    unsigned max = f->o.retries ? f->o.retries : 3, failures = 0;
    uint32_t off = 0;
    if (f->piece == 0)
        f->piece = fpy_fl_piece_max(f);
    while (off < len) {
        uint32_t n = len - off < f->piece ? len - off : f->piece;
        fpy_fl_pos q = {p->name, p->base + off, p->total};
        int rc = fpy_fl_chunk_once(f, &q, addr + off, data + off, n);
        if (rc == FPY_OK) {
            f->chunks++;
            f->sectors_written += n / FPY_FLASHER_SECTOR;
            fpy_fl_piece_adapt(f, 1);
            off += n;
            failures = 0;
            continue;
        }
        if (rc == FPY_ERR_STATE || (f->code != NULL && strcmp(f->code, FPY_FLC_LINK) == 0) ||
            failures >= max)
            return rc;
        f->retries++;
        fpy_fl_event(f, "retry", p->name, addr + off, q.base, p->total, f->code, f->msg);
        fpy_fl_piece_adapt(f, 0);
        FPY_TRY(fpy_fl_recover(f, failures++));
    }
    return FPY_OK;
}

static void fpy_fl_done_msg(fpy_flasher *f, const fpy_flash_region *r, uint32_t upto)
{
    if (upto == 0)
        snprintf(f->done_msg, sizeof f->done_msg, "nothing of %s written yet", r->name);
    else
        snprintf(f->done_msg, sizeof f->done_msg, "0x%x..0x%x of %s written and verified",
                 (unsigned)r->addr, (unsigned)(r->addr + upto), r->name);
}

/* The changed sectors of one padded region, in chunks. */
static int fpy_fl_runs(fpy_flasher *f, const fpy_flash_region *r, const uint8_t *buf,
                       const uint8_t *dirty, uint32_t nsec, fpy_fl_pos *p)
{
    uint32_t i = 0;
    while (i < nsec) {
        uint32_t j = i;
        while (j < nsec && dirty[j] && (j - i) * FPY_FLASHER_SECTOR < fpy_fl_piece_max(f))
            j++;
        if (j == i) {
            p->base += FPY_FLASHER_SECTOR;
            fpy_fl_done_msg(f, r, ++i * FPY_FLASHER_SECTOR);
            continue;
        }
        if (fpy_fl_stopped(f))
            return FPY_ERR_STATE;
        uint32_t off = i * FPY_FLASHER_SECTOR, len = (j - i) * FPY_FLASHER_SECTOR;
        FPY_TRY(fpy_fl_chunk(f, p, r->addr + off, buf + off, len));
        p->base += len;
        i = j;
        fpy_fl_done_msg(f, r, i * FPY_FLASHER_SECTOR);
    }
    return FPY_OK;
}

static int fpy_fl_region(fpy_flasher *f, const fpy_flash_region *r, fpy_fl_pos *p)
{
    uint32_t len = fpy_fl_padded(r->len), nsec = len / FPY_FLASHER_SECTOR;
    uint8_t *buf = malloc(len), *dirty = malloc(nsec);
    int rc = FPY_OK;
    if (buf == NULL || dirty == NULL)
        rc = fpy_fl_fail(f, FPY_ERR_NOSPC, FPY_FLC_PROTOCOL, "out of memory");
    if (rc == FPY_OK) {
        memcpy(buf, r->data, r->len);
        memset(buf + r->len, 0xFF, len - r->len); /* the ROM erases the rest of the sector */
        memset(dirty, 1, nsec);
        fpy_fl_done_msg(f, r, 0);
        p->name = r->name;
        fpy_fl_event(f, "compare", r->name, r->addr, p->base, p->total, NULL, NULL);
        if (!f->o.no_skip)
            rc = fpy_fl_compare(f, r->addr, buf, len, dirty, 0);
    }
    if (rc == FPY_OK) {
        for (uint32_t i = 0; i < nsec; i++)
            f->sectors_skipped += !dirty[i];
        rc = fpy_fl_runs(f, r, buf, dirty, nsec, p);
    }
    if (rc == FPY_OK && fpy_fl_all(dirty, 0, nsec)) {
        /* every sector was written, and each piece checked by MD5 right
         * after: a check of the whole region would ask the same again */
        fpy_fl_event(f, "verify", r->name, r->addr, p->base, p->total, NULL, "MD5 verified");
    } else if (rc == FPY_OK) {
        /* the whole region once more: what was skipped and what was written */
        rc = fpy_fl_differs(f, r->addr, buf, len);
        if (rc > 0)
            rc = fpy_fl_fail(f, FPY_ERR_CHECKSUM, FPY_FLC_MISMATCH,
                             "%s at 0x%x: the chip's MD5 of the region differs after writing",
                             r->name, (unsigned)r->addr);
        if (rc == FPY_OK)
            fpy_fl_event(f, "verify", r->name, r->addr, p->base, p->total, NULL, "MD5 verified");
    }
    free(buf);
    free(dirty);
    return rc;
}

int fpy_flasher_write(fpy_flasher *f, const fpy_flash_region *r, size_t n)
{
    fpy_fl_pos p = {NULL, 0, 0};
    int rc = fpy_flasher_check(r, n, f->flash_size, f->msg, sizeof f->msg);
    if (rc != FPY_OK) {
        f->code = FPY_FLC_INPUT;
        return rc;
    }
    for (size_t i = 0; i < n; i++)
        p.total += fpy_fl_padded(r[i].len);
    for (size_t i = 0; i < n && rc == FPY_OK; i++)
        rc = fpy_fl_region(f, &r[i], &p);
    if (rc == FPY_ERR_STATE) {
        f->interrupted = 1;
        return fpy_fl_fail(f, rc, FPY_FLC_INTERRUPTED,
                           "interrupted: %s; run the same command again to resume", f->done_msg);
    }
    if (rc == FPY_OK)
        fpy_fl_event(f, "done", NULL, 0, p.total, p.total, NULL, NULL);
    return rc;
}
