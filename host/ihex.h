/*
 * Intel HEX files, read the way esptool reads them (through Python's
 * intelhex module) before `image-info`: the data records become bytes at
 * 32-bit addresses, and the bytes fall into regions, runs of consecutive
 * addresses with a gap between one run and the next.  esptool treats each
 * region as a file of its own (an image, a partition table, ...).
 *
 * A file is lines; a line ends at "\n", "\r\n" or "\r" and empty lines are
 * skipped.  Every other line is one record, ':' then pairs of hex digits
 * (either case): length, address (2 bytes, big-endian), type, `length`
 * data bytes, and a checksum that makes the sum of all bytes 0 mod 256.
 * Types:
 *   00 data: at the current base + address; linear, no wrap at 64 KiB;
 *   01 end of file: length 0; nothing after it is read;
 *   02 extended segment address: length 2, address 0; base = value * 16;
 *   03 start segment address, 05 start linear address: length 4,
 *      address 0, at most one of them in a file; kept, not used;
 *   04 extended linear address: length 2, address 0; base = value << 16.
 * A file without an end-of-file record is read to its end (so does
 * intelhex); `has_eof` tells the caller.
 *
 * Errors name the 1-based line in the diag (fpy_diag.line), and what was
 * wrong:
 *   FPY_ERR_CORRUPT      not a record: no ':', a character that is not a
 *                        hex digit, an odd number of digits, fewer than 5
 *                        bytes (field "record"); a length byte that does
 *                        not match the data (field "length": expected the
 *                        length byte, found the data bytes); a 01/02/03/04/
 *                        05 record of the wrong length (field "length") or
 *                        with a non-zero address (field "address"); a second
 *                        start address (field "start"); data at an address
 *                        that already holds data (field "address", found
 *                        the address);
 *   FPY_ERR_UNSUPPORTED  record type above 05 (field "type");
 *   FPY_ERR_CHECKSUM     checksum byte wrong (field "checksum": expected
 *                        the right byte, found the stored one);
 *   FPY_ERR_RANGE        data running past address 0xFFFFFFFF (field
 *                        "address");
 *   FPY_ERR_NOSPC        out of memory.
 *
 * Guarantees: reads only text[0, len); every loop is bounded by len; no
 * recursion; on failure nothing is left allocated and *h is zeroed.
 * Memory: about twice the data bytes, plus 24 bytes per data record.
 */
#ifndef FIPY_IHEX_H
#define FIPY_IHEX_H

#include <stddef.h>
#include <stdint.h>

#include "fipy/err.h"

#define FPY_IHEX_DATA 0x00u
#define FPY_IHEX_EOF 0x01u
#define FPY_IHEX_EXT_SEGMENT 0x02u
#define FPY_IHEX_START_SEGMENT 0x03u
#define FPY_IHEX_EXT_LINEAR 0x04u
#define FPY_IHEX_START_LINEAR 0x05u

/* `len` (> 0) bytes at addresses [addr, addr + len). */
typedef struct fpy_ihex_region {
    uint32_t addr;
    uint32_t len;
    const uint8_t *data; /* points into fpy_ihex.bytes */
} fpy_ihex_region;

typedef struct fpy_ihex {
    fpy_ihex_region *region; /* by address; region i+1 starts past a gap */
    size_t nregion;
    uint8_t *bytes;          /* all data bytes, by address */
    size_t nbytes;
    uint32_t start;          /* 05: EIP; 03: CS << 16 | IP */
    uint8_t start_type;      /* 0 (none), 03 or 05 */
    uint8_t has_eof;         /* an end-of-file record ended the file */
} fpy_ihex;

/* Does the file look like Intel HEX?  esptool's test: the first byte is
 * ':' (an app image starts with 0xE9). */
int fpy_ihex_detect(const uint8_t *buf, size_t len);

/* Read text[0, len) into *h (fpy_ihex_free() it after FPY_OK).  A file
 * with no data records gives no regions. */
int fpy_ihex_parse(const char *text, size_t len, fpy_ihex *h, fpy_diag *d);

void fpy_ihex_free(fpy_ihex *h);

#endif
