/*
 * Fuzz the uplink's device side (lib/uplink): the input is the wire from
 * the host, SLIP-decoded into frames for one uplink over a FiPy flash
 * with a VM (ABI 2) in VM slot 0 and an empty bytecode slot 0, the clock
 * moving 50 ms a frame.  Every reply must be a well-formed ROM-style
 * response (direction 1, 4 status bytes, status 0 or 1, a non-zero error
 * byte on failure, at most 64 payload bytes); the VM slot and the running
 * bytecode slot are never written; and when the uplink asks for a
 * restart, the idle slot holds a bytecode that verifies for ABI 2.
 * Traps (a crash for the fuzzer) otherwise.
 */
#include <stdint.h>
#include <string.h>

#include "flashsim.h"
#include "fipy/bcimage.h"
#include "fipy/bytes.h"
#include "fipy/err.h"
#include "fipy/hash.h"
#include "fipy/image.h"
#include "fipy/rom.h"
#include "fipy/uplink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t mem[8u << 20];
static uint8_t vm[96u * 1024u];
static size_t vm_len;
static uint32_t vm_crc;
static fpy_uplink ul;
static fpy_image_builder ib;

/* A small VM image of version 2.0.0 (ABI 2), built once. */
static void build_vm(void)
{
    static uint8_t text[4096], iram[256];
    uint8_t desc[FPY_IMAGE_APP_DESC_LEN];
    fpy_image_app_desc a;
    memset(&a, 0, sizeof a);
    a.magic_word = FPY_IMAGE_APP_DESC_MAGIC;
    memcpy(a.version, "2.0.0", 6);
    memcpy(a.project_name, "fipy-vm", 8);
    fpy_image_app_desc_encode(&a, desc);
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (uint8_t)(i * 7u);
    fpy_image_section secs[] = {
        {".flash.appdesc", 0x3F400020u, desc, sizeof desc},
        {".iram0.text", 0x40080000u, iram, sizeof iram},
        {".flash.text", 0x400D0020u, text, sizeof text},
    };
    fpy_image_opts o = FPY_IMAGE_OPTS_DEFAULT();
    if (fpy_image_build(&ib, secs, 3, 0x40080400u, &o, NULL, vm, sizeof vm, &vm_len, NULL) !=
        FPY_OK)
        __builtin_trap();
}

static void check_reply(const uint8_t *p, size_t n)
{
    fpy_rom_resp r;
    if (fpy_rom_resp_parse(p, n, &r) != FPY_OK || r.size < 4 || r.size > 64u + 4u)
        __builtin_trap();
    uint8_t st = r.data[r.size - 4], er = r.data[r.size - 3];
    if (st > 1 || r.data[r.size - 2] != 0 || r.data[r.size - 1] != 0 || (st == 1) != (er != 0))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t frame[FPY_ROM_HDR + 0xFFFFu];
    const fpy_layout *l = fpy_layout_get(FPY_LAYOUT_NONBLE);
    const fpy_area *vms = fpy_layout_area(l, FPY_AREA_VM_SLOT, 0);
    const fpy_area *bc0 = fpy_layout_area(l, FPY_AREA_BC_SLOT, 0);
    const fpy_area *bc1 = fpy_layout_area(l, FPY_AREA_BC_SLOT, 1);
    if (vm_len == 0) {
        build_vm();
        memset(mem, 0xFF, sizeof mem);
        memcpy(mem + vms->offset, vm, vm_len);
        vm_crc = fpy_crc32_le(0, vm, vm_len);
    }
    /* what a run may write: the idle slot, the records, otadata */
    memset(mem + bc1->offset, 0xFF, bc1->size);
    memset(mem + 0x390000u, 0xFF, 0x2000u);
    memset(mem + 0xD000u, 0xFF, 0x2000u);
    fpy_flash_geometry geo = FPY_FLASH_GEOMETRY_FIPY();
    fpy_flashsim sim;
    fpy_flash flash;
    if (fpy_flashsim_init(&sim, &geo, mem, NULL, NULL) != FPY_OK)
        __builtin_trap();
    sim.mode = FPY_FLASHSIM_NOR;
    fpy_flashsim_bind(&sim, &flash);
    fpy_uplink_cfg cfg = {&flash, l, FPY_REC_STORE_FIPY(), 2, 0, 0, 0, 0, 0, NULL};
    uint64_t now = 0;
    fpy_uplink_init(&ul, &cfg, now);
    fpy_slip_dec d;
    fpy_slip_dec_init(&d, frame, sizeof frame);
    uint8_t reply[FPY_UPLINK_REPLY_MAX];
    for (size_t off = 0; off < size;) {
        int done;
        off += fpy_slip_dec_feed(&d, data + off, size - off, &done);
        if (!done)
            continue;
        size_t rlen;
        now += 50;
        fpy_uplink_action act = fpy_uplink_frame(&ul, now, d.buf, d.len, reply, sizeof reply,
                                                 &rlen);
        if (rlen > 0)
            check_reply(reply, rlen);
        if (act == FPY_UPLINK_RESTART) {
            uint32_t abi = 2;
            fpy_bc_header h;
            if (rlen == 0 || fpy_bc_verify_flash(&flash, bc1->offset, bc1->size, &abi,
                                                 ul.w.scratch, sizeof ul.w.scratch, &h,
                                                 NULL) != FPY_OK)
                __builtin_trap();
        }
    }
    if (fpy_crc32_le(0, mem + vms->offset, vm_len) != vm_crc)
        __builtin_trap();
    if (!fpy_is_erased(mem + bc0->offset, 4096u))
        __builtin_trap();
    return 0;
}
