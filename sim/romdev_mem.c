/*
 * MEM_BEGIN / MEM_DATA / MEM_END: the ROM loads code into RAM and jumps
 * to it.  The board runs no Xtensa code: esptool's own stub is recognised
 * (sim/stubdev.h) and emulated; any other program is refused with a
 * console line and a failed MEM_END reply, never silence.
 */
#include "romdev_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stubdev.h"
#include "fipy/bytes.h"

/* The ESP32's internal RAM as a loaded program may use it: DRAM, IRAM and
 * the RTC fast memory, both buses (TRM "Address Mapping"). */
static const uint32_t fpy_ram_ranges[][2] = {
    {0x3FFAE000u, 0x40000000u}, /* DRAM */
    {0x40070000u, 0x400C2000u}, /* IRAM (incl. the RTC fast memory on the I bus) */
    {0x3FF80000u, 0x3FF82000u}, /* RTC fast memory, D bus */
};

static int fpy_rd_in_ram(uint32_t addr, uint32_t size)
{
    for (size_t i = 0; i < sizeof fpy_ram_ranges / sizeof fpy_ram_ranges[0]; i++)
        if (addr >= fpy_ram_ranges[i][0] && addr <= fpy_ram_ranges[i][1] &&
            size <= fpy_ram_ranges[i][1] - addr)
            return 1;
    return 0;
}

void fpy_rd_mem_reset(fpy_romdev *r)
{
    for (uint32_t i = 0; i < r->nsegs; i++)
        free(r->segs[i].data);
    r->nsegs = 0;
    r->m_open = 0;
}

/* MEM_BEGIN: total_size, num_blocks, block_size, load address. */
void fpy_rd_mem_begin(fpy_romdev *r, const fpy_rom_req *q)
{
    uint64_t t0 = fpy_rd_time(r);
    if (q->size != 16) {
        fpy_rd_fail(r, q->op, FPY_ROM_E_BAD_FORMAT, t0);
        return;
    }
    uint32_t size = fpy_get_le32(q->data), blocks = fpy_get_le32(q->data + 4);
    uint32_t bsize = fpy_get_le32(q->data + 8), addr = fpy_get_le32(q->data + 12);
    r->m_open = 0;
    if (bsize == 0 || bsize > FPY_RD_RAM_BLOCK || (uint64_t)blocks * bsize < size) {
        fpy_rd_fail(r, q->op, FPY_ROM_E_RAM_SIZE, t0);
        return;
    }
    if (!fpy_rd_in_ram(addr, size)) {
        fpy_rd_fail(r, q->op, FPY_ROM_E_RAM_ADDR, t0);
        return;
    }
    if (r->nsegs == FPY_RD_MAX_SEGS) {
        fpy_rd_fail(r, q->op, FPY_ROM_E_MALLOC, t0);
        return;
    }
    uint8_t *data = malloc(size ? size : 1);
    if (data == NULL) {
        fpy_rd_fail(r, q->op, FPY_ROM_E_MALLOC, t0);
        return;
    }
    r->segs[r->nsegs++] = (fpy_rd_seg){addr, size, 0, data};
    r->m_blocks = blocks;
    r->m_block_size = bsize;
    r->m_seq = 0;
    r->m_open = 1;
    fpy_rd_ok(r, q->op, 0, NULL, 0, t0);
}

/* MEM_DATA: len, seq, 0, 0, bytes; blocks in order, inside the segment. */
void fpy_rd_mem_data(fpy_romdev *r, const fpy_rom_req *q)
{
    uint64_t t0 = fpy_rd_time(r);
    uint32_t seq, len;
    const uint8_t *bytes;
    int rc = fpy_rom_data_parse(q, &seq, &bytes, &len);
    if (rc != FPY_OK) {
        fpy_rd_fail(r, q->op, rc == FPY_ERR_CHECKSUM ? FPY_ROM_E_CHECKSUM : FPY_ROM_E_BAD_FORMAT,
                    t0);
        return;
    }
    if (!r->m_open || seq != r->m_seq || seq >= r->m_blocks) {
        fpy_rd_fail(r, q->op, FPY_ROM_E_INVALID_PARAM, t0);
        return;
    }
    fpy_rd_seg *s = &r->segs[r->nsegs - 1];
    uint64_t at = (uint64_t)seq * r->m_block_size;
    if (len > r->m_block_size || at + len > s->size) {
        fpy_rd_fail(r, q->op, FPY_ROM_E_RAM_SIZE, t0);
        return;
    }
    memcpy(s->data + at, bytes, len);
    if (at + len > s->filled)
        s->filled = (uint32_t)(at + len);
    r->m_seq++;
    fpy_rd_ok(r, q->op, 0, NULL, 0, t0);
}

static void fpy_rd_refuse_program(fpy_romdev *r, uint32_t entry)
{
    char line[200];
    uint32_t total = 0;
    for (uint32_t i = 0; i < r->nsegs; i++)
        total += r->segs[i].filled;
    snprintf(line, sizeof line,
             "cannot run Xtensa code: the RAM program (%u segment%s, %u bytes, entry 0x%08x) "
             "is not esptool's flasher stub; the virtual FiPy emulates only that, it stays "
             "in the ROM loader", (unsigned)r->nsegs, r->nsegs == 1 ? "" : "s",
             (unsigned)total, (unsigned)entry);
    r->out.console(r->out.ctx, line);
}

/* MEM_END: flag, entry.  flag 1 = stay in the loader.  flag 0 = jump to
 * entry: esptool's stub takes over (the reply first, then the board
 * starts the stub, which says OHAI); anything else is refused. */
fpy_romdev_event fpy_rd_mem_end(fpy_romdev *r, const fpy_rom_req *q)
{
    uint64_t t0 = fpy_rd_time(r);
    if (q->size != 8) {
        fpy_rd_fail(r, q->op, FPY_ROM_E_BAD_FORMAT, t0);
        return FPY_ROMDEV_NONE;
    }
    uint32_t flag = fpy_get_le32(q->data), entry = fpy_get_le32(q->data + 4);
    fpy_romdev_event ev = FPY_ROMDEV_NONE;
    if (flag != 0) {
        fpy_rd_ok(r, q->op, 0, NULL, 0, t0);
    } else {
        fpy_ram_seg segs[FPY_RD_MAX_SEGS];
        for (uint32_t i = 0; i < r->nsegs; i++)
            segs[i] = (fpy_ram_seg){r->segs[i].addr, r->segs[i].data, r->segs[i].filled};
        r->stub = fpy_stubdev_recognise(segs, r->nsegs, entry);
        if (r->stub != NULL) {
            fpy_rd_ok(r, q->op, 0, NULL, 0, t0);
            ev = FPY_ROMDEV_STUB;
        } else {
            fpy_rd_fail(r, q->op, FPY_ROM_E_RESULT, t0);
            fpy_rd_refuse_program(r, entry);
        }
    }
    fpy_rd_mem_reset(r);
    return ev;
}
