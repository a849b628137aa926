/*
 * The few pieces of Python's text semantics that gen_esp32part's CSV
 * reading depends on: UTF-8 decoding, str.splitlines(), str.strip(),
 * and int(s, 0).  Getting them exactly right is what makes a CSV give
 * the same bytes here as with ESP-IDF's tool.
 */
#include <stddef.h>
#include <stdint.h>

#include "part_int.h"

static int fpy_part_cont(uint8_t c)
{
    return (c & 0xC0u) == 0x80u;
}

/* Allowed range of the second byte for a given lead byte (RFC 3629
 * table): this is what rules out overlongs, surrogates and > U+10FFFF. */
static void fpy_part_utf8_second(uint8_t lead, uint8_t *lo, uint8_t *hi)
{
    *lo = 0x80u;
    *hi = 0xBFu;
    if (lead == 0xE0u)
        *lo = 0xA0u;
    else if (lead == 0xEDu)
        *hi = 0x9Fu;
    else if (lead == 0xF0u)
        *lo = 0x90u;
    else if (lead == 0xF4u)
        *hi = 0x8Fu;
}

size_t fpy_part_utf8_len(const uint8_t *s, size_t n)
{
    if (n == 0)
        return 0;
    uint8_t c = s[0];
    size_t need;
    if (c < 0x80u)
        return 1;
    if (c >= 0xC2u && c <= 0xDFu)
        need = 2;
    else if (c >= 0xE0u && c <= 0xEFu)
        need = 3;
    else if (c >= 0xF0u && c <= 0xF4u)
        need = 4;
    else
        return 0;
    if (n < need)
        return 0;
    uint8_t lo, hi;
    fpy_part_utf8_second(c, &lo, &hi);
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if (!fpy_part_cont(s[i]))
            return 0;
    return need;
}

/* U+0085 is C2 85; U+2028 and U+2029 are E2 80 A8 and E2 80 A9. */
static int fpy_part_is_nel(const uint8_t *s, size_t n)
{
    return n >= 2 && s[0] == 0xC2u && s[1] == 0x85u;
}

static int fpy_part_is_lsep(const uint8_t *s, size_t n)
{
    return n >= 3 && s[0] == 0xE2u && s[1] == 0x80u && (s[2] == 0xA8u || s[2] == 0xA9u);
}

size_t fpy_part_linebreak_len(const uint8_t *s, size_t n)
{
    if (n == 0)
        return 0;
    if (s[0] == '\r')
        return (n >= 2 && s[1] == '\n') ? 2 : 1;
    if (s[0] == '\n' || s[0] == 0x0Bu || s[0] == 0x0Cu ||
        (s[0] >= 0x1Cu && s[0] <= 0x1Eu))
        return 1;
    if (fpy_part_is_nel(s, n))
        return 2;
    if (fpy_part_is_lsep(s, n))
        return 3;
    return 0;
}

/* Multi-byte characters with str.isspace(): U+0085, U+00A0, U+1680,
 * U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000. */
static size_t fpy_part_space_mb(const uint8_t *s, size_t n)
{
    if (n >= 2 && s[0] == 0xC2u && (s[1] == 0x85u || s[1] == 0xA0u))
        return 2;
    if (n < 3)
        return 0;
    if (s[0] == 0xE1u && s[1] == 0x9Au && s[2] == 0x80u)
        return 3;
    if (s[0] == 0xE2u && s[1] == 0x80u &&
        ((s[2] >= 0x80u && s[2] <= 0x8Au) || s[2] == 0xA8u || s[2] == 0xA9u ||
         s[2] == 0xAFu))
        return 3;
    if (s[0] == 0xE2u && s[1] == 0x81u && s[2] == 0x9Fu)
        return 3;
    if (s[0] == 0xE3u && s[1] == 0x80u && s[2] == 0x80u)
        return 3;
    return 0;
}

size_t fpy_part_space_len(const uint8_t *s, size_t n, int for_int)
{
    if (n == 0)
        return 0;
    uint8_t c = s[0];
    if (c == ' ' || (c >= 0x09u && c <= 0x0Du))
        return 1;
    /* str.isspace() counts the separators 0x1C..0x1F; int() does not. */
    if (c >= 0x1Cu && c <= 0x1Fu)
        return for_int ? 0 : 1;
    return fpy_part_space_mb(s, n);
}

size_t fpy_part_space_len_end(const uint8_t *s, size_t n, int for_int)
{
    /* A whitespace character is at most 3 bytes; try each start. */
    for (size_t k = 1; k <= 3 && k <= n; k++)
        if (fpy_part_space_len(s + n - k, k, for_int) == k)
            return k;
    return 0;
}

void fpy_part_strip(const uint8_t *s, size_t *off, size_t *n, int for_int)
{
    size_t k;
    while (*n > 0 && (k = fpy_part_space_len(s + *off, *n, for_int)) != 0) {
        *off += k;
        *n -= k;
    }
    while (*n > 0 && (k = fpy_part_space_len_end(s + *off, *n, for_int)) != 0)
        *n -= k;
}

static int fpy_part_digit(uint8_t c, unsigned base)
{
    unsigned v;
    if (c >= '0' && c <= '9')
        v = (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'z')
        v = (unsigned)(c - 'a') + 10u;
    else if (c >= 'A' && c <= 'Z')
        v = (unsigned)(c - 'A') + 10u;
    else
        return -1;
    return v < base ? (int)v : -1;
}

/* Digits with single underscores between them; with `lead_us` one
 * underscore may also come first (after a 0x/0o/0b prefix).  Saturates
 * at FPY_PART_INT_MAX + 1 so the caller can tell "too big". */
static int fpy_part_digits(const uint8_t *s, size_t n, unsigned base, int lead_us,
                           uint64_t *v)
{
    size_t i = 0;
    int ndig = 0;
    *v = 0;
    if (lead_us && n > 0 && s[0] == '_')
        i = 1;
    for (; i < n; i++) {
        if (s[i] == '_') {
            if (i + 1 >= n || s[i + 1] == '_' || ndig == 0)
                return 0;
            continue;
        }
        int dv = fpy_part_digit(s[i], base);
        if (dv < 0)
            return 0;
        ndig++;
        *v = *v * base + (uint64_t)dv;
        if (*v > FPY_PART_INT_MAX)
            *v = FPY_PART_INT_MAX + 1;
    }
    return ndig > 0;
}

static unsigned fpy_part_prefix_base(const uint8_t *s, size_t n)
{
    if (n < 2 || s[0] != '0')
        return 0;
    switch (s[1]) {
    case 'x': case 'X': return 16;
    case 'o': case 'O': return 8;
    case 'b': case 'B': return 2;
    default: return 0;
    }
}

/* Decimal: "0" runs ("0", "00", "0_0") or a number not starting with 0. */
static int fpy_part_decimal(const uint8_t *s, size_t n, uint64_t *v, int *lz)
{
    if (!fpy_part_digits(s, n, 10, 0, v))
        return 0;
    if (s[0] == '0' && *v != 0) {
        *lz = 1;
        return 0;
    }
    return 1;
}

int fpy_part_pyint(const uint8_t *s, size_t n, int64_t *v, int *big,
                   int *leading_zero)
{
    size_t off = 0;
    uint64_t mag = 0;
    int neg = 0;
    *big = 0;
    *leading_zero = 0;
    fpy_part_strip(s, &off, &n, 1);
    s += off;
    if (n > 0 && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        s++;
        n--;
    }
    unsigned base = fpy_part_prefix_base(s, n);
    int ok = base != 0 ? fpy_part_digits(s + 2, n - 2, base, 1, &mag)
                       : (n > 0 && fpy_part_decimal(s, n, &mag, leading_zero));
    if (!ok)
        return 0;
    if (mag > FPY_PART_INT_MAX) {
        *big = 1;
        mag = FPY_PART_INT_MAX;
    }
    *v = neg ? -(int64_t)mag : (int64_t)mag;
    return 1;
}
