/*
 * PLACEHOLDER until host/conn.c (the connections helper's) is merged:
 * delete this file then (the link fails with duplicate fpy_conn_*
 * definitions as a reminder).  Every connection is refused, so the
 * flasher builds and its input checks run; the flasher's protocol is
 * tested against the fake ROM (tests/test_flasher.c).
 */
#include <stdio.h>

#include "conn.h"
#include "fipy/err.h"

int fpy_conn_open(fpy_conn **out, const char *spec, uint32_t baud, char *err, size_t errlen)
{
    (void)baud;
    *out = NULL;
    snprintf(err, errlen, "%s: this fipytool was built without host/conn.c", spec);
    return FPY_ERR_UNSUPPORTED;
}

void fpy_conn_close(fpy_conn *c) { (void)c; }
const char *fpy_conn_name(const fpy_conn *c) { (void)c; return ""; }
int fpy_conn_set_baud(fpy_conn *c, uint32_t baud) { (void)c; (void)baud; return FPY_ERR_UNSUPPORTED; }
int fpy_conn_set_lines(fpy_conn *c, int dtr, int rts)
{
    (void)c;
    (void)dtr;
    (void)rts;
    return FPY_ERR_UNSUPPORTED;
}
int fpy_conn_write(fpy_conn *c, const void *buf, size_t n, uint32_t timeout_ms)
{
    (void)c;
    (void)buf;
    (void)n;
    (void)timeout_ms;
    return FPY_ERR_IO;
}
long fpy_conn_read(fpy_conn *c, void *buf, size_t cap, uint32_t timeout_ms)
{
    (void)c;
    (void)buf;
    (void)cap;
    (void)timeout_ms;
    return FPY_ERR_IO;
}
int fpy_conn_flush_input(fpy_conn *c) { (void)c; return FPY_OK; }
size_t fpy_conn_find(char (*paths)[64], size_t max)
{
    (void)paths;
    (void)max;
    return 0;
}
