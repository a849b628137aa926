/* The FiPy 1.0 description. Facts: docs/board.md. */
#include "fipy/board.h"

#include "fipy/flash.h"

#define N FPY_PIN_NONE
#define IO (FPY_PIN_IN | FPY_PIN_OUT | FPY_PIN_PULL)
#define IN FPY_PIN_IN /* GPIO34-39: input-only, no pull resistors */
#define A1 FPY_PIN_ADC1
#define A2 FPY_PIN_ADC2
#define T FPY_PIN_TOUCH
#define R FPY_PIN_RTC
#define S FPY_PIN_STRAP
#define D FPY_PIN_DAC

static const fpy_pin fpy_fipy_pins[] = {
    {"P0", 0, 2, 3, IO, N, N, N, N, "UART0 RX (REPL, ROM download)", NULL},
    {"P1", 1, 1, 1, IO, N, N, N, N, "UART0 TX (REPL, ROM download)", NULL},
    {"P2", 2, 23, 0, IO | A2 | T | R | S, 1, 1, 11, N,
     "GPIO0 boot strap (low at reset: ROM download); WS2812 RGB LED data", NULL},
    {"P3", 3, 24, 4, IO | A2 | T | R, 0, 0, 10, N, NULL, "UART1 TX"},
    {"P4", 4, 11, 15, IO | A2 | T | R | S, 3, 3, 13, N, "strap MTDO", "UART1 RX"},
    {"P5", 5, 12, 5, IO | S, N, N, N, N, "strap; LoRa/Sigfox radio SPI SCLK", NULL},
    {"P6", 6, 13, 27, IO | A2 | T | R, 7, 7, 17, N, "LoRa/Sigfox radio SPI MOSI", NULL},
    {"P7", 7, 14, 19, IO, N, N, N, N, "LoRa/Sigfox radio SPI MISO", NULL},
    {"P8", 8, 15, 2, IO | A2 | T | R | S, 2, 2, 12, N, "strap (low or floating for ROM download)",
     "UART2 TX"},
    {"P9", 9, 16, 12, IO | A2 | T | R | S, 5, 5, 15, N,
     "strap MTDI (high at reset selects 1.8 V flash)",
     "I2C SDA; UART2 RX; expansion board LED"},
    {"P10", 10, 17, 13, IO | A2 | T | R, 4, 4, 14, N, NULL, "I2C SCL; SPI CLK"},
    {"P11", 11, 22, 22, IO, N, N, N, N, NULL, "SPI MOSI"},
    {"P12", 12, 28, 21, IO, N, N, N, N, "safe boot (held high at reset); Wi-Fi antenna switch",
     NULL},
    {"P13", 13, 5, 36, IN | A1 | R, 0, N, 0, N, NULL, NULL},
    {"P14", 14, 4, 37, IN | A1 | R, 1, N, 1, N, NULL, "SPI MISO"},
    {"P15", 15, 0, 38, IN | A1 | R, 2, N, 2, N, NULL, NULL},
    {"P16", 16, 3, 39, IN | A1 | R, 3, N, 3, N, NULL, "expansion board battery voltage divider"},
    {"P17", 17, 31, 35, IN | A1 | R, 7, N, 5, N, "LTE modem UART CTS", NULL},
    {"P18", 18, 30, 34, IN | A1 | R, 6, N, 4, N, "LTE modem UART RX (modem to ESP32)", NULL},
    {"P19", 19, 6, 32, IO | A1 | T | R, 4, 9, 9, N, "LTE modem UART RTS", NULL},
    {"P20", 20, 7, 33, IO | A1 | T | R, 5, 8, 8, N, "LTE modem UART TX", NULL},
    {"P21", 21, 8, 26, IO | A2 | R | D, 9, N, 7, 2, NULL, "DAC channel 2"},
    {"P22", 22, 9, 25, IO | A2 | R | D, 8, N, 6, 1, NULL, "DAC channel 1; CAN"},
    {"P23", 23, 10, 14, IO | A2 | T | R, 6, 6, 16, N, NULL, "CAN"},
};

static const fpy_board_fact fpy_fipy_facts[] = {
    {"mcu", "Microcontroller", "Tensilica 32-bit Single-/Dual-core CPU Xtensa LX6", NULL},
    {"operating_voltage", "Operating Voltage", "3.3V", NULL},
    {"input_voltage", "Input Voltage", "5.5 to 3.3 V",
     "Vin 3.5-5.5 V (Pycom's notes say 3.4-5.5 V); the 3V3 pin is an output only"},
    {"digital_io", "Digital I/O Pins (DIO)", "31",
     "24 pins exposed (P0-P23); P13-P18 are input-only"},
    {"adc_inputs", "Analog Input Pins (ADC)", "7",
     "8 ADC1 channels on P13-P20, of which P17-P20 are wired to the LTE modem "
     "(4 left free); plus ADC2 on 10 pins, unusable while Wi-Fi is on"},
    {"dac_outputs", "Analog Outputs Pins (DAC)", "2", NULL},
    {"uarts", "UARTs", "3", NULL},
    {"spis", "SPIs", "2", NULL},
    {"i2cs", "I2Cs", "3", NULL},
    {"flash", "Flash Memory", "8 MB", NULL},
    {"sram", "SRAM", "4MB", "520 KB internal SRAM + 4 MB external PSRAM (the 4 MB is PSRAM)"},
    {"clock", "Clock Speed", "240 Mhz", NULL},
    {"wifi", "Wi-Fi", "IEEE 802.11 b/g/n/e/i", NULL},
};

#define FPY_N(a) (sizeof(a) / sizeof((a)[0]))

static const fpy_board fpy_fipy = {
    "Pycom FiPy 1.0", "pycom_fipy_v1", "ESP32", FPY_FLASH_SIZE_8M,
    fpy_fipy_facts, FPY_N(fpy_fipy_facts),
    fpy_fipy_pins, FPY_N(fpy_fipy_pins),
};

const fpy_board *fpy_board_fipy(void)
{
    return &fpy_fipy;
}

static char fpy_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Match a case-insensitive prefix, then a decimal number 0..99. */
static int fpy_pin_number(const char *s, const char *prefix, unsigned *out)
{
    while (*prefix) {
        if (fpy_lower(*s++) != *prefix++)
            return 0;
    }
    unsigned v = 0, digits = 0;
    for (; *s >= '0' && *s <= '9' && digits < 3; s++, digits++)
        v = v * 10u + (unsigned)(*s - '0');
    if (digits == 0 || digits > 2 || *s != '\0')
        return 0;
    *out = v;
    return 1;
}

const fpy_pin *fpy_board_pin(const fpy_board *b, const char *name)
{
    unsigned n;
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < b->npins; i++) {
        const fpy_pin *p = &b->pins[i];
        if ((fpy_pin_number(name, "gpio", &n) && n == p->gpio) ||
            (fpy_pin_number(name, "p", &n) && n == p->p) ||
            (fpy_pin_number(name, "g", &n) && n == p->g))
            return p;
    }
    return NULL;
}
