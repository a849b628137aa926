/* fipytool layout: the FiPy's two flash layouts, and the page's erratum. */
#include <stdio.h>

#include "cli.h"
#include "fipy/layout.h"
#include "hostio.h"

static const char fpy_layout_usage[] =
    "usage: fipytool layout [--ble] [--csv|--json]\n"
    "       fipytool layout --check\n\n"
    "Print the FiPy's flash layout as Zerynth's page does (start, size,\n"
    "content), for non-BLE VMs or, with --ble, for BLE VMs; fipy adds the\n"
    "bootloader (0x1000) and partition table (0x8000) rows and resolves the\n"
    "page's erratum (see --check).\n\n"
    "  --ble     the BLE layout\n"
    "  --csv     start,size,label,content\n"
    "  --json    machine-readable output\n"
    "  --check   audit both of the page's tables as printed, report the\n"
    "            erratum, and validate fipy's resolved layouts (exit 1 if a\n"
    "            resolved layout fails)\n";

/* The page's own notation: "16Kb", "1Mb", "1216Kb". */
static void fpy_size_str(uint32_t size, char *out, size_t n)
{
    if (size % (1024u * 1024u) == 0)
        snprintf(out, n, "%uMb", size >> 20);
    else
        snprintf(out, n, "%uKb", size >> 10);
}

static void fpy_layout_text(const fpy_layout *l)
{
    char sz[16];
    printf("Flash layout for %s (%u MiB)\n\n", l->title, l->flash_size >> 20);
    printf("| Start address | Size   | Content                       | Partition       |\n");
    printf("|---------------|--------|-------------------------------|-----------------|\n");
    for (size_t i = 0; i < l->count; i++) {
        const fpy_area *a = &l->areas[i];
        fpy_size_str(a->size, sz, sizeof sz);
        printf("| 0x%08X    | %-6s | %-29s | %-15s |\n", a->offset, sz, a->content,
               a->in_table ? a->label : "-");
    }
}

static void fpy_layout_csv(const fpy_layout *l)
{
    printf("start,size,label,content\n");
    for (size_t i = 0; i < l->count; i++) {
        const fpy_area *a = &l->areas[i];
        printf("0x%08x,%u,%s,%s\n", a->offset, a->size, a->label, a->content);
    }
}

static const char *const fpy_kind_names[] = {
    "bootloader", "partition_table", "nvs", "otadata", "phy", "vm_slot",
    "bytecode_slot", "storage", "vm_store", "reserved",
};

static void fpy_layout_json(const fpy_layout *l)
{
    printf("{\"layout\": \"%s\", \"title\": ", l->name);
    fpy_json_str(stdout, l->title);
    printf(", \"flash_size\": %u, \"areas\": [\n", l->flash_size);
    for (size_t i = 0; i < l->count; i++) {
        const fpy_area *a = &l->areas[i];
        printf("  {\"start\": %u, \"size\": %u, \"label\": ", a->offset, a->size);
        fpy_json_str(stdout, a->label);
        printf(", \"content\": ");
        fpy_json_str(stdout, a->content);
        printf(", \"kind\": \"%s\", \"index\": %u, \"partition\": %s", fpy_kind_names[a->kind],
               a->index, a->in_table ? "true" : "false");
        if (a->in_table)
            printf(", \"type\": %u, \"subtype\": %u", a->ptype, a->psubtype);
        printf("}%s\n", i + 1 < l->count ? "," : "");
    }
    printf("]}\n");
}

static void fpy_row_str(const fpy_area *a, char *out, size_t n)
{
    char sz[16];
    fpy_size_str(a->size, sz, sizeof sz);
    snprintf(out, n, "0x%08X %s \"%s\"", a->offset, sz, a->content);
}

/* Audit the page's table as printed; 1 if it has an error. */
static int fpy_check_page(const fpy_layout *page)
{
    fpy_diag d;
    char row[96], prev[96];
    int rc = fpy_layout_validate(page->areas, page->count, page->flash_size, &d);
    printf("Zerynth's table for %s:\n", page->title);
    if (rc == FPY_OK) {
        printf("  no error\n");
        return 0;
    }
    fpy_row_str(&page->areas[d.index], row, sizeof row);
    printf("  ERRATUM: row %s %s", row, d.what);
    if (d.index > 0) {
        fpy_row_str(&page->areas[d.index - 1], prev, sizeof prev);
        printf(":\n    %s ends at 0x%08llX, past 0x%08X", prev,
               (unsigned long long)d.expected, page->areas[d.index].offset);
    }
    printf("\n");
    return 1;
}

static int fpy_check_resolved(const fpy_layout *l)
{
    fpy_diag d;
    char msg[256];
    int rc = fpy_layout_validate(l->areas, l->count, l->flash_size, &d);
    if (rc != FPY_OK) {
        fpy_diag_format(&d, rc, msg, sizeof msg);
        printf("fipy's layout for %s: FAILED: %s\n", l->title, msg);
        return 1;
    }
    const fpy_area *s0 = fpy_layout_area(l, FPY_AREA_VMSTORE, 0);
    const fpy_area *s1 = fpy_layout_area(l, FPY_AREA_VMSTORE, 1);
    const fpy_area *user = fpy_layout_area(l, FPY_AREA_STORAGE, 1);
    printf("fipy's layout for %s: ok (%zu areas, 4 KiB aligned, VM slots 64 KiB aligned, "
           "no overlap, inside %u MiB)\n", l->title, l->count, l->flash_size >> 20);
    printf("  fipy's resolution: the reserved area is the two VM stores, %s at 0x%06X and "
           "%s at 0x%06X (4 KiB each);\n  user storage starts at 0x%06X (%u MiB) as the page "
           "says; see docs/layout.md\n", s0->label, s0->offset, s1->label, s1->offset,
           user->offset, user->size >> 20);
    return 0;
}

static int fpy_layout_check(void)
{
    int bad = 0;
    for (int id = FPY_LAYOUT_NONBLE; id <= FPY_LAYOUT_BLE; id++) {
        const fpy_layout *l = fpy_layout_get((fpy_layout_id)id);
        fpy_layout_text(l);
        printf("\n");
        fpy_check_page(fpy_layout_page((fpy_layout_id)id));
        bad |= fpy_check_resolved(l);
        printf("\n");
    }
    return bad ? FPY_EXIT_FAIL : FPY_EXIT_OK;
}

static int fpy_layout_run(int argc, char **argv)
{
    int ble = 0, csv = 0, json = 0, check = 0;
    const fpy_opt opts[] = {
        {"--ble", 0, NULL, &ble},
        {"--csv", 0, NULL, &csv},
        {"--json", 0, NULL, &json},
        {"--check", 0, NULL, &check},
    };
    size_t npos;
    int rc = FPY_CLI_PARSE_NOPOS(&fpy_cmd_layout, argc, argv, opts, &npos);
    if (rc != 0)
        return fpy_cli_done(rc);
    if (csv && json)
        return fpy_cli_usage_error(&fpy_cmd_layout, "--csv and --json exclude each other");
    if (check && (csv || json || ble))
        return fpy_cli_usage_error(&fpy_cmd_layout, "--check takes no other option");
    if (check)
        return fpy_layout_check();
    const fpy_layout *l = fpy_layout_get(ble ? FPY_LAYOUT_BLE : FPY_LAYOUT_NONBLE);
    if (csv)
        fpy_layout_csv(l);
    else if (json)
        fpy_layout_json(l);
    else
        fpy_layout_text(l);
    return FPY_EXIT_OK;
}

const fpy_cli_cmd fpy_cmd_layout = {"layout", "the two flash layouts; --check audits the page",
                                    fpy_layout_usage, fpy_layout_run};
