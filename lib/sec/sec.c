/* The protected board's rule for what may run: see include/fipy/sec.h. */
#include "fipy/sec.h"

#include "fipy/sig.h"

int fpy_sec_vm_floor(const fpy_sec *s, uint32_t *floor)
{
    *floor = 0;
    if (s == NULL || !s->anti_rollback)
        return FPY_OK;
    if (s->ops == NULL || s->ops->vm_floor == NULL)
        return FPY_ERR_INVAL; /* anti-rollback without a counter: a port's mistake */
    return s->ops->vm_floor(s->ctx, floor);
}

uint32_t fpy_sec_bc_floor(const fpy_sec *s, const fpy_rec *r)
{
    return s != NULL && s->anti_rollback ? r->bc_floor : 0u;
}

static int fpy_sec_version(const fpy_sec *s, uint32_t floor, uint32_t v, const char *what,
                           const char *field, uint32_t off, fpy_diag *d)
{
    if (s == NULL || !s->anti_rollback || v >= floor)
        return FPY_OK;
    return fpy_diag_val(d, FPY_ERR_ROLLBACK, what, field, off, floor, v);
}

/* lib/sig's verdicts on the signature as the policy's one code: an
 * unsigned image (NOTFOUND there, which for a bytecode slot would mean
 * "empty") and a signature that does not verify (CHECKSUM, its diag kept)
 * are FPY_ERR_SIGNATURE. */
static int fpy_sec_unsigned(int rc, fpy_diag *d, const char *what, const char *field,
                            uint32_t off)
{
    if (rc == FPY_ERR_NOTFOUND)
        return fpy_diag_set(d, FPY_ERR_SIGNATURE, what, field, off);
    return rc == FPY_ERR_CHECKSUM ? FPY_ERR_SIGNATURE : rc;
}

int fpy_sec_vm_check(const fpy_sec *s, uint32_t vm_floor, const fpy_image_src *src,
                     fpy_fw_work *w, uint32_t *abi, uint32_t *secver, fpy_diag *d)
{
    FPY_TRY(fpy_fw_vm_check(src, w, abi, d));
    uint32_t v = w->info.app_desc.secure_version;
    if (s != NULL && s->pub != NULL) {
        fpy_sig_block blk;
        /* fpy_fw_vm_check parsed and checked it: not again */
        int rc = fpy_sig_app_verify_checked(src, s->pub, &w->info, w->scratch,
                                            sizeof w->scratch, &blk, d);
        FPY_TRY(fpy_sec_unsigned(rc, d, "not signed: no signature block after the image",
                                 "signature", w->info.image_len));
    }
    FPY_TRY(fpy_sec_version(s, vm_floor, v, "VM older than the device accepts (anti-rollback)",
                            "secure_version", FPY_IMAGE_APP_DESC_IMAGE_OFF + 4u, d));
    if (secver != NULL)
        *secver = v;
    return FPY_OK;
}

int fpy_sec_bc_check(const fpy_sec *s, uint32_t bc_floor, const fpy_flash *f, uint32_t base,
                     uint32_t slot_size, const uint32_t *vm_abi, uint8_t *scratch,
                     uint32_t scratch_len, fpy_bc_header *h, fpy_diag *d)
{
    /* Not fpy_sig_bc_verify_flash: its NOTFOUND means "empty" or "not
     * signed", and only the second is a refusal here. */
    FPY_TRY(fpy_bc_verify_flash(f, base, slot_size, vm_abi, scratch, scratch_len, h, d));
    if (s != NULL && s->pub != NULL) {
        uint8_t raw[FPY_BC_HEADER_LEN];
        FPY_TRY(fpy_flash_read(f, base, raw, sizeof raw));
        FPY_TRY(fpy_sec_unsigned(fpy_sig_bc_check(raw, s->pub, d), d,
                                 "not signed: flag bit 0 is clear", "flags", FPY_BC_OFF_FLAGS));
    }
    return fpy_sec_bc_head(s, bc_floor, h, d);
}

int fpy_sec_vm_head(const fpy_sec *s, uint32_t vm_floor, const fpy_image_app_desc *a,
                    fpy_diag *d)
{
    return fpy_sec_version(s, vm_floor, a->secure_version,
                           "VM older than the device accepts (anti-rollback)", "secure_version",
                           FPY_IMAGE_APP_DESC_IMAGE_OFF + 4u, d);
}

int fpy_sec_bc_head(const fpy_sec *s, uint32_t bc_floor, const fpy_bc_header *h, fpy_diag *d)
{
    if (s != NULL && s->pub != NULL && (h->flags & FPY_BC_FLAG_SIGNED) == 0)
        return fpy_diag_set(d, FPY_ERR_SIGNATURE,
                            "not signed: the device accepts only signed bytecode", "flags",
                            FPY_BC_OFF_FLAGS);
    return fpy_sec_version(s, bc_floor, h->security_version,
                           "bytecode older than the device accepts (anti-rollback)",
                           "security_version", FPY_BC_OFF_SECVER, d);
}

int fpy_sec_vm_floor_raise(const fpy_sec *s, uint32_t v)
{
    uint32_t floor;
    FPY_TRY(fpy_sec_vm_floor(s, &floor));
    if (s == NULL || !s->anti_rollback || v <= floor)
        return FPY_OK;
    if (s->ops->vm_floor_raise == NULL)
        return FPY_ERR_INVAL;
    return s->ops->vm_floor_raise(s->ctx, v);
}
