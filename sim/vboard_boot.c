/*
 * What the virtual FiPy does once its straps are sampled: the ROM's
 * banner, then either the serial loader (GPIO0 low) or the boot from
 * flash through lib/boot, its log, and the stand-in VM.
 */
#include "vboard_int.h"

#include <stdio.h>
#include <string.h>

#include "fipy/bcimage.h"
#include "fipy/bytes.h"
#include "fipy/image.h"
#include "fipy/layout.h"
#include "fipy/part.h"

static const char *fpy_vb_rst_name(int rst)
{
    switch (rst) {
    case FPY_VB_RST_POWERON: return "POWERON_RESET";
    case FPY_VB_RST_SW: return "SW_RESET";
    default: return "UNKNOWN";
    }
}

void fpy_vb_power_lost(fpy_vboard *b)
{
    fpy_vb_stop_engines(b);
    b->powered = 0;
    b->cut = 1;
    b->mode = FPY_VB_OFF;
    b->strap_at = UINT64_MAX;
}

/* The chip comes out of reset: UART at 115200, the ROM prints its banner
 * (rom_protocol.md §1.2), then download mode or the boot from flash. */
void fpy_vb_start(fpy_vboard *b, int rst, int download)
{
    fpy_vb_stop_engines(b);
    fpy_efusesim_reset(b->efuse); /* the controller reloads the fuses */
    b->baud = FPY_VB_BAUD0;
    b->baud_locked = 0;
    fpy_slip_dec_init(&b->dec, b->rxbuf, FPY_VB_RXCAP);
    b->vm_slot = b->bc_slot = b->test_mode = -1;
    fpy_vb_line(b, 0, "ets Jun  8 2016 00:22:57");
    fpy_vb_line(b, 0, "%s", "");
    if (download) {
        fpy_vb_line(b, 0, "rst:0x%x (%s),boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))",
                    (unsigned)rst, fpy_vb_rst_name(rst));
        fpy_vb_line(b, 0, "waiting for download");
        fpy_romdev_cfg rc = {&b->flash, &b->sim, &b->out, {0}, FPY_VB_BAUD0, b->efuse};
        b->rom = fpy_romdev_new(&rc);
        b->mode = b->rom != NULL ? FPY_VB_DOWNLOAD : FPY_VB_HALTED;
        return;
    }
    fpy_vb_line(b, 0, "rst:0x%x (%s),boot:0x13 (SPI_FAST_FLASH_BOOT)", (unsigned)rst,
                fpy_vb_rst_name(rst));
    fpy_vb_boot_flash(b);
}

/* ---- the boot from flash ----------------------------------------------- */

/* The ROM's lines before it runs the second stage: the SPI settings, then
 * a load line per segment of the image at 0x1000 and its entry.  Returns
 * 0 when 0x1000 holds no image (*word: what is there). */
static int fpy_vb_rom_lines(fpy_vboard *b, uint32_t *word)
{
    uint8_t h[FPY_IMAGE_HEADER_LEN], sh[FPY_IMAGE_SEG_HEADER_LEN];
    fpy_vb_line(b, 0, "configsip: 0, SPIWP:0xee");
    fpy_vb_line(b, 0, "clk_drv:0x00,q_drv:0x00,d_drv:0x00,cs0_drv:0x00,hd_drv:0x00,wp_drv:0x00");
    fpy_vb_line(b, 0, "mode:DIO, clock div:2");
    if (fpy_flash_read(b->fw, FPY_BOOTLOADER_OFFSET, h, sizeof h) != FPY_OK)
        return 0;
    *word = fpy_get_le32(h);
    if (h[0] != FPY_IMAGE_MAGIC || h[1] == 0 || h[1] > 16)
        return 0;
    uint32_t at = FPY_BOOTLOADER_OFFSET + FPY_IMAGE_HEADER_LEN;
    for (unsigned i = 0; i < h[1]; i++) {
        if (fpy_flash_read(b->fw, at, sh, sizeof sh) != FPY_OK)
            return 0;
        uint32_t len = fpy_get_le32(sh + 4);
        fpy_vb_line(b, 0, "load:0x%08x,len:%u", (unsigned)fpy_get_le32(sh), (unsigned)len);
        if (len > FPY_FLASH_SIZE_8M)
            return 0;
        at += FPY_IMAGE_SEG_HEADER_LEN + len;
    }
    fpy_vb_line(b, 0, "entry 0x%08x", (unsigned)fpy_get_le32(h + 4));
    return 1;
}

/* The layout the second stage boots by: the partition table's when it is
 * one of the FiPy's (matched by its first VM slot), the configured one
 * for an erased table; NULL with *why for any other table. */
static const fpy_layout *fpy_vb_layout(fpy_vboard *b, char *why, size_t n)
{
    uint8_t tab[FPY_PART_TABLE_LEN];
    fpy_part_table pt;
    fpy_diag d = {0};
    if (fpy_flash_read(b->fw, FPY_PART_TABLE_OFFSET, tab, sizeof tab) != FPY_OK) {
        snprintf(why, n, "cannot read the partition table at 0x8000");
        return NULL;
    }
    if (fpy_is_erased(tab, sizeof tab))
        return fpy_layout_get(b->ble ? FPY_LAYOUT_BLE : FPY_LAYOUT_NONBLE);
    int rc = fpy_part_decode(tab, sizeof tab, &pt, &d);
    if (rc != FPY_OK) {
        snprintf(why, n, "the partition table at 0x8000 does not decode: %s (%s)",
                 d.what != NULL ? d.what : "?", fpy_strerror(rc));
        return NULL;
    }
    for (int id = FPY_LAYOUT_NONBLE; id <= FPY_LAYOUT_BLE; id++) {
        const fpy_layout *l = fpy_layout_get((fpy_layout_id)id);
        const fpy_area *vm0 = fpy_layout_area(l, FPY_AREA_VM_SLOT, 0);
        for (uint32_t i = 0; vm0 != NULL && i < pt.count; i++)
            if (pt.entries[i].type == vm0->ptype && pt.entries[i].subtype == vm0->psubtype &&
                pt.entries[i].offset == vm0->offset && pt.entries[i].size == vm0->size)
                return l;
    }
    snprintf(why, n, "the partition table at 0x8000 is no FiPy layout (no ota_0 as the "
                     "nonble or ble layout has it)");
    return NULL;
}

static const char *fpy_vb_reset_word(int reason)
{
    return fpy_sfw_reset_name(reason);
}

static void fpy_vb_log_result(fpy_vboard *b, uint32_t busy_us)
{
    const fpy_boot_result *r = &b->res;
    fpy_vb_line(b, busy_us, "fipy boot: last reset: %s", fpy_vb_reset_word(r->reset_reason));
    fpy_vb_line(b, 0, "fipy boot: rule %u: %s", r->row->rule, r->row->why);
    if (r->diag_rc != FPY_OK)
        fpy_vb_line(b, 0, "fipy boot: %s: %s%s%s (%s)", r->diag_what ? r->diag_what : "slot",
                    r->diag.what ? r->diag.what : "refused", r->diag.field ? ", field " : "",
                    r->diag.field ? r->diag.field : "", fpy_strerror(r->diag_rc));
    if (r->row->action == FPY_BOOT_NONE)
        return;
    const char *rb = "no";
    switch (r->row->action) {
    case FPY_BOOT_ROLLBACK: rb = "yes, back to the last working pair"; break;
    case FPY_BOOT_REVERT: rb = "yes, back to the pair before the last accept()"; break;
    case FPY_BOOT_FALLBACK: rb = "yes, to the only VM that verifies"; break;
    default: break;
    }
    fpy_vb_line(b, 0, "fipy boot: VM slot %u (0x%06x), bytecode slot %u (0x%06x)%s",
                r->vm_slot, (unsigned)r->vm_addr, r->bc_slot, (unsigned)r->bc_addr,
                r->run_bytecode ? "" : ", bytecode not run");
    fpy_vb_line(b, 0, "fipy boot: test mode: %s, rollback: %s",
                r->test_mode ? "yes (accept() before the next reset)" : "no", rb);
}

/* The stand-in VM: says who it is (esp_app_desc_t of the booted image)
 * and waits; the VM runtime comes later. */
static void fpy_vb_vm(fpy_vboard *b)
{
    uint8_t raw[FPY_IMAGE_APP_DESC_LEN];
    fpy_image_app_desc a;
    fpy_diag d = {0};
    if (fpy_flash_read(b->fw, b->res.vm_addr + FPY_IMAGE_APP_DESC_IMAGE_OFF, raw,
                       sizeof raw) != FPY_OK ||
        fpy_image_app_desc_decode(raw, &a, &d) != FPY_OK) {
        fpy_vb_line(b, 0, "fipy vm: VM slot %u has no app description", b->res.vm_slot);
    } else {
        fpy_vb_line(b, 0, "fipy vm: %s %s (VM slot %u, ABI %u) running", a.project_name,
                    a.version, b->res.vm_slot, (unsigned)b->res.vm_abi);
    }
}

/* The bytecode the VM runs: its size and payload SHA-256 from its header,
 * which the boot has just verified the payload against (the boot ran it
 * only then), so the slot is not read and hashed a second time. */
static void fpy_vb_bc_line(fpy_vboard *b, const fpy_layout *l)
{
    const fpy_area *a = fpy_layout_area(l, FPY_AREA_BC_SLOT, b->res.bc_slot);
    uint8_t raw[FPY_BC_HEADER_LEN];
    fpy_bc_header h;
    b->bc_size = 0;
    memset(b->bc_sha, 0, sizeof b->bc_sha);
    if (!b->res.run_bytecode || a == NULL ||
        fpy_flash_read(b->fw, a->offset, raw, sizeof raw) != FPY_OK ||
        fpy_bc_header_decode(raw, a->size - FPY_BC_HEADER_LEN, &h, NULL) != FPY_OK) {
        fpy_vb_line(b, 0, "fipy vm: no bytecode to run (bytecode slot %u)", b->res.bc_slot);
        return;
    }
    b->bc_size = FPY_BC_HEADER_LEN + h.payload_len;
    memcpy(b->bc_sha, h.sha256, sizeof b->bc_sha);
    fpy_vb_line(b, 0, "fipy vm: bytecode slot %u (0x%06x), %u bytes, payload SHA-256 "
                      "%02x%02x%02x%02x%02x%02x%02x%02x...%s",
                b->res.bc_slot, (unsigned)b->res.bc_addr, (unsigned)b->bc_size, b->bc_sha[0],
                b->bc_sha[1], b->bc_sha[2], b->bc_sha[3], b->bc_sha[4], b->bc_sha[5],
                b->bc_sha[6], b->bc_sha[7], b->res.test_mode ? ", test mode" : "");
}

/* The VM's uplink opens once its boot log is out, for the window
 * (lib/uplink): the host's reset-and-probe must fit in it. */
static void fpy_vb_uplink_open(fpy_vboard *b, const fpy_layout *l)
{
    fpy_uplink_cfg cfg = {b->fw, l, FPY_REC_STORE_FIPY(), b->res.vm_abi,
                          b->res.vm_slot, b->res.bc_slot, b->res.test_mode, 0, 0,
                          b->sec_on ? &b->sec : NULL};
    b->layout = l;
    b->vm_at = b->tail_ready > b->now ? b->tail_ready : b->now;
    fpy_uplink_init(b->ul, &cfg, b->vm_at / 1000u);
    b->ul_live = 1;
    fpy_vb_bc_line(b, l);
    fpy_vb_line(b, 0, "fipy vm: uplink open for %u s", FPY_UPLINK_WINDOW_MS / 1000u);
    fpy_vb_line(b, 0, "fipy vm: waiting (no VM runtime in the virtual board yet)");
}

void fpy_vb_uplink_frame(fpy_vboard *b, const uint8_t *f, size_t n)
{
    uint64_t t0 = b->sim.stats.time_ns;
    size_t rlen = 0;
    fpy_uplink_action act = fpy_uplink_frame(b->ul, b->now / 1000u, f, n, b->ul_reply,
                                             sizeof b->ul_reply, &rlen);
    if (fpy_flashsim_fault_fired(&b->sim))
        return; /* the caller drops the reply and the board is off */
    uint64_t busy = (b->sim.stats.time_ns - t0) / 1000u;
    if (rlen > 0)
        b->out.send(b, b->ul_reply, rlen, busy > UINT32_MAX ? UINT32_MAX : (uint32_t)busy);
    if (act == FPY_UPLINK_RESTART) {
        /* the reply is queued first: it goes out before the reset */
        fpy_vb_line(b, 0, "fipy vm: new bytecode committed (trial): restarting");
        fpy_vb_start(b, FPY_VB_RST_SW, 0);
    } else if (act == FPY_UPLINK_CLOSED) {
        fpy_vb_line(b, 0, "fipy vm: uplink closed");
    }
}

static void fpy_vb_halt(fpy_vboard *b, uint32_t busy_us, int bootloader, uint32_t word,
                        const char *why)
{
    /* the real chip's ROM says this of an erased 0x1000, then resets in a
     * loop; the board says it once and halts */
    if (!bootloader) {
        fpy_vb_line(b, busy_us, "invalid header: 0x%08x", (unsigned)word);
        busy_us = 0;
    }
    if (why != NULL) {
        fpy_vb_line(b, busy_us, "fipy boot: %s", why);
        busy_us = 0;
    }
    fpy_vb_line(b, busy_us, "fipy boot: nothing to boot: halted (jumper G23-GND and reset for "
                            "download mode)");
    b->mode = FPY_VB_HALTED;
}

/* Boot from flash: lib/boot's decision over the board's flash, with the
 * simulated system; the log goes out once the flash work is done. */
void fpy_vb_boot_flash(fpy_vboard *b)
{
    uint64_t t0 = b->sim.stats.time_ns;
    uint32_t word = 0xFFFFFFFFu;
    char why[200];
    if (fpy_vb_fw_view(b) != FPY_OK) {
        fpy_vb_halt(b, 0, 1, word, "flash encryption: the eFuses hold no usable key");
        return;
    }
    int bootloader = fpy_vb_rom_lines(b, &word);
    if (fpy_vb_protection(b, why, sizeof why) != 0) {
        fpy_vb_halt(b, 0, 1, word, why);
        return;
    }
    const fpy_layout *l = fpy_vb_layout(b, why, sizeof why);
    fpy_simsys_reset(&b->ss, FPY_RESET_RESET);
    b->reset_reason = FPY_RESET_RESET;
    int rc = FPY_ERR_NOTFOUND;
    if (l != NULL) {
        fpy_boot_cfg cfg = {l, FPY_REC_STORE_FIPY(), 0, 0, 0, b->sec_on ? &b->sec : NULL};
        rc = fpy_boot_run(b->fw, &b->sys, &cfg, &b->w, &b->res);
    }
    if (fpy_flashsim_fault_fired(&b->sim)) {
        fpy_vb_power_lost(b);
        return;
    }
    uint64_t busy = (b->sim.stats.time_ns - t0) / 1000u;
    uint32_t busy_us = busy > UINT32_MAX ? UINT32_MAX : (uint32_t)busy;
    if (l == NULL) {
        fpy_vb_halt(b, busy_us, bootloader, word, why);
        return;
    }
    if (rc != FPY_OK && rc != FPY_ERR_NOTFOUND) {
        snprintf(why, sizeof why, "flash error: %s", fpy_strerror(rc));
        fpy_vb_halt(b, busy_us, 1, word, why);
        return;
    }
    fpy_vb_protection_line(b);
    fpy_vb_log_result(b, busy_us);
    if (rc != FPY_OK) {
        fpy_vb_halt(b, 0, bootloader, word, NULL);
        return;
    }
    if (!bootloader)
        fpy_vb_line(b, 0, "fipy boot: no second-stage image at 0x1000 (the virtual board's "
                          "boot is built in)");
    b->vm_slot = b->res.vm_slot;
    b->bc_slot = b->res.bc_slot;
    b->test_mode = b->res.test_mode;
    fpy_vb_vm(b);
    fpy_vb_uplink_open(b, l);
    b->mode = FPY_VB_RUNNING;
}
