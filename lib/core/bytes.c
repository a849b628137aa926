/* The erased-bytes scan and the bounded string length: see
 * include/fipy/bytes.h. */
#include "fipy/bytes.h"

#include <string.h>

size_t fpy_erased_prefix(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    size_t i = 0;
    while (i < len && p[i] == FPY_FLASH_ERASED)
        i++;
    return i;
}

size_t fpy_strnlen(const char *s, size_t max)
{
    const char *nul = memchr(s, '\0', max);
    return nul != NULL ? (size_t)(nul - s) : max;
}
