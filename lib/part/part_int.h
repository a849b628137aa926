/*
 * Internals shared by the files of lib/part.  Not part of the public API.
 */
#ifndef FIPY_PART_INT_H
#define FIPY_PART_INT_H

#include <stddef.h>
#include <stdint.h>

#include "fipy/part.h"

/* Keyword look-up as gen_esp32part's parse_int() does it: an exact,
 * ASCII case-insensitive match of s[0, n).  Types: "app", "data".
 * Subtypes: those of `type` (app or data; other types have none).
 * 1 and *v set when found, else 0. */
int fpy_part_kw_type(const char *s, size_t n, uint32_t *v);
int fpy_part_kw_subtype(uint8_t type, const char *s, size_t n, uint32_t *v);

/* A diag for text input: line instead of offset, with values; index
 * FPY_PART_NO_OTHER when the problem is not in one entry. */
int fpy_part_diag_line(fpy_diag *d, int err, const char *what,
                       const char *field, uint32_t line, uint32_t index);
int fpy_part_diag_line_val(fpy_diag *d, int err, const char *what,
                           const char *field, uint32_t line, uint32_t index,
                           uint64_t expected, uint64_t found);

/* Effective options: the defaults for a NULL or zeroed struct. */
uint32_t fpy_part_table_offset(const fpy_part_opts *o);

/* ---- text helpers (text.c) --------------------------------------------- */

/* Length of a valid UTF-8 sequence at s[0, n) (1..4), 0 if invalid.
 * Strict like Python's decoder: no overlong forms, no surrogates,
 * nothing above U+10FFFF. */
size_t fpy_part_utf8_len(const uint8_t *s, size_t n);

/* Length of a line break at s[0, n) as Python's str.splitlines() sees
 * one (\n, \r, \r\n, \v, \f, \x1c-\x1e, U+0085, U+2028, U+2029), or 0. */
size_t fpy_part_linebreak_len(const uint8_t *s, size_t n);

/* Whitespace runs, as str.strip() (`for_int` = 0) or int() (1) see them:
 * the length of the whitespace character at s[0, n), 0 if none. */
size_t fpy_part_space_len(const uint8_t *s, size_t n, int for_int);
/* Length of the whitespace character that ends s[0, n), 0 if none. */
size_t fpy_part_space_len_end(const uint8_t *s, size_t n, int for_int);

/* Strip leading and trailing whitespace of s[*off, *off + *n). */
void fpy_part_strip(const uint8_t *s, size_t *off, size_t *n, int for_int);

/*
 * Python's int(s, 0) on s[0, n) (whitespace around allowed, sign, 0x/0o/0b
 * with underscores between digits, decimal without leading zeros).  Only
 * ASCII digits.  Values whose magnitude passes FPY_PART_INT_MAX set
 * *big = 1 (still a valid number).  1 if s is a number, else 0 and
 * *leading_zero = 1 when s was a decimal with a leading zero ("010").
 */
#define FPY_PART_INT_MAX ((uint64_t)1 << 40)
int fpy_part_pyint(const uint8_t *s, size_t n, int64_t *v, int *big,
                   int *leading_zero);

#endif
