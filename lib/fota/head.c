/*
 * What an update can be judged by before anything is erased: the first
 * bytes of each image (see fpy_fota_req).  The engine calls these in
 * begin(), before it forgets the previous pair or erases a sector, so a
 * refused update costs nothing.  The full checks (checksum, SHA-256 of
 * the whole image) still run in finish().
 */
#include "fota_int.h"

#include "fipy/bcimage.h"
#include "fipy/bytes.h"

_Static_assert(FPY_FOTA_VM_HEAD == FPY_IMAGE_APP_DESC_IMAGE_OFF + FPY_IMAGE_APP_DESC_LEN,
               "the VM head reaches the end of esp_app_desc_t");
_Static_assert(FPY_FOTA_BC_HEAD == FPY_BC_HEADER_LEN, "the bytecode head is its header");

/* The first segment must be the DROM segment that carries the app
 * description (as ESP-IDF's bootloader and fpy_image_check require). */
static int fpy_head_first_segment(const uint8_t *h, fpy_diag *d)
{
    uint32_t load = fpy_get_le32(h + FPY_IMAGE_HEADER_LEN);
    uint32_t len = fpy_get_le32(h + FPY_IMAGE_HEADER_LEN + 4u);
    if (!(fpy_image_mem_types(load) & FPY_IMAGE_MEM_DROM))
        return fpy_diag_set(d, FPY_ERR_NOTFOUND,
                            "VM image: the first segment is not DROM (no app description)",
                            "segment[0].load_addr", FPY_IMAGE_HEADER_LEN);
    if (len < FPY_IMAGE_APP_DESC_LEN)
        return fpy_diag_val(d, FPY_ERR_TRUNCATED,
                            "VM image: the first segment is shorter than an app description",
                            "segment[0].data_len", FPY_IMAGE_HEADER_LEN + 4u,
                            FPY_IMAGE_APP_DESC_LEN, len);
    return FPY_OK;
}

int fpy_fota_vm_head_check(const fpy_fota *u, const uint8_t head[FPY_FOTA_VM_HEAD],
                           uint32_t size, uint32_t *abi, fpy_diag *d)
{
    fpy_image_header h;
    if (size < FPY_FOTA_VM_HEAD)
        return fpy_diag_val(d, FPY_ERR_TRUNCATED,
                            "VM image is smaller than its header and app description", "size",
                            0, FPY_FOTA_VM_HEAD, size);
    fpy_image_header_decode(head, &h);
    FPY_TRY(fpy_fw_vm_header_check(&h, d));
    FPY_TRY(fpy_head_first_segment(head, d));
    fpy_image_app_desc a;
    FPY_TRY(fpy_image_app_desc_decode(head + FPY_IMAGE_APP_DESC_IMAGE_OFF, &a, d));
    *abi = fpy_fw_abi_of_version(a.version);
    return fpy_sec_vm_head(u->sec, u->vm_floor, &a, d);
}

int fpy_fota_bc_head_check(const fpy_fota *u, const uint8_t head[FPY_FOTA_BC_HEAD],
                           uint32_t size, uint32_t slot_size, uint32_t abi, fpy_diag *d)
{
    fpy_bc_header h;
    if (size < FPY_FOTA_BC_HEAD)
        return fpy_diag_val(d, FPY_ERR_TRUNCATED, "bytecode image is smaller than its header",
                            "size", 0, FPY_FOTA_BC_HEAD, size);
    if (slot_size < size) /* begin() refused it already; the subtraction below relies on it */
        return fpy_diag_val(d, FPY_ERR_NOSPC, "bytecode image does not fit the slot", "size",
                            0, slot_size, size);
    int rc = fpy_bc_header_decode(head, slot_size - FPY_BC_HEADER_LEN, &h, d);
    if (rc == FPY_ERR_NOTFOUND) /* an erased header is no image */
        return fpy_diag_set(d, FPY_ERR_CORRUPT, "bytecode image: the header is blank",
                            "magic", 0);
    FPY_TRY(rc);
    if (h.payload_len != size - FPY_BC_HEADER_LEN)
        return fpy_diag_val(d, FPY_ERR_CORRUPT,
                            "bytecode image: its size differs from the one its header declares",
                            "payload_len", FPY_BC_OFF_PAYLOAD_LEN, size - FPY_BC_HEADER_LEN,
                            h.payload_len);
    if (h.vm_abi != abi)
        return fpy_diag_val(d, FPY_ERR_STATE,
                            "bytecode image is built for another VM ABI than the VM it would "
                            "run with",
                            "vm_abi", FPY_BC_OFF_ABI, abi, h.vm_abi);
    return fpy_sec_bc_head(u->sec, u->bc_floor, &h, d);
}
