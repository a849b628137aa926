/*
 * The CSV text of ESP-IDF partition tables, host side: what
 * gen_esp32part.py reads (fpy_part_from_csv) and prints (fpy_part_to_csv),
 * byte for byte, and the warnings about tables that CSV cannot carry
 * (fpy_part_check).  docs/formats/partition-table.md §5-6 lists every
 * rule.  The binary format and the device-side rules are in
 * include/fipy/part.h.
 *
 * Nothing here allocates or does I/O; text is UTF-8 bytes with a length
 * (no NUL needed).  Guarantees for untrusted text: never reads outside
 * [text, text + len), never writes past the caller's table or buffer,
 * loops are bounded by the input, nothing recurses; a rejected input
 * leaves a diag naming the line, the field and the entry index.
 */
#ifndef FIPY_PART_CSV_H
#define FIPY_PART_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "fipy/part.h"

/* Worst-case length of fpy_part_to_csv output for a full table: the
 * 69-byte header, then 95 rows of at most a 16-byte name, "partition_table",
 * a subtype keyword, two 10-character numbers, "encrypted:readonly", five
 * commas and a newline. */
#define FPY_PART_CSV_ROW_MAX (FPY_PART_LABEL_LEN + 15u + FPY_PART_KW_MAX + 20u + 18u + 6u)
#define FPY_PART_CSV_MAX (69u + FPY_PART_MAX_ENTRIES * FPY_PART_CSV_ROW_MAX)

/*
 * Parse gen_esp32part v5.5.1 CSV text (text[0, len)) into `t`, placing
 * automatic offsets and resolving negative sizes as the tool does.  `o`
 * (may be NULL) gives the table offset, the extra subtype keywords and the
 * bootloader offsets that bootloader and partition_table entries take;
 * it is checked first (fpy_part_opts_check).  A UTF-8 byte order mark is
 * skipped.  The whole text is checked line by line first, then offsets are
 * placed, so the first error reported is the one gen_esp32part would
 * report.
 * fipy does not expand environment variables: a `$NAME` or `${...}`
 * outside a comment is FPY_ERR_UNSUPPORTED, as is UTF-16 or UTF-32 text.
 * Other errors: FPY_ERR_CORRUPT (syntax, invalid UTF-8, overlap with the
 * previous partition), FPY_ERR_RANGE (value does not fit its field),
 * FPY_ERR_INVAL (a bootloader entry without the bootloader offset it
 * needs), FPY_ERR_NOSPC (more than 95 partitions).  The diag gives the
 * line, the field and the entry index.  Does not run fpy_part_validate.
 */
int fpy_part_from_csv(const char *text, size_t len, const fpy_part_opts *o,
                      fpy_part_table *t, fpy_diag *d);

/*
 * Write `t` as gen_esp32part's to_csv() does, byte for byte: two header
 * lines, then "name,type,subtype,0xoffset,size,flags\n" per entry, types
 * and subtypes by keyword where they have one (the extra subtypes of `o`,
 * which may be NULL, included).  The text (not NUL-terminated) goes to
 * out[0, cap); *len gets its length.  FPY_ERR_NOSPC if cap is too small
 * (FPY_PART_CSV_MAX always suffices).
 */
int fpy_part_to_csv(const fpy_part_table *t, const fpy_part_opts *o, char *out,
                    size_t cap, size_t *len);

/*
 * One --extra-partition-subtypes entry as gen_esp32part reads it:
 * "TYPE,NAME,VALUE", fields stripped; TYPE exactly app, data, bootloader
 * or partition_table; VALUE as Python's int(VALUE, 16) ("40", "0x40"),
 * 0..255; fields after the third ignored.  fipy also wants NAME to be
 * letters, digits and '_' (ESP-IDF makes a C enum constant of it), at
 * most FPY_PART_KW_MAX bytes.  text[0, len); FPY_ERR_INVAL with the
 * field in the diag when it is not such an entry.  Whether the value is
 * new for its type is fpy_part_opts_check's call.
 */
int fpy_part_extra_parse(const char *text, size_t len, fpy_part_extra *x, fpy_diag *d);

/*
 * fpy_part_validate (same arguments, same return), then warnings
 * (FPY_PART_RULE_FIPY, or _GEN for a label gen_esp32part cannot decode)
 * for what CSV cannot carry unchanged: a name cut to 16 bytes, a label
 * that is not UTF-8, bytes after a label's NUL, a name that to_csv ->
 * from_csv would change (comma, leading '#', whitespace at either end, a
 * line break, a `$NAME`).  They are appended after the validator's
 * (none with o->no_verify).
 */
int fpy_part_check(const fpy_part_table *t, const fpy_part_opts *o,
                   fpy_part_issue *issues, size_t cap, size_t *count,
                   fpy_diag *d);

#endif
