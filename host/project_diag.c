/* Diagnostics of project.yml: the list, printing, freeing. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "project_int.h"

int fpy_pdiag(fpy_project_diags *d, int severity, int err, uint32_t line, uint32_t col,
              const char *fix, const char *fmt, ...)
{
    int rc = severity == FPY_PROJECT_ERROR ? err : FPY_OK;
    if (severity == FPY_PROJECT_ERROR)
        d->errors++;
    else
        d->warnings++;
    if (d->n == FPY_PROJECT_MAX_DIAGS) {
        d->dropped++;
        return rc;
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        fpy_project_msg *v = realloc(d->v, cap * sizeof *v);
        if (v == NULL) { /* the count above still says it happened */
            d->dropped++;
            return rc;
        }
        d->v = v;
        d->cap = cap;
    }
    fpy_project_msg *m = &d->v[d->n++];
    memset(m, 0, sizeof *m);
    m->severity = severity;
    m->err = severity == FPY_PROJECT_ERROR ? err : 0;
    m->file = d->file;
    m->line = line;
    m->col = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->msg, sizeof m->msg, fmt, ap);
    va_end(ap);
    if (fix != NULL)
        snprintf(m->fix, sizeof m->fix, "%s", fix);
    return rc;
}

void fpy_project_diags_free(fpy_project_diags *d)
{
    free(d->v);
    free(d->file);
    memset(d, 0, sizeof *d);
}

void fpy_project_diags_print(const fpy_project_diags *d, FILE *f)
{
    for (size_t i = 0; i < d->n; i++) {
        const fpy_project_msg *m = &d->v[i];
        const char *sev = m->severity == FPY_PROJECT_ERROR ? "error" : "warning";
        if (m->line != 0)
            fprintf(f, "%s:%u:%u: %s: %s\n", m->file ? m->file : "project.yml",
                    (unsigned)m->line, (unsigned)m->col, sev, m->msg);
        else
            fprintf(f, "%s: %s: %s\n", m->file ? m->file : "project.yml", sev, m->msg);
        if (m->fix[0] != '\0')
            fprintf(f, "  fix: %s\n", m->fix);
    }
    if (d->dropped != 0)
        fprintf(f, "%s: %zu more diagnostic(s) not shown\n", d->file ? d->file : "project.yml",
                d->dropped);
}

const char *fpy_project_feature_name(uint32_t bit)
{
    switch (bit) {
    case FPY_PROJECT_FEAT_FOTA:
        return "fota";
    case FPY_PROJECT_FEAT_SECURE_FIRMWARE:
        return "secure_firmware";
    case FPY_PROJECT_FEAT_POWER_SAVING:
        return "power_saving";
    default:
        return NULL;
    }
}
