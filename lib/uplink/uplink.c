/* The uplink's device side: see include/fipy/uplink.h. */
#include <string.h>

#include "fipy/bcimage.h"
#include "fipy/bytes.h"
#include "fipy/err.h"
#include "fipy/rom.h"
#include "fipy/uplink.h"

#define FPY_UL_ROM_STATUS FPY_ROM_STATUS_ROM /* the ROM's 4 status bytes */

/* A reply under construction: where it goes and how long it came out. */
typedef struct fpy_ul_out {
    uint8_t *buf;
    size_t cap, len;
} fpy_ul_out;

static void fpy_ul_ok(fpy_ul_out *o, uint8_t op, uint32_t value, const uint8_t *payload,
                      size_t plen)
{
    o->len = fpy_rom_resp_build(o->buf, o->cap, op, value, payload, plen, 0, 0,
                                FPY_UL_ROM_STATUS);
}

static void fpy_ul_fail(fpy_ul_out *o, uint8_t op, uint8_t error)
{
    o->len = fpy_rom_resp_build(o->buf, o->cap, op, 0, NULL, 0, 1, error, FPY_UL_ROM_STATUS);
}

static const fpy_area *fpy_ul_slot(const fpy_uplink *u, unsigned slot)
{
    return fpy_layout_area(u->cfg.layout, FPY_AREA_BC_SLOT, slot);
}

void fpy_uplink_init(fpy_uplink *u, const fpy_uplink_cfg *cfg, uint64_t now_ms)
{
    memset(u, 0, sizeof *u);
    u->cfg = *cfg;
    if (u->cfg.window_ms == 0)
        u->cfg.window_ms = FPY_UPLINK_WINDOW_MS;
    if (u->cfg.idle_ms == 0)
        u->cfg.idle_ms = FPY_UPLINK_IDLE_MS;
    u->state = FPY_UPLINK_WINDOW;
    u->until_ms = now_ms + u->cfg.window_ms;
}

int fpy_uplink_poll(fpy_uplink *u, uint64_t now_ms)
{
    if (u->state != FPY_UPLINK_CLOSED_ST && now_ms >= u->until_ms) {
        /* what was written to the idle slot is referred to by nothing */
        if (u->up == FPY_UPLINK_UP_WRITING || u->up == FPY_UPLINK_UP_FINISHED)
            fpy_fota_abort(&u->fota);
        u->up = FPY_UPLINK_UP_NONE;
        u->state = FPY_UPLINK_CLOSED_ST;
    }
    return u->state != FPY_UPLINK_CLOSED_ST;
}

uint64_t fpy_uplink_deadline(const fpy_uplink *u)
{
    return u->state == FPY_UPLINK_CLOSED_ST ? UINT64_MAX : u->until_ms;
}

int fpy_uplink_running(fpy_uplink *u, uint32_t *size, uint8_t sha[FPY_SHA256_LEN])
{
    if (!u->have_run) {
        const fpy_area *a = fpy_ul_slot(u, u->cfg.bc_slot);
        uint8_t raw[FPY_BC_HEADER_LEN];
        fpy_bc_header h;
        memset(u->run_sha, 0, sizeof u->run_sha);
        u->run_size = 0;
        if (a == NULL)
            return FPY_ERR_INVAL;
        FPY_TRY(fpy_flash_read(u->cfg.flash, a->offset, raw, sizeof raw));
        if (fpy_bc_header_decode(raw, a->size - FPY_BC_HEADER_LEN, &h, NULL) == FPY_OK) {
            uint32_t total = FPY_BC_HEADER_LEN + h.payload_len;
            int rc = fpy_flash_sha256(u->cfg.flash, a->offset, total, u->w.scratch,
                                          (uint32_t)sizeof u->w.scratch, u->run_sha);
            if (rc != FPY_OK) {
                memset(u->run_sha, 0, sizeof u->run_sha);
                return rc;
            }
            u->run_size = total;
        }
        u->have_run = 1;
    }
    *size = u->run_size;
    memcpy(sha, u->run_sha, FPY_SHA256_LEN);
    return FPY_OK;
}

/* ---- the commands ------------------------------------------------------ */

/* The ROM's SYNC body: 07 07 12 20, then 32 bytes 0x55. */
static int fpy_ul_sync_body(const fpy_rom_req *q)
{
    static const uint8_t head[4] = {0x07, 0x07, 0x12, 0x20};
    if (q->size != 36 || memcmp(q->data, head, sizeof head) != 0)
        return 0;
    for (unsigned i = 4; i < 36; i++)
        if (q->data[i] != 0x55)
            return 0;
    return 1;
}

static void fpy_ul_info(fpy_uplink *u, fpy_ul_out *o)
{
    fpy_uplink_info i = {0};
    uint8_t payload[FPY_UPLINK_INFO_LEN];
    unsigned idle = 1u - (u->cfg.bc_slot & 1u);
    const fpy_area *a = fpy_ul_slot(u, idle);
    if (a == NULL || fpy_uplink_running(u, &i.run_size, i.run_sha256) != FPY_OK) {
        fpy_ul_fail(o, FPY_UPLINK_OP_INFO, FPY_UPLINK_E_FLASH);
        return;
    }
    i.version = FPY_UPLINK_VERSION;
    i.block_max = FPY_UPLINK_BLOCK_MAX;
    i.vm_abi = u->cfg.vm_abi;
    i.vm_slot = u->cfg.vm_slot;
    i.bc_slot = u->cfg.bc_slot;
    i.test_mode = u->cfg.test_mode;
    i.idle_slot = (uint8_t)idle;
    i.idle_addr = a->offset;
    i.idle_size = a->size;
    fpy_uplink_info_encode(&i, payload);
    fpy_ul_ok(o, FPY_UPLINK_OP_INFO, 0, payload, sizeof payload);
}

/* The error byte for what the update engine said. */
static uint8_t fpy_ul_err_of(int rc)
{
    switch (rc) {
    case FPY_ERR_NOSPC: return FPY_UPLINK_E_BIG;
    case FPY_ERR_STATE: return FPY_UPLINK_E_STATE;
    case FPY_ERR_CHECKSUM: return FPY_UPLINK_E_HASH;
    case FPY_ERR_SIGNATURE: return FPY_UPLINK_E_SIGNED;
    case FPY_ERR_ROLLBACK: return FPY_UPLINK_E_OLDER;
    case FPY_ERR_CORRUPT:
    case FPY_ERR_TRUNCATED:
    case FPY_ERR_UNSUPPORTED:
    case FPY_ERR_RANGE:
    case FPY_ERR_NOTFOUND: return FPY_UPLINK_E_HEADER;
    case FPY_ERR_INVAL: return FPY_ROM_E_INVALID_PARAM;
    default: return FPY_UPLINK_E_FLASH; /* I/O, power, bad block */
    }
}

/* What BEGIN's numbers and the header alone say, before the engine reads
 * anything: only the idle slot, a block plan that covers the image, an
 * image that fits, a header for this VM's ABI. */
static uint8_t fpy_ul_begin_check(fpy_uplink *u, const fpy_uplink_begin *b, const fpy_area *a)
{
    fpy_bc_header h;
    if (b->offset != a->offset)
        return FPY_UPLINK_E_SLOT;
    if (b->block_size == 0 || b->block_size > FPY_UPLINK_BLOCK_MAX ||
        b->blocks != b->size / b->block_size + (b->size % b->block_size != 0))
        return FPY_ROM_E_INVALID_PARAM;
    if (b->size > a->size)
        return FPY_UPLINK_E_BIG;
    if (b->size < FPY_BC_HEADER_LEN ||
        fpy_bc_header_decode(b->head, a->size - FPY_BC_HEADER_LEN, &h, &u->diag) != FPY_OK ||
        h.payload_len != b->size - FPY_BC_HEADER_LEN)
        return FPY_UPLINK_E_HEADER;
    if (h.vm_abi != u->cfg.vm_abi)
        return FPY_UPLINK_E_ABI;
    return 0;
}

static void fpy_ul_begin(fpy_uplink *u, const fpy_rom_req *q, fpy_ul_out *o)
{
    fpy_uplink_begin b;
    fpy_fota_req req;
    unsigned idle = 1u - (u->cfg.bc_slot & 1u);
    const fpy_area *a = fpy_ul_slot(u, idle);
    if (q->size != FPY_UPLINK_BEGIN_LEN || a == NULL) {
        fpy_ul_fail(o, q->op, FPY_ROM_E_BAD_FORMAT);
        return;
    }
    if (u->up == FPY_UPLINK_UP_WRITING || u->up == FPY_UPLINK_UP_FINISHED)
        fpy_fota_abort(&u->fota); /* a BEGIN again starts over */
    u->up = FPY_UPLINK_UP_NONE;
    fpy_uplink_begin_decode(q->data, &b);
    uint8_t e = fpy_ul_begin_check(u, &b, a);
    if (e != 0) {
        fpy_ul_fail(o, q->op, e);
        return;
    }
    memset(&req, 0, sizeof req);
    req.targets = FPY_FOTA_BC;
    req.bc_slot = (uint8_t)idle;
    req.vm_slot = u->cfg.vm_slot;
    req.bc_size = b.size;
    memcpy(req.bc_sha256, b.sha256, FPY_SHA256_LEN);
    memcpy(req.bc_head, b.head, FPY_FOTA_BC_HEAD);
    int rc = fpy_fota_begin(&u->fota, u->cfg.flash, u->cfg.layout, &u->cfg.store, &req,
                            u->cfg.sec, &u->w, &u->diag);
    if (rc != FPY_OK) {
        fpy_ul_fail(o, q->op, fpy_ul_err_of(rc));
        return;
    }
    u->up = FPY_UPLINK_UP_WRITING;
    u->base = a->offset;
    u->size = b.size;
    u->block_size = b.block_size;
    u->blocks = b.blocks;
    u->next_seq = 0;
    u->offset = 0;
    fpy_ul_ok(o, q->op, 0, NULL, 0);
}

/* Write one block; the last one completes the image, which is verified
 * at once (SHA-256 of what came, the bytecode as written), so that MD5
 * reads the whole image and END only commits. */
static uint8_t fpy_ul_write(fpy_uplink *u, const uint8_t *bytes, uint32_t len)
{
    int rc = fpy_fota_write(&u->fota, u->offset, bytes, len, &u->diag);
    if (rc != FPY_OK) {
        fpy_fota_abort(&u->fota);
        u->up = FPY_UPLINK_UP_FAILED;
        return fpy_ul_err_of(rc);
    }
    u->offset += len;
    u->next_seq++;
    if (u->offset < u->size)
        return 0;
    rc = fpy_fota_finish(&u->fota, &u->w, &u->diag);
    if (rc != FPY_OK) {
        u->up = FPY_UPLINK_UP_FAILED;
        return rc == FPY_ERR_STATE ? FPY_UPLINK_E_ABI
                                   : rc == FPY_ERR_CORRUPT ? FPY_UPLINK_E_HASH : fpy_ul_err_of(rc);
    }
    u->up = FPY_UPLINK_UP_FINISHED;
    return 0;
}

static void fpy_ul_reply(fpy_ul_out *o, uint8_t op, uint8_t e)
{
    if (e == 0)
        fpy_ul_ok(o, op, 0, NULL, 0);
    else
        fpy_ul_fail(o, op, e);
}

static void fpy_ul_data(fpy_uplink *u, const fpy_rom_req *q, fpy_ul_out *o)
{
    uint32_t seq, len;
    const uint8_t *bytes;
    int rc = fpy_rom_data_parse(q, &seq, &bytes, &len);
    if (rc != FPY_OK) {
        fpy_ul_fail(o, q->op, rc == FPY_ERR_CHECKSUM ? FPY_ROM_E_CHECKSUM : FPY_ROM_E_BAD_FORMAT);
        return;
    }
    if (u->up == FPY_UPLINK_UP_NONE) {
        fpy_ul_fail(o, q->op, FPY_UPLINK_E_STATE);
        return;
    }
    /* the previous block again (its reply was lost): the same answer,
     * nothing written twice; another block with its seq is refused */
    if (u->next_seq > 0 && seq == u->next_seq - 1u) {
        int same = len == u->last_len && fpy_crc32_le(0, bytes, len) == u->last_crc;
        fpy_ul_reply(o, q->op, same ? u->last_err : FPY_ROM_E_INVALID_PARAM);
        return;
    }
    if (u->up != FPY_UPLINK_UP_WRITING) {
        fpy_ul_fail(o, q->op, FPY_UPLINK_E_STATE);
        return;
    }
    uint32_t want = u->size - u->offset < u->block_size ? u->size - u->offset : u->block_size;
    if (seq != u->next_seq || len != want) {
        fpy_ul_fail(o, q->op, FPY_ROM_E_INVALID_PARAM);
        return;
    }
    u->last_len = len;
    u->last_crc = fpy_crc32_le(0, bytes, len);
    u->last_err = fpy_ul_write(u, bytes, len);
    fpy_ul_reply(o, q->op, u->last_err);
}

/* Lowercase hex, as the ROM answers SPI_FLASH_MD5. */
static void fpy_ul_hex(const uint8_t *in, size_t n, uint8_t *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = (uint8_t)digits[in[i] >> 4];
        out[2 * i + 1] = (uint8_t)digits[in[i] & 0xF];
    }
}

/* 1 when [addr, addr+size) lies inside one bytecode slot. */
static int fpy_ul_in_bc_slot(const fpy_uplink *u, uint32_t addr, uint32_t size)
{
    for (unsigned s = 0; s < 2; s++) {
        const fpy_area *a = fpy_ul_slot(u, s);
        if (a != NULL && addr >= a->offset && size <= a->size &&
            addr - a->offset <= a->size - size)
            return 1;
    }
    return 0;
}

static void fpy_ul_md5(fpy_uplink *u, const fpy_rom_req *q, fpy_ul_out *o)
{
    uint8_t sum[FPY_MD5_LEN], hex[2 * FPY_MD5_LEN];
    if (q->size != 16) {
        fpy_ul_fail(o, q->op, FPY_ROM_E_BAD_FORMAT);
        return;
    }
    uint32_t addr = fpy_get_le32(q->data), size = fpy_get_le32(q->data + 4);
    if (!fpy_ul_in_bc_slot(u, addr, size)) {
        fpy_ul_fail(o, q->op, FPY_UPLINK_E_SLOT);
        return;
    }
    if (fpy_flash_md5(u->cfg.flash, addr, size, u->w.scratch, (uint32_t)sizeof u->w.scratch,
                      sum) != FPY_OK) {
        fpy_ul_fail(o, q->op, FPY_UPLINK_E_FLASH);
        return;
    }
    fpy_ul_hex(sum, sizeof sum, hex);
    fpy_ul_ok(o, q->op, 0, hex, sizeof hex);
}

/* END: with a verified image, commit it as a trial and restart into it;
 * with no upload (or a failed one), end the session. */
static fpy_uplink_action fpy_ul_end(fpy_uplink *u, const fpy_rom_req *q, fpy_ul_out *o)
{
    if (q->size != 4) {
        fpy_ul_fail(o, q->op, FPY_ROM_E_BAD_FORMAT);
        return FPY_UPLINK_NONE;
    }
    if (u->up == FPY_UPLINK_UP_WRITING) {
        fpy_ul_fail(o, q->op, FPY_UPLINK_E_STATE);
        return FPY_UPLINK_NONE;
    }
    if (u->up != FPY_UPLINK_UP_FINISHED) {
        fpy_ul_ok(o, q->op, 0, NULL, 0);
        u->state = FPY_UPLINK_CLOSED_ST;
        return FPY_UPLINK_CLOSED;
    }
    int rc = fpy_fota_commit(&u->fota);
    if (rc != FPY_OK) {
        fpy_ul_fail(o, q->op, fpy_ul_err_of(rc));
        return FPY_UPLINK_NONE;
    }
    fpy_ul_ok(o, q->op, 0, NULL, 0);
    u->up = FPY_UPLINK_UP_NONE;
    u->state = FPY_UPLINK_CLOSED_ST;
    return FPY_UPLINK_RESTART;
}

/* ACCEPT: the bytecode on trial (the one running) becomes the working
 * one.  The VM runtime's fota.accept() will do the same from bytecode. */
static void fpy_ul_accept(fpy_uplink *u, const fpy_rom_req *q, fpy_ul_out *o)
{
    if (q->size != 0) {
        fpy_ul_fail(o, q->op, FPY_ROM_E_BAD_FORMAT);
        return;
    }
    if (!u->cfg.test_mode) { /* nothing on trial: nothing to accept */
        fpy_ul_ok(o, q->op, 0, NULL, 0);
        return;
    }
    int rc = fpy_fota_accept(u->cfg.flash, &u->cfg.store, u->cfg.layout, u->cfg.sec);
    if (rc != FPY_OK) {
        fpy_ul_fail(o, q->op, fpy_ul_err_of(rc));
        return;
    }
    u->cfg.test_mode = 0;
    fpy_ul_ok(o, q->op, 0, NULL, 0);
}

/* The ROM's answer to a command it does not know: op 0, status 1,
 * error 0x05 (rom_protocol.md §4.3). */
static void fpy_ul_unknown(fpy_ul_out *o)
{
    fpy_ul_fail(o, 0x00, FPY_ROM_E_BAD_FORMAT);
}

static fpy_uplink_action fpy_ul_dispatch(fpy_uplink *u, const fpy_rom_req *q, fpy_ul_out *o)
{
    switch (q->op) {
    case FPY_UPLINK_OP_SYNC:
        if (fpy_ul_sync_body(q))
            fpy_ul_ok(o, q->op, FPY_UPLINK_SYNC_VALUE, NULL, 0);
        else
            fpy_ul_fail(o, q->op, FPY_ROM_E_BAD_FORMAT);
        break;
    case FPY_UPLINK_OP_INFO: fpy_ul_info(u, o); break;
    case FPY_UPLINK_OP_BEGIN: fpy_ul_begin(u, q, o); break;
    case FPY_UPLINK_OP_DATA: fpy_ul_data(u, q, o); break;
    case FPY_UPLINK_OP_MD5: fpy_ul_md5(u, q, o); break;
    case FPY_UPLINK_OP_END: return fpy_ul_end(u, q, o);
    case FPY_UPLINK_OP_ACCEPT: fpy_ul_accept(u, q, o); break;
    default: fpy_ul_unknown(o); break;
    }
    return FPY_UPLINK_NONE;
}

fpy_uplink_action fpy_uplink_frame(fpy_uplink *u, uint64_t now_ms, const uint8_t *frame,
                                   size_t n, uint8_t *reply, size_t cap, size_t *rlen)
{
    fpy_rom_req q;
    fpy_ul_out o = {reply, cap, 0};
    *rlen = 0;
    if (!fpy_uplink_poll(u, now_ms) || fpy_rom_req_parse(frame, n, &q) != FPY_OK)
        return FPY_UPLINK_NONE;
    if (u->state == FPY_UPLINK_WINDOW) {
        /* before a session only a true SYNC counts: anything else may be
         * the program's console input */
        if (q.op != FPY_UPLINK_OP_SYNC || !fpy_ul_sync_body(&q))
            return FPY_UPLINK_NONE;
        u->state = FPY_UPLINK_SESSION;
    }
    u->until_ms = now_ms + u->cfg.idle_ms;
    fpy_uplink_action act = fpy_ul_dispatch(u, &q, &o);
    *rlen = o.len;
    return act;
}
