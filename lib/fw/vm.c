/* The rule for what VM may boot: see include/fipy/fw.h. */
#include "fipy/fw.h"

#include <string.h>

int fpy_fw_vm_header_check(const fpy_image_header *h, fpy_diag *d)
{
    if (h->magic != FPY_IMAGE_MAGIC)
        return fpy_diag_val(d, FPY_ERR_CORRUPT, "VM image: not an ESP32 app image", "magic",
                            FPY_IMAGE_OFF_MAGIC, FPY_IMAGE_MAGIC, h->magic);
    if (h->segment_count == 0 || h->segment_count > FPY_IMAGE_MAX_SEGMENTS)
        return fpy_diag_val(d, FPY_ERR_CORRUPT, "VM image: segment count out of range",
                            "segment_count", FPY_IMAGE_OFF_SEGMENT_COUNT,
                            FPY_IMAGE_MAX_SEGMENTS, h->segment_count);
    if (h->chip_id != FPY_IMAGE_CHIP_ID_ESP32)
        return fpy_diag_val(d, FPY_ERR_UNSUPPORTED, "VM image is not for the ESP32",
                            "chip_id", FPY_IMAGE_OFF_CHIP_ID, FPY_IMAGE_CHIP_ID_ESP32,
                            h->chip_id);
    if (h->hash_appended != 1)
        return fpy_diag_val(d, FPY_ERR_UNSUPPORTED, "VM image carries no SHA-256 digest",
                            "hash_appended", FPY_IMAGE_OFF_HASH_APPENDED, 1, h->hash_appended);
    return FPY_OK;
}

int fpy_fw_vm_check(const fpy_image_src *src, fpy_fw_work *w, uint32_t *abi, fpy_diag *d)
{
    /* The header first: what it alone refuses is refused without hashing
     * the slot (a shorter source is left to verify, which says where). */
    if (src->size >= FPY_IMAGE_HEADER_LEN) {
        uint8_t raw[FPY_IMAGE_HEADER_LEN];
        if (src->mem != NULL)
            memcpy(raw, src->mem, sizeof raw);
        else
            FPY_TRY(fpy_flash_read(src->flash, src->base, raw, sizeof raw));
        fpy_image_header h;
        fpy_image_header_decode(raw, &h);
        FPY_TRY(fpy_fw_vm_header_check(&h, d));
    }
    FPY_TRY(fpy_image_verify(src, w->scratch, sizeof w->scratch, FPY_IMAGE_CHECK_APP, &w->info,
                             d));
    if (abi != NULL)
        *abi = fpy_fw_vm_abi(&w->info);
    return FPY_OK;
}

uint32_t fpy_fw_vm_abi(const fpy_image_info *info)
{
    return info->has_app_desc ? fpy_fw_abi_of_version(info->app_desc.version) : 0u;
}

uint32_t fpy_fw_abi_of_version(const char *v)
{
    if (*v == 'v' || *v == 'V')
        v++;
    uint32_t abi = 0;
    int digits = 0;
    for (; *v >= '0' && *v <= '9' && digits < 9; v++, digits++)
        abi = abi * 10u + (uint32_t)(*v - '0');
    return abi;
}
