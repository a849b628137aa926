/*
 * Fuzz the emulated flasher stub (sim/stubdev.c) with a stream of frames
 * over a small simulated flash (64 KiB, 4 KiB sectors).
 *
 * Input: byte 0 picks the stub (its low two bits: 5.3.1, 5.3.1/1, 4.8.1,
 * 4.8.1/2); then frames, each a 2-byte little-endian length and that many
 * bytes.  When bit 15 of the length is set, the harness writes the XOR
 * checksum of the frame's bytes from offset 24 on (a *_DATA command's
 * payload) into the header, so the fuzzer gets past the checksum check.
 *
 * Checked on every input:
 *  - no crash, no read or write outside the frame or the flash (ASan);
 *  - every packet out is 1 to 4096 bytes (a reply, a READ_FLASH data
 *    frame, its digest or OHAI), and the first one is OHAI;
 *  - the stub never programs bytes it has not erased first: the flash
 *    refuses a program that would set a bit (NO_SET), and that refusal
 *    aborts here, since every write of the stub erases ahead of itself;
 *  - after a reboot the harness stops (the board frees the stub then).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fipy/bytes.h"
#include "fipy/rom.h"

#include "flashsim.h"
#include "stubdev.h"

#define FPY_FZ_FLASH (64u * 1024u)

typedef struct fpy_fz {
    fpy_flashsim sim;
    uint32_t packets;
    int rebooted;
} fpy_fz;

static uint8_t fpy_fz_mem[FPY_FZ_FLASH];
static uint8_t fpy_fz_frame[0x10000];

static void fpy_fz_send(void *ctx, const uint8_t *pkt, size_t n, uint32_t busy_us)
{
    fpy_fz *z = ctx;
    (void)busy_us;
    if (n == 0 || n > 4096 || pkt == NULL)
        abort();
    if (z->packets++ == 0 && (n != 4 || memcmp(pkt, "OHAI", 4) != 0))
        abort();
}

static void fpy_fz_baud(void *ctx, uint32_t baud)
{
    (void)ctx;
    if (baud == 0)
        abort();
}

static void fpy_fz_reboot(void *ctx)
{
    ((fpy_fz *)ctx)->rebooted = 1;
}

static uint32_t fpy_fz_read_reg(void *ctx, uint32_t addr)
{
    (void)ctx;
    return addr ^ 0x5A5A5A5Au;
}

/* The flashsim's own ops, but a program over unerased bytes aborts. */
static int fpy_fz_read(void *ctx, uint32_t addr, void *buf, uint32_t len)
{
    return fpy_flashsim_ops.read(ctx, addr, buf, len);
}

static int fpy_fz_program(void *ctx, uint32_t addr, const void *buf, uint32_t len)
{
    int rc = fpy_flashsim_ops.program(ctx, addr, buf, len);
    if (rc == FPY_ERR_NOT_ERASED)
        abort();
    return rc;
}

static int fpy_fz_erase(void *ctx, uint32_t addr)
{
    return fpy_flashsim_ops.erase_sector(ctx, addr);
}

static const fpy_flash_ops fpy_fz_ops = {fpy_fz_read, fpy_fz_program, fpy_fz_erase};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const which[] = {"5.3.1", "5.3.1/1", "4.8.1", "4.8.1/2"};
    if (size < 1)
        return 0;
    fpy_fz z;
    memset(&z, 0, sizeof z);
    fpy_flash_geometry geo = {FPY_FZ_FLASH, 4096u, 256u, 4u};
    if (fpy_flashsim_init(&z.sim, &geo, fpy_fz_mem, NULL, NULL) != FPY_OK)
        abort();
    memset(fpy_fz_mem, 0x00, sizeof fpy_fz_mem); /* unerased: the stub must erase */
    fpy_flash f = {&fpy_fz_ops, &z.sim, geo};
    fpy_devout out = {&z, fpy_fz_send, fpy_fz_baud, NULL};
    fpy_stubdev_hooks hooks = {&z, fpy_fz_read_reg, NULL, fpy_fz_reboot, &z.sim};
    fpy_stubdev *s = fpy_stubdev_start(&f, &out, which[data[0] & 3u], &hooks);
    if (s == NULL)
        abort();
    size_t off = 1;
    while (off + 2 <= size && !z.rebooted) {
        uint16_t word = fpy_get_le16(data + off);
        size_t len = word & 0x7FFFu;
        off += 2;
        if (len > size - off)
            len = size - off;
        memcpy(fpy_fz_frame, data + off, len);
        off += len;
        if ((word & 0x8000u) && len >= FPY_ROM_HDR + FPY_ROM_DATA_HDR)
            fpy_put_le32(fpy_fz_frame + 4,
                         fpy_rom_checksum(fpy_fz_frame + 24, len - 24));
        fpy_stubdev_frame(s, fpy_fz_frame, len);
    }
    fpy_stubdev_free(s);
    return 0;
}
