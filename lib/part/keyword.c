/*
 * gen_esp32part's names (ESP-IDF v5.5.1 TYPES and SUBTYPES) and the
 * options that change them or the table's layout: --extra-partition-subtypes
 * and the bootloader offsets.
 *
 * The extra subtypes act as assignments to the tool's SUBTYPES dict, in
 * order: a new name adds a keyword, a known name gets a new value, and a
 * value the type already has is refused (fpy_part_opts_check).  So values
 * stay distinct within a type, and a value has at most one name.
 */
#include "fipy/part.h"

#include <string.h>

#include "fipy/bytes.h"

typedef struct fpy_part_kw {
    const char *name;
    uint8_t value;
} fpy_part_kw;

static const fpy_part_kw fpy_part_types[] = {
    {"bootloader", FPY_PART_TYPE_BOOTLOADER},
    {"partition_table", FPY_PART_TYPE_PARTITION_TABLE},
    {"app", FPY_PTYPE_APP},
    {"data", FPY_PTYPE_DATA},
};

static const fpy_part_kw fpy_part_bootloader_subtypes[] = {
    {"primary", 0x00}, {"ota", 0x01}, {"recovery", 0x02},
};

static const fpy_part_kw fpy_part_table_subtypes[] = {
    {"primary", 0x00}, {"ota", 0x01},
};

static const fpy_part_kw fpy_part_app_subtypes[] = {
    {"factory", 0x00}, {"test", 0x20},   {"ota_0", 0x10},  {"ota_1", 0x11},
    {"ota_2", 0x12},   {"ota_3", 0x13},  {"ota_4", 0x14},  {"ota_5", 0x15},
    {"ota_6", 0x16},   {"ota_7", 0x17},  {"ota_8", 0x18},  {"ota_9", 0x19},
    {"ota_10", 0x1A},  {"ota_11", 0x1B}, {"ota_12", 0x1C}, {"ota_13", 0x1D},
    {"ota_14", 0x1E},  {"ota_15", 0x1F}, {"tee_0", 0x30},  {"tee_1", 0x31},
};

static const fpy_part_kw fpy_part_data_subtypes[] = {
    {"ota", 0x00},       {"phy", 0x01},      {"nvs", 0x02},
    {"coredump", 0x03},  {"nvs_keys", 0x04}, {"efuse", 0x05},
    {"undefined", 0x06}, {"esphttpd", 0x80}, {"fat", 0x81},
    {"spiffs", 0x82},    {"littlefs", 0x83}, {"tee_ota", 0x90},
};

/* fipy's data subtypes (include/fipy/layout.h). */
static const fpy_part_kw fpy_part_fipy_subtypes[] = {
    {"bytecode", FPY_PSUB_DATA_BYTECODE},
    {"vmstore", FPY_PSUB_DATA_VMSTORE},
    {"storage", FPY_PSUB_DATA_STORAGE},
};

#define FPY_PART_N(a) (sizeof(a) / sizeof((a)[0]))

static const fpy_part_kw *fpy_part_subtypes_of(uint8_t type, size_t *n)
{
    static const struct {
        const fpy_part_kw *kw;
        size_t n;
    } by_type[] = {
        {fpy_part_app_subtypes, FPY_PART_N(fpy_part_app_subtypes)},
        {fpy_part_data_subtypes, FPY_PART_N(fpy_part_data_subtypes)},
        {fpy_part_bootloader_subtypes, FPY_PART_N(fpy_part_bootloader_subtypes)},
        {fpy_part_table_subtypes, FPY_PART_N(fpy_part_table_subtypes)},
    };
    if (type >= FPY_PART_N(by_type)) {
        *n = 0;
        return NULL;
    }
    *n = by_type[type].n;
    return by_type[type].kw;
}

/* Does `key` equal s[0, n)?  With `fold`, s is lower-cased (ASCII) first,
 * as parse_int's keywords[v.lower()] does; the key is never folded. */
static int fpy_part_kw_match(const char *key, const char *s, size_t n, int fold)
{
    size_t j = 0;
    for (; j < n && key[j] != '\0'; j++) {
        char c = s[j];
        if (fold && c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != key[j])
            return 0;
    }
    return j == n && key[j] == '\0';
}

static size_t fpy_part_extra_count(const fpy_part_opts *o)
{
    return (o != NULL && o->extra != NULL) ? o->extra_count : 0;
}

/* Extra i is overridden when a later one (before `upto`) renames the same
 * keyword of the same type. */
static int fpy_part_extra_overridden(const fpy_part_opts *o, size_t i, size_t upto)
{
    const fpy_part_extra *x = &o->extra[i];
    for (size_t j = i + 1; j < upto; j++)
        if (o->extra[j].type == x->type && strcmp(o->extra[j].name, x->name) == 0)
            return 1;
    return 0;
}

static int fpy_part_is_overridden(const fpy_part_opts *o, size_t upto, uint8_t type,
                                  const char *name)
{
    for (size_t i = 0; i < upto; i++)
        if (o->extra[i].type == type && strcmp(o->extra[i].name, name) == 0)
            return 1;
    return 0;
}

/* Name to value with the first `upto` extras applied. */
static int fpy_part_sub_value(const fpy_part_opts *o, size_t upto, uint8_t type,
                              const char *s, size_t n, int fold, uint32_t *v)
{
    size_t nkw;
    const fpy_part_kw *kw = fpy_part_subtypes_of(type, &nkw);
    for (size_t i = upto; i-- > 0;) { /* the last assignment wins */
        if (o->extra[i].type == type && fpy_part_kw_match(o->extra[i].name, s, n, fold)) {
            *v = o->extra[i].subtype;
            return 1;
        }
    }
    for (size_t i = 0; i < nkw; i++) {
        if (fpy_part_kw_match(kw[i].name, s, n, fold)) {
            *v = kw[i].value;
            return 1;
        }
    }
    return 0;
}

/* Value to name with the first `upto` extras applied. */
static const char *fpy_part_sub_name(const fpy_part_opts *o, size_t upto, uint8_t type,
                                     uint8_t value)
{
    size_t nkw;
    const fpy_part_kw *kw = fpy_part_subtypes_of(type, &nkw);
    for (size_t i = 0; i < nkw; i++)
        if (kw[i].value == value && !fpy_part_is_overridden(o, upto, type, kw[i].name))
            return kw[i].name;
    for (size_t i = 0; i < upto; i++) {
        const fpy_part_extra *x = &o->extra[i];
        if (x->type == type && x->subtype == value && !fpy_part_extra_overridden(o, i, upto))
            return x->name;
    }
    return NULL;
}

/* ---- public look-ups ------------------------------------------------------ */

int fpy_part_kw_type(const char *s, size_t n, int fold, uint32_t *v)
{
    for (size_t i = 0; i < FPY_PART_N(fpy_part_types); i++) {
        if (fpy_part_kw_match(fpy_part_types[i].name, s, n, fold)) {
            *v = fpy_part_types[i].value;
            return 1;
        }
    }
    return 0;
}

int fpy_part_kw_subtype(const fpy_part_opts *o, uint8_t type, const char *s, size_t n,
                        int fold, uint32_t *v)
{
    return fpy_part_sub_value(o, fpy_part_extra_count(o), type, s, n, fold, v);
}

const char *fpy_part_type_keyword(uint8_t type)
{
    for (size_t i = 0; i < FPY_PART_N(fpy_part_types); i++)
        if (fpy_part_types[i].value == type)
            return fpy_part_types[i].name;
    return NULL;
}

const char *fpy_part_subtype_keyword(const fpy_part_opts *o, uint8_t type, uint8_t subtype)
{
    return fpy_part_sub_name(o, fpy_part_extra_count(o), type, subtype);
}

const char *fpy_part_fipy_subtype(uint8_t type, uint8_t subtype)
{
    if (type != FPY_PTYPE_DATA)
        return NULL;
    for (size_t i = 0; i < FPY_PART_N(fpy_part_fipy_subtypes); i++)
        if (fpy_part_fipy_subtypes[i].value == subtype)
            return fpy_part_fipy_subtypes[i].name;
    return NULL;
}

int fpy_part_subtype_is(const fpy_part_opts *o, uint8_t type, uint8_t subtype,
                        const char *keyword)
{
    uint32_t v;
    return fpy_part_kw_subtype(o, type, keyword, strlen(keyword), 0, &v) && v == subtype;
}

int fpy_part_is_primary(const fpy_part_opts *o, uint8_t type, uint8_t subtype)
{
    return (type == FPY_PART_TYPE_BOOTLOADER || type == FPY_PART_TYPE_PARTITION_TABLE) &&
           fpy_part_subtype_is(o, type, subtype, "primary");
}

/* ---- options ------------------------------------------------------------------- */

/* A diag about an option: no offset or line; `index` the extra subtype. */
static int fpy_part_opt_err(fpy_diag *d, int err, const char *what, const char *field,
                            uint32_t index)
{
    fpy_diag_line(d, err, what, field, 0);
    if (index != FPY_PART_NO_OTHER)
        fpy_diag_index(d, index);
    return err;
}

static int fpy_part_check_extra(const fpy_part_opts *o, size_t i, fpy_diag *d)
{
    const fpy_part_extra *x = &o->extra[i];
    size_t n = fpy_strnlen(x->name, sizeof x->name);
    if (x->type > FPY_PART_TYPE_PARTITION_TABLE)
        return fpy_part_opt_err(d, FPY_ERR_INVAL, "extra subtype of a type without keywords "
                                                  "(app, data, bootloader, partition_table)",
                                "type", (uint32_t)i);
    if (n == 0 || n == sizeof x->name)
        return fpy_part_opt_err(d, FPY_ERR_INVAL, "extra subtype name empty or too long",
                                "name", (uint32_t)i);
    /* gen_esp32part refuses a value its type already has (even under
     * the same name), checked against the keywords as they are so far. */
    if (fpy_part_sub_name(o, i, x->type, x->subtype) != NULL)
        return fpy_part_opt_err(d, FPY_ERR_EXISTS, "the type already has a subtype of this "
                                                   "value",
                                "subtype", (uint32_t)i);
    return FPY_OK;
}

int fpy_part_opts_check(const fpy_part_opts *o, fpy_diag *d)
{
    if (o == NULL)
        return FPY_OK;
    if (o->has_primary_bootloader && o->primary_bootloader >= fpy_part_table_offset(o))
        return fpy_part_opt_err(d, FPY_ERR_INVAL, "the primary bootloader must be below the "
                                                  "partition table",
                                "primary_bootloader", FPY_PART_NO_OTHER);
    if (o->extra == NULL && o->extra_count != 0)
        return fpy_part_opt_err(d, FPY_ERR_INVAL, "extra subtypes counted but not given",
                                "extra", FPY_PART_NO_OTHER);
    for (size_t i = 0; i < fpy_part_extra_count(o); i++)
        FPY_TRY(fpy_part_check_extra(o, i, d));
    return FPY_OK;
}
