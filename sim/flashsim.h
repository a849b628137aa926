/*
 * Simulated SPI NOR flash, stricter than the real one, with fault
 * injection, counters and a timing model.
 *
 * The caller owns every buffer: `mem` (geo.size bytes of RAM; fipytool
 * puts a flash image file's bytes there, see host/flashimg.h),
 * and optionally `wear` (one u32 erase counter per sector) and `bad` (one
 * byte per sector, non-zero = failed for good).  No allocation, no
 * globals: two simulated boards can live in one process.
 *
 * Program rules (fpy_flashsim_mode):
 *   NOR     - what the chip does: the result is old & new.
 *   NO_SET  - (default) refuse a program that would need any bit to go
 *             0 -> 1; re-programming that only clears more bits is allowed
 *             (ESP-IDF's NVS and otadata rely on it).
 *   ERASED  - refuse a program over any byte that is not 0xFF (like
 *             MCUboot's simulator), for writers that promise write-once.
 * A refused program changes nothing and returns FPY_ERR_NOT_ERASED.
 *
 * Faults.  "Mutations" are program and erase calls.  A fault is armed for
 * the Nth mutation from the moment of arming (N >= 1):
 *   CUT   - power is lost just before mutation N: it does not happen.
 *   TORN  - mutation N is cut half-way: a program lands a prefix plus one
 *           byte with only some of its bits cleared; an erase leaves the
 *           sector with arbitrary content (bits of old data set at random).
 * After a fault fires, every call (reads included) returns
 * FPY_ERR_POWERLOSS until fpy_flashsim_reboot().  Bit flips on read
 * corrupt the returned copy only, never the array.  Bad sectors refuse
 * program and erase with FPY_ERR_BADBLOCK and keep their content.
 * All random choices come from a seeded generator: runs are repeatable.
 */
#ifndef FIPY_FLASHSIM_H
#define FIPY_FLASHSIM_H

#include <stdint.h>

#include "fipy/flash.h"

typedef enum fpy_flashsim_mode {
    FPY_FLASHSIM_NO_SET = 0,
    FPY_FLASHSIM_NOR = 1,
    FPY_FLASHSIM_ERASED = 2
} fpy_flashsim_mode;

typedef enum fpy_flashsim_fault {
    FPY_FAULT_NONE = 0,
    FPY_FAULT_CUT = 1,
    FPY_FAULT_TORN = 2
} fpy_flashsim_fault;

/* Simulated time per operation.  Defaults are typical of the 8 MiB
 * quad-SPI NOR parts on ESP32 modules: 45 ms sector erase, 0.7 ms page
 * program, reads at 40 MHz DIO (about 10 MB/s, 100 ns per byte). */
typedef struct fpy_flashsim_timing {
    uint32_t erase_sector_us;
    uint32_t program_page_us;
    uint32_t read_ns_per_byte;
} fpy_flashsim_timing;

#define FPY_FLASHSIM_TIMING_DEFAULT() ((fpy_flashsim_timing){45000u, 700u, 100u})

typedef struct fpy_flashsim_stats {
    uint64_t reads;            /* read calls */
    uint64_t programs;         /* program calls that reached the array */
    uint64_t pages_programmed; /* chip page-program operations */
    uint64_t erases;           /* sector erases that reached the array */
    uint64_t bytes_read;
    uint64_t bytes_programmed;
    uint64_t time_ns;          /* simulated time of all the above */
} fpy_flashsim_stats;

typedef struct fpy_flashsim {
    fpy_flash_geometry geo;
    fpy_flashsim_mode mode;
    fpy_flashsim_timing timing;
    uint8_t *mem;
    uint32_t *wear;            /* may be NULL */
    uint8_t *bad;              /* may be NULL */
    fpy_flashsim_fault fault;
    uint32_t fault_at;         /* 1-based mutation index since arming */
    uint32_t since_arm;        /* mutations attempted since arming */
    uint32_t read_flip_every;  /* flip one bit in every Kth read; 0 = off */
    uint32_t reads_since_flip;
    uint8_t powered;
    uint8_t fault_fired;
    uint64_t rng;
    fpy_flashsim_stats stats;
} fpy_flashsim;

extern const fpy_flash_ops fpy_flashsim_ops;

/* Set up `s` over `mem` (geo->size bytes).  The content of mem is kept:
 * call fpy_flashsim_wipe() for a factory-fresh (all 0xFF) chip.  `wear`
 * and `bad`, when given, hold geo->size / geo->sector_size entries and
 * are zeroed here.  Returns FPY_ERR_INVAL for a bad geometry. */
int fpy_flashsim_init(fpy_flashsim *s, const fpy_flash_geometry *geo,
                      uint8_t *mem, uint32_t *wear, uint8_t *bad);
/* An fpy_flash handle that drives this simulator. */
void fpy_flashsim_bind(fpy_flashsim *s, fpy_flash *out);
/* Set every byte to 0xFF without counting it as operations. */
void fpy_flashsim_wipe(fpy_flashsim *s);
void fpy_flashsim_seed(fpy_flashsim *s, uint64_t seed);

/* Arm a fault for the nth mutation from now (n >= 1); NONE disarms. */
void fpy_flashsim_arm(fpy_flashsim *s, fpy_flashsim_fault kind, uint32_t n);
/* 1 once an armed fault has fired (and until the next arm/reboot). */
int fpy_flashsim_fault_fired(const fpy_flashsim *s);
/* Power back on after a fault: clears the fault; counters are kept. */
void fpy_flashsim_reboot(fpy_flashsim *s);
/* Flip one random bit in every kth read result (0 = never). */
void fpy_flashsim_set_read_flips(fpy_flashsim *s, uint32_t every);
/* Mark a sector as failed for good (or repaired); needs `bad`. */
int fpy_flashsim_set_bad(fpy_flashsim *s, uint32_t sector, int bad);
/* Mutations attempted since the fault was armed (for harness sizing). */
uint32_t fpy_flashsim_mutations(const fpy_flashsim *s);

#endif
