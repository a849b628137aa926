/*
 * The pieces of Python's text semantics that ESP-IDF's CSV tools depend
 * on, in one place: both CSV readers (gen_esp32part's partition tables,
 * host/part_csv.c, and nvs_partition_gen's NVS CSV, host/nvs_csv.c) use
 * them, so a rule such as "what int() takes as whitespace" is written
 * once.
 *
 *   UTF-8 decoding    strict, as Python's codec: no overlong forms, no
 *                     surrogates, nothing above U+10FFFF
 *   str.splitlines()  \n, \r, \r\n, \v, \f, \x1c-\x1e, U+0085, U+2028/9
 *   str.isspace()     and the three whitespace sets of strip() and int()
 *   int(s, base)      bases 0 (auto), 2, 8, 10, 16: sign, prefixes,
 *                     single underscores between digits, no leading zero
 *                     in an auto-base decimal
 *
 * Text is UTF-8 bytes with a length (no NUL needed); nothing allocates.
 * Only ASCII digits are digits: Python also reads other Unicode decimal
 * digits ("٣"), which fipy deliberately refuses.
 */
#ifndef FIPY_PYTEXT_H
#define FIPY_PYTEXT_H

#include <stddef.h>
#include <stdint.h>

/* Length of the valid UTF-8 sequence at s[0, n) (1..4), 0 if invalid. */
size_t fpy_py_utf8_len(const uint8_t *s, size_t n);
/* 1 when all of s[0, n) is valid UTF-8. */
int fpy_py_utf8_valid(const uint8_t *s, size_t n);

/* Length of a line break at s[0, n) as str.splitlines() sees one, or 0. */
size_t fpy_py_linebreak_len(const uint8_t *s, size_t n);

/* Which characters are whitespace. */
typedef enum fpy_py_space {
    FPY_PY_STR,  /* str.isspace()/str.strip(): ASCII \t-\r and space, \x1c-\x1f,
                    U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029,
                    U+202F, U+205F, U+3000 */
    FPY_PY_INT,  /* int(str): the same without \x1c-\x1f (CPython turns only
                    non-ASCII spaces into ' ' before parsing) */
    FPY_PY_BYTES /* bytes.strip() and int(bytes): the six ASCII ones */
} fpy_py_space;

/* Length of the whitespace character at s[0, n), 0 if none. */
size_t fpy_py_space_len(const uint8_t *s, size_t n, fpy_py_space kind);
/* Length of the whitespace character that ends s[0, n), 0 if none. */
size_t fpy_py_space_len_end(const uint8_t *s, size_t n, fpy_py_space kind);
/* strip(): narrow s[*off, *off + *n) to its part without whitespace at
 * either end. */
void fpy_py_strip(const uint8_t *s, size_t *off, size_t *n, fpy_py_space kind);

/* The result of fpy_py_int.  Magnitudes that do not fit 64 bits set
 * `big` (the text is still a valid number) and saturate `mag`. */
typedef struct fpy_py_intval {
    uint64_t mag;
    uint8_t neg;
    uint8_t big;
    uint8_t leading_zero; /* refused: an auto-base decimal such as "010" */
} fpy_py_intval;

/*
 * Python's int(s, base) on s[0, n), base 0, 2, 8, 10 or 16: whitespace of
 * `kind` around it, one sign, the prefix 0x/0o/0b (any case) when it
 * matches the base (base 0: it chooses the base) followed by at most one
 * underscore, then digits with single underscores between them.  With
 * base 0, a decimal may start with 0 only when it is all zeros ("00",
 * "0_0"); otherwise leading_zero is set and the text is refused.
 * Returns 1 when s is a number (out filled), else 0.
 */
int fpy_py_int(const uint8_t *s, size_t n, unsigned base, fpy_py_space kind,
               fpy_py_intval *out);

#endif
