/* The FiPy's two flash layouts and their validator. */
#include "fipy/layout.h"

#include <string.h>

#include "fipy/flash.h"

#define FPY_K(n) ((uint32_t)(n) * 1024u)
#define FPY_M(n) ((uint32_t)(n) * 1024u * 1024u)

/* Rows shared by both layouts, up to the VM slots. */
#define FPY_AREAS_HEAD                                                        \
    {"bootloader", "ESP32 second-stage bootloader", 0x1000, 0x7000,           \
     FPY_AREA_BOOTLOADER, 0, 0, 0, 0},                                        \
    {"partition_table", "ESP32 partition table", 0x8000, 0x1000,              \
     FPY_AREA_PTABLE, 0, 0, 0, 0},                                            \
    {"nvs", "Esp32 NVS area", 0x9000, FPY_K(16), FPY_AREA_NVS, 0, 1,         \
     FPY_PTYPE_DATA, FPY_PSUB_DATA_NVS},                                      \
    {"otadata", "Esp32 OTA data", 0xD000, FPY_K(8), FPY_AREA_OTADATA, 0, 1,  \
     FPY_PTYPE_DATA, FPY_PSUB_DATA_OTA},                                      \
    {"phy_init", "Esp32 PHY data", 0xF000, FPY_K(4), FPY_AREA_PHY, 0, 1,     \
     FPY_PTYPE_DATA, FPY_PSUB_DATA_PHY}

/* Rows shared by both layouts, from user storage on (fipy's resolution
 * of the erratum: the reserved area is exactly the two VM stores). */
#define FPY_AREAS_TAIL                                                        \
    {"storage", "Free for user storage", 0x310000, FPY_K(512),               \
     FPY_AREA_STORAGE, 0, 1, FPY_PTYPE_DATA, FPY_PSUB_DATA_STORAGE},          \
    {"vmstore_0", "Reserved: VM store of slot 0", 0x390000, FPY_K(4),         \
     FPY_AREA_VMSTORE, 0, 1, FPY_PTYPE_DATA, FPY_PSUB_DATA_VMSTORE},          \
    {"vmstore_1", "Reserved: VM store of slot 1", 0x391000, FPY_K(4),         \
     FPY_AREA_VMSTORE, 1, 1, FPY_PTYPE_DATA, FPY_PSUB_DATA_VMSTORE},          \
    {"storage2", "Free for user storage", 0x392000, FPY_M(4),                \
     FPY_AREA_STORAGE, 1, 1, FPY_PTYPE_DATA, FPY_PSUB_DATA_STORAGE}

#define FPY_VM(i, off, sz, what)                                              \
    {"ota_" #i, what, off, sz, FPY_AREA_VM_SLOT, i, 1, FPY_PTYPE_APP,         \
     FPY_PSUB_APP_OTA_0 + i}
#define FPY_BC(i, off, sz, what)                                              \
    {"codemem_" #i, what, off, sz, FPY_AREA_BC_SLOT, i, 1, FPY_PTYPE_DATA,    \
     FPY_PSUB_DATA_BYTECODE}

static const fpy_area fpy_nonble_areas[] = {
    FPY_AREAS_HEAD,
    FPY_VM(0, 0x010000, FPY_M(1), "Zerynth VM"),
    FPY_VM(1, 0x110000, FPY_M(1), "Zerynth VM (FOTA)"),
    FPY_BC(0, 0x210000, FPY_K(512), "Zerynth Bytecode"),
    FPY_BC(1, 0x290000, FPY_K(512), "Zerynth Bytecode (FOTA)"),
    FPY_AREAS_TAIL,
};

static const fpy_area fpy_ble_areas[] = {
    FPY_AREAS_HEAD,
    FPY_VM(0, 0x010000, FPY_K(1216), "Zerynth VM"),
    FPY_VM(1, 0x140000, FPY_K(1216), "Zerynth VM (FOTA)"),
    FPY_BC(0, 0x270000, FPY_K(320), "Zerynth Bytecode"),
    FPY_BC(1, 0x2C0000, FPY_K(320), "Zerynth Bytecode (FOTA)"),
    FPY_AREAS_TAIL,
};

/* The page's rows as printed, including the overlapping "Reserved". */
#define FPY_PAGE_ROW(off, sz, what, kind)                                     \
    {NULL, what, off, sz, kind, 0, 0, 0, 0}
#define FPY_PAGE_HEAD                                                         \
    FPY_PAGE_ROW(0x9000, FPY_K(16), "Esp32 NVS area", FPY_AREA_NVS),          \
    FPY_PAGE_ROW(0xD000, FPY_K(8), "Esp32 OTA data", FPY_AREA_OTADATA),       \
    FPY_PAGE_ROW(0xF000, FPY_K(4), "Esp32 PHY data", FPY_AREA_PHY)
#define FPY_PAGE_TAIL                                                         \
    FPY_PAGE_ROW(0x310000, FPY_K(512), "Free for user storage", FPY_AREA_STORAGE), \
    FPY_PAGE_ROW(0x390000, FPY_K(448), "Reserved", FPY_AREA_RESERVED),        \
    FPY_PAGE_ROW(0x392000, FPY_M(4), "Free for user storage", FPY_AREA_STORAGE)

static const fpy_area fpy_nonble_page[] = {
    FPY_PAGE_HEAD,
    FPY_PAGE_ROW(0x010000, FPY_M(1), "Zerynth VM", FPY_AREA_VM_SLOT),
    FPY_PAGE_ROW(0x110000, FPY_M(1), "Zerynth VM (FOTA)", FPY_AREA_VM_SLOT),
    FPY_PAGE_ROW(0x210000, FPY_K(512), "Zerynth Bytecode", FPY_AREA_BC_SLOT),
    FPY_PAGE_ROW(0x290000, FPY_K(512), "Zerynth Bytecode (FOTA)", FPY_AREA_BC_SLOT),
    FPY_PAGE_TAIL,
};

static const fpy_area fpy_ble_page[] = {
    FPY_PAGE_HEAD,
    FPY_PAGE_ROW(0x010000, FPY_K(1216), "Zerynth VM", FPY_AREA_VM_SLOT),
    FPY_PAGE_ROW(0x140000, FPY_K(1216), "Zerynth VM (FOTA)", FPY_AREA_VM_SLOT),
    FPY_PAGE_ROW(0x270000, FPY_K(320), "Zerynth Bytecode", FPY_AREA_BC_SLOT),
    FPY_PAGE_ROW(0x2C0000, FPY_K(320), "Zerynth Bytecode (FOTA)", FPY_AREA_BC_SLOT),
    FPY_PAGE_TAIL,
};

#define FPY_N(a) (sizeof(a) / sizeof((a)[0]))

static const fpy_layout fpy_layouts[] = {
    {"nonble", "non-BLE VMs", fpy_nonble_areas, FPY_N(fpy_nonble_areas), FPY_FLASH_SIZE_8M},
    {"ble", "BLE VMs", fpy_ble_areas, FPY_N(fpy_ble_areas), FPY_FLASH_SIZE_8M},
};

static const fpy_layout fpy_pages[] = {
    {"nonble", "non-BLE VMs (as printed on the page)", fpy_nonble_page,
     FPY_N(fpy_nonble_page), FPY_FLASH_SIZE_8M},
    {"ble", "BLE VMs (as printed on the page)", fpy_ble_page, FPY_N(fpy_ble_page),
     FPY_FLASH_SIZE_8M},
};

const fpy_layout *fpy_layout_get(fpy_layout_id id)
{
    return (unsigned)id < FPY_N(fpy_layouts) ? &fpy_layouts[id] : NULL;
}

const fpy_layout *fpy_layout_page(fpy_layout_id id)
{
    return (unsigned)id < FPY_N(fpy_pages) ? &fpy_pages[id] : NULL;
}

const fpy_layout *fpy_layout_find(const char *name)
{
    if (name == NULL)
        return NULL;
    if (strcmp(name, "nonble") == 0 || strcmp(name, "non-ble") == 0)
        return &fpy_layouts[FPY_LAYOUT_NONBLE];
    if (strcmp(name, "ble") == 0)
        return &fpy_layouts[FPY_LAYOUT_BLE];
    return NULL;
}

const fpy_area *fpy_layout_area(const fpy_layout *l, fpy_area_kind kind,
                                unsigned index)
{
    for (size_t i = 0; i < l->count; i++)
        if (l->areas[i].kind == kind && l->areas[i].index == index)
            return &l->areas[i];
    return NULL;
}

static uint32_t fpy_area_align(const fpy_area *a)
{
    /* ESP-IDF maps app partitions through the 64 KiB MMU pages. */
    return a->kind == FPY_AREA_VM_SLOT ? 0x10000u : FPY_FLASH_SECTOR;
}

static int fpy_area_check(const fpy_area *a, uint32_t i, uint32_t flash_size,
                          fpy_diag *d)
{
    uint32_t align = fpy_area_align(a);
    int rc = FPY_OK;
    if (a->size == 0)
        rc = fpy_diag_set(d, FPY_ERR_CORRUPT, "area is empty", "size", a->offset);
    else if (a->offset % align != 0)
        rc = fpy_diag_val(d, FPY_ERR_ALIGN, "area start not aligned", "offset",
                          a->offset, align, a->offset % align);
    else if (a->size % FPY_FLASH_SECTOR != 0)
        rc = fpy_diag_val(d, FPY_ERR_ALIGN, "area size not a whole number of sectors",
                          "size", a->offset, FPY_FLASH_SECTOR, a->size % FPY_FLASH_SECTOR);
    else if (a->offset > flash_size || a->size > flash_size - a->offset)
        rc = fpy_diag_val(d, FPY_ERR_RANGE, "area ends past the end of flash", "size",
                          a->offset, flash_size, (uint64_t)a->offset + a->size);
    if (rc != FPY_OK)
        fpy_diag_index(d, i);
    return rc;
}

int fpy_layout_validate(const fpy_area *areas, size_t count,
                        uint32_t flash_size, fpy_diag *d)
{
    for (size_t i = 0; i < count; i++) {
        FPY_TRY(fpy_area_check(&areas[i], (uint32_t)i, flash_size, d));
        if (i == 0)
            continue;
        const fpy_area *prev = &areas[i - 1];
        uint64_t prev_end = (uint64_t)prev->offset + prev->size;
        if (areas[i].offset < prev_end) {
            int rc = fpy_diag_val(d, FPY_ERR_CORRUPT,
                                  "area overlaps the one before it (or is out of order)",
                                  "offset", areas[i].offset, prev_end, areas[i].offset);
            fpy_diag_index(d, (uint32_t)i);
            return rc;
        }
    }
    return FPY_OK;
}
