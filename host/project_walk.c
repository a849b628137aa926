/*
 * The walk over project.yml's tree that the key checks (project.c) share:
 * how a plain scalar is typed (YAML 1.1, as PyYAML reads it), the wrong
 * type error, and the mapping walk that finds duplicate and unknown keys.
 */
#include <stdlib.h>
#include <string.h>

#include "project_int.h"

const fpy_ynode *fpy_pj_node(const fpy_pj *pj, uint32_t i)
{
    return i == 0 ? NULL : &pj->t->n[i];
}

void fpy_pj_note(fpy_pj *pj, int rc)
{
    if (pj->rc == FPY_OK && rc != FPY_OK)
        pj->rc = rc;
}

static int fpy_pj_in(const char *s, const char *const *list)
{
    for (; *list != NULL; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

/* Decimal (no leading zero) or 0x hex, with an optional sign and single
 * underscores between digits, as YAML 1.1 writes integers; anything else
 * (1.5, 12ab) is a string. */
static int fpy_pj_int(const char *s, int64_t *out)
{
    int neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    const char *body = s;
    uint64_t v = 0;
    int digits = 0, big = 0;
    for (; *s; s++) {
        int dv = *s >= '0' && *s <= '9' ? *s - '0'
                 : base == 16 && *s >= 'a' && *s <= 'f' ? *s - 'a' + 10
                 : base == 16 && *s >= 'A' && *s <= 'F' ? *s - 'A' + 10 : -1;
        if (*s == '_' && digits > 0 && s[1] != '\0' && s[1] != '_')
            continue;
        if (dv < 0)
            return FPY_YV_STR;
        if (v > (UINT64_MAX - (unsigned)dv) / base)
            big = 1;
        else
            v = v * base + (unsigned)dv;
        digits++;
    }
    if (digits == 0)
        return FPY_YV_STR;
    /* YAML 1.1 reads 017 as octal 15: refused rather than guessed. */
    if (big || (base == 10 && body[0] == '0' && body[1] != '\0') ||
        v > (uint64_t)INT64_MAX + (uint64_t)neg)
        return FPY_YV_BADNUM;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return FPY_YV_INT;
}

int fpy_pj_type(const fpy_ynode *n, int64_t *num)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const trues[] = {"true", "True", "TRUE", "yes", "Yes",
                                        "YES",  "on",   "On",   "ON",  NULL};
    static const char *const falses[] = {"false", "False", "FALSE", "no", "No",
                                         "NO",    "off",   "Off",   "OFF", NULL};
    int64_t v = 0;
    if (n->kind != FPY_YN_SCALAR)
        return n->kind == FPY_YN_MAP ? FPY_YV_MAP : FPY_YV_SEQ;
    if (!n->plain)
        return FPY_YV_STR;
    if (fpy_pj_in(n->s, nulls))
        return FPY_YV_NULL;
    if (fpy_pj_in(n->s, trues) || fpy_pj_in(n->s, falses)) {
        *num = fpy_pj_in(n->s, trues);
        return FPY_YV_BOOL;
    }
    int ty = fpy_pj_int(n->s, &v);
    if (ty == FPY_YV_INT)
        *num = v;
    return ty;
}

const char *fpy_pj_kind(const fpy_ynode *n)
{
    static const char *const names[] = {"null",     "true/false", "a number", "a string",
                                        "a number", "a mapping",  "a list"};
    int64_t v;
    return names[fpy_pj_type(n, &v)];
}

int fpy_pj_wrong(fpy_pj *pj, const fpy_ynode *v, const char *key, const char *want,
                        const char *fix)
{
    int rc = fpy_pdiag(pj->d, FPY_PROJECT_ERROR, FPY_ERR_INVAL, v->line, v->col, fix,
                       "wrong type: %s must be %s, not %s", key, want, fpy_pj_kind(v));
    fpy_pj_note(pj, rc);
    return rc;
}

/* A string value (or a number or version written plainly: its text). */
int fpy_pj_text(fpy_pj *pj, const fpy_ynode *v, const char *key, char **out)
{
    int64_t num;
    int ty = fpy_pj_type(v, &num);
    if (ty != FPY_YV_STR && ty != FPY_YV_INT && ty != FPY_YV_BADNUM)
        return fpy_pj_wrong(pj, v, key, "a string", "write the value, quoted if need be");
    char *s = strdup(v->s);
    if (s == NULL)
        return FPY_ERR_NOSPC;
    free(*out);
    *out = s;
    return FPY_OK;
}

/* The first key before `k` in `map` with k's text, or NULL. */
static const fpy_ynode *fpy_pj_dup(const fpy_pj *pj, const fpy_ynode *map, const fpy_ynode *k)
{
    for (const fpy_ynode *e = fpy_pj_node(pj, map->child); e != k && e != NULL;) {
        if (e->kind == FPY_YN_SCALAR && strcmp(e->s, k->s) == 0)
            return e;
        const fpy_ynode *v = fpy_pj_node(pj, e->next);
        e = v ? fpy_pj_node(pj, v->next) : NULL;
    }
    return NULL;
}

/* One key of a mapping: its handler from `keys`, else `other`, else a
 * warning naming the known ones. */
static void fpy_pj_pair(fpy_pj *pj, const fpy_ynode *map, const fpy_ynode *k,
                        const fpy_ynode *v, const fpy_pj_key *keys, size_t nkeys,
                        fpy_pj_fn other, const char *where, const char *known)
{
    if (k->kind != FPY_YN_SCALAR) {
        fpy_pj_note(pj, fpy_pdiag(pj->d, FPY_PROJECT_ERROR, FPY_ERR_INVAL, k->line, k->col,
                                  "write a plain name before the colon",
                                  "wrong type: a key in %s must be a name, not %s", where,
                                  fpy_pj_kind(k)));
        return;
    }
    const fpy_ynode *first = fpy_pj_dup(pj, map, k);
    if (first != NULL) {
        fpy_pj_note(pj, fpy_pdiag(pj->d, FPY_PROJECT_ERROR, FPY_ERR_INVAL, k->line, k->col,
                                  "keep one of them",
                                  "duplicate key '%s' in %s (first at line %u, column %u)",
                                  k->s, where, (unsigned)first->line, (unsigned)first->col));
        return;
    }
    for (size_t i = 0; i < nkeys; i++)
        if (strcmp(k->s, keys[i].name) == 0) {
            fpy_pj_note(pj, keys[i].fn(pj, k, v));
            return;
        }
    if (other != NULL) {
        fpy_pj_note(pj, other(pj, k, v));
        return;
    }
    char fix[160];
    snprintf(fix, sizeof fix, "check the spelling; the keys of %s are %s", where, known);
    fpy_pdiag(pj->d, FPY_PROJECT_WARNING, 0, k->line, k->col, fix,
              "unknown key '%s' in %s: ignored", k->s, where);
}

void fpy_pj_map(fpy_pj *pj, const fpy_ynode *map, const fpy_pj_key *keys, size_t nkeys,
                       fpy_pj_fn other, const char *where, const char *known)
{
    for (const fpy_ynode *k = fpy_pj_node(pj, map->child); k != NULL;) {
        const fpy_ynode *v = fpy_pj_node(pj, k->next);
        if (v == NULL)
            break; /* libyaml always gives a value; be safe all the same */
        fpy_pj_pair(pj, map, k, v, keys, nkeys, other, where, known);
        k = fpy_pj_node(pj, v->next);
    }
}

