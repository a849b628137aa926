/* The uplink's bodies and error texts (fipy/uplink.h,
 * docs/formats/uplink.md): pure byte work, shared by the board and the
 * host client. */
#include <string.h>

#include "fipy/bytes.h"
#include "fipy/err.h"
#include "fipy/rom.h"
#include "fipy/uplink.h"

void fpy_uplink_begin_encode(const fpy_uplink_begin *b, uint8_t out[FPY_UPLINK_BEGIN_LEN])
{
    fpy_put_le32(out, b->size);
    fpy_put_le32(out + 4, b->blocks);
    fpy_put_le32(out + 8, b->block_size);
    fpy_put_le32(out + 12, b->offset);
    memcpy(out + FPY_UPLINK_BEGIN_OFF_SHA, b->sha256, FPY_SHA256_LEN);
    memcpy(out + FPY_UPLINK_BEGIN_OFF_HEAD, b->head, FPY_FOTA_BC_HEAD);
}

void fpy_uplink_begin_decode(const uint8_t in[FPY_UPLINK_BEGIN_LEN], fpy_uplink_begin *b)
{
    b->size = fpy_get_le32(in);
    b->blocks = fpy_get_le32(in + 4);
    b->block_size = fpy_get_le32(in + 8);
    b->offset = fpy_get_le32(in + 12);
    memcpy(b->sha256, in + FPY_UPLINK_BEGIN_OFF_SHA, FPY_SHA256_LEN);
    memcpy(b->head, in + FPY_UPLINK_BEGIN_OFF_HEAD, FPY_FOTA_BC_HEAD);
}

void fpy_uplink_info_encode(const fpy_uplink_info *i, uint8_t out[FPY_UPLINK_INFO_LEN])
{
    fpy_put_le32(out + FPY_UPLINK_INFO_OFF_MAGIC, FPY_UPLINK_INFO_MAGIC);
    fpy_put_le16(out + FPY_UPLINK_INFO_OFF_VERSION, i->version);
    fpy_put_le16(out + FPY_UPLINK_INFO_OFF_BLOCK, i->block_max);
    fpy_put_le32(out + FPY_UPLINK_INFO_OFF_ABI, i->vm_abi);
    out[FPY_UPLINK_INFO_OFF_VM_SLOT] = i->vm_slot;
    out[FPY_UPLINK_INFO_OFF_BC_SLOT] = i->bc_slot;
    out[FPY_UPLINK_INFO_OFF_TEST] = i->test_mode;
    out[FPY_UPLINK_INFO_OFF_IDLE] = i->idle_slot;
    fpy_put_le32(out + FPY_UPLINK_INFO_OFF_IDLE_ADDR, i->idle_addr);
    fpy_put_le32(out + FPY_UPLINK_INFO_OFF_IDLE_SIZE, i->idle_size);
    fpy_put_le32(out + FPY_UPLINK_INFO_OFF_RUN_SIZE, i->run_size);
    fpy_put_le32(out + FPY_UPLINK_INFO_OFF_RESERVED, 0);
    memcpy(out + FPY_UPLINK_INFO_OFF_RUN_SHA, i->run_sha256, FPY_SHA256_LEN);
}

int fpy_uplink_info_decode(const uint8_t in[FPY_UPLINK_INFO_LEN], fpy_uplink_info *i)
{
    if (fpy_get_le32(in + FPY_UPLINK_INFO_OFF_MAGIC) != FPY_UPLINK_INFO_MAGIC)
        return FPY_ERR_CORRUPT;
    memset(i, 0, sizeof *i);
    i->version = fpy_get_le16(in + FPY_UPLINK_INFO_OFF_VERSION);
    if (i->version != FPY_UPLINK_VERSION)
        return FPY_ERR_UNSUPPORTED;
    i->block_max = fpy_get_le16(in + FPY_UPLINK_INFO_OFF_BLOCK);
    i->vm_abi = fpy_get_le32(in + FPY_UPLINK_INFO_OFF_ABI);
    i->vm_slot = in[FPY_UPLINK_INFO_OFF_VM_SLOT];
    i->bc_slot = in[FPY_UPLINK_INFO_OFF_BC_SLOT];
    i->test_mode = in[FPY_UPLINK_INFO_OFF_TEST];
    i->idle_slot = in[FPY_UPLINK_INFO_OFF_IDLE];
    i->idle_addr = fpy_get_le32(in + FPY_UPLINK_INFO_OFF_IDLE_ADDR);
    i->idle_size = fpy_get_le32(in + FPY_UPLINK_INFO_OFF_IDLE_SIZE);
    i->run_size = fpy_get_le32(in + FPY_UPLINK_INFO_OFF_RUN_SIZE);
    memcpy(i->run_sha256, in + FPY_UPLINK_INFO_OFF_RUN_SHA, FPY_SHA256_LEN);
    return FPY_OK;
}

/* One table for every error byte a session answers with. */
const char *fpy_uplink_error_text(uint8_t error)
{
    static const char *const text[] = {
        "the address is not the idle bytecode slot",
        "the bytecode image is larger than the bytecode slot",
        "the bytecode is built for another VM ABI than the board's VM",
        "the bytecode header does not decode, or its size disagrees with the image",
        "the image received or written does not verify (SHA-256)",
        "not now: no upload in progress, bytes missing, or a bytecode on trial",
        "the board's flash failed",
        "the board is protected and accepts only bytecode signed with its key",
        "the board has accepted a newer bytecode (anti-rollback: security version too low)",
    };
    if (error >= FPY_UPLINK_E_FIRST && error <= FPY_UPLINK_E_LAST)
        return text[error - FPY_UPLINK_E_FIRST];
    switch (error) {
    case FPY_ROM_E_INVALID_PARAM: return "invalid parameter (block size, or a block out of order)";
    case FPY_ROM_E_BAD_FORMAT: return "malformed request body";
    case FPY_ROM_E_CHECKSUM: return "the block's checksum is wrong";
    default: return "unknown error";
    }
}
