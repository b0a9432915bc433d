/* Golden, data-driven normalizer tests. Each case file holds `input` (rows and resource
 * hints) and `tables` (every table with parent, columns in order with data_type, nullable and
 * key hints, and optionally the rows). tests/golden/dlt/ holds what dlt 1.26 really produced;
 * tests/golden/cases/ holds cases worked out from the reference rules. Row ids are compared
 * structurally: the same placeholder must map to the same id everywhere. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dltc/dltc.h"
#include "common/arena.h"
#include "common/buf.h"
#include "formats/json.h"
#include "testutil.h"

#include <dirent.h>
#include <math.h>

typedef struct {
    char ph[64][16];
    char id[64][64];
    int n;
} idmap;

static const dltc_value *get(const dltc_value *o, const char *k)
{
    return o && o->type == DLTC_TYPE_OBJECT ? dltc_object_get(o, k) : NULL;
}

static int is_id_col(const char *name)
{
    return !strcmp(name, "_dlt_id") || !strcmp(name, "_dlt_parent_id") ||
           !strcmp(name, "_dlt_root_id");
}

static void check_id(idmap *m, const char *ph, const char *id, const char *where)
{
    for (int i = 0; i < m->n; i++) {
        if (!strcmp(m->ph[i], ph)) {
            if (strcmp(m->id[i], id))
                fail_msg("%s: placeholder %s is %s here but %s before", where, ph, id, m->id[i]);
            return;
        }
        if (!strcmp(m->id[i], id))
            fail_msg("%s: id %s is %s here but %s before", where, id, ph, m->ph[i]);
    }
    assert_true(m->n < 64);
    snprintf(m->ph[m->n], sizeof(m->ph[0]), "%s", ph);
    snprintf(m->id[m->n], sizeof(m->id[0]), "%s", id);
    m->n++;
}

/* The value as text, for the csv-sourced example (merge_child) whose rows are strings. */
static void as_text(const dltc_value *v, char *out, size_t n)
{
    char *j = NULL;
    if (v->type == DLTC_TYPE_STRING) {
        snprintf(out, n, "%s", v->u.s);
        return;
    }
    dltc_value_to_json(&j, NULL, v);
    snprintf(out, n, "%s", j);
    dltc_free(j);
}

static int values_match(const dltc_value *exp, const dltc_value *got, int textual)
{
    if (textual && exp->type == DLTC_TYPE_STRING) {
        char a[256];
        as_text(got, a, sizeof(a));
        return !strcmp(a, exp->u.s);
    }
    /* decimals and big integers are strings in jsonl load files (as dlt writes them) */
    if (got->type == DLTC_TYPE_STRING &&
        (exp->type == DLTC_TYPE_BIGINT || exp->type == DLTC_TYPE_INT)) {
        char a[256];
        as_text(exp, a, sizeof(a));
        return !strcmp(a, got->u.s);
    }
    if (got->type == DLTC_TYPE_STRING && exp->type == DLTC_TYPE_DOUBLE)
        return fabs(strtod(got->u.s, NULL) - exp->u.d) < 1e-12;
    if ((exp->type == DLTC_TYPE_INT || exp->type == DLTC_TYPE_DOUBLE) &&
        (got->type == DLTC_TYPE_INT || got->type == DLTC_TYPE_DOUBLE))
        return fabs(dltc_value_get_double(exp) - dltc_value_get_double(got)) < 1e-12 &&
               (exp->type == got->type || exp->type == DLTC_TYPE_DOUBLE);
    return dltc__json_equal(exp, got);
}

static void compare_rows(const char *cname, const char *table, const dltc_value *exp_rows,
                         const char *file, idmap *ids, int textual, dltc_arena *a)
{
    size_t len = 0;
    char *data = tu_read_file(file, &len);
    assert_non_null(data);
    dltc_json_reader_options ro = DLTC_JSON_READER_OPTIONS_INIT;
    dltc_json_reader *rd;
    assert_int_equal(dltc__json_reader_open_mem(&rd, data, len, file, &ro), 0);
    for (uint32_t i = 0; i < exp_rows->len; i++) {
        const dltc_value *exp = &exp_rows->u.arr[i];
        dltc_value *got;
        int rc = dltc__json_reader_next(rd, a, &got);
        if (rc)
            fail_msg("%s/%s: row %u missing", cname, table, i);
        if (got->len != exp->len)
            fail_msg("%s/%s: row %u has %u keys, dlt has %u", cname, table, i, got->len,
                     exp->len);
        for (uint32_t k = 0; k < exp->len; k++) {
            const dltc_member *em = &exp->u.obj[k];
            const dltc_member *gm = &got->u.obj[k];
            if (strcmp(em->key, gm->key))
                fail_msg("%s/%s: row %u key %u is %s, dlt has %s", cname, table, i, k, gm->key,
                         em->key);
            char where[256];
            snprintf(where, sizeof(where), "%s/%s row %u %s", cname, table, i, em->key);
            if (is_id_col(em->key)) {
                assert_int_equal(gm->val.type, DLTC_TYPE_STRING);
                assert_int_equal(gm->val.len, 14);
                check_id(ids, em->val.u.s, gm->val.u.s, where);
            } else if (!strcmp(em->key, "_dlt_load_id")) {
                assert_int_equal(gm->val.type, DLTC_TYPE_STRING);
            } else if (!values_match(&em->val, &gm->val, textual)) {
                char *gj = NULL, *ej = NULL;
                dltc_value_to_json(&gj, NULL, &gm->val);
                dltc_value_to_json(&ej, NULL, &em->val);
                fail_msg("%s: got %s, dlt has %s", where, gj, ej);
            }
        }
    }
    dltc_value *extra;
    if (dltc__json_reader_next(rd, a, &extra) == 0)
        fail_msg("%s/%s: more rows than dlt", cname, table);
    dltc__json_reader_free(rd);
    free(data);
}

static long find_table(dltc_schema *s, const char *name)
{
    for (size_t i = 0; i < dltc_schema_table_count(s); i++)
        if (!strcmp(dltc_schema_table_name(s, i), name))
            return (long)i;
    return -1;
}

static void run_case(const char *path)
{
    size_t len = 0;
    char *text = tu_read_file(path, &len);
    assert_non_null(text);
    dltc_arena a;
    dltc__arena_init(&a, 1 << 16);
    dltc_value *doc;
    dltc_json_error err;
    if (dltc__json_parse(&a, text, len, 512, &doc, &err))
        fail_msg("%s: %s", path, dltc_error_last()->message);
    const char *cname = get(doc, "example")->u.s;
    const dltc_value *input = get(doc, "input");
    const dltc_value *tables = get(doc, "tables");
    int textual = get(doc, "rows_are_text") || !strcmp(cname, "merge_child");

    dltc_normalize_options o = DLTC_NORMALIZE_OPTIONS_INIT;
    o.table_name = cname;
    char *dir = tu_mkdtemp();
    o.out_dir = dir;
    const dltc_value *v;
    if ((v = get(input, "write_disposition")))
        o.write_disposition = v->u.s;
    if ((v = get(input, "primary_key")))
        o.primary_key = v->u.s;
    if ((v = get(input, "max_table_nesting")))
        o.max_table_nesting = (int)v->u.i;
    dltc_schema *s;
    dltc_normalizer *n;
    assert_int_equal(dltc_schema_new(&s, cname), 0);
    assert_int_equal(dltc_normalizer_new(&n, s, &o), 0);
    const dltc_value *rows = get(input, "rows");
    for (uint32_t i = 0; i < rows->len; i++)
        if (dltc_normalizer_feed_value(n, &rows->u.arr[i]))
            fail_msg("%s: row %u: %s", cname, i, dltc_error_last()->message);
    assert_int_equal(dltc_normalizer_finish(n), 0);

    /* every data table of dlt's, and no other */
    size_t ours = 0;
    for (size_t i = 0; i < dltc_schema_table_count(s); i++)
        if (strncmp(dltc_schema_table_name(s, i), "_dlt_", 5))
            ours++;
    if (ours != tables->len) {
        for (size_t i = 0; i < dltc_schema_table_count(s); i++)
            print_message("  ours: %s\n", dltc_schema_table_name(s, i));
        fail_msg("%s: %zu tables, dlt has %u", cname, ours, tables->len);
    }
    idmap ids = {.n = 0};
    for (uint32_t ti = 0; ti < tables->len; ti++) {
        const char *tname = tables->u.obj[ti].key;
        const dltc_value *et = &tables->u.obj[ti].val;
        long t = find_table(s, tname);
        if (t < 0)
            fail_msg("%s: table %s missing", cname, tname);
        const dltc_value *parent = get(et, "parent");
        const char *ours_parent = dltc_schema_table_parent(s, (size_t)t);
        if (parent && parent->type == DLTC_TYPE_STRING) {
            assert_non_null(ours_parent);
            assert_string_equal(ours_parent, parent->u.s);
        } else {
            assert_null(ours_parent);
        }
        const dltc_value *cols = get(et, "columns");
        /* complete columns only (hint-only columns are not in dlt's dump) */
        size_t k = 0;
        for (size_t c = 0; c < dltc_schema_column_count(s, (size_t)t); c++) {
            if (!dltc_schema_column_type(s, (size_t)t, c))
                continue;
            if (k >= cols->len)
                fail_msg("%s/%s: extra column %s", cname, tname,
                         dltc_schema_column_name(s, (size_t)t, c));
            const dltc_value *ec = &cols->u.arr[k++];
            const char *en = get(ec, "name")->u.s;
            const char *gn = dltc_schema_column_name(s, (size_t)t, c);
            if (strcmp(en, gn))
                fail_msg("%s/%s: column %zu is %s, dlt has %s", cname, tname, k - 1, gn, en);
            const char *et_type = get(ec, "data_type")->u.s;
            const char *gt = dltc_schema_column_type(s, (size_t)t, c);
            if (strcmp(et_type, gt))
                fail_msg("%s/%s.%s: type %s, dlt has %s", cname, tname, en, gt, et_type);
            const dltc_value *nl = get(ec, "nullable");
            if (nl && (nl->u.i != 0) != (dltc_schema_column_nullable(s, (size_t)t, c) != 0))
                fail_msg("%s/%s.%s: nullable differs", cname, tname, en);
        }
        if (k != cols->len)
            fail_msg("%s/%s: %zu columns, dlt has %u", cname, tname, k, cols->len);
        const dltc_value *erows = get(et, "rows");
        if (erows) {
            const char *file = NULL;
            for (size_t i = 0; i < dltc_normalizer_table_count(n); i++)
                if (!strcmp(dltc_normalizer_table_name(n, i), tname))
                    file = dltc_normalizer_table_file(n, i);
            if (!file) {
                assert_int_equal(erows->len, 0);
                continue;
            }
            compare_rows(cname, tname, erows, file, &ids, textual, &a);
        }
        const dltc_value *rc = get(et, "row_count");
        if (rc) {
            uint64_t got = 0;
            for (size_t i = 0; i < dltc_normalizer_table_count(n); i++)
                if (!strcmp(dltc_normalizer_table_name(n, i), tname))
                    got = dltc_normalizer_table_rows(n, i);
            assert_int_equal(got, rc->u.i);
        }
    }
    dltc_normalizer_free(n);
    dltc_schema_free(s);
    tu_rmrf(dir);
    free(dir);
    dltc__arena_free(&a);
    free(text);
}

static void run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    int count = 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".json"))
            continue;
        char p[4096];
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        print_message("case %s\n", e->d_name);
        run_case(p);
        count++;
    }
    closedir(d);
    assert_true(count > 0);
}

static void dlt_examples(void **state)
{
    (void)state;
    run_dir(DLTC_SOURCE_DIR "/tests/golden/dlt");
}

static void reference_cases(void **state)
{
    (void)state;
    run_dir(DLTC_SOURCE_DIR "/tests/golden/cases");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dlt_examples),
        cmocka_unit_test(reference_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
