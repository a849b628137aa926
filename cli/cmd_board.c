/* fipytool board: the FiPy 1.0 description and its pin map. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "fipy/board.h"
#include "hostio.h"

static const char fpy_board_usage[] =
    "usage: fipytool board [--json]\n"
    "       fipytool board pin NAME [--json]\n\n"
    "Show the Pycom FiPy 1.0: the device summary of Zerynth's page, where the\n"
    "hardware differs from it, and the pin map P0-P23 with expansion-board G\n"
    "numbers, ESP32 GPIOs, capabilities and fixed uses.\n\n"
    "  pin NAME   one pin, by P number (P9), G number (G16) or GPIO (GPIO12)\n"
    "  --json     machine-readable output\n";

static void fpy_caps_str(const fpy_pin *p, char *out, size_t n)
{
    snprintf(out, n, "%s%s%s%s%s%s%s",
             (p->caps & FPY_PIN_OUT) ? "in/out" : "input-only",
             (p->caps & FPY_PIN_ADC1) ? " ADC1" : "",
             (p->caps & FPY_PIN_ADC2) ? " ADC2" : "",
             (p->caps & FPY_PIN_DAC) ? " DAC" : "",
             (p->caps & FPY_PIN_TOUCH) ? " touch" : "",
             (p->caps & FPY_PIN_RTC) ? " RTC" : "",
             (p->caps & FPY_PIN_STRAP) ? " strap" : "");
}

static void fpy_adc_str(const fpy_pin *p, char *out, size_t n)
{
    if (p->adc_channel == FPY_PIN_NONE)
        snprintf(out, n, "-");
    else
        snprintf(out, n, "ADC%d_%d", (p->caps & FPY_PIN_ADC1) ? 1 : 2, p->adc_channel);
}

static void fpy_opt_num(char *out, size_t n, const char *prefix, int v)
{
    if (v == FPY_PIN_NONE)
        snprintf(out, n, "-");
    else
        snprintf(out, n, "%s%d", prefix, v);
}

static void fpy_pin_text(const fpy_pin *p)
{
    char caps[96], adc[16], touch[8], rtc[8];
    fpy_caps_str(p, caps, sizeof caps);
    fpy_adc_str(p, adc, sizeof adc);
    fpy_opt_num(touch, sizeof touch, "T", p->touch);
    fpy_opt_num(rtc, sizeof rtc, "", p->rtc);
    printf("%-4s G%-3u GPIO%-3u %-7s %-5s %-4s %s", p->name, p->g, p->gpio, adc, touch,
           rtc, caps);
    if (p->dac != FPY_PIN_NONE)
        printf(" (DAC ch %d)", p->dac);
    printf("\n");
    if (p->fixed)
        printf("     board: %s\n", p->fixed);
    if (p->defaults)
        printf("     default: %s\n", p->defaults);
}

static void fpy_json_int_or_null(const char *key, int v, int comma)
{
    if (v == FPY_PIN_NONE)
        printf("\"%s\": null%s", key, comma ? ", " : "");
    else
        printf("\"%s\": %d%s", key, v, comma ? ", " : "");
}

static void fpy_json_str_or_null(const char *key, const char *v)
{
    printf("\"%s\": ", key);
    if (v)
        fpy_json_str(stdout, v);
    else
        printf("null");
}

static void fpy_pin_json(const fpy_pin *p)
{
    char caps[96], adc[16];
    fpy_caps_str(p, caps, sizeof caps);
    fpy_adc_str(p, adc, sizeof adc);
    printf("{\"name\": \"%s\", \"p\": %u, \"g\": %u, \"gpio\": %u, ", p->name, p->p, p->g,
           p->gpio);
    printf("\"output\": %s, \"adc\": ", (p->caps & FPY_PIN_OUT) ? "true" : "false");
    if (p->adc_channel == FPY_PIN_NONE)
        printf("null, ");
    else
        printf("\"%s\", ", adc);
    fpy_json_int_or_null("touch", p->touch, 1);
    fpy_json_int_or_null("rtc", p->rtc, 1);
    fpy_json_int_or_null("dac", p->dac, 1);
    printf("\"strap\": %s, \"caps\": ", (p->caps & FPY_PIN_STRAP) ? "true" : "false");
    fpy_json_str(stdout, caps);
    printf(", ");
    fpy_json_str_or_null("fixed", p->fixed);
    printf(", ");
    fpy_json_str_or_null("default", p->defaults);
    printf("}");
}

static void fpy_board_text(const fpy_board *b)
{
    printf("%s (%s), %s, %u MiB flash\n\nDevice summary (Zerynth's page):\n", b->name,
           b->id, b->mcu, b->flash_size >> 20);
    for (size_t i = 0; i < b->nfacts; i++) {
        const fpy_board_fact *f = &b->facts[i];
        printf("  %-27s %s\n", f->item, f->page);
        if (f->actual)
            printf("  %-27s   actual: %s\n", "", f->actual);
    }
    printf("\nPins (P = FiPy pin, G = expansion board label):\n");
    printf("P    G    GPIO    ADC     Touch RTC  Capabilities\n");
    for (size_t i = 0; i < b->npins; i++)
        fpy_pin_text(&b->pins[i]);
}

static void fpy_board_json(const fpy_board *b)
{
    printf("{\"name\": ");
    fpy_json_str(stdout, b->name);
    printf(", \"id\": \"%s\", \"mcu\": \"%s\", \"flash_size\": %u,\n \"summary\": [\n",
           b->id, b->mcu, b->flash_size);
    for (size_t i = 0; i < b->nfacts; i++) {
        const fpy_board_fact *f = &b->facts[i];
        printf("  {\"key\": \"%s\", \"item\": ", f->key);
        fpy_json_str(stdout, f->item);
        printf(", \"page\": ");
        fpy_json_str(stdout, f->page);
        printf(", ");
        fpy_json_str_or_null("actual", f->actual);
        printf("}%s\n", i + 1 < b->nfacts ? "," : "");
    }
    printf(" ],\n \"pins\": [\n");
    for (size_t i = 0; i < b->npins; i++) {
        printf("  ");
        fpy_pin_json(&b->pins[i]);
        printf("%s\n", i + 1 < b->npins ? "," : "");
    }
    printf(" ]}\n");
}

/* board pin NAME; ctx: the --json flag. */
static int fpy_board_pin_run(void *ctx, int argc, char **argv)
{
    int json = *(const int *)ctx;
    if (argc != 2)
        return fpy_cli_usage_error(&fpy_cmd_board, "'pin' needs a pin name, e.g. P9");
    const fpy_pin *p = fpy_board_pin(fpy_board_fipy(), argv[1]);
    if (p == NULL) {
        fprintf(stderr, "fipytool board: no pin '%s' on the FiPy (P0-P23, G numbers of the "
                        "expansion board, or GPIOn of an exposed pin)\n", argv[1]);
        return FPY_EXIT_FAIL;
    }
    if (json) {
        fpy_pin_json(p);
        printf("\n");
    } else {
        fpy_pin_text(p);
    }
    return FPY_EXIT_OK;
}

static int fpy_board_run(int argc, char **argv)
{
    static const fpy_cli_sub subs[] = {{"pin", fpy_board_pin_run, NULL}};
    static const fpy_cli_subs s = {.cmd = &fpy_cmd_board, .sub = subs, .n = FPY_COUNTOF(subs),
                                   .unknown = "unknown action '%s'"};
    int json = 0;
    const fpy_opt opts[] = {{"--json", 0, NULL, &json}};
    char *pos[2];
    size_t npos;
    int rc = FPY_CLI_PARSE(&fpy_cmd_board, argc, argv, opts, pos, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (npos > 0)
        return fpy_cli_run_sub(&s, &json, (int)npos, pos);
    if (json)
        fpy_board_json(fpy_board_fipy());
    else
        fpy_board_text(fpy_board_fipy());
    return FPY_EXIT_OK;
}

const fpy_cli_cmd fpy_cmd_board = {"board", "the FiPy 1.0: summary, differences, pin map",
                                   fpy_board_usage, fpy_board_run};
