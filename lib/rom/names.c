/*
 * Names of opcodes and texts of error codes, for messages on both ends.
 * The error texts are esptool 5.3.1's (rom_protocol.md §3.4), so a user
 * who compares our message with esptool's sees the same words.
 */
#include "fipy/rom.h"

typedef struct fpy_rom_name {
    uint8_t code;
    const char *text;
} fpy_rom_name;

static const fpy_rom_name fpy_rom_ops[] = {
    {FPY_ROM_FLASH_BEGIN, "FLASH_BEGIN"},
    {FPY_ROM_FLASH_DATA, "FLASH_DATA"},
    {FPY_ROM_FLASH_END, "FLASH_END"},
    {FPY_ROM_MEM_BEGIN, "MEM_BEGIN"},
    {FPY_ROM_MEM_END, "MEM_END"},
    {FPY_ROM_MEM_DATA, "MEM_DATA"},
    {FPY_ROM_SYNC, "SYNC"},
    {FPY_ROM_WRITE_REG, "WRITE_REG"},
    {FPY_ROM_READ_REG, "READ_REG"},
    {FPY_ROM_SPI_SET_PARAMS, "SPI_SET_PARAMS"},
    {FPY_ROM_SPI_ATTACH, "SPI_ATTACH"},
    {FPY_ROM_READ_FLASH_SLOW, "READ_FLASH_SLOW"},
    {FPY_ROM_CHANGE_BAUDRATE, "CHANGE_BAUDRATE"},
    {FPY_ROM_FLASH_DEFL_BEGIN, "FLASH_DEFL_BEGIN"},
    {FPY_ROM_FLASH_DEFL_DATA, "FLASH_DEFL_DATA"},
    {FPY_ROM_FLASH_DEFL_END, "FLASH_DEFL_END"},
    {FPY_ROM_SPI_FLASH_MD5, "SPI_FLASH_MD5"},
    {FPY_ROM_GET_SECURITY_INFO, "GET_SECURITY_INFO"},
    {FPY_ROM_ERASE_FLASH, "ERASE_FLASH"},
    {FPY_ROM_ERASE_REGION, "ERASE_REGION"},
    {FPY_ROM_READ_FLASH, "READ_FLASH"},
    {FPY_ROM_RUN_USER_CODE, "RUN_USER_CODE"},
    {FPY_ROM_FLASH_ENCRYPT_DATA, "FLASH_ENCRYPT_DATA"},
};

static const fpy_rom_name fpy_rom_errors[] = {
    {FPY_ROM_E_UNDEFINED, "Undefined errors"},
    {FPY_ROM_E_INVALID_PARAM, "The input parameter is invalid"},
    {FPY_ROM_E_MALLOC, "Failed to malloc memory from system"},
    {FPY_ROM_E_SEND, "Failed to send out message"},
    {FPY_ROM_E_RECV, "Failed to receive message"},
    {FPY_ROM_E_BAD_FORMAT, "The format of the received message is invalid"},
    {FPY_ROM_E_RESULT, "Message is ok, but the running result is wrong"},
    {FPY_ROM_E_CHECKSUM, "Checksum error"},
    {FPY_ROM_E_FLASH_WRITE, "Flash write error"},
    {FPY_ROM_E_FLASH_READ, "Flash read error"},
    {FPY_ROM_E_READ_LEN, "Flash read length error"},
    {FPY_ROM_E_DEFLATE, "Deflate failed error"},
    {FPY_ROM_E_ADLER, "Deflate Adler32 error"},
    {FPY_ROM_E_DEFLATE_PARAM, "Deflate parameter error"},
    {FPY_ROM_E_RAM_SIZE, "Invalid RAM binary size"},
    {FPY_ROM_E_RAM_ADDR, "Invalid RAM binary address"},
    {FPY_STUB_E_BAD_DATA_LEN, "Bad data length"},
    {FPY_STUB_E_BAD_DATA_CHECKSUM, "Bad data checksum"},
    {FPY_STUB_E_BAD_BLOCKSIZE, "Bad blocksize"},
    {FPY_STUB_E_INVALID_COMMAND, "Invalid command"},
    {FPY_STUB_E_FAILED_SPI_OP, "Failed SPI operation"},
    {FPY_STUB_E_FAILED_SPI_UNLOCK, "Failed SPI unlock"},
    {FPY_STUB_E_NOT_IN_FLASH_MODE, "Not in flash mode"},
    {FPY_STUB_E_INFLATE, "Inflate error"},
    {FPY_STUB_E_NOT_ENOUGH_DATA, "Not enough data"},
    {FPY_STUB_E_TOO_MUCH_DATA, "Too much data"},
    {FPY_STUB_E_NOT_IMPLEMENTED, "Command not implemented"},
};

static const char *fpy_rom_lookup(const fpy_rom_name *t, size_t n, uint8_t code,
                                  const char *none)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].code == code)
            return t[i].text;
    return none;
}

const char *fpy_rom_op_name(uint8_t op)
{
    return fpy_rom_lookup(fpy_rom_ops, sizeof fpy_rom_ops / sizeof fpy_rom_ops[0], op,
                          "unknown");
}

const char *fpy_rom_error_text(uint8_t error)
{
    return fpy_rom_lookup(fpy_rom_errors, sizeof fpy_rom_errors / sizeof fpy_rom_errors[0],
                          error, "Unknown error");
}
