/*
 * Fuzz the project.yml reader (host/project*.c, libyaml underneath) with
 * arbitrary bytes.  Beyond not crashing or leaking: the result is FPY_OK
 * exactly when no error was counted; every kept diagnostic has a place
 * (line and column from 1) and a message; an accepted project names the
 * one target, never has zerynth_ssl on, and its config names are C names.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "project.h"

static int fpy_fz_cname(const char *s)
{
    if (s == NULL || *s == '\0' || (*s >= '0' && *s <= '9'))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_' ||
              (*s >= '0' && *s <= '9')))
            return 0;
    return 1;
}

static void fpy_fz_check_diags(const fpy_project_diags *d, size_t len)
{
    if (d->n + d->dropped != d->errors + d->warnings || d->n > FPY_PROJECT_MAX_DIAGS)
        abort();
    for (size_t i = 0; i < d->n; i++) {
        const fpy_project_msg *m = &d->v[i];
        if (m->msg[0] == '\0' || memchr(m->msg, '\0', sizeof m->msg) == NULL)
            abort();
        /* only a size problem speaks of the whole file */
        if ((m->line == 0) != (m->col == 0) || (m->line == 0 && len <= FPY_PROJECT_MAX_YAML))
            abort();
        if (m->line > len + 1)
            abort();
    }
}

static void fpy_fz_check_project(const fpy_project *p)
{
    if (p->target == NULL || strcmp(p->target, FPY_PROJECT_TARGET) != 0 || p->zerynth_ssl)
        abort();
    for (size_t i = 0; i < p->nconfig; i++)
        if (!fpy_fz_cname(p->config[i].name) ||
            (p->config[i].type == FPY_PROJECT_CFG_STRING) != (p->config[i].str != NULL))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fpy_project p = {0};
    fpy_project_diags d = {0};
    int rc = fpy_project_parse((const char *)data, size, "fuzz.yml", &p, &d);
    if ((rc == FPY_OK) != (d.errors == 0))
        abort();
    fpy_fz_check_diags(&d, size);
    if (rc == FPY_OK)
        fpy_fz_check_project(&p);
    fpy_project_free(&p);
    fpy_project_diags_free(&d);
    return 0;
}
