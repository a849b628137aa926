/* The erased-bytes scan: see include/fipy/bytes.h. */
#include "fipy/bytes.h"

size_t fpy_erased_prefix(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    size_t i = 0;
    while (i < len && p[i] == FPY_FLASH_ERASED)
        i++;
    return i;
}
