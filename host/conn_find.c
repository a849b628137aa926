/*
 * Finding FiPy expansion boards by USB ID, from sysfs alone: no port is
 * opened (opening one would toggle DTR/RTS on other people's devices).
 *
 * /sys/class/tty/NAME/device links to the USB interface (cdc_acm: the
 * interface itself; usb-serial: a ttyUSBn node below it); the USB device
 * that owns idVendor/idProduct is the first parent directory holding
 * them.
 */
#define _DEFAULT_SOURCE /* realpath */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn_int.h"

/*
 * The boards, most specific first (a result's rank is its row).
 * Sources (see docs/flasher.md): docs.pycom.io "Updating Expansion
 * Board Firmware" for VID 0x04D8 and the PIC boards' PIDs, in serial
 * mode (their DFU-mode IDs EF99, F011, F014, EF37, ED15 make no tty and
 * are left out); Pycom's updater.py PIC_BOARDS for the same set plus
 * ED14; forum.pycom.io topic 5764 and Zerynth for the Expansion Board
 * 2.0's FTDI FT234XD at 0403:6015, FTDI's generic FT-X ID that many
 * other devices share, hence last.
 */
static const struct {
    uint16_t vid, pid;
    const char *name;
} fpy_conn_boards[] = {
    {0x04D8, 0xEF98, "Pycom Expansion Board 3.0/3.1"},
    {0x04D8, 0xF012, "Pycom Pysense"},
    {0x04D8, 0xF013, "Pycom Pytrack"},
    {0x04D8, 0xEF38, "Pycom Pyscan"},
    {0x04D8, 0xED14, "Pycom Pygate"},
    {0x0403, 0x6015, "FTDI FT-X (Pycom Expansion Board 2.0, or another FTDI device)"},
};

#define FPY_CONN_NBOARDS (sizeof fpy_conn_boards / sizeof fpy_conn_boards[0])
#define FPY_CONN_FIND_KEEP 64u

static int fpy_conn_board_row(uint16_t vid, uint16_t pid)
{
    for (size_t i = 0; i < FPY_CONN_NBOARDS; i++)
        if (fpy_conn_boards[i].vid == vid && fpy_conn_boards[i].pid == pid)
            return (int)i;
    return -1;
}

const char *fpy_conn_board_name(uint16_t vid, uint16_t pid)
{
    int row = fpy_conn_board_row(vid, pid);
    return row < 0 ? NULL : fpy_conn_boards[row].name;
}

/* A 4-digit hex ID file ("04d8\n"); -1 when absent or malformed. */
static long fpy_conn_read_id(const char *dir, const char *file)
{
    char path[PATH_MAX], text[16];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, file) >= sizeof path)
        return -1;
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    char *end;
    long v = strtol(text, &end, 16);
    if (end == text || (*end != '\0' && *end != '\n') || v < 0 || v > 0xFFFF)
        return -1;
    return v;
}

/* From the tty's device directory up to the USB device: its VID:PID, or
 * -1.  Never leaves sys_root (a fake tree's links must not escape it). */
static long fpy_conn_usb_id(const char *root, const char *devdir)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", devdir);
    size_t rl = strlen(root);
    for (int depth = 0; depth < 8; depth++) {
        if (strncmp(dir, root, rl) != 0 || strlen(dir) <= rl)
            return -1;
        long vid = fpy_conn_read_id(dir, "idVendor"), pid = fpy_conn_read_id(dir, "idProduct");
        if (vid >= 0 && pid >= 0)
            return vid << 16 | pid;
        char *slash = strrchr(dir, '/');
        if (slash == NULL)
            return -1;
        *slash = '\0';
    }
    return -1;
}

typedef struct fpy_conn_hit {
    int row;
    char name[64];
    char id[16];
} fpy_conn_hit;

static int fpy_conn_hit_cmp(const void *a, const void *b)
{
    const fpy_conn_hit *x = a, *y = b;
    if (x->row != y->row)
        return x->row - y->row;
    return strcmp(x->name, y->name);
}

/* Is /sys/class/tty/NAME a Pycom board?  Fills *hit. */
static int fpy_conn_match(const char *root, const char *name, fpy_conn_hit *hit)
{
    char link[PATH_MAX], dev[PATH_MAX];
    if ((size_t)snprintf(link, sizeof link, "%s/class/tty/%s/device", root, name) >= sizeof link ||
        realpath(link, dev) == NULL)
        return 0; /* a virtual terminal, or not a device */
    long id = fpy_conn_usb_id(root, dev);
    if (id < 0 || strlen(name) + 6 > sizeof hit->name)
        return 0;
    hit->row = fpy_conn_board_row((uint16_t)(id >> 16), (uint16_t)id);
    snprintf(hit->name, sizeof hit->name, "/dev/%s", name);
    snprintf(hit->id, sizeof hit->id, "%04x:%04x", (unsigned)((id >> 16) & 0xFFFF),
             (unsigned)(id & 0xFFFF));
    return hit->row >= 0;
}

size_t fpy_conn_find_in(const char *sys_root, char (*paths)[64], char (*ids)[16], size_t max)
{
    char root[PATH_MAX], dir[PATH_MAX];
    if (realpath(sys_root, root) == NULL)
        return 0;
    if ((size_t)snprintf(dir, sizeof dir, "%s/class/tty", root) >= sizeof dir)
        return 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    fpy_conn_hit *hits = calloc(FPY_CONN_FIND_KEEP, sizeof *hits);
    size_t found = 0;
    struct dirent *e;
    while (hits != NULL && (e = readdir(d)) != NULL) {
        fpy_conn_hit h;
        if (e->d_name[0] == '.' || !fpy_conn_match(root, e->d_name, &h))
            continue;
        if (found < FPY_CONN_FIND_KEEP)
            hits[found] = h;
        found++;
    }
    closedir(d);
    if (hits == NULL)
        return 0;
    size_t kept = found < FPY_CONN_FIND_KEEP ? found : FPY_CONN_FIND_KEEP;
    qsort(hits, kept, sizeof *hits, fpy_conn_hit_cmp);
    for (size_t i = 0; i < kept && i < max; i++) {
        memcpy(paths[i], hits[i].name, sizeof paths[i]);
        if (ids != NULL)
            memcpy(ids[i], hits[i].id, sizeof ids[i]);
    }
    free(hits);
    return found;
}

size_t fpy_conn_find(char (*paths)[64], size_t max)
{
    return fpy_conn_find_in("/sys", paths, NULL, max);
}
