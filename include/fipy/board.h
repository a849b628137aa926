/*
 * The Pycom FiPy 1.0 as data: the device summary of Zerynth's page, where
 * the hardware differs from it, and the pin map P0-P23 <-> expansion-board
 * G numbers <-> ESP32 GPIO with capabilities and fixed uses.
 * Sources: docs/board.md (from the FiPy fact sheet, section 2.1).
 */
#ifndef FIPY_BOARD_H
#define FIPY_BOARD_H

#include <stddef.h>
#include <stdint.h>

/* Pin capabilities (bit set). */
#define FPY_PIN_IN 0x0001u     /* digital input */
#define FPY_PIN_OUT 0x0002u    /* digital output (absent: input-only pin) */
#define FPY_PIN_ADC1 0x0004u
#define FPY_PIN_ADC2 0x0008u   /* unusable while Wi-Fi is on */
#define FPY_PIN_DAC 0x0010u
#define FPY_PIN_TOUCH 0x0020u
#define FPY_PIN_RTC 0x0040u    /* RTC GPIO: usable in deep sleep */
#define FPY_PIN_STRAP 0x0080u  /* sampled by the chip at reset */
#define FPY_PIN_PULL 0x0100u   /* has internal pull resistors */

#define FPY_PIN_NONE (-1)

typedef struct fpy_pin {
    const char *name;     /* "P9" */
    uint8_t p;            /* 0..23 */
    uint8_t g;            /* expansion board G number */
    uint8_t gpio;         /* ESP32 GPIO number */
    uint16_t caps;        /* FPY_PIN_* */
    int8_t adc_channel;   /* channel on ADC1 or ADC2, or FPY_PIN_NONE */
    int8_t touch;         /* touch pad Tn, or FPY_PIN_NONE */
    int8_t rtc;           /* RTC GPIO number, or FPY_PIN_NONE */
    int8_t dac;           /* DAC channel 1 or 2, or FPY_PIN_NONE */
    const char *fixed;    /* wired on the board (radio, LED, strap); or NULL */
    const char *defaults; /* firmware default use (UART1 TX...); or NULL */
} fpy_pin;

/* One line of the page's device summary, and the hardware where the
 * page is wrong or loose (`actual` NULL when the page is right). */
typedef struct fpy_board_fact {
    const char *key;      /* stable key for JSON, e.g. "adc_inputs" */
    const char *item;     /* "Analog Input Pins (ADC)" */
    const char *page;     /* "7" */
    const char *actual;   /* "8 ADC1 channels on P13-P20 ..." or NULL */
} fpy_board_fact;

typedef struct fpy_board {
    const char *name;     /* "Pycom FiPy 1.0" */
    const char *id;       /* "pycom_fipy_v1" */
    const char *mcu;      /* "ESP32" */
    uint32_t flash_size;
    const fpy_board_fact *facts;
    size_t nfacts;
    const fpy_pin *pins;  /* P0..P23 in order */
    size_t npins;
} fpy_board;

const fpy_board *fpy_board_fipy(void);

/* Find a pin by "P9"/"p9", "G16"/"g16" or "GPIO12"/"gpio12"; NULL if no
 * such pin is exposed. */
const fpy_pin *fpy_board_pin(const fpy_board *b, const char *name);

#endif
