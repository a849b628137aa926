/*
 * esptool's flasher stub, emulated over the board's flash (sim/stubdev.h).
 * The protocol facts are ../shared/docs/stub_and_rfc2217.md §2–3; where
 * the two stub families answer differently, the flavour table of
 * stubdev_images.h says how.  The command loop follows the new stub's
 * shape: a command is checked and answered, and the work that the real
 * stub does after its reply (writing a block, changing the baud, starting
 * a READ_FLASH stream) runs after the reply here too; its flash time then
 * delays the next output, as on the chip.
 */
#include "stubdev.h"

#include <mbedtls/md5.h>
#include <mbedtls/version.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fipy/bytes.h"
#include "fipy/hash.h"
#include "fipy/rom.h"
#include "stubdev_images.h"

/* mbedTLS 2 names its checked calls *_ret; 3 dropped the suffix
 * (port/host/hash.c does the same for its one-shot MD5). */
#if MBEDTLS_VERSION_NUMBER < 0x03000000
#define FPY_STUB_MD5_STARTS mbedtls_md5_starts_ret
#define FPY_STUB_MD5_UPDATE mbedtls_md5_update_ret
#define FPY_STUB_MD5_FINISH mbedtls_md5_finish_ret
#else
#define FPY_STUB_MD5_STARTS mbedtls_md5_starts
#define FPY_STUB_MD5_UPDATE mbedtls_md5_update
#define FPY_STUB_MD5_FINISH mbedtls_md5_finish
#endif

#define FPY_STUB_BLOCK 0x4000u      /* the stub's FLASH_DATA block */
#define FPY_STUB_SECTOR 0x1000u     /* ERASE_REGION's unit on the wire */
#define FPY_STUB_READ_MAX 4096u     /* N's READ_FLASH buffer */
#define FPY_STUB_FRAME_MAX (FPY_ROM_HDR + FPY_STUB_BLOCK + 0xFFu) /* N's frame buffer */
#define FPY_STUB_L_DATA_MAX (FPY_STUB_BLOCK + FPY_ROM_DATA_HDR)  /* L: larger data → C0 EE */
#define FPY_STUB_OK 0u
#define FPY_STUB_NO_REPLY 0x100 /* a handler that answered (or must not) itself */

/* Work the real stub does after its reply (N's post-process). */
typedef enum fpy_stub_post {
    FPY_STUB_POST_NONE = 0,
    FPY_STUB_POST_WRITE,    /* FLASH_DATA: write the block */
    FPY_STUB_POST_INFLATE,  /* FLASH_DEFL_DATA: inflate and write */
    FPY_STUB_POST_BAUD,     /* CHANGE_BAUDRATE: switch */
    FPY_STUB_POST_READ,     /* READ_FLASH: send the first packet */
    FPY_STUB_POST_REBOOT,   /* legacy FLASH_END(0) */
    FPY_STUB_POST_RAM       /* MEM_END(0, entry): cannot run it */
} fpy_stub_post;

/* A FLASH_BEGIN or FLASH_DEFL_BEGIN in progress. */
typedef struct fpy_stub_write {
    uint8_t active, defl, z_live;
    uint32_t remaining;      /* bytes still to write */
    uint32_t comp_remaining; /* DEFL: nblocks * block not yet received */
    fpy_pagewriter pw;
    z_stream z;
} fpy_stub_write;

/* A READ_FLASH stream (one packet in flight, as both stubs do). */
typedef struct fpy_stub_read {
    uint8_t active;
    uint32_t addr, length, packet;
    uint32_t remaining; /* bytes not yet sent */
    uint32_t acked;     /* the last ack's byte count */
    mbedtls_md5_context md5;
} fpy_stub_read;

struct fpy_stubdev {
    const fpy_stub_image *img;
    const fpy_stub_flavour *fl;
    const fpy_flash *f;
    fpy_devout out;
    fpy_stubdev_hooks hooks;
    uint64_t last_ns;   /* simulated flash time at the last output */
    uint64_t extra_us;  /* fixed delays (WRITE_REG's) since the last output */
    uint8_t late;       /* an error of work after a reply, for a later reply */
    uint8_t reboot_now; /* FLASH_END(0) under a legacy stub */
    fpy_stub_post post;
    uint32_t post_arg;
    const uint8_t *post_data; /* the *_DATA bytes for POST_WRITE/INFLATE */
    uint32_t post_len;
    uint32_t mem_remaining; /* MEM_BEGIN in progress: bytes still expected */
    uint8_t mem_active;
    fpy_stub_write wr;
    fpy_stub_read rd;
    uint8_t buf[FPY_STUB_READ_MAX]; /* flash reads, inflated bytes */
};

/* ---- recognising the upload ------------------------------------------ */

static int fpy_stub_seg_is(const fpy_ram_seg *seg, uint32_t addr, uint32_t len,
                           const uint8_t sha[32])
{
    uint8_t got[FPY_SHA256_LEN];
    if (seg->addr != addr || seg->len != len || (len > 0 && seg->data == NULL))
        return 0;
    if (fpy_sha256_buf(seg->data, seg->len, got) != FPY_OK)
        return 0;
    return fpy_digest_cmp(got, sha, FPY_SHA256_LEN) == 0;
}

static int fpy_stub_image_is(const fpy_stub_image *img, const fpy_ram_seg *segs, size_t nseg,
                             uint32_t entry)
{
    if (entry != img->entry || nseg != 2)
        return 0;
    for (size_t t = 0; t < 2; t++) {
        const fpy_ram_seg *text = &segs[t], *data = &segs[1 - t];
        if (fpy_stub_seg_is(text, img->text_addr, img->text_len, img->text_sha256) &&
            fpy_stub_seg_is(data, img->data_addr, img->data_len, img->data_sha256))
            return 1;
    }
    return 0;
}

static const fpy_stub_image *fpy_stub_image_find(const fpy_ram_seg *segs, size_t nseg,
                                                 uint32_t entry)
{
    if (segs == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof fpy_stub_images / sizeof fpy_stub_images[0]; i++)
        if (fpy_stub_image_is(&fpy_stub_images[i], segs, nseg, entry))
            return &fpy_stub_images[i];
    return NULL;
}

const char *fpy_stubdev_recognise(const fpy_ram_seg *segs, size_t nseg, uint32_t entry)
{
    const fpy_stub_image *img = fpy_stub_image_find(segs, nseg, entry);
    return img != NULL ? img->name : NULL;
}

/* ---- output and simulated time --------------------------------------- */

static uint64_t fpy_stub_now_ns(const fpy_stubdev *s)
{
    return s->hooks.sim != NULL ? s->hooks.sim->stats.time_ns : 0;
}

/* A packet out, ready after the flash work done since the last output
 * (whole microseconds; the rest carries over) and the fixed delays. */
static void fpy_stub_send(fpy_stubdev *s, const uint8_t *pkt, size_t n)
{
    uint64_t now = fpy_stub_now_ns(s);
    uint64_t us = (now >= s->last_ns ? (now - s->last_ns) / 1000u : 0) + s->extra_us;
    s->last_ns = now >= s->last_ns ? s->last_ns + (us - s->extra_us) * 1000u : now;
    s->extra_us = 0;
    s->out.send(s->out.ctx, pkt, n, us > UINT32_MAX ? UINT32_MAX : (uint32_t)us);
}

/* A reply: header, payload, then the 2 status bytes (code, 0). */
static void fpy_stub_reply(fpy_stubdev *s, uint8_t op, uint32_t value, const uint8_t *payload,
                           size_t plen, uint8_t code, uint8_t second)
{
    uint8_t pkt[FPY_ROM_HDR + FPY_MD5_LEN + 2];
    size_t n = fpy_rom_resp_build(pkt, sizeof pkt, op, value, payload, plen, code, second,
                                  FPY_ROM_STATUS_STUB);
    if (n > 0)
        fpy_stub_send(s, pkt, n);
}

/* Any flash failure is the stub's "Failed SPI operation". */
static uint8_t fpy_stub_flash_code(int rc)
{
    return rc == FPY_OK ? FPY_STUB_OK : FPY_STUB_E_FAILED_SPI_OP;
}

/* ---- flash writing ---------------------------------------------------- */

static void fpy_stub_write_stop(fpy_stubdev *s)
{
    if (s->wr.z_live)
        inflateEnd(&s->wr.z);
    memset(&s->wr, 0, sizeof s->wr);
}

/* Append n bytes at the write position (the caller has capped n at
 * remaining); the last byte flushes the page buffer, so that an MD5 or a
 * READ_FLASH without FLASH_END (4.8.1 sends none) sees all of it. */
static uint8_t fpy_stub_write_put(fpy_stubdev *s, const uint8_t *p, uint32_t n)
{
    int rc = fpy_pagewriter_put(&s->wr.pw, p, n);
    s->wr.remaining -= n;
    if (rc == FPY_OK && s->wr.remaining == 0)
        rc = fpy_pagewriter_flush(&s->wr.pw);
    return fpy_stub_flash_code(rc);
}

/* Open a write of total bytes at offset: the sectors from offset & ~0xFFF
 * on are erased as the writing reaches them (the stub's just-in-time
 * erase); the bytes of the first sector before offset end up erased, as
 * on the chip, because 0xFF is written there after the erase. */
static uint8_t fpy_stub_write_open(fpy_stubdev *s, uint32_t total, uint32_t offset, int defl,
                                   uint32_t comp_budget)
{
    if (!fpy_in_bounds(offset, total, s->f->geo.size))
        return FPY_STUB_E_FAILED_SPI_OP;
    fpy_stub_write_stop(s);
    uint32_t start = offset & ~(s->f->geo.sector_size - 1u);
    fpy_pagewriter_start(&s->wr.pw, s->f, start, 1);
    s->wr.active = 1;
    s->wr.defl = defl ? 1u : 0u;
    s->wr.remaining = total;
    s->wr.comp_remaining = comp_budget;
    if (defl) {
        if (inflateInit(&s->wr.z) != Z_OK)
            return FPY_STUB_E_INFLATE;
        s->wr.z_live = 1;
    }
    if (total == 0)
        return FPY_STUB_OK;
    memset(s->buf, FPY_FLASH_ERASED, sizeof s->buf);
    for (uint32_t pad = offset - start; pad > 0;) {
        uint32_t k = pad < sizeof s->buf ? pad : (uint32_t)sizeof s->buf;
        int rc = fpy_pagewriter_put(&s->wr.pw, s->buf, k);
        if (rc != FPY_OK)
            return fpy_stub_flash_code(rc);
        pad -= k;
    }
    return FPY_STUB_OK;
}

/* Inflate one DEFL_DATA block into the write.  Output past the announced
 * size is "too much data"; bytes after the zlib stream's end are ignored
 * (the new stub stops at the end of the stream).  inflate() is called
 * again while it fills the whole buffer: it may hold output back that
 * needs no more input. */
static uint8_t fpy_stub_inflate(fpy_stubdev *s, const uint8_t *p, uint32_t n)
{
    z_stream *z = &s->wr.z;
    z->next_in = (Bytef *)(uintptr_t)p; /* zlib's API is not const */
    z->avail_in = (uInt)n;
    for (;;) {
        z->next_out = s->buf;
        z->avail_out = (uInt)sizeof s->buf;
        int zr = inflate(z, Z_NO_FLUSH);
        uint32_t got = (uint32_t)(sizeof s->buf - z->avail_out);
        if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
            return FPY_STUB_E_INFLATE;
        uint32_t k = got < s->wr.remaining ? got : s->wr.remaining;
        uint8_t code = k > 0 ? fpy_stub_write_put(s, s->buf, k) : FPY_STUB_OK;
        if (code != FPY_STUB_OK)
            return code;
        if (k < got)
            return FPY_STUB_E_TOO_MUCH_DATA;
        /* The end (zlib answers Z_STREAM_END again, without output, past
         * it), or room left: the input is used up. */
        if (zr == Z_STREAM_END || z->avail_out != 0)
            return FPY_STUB_OK;
    }
}

/* ---- READ_FLASH -------------------------------------------------------- */

static void fpy_stub_read_digest(fpy_stubdev *s)
{
    uint8_t md5[FPY_MD5_LEN];
    if (FPY_STUB_MD5_FINISH(&s->rd.md5, md5) != 0)
        memset(md5, 0, sizeof md5); /* cannot happen with mbedTLS's MD5 */
    mbedtls_md5_free(&s->rd.md5);
    s->rd.active = 0;
    fpy_stub_send(s, md5, sizeof md5);
}

/* Called once when the stream starts and once per ack: so one packet is
 * in flight at a time, as both stubs do whatever "max in flight" says.
 * Sends the next packet, or the digest once everything sent was
 * acknowledged.  A flash failure ends the stream with the digest of what
 * was sent (the host sees the short read). */
static void fpy_stub_read_pump(fpy_stubdev *s)
{
    fpy_stub_read *r = &s->rd;
    if (r->remaining > 0) {
        uint32_t k = r->remaining < r->packet ? r->remaining : r->packet;
        uint32_t at = r->addr + (r->length - r->remaining);
        if (fpy_flash_read(s->f, at, s->buf, k) != FPY_OK) {
            fpy_stub_read_digest(s);
            return;
        }
        (void)FPY_STUB_MD5_UPDATE(&r->md5, s->buf, k);
        r->remaining -= k;
        fpy_stub_send(s, s->buf, k);
    }
    if (r->remaining == 0 && r->acked >= r->length)
        fpy_stub_read_digest(s);
}

/* A frame while a READ_FLASH streams: a 4-byte ack (bytes received so
 * far; 1 returned: consumed) or, like the new stub, anything else ends
 * the stream with the digest of what was sent, and is then taken as a
 * command (0 returned): a host that gave up on the read and syncs again
 * gets its answer. */
static int fpy_stub_read_frame(fpy_stubdev *s, const uint8_t *frame, size_t n)
{
    if (n != 4) {
        fpy_stub_read_digest(s);
        return 0;
    }
    s->rd.acked = fpy_get_le32(frame);
    fpy_stub_read_pump(s);
    return 1;
}

/* ---- the commands ------------------------------------------------------ */

typedef struct fpy_stub_ans {
    uint32_t value;
    uint8_t payload[FPY_MD5_LEN];
    size_t plen;
} fpy_stub_ans;

typedef int (*fpy_stub_handler)(fpy_stubdev *s, const fpy_rom_req *r, fpy_stub_ans *a);

static int fpy_stub_sync(fpy_stubdev *s, const fpy_rom_req *r, fpy_stub_ans *a)
{
    (void)a;
    if (r->size != 36)
        return FPY_STUB_E_BAD_DATA_LEN;
    /* Eight replies with value 0 (the ROM's are non-zero): seven here, the
     * eighth is the command's own. */
    for (int i = 0; i < 7; i++)
        fpy_stub_reply(s, FPY_ROM_SYNC, 0, NULL, 0, FPY_STUB_OK, 0);
    return FPY_STUB_OK;
}

static int fpy_stub_begin(fpy_stubdev *s, const fpy_rom_req *r, int defl)
{
    if (r->size != 16 && !(r->size == 20 && s->fl->begin20))
        return FPY_STUB_E_BAD_DATA_LEN;
    uint32_t total = fpy_get_le32(r->data), nblocks = fpy_get_le32(r->data + 4);
    uint32_t block = fpy_get_le32(r->data + 8), offset = fpy_get_le32(r->data + 12);
    if (s->fl->check_block && block > FPY_STUB_BLOCK)
        return FPY_STUB_E_BAD_BLOCKSIZE;
    /* An encrypted write (esptool --encrypt) is refused rather than
     * written in the clear: an unprotected board has no key, and a board
     * fipytool protect protected has DISABLE_DL_ENCRYPT burnt, with which
     * the chip's download mode does not encrypt either (docs/security.md). */
    if (r->size == 20 && fpy_get_le32(r->data + 16) != 0)
        return FPY_STUB_E_NOT_IMPLEMENTED;
    uint64_t budget = (uint64_t)nblocks * block;
    uint8_t code = fpy_stub_write_open(s, total, offset, defl,
                                       budget > UINT32_MAX ? UINT32_MAX : (uint32_t)budget);
    if (code != FPY_STUB_OK)
        fpy_stub_write_stop(s);
    return code;
}

static int fpy_stub_flash_begin(fpy_stubdev *s, const fpy_rom_req *r, fpy_stub_ans *a)
{
    (void)a;
    return fpy_stub_begin(s, r, 0);
}

static int fpy_stub_defl_begin(fpy_stubdev *s, const fpy_rom_req *r, fpy_stub_ans *a)
{
    (void)a;
    return fpy_stub_begin(s, r, 1);
}

/* The checks of a *_DATA command before its ack (the write follows it). */
static int fpy_stub_data_check(fpy_stubdev *s, const fpy_rom_req *r, int defl)
{
    uint32_t seq, len;
    const uint8_t *bytes;
    if (r->size < FPY_ROM_DATA_HDR)
        return defl ? FPY_STUB_E_BAD_DATA_LEN : s->fl->e_data_short;
    if (!s->wr.active || s->wr.defl != (defl ? 1u : 0u))
        return FPY_STUB_E_NOT_IN_FLASH_MODE;
    if (defl && s->wr.remaining == 0)
        return FPY_STUB_E_TOO_MUCH_DATA;
    int rc = fpy_rom_data_parse(r, &seq, &bytes, &len);
    if (rc == FPY_ERR_CHECKSUM)
        return FPY_STUB_E_BAD_DATA_CHECKSUM;
    if (rc != FPY_OK)
        return defl ? FPY_STUB_E_BAD_DATA_LEN : s->fl->e_data_len;
    if (defl && len > s->wr.comp_remaining)
        return FPY_STUB_E_TOO_MUCH_DATA;
    s->post = defl ? FPY_STUB_POST_INFLATE : FPY_STUB_POST_WRITE;
    s->post_data = bytes;
    s->post_len = len;
    return FPY_STUB_OK;
}

static int fpy_stub_flash_data(fpy_stubdev *s, const fpy_rom_req *r, fpy_stub_ans *a)
{
    (void)a;
    return fpy_stub_data_check(s, r, 0);
}

static int fpy_stub_defl_data(fpy_stubdev *s, const fpy_rom_req *r, fpy_stub_ans *a)
{
    (void)a;
    return fpy_stub_data_check(s, r, 1);
}

/* FLASH_END and FLASH_DEFL_END end either kind of write (4.8.1 leaves
 * with FLASH_BEGIN + FLASH_DEFL_END). */
static int fpy_stub_end(fpy_stubdev *s, const fpy_rom_req *r, fpy_stub_ans *a)
{
    (void)a;
    if (r->size != 4)
        return FPY_STUB_E_BAD_DATA_LEN;
    if (!s->wr.active)
        return FPY_STUB_E_NOT_IN_FLASH_MODE;
    if (s->wr.remaining != 0)
        return s->fl->e_end_early;
    fpy_stub_write_stop(s);
    if (fpy_get_le32(r->data) == 0 && s->fl->legacy)
        s->post = FPY_STUB_POST_REBOOT;
    return FPY_STUB_OK;
}

/* RAM loading in stub mode: lengths are kept, the bytes go nowhere; a
 * program cannot run on the virtual board. */
static int fpy_stub_mem_begin(fpy_stubdev *s, const fpy_rom_req *r, fpy_stub_ans *a)
{
    (void)a;
    if (r->size != 16)
        return FPY_STUB_E_BAD_DATA_LEN;
    s->mem_remaining = fpy_get_le32(r->data);
    s->mem_active = 1;
    return FPY_STUB_OK;
}

static int fpy_stub_mem_data(fpy_stubdev *s, const fpy_rom_req *r, fpy_stub_ans *a)
{
    (void)a;
    if (r->size < FPY_ROM_DATA_HDR)
        return FPY_STUB_E_NOT_ENOUGH_DATA;
    if (!s->mem_active)
        return FPY_STUB_E_NOT_IN_FLASH_MODE;
    uint32_t len = fpy_get_le32(r->data);
    if (len > s->mem_remaining || len != (uint32_t)r->size - FPY_ROM_DATA_HDR)
        return FPY_STUB_E_TOO_MUCH_DATA;
    s->mem_remaining -= len;
    return FPY_STUB_OK;
}

static int fpy_stub_mem_end(fpy_stubdev *s, const fpy_rom_req *r, fpy_stub_ans *a)
{
    (void)a;
    if (r->size != 8)
        return FPY_STUB_E_BAD_DATA_LEN;
    if (!s->mem_active)
        return FPY_STUB_E_NOT_IN_FLASH_MODE;
    if (s->fl->legacy && s->mem_remaining != 0)
        return FPY_STUB_E_NOT_ENOUGH_DATA;
    s->mem_active = 0;
    if (fpy_get_le32(r->data) == 0) {
        s->post = FPY_STUB_POST_RAM;
        s->post_arg = fpy_get_le32(r->data + 4);
    }
    return FPY_STUB_OK;
}

static uint32_t fpy_stub_reg_read(fpy_stubdev *s, uint32_t addr)
{
    return s->hooks.read_reg != NULL ? s->hooks.read_reg(s->hooks.ctx, addr) : 0;
}

static int fpy_stub_write_reg(fpy_stubdev *s, const fpy_rom_req *r, fpy_stub_ans *a)
{
    (void)a;
    if (r->size == 0 || r->size % 16u != 0)
        return s->fl->e_reg_len;
    for (size_t at = 0; at < r->size; at += 16) {
        uint32_t addr = fpy_get_le32(r->data + at), value = fpy_get_le32(r->data + at + 4);
        uint32_t mask = fpy_get_le32(r->data + at + 8);
        s->extra_us += fpy_get_le32(r->data + at + 12); /* the delay comes first */
        uint32_t v = value & mask;
        if (mask != 0xFFFFFFFFu)
            v |= fpy_stub_reg_read(s, addr) & ~mask;
        if (s->hooks.write_reg != NULL)
            s->hooks.write_reg(s->hooks.ctx, addr, v);
    }
    return FPY_STUB_OK;
}

static int fpy_stub_read_reg(fpy_stubdev *s, const fpy_rom_req *r, fpy_stub_ans *a)
{
    if (r->size != 4)
        return FPY_STUB_E_BAD_DATA_LEN;
    a->value = fpy_stub_reg_read(s, fpy_get_le32(r->data));
    return FPY_STUB_OK;
}

/* SPI_SET_PARAMS sets the stub's idea of the chip; the emulation keeps
 * to the board's real flash, whose bounds every operation checks. */
static int fpy_stub_set_params(fpy_stubdev *s, const fpy_rom_req *r, fpy_stub_ans *a)
{
    (void)s;
    (void)a;
    return r->size == 24 ? FPY_STUB_OK : FPY_STUB_E_BAD_DATA_LEN;
}

static int fpy_stub_attach(fpy_stubdev *s, const fpy_rom_req *r, fpy_stub_ans *a)
{
    (void)s;
    (void)a;
    return r->size == 4 ? FPY_STUB_OK : FPY_STUB_E_BAD_DATA_LEN;
}

static int fpy_stub_baud(fpy_stubdev *s, const fpy_rom_req *r, fpy_stub_ans *a)
{
    (void)a;
    if (r->size != 8)
        return FPY_STUB_E_BAD_DATA_LEN;
    uint32_t baud = fpy_get_le32(r->data);
    /* The chip would take 0 and go deaf; the emulation refuses it. */
    if (baud == 0)
        return FPY_STUB_E_BAD_DATA_LEN;
    s->post = FPY_STUB_POST_BAUD;
    s->post_arg = baud;
    return FPY_STUB_OK;
}

static int fpy_stub_md5(fpy_stubdev *s, const fpy_rom_req *r, fpy_stub_ans *a)
{
    if (r->size != 16)
        return FPY_STUB_E_BAD_DATA_LEN;
    uint32_t addr = fpy_get_le32(r->data), len = fpy_get_le32(r->data + 4);
    if (!fpy_in_bounds(addr, len, s->f->geo.size))
        return s->fl->e_md5_read;
    mbedtls_md5_context md5;
    mbedtls_md5_init(&md5);
    int bad = FPY_STUB_MD5_STARTS(&md5) != 0;
    for (uint32_t done = 0; !bad && done < len;) {
        uint32_t k = len - done < sizeof s->buf ? len - done : (uint32_t)sizeof s->buf;
        bad = fpy_flash_read(s->f, addr + done, s->buf, k) != FPY_OK ||
              FPY_STUB_MD5_UPDATE(&md5, s->buf, k) != 0;
        done += k;
    }
    bad = bad || FPY_STUB_MD5_FINISH(&md5, a->payload) != 0;
    mbedtls_md5_free(&md5);
    if (bad)
        return s->fl->e_md5_read;
    a->plen = FPY_MD5_LEN;
    return FPY_STUB_OK;
}

static int fpy_stub_read_flash(fpy_stubdev *s, const fpy_rom_req *r, fpy_stub_ans *a)
{
    (void)a;
    if (r->size != 16)
        return FPY_STUB_E_BAD_DATA_LEN;
    uint32_t addr = fpy_get_le32(r->data), len = fpy_get_le32(r->data + 4);
    uint32_t packet = fpy_get_le32(r->data + 8);
    /* Checked before the reply here; the new stub replies first and then
     * gives up (a packet of 0 would make it send empty frames forever). */
    if (packet == 0 || packet > FPY_STUB_READ_MAX)
        return FPY_STUB_E_BAD_DATA_LEN;
    if (!fpy_in_bounds(addr, len, s->f->geo.size))
        return FPY_STUB_E_FAILED_SPI_OP;
    memset(&s->rd, 0, sizeof s->rd);
    s->rd.addr = addr;
    s->rd.length = len;
    s->rd.remaining = len;
    s->rd.packet = packet; /* word 3, max in flight, is read as 1 by both stubs */
    s->post = FPY_STUB_POST_READ;
    return FPY_STUB_OK;
}

static int fpy_stub_erase_flash(fpy_stubdev *s, const fpy_rom_req *r, fpy_stub_ans *a)
{
    (void)r;
    (void)a;
    return fpy_stub_flash_code(fpy_flash_erase(s->f, 0, s->f->geo.size));
}

static int fpy_stub_erase_region(fpy_stubdev *s, const fpy_rom_req *r, fpy_stub_ans *a)
{
    (void)a;
    if (r->size != 8)
        return FPY_STUB_E_BAD_DATA_LEN;
    uint32_t addr = fpy_get_le32(r->data), len = fpy_get_le32(r->data + 4);
    if (addr % FPY_STUB_SECTOR != 0)
        return s->fl->e_erase_addr;
    if (len % FPY_STUB_SECTOR != 0)
        return s->fl->e_erase_size;
    if (!fpy_in_bounds(addr, len, s->f->geo.size))
        return FPY_STUB_E_FAILED_SPI_OP;
    return fpy_stub_flash_code(fpy_flash_erase(s->f, addr, len));
}

static int fpy_stub_run_user(fpy_stubdev *s, const fpy_rom_req *r, fpy_stub_ans *a)
{
    (void)r;
    (void)a;
    if (s->hooks.reboot != NULL)
        s->hooks.reboot(s->hooks.ctx);
    return FPY_STUB_NO_REPLY;
}

/* Commands the stub knows but the virtual ESP32 does not do. */
static int fpy_stub_not_impl(fpy_stubdev *s, const fpy_rom_req *r, fpy_stub_ans *a)
{
    (void)s;
    (void)r;
    (void)a;
    return FPY_STUB_E_NOT_IMPLEMENTED;
}

/* Known to the legacy stubs only (READ_FLASH_SLOW, FLASH_ENCRYPT_DATA):
 * L answers "not implemented", N "invalid command". */
static int fpy_stub_legacy_only(fpy_stubdev *s, const fpy_rom_req *r, fpy_stub_ans *a)
{
    (void)r;
    (void)a;
    return s->fl->e_unknown;
}

typedef struct fpy_stub_cmd {
    uint8_t op;
    fpy_stub_handler fn;
} fpy_stub_cmd;

static const fpy_stub_cmd fpy_stub_cmds[] = {
    {FPY_ROM_FLASH_BEGIN, fpy_stub_flash_begin},
    {FPY_ROM_FLASH_DATA, fpy_stub_flash_data},
    {FPY_ROM_FLASH_END, fpy_stub_end},
    {FPY_ROM_MEM_BEGIN, fpy_stub_mem_begin},
    {FPY_ROM_MEM_END, fpy_stub_mem_end},
    {FPY_ROM_MEM_DATA, fpy_stub_mem_data},
    {FPY_ROM_SYNC, fpy_stub_sync},
    {FPY_ROM_WRITE_REG, fpy_stub_write_reg},
    {FPY_ROM_READ_REG, fpy_stub_read_reg},
    {FPY_ROM_SPI_SET_PARAMS, fpy_stub_set_params},
    {FPY_ROM_SPI_ATTACH, fpy_stub_attach},
    {FPY_ROM_READ_FLASH_SLOW, fpy_stub_legacy_only},
    {FPY_ROM_CHANGE_BAUDRATE, fpy_stub_baud},
    {FPY_ROM_FLASH_DEFL_BEGIN, fpy_stub_defl_begin},
    {FPY_ROM_FLASH_DEFL_DATA, fpy_stub_defl_data},
    {FPY_ROM_FLASH_DEFL_END, fpy_stub_end},
    {FPY_ROM_SPI_FLASH_MD5, fpy_stub_md5},
    {FPY_ROM_GET_SECURITY_INFO, fpy_stub_not_impl},
    {FPY_ROM_ERASE_FLASH, fpy_stub_erase_flash},
    {FPY_ROM_ERASE_REGION, fpy_stub_erase_region},
    {FPY_ROM_READ_FLASH, fpy_stub_read_flash},
    {FPY_ROM_RUN_USER_CODE, fpy_stub_run_user},
    {FPY_ROM_FLASH_ENCRYPT_DATA, fpy_stub_legacy_only},
};

/* An op no table row names: the NAND plugin's slots 0xD5–0xEF answer
 * "not implemented" on an ESP32 under both stubs, anything else the
 * family's unknown-command code. */
static int fpy_stub_unknown(fpy_stubdev *s, uint8_t op)
{
    return op >= 0xD5 && op <= 0xEF ? FPY_STUB_E_NOT_IMPLEMENTED : s->fl->e_unknown;
}

static int fpy_stub_run(fpy_stubdev *s, const fpy_rom_req *r, fpy_stub_ans *a)
{
    for (size_t i = 0; i < sizeof fpy_stub_cmds / sizeof fpy_stub_cmds[0]; i++)
        if (fpy_stub_cmds[i].op == r->op)
            return fpy_stub_cmds[i].fn(s, r, a);
    return fpy_stub_unknown(s, r->op);
}

/* ---- after the reply --------------------------------------------------- */

/* Work after the reply; its errors answer a later command. */
static uint8_t fpy_stub_post_work(fpy_stubdev *s)
{
    switch (s->post) {
    case FPY_STUB_POST_WRITE: {
        uint32_t k = s->post_len < s->wr.remaining ? s->post_len : s->wr.remaining;
        return k > 0 ? fpy_stub_write_put(s, s->post_data, k) : FPY_STUB_OK;
    }
    case FPY_STUB_POST_INFLATE:
        s->wr.comp_remaining -= s->post_len;
        return fpy_stub_inflate(s, s->post_data, s->post_len);
    case FPY_STUB_POST_BAUD:
        if (s->out.set_baud != NULL)
            s->out.set_baud(s->out.ctx, s->post_arg);
        return FPY_STUB_OK;
    case FPY_STUB_POST_READ:
        mbedtls_md5_init(&s->rd.md5);
        (void)FPY_STUB_MD5_STARTS(&s->rd.md5);
        s->rd.active = 1;
        fpy_stub_read_pump(s);
        return FPY_STUB_OK;
    case FPY_STUB_POST_RAM:
        if (s->out.console != NULL)
            s->out.console(s->out.ctx, "stub: MEM_END asks to run a RAM program; the virtual "
                                       "board cannot run Xtensa code, the stub stays");
        return FPY_STUB_OK;
    case FPY_STUB_POST_REBOOT:
    case FPY_STUB_POST_NONE:
        return FPY_STUB_OK;
    }
    return FPY_STUB_OK;
}

static void fpy_stub_after(fpy_stubdev *s)
{
    fpy_stub_post post = s->post;
    uint8_t code = fpy_stub_post_work(s);
    s->post = FPY_STUB_POST_NONE;
    s->post_data = NULL;
    if (code != FPY_STUB_OK) {
        /* A failed write or inflate ends the write; the error waits for
         * the next command (N) or the next DATA/END (L). */
        fpy_stub_write_stop(s);
        s->late = code;
    }
    if (post == FPY_STUB_POST_REBOOT && s->hooks.reboot != NULL)
        s->hooks.reboot(s->hooks.ctx);
}

/* Does the pending late error answer this command?  N: any command; L:
 * the next DATA or END. */
static int fpy_stub_late_applies(const fpy_stubdev *s, uint8_t op)
{
    if (s->late == FPY_STUB_OK)
        return 0;
    if (!s->fl->legacy)
        return 1;
    return op == FPY_ROM_FLASH_DATA || op == FPY_ROM_FLASH_END ||
           op == FPY_ROM_FLASH_DEFL_DATA || op == FPY_ROM_FLASH_DEFL_END;
}

/* ---- the frame loop ----------------------------------------------------- */

/* The frame-level checks: header present, direction, size field; 0 and
 * r filled when the frame is a request to run. */
static int fpy_stub_frame_check(fpy_stubdev *s, const uint8_t *frame, size_t n, fpy_rom_req *r)
{
    uint8_t op = n >= 2 ? frame[1] : 0;
    if (n < FPY_ROM_HDR) {
        fpy_stub_reply(s, op, 0, NULL, 0, FPY_STUB_E_BAD_DATA_LEN, 0);
        return -1;
    }
    if (s->fl->oversize_reply && n > FPY_ROM_HDR + FPY_STUB_L_DATA_MAX) {
        fpy_stub_reply(s, op, 0, NULL, 0, FPY_STUB_E_BAD_DATA_LEN, 0xEE);
        return -1;
    }
    if (!s->fl->oversize_reply && n > FPY_STUB_FRAME_MAX)
        return -1; /* N drops it without a word */
    if (frame[0] != FPY_ROM_DIR_REQ) {
        fpy_stub_reply(s, op, 0, NULL, 0, s->fl->e_unknown, 0);
        return -1;
    }
    if (fpy_rom_req_parse(frame, n, r) != FPY_OK) {
        fpy_stub_reply(s, op, 0, NULL, 0, FPY_STUB_E_BAD_DATA_LEN, 0);
        return -1;
    }
    return 0;
}

void fpy_stubdev_frame(fpy_stubdev *s, const uint8_t *frame, size_t n)
{
    fpy_rom_req r;
    if (s == NULL || (frame == NULL && n > 0))
        return;
    if (s->rd.active && fpy_stub_read_frame(s, frame, n))
        return;
    if (fpy_stub_frame_check(s, frame, n, &r) != 0)
        return;
    if (fpy_stub_late_applies(s, r.op)) {
        fpy_stub_reply(s, r.op, 0, NULL, 0, s->late, 0);
        s->late = FPY_STUB_OK;
        return;
    }
    fpy_stub_ans a = {0, {0}, 0};
    int code = fpy_stub_run(s, &r, &a);
    if (code == FPY_STUB_NO_REPLY)
        return;
    if (code != FPY_STUB_OK) {
        s->post = FPY_STUB_POST_NONE;
        fpy_stub_reply(s, r.op, 0, NULL, 0, (uint8_t)code, 0);
        return;
    }
    fpy_stub_reply(s, r.op, a.value, a.payload, a.plen, FPY_STUB_OK, 0);
    fpy_stub_after(s);
}

/* ---- life --------------------------------------------------------------- */

static const fpy_stub_image *fpy_stub_image_named(const char *which)
{
    if (which == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof fpy_stub_images / sizeof fpy_stub_images[0]; i++)
        if (strcmp(fpy_stub_images[i].name, which) == 0)
            return &fpy_stub_images[i];
    return NULL;
}

fpy_stubdev *fpy_stubdev_start(const fpy_flash *f, const fpy_devout *out, const char *which,
                               const fpy_stubdev_hooks *hooks)
{
    const fpy_stub_image *img = fpy_stub_image_named(which);
    if (img == NULL || f == NULL || out == NULL || out->send == NULL ||
        fpy_flash_check_geometry(&f->geo) != FPY_OK)
        return NULL;
    fpy_stubdev *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->img = img;
    s->fl = img->flavour;
    s->f = f;
    s->out = *out;
    if (hooks != NULL)
        s->hooks = *hooks;
    s->last_ns = fpy_stub_now_ns(s);
    s->extra_us = s->fl->ohai_us;
    static const uint8_t ohai[4] = {'O', 'H', 'A', 'I'};
    fpy_stub_send(s, ohai, sizeof ohai);
    return s;
}

void fpy_stubdev_free(fpy_stubdev *s)
{
    if (s == NULL)
        return;
    fpy_stub_write_stop(s);
    if (s->rd.active)
        mbedtls_md5_free(&s->rd.md5);
    free(s);
}
