/*
 * project.yml's YAML, read with libyaml's event parser into a flat tree
 * (project_int.h).  The event API, rather than libyaml's document loader,
 * because it shows each alias where it is written (the loader resolves it
 * silently, so a "billion laughs" document would be expanded by whoever
 * walks it) and whether a scalar was quoted or tagged.
 */
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "project_int.h"
#include "pytext.h"

/* libyaml's line breaks: LF, CR, CRLF, and NEL, LS, PS (YAML 1.1).
 * Returns the length of the break at s[0, n), 0 if none. */
static size_t fpy_y_break(const uint8_t *s, size_t n)
{
    if (s[0] == '\n')
        return 1;
    if (s[0] == '\r')
        return n > 1 && s[1] == '\n' ? 2 : 1;
    if (n > 1 && s[0] == 0xC2 && s[1] == 0x85)
        return 2;
    if (n > 2 && s[0] == 0xE2 && s[1] == 0x80 && (s[2] == 0xA8 || s[2] == 0xA9))
        return 3;
    return 0;
}

/* The 1-based line and column (in characters, as libyaml counts) of byte
 * `off` of valid UTF-8 text. */
static void fpy_y_where(const uint8_t *s, size_t off, uint32_t *line, uint32_t *col)
{
    uint32_t l = 1, c = 1;
    size_t i = 0;
    while (i < off) {
        size_t br = fpy_y_break(s + i, off - i);
        if (br != 0) {
            l++;
            c = 1;
            i += br;
            continue;
        }
        size_t k = fpy_py_utf8_len(s + i, off - i);
        i += k ? k : 1;
        c++;
    }
    *line = l;
    *col = c;
}

/* NUL bytes and invalid UTF-8 are refused here, with their place: libyaml
 * would report only a byte offset, and would take a UTF-16 BOM as an
 * encoding to follow. */
static int fpy_y_precheck(const uint8_t *s, size_t len, fpy_project_diags *d)
{
    uint32_t line, col;
    for (size_t i = 0; i < len;) {
        size_t k = s[i] == 0 ? 0 : fpy_py_utf8_len(s + i, len - i);
        if (k == 0) {
            fpy_y_where(s, i, &line, &col);
            return fpy_pdiag(d, FPY_PROJECT_ERROR, FPY_ERR_CORRUPT, line, col,
                             "save project.yml as UTF-8 text",
                             s[i] == 0 ? "a NUL byte: project.yml must be text"
                                       : "invalid UTF-8 (byte 0x%02x): project.yml must be "
                                         "UTF-8 text",
                             s[i]);
        }
        i += k;
    }
    return FPY_OK;
}

static int fpy_y_syntax(const yaml_parser_t *ps, const uint8_t *s, size_t len,
                        fpy_project_diags *d)
{
    uint32_t line, col;
    const char *problem = ps->problem ? ps->problem : "unknown problem";
    if (ps->error == YAML_READER_ERROR) {
        size_t off = ps->problem_offset < len ? ps->problem_offset : len;
        fpy_y_where(s, off, &line, &col);
    } else {
        line = (uint32_t)ps->problem_mark.line + 1;
        col = (uint32_t)ps->problem_mark.column + 1;
    }
    if (ps->context != NULL)
        return fpy_pdiag(d, FPY_PROJECT_ERROR, FPY_ERR_CORRUPT, line, col,
                         "check the indentation, colons and quotes there",
                         "YAML syntax: %s (%s at line %u, column %u)", problem, ps->context,
                         (unsigned)ps->context_mark.line + 1,
                         (unsigned)ps->context_mark.column + 1);
    return fpy_pdiag(d, FPY_PROJECT_ERROR, FPY_ERR_CORRUPT, line, col,
                     "check the indentation, colons and quotes there", "YAML syntax: %s",
                     problem);
}

/* The builder's state: the open collections, innermost last. */
typedef struct fpy_ybuild {
    fpy_ytree *t;
    fpy_project_diags *d;
    uint32_t stack[FPY_PROJECT_MAX_DEPTH];
    size_t depth;
    int docs;
    int done;
} fpy_ybuild;

static int fpy_y_err(fpy_ybuild *b, const yaml_event_t *e, const char *fix, const char *msg)
{
    return fpy_pdiag(b->d, FPY_PROJECT_ERROR, FPY_ERR_CORRUPT,
                     (uint32_t)e->start_mark.line + 1, (uint32_t)e->start_mark.column + 1, fix,
                     "%s", msg);
}

/* A new node of `kind` at e's place, attached to the open collection. */
static int fpy_y_add(fpy_ybuild *b, const yaml_event_t *e, uint8_t kind, uint32_t *idx)
{
    fpy_ytree *t = b->t;
    if (t->count > 0 && b->depth == 0)
        return fpy_y_err(b, e, "keep one value (a mapping) per file", "a second root value");
    if (t->count >= FPY_PROJECT_MAX_NODES)
        return fpy_y_err(b, e, "project.yml needs far fewer", "too many values (at most 4096)");
    if (t->count == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 32;
        fpy_ynode *n = realloc(t->n, cap * sizeof *n);
        if (n == NULL)
            return fpy_y_err(b, e, NULL, "out of memory");
        t->n = n;
        t->cap = cap;
    }
    uint32_t i = (uint32_t)t->count++;
    fpy_ynode *n = &t->n[i];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->line = (uint32_t)e->start_mark.line + 1;
    n->col = (uint32_t)e->start_mark.column + 1;
    if (b->depth > 0) {
        fpy_ynode *p = &t->n[b->stack[b->depth - 1]];
        if (p->nchild++ == 0)
            p->child = i;
        else
            t->n[p->last].next = i;
        p->last = i;
    }
    *idx = i;
    return FPY_OK;
}

static int fpy_y_scalar(fpy_ybuild *b, const yaml_event_t *e)
{
    const char *tagfix = "drop the tag; quote a value to make it a string";
    if (e->data.scalar.tag != NULL && !e->data.scalar.plain_implicit &&
        !e->data.scalar.quoted_implicit)
        return fpy_y_err(b, e, tagfix, "explicit tags (!!str, !name) are not supported");
    uint32_t i;
    FPY_TRY(fpy_y_add(b, e, FPY_YN_SCALAR, &i));
    fpy_ynode *n = &b->t->n[i];
    n->plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    n->len = e->data.scalar.length;
    n->s = malloc(n->len + 1);
    if (n->s == NULL)
        return fpy_y_err(b, e, NULL, "out of memory");
    memcpy(n->s, e->data.scalar.value, n->len);
    n->s[n->len] = '\0';
    return FPY_OK;
}

static int fpy_y_open(fpy_ybuild *b, const yaml_event_t *e, uint8_t kind)
{
    const yaml_char_t *tag = kind == FPY_YN_MAP ? e->data.mapping_start.tag
                                                : e->data.sequence_start.tag;
    int implicit = kind == FPY_YN_MAP ? e->data.mapping_start.implicit
                                      : e->data.sequence_start.implicit;
    if (tag != NULL && !implicit)
        return fpy_y_err(b, e, "drop the tag", "explicit tags (!!map, !name) are not supported");
    if (b->depth == FPY_PROJECT_MAX_DEPTH)
        return fpy_y_err(b, e, "project.yml needs three levels",
                         "nested too deep (at most 16 levels)");
    uint32_t i;
    FPY_TRY(fpy_y_add(b, e, kind, &i));
    b->stack[b->depth++] = i;
    return FPY_OK;
}

static int fpy_y_event(fpy_ybuild *b, const yaml_event_t *e)
{
    switch (e->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (b->docs++ > 0)
            return fpy_y_err(b, e, "remove the second document (after ---)",
                             "more than one YAML document");
        return FPY_OK;
    case YAML_ALIAS_EVENT:
        return fpy_y_err(b, e, "write the value out instead of *alias",
                         "aliases are not supported");
    case YAML_SCALAR_EVENT:
        return fpy_y_scalar(b, e);
    case YAML_SEQUENCE_START_EVENT:
        return fpy_y_open(b, e, FPY_YN_SEQ);
    case YAML_MAPPING_START_EVENT:
        return fpy_y_open(b, e, FPY_YN_MAP);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (b->depth > 0)
            b->depth--;
        return FPY_OK;
    case YAML_STREAM_END_EVENT:
        b->done = 1;
        return FPY_OK;
    default:
        return FPY_OK;
    }
}

int fpy_ytree_parse(const char *text, size_t len, fpy_ytree *t, fpy_project_diags *d)
{
    const uint8_t *s = (const uint8_t *)text;
    FPY_TRY(fpy_y_precheck(s, len, d));
    yaml_parser_t ps;
    if (!yaml_parser_initialize(&ps))
        return fpy_pdiag(d, FPY_PROJECT_ERROR, FPY_ERR_IO, 0, 0, NULL, "out of memory");
    yaml_parser_set_input_string(&ps, s, len);
    yaml_parser_set_encoding(&ps, YAML_UTF8_ENCODING);
    fpy_ybuild b = {.t = t, .d = d};
    int rc = FPY_OK;
    while (rc == FPY_OK && !b.done) {
        yaml_event_t e;
        if (!yaml_parser_parse(&ps, &e)) {
            rc = fpy_y_syntax(&ps, s, len, d);
            break;
        }
        rc = fpy_y_event(&b, &e);
        yaml_event_delete(&e);
    }
    yaml_parser_delete(&ps);
    return rc;
}

void fpy_ytree_free(fpy_ytree *t)
{
    for (size_t i = 0; i < t->count; i++)
        free(t->n[i].s);
    free(t->n);
    memset(t, 0, sizeof *t);
}
