/*
 * The FiPy's flash layouts, as data.
 *
 * Zerynth's page gives two layouts of the 8 MiB flash, for non-BLE and
 * BLE VMs.  fipy keeps both as const tables of areas, adds the areas the
 * page leaves implicit (second-stage bootloader at 0x1000, partition table
 * at 0x8000) and resolves the page's one erratum (docs/layout.md): the
 * "Reserved 448Kb" row at 0x390000 overlaps the 4 MiB of user storage at
 * 0x392000, so fipy's reserved area is the two 4 KiB VM stores at
 * 0x390000 and 0x391000, and user storage starts at 0x392000.
 *
 * Areas that are ESP-IDF partitions carry their type and subtype.  The
 * subtypes fipy chose for its own data partitions are listed below and in
 * docs/formats/partition-table.md.
 */
#ifndef FIPY_LAYOUT_H
#define FIPY_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "fipy/err.h"

/* ESP-IDF partition types and the subtypes fipy uses. */
#define FPY_PTYPE_APP 0x00u
#define FPY_PTYPE_DATA 0x01u
#define FPY_PSUB_APP_OTA_0 0x10u
#define FPY_PSUB_DATA_OTA 0x00u
#define FPY_PSUB_DATA_PHY 0x01u
#define FPY_PSUB_DATA_NVS 0x02u
/* fipy's own data subtypes, outside every range ESP-IDF assigns. */
#define FPY_PSUB_DATA_BYTECODE 0x40u
#define FPY_PSUB_DATA_VMSTORE 0x41u
#define FPY_PSUB_DATA_STORAGE 0x42u

typedef enum fpy_area_kind {
    FPY_AREA_BOOTLOADER,
    FPY_AREA_PTABLE,
    FPY_AREA_NVS,
    FPY_AREA_OTADATA,
    FPY_AREA_PHY,
    FPY_AREA_VM_SLOT,
    FPY_AREA_BC_SLOT,
    FPY_AREA_STORAGE,
    FPY_AREA_VMSTORE,
    FPY_AREA_RESERVED
} fpy_area_kind;

typedef struct fpy_area {
    const char *label;   /* partition label ("ota_0") or area name ("bootloader") */
    const char *content; /* the page's wording ("Zerynth VM (FOTA)") */
    uint32_t offset;
    uint32_t size;
    fpy_area_kind kind;
    uint8_t index;       /* slot number of VM/bytecode slots and VM stores */
    uint8_t in_table;    /* 1: an entry of the ESP-IDF partition table */
    uint8_t ptype;       /* ESP-IDF type, when in_table */
    uint8_t psubtype;    /* ESP-IDF subtype, when in_table */
} fpy_area;

typedef enum fpy_layout_id {
    FPY_LAYOUT_NONBLE = 0,
    FPY_LAYOUT_BLE = 1
} fpy_layout_id;

typedef struct fpy_layout {
    const char *name;     /* "nonble" or "ble" */
    const char *title;    /* "non-BLE VMs" */
    const fpy_area *areas;/* ascending offsets */
    size_t count;
    uint32_t flash_size;
} fpy_layout;

#define FPY_BOOTLOADER_OFFSET 0x1000u
#define FPY_PTABLE_OFFSET 0x8000u
#define FPY_PTABLE_SECTOR 0x1000u

/* fipy's resolved layout (with bootloader and partition table). */
const fpy_layout *fpy_layout_get(fpy_layout_id id);
/* By name: "nonble"/"non-ble" or "ble"; NULL if unknown. */
const fpy_layout *fpy_layout_find(const char *name);
/* The page's table exactly as printed, erratum included (no bootloader
 * or partition-table rows): what `fipytool layout --check` audits. */
const fpy_layout *fpy_layout_page(fpy_layout_id id);

/* The area of `kind` with slot number `index`, or NULL. */
const fpy_area *fpy_layout_area(const fpy_layout *l, fpy_area_kind kind,
                                unsigned index);

/*
 * Check a list of areas: each inside flash_size, 4 KiB aligned (64 KiB
 * for VM slots, as ESP-IDF requires of app partitions), non-empty, in
 * ascending order without overlap.  Returns FPY_OK, or FPY_ERR_ALIGN /
 * FPY_ERR_RANGE / FPY_ERR_CORRUPT (overlap or order) with the diag naming
 * the area (index) and the offending value.
 */
int fpy_layout_validate(const fpy_area *areas, size_t count,
                        uint32_t flash_size, fpy_diag *d);

#endif
