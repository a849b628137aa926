/* Buffered sequential writes to flash: see include/fipy/flash.h. */
#include <string.h>

#include "fipy/flash.h"

void fpy_pagewriter_start(fpy_pagewriter *w, const fpy_flash *f, uint32_t addr, int erase)
{
    w->f = f;
    w->addr = addr;
    w->len = 0;
    w->erased_to = addr;
    w->mutations = 0;
    w->erase = erase ? 1u : 0u;
}

/* Bytes that still fit before the end of the chip page being filled. */
static uint32_t fpy_pagewriter_room(const fpy_pagewriter *w)
{
    uint32_t page = w->f->geo.page_size < FPY_FLASH_PAGE ? w->f->geo.page_size : FPY_FLASH_PAGE;
    return page - (w->addr + w->len) % page;
}

/* Erase the sectors under [erased_to, end) one by one, each just before
 * it is first written: a cut leaves the later ones untouched. */
static int fpy_pagewriter_erase_to(fpy_pagewriter *w, uint32_t end)
{
    uint32_t sector = w->f->geo.sector_size;
    while (w->erased_to < end) {
        w->mutations++;
        FPY_TRY(fpy_flash_erase(w->f, w->erased_to, sector));
        w->erased_to += sector;
    }
    return FPY_OK;
}

int fpy_pagewriter_flush(fpy_pagewriter *w)
{
    if (w->len == 0)
        return FPY_OK;
    uint32_t unit = w->f->geo.write_align;
    if (w->erase && unit < FPY_FLASH_CRYPT_BLOCK)
        unit = FPY_FLASH_CRYPT_BLOCK; /* fresh sectors: see fipy/flash.h */
    uint32_t len = fpy_align_up32(w->len, unit);
    if (len > sizeof w->buf)
        return FPY_ERR_ALIGN; /* a write unit larger than the buffer */
    memset(w->buf + w->len, FPY_FLASH_ERASED, len - w->len);
    if (w->erase)
        FPY_TRY(fpy_pagewriter_erase_to(w, w->addr + len));
    w->mutations++;
    FPY_TRY(fpy_flash_program(w->f, w->addr, w->buf, len));
    w->addr += len;
    w->len = 0;
    return FPY_OK;
}

int fpy_pagewriter_put(fpy_pagewriter *w, const void *data, uint32_t len)
{
    const uint8_t *src = data;
    while (len > 0) {
        uint32_t room = fpy_pagewriter_room(w);
        uint32_t n = len < room ? len : room;
        memcpy(w->buf + w->len, src, n);
        w->len += n;
        src += n;
        len -= n;
        if (n == room)
            FPY_TRY(fpy_pagewriter_flush(w));
    }
    return FPY_OK;
}
