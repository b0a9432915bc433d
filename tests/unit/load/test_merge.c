/* Merge and replace through a pipeline into DuckDB, shaped like dlt's merge tutorial: every
 * strategy (delete-insert with primary and merge keys, dedup_sort and hard_delete, upsert,
 * insert-only, scd2), the replace strategies, deterministic root ids against values computed
 * with Python's hashlib, and a failing follow-up job that rolls the package back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/alloc.h"
#include "dltc/dltc.h"
#include "load/merge.h"
#include "schema/schema.h"
#include "testutil.h"

typedef struct {
    char *dir;
    dltc_pipeline *p;
} fx;

static dltc_pipeline *open_pipeline_fmt(const char *dir, const char *replace_strategy,
                                        const char *format)
{
    char pd[4096], db[4096];
    snprintf(pd, sizeof(pd), "%s/pipelines", dir);
    snprintf(db, sizeof(db), "%s/test.duckdb", dir);
    dltc_pipeline_options o = DLTC_PIPELINE_OPTIONS_INIT;
    o.pipelines_dir = pd;
    o.credentials = db;
    o.replace_strategy = replace_strategy;
    o.loader_file_format = format;
    dltc_pipeline *p = NULL;
    if (dltc_pipeline_open(&p, "merge", &o))
        fail_msg("open: %s", dltc_error_last()->message);
    return p;
}

static dltc_pipeline *open_pipeline(const char *dir, const char *replace_strategy)
{
    return open_pipeline_fmt(dir, replace_strategy, NULL);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    f->dir = tu_mkdtemp();
    f->p = open_pipeline(f->dir, NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dltc_pipeline_free(f->p);
    tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

typedef struct {
    const char *wd, *strategy, *pk, *mk, *columns, *table;
} hints;

static int try_load(fx *f, const char *json, const hints *h)
{
    dltc_run_options o = DLTC_RUN_OPTIONS_INIT;
    o.table_name = h->table ? h->table : "users";
    o.write_disposition = h->wd ? h->wd : "merge";
    o.merge_strategy = h->strategy;
    o.primary_key = h->pk;
    o.merge_key = h->mk;
    o.columns = h->columns;
    return dltc_pipeline_run_json(f->p, json, strlen(json), &o, NULL);
}

static void load(fx *f, const char *json, const hints *h)
{
    if (try_load(f, json, h))
        fail_msg("run: %s", dltc_error_last()->message);
}

static long long scalar(dltc_pipeline *p, const char *sql)
{
    dltc_rows *rows = NULL;
    if (dltc_pipeline_query(p, sql, &rows))
        fail_msg("%s: %s", sql, dltc_error_last()->message);
    const dltc_value *v = dltc_rows_get(rows, 0, 0);
    long long n = dltc_value_type_of(v) == DLTC_TYPE_NULL ? -1 : dltc_value_get_int(v);
    dltc_rows_free(rows);
    return n;
}

/* The first column of every row, joined with ',' (NULL as "-"). */
static const char *column(dltc_pipeline *p, const char *sql, char *buf, size_t cap)
{
    dltc_rows *rows = NULL;
    if (dltc_pipeline_query(p, sql, &rows))
        fail_msg("%s: %s", sql, dltc_error_last()->message);
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < dltc_rows_count(rows); i++) {
        const dltc_value *v = dltc_rows_get(rows, i, 0);
        size_t len = 0;
        const char *s = dltc_value_type_of(v) == DLTC_TYPE_NULL ? "-" : dltc_value_get_str(v, &len);
        if (dltc_value_type_of(v) == DLTC_TYPE_NULL)
            len = 1;
        n += (size_t)snprintf(buf + n, cap - n, "%s%.*s", i ? "," : "", (int)len, s);
    }
    dltc_rows_free(rows);
    return buf;
}

#define ASSERT_COLUMN(p, sql, expected)                                                         \
    do {                                                                                       \
        char buf_[1024];                                                                       \
        assert_string_equal(column(p, sql, buf_, sizeof(buf_)), expected);                     \
    } while (0)

/* no nested row without its root row, no root row version twice */
static void assert_consistent(dltc_pipeline *p, const char *nested)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM %s c WHERE NOT EXISTS (SELECT 1 FROM users u WHERE "
             "u._dlt_id = c._dlt_parent_id)", nested);
    assert_int_equal(scalar(p, sql), 0);
}

/* ---- delete-insert ---- */

static const char *const USERS1 =
    "[{\"id\": 1, \"name\": \"Alice\", \"pets\": [{\"n\": \"cat\"}, {\"n\": \"dog\"}]},"
    " {\"id\": 2, \"name\": \"Bob\", \"pets\": [{\"n\": \"fish\"}]},"
    " {\"id\": 3, \"name\": \"Carol\"}]";
static const char *const USERS2 =
    "[{\"id\": 1, \"name\": \"Alice B.\", \"pets\": [{\"n\": \"dog\"}]},"
    " {\"id\": 4, \"name\": \"Dan\", \"pets\": [{\"n\": \"ant\"}, {\"n\": \"bee\"}]}]";

/* dlt's tutorial: merge on a primary key updates changed rows in place, no duplicates, and a
 * changed list replaces the old one (removed elements vanish) */
static void delete_insert_updates_in_place(void **state)
{
    fx *f = *state;
    hints h = {.pk = "id"};
    load(f, USERS1, &h);
    load(f, USERS2, &h);
    ASSERT_COLUMN(f->p, "SELECT id || ':' || name FROM users ORDER BY id",
                  "1:Alice B.,2:Bob,3:Carol,4:Dan");
    ASSERT_COLUMN(f->p, "SELECT u.id || ':' || p.n FROM users__pets p JOIN users u ON "
                        "u._dlt_id = p._dlt_root_id ORDER BY u.id, p._dlt_list_idx",
                  "1:dog,2:fish,4:ant,4:bee");
    assert_consistent(f->p, "users__pets");
    /* the same data again changes nothing */
    load(f, USERS2, &h);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM users"), 4);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM users__pets"), 4);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM _dlt_loads"), 3);
    /* a root whose list is now empty loses its nested rows (no job for the nested table) */
    load(f, "{\"id\": 4, \"name\": \"Dan\", \"pets\": []}", &h);
    ASSERT_COLUMN(f->p, "SELECT n FROM users__pets ORDER BY n", "dog,fish");
    /* staging is per load: no <dataset>_staging schema */
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM information_schema.schemata WHERE "
                                  "schema_name LIKE '%staging%'"), 0);
}

static void dedup_sort_picks_survivor(void **state)
{
    fx *f = *state;
    hints h = {.pk = "id", .columns = "{\"v\": {\"dedup_sort\": \"desc\"}}"};
    load(f, "[{\"id\": 1, \"v\": 1, \"tags\": [\"one\"]}, {\"id\": 1, \"v\": 3, \"tags\": "
            "[\"three\"]}, {\"id\": 1, \"v\": 2}, {\"id\": 2, \"v\": 5}]",
         &h);
    ASSERT_COLUMN(f->p, "SELECT id || ':' || v FROM users ORDER BY id", "1:3,2:5");
    ASSERT_COLUMN(f->p, "SELECT value FROM users__tags", "three");
    h.columns = "{\"v\": {\"dedup_sort\": \"asc\"}}";
    load(f, "[{\"id\": 1, \"v\": 9}, {\"id\": 1, \"v\": 7}, {\"id\": 1, \"v\": 8}]", &h);
    ASSERT_COLUMN(f->p, "SELECT id || ':' || v FROM users ORDER BY id", "1:7,2:5");
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM users__tags"), 0);
}

static void hard_delete_removes_rows_and_children(void **state)
{
    fx *f = *state;
    hints h = {.pk = "id", .columns = "{\"deleted\": {\"hard_delete\": true, \"data_type\": "
                                      "\"bool\"}}"};
    load(f, USERS1, &h);
    load(f, "[{\"id\": 1, \"deleted\": true}, {\"id\": 2, \"name\": \"Bob2\", \"deleted\": "
            "false}, {\"id\": 5, \"name\": \"Eve\", \"deleted\": true}]",
         &h);
    ASSERT_COLUMN(f->p, "SELECT id || ':' || name FROM users ORDER BY id", "2:Bob2,3:Carol");
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM users__pets"), 0); /* Bob2 has none */
    assert_consistent(f->p, "users__pets");

    /* any other type: a value that is not NULL deletes */
    hints t = {.pk = "id", .columns = "{\"deleted_at\": {\"hard_delete\": true}}",
               .table = "other"};
    load(f, "[{\"id\": 3, \"name\": \"Carol\"}, {\"id\": 4, \"name\": \"Dan\"}]", &t);
    load(f, "[{\"id\": 3, \"deleted_at\": \"2024-01-01\"}, {\"id\": 6, \"name\": \"Fay\"}]", &t);
    ASSERT_COLUMN(f->p, "SELECT id || ':' || name FROM other ORDER BY id", "4:Dan,6:Fay");
}

static void merge_key_without_primary_key(void **state)
{
    fx *f = *state;
    hints h = {.mk = "day"};
    load(f, "[{\"day\": 1, \"v\": \"a\"}, {\"day\": 1, \"v\": \"b\"}, {\"day\": 2, \"v\": "
            "\"c\"}]",
         &h);
    load(f, "[{\"day\": 1, \"v\": \"x\"}, {\"day\": 3, \"v\": \"y\"}]", &h);
    ASSERT_COLUMN(f->p, "SELECT day || v FROM users ORDER BY day, v", "1x,2c,3y");
    /* neither key: dlt's append fallback */
    hints none = {.table = "other"};
    load(f, "{\"day\": 2, \"v\": \"c\", \"l\": [1]}", &none);
    load(f, "{\"day\": 2, \"v\": \"c\", \"l\": [2]}", &none);
    ASSERT_COLUMN(f->p, "SELECT day || v FROM other", "2c,2c");
    ASSERT_COLUMN(f->p, "SELECT value::VARCHAR FROM other__l ORDER BY value", "1,2");
}

/* ---- upsert, insert-only ---- */

static void upsert_updates_inserts_deletes(void **state)
{
    fx *f = *state;
    hints h = {.strategy = "upsert", .pk = "id",
               .columns = "{\"deleted\": {\"hard_delete\": true, \"data_type\": \"bool\"}}"};
    load(f, USERS1, &h);
    load(f, "[{\"id\": 1, \"name\": \"Alice B.\", \"pets\": [{\"n\": \"dog\"}]},"
            " {\"id\": 2, \"deleted\": true}, {\"id\": 4, \"name\": \"Dan\"},"
            " {\"id\": 9, \"deleted\": true}]",
         &h);
    ASSERT_COLUMN(f->p, "SELECT id || ':' || name FROM users ORDER BY id",
                  "1:Alice B.,3:Carol,4:Dan");
    ASSERT_COLUMN(f->p, "SELECT n FROM users__pets ORDER BY n", "dog");
    assert_consistent(f->p, "users__pets");
    /* the root _dlt_id is the key hash: python3 -c "import hashlib,base64; print(base64.
     * b64encode(hashlib.shake_128(b'{\"id\":1}').digest(10)).decode().rstrip('='))" */
    ASSERT_COLUMN(f->p, "SELECT _dlt_id FROM users WHERE id = 1", "z5jIxXIbUnmbKw");
    /* nested rows are merged on their (deterministic) _dlt_id: updated in place */
    load(f, "{\"id\": 1, \"name\": \"Alice C.\", \"pets\": [{\"n\": \"wolf\"}]}", &h);
    ASSERT_COLUMN(f->p, "SELECT n FROM users__pets ORDER BY n", "wolf");
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM users"), 3);
}

static void upsert_needs_primary_key(void **state)
{
    fx *f = *state;
    hints h = {.strategy = "upsert"};
    assert_int_not_equal(try_load(f, "{\"id\": 1}", &h), 0);
    assert_non_null(strstr(dltc_error_last()->message, "needs a primary key"));
}

static void insert_only_keeps_existing(void **state)
{
    fx *f = *state;
    hints h = {.strategy = "insert-only", .pk = "id",
               .columns = "{\"deleted\": {\"hard_delete\": true, \"data_type\": \"bool\"}}"};
    load(f, USERS1, &h);
    load(f, "[{\"id\": 1, \"name\": \"changed\", \"pets\": [{\"n\": \"x\"}, {\"n\": \"y\"}, "
            "{\"n\": \"z\"}]}, {\"id\": 4, \"name\": \"Dan\", \"pets\": [{\"n\": \"ant\"}]},"
            " {\"id\": 4, \"name\": \"Dan\", \"pets\": [{\"n\": \"ant\"}]},"
            " {\"id\": 5, \"name\": \"gone\", \"deleted\": true}, {\"id\": 2, \"deleted\": true}]",
         &h);
    ASSERT_COLUMN(f->p, "SELECT id || ':' || name FROM users ORDER BY id",
                  "1:Alice,2:Bob,3:Carol,4:Dan");
    ASSERT_COLUMN(f->p, "SELECT n FROM users__pets ORDER BY n", "ant,cat,dog,fish");
    assert_consistent(f->p, "users__pets");
}

/* ---- scd2 ---- */

/* rows whose valid_from / valid_to is the time of the load `which` (1 = first …) */
static long long at_load(dltc_pipeline *p, const char *col, int which)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM users WHERE abs(epoch_us(%s) - (SELECT CAST(CAST(load_id AS "
             "DOUBLE) * 1000000 AS BIGINT) FROM _dlt_loads ORDER BY load_id LIMIT 1 OFFSET %d)) "
             "<= 1",
             col, which - 1);
    return scalar(p, sql);
}

static void scd2_keeps_history(void **state)
{
    fx *f = *state;
    hints h = {.strategy = "scd2"};
    load(f, USERS1, &h);
    assert_int_equal(at_load(f->p, "_dlt_valid_from", 1), 3);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM users WHERE _dlt_valid_to IS NULL"), 3);
    /* Alice changes (her list too), Bob is unchanged, Carol is gone, Dan is new */
    load(f, "[{\"id\": 1, \"name\": \"Alice B.\", \"pets\": [{\"n\": \"dog\"}]},"
            " {\"id\": 2, \"name\": \"Bob\", \"pets\": [{\"n\": \"fish\"}]},"
            " {\"id\": 4, \"name\": \"Dan\"}]",
         &h);
    ASSERT_COLUMN(f->p, "SELECT name FROM users WHERE _dlt_valid_to IS NULL ORDER BY id",
                  "Alice B.,Bob,Dan");
    ASSERT_COLUMN(f->p, "SELECT name FROM users WHERE _dlt_valid_to IS NOT NULL ORDER BY id",
                  "Alice,Carol");
    assert_int_equal(at_load(f->p, "_dlt_valid_to", 2), 2);   /* retired at the boundary */
    assert_int_equal(at_load(f->p, "_dlt_valid_from", 2), 2); /* new versions */
    assert_int_equal(at_load(f->p, "_dlt_valid_from", 1), 3); /* Bob untouched */
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM users WHERE name = 'Bob' AND "
                                  "_dlt_load_id = (SELECT min(load_id) FROM _dlt_loads)"), 1);
    /* the row version is the row hash of the source item:
     * {"id":1,"name":"Alice B.","pets":[{"n":"dog"}]} */
    ASSERT_COLUMN(f->p, "SELECT _dlt_id FROM users WHERE name = 'Alice B.'", "oTi+90GQ8McZxw");
    /* nested tables are insert-only: each version keeps its list */
    ASSERT_COLUMN(f->p, "SELECT u.name || ':' || p.n FROM users__pets p JOIN users u ON "
                        "u._dlt_id = p._dlt_parent_id ORDER BY u.name, p.n",
                  "Alice:cat,Alice:dog,Alice B.:dog,Bob:fish");
    /* a row that comes back is a new version */
    load(f, "[{\"id\": 3, \"name\": \"Carol\"}]", &h);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM users WHERE name = 'Carol'"), 2);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM users WHERE _dlt_valid_to IS NULL"), 1);
    char *schema = NULL;
    assert_int_equal(dltc_pipeline_schema_export(f->p, &schema, 1), 0);
    assert_non_null(strstr(schema, "\"x-valid-from\": true"));
    assert_non_null(strstr(schema, "\"x-row-version\": true"));
    dltc_free(schema);
}

/* incremental scd2: with a merge key only the staged keys retire their absent versions */
static void scd2_merge_key_retires_staged_keys_only(void **state)
{
    fx *f = *state;
    hints h = {.strategy = "scd2", .mk = "id"};
    load(f, "[{\"id\": 1, \"v\": \"a\"}, {\"id\": 2, \"v\": \"b\"}]", &h);
    load(f, "[{\"id\": 1, \"v\": \"a2\"}]", &h);
    ASSERT_COLUMN(f->p, "SELECT v FROM users WHERE _dlt_valid_to IS NULL ORDER BY id", "a2,b");
    ASSERT_COLUMN(f->p, "SELECT v FROM users WHERE _dlt_valid_to IS NOT NULL", "a");
}

/* dlt's dict form: validity columns, an active record timestamp and a boundary */
static void scd2_options_as_dlt_stores_them(void **state)
{
    fx *f = *state;
    hints h = {.wd = "{\"disposition\": \"merge\", \"strategy\": \"scd2\", "
                     "\"validity_column_names\": [\"valid from\", \"validTo\"], "
                     "\"active_record_timestamp\": \"9999-12-31\", "
                     "\"boundary_timestamp\": \"2024-01-02T03:04:05+01:00\"}"};
    load(f, "[{\"id\": 1, \"v\": \"a\"}, {\"id\": 2, \"v\": \"b\"}]", &h);
    ASSERT_COLUMN(f->p, "SELECT DISTINCT strftime(valid_from AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S') "
                        "|| ' ' || strftime(valid_to AT TIME ZONE 'UTC', '%Y-%m-%d') FROM users",
                  "2024-01-02 02:04:05 9999-12-31");
    h.wd = "{\"disposition\": \"merge\", \"strategy\": \"scd2\", \"validity_column_names\": "
           "[\"valid from\", \"validTo\"], \"active_record_timestamp\": \"9999-12-31\", "
           "\"boundary_timestamp\": \"2024-02-01\"}";
    load(f, "[{\"id\": 1, \"v\": \"a2\"}, {\"id\": 2, \"v\": \"b\"}]", &h);
    ASSERT_COLUMN(f->p, "SELECT v || '/' || strftime(valid_from AT TIME ZONE 'UTC', '%m-%d') || "
                        "'/' || strftime(valid_to AT TIME ZONE 'UTC', '%Y-%m-%d') FROM users "
                        "ORDER BY v",
                  "a/01-02/2024-02-01,a2/02-01/9999-12-31,b/01-02/9999-12-31");
    char *schema = NULL;
    assert_int_equal(dltc_pipeline_schema_export(f->p, &schema, 1), 0);
    assert_non_null(strstr(schema, "\"x-boundary-timestamp\": \"2024-02-01\""));
    assert_non_null(strstr(schema, "\"x-active-record-timestamp\": \"9999-12-31\""));
    assert_non_null(strstr(schema, "\"x-valid-to\": true"));
    dltc_free(schema);
    /* the row version from a column of the data (row_version_column_name) */
    hints own = {.wd = "{\"disposition\": \"merge\", \"strategy\": \"scd2\", "
                       "\"row_version_column_name\": \"h\"}",
                 .table = "own"};
    load(f, "[{\"id\": 1, \"h\": \"a\"}, {\"id\": 2, \"h\": \"b\"}]", &own);
    load(f, "[{\"id\": 1, \"h\": \"a2\"}, {\"id\": 2, \"h\": \"b\"}]", &own);
    ASSERT_COLUMN(f->p, "SELECT h FROM own WHERE _dlt_valid_to IS NULL ORDER BY h", "a2,b");
    ASSERT_COLUMN(f->p, "SELECT h FROM own WHERE _dlt_valid_to IS NOT NULL", "a");
    /* a wrong key in the dict is named */
    h.wd = "{\"disposition\": \"merge\", \"strategy\": \"scd2\", \"boundary\": 1}";
    assert_int_not_equal(try_load(f, "{\"id\": 1}", &h), 0);
    assert_non_null(strstr(dltc_error_last()->message, "'boundary'"));
}

/* ---- replace strategies ---- */

static void replace_strategy(fx *f, const char *name)
{
    dltc_pipeline_free(f->p);
    f->p = open_pipeline(f->dir, name);
    hints h = {.wd = "replace"};
    load(f, USERS1, &h);
    load(f, USERS1, &h);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM users"), 3);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM users__pets"), 3);
    /* the nested table has no rows this time: it is replaced (emptied) too */
    load(f, "[{\"id\": 7, \"name\": \"Gus\"}]", &h);
    ASSERT_COLUMN(f->p, "SELECT name FROM users", "Gus");
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM users__pets"), 0);
}

static void replace_truncate_and_insert(void **state)
{
    replace_strategy(*state, "truncate-and-insert");
}

static void replace_insert_from_staging(void **state)
{
    replace_strategy(*state, "insert-from-staging");
}

static void replace_staging_optimized(void **state)
{
    replace_strategy(*state, "staging-optimized");
}

static void unknown_replace_strategy(void **state)
{
    fx *f = *state;
    char pd[4096];
    snprintf(pd, sizeof(pd), "%s/pipelines", f->dir);
    dltc_pipeline_options o = DLTC_PIPELINE_OPTIONS_INIT;
    o.pipelines_dir = pd;
    o.replace_strategy = "clone";
    dltc_pipeline *p = NULL;
    assert_int_equal(dltc_pipeline_open(&p, "other", &o), DLTC_EINVALID);
    assert_null(p);
    assert_non_null(strstr(dltc_error_last()->message, "unknown replace strategy 'clone'"));
}

/* ---- deterministic ids (expected values from Python's hashlib, see each test) ---- */

static int typed_item(dltc_yield *y, void *payload)
{
    int *calls = payload;
    if ((*calls)++)
        return DLTC_ITEROVER;
    dltc_doc *d = dltc_yield_doc(y);
    dltc_value *o = dltc_value_object(d), *tags = dltc_value_array(d), *in = dltc_value_object(d);
    dltc_object_set(d, o, "ts", dltc_value_timestamp(d, 1704164645000000LL, 1));
    dltc_object_set(d, o, "id", dltc_value_int(d, 1));
    dltc_object_set(d, o, "day", dltc_value_date(d, 19724));
    dltc_object_set(d, o, "amount", dltc_value_decimal(d, "1.50"));
    dltc_array_append(d, tags, dltc_value_cstring(d, "a"));
    dltc_object_set(d, in, "z", dltc_value_int(d, 1));
    dltc_object_set(d, in, "b", dltc_value_null(d));
    dltc_array_append(d, tags, in);
    dltc_object_set(d, o, "tags", tags);
    dltc_object_set(d, o, "_dlt_extra", dltc_value_int(d, 5)); /* top-level _dlt keys: not hashed */
    return dltc_yield_value(y, o);
}

static void run_typed(fx *f, const char *strategy, const char *pk)
{
    int calls = 0;
    dltc_source *src;
    dltc_resource *r;
    dltc_resource_options o = DLTC_RESOURCE_OPTIONS_INIT;
    o.write_disposition = "merge";
    o.merge_strategy = strategy;
    o.primary_key = pk;
    assert_int_equal(dltc_source_new(&src, "merge"), 0);
    assert_int_equal(dltc_resource_new(&r, "typed", typed_item, &calls, &o), 0);
    assert_int_equal(dltc_source_add(src, r), 0);
    if (dltc_pipeline_run_source(f->p, src, NULL))
        fail_msg("run: %s", dltc_error_last()->message);
    dltc_source_free(src);
}

/* json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False) of the item as
 * dlt's typed JSONL holds it: {"amount":"\uf0261.50","day":"\uf0282024-01-02","id":1,
 * "tags":["a",{"b":null,"z":1}],"ts":"\uf0272024-01-02T03:04:05+00:00"} */
static void row_hash_of_typed_item(void **state)
{
    fx *f = *state;
    run_typed(f, "scd2", NULL);
    ASSERT_COLUMN(f->p, "SELECT _dlt_id FROM typed", "xp61/HKccjKeTQ");
}

/* {"day":"\uf0282024-01-02"}: the normalized key column and its typed value */
static void key_hash_of_typed_key(void **state)
{
    fx *f = *state;
    run_typed(f, "upsert", "Day");
    ASSERT_COLUMN(f->p, "SELECT _dlt_id FROM typed", "KFAs7mf/lia5uQ");
}

static void key_hash_of_plain_json(void **state)
{
    fx *f = *state;
    hints h = {.strategy = "insert-only", .pk = "b,a"};
    load(f, "{\"b\": \"x\", \"c\": 3, \"a\": 2}", &h); /* {"a":2,"b":"x"} */
    ASSERT_COLUMN(f->p, "SELECT _dlt_id FROM users", "UTWQ8a64Qg5wGQ");
    dltc_run_options o = DLTC_RUN_OPTIONS_INIT;
    o.table_name = "uni";
    o.write_disposition = "merge";
    o.merge_strategy = "upsert";
    o.primary_key = "id";
    const char *json = "{\"id\": \"\xc3\xbc\", \"v\": 1}"; /* {"id":"\u00fc"} unescaped */
    assert_int_equal(dltc_pipeline_run_json(f->p, json, strlen(json), &o, NULL), 0);
    ASSERT_COLUMN(f->p, "SELECT _dlt_id FROM uni", "CF9E8iFzUjSwOg");
    /* an item that brings its own _dlt_id keeps it */
    json = "{\"id\": \"y\", \"_dlt_id\": \"mine\"}";
    assert_int_equal(dltc_pipeline_run_json(f->p, json, strlen(json), &o, NULL), 0);
    ASSERT_COLUMN(f->p, "SELECT _dlt_id FROM uni WHERE id = 'y'", "mine");
}

/* ---- a failing follow-up job rolls the whole package back ---- */

static void failed_merge_rolls_back(void **state)
{
    fx *f = *state;
    hints h = {.pk = "id"};
    load(f, USERS1, &h);
    dltc_rows *rows = NULL;
    assert_int_equal(dltc_pipeline_query(f->p, "ALTER TABLE users ALTER COLUMN name SET NOT NULL",
                                         &rows),
                     0);
    dltc_rows_free(rows);
    /* a staged row without a name: the merge's INSERT fails after its DELETE ran */
    assert_int_not_equal(try_load(f, "[{\"id\": 1}, {\"id\": 8, \"name\": \"Hal\"}]", &h), 0);
    if (!strstr(dltc_error_last()->message, "table users: merge: "))
        fail_msg("message: %s", dltc_error_last()->message);
    ASSERT_COLUMN(f->p, "SELECT name FROM users ORDER BY id", "Alice,Bob,Carol");
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM users__pets"), 3);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM _dlt_loads"), 1);
    /* fixed: the pending package merges once on the next run */
    assert_int_equal(dltc_pipeline_query(f->p, "ALTER TABLE users ALTER COLUMN name DROP NOT NULL",
                                         &rows),
                     0);
    dltc_rows_free(rows);
    load(f, "{\"id\": 3, \"name\": \"Carol\"}", &h);
    ASSERT_COLUMN(f->p, "SELECT id || ':' || coalesce(name, '?') FROM users ORDER BY id",
                  "1:?,2:Bob,3:Carol,8:Hal");
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM _dlt_loads"), 3);
    assert_int_equal(scalar(f->p, "SELECT count(*) FROM users__pets"), 1);
}

/* ---- staging from every load file format ---- */

static void staging_from(fx *f, const char *format)
{
    dltc_pipeline_free(f->p);
    tu_rmrf(f->dir);
    mkdir(f->dir, 0700);
    f->p = open_pipeline_fmt(f->dir, NULL, format);
    hints h = {.pk = "id", .columns = "{\"deleted\": {\"hard_delete\": true, \"data_type\": "
                                      "\"bool\"}}"};
    load(f, USERS1, &h);
    load(f, USERS2, &h);
    load(f, "{\"id\": 2, \"deleted\": true}", &h);
    ASSERT_COLUMN(f->p, "SELECT id || ':' || name FROM users ORDER BY id",
                  "1:Alice B.,3:Carol,4:Dan");
    ASSERT_COLUMN(f->p, "SELECT n FROM users__pets ORDER BY n", "ant,bee,dog");
    hints r = {.wd = "replace", .table = "snap"};
    dltc_pipeline_free(f->p);
    f->p = open_pipeline_fmt(f->dir, "insert-from-staging", format);
    load(f, USERS1, &r);
    load(f, USERS2, &r);
    ASSERT_COLUMN(f->p, "SELECT name FROM snap ORDER BY id", "Alice B.,Dan");
}

static void staging_from_every_file_format(void **state)
{
    staging_from(*state, "jsonl");
    staging_from(*state, "csv");
    staging_from(*state, "parquet");
    staging_from(*state, "insert_values");
    setenv("DLTC_DUCKDB_LOADER", "appender", 1); /* the jsonl loader for huge rows */
    staging_from(*state, "jsonl");
    unsetenv("DLTC_DUCKDB_LOADER");
}

/* ---- the SQL itself, in the Postgres dialect (standard SQL, temporary tables) ---- */

static const char *const SCHEMA_DOC =
    "{\"version\": 1, \"engine_version\": 11, \"name\": \"s\", \"tables\": {"
    "\"_dlt_version\": {\"columns\": {\"version\": {\"data_type\": \"bigint\"}}},"
    "\"_dlt_loads\": {\"columns\": {\"load_id\": {\"data_type\": \"text\"}}},"
    "\"users\": {\"write_disposition\": \"merge\", \"columns\": {"
    "  \"id\": {\"data_type\": \"bigint\", \"primary_key\": true, \"nullable\": false},"
    "  \"ts\": {\"data_type\": \"timestamp\", \"dedup_sort\": \"desc\"},"
    "  \"deleted\": {\"data_type\": \"bool\", \"hard_delete\": true},"
    "  \"_dlt_id\": {\"data_type\": \"text\", \"row_key\": true, \"nullable\": false}}},"
    "\"users__pets\": {\"parent\": \"users\", \"columns\": {"
    "  \"n\": {\"data_type\": \"text\"},"
    "  \"_dlt_root_id\": {\"data_type\": \"text\", \"root_key\": true},"
    "  \"_dlt_parent_id\": {\"data_type\": \"text\", \"parent_key\": true},"
    "  \"_dlt_id\": {\"data_type\": \"text\", \"row_key\": true}}}}}";

static char *merge_sql(dltc_schema *s, const char *strategy)
{
    dltc_table *chain[2] = {dltc__schema_table(s, "users", 5),
                            dltc__schema_table(s, "users__pets", 11)};
    dltc__free(chain[0]->merge_strategy);
    chain[0]->merge_strategy = strategy ? dltc__strdup(strategy) : NULL;
    dltc_merge_ctx ctx = {DLTC_SQL_POSTGRES, "ds", DLTC_REPLACE_TRUNCATE_AND_INSERT, 0};
    dltc_buf b = DLTC_BUF_INIT;
    if (dltc__merge_sql(&b, &ctx, s, chain, 2))
        fail_msg("merge_sql: %s", dltc_error_last()->message);
    char *out = strdup(b.data);
    dltc__buf_free(&b);
    return out;
}

#define ASSERT_HAS(text, part)                                                                 \
    do {                                                                                       \
        if (!strstr(text, part))                                                               \
            fail_msg("missing: %s\nin:\n%s", part, text);                                       \
    } while (0)

static void sql_is_standard(void **state)
{
    (void)state;
    dltc_schema *s = NULL;
    if (dltc_schema_import(&s, SCHEMA_DOC, strlen(SCHEMA_DOC)))
        fail_msg("import: %s", dltc_error_last()->message);
    dltc_buf b = DLTC_BUF_INIT;
    assert_int_equal(dltc__sql_create_staging_table(&b, DLTC_SQL_POSTGRES,
                                                    dltc__schema_table(s, "users", 5)),
                     0);
    assert_string_equal(b.data, "CREATE TEMPORARY TABLE \"users\" (\"id\" bigint, \"ts\" "
                                "timestamp with time zone, \"deleted\" boolean, \"_dlt_id\" "
                                "varchar) ON COMMIT DROP");
    dltc__buf_free(&b);

    char *sql = merge_sql(s, NULL);
    ASSERT_HAS(sql, "CREATE TEMPORARY TABLE \"_dlt_merge_delete\" AS SELECT d.\"_dlt_id\" FROM "
                    "\"ds\".\"users\" AS d WHERE EXISTS (SELECT 1 FROM \"pg_temp\".\"users\" AS s "
                    "WHERE (d.\"id\" = s.\"id\"));\n");
    ASSERT_HAS(sql, "DELETE FROM \"ds\".\"users__pets\" WHERE \"_dlt_root_id\" IN (SELECT * FROM "
                    "\"pg_temp\".\"_dlt_merge_delete\");\n");
    ASSERT_HAS(sql, "ROW_NUMBER() OVER (PARTITION BY \"id\" ORDER BY \"ts\" DESC)");
    ASSERT_HAS(sql, "AND (s.\"deleted\" IS NULL OR s.\"deleted\" = FALSE);\n");
    free(sql);

    sql = merge_sql(s, "upsert");
    ASSERT_HAS(sql, "MERGE INTO \"ds\".\"users\" AS d USING (SELECT s.* FROM (SELECT * FROM "
                    "(SELECT ROW_NUMBER() OVER (PARTITION BY \"id\" ORDER BY \"ts\" DESC) AS "
                    "\"_dlt_dedup_rn\", n.* FROM \"pg_temp\".\"users\" AS n) AS n WHERE "
                    "n.\"_dlt_dedup_rn\" = 1) AS s WHERE 1 = 1) AS s ON d.\"id\" = s.\"id\" WHEN "
                    "MATCHED AND (s.\"deleted\" = TRUE) THEN DELETE WHEN MATCHED THEN UPDATE SET "
                    "\"id\" = s.\"id\", \"ts\" = s.\"ts\", \"deleted\" = s.\"deleted\", \"_dlt_id\" = "
                    "s.\"_dlt_id\" WHEN NOT MATCHED AND (s.\"deleted\" IS NULL OR s.\"deleted\" = "
                    "FALSE) THEN INSERT (\"id\", \"ts\", \"deleted\", \"_dlt_id\") VALUES (s.\"id\", "
                    "s.\"ts\", s.\"deleted\", s.\"_dlt_id\");\n");
    ASSERT_HAS(sql, "DELETE FROM \"ds\".\"users__pets\" WHERE \"_dlt_root_id\" IN (SELECT "
                    "\"_dlt_id\" FROM \"pg_temp\".\"users\") AND \"_dlt_id\" NOT IN (SELECT "
                    "\"_dlt_id\" FROM \"pg_temp\".\"users__pets\");\n");
    free(sql);

    sql = merge_sql(s, "insert-only");
    ASSERT_HAS(sql, "AND NOT EXISTS (SELECT 1 FROM \"ds\".\"users\" AS d WHERE d.\"id\" = "
                    "s.\"id\");\n");
    free(sql);

    /* scd2 without its columns is refused, naming the table */
    dltc_table *chain[1] = {dltc__schema_table(s, "users", 5)};
    dltc__free(chain[0]->merge_strategy);
    chain[0]->merge_strategy = dltc__strdup("scd2");
    dltc_merge_ctx ctx = {DLTC_SQL_POSTGRES, "ds", 0, 0};
    dltc_buf e = DLTC_BUF_INIT;
    assert_int_equal(dltc__merge_sql(&e, &ctx, s, chain, 1), DLTC_EINVALID);
    assert_non_null(strstr(dltc_error_last()->message, "table users: merge strategy scd2"));
    dltc__buf_free(&e);
    dltc_schema_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(delete_insert_updates_in_place, setup, teardown),
        cmocka_unit_test_setup_teardown(dedup_sort_picks_survivor, setup, teardown),
        cmocka_unit_test_setup_teardown(hard_delete_removes_rows_and_children, setup, teardown),
        cmocka_unit_test_setup_teardown(merge_key_without_primary_key, setup, teardown),
        cmocka_unit_test_setup_teardown(upsert_updates_inserts_deletes, setup, teardown),
        cmocka_unit_test_setup_teardown(upsert_needs_primary_key, setup, teardown),
        cmocka_unit_test_setup_teardown(insert_only_keeps_existing, setup, teardown),
        cmocka_unit_test_setup_teardown(scd2_keeps_history, setup, teardown),
        cmocka_unit_test_setup_teardown(scd2_merge_key_retires_staged_keys_only, setup, teardown),
        cmocka_unit_test_setup_teardown(scd2_options_as_dlt_stores_them, setup, teardown),
        cmocka_unit_test_setup_teardown(replace_truncate_and_insert, setup, teardown),
        cmocka_unit_test_setup_teardown(replace_insert_from_staging, setup, teardown),
        cmocka_unit_test_setup_teardown(replace_staging_optimized, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_replace_strategy, setup, teardown),
        cmocka_unit_test_setup_teardown(row_hash_of_typed_item, setup, teardown),
        cmocka_unit_test_setup_teardown(key_hash_of_typed_key, setup, teardown),
        cmocka_unit_test_setup_teardown(key_hash_of_plain_json, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_merge_rolls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(staging_from_every_file_format, setup, teardown),
        cmocka_unit_test(sql_is_standard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
