/* The update engine: see include/fipy/fota.h. */
#include <string.h>

#include "fipy/bcimage.h"
#include "fota_int.h"

static int fpy_fota_part_init(fpy_fota *u, fpy_fota_part *p, fpy_area_kind kind,
                              unsigned slot, uint32_t size, const uint8_t *sha,
                              fpy_diag *d)
{
    const fpy_area *a = fpy_layout_area(u->layout, kind, slot);
    if (a == NULL)
        return fpy_diag_set(d, FPY_ERR_INVAL, "no such slot", "slot", slot);
    if (size == 0)
        return fpy_diag_set(d, FPY_ERR_INVAL, "the image is empty", "size", 0);
    if (size > a->size)
        return fpy_diag_val(d, FPY_ERR_NOSPC, "image does not fit the slot", "size", 0,
                            a->size, size);
    memset(p, 0, sizeof *p);
    p->base = a->offset;
    p->slot_size = a->size;
    p->size = size;
    memcpy(p->want, sha, FPY_SHA256_LEN);
    return fpy_sha256_start(&p->sha);
}

static int fpy_fota_check_targets(const fpy_rec *r, const fpy_fota_req *q, fpy_diag *d)
{
    if (q->targets == 0 || (q->targets & ~(FPY_FOTA_VM | FPY_FOTA_BC)) != 0)
        return fpy_diag_set(d, FPY_ERR_INVAL, "no update target", "targets", 0);
    if (r->mode != FPY_REC_STABLE)
        return fpy_diag_set(d, FPY_ERR_STATE,
                            "a trial is running: accept() or roll back before updating",
                            "mode", 0x0C);
    if ((q->targets & FPY_FOTA_VM) && (q->vm_slot > 1 || q->vm_slot == r->vm_cur))
        return fpy_diag_val(d, FPY_ERR_STATE, "target is the running VM slot", "vm_slot", 0,
                            1u - r->vm_cur, q->vm_slot);
    if ((q->targets & FPY_FOTA_BC) && (q->bc_slot > 1 || q->bc_slot == r->bc_cur))
        return fpy_diag_val(d, FPY_ERR_STATE, "target is the running bytecode slot",
                            "bc_slot", 0, 1u - r->bc_cur, q->bc_slot);
    return FPY_OK;
}

void fpy_fota_req_head(fpy_fota_req *req, unsigned target, const uint8_t *img, size_t len)
{
    uint8_t *head = target == FPY_FOTA_VM ? req->vm_head : req->bc_head;
    size_t n = target == FPY_FOTA_VM ? sizeof req->vm_head : sizeof req->bc_head;
    memset(head, 0xFF, n);
    memcpy(head, img, len < n ? len : n);
}

int fpy_fota_req_from_images(fpy_fota_req *req, const uint8_t *vm, size_t vm_len,
                             const uint8_t *bc, size_t bc_len)
{
    memset(req, 0, sizeof *req);
    if (vm != NULL) {
        req->targets |= FPY_FOTA_VM;
        req->vm_size = (uint32_t)vm_len;
        FPY_TRY(fpy_sha256_buf(vm, vm_len, req->vm_sha256));
        fpy_fota_req_head(req, FPY_FOTA_VM, vm, vm_len);
    }
    if (bc != NULL) {
        req->targets |= FPY_FOTA_BC;
        req->bc_size = (uint32_t)bc_len;
        FPY_TRY(fpy_sha256_buf(bc, bc_len, req->bc_sha256));
        fpy_fota_req_head(req, FPY_FOTA_BC, bc, bc_len);
    }
    return FPY_OK;
}

static int fpy_fota_running_vm_abi(const fpy_fota *u, fpy_fw_work *w, uint32_t *abi,
                                   fpy_diag *d)
{
    const fpy_area *a = fpy_layout_area(u->layout, FPY_AREA_VM_SLOT, u->run_vm);
    fpy_image_src src = fpy_image_src_flash(u->f, a->offset, a->size);
    return fpy_fw_vm_check(&src, w, abi, d);
}

/* A VM updated alone will run the bytecode already in place: it must be
 * built for the new VM's ABI (an empty slot is fine). */
static int fpy_fota_check_running_bc(const fpy_fota *u, fpy_fw_work *w, uint32_t abi,
                                     fpy_diag *d)
{
    fpy_bc_header h;
    const fpy_area *a = fpy_layout_area(u->layout, FPY_AREA_BC_SLOT, u->run_bc);
    int rc = fpy_bc_verify_flash(u->f, a->offset, a->size, &abi, w->scratch,
                                 sizeof w->scratch, &h, d);
    return rc == FPY_ERR_NOTFOUND ? FPY_OK : rc;
}

/* Everything the heads and the running images tell, before any write;
 * u->abi becomes the ABI of the VM the update runs with.  The running
 * images are read here only: the engine never writes their slots, so
 * finish() has no need to read them again. */
static int fpy_fota_check_heads(fpy_fota *u, fpy_fw_work *w, fpy_diag *d)
{
    const fpy_fota_req *q = &u->req;
    if (q->targets & FPY_FOTA_VM)
        FPY_TRY(fpy_fota_vm_head_check(u, q->vm_head, q->vm_size, &u->abi, d));
    else
        FPY_TRY(fpy_fota_running_vm_abi(u, w, &u->abi, d));
    if (!(q->targets & FPY_FOTA_BC))
        return fpy_fota_check_running_bc(u, w, u->abi, d);
    const fpy_fota_part *p = &u->part[u->nparts - 1u];
    return fpy_fota_bc_head_check(u, q->bc_head, q->bc_size, p->slot_size, u->abi, d);
}

int fpy_fota_begin(fpy_fota *u, const fpy_flash *f, const fpy_layout *l,
                   const fpy_rec_store *st, const fpy_fota_req *req, const fpy_sec *sec,
                   fpy_fw_work *w, fpy_diag *d)
{
    fpy_rec r;
    fpy_otadata od;
    int copy;
    memset(u, 0, sizeof *u);
    FPY_TRY(fpy_fw_config_check(f, l, st, d));
    int rc = fpy_rec_load(f, st, &r, &copy);
    if (rc != FPY_OK && rc != FPY_ERR_NOTFOUND)
        return rc;
    FPY_TRY(fpy_otadata_read(f, st->otadata, &od));
    if (!fpy_fw_in_sync(&r, rc == FPY_OK, &od))
        return fpy_diag_set(d, FPY_ERR_STATE,
                            "ESP-IDF's otadata was changed since the last boot: boot once so "
                            "that it is taken in, then update",
                            "otadata", st->otadata);
    FPY_TRY(fpy_fota_check_targets(&r, req, d));
    u->f = f;
    u->layout = l;
    u->store = *st;
    u->req = *req;
    u->run_vm = r.vm_cur;
    u->run_bc = r.bc_cur;
    u->sec = sec;
    FPY_TRY(fpy_sec_vm_floor(sec, &u->vm_floor));
    u->bc_floor = fpy_sec_bc_floor(sec, &r);
    if (req->targets & FPY_FOTA_VM)
        FPY_TRY(fpy_fota_part_init(u, &u->part[u->nparts++], FPY_AREA_VM_SLOT, req->vm_slot,
                                   req->vm_size, req->vm_sha256, d));
    if (req->targets & FPY_FOTA_BC)
        FPY_TRY(fpy_fota_part_init(u, &u->part[u->nparts++], FPY_AREA_BC_SLOT, req->bc_slot,
                                   req->bc_size, req->bc_sha256, d));
    FPY_TRY(fpy_fota_check_heads(u, w, d));
    /* The previous pair is the fallback of the boot-loop guard; once its
     * slots are being rewritten it is no longer firmware that once worked.
     * Forget it before the first erase, and only now that the update is
     * known to be acceptable as far as its heads tell. */
    if (r.has_prev && (((req->targets & FPY_FOTA_VM) && req->vm_slot == r.vm_prev) ||
                       ((req->targets & FPY_FOTA_BC) && req->bc_slot == r.bc_prev))) {
        r.has_prev = 0;
        FPY_TRY(fpy_rec_commit(f, st, &r));
        u->lost_prev = 1;
    }
    for (unsigned i = 0; i < u->nparts; i++)
        u->total += u->part[i].size;
    fpy_pagewriter_start(&u->pw, f, u->part[0].base, 1);
    u->state = FPY_FOTA_WRITING;
    return FPY_OK;
}

/* Feed bytes of the current part to its hash and its slot; the page
 * writer erases each sector just before the first write into it. */
static int fpy_fota_feed(fpy_fota *u, const uint8_t *src, uint32_t n)
{
    fpy_fota_part *p = &u->part[u->cur_part];
    FPY_TRY(fpy_sha256_update(&p->sha, src, n));
    p->done += n;
    return fpy_pagewriter_put(&u->pw, src, n);
}

/* Do these bytes of the current part agree with its head (the bytes
 * begin() judged)?  Only the first FPY_FOTA_*_HEAD bytes are compared. */
static int fpy_fota_head_matches(const fpy_fota *u, const uint8_t *src, uint32_t n)
{
    const fpy_fota_part *p = &u->part[u->cur_part];
    int vm = u->cur_part == 0 && (u->req.targets & FPY_FOTA_VM); /* the stream order */
    const uint8_t *head = vm ? u->req.vm_head : u->req.bc_head;
    uint32_t hlen = vm ? FPY_FOTA_VM_HEAD : FPY_FOTA_BC_HEAD;
    if (p->done >= hlen)
        return 1;
    uint32_t k = hlen - p->done < n ? hlen - p->done : n;
    return memcmp(head + p->done, src, k) == 0;
}

int fpy_fota_write(fpy_fota *u, uint32_t offset, const void *data, uint32_t len, fpy_diag *d)
{
    const uint8_t *src = data;
    if (u->state != FPY_FOTA_WRITING)
        return fpy_diag_set(d, FPY_ERR_STATE, "no update in progress", NULL, offset);
    if (offset != u->offset)
        return fpy_diag_val(d, FPY_ERR_INVAL, "chunk out of order", "offset", offset,
                            u->offset, offset);
    if (len > u->total - u->offset)
        return fpy_diag_val(d, FPY_ERR_RANGE, "chunk runs past the declared size", "len",
                            offset, u->total - u->offset, len);
    while (len > 0) {
        fpy_fota_part *p = &u->part[u->cur_part];
        uint32_t k = p->size - p->done < len ? p->size - p->done : len;
        if (!fpy_fota_head_matches(u, src, k)) {
            u->state = FPY_FOTA_IDLE;
            return fpy_diag_set(d, FPY_ERR_CORRUPT,
                                "the image differs from the head given at begin", "head",
                                u->offset);
        }
        FPY_TRY(fpy_fota_feed(u, src, k));
        src += k;
        len -= k;
        u->offset += k;
        if (p->done == p->size && u->cur_part + 1u < u->nparts) {
            FPY_TRY(fpy_pagewriter_flush(&u->pw));
            u->cur_part++;
            fpy_pagewriter_start(&u->pw, u->f, u->part[u->cur_part].base, 1);
        }
    }
    return FPY_OK;
}

/* The written images, whole: the VM may boot (its ABI is the head's, which
 * the stream had to match), the bytecode verifies for the update's ABI. */
static int fpy_fota_verify_parts(fpy_fota *u, fpy_fw_work *w, fpy_diag *d)
{
    unsigned i = 0;
    if (u->req.targets & FPY_FOTA_VM) {
        fpy_fota_part *p = &u->part[i++];
        fpy_image_src src = fpy_image_src_flash(u->f, p->base, p->slot_size);
        FPY_TRY(fpy_sec_vm_check(u->sec, u->vm_floor, &src, w, NULL, NULL, d));
    }
    if (!(u->req.targets & FPY_FOTA_BC))
        return FPY_OK;
    fpy_bc_header h;
    return fpy_sec_bc_check(u->sec, u->bc_floor, u->f, u->part[i].base, u->part[i].slot_size,
                            &u->abi, w->scratch, sizeof w->scratch, &h, d);
}

int fpy_fota_finish(fpy_fota *u, fpy_fw_work *w, fpy_diag *d)
{
    uint8_t sum[FPY_SHA256_LEN];
    if (u->state != FPY_FOTA_WRITING)
        return fpy_diag_set(d, FPY_ERR_STATE, "no update in progress", NULL, 0);
    if (u->offset != u->total)
        return fpy_diag_val(d, FPY_ERR_STATE, "finish before all bytes arrived", "offset",
                            u->offset, u->total, u->offset);
    FPY_TRY(fpy_pagewriter_flush(&u->pw));
    for (unsigned i = 0; i < u->nparts; i++) {
        FPY_TRY(fpy_sha256_finish(&u->part[i].sha, sum));
        if (fpy_digest_cmp(sum, u->part[i].want, FPY_SHA256_LEN) != 0) {
            u->state = FPY_FOTA_IDLE;
            return fpy_diag_set(d, FPY_ERR_CHECKSUM,
                                "SHA-256 of the received image does not match", "sha256", i);
        }
    }
    int rc = fpy_fota_verify_parts(u, w, d);
    u->state = rc == FPY_OK ? FPY_FOTA_FINISHED : FPY_FOTA_IDLE;
    return rc;
}

int fpy_fota_commit(fpy_fota *u)
{
    if (u->state != FPY_FOTA_FINISHED)
        return FPY_ERR_STATE;
    uint8_t vm = (u->req.targets & FPY_FOTA_VM) ? u->req.vm_slot : u->run_vm;
    uint8_t bc = (u->req.targets & FPY_FOTA_BC) ? u->req.bc_slot : u->run_bc;
    /* attempt() reloads the record and refuses if a trial started since */
    FPY_TRY(fpy_fota_attempt(u->f, &u->store, bc, vm));
    u->state = FPY_FOTA_ATTEMPTED;
    return FPY_OK;
}

void fpy_fota_abort(fpy_fota *u)
{
    /* What was written stays in the target slots; nothing refers to it. */
    u->state = FPY_FOTA_IDLE;
}

uint8_t fpy_fota_progress(const fpy_fota *u, uint32_t *done, uint32_t *total)
{
    *done = u->offset;
    *total = u->total;
    return u->state;
}
