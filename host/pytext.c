/*
 * Python's text semantics for the CSV readers (pytext.h).  Getting them
 * exactly right is what makes a CSV give the same bytes here as with
 * ESP-IDF's Python tools.
 */
#include "pytext.h"

/* ---- UTF-8 ------------------------------------------------------------------ */

/* Allowed range of the second byte for a given lead byte (RFC 3629
 * table): this is what rules out overlongs, surrogates and > U+10FFFF. */
static void fpy_py_utf8_second(uint8_t lead, uint8_t *lo, uint8_t *hi)
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

size_t fpy_py_utf8_len(const uint8_t *s, size_t n)
{
    if (n == 0)
        return 0;
    uint8_t c = s[0], lo, hi;
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
    fpy_py_utf8_second(c, &lo, &hi);
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if ((s[i] & 0xC0u) != 0x80u)
            return 0;
    return need;
}

int fpy_py_utf8_valid(const uint8_t *s, size_t n)
{
    for (size_t i = 0, k; i < n; i += k)
        if ((k = fpy_py_utf8_len(s + i, n - i)) == 0)
            return 0;
    return 1;
}

/* ---- lines and whitespace ------------------------------------------------------ */

size_t fpy_py_linebreak_len(const uint8_t *s, size_t n)
{
    if (n == 0)
        return 0;
    if (s[0] == '\r')
        return (n >= 2 && s[1] == '\n') ? 2 : 1;
    if (s[0] == '\n' || s[0] == 0x0Bu || s[0] == 0x0Cu || (s[0] >= 0x1Cu && s[0] <= 0x1Eu))
        return 1;
    if (n >= 2 && s[0] == 0xC2u && s[1] == 0x85u) /* U+0085 */
        return 2;
    if (n >= 3 && s[0] == 0xE2u && s[1] == 0x80u && (s[2] == 0xA8u || s[2] == 0xA9u))
        return 3; /* U+2028, U+2029 */
    return 0;
}

/* Multi-byte characters with str.isspace(): U+0085, U+00A0, U+1680,
 * U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000. */
static size_t fpy_py_space_mb(const uint8_t *s, size_t n)
{
    if (n >= 2 && s[0] == 0xC2u && (s[1] == 0x85u || s[1] == 0xA0u))
        return 2;
    if (n < 3)
        return 0;
    if (s[0] == 0xE1u && s[1] == 0x9Au && s[2] == 0x80u)
        return 3;
    if (s[0] == 0xE2u && s[1] == 0x80u &&
        ((s[2] >= 0x80u && s[2] <= 0x8Au) || s[2] == 0xA8u || s[2] == 0xA9u || s[2] == 0xAFu))
        return 3;
    if (s[0] == 0xE2u && s[1] == 0x81u && s[2] == 0x9Fu)
        return 3;
    if (s[0] == 0xE3u && s[1] == 0x80u && s[2] == 0x80u)
        return 3;
    return 0;
}

size_t fpy_py_space_len(const uint8_t *s, size_t n, fpy_py_space kind)
{
    if (n == 0)
        return 0;
    uint8_t c = s[0];
    if (c == ' ' || (c >= 0x09u && c <= 0x0Du))
        return 1;
    if (kind == FPY_PY_BYTES)
        return 0;
    if (c >= 0x1Cu && c <= 0x1Fu)
        return kind == FPY_PY_STR ? 1 : 0;
    return fpy_py_space_mb(s, n);
}

size_t fpy_py_space_len_end(const uint8_t *s, size_t n, fpy_py_space kind)
{
    /* A whitespace character is at most 3 bytes; try each start. */
    for (size_t k = 1; k <= 3 && k <= n; k++)
        if (fpy_py_space_len(s + n - k, k, kind) == k)
            return k;
    return 0;
}

void fpy_py_strip(const uint8_t *s, size_t *off, size_t *n, fpy_py_space kind)
{
    size_t k;
    while (*n > 0 && (k = fpy_py_space_len(s + *off, *n, kind)) != 0) {
        *off += k;
        *n -= k;
    }
    while (*n > 0 && (k = fpy_py_space_len_end(s + *off, *n, kind)) != 0)
        *n -= k;
}

/* ---- int() ------------------------------------------------------------------------ */

static int fpy_py_digit(uint8_t c, unsigned base)
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

/* Digits with single underscores between them (none first, none last).
 * Saturates the magnitude and sets out->big when it passes 64 bits. */
static int fpy_py_digits(const uint8_t *s, size_t n, unsigned base, fpy_py_intval *out)
{
    int ndig = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '_') {
            if (ndig == 0 || i + 1 >= n || s[i + 1] == '_')
                return 0;
            continue;
        }
        int dv = fpy_py_digit(s[i], base);
        if (dv < 0)
            return 0;
        ndig++;
        if (out->mag > (UINT64_MAX - (uint64_t)dv) / base) {
            out->big = 1;
            out->mag = UINT64_MAX;
        } else if (!out->big) {
            out->mag = out->mag * base + (uint64_t)dv;
        }
    }
    return ndig > 0;
}

/* The base a prefix at s names (16, 8, 2), or 0 when there is none. */
static unsigned fpy_py_prefix(const uint8_t *s, size_t n)
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

int fpy_py_int(const uint8_t *s, size_t n, unsigned base, fpy_py_space kind,
               fpy_py_intval *out)
{
    size_t off = 0;
    out->mag = 0;
    out->neg = out->big = out->leading_zero = 0;
    fpy_py_strip(s, &off, &n, kind);
    s += off;
    if (n > 0 && (s[0] == '+' || s[0] == '-')) {
        out->neg = s[0] == '-';
        s++;
        n--;
    }
    unsigned pb = fpy_py_prefix(s, n);
    int auto_dec = base == 0 && pb == 0;
    if (base == 0)
        base = pb != 0 ? pb : 10;
    if (pb != 0 && pb == base) {
        s += 2;
        n -= 2;
        if (n > 0 && s[0] == '_') { /* one underscore may follow a prefix */
            s++;
            n--;
        }
    }
    if (!fpy_py_digits(s, n, base, out))
        return 0;
    if (auto_dec && s[0] == '0' && out->mag != 0) {
        out->leading_zero = 1; /* "010": an old-style octal, refused */
        return 0;
    }
    return 1;
}
