/*
 * Fuzz the update engine with an untrusted update: the input is split
 * into a VM image and a bytecode image (the first byte chooses the
 * targets, the next three where the split falls, little-endian, the fifth
 * the chunk size), announced to begin() with
 * their heads, streamed in chunks, and finished.  The engine must never
 * crash, and must never finish an update whose images would not boot:
 * when finish() says OK, the VM in flash verifies with its SHA-256 and
 * the bytecode verifies for that VM's ABI.
 */
#include <stdint.h>
#include <string.h>

#include "fipy/bcimage.h"
#include "fipy/fota.h"

#include "flashsim.h"
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t mem[8u << 20];
static int mem_ready;
static uint32_t last_vm, last_bc; /* sizes the previous run announced */

/* Erase only what the previous run could have written: the target slots
 * up to the sizes it announced (a whole 8 MiB per run would be slow), so
 * every run starts from the same erased flash. */
static void reset_flash(const fpy_layout *l, const fpy_fota_req *q)
{
    const fpy_area *vm = fpy_layout_area(l, FPY_AREA_VM_SLOT, 1);
    const fpy_area *bc = fpy_layout_area(l, FPY_AREA_BC_SLOT, 1);
    if (!mem_ready)
        memset(mem, 0xFF, sizeof mem);
    else {
        memset(mem + vm->offset, 0xFF, last_vm < vm->size ? last_vm + 4096u : vm->size);
        memset(mem + bc->offset, 0xFF, last_bc < bc->size ? last_bc + 4096u : bc->size);
    }
    mem_ready = 1;
    last_vm = q->vm_size;
    last_bc = q->bc_size;
}
static fpy_fw_work w;
static fpy_fota u;

static void check_finished(const fpy_flash *f, const fpy_layout *l, const fpy_fota_req *q)
{
    uint32_t abi = 0;
    fpy_diag d;
    if (q->targets & FPY_FOTA_VM) {
        const fpy_area *a = fpy_layout_area(l, FPY_AREA_VM_SLOT, q->vm_slot);
        fpy_image_src src = fpy_image_src_flash(f, a->offset, a->size);
        if (fpy_image_verify(&src, w.scratch, sizeof w.scratch, FPY_IMAGE_CHECK_APP, &w.info,
                             &d) != FPY_OK ||
            !w.info.has_digest)
            __builtin_trap();
        abi = fpy_fw_vm_abi(&w.info);
    }
    if ((q->targets & FPY_FOTA_BC) && (q->targets & FPY_FOTA_VM)) {
        const fpy_area *a = fpy_layout_area(l, FPY_AREA_BC_SLOT, q->bc_slot);
        fpy_bc_header h;
        if (fpy_bc_verify_flash(f, a->offset, a->size, &abi, w.scratch, sizeof w.scratch, &h,
                                &d) != FPY_OK)
            __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5)
        return 0;
    uint8_t targets = (uint8_t)(data[0] % 3u + 1u);
    uint32_t chunk = 1u + ((uint32_t)data[4] << 4); /* 1 to 4081 bytes */
    size_t split = (size_t)data[1] | (size_t)data[2] << 8 | (size_t)data[3] << 16;
    data += 5;
    size -= 5;
    if (split > size || targets != (FPY_FOTA_VM | FPY_FOTA_BC))
        split = targets == FPY_FOTA_BC ? 0 : size;
    const uint8_t *vm = (targets & FPY_FOTA_VM) ? data : NULL;
    const uint8_t *bc = (targets & FPY_FOTA_BC) ? data + split : NULL;

    const fpy_layout *l = fpy_layout_get(FPY_LAYOUT_NONBLE);
    fpy_rec_store st = FPY_REC_STORE_FIPY();
    fpy_flash_geometry g = FPY_FLASH_GEOMETRY_FIPY();
    fpy_flashsim sim;
    fpy_flash f;
    fpy_fota_req q;
    if (fpy_fota_req_from_images(&q, vm, split, bc, size - split) != FPY_OK)
        return 0;
    q.vm_slot = 1;
    q.bc_slot = 1;
    reset_flash(l, &q);
    if (fpy_flashsim_init(&sim, &g, mem, NULL, NULL) != FPY_OK)
        return 0;
    fpy_flashsim_bind(&sim, &f);
    if (fpy_fota_begin(&u, &f, l, &st, &q, NULL, &w, NULL) != FPY_OK)
        return 0;
    uint32_t off = 0;
    const uint8_t *stream = (targets & FPY_FOTA_VM) ? data : data + split;
    size_t len = (targets == (FPY_FOTA_VM | FPY_FOTA_BC)) ? size : (vm ? split : size - split);
    while (off < len) {
        uint32_t k = (uint32_t)(len - off < chunk ? len - off : chunk);
        if (fpy_fota_write(&u, off, stream + off, k, NULL) != FPY_OK)
            return 0;
        off += k;
    }
    if (fpy_fota_finish(&u, &w, NULL) == FPY_OK)
        check_finished(&f, l, &q);
    return 0;
}
