/* Schema contracts. Storage follows dlt: a root table's `schema_contract` key and the
 * schema's `settings.schema_contract`, each a mode string or an object of entities; both
 * live in the JSON the schema keeps for keys it has no field for (extra_json). */
#include "schema/contract.h"
#include "common/alloc.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/error.h"
#include "formats/json.h"

#include <string.h>

static const char *const MODES[] = {"evolve", "freeze", "discard_row", "discard_value"};

const char *dltc__contract_mode_name(int mode)
{
    return mode >= 0 && mode < 4 ? MODES[mode] : "?";
}

static int mode_of(const dltc_value *v, const char *where, const char *entity, uint8_t *out)
{
    if (v->type == DLTC_TYPE_STRING)
        for (int i = 0; i < 4; i++)
            if (!strcmp(v->u.s, MODES[i])) {
                *out = (uint8_t)i;
                return 0;
            }
    return dltc__error_set(DLTC_EINVALID,
                           "%s: schema contract%s%s: '%s' is not a mode (evolve, freeze, "
                           "discard_row, discard_value)",
                           where, entity ? " for " : "", entity ? entity : "",
                           v->type == DLTC_TYPE_STRING ? v->u.s : "(not a string)");
}

int dltc__contract_from_value(const dltc_value *v, const char *where, dltc_contract *out)
{
    memset(out, 0, sizeof(*out));
    if (v->type == DLTC_TYPE_STRING) {
        uint8_t m = 0;
        int rc = mode_of(v, where, NULL, &m);
        if (rc)
            return rc;
        out->tables = out->columns = out->data_type = m;
        out->set = DLTC_CONTRACT_TABLES | DLTC_CONTRACT_COLUMNS | DLTC_CONTRACT_DATA_TYPE;
        return 0;
    }
    if (v->type != DLTC_TYPE_OBJECT)
        return dltc__error_set(DLTC_EINVALID, "%s: schema contract: a mode or an object", where);
    static const struct {
        const char *key;
        uint8_t bit;
        size_t off;
    } E[] = {{"tables", DLTC_CONTRACT_TABLES, offsetof(dltc_contract, tables)},
             {"columns", DLTC_CONTRACT_COLUMNS, offsetof(dltc_contract, columns)},
             {"data_type", DLTC_CONTRACT_DATA_TYPE, offsetof(dltc_contract, data_type)}};
    for (uint32_t i = 0; i < v->len; i++) {
        const dltc_member *m = &v->u.obj[i];
        size_t e = 0;
        while (e < 3 && strcmp(m->key, E[e].key))
            e++;
        if (e == 3)
            return dltc__error_set(DLTC_EINVALID,
                                   "%s: schema contract: unknown entity '%s' (tables, columns, "
                                   "data_type)",
                                   where, m->key);
        int rc = mode_of(&m->val, where, m->key, (uint8_t *)out + E[e].off);
        if (rc)
            return rc;
        out->set |= E[e].bit;
    }
    return 0;
}

int dltc__contract_parse(const char *text, const char *where, dltc_contract *out)
{
    size_t len = strlen(text);
    dltc_value bare;
    memset(&bare, 0, sizeof(bare));
    if (len && text[0] != '{' && text[0] != '"') { /* a bare mode name */
        bare.type = DLTC_TYPE_STRING;
        bare.u.s = text;
        bare.len = (uint32_t)len;
        return dltc__contract_from_value(&bare, where, out);
    }
    dltc_arena a;
    dltc__arena_init(&a, 1024);
    dltc_value *doc = NULL;
    dltc_json_error err;
    int rc = dltc__json_parse(&a, text, len, 4, &doc, &err);
    if (rc)
        rc = dltc__error_set(DLTC_EINVALID, "%s: schema contract: %d:%d: %s", where,
                             (int)err.line, (int)err.column, err.reason);
    else
        rc = dltc__contract_from_value(doc, where, out);
    dltc__arena_free(&a);
    return rc;
}

void dltc__contract_merge(dltc_contract *lo, const dltc_contract *hi)
{
    if (hi->set & DLTC_CONTRACT_TABLES)
        lo->tables = hi->tables;
    if (hi->set & DLTC_CONTRACT_COLUMNS)
        lo->columns = hi->columns;
    if (hi->set & DLTC_CONTRACT_DATA_TYPE)
        lo->data_type = hi->data_type;
    lo->set |= hi->set;
}

/* The schema_contract member of an extra_json object text, merged into *c. */
static int merge_stored(const char *extra, const char *where, dltc_contract *c)
{
    if (!extra)
        return 0;
    dltc_arena a;
    dltc__arena_init(&a, 1024);
    dltc_value *doc = NULL;
    dltc_json_error err;
    int rc = dltc__json_parse(&a, extra, strlen(extra), 64, &doc, &err);
    const dltc_value *v = !rc && doc->type == DLTC_TYPE_OBJECT
                              ? dltc_object_get(doc, "schema_contract")
                              : NULL;
    dltc_contract got;
    if (rc)
        rc = dltc__error_set(DLTC_EINVALID, "%s: stored hints are not JSON", where);
    else if (v && v->type != DLTC_TYPE_NULL && !(rc = dltc__contract_from_value(v, where, &got)))
        dltc__contract_merge(c, &got);
    dltc__arena_free(&a);
    return rc;
}

int dltc__contract_resolve(const dltc_schema *s, dltc_table *t, const dltc_contract *run,
                           dltc_contract *out)
{
    memset(out, 0, sizeof(*out));
    int rc = merge_stored(s->settings_extra_json, "schema settings", out);
    const dltc_table *root = t ? dltc__schema_root_table(s, t) : NULL;
    if (!rc && root)
        rc = merge_stored(root->extra_json, root->name, out);
    if (!rc && run)
        dltc__contract_merge(out, run);
    return rc;
}

/* {"tables": "freeze", …} with only the entities set */
static int contract_json(const dltc_contract *c, dltc_buf *b)
{
    int rc = dltc__buf_putc(b, '{'), first = 1;
    static const char *const K[] = {"tables", "columns", "data_type"};
    const uint8_t v[] = {c->tables, c->columns, c->data_type};
    for (int i = 0; i < 3 && !rc; i++) {
        if (!(c->set & (1 << i)))
            continue;
        rc = dltc__buf_printf(b, "%s\"%s\":\"%s\"", first ? "" : ",", K[i], MODES[v[i]]);
        first = 0;
    }
    return rc ? rc : dltc__buf_putc(b, '}');
}

int dltc__contract_set_table(dltc_schema *s, dltc_table *t, const dltc_contract *c)
{
    dltc_buf json = DLTC_BUF_INIT, out = DLTC_BUF_INIT;
    dltc_arena a;
    dltc__arena_init(&a, 1024);
    int rc = contract_json(c, &json);
    dltc_value *doc = NULL, *cv = NULL;
    dltc_json_error err;
    if (!rc && t->extra_json)
        rc = dltc__json_parse(&a, t->extra_json, strlen(t->extra_json), 64, &doc, &err)
                 ? dltc__error_set(DLTC_EINVALID, "table %s: stored hints are not JSON", t->name)
                 : 0;
    if (!rc && !doc) {
        doc = dltc__arena_alloc(&a, sizeof(*doc));
        if (!doc)
            rc = dltc__error_oom();
        else {
            memset(doc, 0, sizeof(*doc));
            doc->type = DLTC_TYPE_OBJECT;
        }
    }
    if (!rc)
        rc = dltc__json_parse(&a, json.data, json.len, 4, &cv, &err);
    if (!rc)
        rc = dltc__object_set(&a, doc, "schema_contract", 15, cv);
    if (!rc)
        rc = dltc__json_write(&out, doc);
    if (!rc && (!t->extra_json || strcmp(t->extra_json, out.data))) {
        dltc__free(t->extra_json);
        t->extra_json = dltc__buf_detach(&out);
        s->dirty = 1;
    }
    dltc__buf_free(&json);
    dltc__buf_free(&out);
    dltc__arena_free(&a);
    return rc;
}

int dltc__contract_table_is_new(const dltc_table *t)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (t->cols[i].data_type != DLTC_DT_UNSET)
            return 0;
    return 1;
}
