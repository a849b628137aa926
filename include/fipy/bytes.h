/*
 * Explicit little-endian encoding.  On-flash and on-wire formats are read
 * and written byte by byte with these, never by casting packed structs, so
 * the code behaves the same on any host.  And the test for erased bytes.
 */
#ifndef FIPY_BYTES_H
#define FIPY_BYTES_H

#include <stddef.h>
#include <stdint.h>

static inline uint16_t fpy_get_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t fpy_get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static inline uint64_t fpy_get_le64(const uint8_t *p)
{
    return (uint64_t)fpy_get_le32(p) | ((uint64_t)fpy_get_le32(p + 4) << 32);
}

static inline void fpy_put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void fpy_put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void fpy_put_le64(uint8_t *p, uint64_t v)
{
    fpy_put_le32(p, (uint32_t)v);
    fpy_put_le32(p + 4, (uint32_t)(v >> 32));
}

static inline uint32_t fpy_get_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline void fpy_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* True when [off, off+len) lies inside a buffer of `size` bytes; written
 * so that off + len cannot overflow. */
static inline int fpy_in_bounds(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

/* Round `v` up to a multiple of the power of two `a`. */
static inline uint32_t fpy_align_up32(uint32_t v, uint32_t a)
{
    return (v + (a - 1u)) & ~(a - 1u);
}

/* The value of the hex digit `c` (0-9, a-f, A-F), or -1. */
static inline int fpy_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* What an erased NOR flash byte reads as; formats kept on flash read it
 * where nothing was written. */
#define FPY_FLASH_ERASED 0xFFu

/* How many bytes at the start of `buf` read as erased: `len` when all of
 * them do.  The one scan for erased bytes (flash ranges: fpy_flash_is_erased). */
size_t fpy_erased_prefix(const void *buf, size_t len);

/* 1 when every byte of `buf` reads as erased (also when len is 0). */
static inline int fpy_is_erased(const void *buf, size_t len)
{
    return fpy_erased_prefix(buf, len) == len;
}

/* The length of the string in `s`, at most `max`: the bounded length of
 * a fixed-size name or key field, which need not hold a NUL.  C11 has no
 * strnlen (POSIX), and the core builds with a C11 libc only. */
size_t fpy_strnlen(const char *s, size_t max);

#endif
