/* Stored-schema document: export layout, version hash and bump, import, YAML. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dltc/schema.h"
#include "dltc/value.h"
#include "common/alloc.h"
#include "formats/json.h"
#include "formats/yaml.h"
#include "schema/schema.h"
#include "schema/schema_io.h"

#define DATA DLTC_TEST_DATA_DIR "/schema/"

/* the whole file, NUL-terminated (free()); fails the test when it cannot be read */
static char *slurp(const char *path, size_t *len)
{
    size_t n = 0;
    char *buf = tu_read_file(path, &n);
    if (!buf)
        fail_msg("%s: cannot read", path);
    if (len)
        *len = n;
    return buf;
}

static char *export_or_fail(dltc_schema *s, dltc_schema_format fmt, int remove_defaults)
{
    char *out = NULL;
    int rc = dltc_schema_export(&out, s, fmt, remove_defaults);
    if (rc) fail_msg("export: %s", dltc_error_last()->message);
    return out;
}

static dltc_schema *import_or_fail(const char *text)
{
    dltc_schema *s = NULL;
    if (dltc_schema_import(&s, text, strlen(text)))
        fail_msg("import: %s", dltc_error_last()->message);
    return s;
}

/* A first-line diff for readable failures. */
static void assert_text_equal(const char *got, const char *want)
{
    if (strcmp(got, want) == 0) return;
    size_t i = 0, line = 1;
    while (got[i] && got[i] == want[i]) {
        line += got[i] == '\n';
        i++;
    }
    fail_msg("texts differ at line %zu:\n--- got:\n%.200s\n--- want:\n%.200s", line, got + i,
             want + i);
}

/* A schema with most features: nested tables, hints, extra keys, propagation. */
static dltc_schema *new_dlt_schema(const char *name);

static dltc_schema *rich_schema(void)
{
    dltc_schema *s = new_dlt_schema("rich");
    dltc_table *t, *c;
    assert_int_equal(dltc__schema_add_table(s, "users", NULL, &t), 0);
    t->write_disposition = dltc__strdup("merge");
    t->merge_strategy = dltc__strdup("upsert");
    t->description = dltc__strdup("Users: \"all\" of them\nsecond line");
    t->seen_data = 1;
    t->extra_json =
        dltc__strdup("{\"schema_contract\":{\"columns\":\"freeze\"},\"x-custom\":[1,2.5,null]}");
    assert_true(dltc__table_new_column(s, t, "id", 2, DLTC_DT_BIGINT, DLTC_HINT_PRIMARY_KEY) >= 0);
    assert_true(dltc__table_new_column(s, t, "name", 4, DLTC_DT_TEXT, 0) >= 0);
    long k = dltc__table_new_column(s, t, "amount", 6, DLTC_DT_DECIMAL, 0);
    assert_true(k >= 0);
    t->cols[k].precision = 38;
    t->cols[k].scale = 9;
    t->cols[k].description = dltc__strdup("true");
    k = dltc__table_new_column(s, t, "created", 7, DLTC_DT_TIMESTAMP, DLTC_HINT_SORT);
    t->cols[k].timezone = 0;
    t->cols[k].dedup_sort = dltc__strdup("desc");
    t->cols[k].hints_set |= DLTC_HINT_UNIQUE; /* unique: false, as stored */
    t->cols[k].extra_json = dltc__strdup("{\"x-active-record-timestamp\":\"9999-12-31\"}");
    assert_true(dltc__table_new_column(s, t, "hint_only", 9, DLTC_DT_UNSET, DLTC_HINT_MERGE_KEY) >=
                0);
    assert_true(dltc__table_new_column(s, t, "_dlt_load_id", 12, DLTC_DT_TEXT, 0) >= 0);
    assert_true(dltc__table_new_column(s, t, "_dlt_id", 7, DLTC_DT_TEXT, 0) >= 0);
    assert_int_equal(dltc__schema_add_table(s, "users__tags", "users", &c), 0);
    c->max_nesting = 2;
    assert_true(dltc__table_new_column(s, c, "value", 5, DLTC_DT_TEXT, 0) >= 0);
    assert_true(dltc__table_new_column(s, c, "_dlt_root_id", 12, DLTC_DT_TEXT, 0) >= 0);
    assert_true(dltc__table_new_column(s, c, "_dlt_parent_id", 14, DLTC_DT_TEXT, 0) >= 0);
    assert_true(dltc__table_new_column(s, c, "_dlt_list_idx", 13, DLTC_DT_BIGINT, 0) >= 0);
    assert_true(dltc__table_new_column(s, c, "_dlt_id", 7, DLTC_DT_TEXT, 0) >= 0);
    assert_int_equal(dltc__schema_add_propagation(s, "users"), 0);
    assert_int_equal(dltc__schema_add_preferred_type(s, "re:_at$", DLTC_DT_TIMESTAMP), 0);
    assert_int_equal(dltc__schema_add_default_hint(s, "partition", "re:^day$"), 0);
    s->max_nesting = 3;
    s->use_break_path = 0;
    s->settings_extra_json = dltc__strdup("{\"schema_contract\":\"evolve\"}");
    s->normalizers_extra_json =
        dltc__strdup("{\"allow_identifier_change_on_table_with_data\":true}");
    s->description = dltc__strdup("A rich schema: ünïcode, 'quotes', # and : too");
    return s;
}

/* ---- the new-schema document ---- */

static int has_default_hint(const dltc_schema *s, const char *hint)
{
    for (size_t i = 0; i < s->ndefault_hints; i++)
        if (strcmp(s->default_hints[i].hint, hint) == 0) return 1;
    return 0;
}

/* dlt's relational normalizer adds default hints not_null, parent_key, root_key, unique,
 * row_key (in this order); a schema model without `unique: [_dlt_id]` gets it here so the
 * export tests below check the document layout and hash alone. */
static dltc_schema *new_dlt_schema(const char *name)
{
    dltc_schema *s;
    assert_int_equal(dltc_schema_new(&s, name), 0);
    if (has_default_hint(s, "unique")) return s;
    size_t at = 0;
    while (at < s->ndefault_hints && strcmp(s->default_hints[at].hint, "row_key") != 0)
        at++;
    dltc_default_hint *h =
        dltc__realloc(s->default_hints, (s->ndefault_hints + 1) * sizeof(dltc_default_hint));
    assert_non_null(h);
    memmove(h + at + 1, h + at, (s->ndefault_hints - at) * sizeof(*h));
    memset(&h[at], 0, sizeof(h[at]));
    h[at].hint = dltc__strdup("unique");
    h[at].pats = dltc__calloc(1, sizeof(dltc_simple_regex));
    h[at].pats[0].pattern = dltc__strdup("_dlt_id");
    h[at].npats = 1;
    s->default_hints = h;
    s->ndefault_hints++;
    s->dirty = 1;
    return s;
}

/* dlt 1.x: Schema(name) has default_hints not_null, parent_key, root_key, unique, row_key. */
static void new_schema_default_hints_match_dlt(void **state)
{
    (void)state;
    static const char *const want[] = {"not_null", "parent_key", "root_key", "unique", "row_key"};
    dltc_schema *s;
    assert_int_equal(dltc_schema_new(&s, "hints"), 0);
    if (s->ndefault_hints != 5 || !has_default_hint(s, "unique")) {
        dltc_schema_free(s);
        fail_msg("schema model: dltc_schema_new lacks dlt's default hint unique: [_dlt_id] "
                 "(between root_key and row_key); the stored document and its hash differ");
    }
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(s->default_hints[i].hint, want[i]);
    dltc_schema_free(s);
}

static void new_schema_json_matches_dlt(void **state)
{
    (void)state;
    dltc_schema *s = new_dlt_schema("test_schema");
    char *want = slurp(DATA "new_schema.json", NULL);
    char *got = export_or_fail(s, DLTC_SCHEMA_JSON, 0);
    assert_text_equal(got, want);
    assert_int_equal(dltc_schema_version(s), 1);
    assert_string_equal(dltc_schema_version_hash(s),
                        "J7mjZ5cQQ1Ds9n5L213GxFDqO32d35ffenVYH7emGAY=");
    dltc_free(got);
    free(want);
    dltc_schema_free(s);
}

static void new_schema_yaml_matches_pyyaml(void **state)
{
    (void)state;
    dltc_schema *s = new_dlt_schema("test_schema");
    char *want = slurp(DATA "new_schema.yaml", NULL);
    char *got = export_or_fail(s, DLTC_SCHEMA_YAML, 1);
    assert_text_equal(got, want);
    dltc_free(got);
    free(want);
    dltc_schema_free(s);
}

/* ---- round trips ---- */

static void round_trip(dltc_schema *s, dltc_schema_format fmt, int remove_defaults)
{
    char *first = export_or_fail(s, fmt, remove_defaults);
    dltc_schema *back = import_or_fail(first);
    assert_string_equal(dltc_schema_version_hash(back), dltc_schema_version_hash(s));
    char *second = export_or_fail(back, fmt, remove_defaults);
    assert_text_equal(second, first);
    assert_int_equal(dltc_schema_version(back), dltc_schema_version(s));
    /* and across formats */
    char *other = export_or_fail(
        back, fmt == DLTC_SCHEMA_JSON ? DLTC_SCHEMA_YAML : DLTC_SCHEMA_JSON, remove_defaults);
    dltc_schema *again = import_or_fail(other);
    char *third = export_or_fail(again, fmt, remove_defaults);
    assert_text_equal(third, first);
    dltc_free(first);
    dltc_free(second);
    dltc_free(other);
    dltc_free(third);
    dltc_schema_free(back);
    dltc_schema_free(again);
}

static void json_round_trip(void **state)
{
    (void)state;
    dltc_schema *s = rich_schema();
    round_trip(s, DLTC_SCHEMA_JSON, 0);
    round_trip(s, DLTC_SCHEMA_JSON, 1);
    dltc_schema_free(s);
}

static void yaml_round_trip(void **state)
{
    (void)state;
    dltc_schema *s = rich_schema();
    round_trip(s, DLTC_SCHEMA_YAML, 0);
    round_trip(s, DLTC_SCHEMA_YAML, 1);
    dltc_schema_free(s);
}

static void import_keeps_model_fields(void **state)
{
    (void)state;
    dltc_schema *s = rich_schema();
    char *doc = export_or_fail(s, DLTC_SCHEMA_YAML, 1);
    dltc_schema *b = import_or_fail(doc);
    dltc_table *t = dltc__schema_table(b, "users", 5);
    assert_non_null(t);
    assert_string_equal(t->write_disposition, "merge");
    assert_string_equal(t->merge_strategy, "upsert");
    assert_int_equal(t->seen_data, 1);
    assert_int_equal(t->ncols, 7);
    assert_int_equal(t->cols[0].hints, DLTC_HINT_PRIMARY_KEY);
    assert_int_equal(t->cols[2].precision, 38);
    assert_int_equal(t->cols[2].scale, 9);
    assert_string_equal(t->cols[2].description, "true");
    assert_int_equal(t->cols[3].timezone, 0);
    assert_int_equal(t->cols[3].hints_set, DLTC_HINT_SORT | DLTC_HINT_UNIQUE);
    assert_int_equal(t->cols[3].hints, DLTC_HINT_SORT);
    assert_string_equal(t->cols[3].dedup_sort, "desc");
    assert_int_equal(t->cols[4].data_type, DLTC_DT_UNSET);
    assert_true(t->committed && t->committed_ncols == t->ncols);
    dltc_table *c = dltc__schema_table(b, "users__tags", 11);
    assert_string_equal(c->parent, "users");
    assert_int_equal(c->max_nesting, 2);
    assert_true(dltc__schema_propagates(b, "users"));
    assert_int_equal(b->max_nesting, 3);
    assert_int_equal(b->use_break_path, 0);
    assert_int_equal(dltc__schema_preferred_type(b, "created_at", 10), DLTC_DT_TIMESTAMP);
    assert_string_equal(b->description, "A rich schema: ünïcode, 'quotes', # and : too");
    assert_non_null(strstr(b->settings_extra_json, "schema_contract"));
    assert_non_null(strstr(t->extra_json, "x-custom"));
    assert_false(dltc__schema_has_updates(b));
    dltc_free(doc);
    dltc_schema_free(b);
    dltc_schema_free(s);
}

/* ---- version hash and bump ---- */

static void version_bumps_once_per_export(void **state)
{
    (void)state;
    dltc_schema *s;
    assert_int_equal(dltc_schema_new(&s, "bump"), 0);
    dltc_free(export_or_fail(s, DLTC_SCHEMA_JSON, 0));
    assert_int_equal(dltc_schema_version(s), 1);
    char h1[64];
    snprintf(h1, sizeof(h1), "%s", dltc_schema_version_hash(s));
    assert_int_equal(strlen(h1), 44);

    dltc_table *t;
    assert_int_equal(dltc__schema_add_table(s, "events", NULL, &t), 0);
    assert_true(dltc__table_new_column(s, t, "a", 1, DLTC_DT_TEXT, 0) >= 0);
    const char *h_mid = dltc_schema_version_hash(s);
    assert_string_not_equal(h_mid, h1);
    assert_true(dltc__table_new_column(s, t, "b", 1, DLTC_DT_BIGINT, 0) >= 0);
    assert_int_equal(dltc_schema_version(s), 1); /* changes do not bump */

    char *doc = export_or_fail(s, DLTC_SCHEMA_JSON, 0);
    assert_int_equal(dltc_schema_version(s), 2);
    assert_int_equal(s->nprevious, 1);
    assert_string_equal(s->previous_hashes[0], h1);
    assert_string_equal(s->version_hash, dltc_schema_version_hash(s));
    assert_non_null(strstr(doc, "\"version\": 2,"));
    dltc_free(doc);

    /* no change: no bump */
    dltc_free(export_or_fail(s, DLTC_SCHEMA_YAML, 1));
    assert_int_equal(dltc_schema_version(s), 2);
    assert_int_equal(s->nprevious, 1);

    /* at most 10 previous hashes, newest first */
    for (int i = 0; i < 12; i++) {
        char name[16];
        snprintf(name, sizeof(name), "c%d", i);
        assert_true(dltc__table_new_column(s, t, name, strlen(name), DLTC_DT_TEXT, 0) >= 0);
        dltc_free(export_or_fail(s, DLTC_SCHEMA_JSON, 0));
    }
    assert_int_equal(dltc_schema_version(s), 14);
    assert_int_equal(s->nprevious, 10);
    dltc_schema_free(s);
}

static void hash_stable_across_export_import(void **state)
{
    (void)state;
    dltc_schema *s = rich_schema();
    char *doc = export_or_fail(s, DLTC_SCHEMA_JSON, 1);
    dltc_schema *b = import_or_fail(doc);
    assert_string_equal(dltc_schema_version_hash(b), s->version_hash);
    assert_string_equal(b->version_hash, s->version_hash);
    dltc_free(export_or_fail(b, DLTC_SCHEMA_JSON, 1));
    assert_int_equal(dltc_schema_version(b), dltc_schema_version(s));
    assert_int_equal(b->nprevious, 0);
    dltc_free(doc);
    dltc_schema_free(b);
    dltc_schema_free(s);
}

static void column_order_matters(void **state)
{
    (void)state;
    dltc_schema *x, *y;
    dltc_table *t;
    assert_int_equal(dltc_schema_new(&x, "order"), 0);
    assert_int_equal(dltc_schema_new(&y, "order"), 0);
    assert_int_equal(dltc__schema_add_table(x, "t", NULL, &t), 0);
    dltc__table_new_column(x, t, "a", 1, DLTC_DT_TEXT, 0);
    dltc__table_new_column(x, t, "b", 1, DLTC_DT_TEXT, 0);
    assert_int_equal(dltc__schema_add_table(y, "t", NULL, &t), 0);
    dltc__table_new_column(y, t, "b", 1, DLTC_DT_TEXT, 0);
    dltc__table_new_column(y, t, "a", 1, DLTC_DT_TEXT, 0);
    assert_string_not_equal(dltc_schema_version_hash(x), dltc_schema_version_hash(y));
    dltc_schema_free(x);
    dltc_schema_free(y);
}

/* A stored document (written by dltc, with a hand-added x- key): the stored hash is the one
 * recomputed from the content, unknown keys survive, saving an unmodified schema keeps its
 * version. (During development the same code reproduced the version_hash dlt recorded in its
 * own ethereum v11 test case; that file is not copied here.) */
static void stored_hash_is_recomputed(void **state)
{
    (void)state;
    size_t len;
    char *text = slurp(DATA "stored_schema.yaml", &len);
    dltc_schema *s = NULL;
    if (dltc_schema_import(&s, text, len)) fail_msg("import: %s", dltc_error_last()->message);
    assert_string_equal(s->version_hash, "0KhghBEkQqwnQjuOseW+HSjI4JcuxDBClXhYrajVyP0=");
    assert_string_equal(dltc_schema_version_hash(s),
                        "0KhghBEkQqwnQjuOseW+HSjI4JcuxDBClXhYrajVyP0=");
    assert_int_equal(s->nprevious, 1);
    /* not modified: saving keeps version 2 */
    char *yaml = export_or_fail(s, DLTC_SCHEMA_YAML, 1);
    assert_int_equal(dltc_schema_version(s), 2);
    assert_non_null(strstr(yaml, "x-annotation: this will be preserved on save"));
    /* the kept keys survive a second trip and the hash does not move */
    dltc_schema *b = import_or_fail(yaml);
    assert_string_equal(dltc_schema_version_hash(b),
                        "0KhghBEkQqwnQjuOseW+HSjI4JcuxDBClXhYrajVyP0=");
    char *again = export_or_fail(b, DLTC_SCHEMA_YAML, 1);
    assert_text_equal(again, yaml);
    dltc_free(again);
    dltc_free(yaml);
    dltc_schema_free(b);
    dltc_schema_free(s);
    free(text);
}

/* dlt's from_dict: a document whose stored hash does not match its content (a hand-edited
 * file) is bumped on load; one without a hash keeps its version. */
static void load_bumps_edited_document(void **state)
{
    (void)state;
    size_t len;
    char *text = slurp(DATA "stored_schema.yaml", &len);
    char *p = strstr(text, "0KhghBEkQqwnQjuOseW+HSjI4JcuxDBClXhYrajVyP0=");
    assert_non_null(p);
    memcpy(p, "EditedByHandEditedByHandEditedByHandEditedB=", 44);
    dltc_schema *s = NULL;
    assert_int_equal(dltc_schema_import(&s, text, len), 0);
    assert_int_equal(dltc_schema_version(s), 3);
    assert_string_equal(s->version_hash, "0KhghBEkQqwnQjuOseW+HSjI4JcuxDBClXhYrajVyP0=");
    assert_int_equal(s->nprevious, 2);
    assert_string_equal(s->previous_hashes[0], "EditedByHandEditedByHandEditedByHandEditedB=");
    dltc_free(export_or_fail(s, DLTC_SCHEMA_JSON, 1));
    assert_int_equal(dltc_schema_version(s), 3);
    dltc_schema_free(s);

    /* no version_hash at all: the version stays, the hash is set */
    char *vh = strstr(text, "version_hash: ");
    memcpy(vh, "x-ignored", 9); /* turns the line into an unknown top-level key */
    assert_int_not_equal(dltc_schema_import(&s, text, len), 0);
    memcpy(vh, "#        ", 9); /* a comment: no version_hash */
    assert_int_equal(dltc_schema_import(&s, text, len), 0);
    assert_int_equal(dltc_schema_version(s), 2);
    assert_string_equal(s->version_hash, "0KhghBEkQqwnQjuOseW+HSjI4JcuxDBClXhYrajVyP0=");
    assert_int_equal(s->nprevious, 1);
    dltc_schema_free(s);
    free(text);
}

static void remove_defaults_drops_names(void **state)
{
    (void)state;
    dltc_schema *s = rich_schema();
    s->imported_version_hash = dltc__strdup("abc=");
    char *full = export_or_fail(s, DLTC_SCHEMA_JSON, 0);
    char *clean = export_or_fail(s, DLTC_SCHEMA_JSON, 1);
    assert_non_null(strstr(full, "\"name\": \"users\""));
    assert_non_null(strstr(full, "\"name\": \"amount\""));
    assert_non_null(strstr(full, "\"imported_version_hash\": \"abc=\""));
    assert_null(strstr(clean, "\"name\": \"users\""));
    assert_null(strstr(clean, "\"name\": \"amount\""));
    assert_null(strstr(clean, "imported_version_hash"));
    assert_non_null(strstr(clean, "\"name\": \"rich\""));
    assert_non_null(strstr(clean, "\"nullable\": true"));
    dltc_free(full);
    dltc_free(clean);
    dltc_schema_free(s);
}

/* ---- import errors ---- */

static void expect_import_error(const char *doc, int code, const char *needle)
{
    dltc_schema *s = NULL;
    int rc = dltc_schema_import(&s, doc, strlen(doc));
    if (rc != code) fail_msg("expected %d, got %d (%s)", code, rc, dltc_error_last()->message);
    assert_null(s);
    if (!strstr(dltc_error_last()->message, needle))
        fail_msg("message '%s' lacks '%s'", dltc_error_last()->message, needle);
}

#define SYS_TABLES "tables:\n  _dlt_version:\n    columns: {}\n  _dlt_loads:\n    columns: {}\n"

static void import_errors(void **state)
{
    (void)state;
    expect_import_error("version: 3\nengine_version: 10\nname: old\n" SYS_TABLES, DLTC_EINVALID,
                        "engine version 10");
    expect_import_error("{\"engine_version\": 12, \"name\": \"n\", \"tables\": {}}", DLTC_EINVALID,
                        "engine version 12");
    expect_import_error("engine_version: 11\nname: x\n" SYS_TABLES
                        "  t:\n    columns:\n      c:\n        data_type: varchar\n",
                        DLTC_EINVALID, "table 't' column 'c': unknown data type 'varchar'");
    expect_import_error("engine_version: 11\nname: x\n" SYS_TABLES
                        "  t:\n    columns:\n      c:\n        nullable: maybe\n",
                        DLTC_EINVALID, "column 'c'");
    expect_import_error("engine_version: 11\nname: x\n" SYS_TABLES "  t:\n    parent: nope\n",
                        DLTC_EINVALID, "unknown parent 'nope'");
    expect_import_error("engine_version: 11\nname: x\ntables: {}\n", DLTC_EINVALID, "_dlt_version");
    expect_import_error("engine_version: 11\nname: 1x\n" SYS_TABLES, DLTC_EINVALID, "name");
    expect_import_error("engine_version: 11\nname: x\nbogus: 1\n" SYS_TABLES, DLTC_EINVALID,
                        "unexpected key 'bogus'");
    expect_import_error("engine_version: 11\nname: x\n" SYS_TABLES
                        "settings:\n  default_hints:\n    unique:\n    - '*id'\n",
                        DLTC_EINVALID, "prefix it with re:");
    /* malformed YAML: line and column */
    expect_import_error("engine_version: 11\nname: x\ntables:\n  a: [1, 2\n  b: 3\n", DLTC_EPARSE,
                        "schema YAML: 5:");
    expect_import_error("engine_version: 11\n  name: x\n", DLTC_EPARSE, "2:7:");
    expect_import_error("{\"engine_version\": 11,}", DLTC_EPARSE, "schema JSON: ");
    expect_import_error("- 1\n- 2\n", DLTC_EINVALID, "mapping");
}

/* ---- schema updates ---- */

static void updates_json_shape(void **state)
{
    (void)state;
    dltc_schema *s;
    assert_int_equal(dltc_schema_new(&s, "upd"), 0);
    dltc_buf b = DLTC_BUF_INIT;
    assert_int_equal(dltc__schema_updates_json(s, &b), 0);
    assert_string_equal(b.data, "{}");
    dltc__buf_clear(&b);

    dltc_table *t, *c;
    assert_int_equal(dltc__schema_add_table(s, "items", NULL, &t), 0);
    dltc__table_new_column(s, t, "id", 2, DLTC_DT_BIGINT, 0);
    assert_int_equal(dltc__schema_add_table(s, "items__sub", "items", &c), 0);
    dltc__table_new_column(s, c, "value", 5, DLTC_DT_TEXT, 0);
    assert_int_equal(dltc__schema_updates_json(s, &b), 0);
    assert_string_equal(
        b.data,
        "{\"items\":{\"name\":\"items\",\"columns\":{\"id\":{\"name\":\"id\",\"data_type\":"
        "\"bigint\",\"nullable\":true}},\"write_disposition\":\"append\",\"resource\":\"items\"},"
        "\"items__sub\":{\"name\":\"items__sub\",\"columns\":{\"value\":{\"name\":\"value\","
        "\"data_type\":\"text\",\"nullable\":true}},\"parent\":\"items\"}}");
    dltc__buf_clear(&b);

    dltc__schema_commit_updates(s);
    dltc__table_new_column(s, t, "extra", 5, DLTC_DT_DOUBLE, 0);
    assert_int_equal(dltc__schema_updates_json(s, &b), 0);
    assert_string_equal(b.data, "{\"items\":{\"name\":\"items\",\"columns\":{\"extra\":{\"name\":"
                                "\"extra\",\"data_type\":\"double\",\"nullable\":true}}}}");
    dltc__buf_free(&b);
    dltc_schema_free(s);
}

/* ---- YAML ---- */

static void yaml_emitter_matches_pyyaml(void **state)
{
    (void)state;
    size_t jl;
    char *json = slurp(DATA "yaml_emit.json", &jl);
    char *want = slurp(DATA "yaml_emit.yaml", NULL);
    dltc_arena a;
    dltc__arena_init(&a, 4096);
    dltc_value *v, *back;
    dltc_json_error err;
    assert_int_equal(dltc__json_parse(&a, json, jl, 64, &v, &err), 0);
    dltc_buf b = DLTC_BUF_INIT;
    assert_int_equal(dltc__yaml_emit(&b, v), 0);
    assert_text_equal(b.data, want);
    /* and PyYAML's text reads back to the same values */
    assert_int_equal(dltc__yaml_parse(&a, want, strlen(want), 0, &back), 0);
    assert_true(dltc__json_equal(v, back));
    dltc__buf_free(&b);
    dltc__arena_free(&a);
    free(json);
    free(want);
}

/* Strings where libyaml's choice of style differs from PyYAML's (characters outside the BMP
 * and U+0085 are escaped in double quotes, an empty key is written as '') and random
 * strings: whatever the style, the text reads back to the same value. */
static void yaml_round_trips_any_string(void **state)
{
    (void)state;
    static const char *const pieces[] = {"a",
                                         "Z",
                                         "0",
                                         "1",
                                         " ",
                                         "  ",
                                         ":",
                                         ": ",
                                         "#",
                                         " #",
                                         "-",
                                         "- ",
                                         "?",
                                         "'",
                                         "\"",
                                         "\\",
                                         "\n",
                                         "\r",
                                         "\t",
                                         "\r\n",
                                         "\x01",
                                         "\x1f",
                                         "\x7f",
                                         "\xc2\x85",
                                         "\xc2\xa0",
                                         "\xe2\x80\xa8",
                                         "\xef\xbb\xbf",
                                         "\xef\xbf\xbe",
                                         "\xf0\x9f\x98\x80",
                                         "\xc5\xbc",
                                         "true",
                                         "null",
                                         "1.0",
                                         ".inf",
                                         "~",
                                         "<<",
                                         "=",
                                         "!",
                                         "&",
                                         "*",
                                         "|",
                                         ">",
                                         "%",
                                         "@",
                                         "`",
                                         "{",
                                         "}",
                                         "[",
                                         "]",
                                         ",",
                                         "---",
                                         "...",
                                         "0x",
                                         "1:2",
                                         "2024-01-01",
                                         "e+3",
                                         "_"};
    const size_t np = sizeof(pieces) / sizeof(pieces[0]);
    dltc_arena a;
    dltc__arena_init(&a, 4096);
    dltc_value root, list;
    dltc__value_set_type(&root, DLTC_TYPE_OBJECT);
    dltc__value_set_type(&list, DLTC_TYPE_ARRAY);
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    for (int n = 0; n < 3000; n++) {
        char buf[256];
        size_t len = 0;
        int parts = n < (int)np ? 1 : 1 + (int)(seed >> 60);
        for (int k = 0; k < parts; k++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            const char *p = n < (int)np ? pieces[n] : pieces[(seed >> 33) % np];
            size_t pl = strlen(p);
            memcpy(buf + len, p, pl);
            len += pl;
        }
        dltc_value v;
        dltc__value_set_type(&v, DLTC_TYPE_STRING);
        v.u.s = dltc__arena_strndup(&a, buf, len);
        v.len = (uint32_t)len;
        assert_int_equal(dltc__array_append(&a, &list, &v), 0);
        if (n % 3 == 0 && !memchr(buf, '\0', len))
            assert_int_equal(dltc__object_set(&a, &root, v.u.s, len, &v), 0);
    }
    dltc_value empty;
    dltc__value_set_type(&empty, DLTC_TYPE_STRING);
    empty.u.s = "";
    assert_int_equal(dltc__object_set(&a, &root, "", 0, &empty), 0);
    dltc_value nul;
    dltc__value_set_type(&nul, DLTC_TYPE_STRING);
    nul.u.s = "nul\0byte";
    nul.len = 8;
    assert_int_equal(dltc__array_append(&a, &list, &nul), 0);
    assert_int_equal(dltc__object_set(&a, &root, "list", 4, &list), 0);

    dltc_buf b = DLTC_BUF_INIT;
    if (dltc__yaml_emit(&b, &root)) fail_msg("emit: %s", dltc_error_last()->message);
    dltc_value *back;
    if (dltc__yaml_parse(&a, b.data, b.len, 0, &back))
        fail_msg("parse: %s", dltc_error_last()->message);
    if (!dltc__json_equal(&root, back)) {
        for (uint32_t i = 0; i < list.len; i++) {
            const dltc_value *l = dltc_object_get(back, "list");
            if (!l || i >= l->len || !dltc__json_equal(&list.u.arr[i], &l->u.arr[i]))
                fail_msg("item %u does not round-trip: '%s'", i, list.u.arr[i].u.s);
        }
        fail_msg("keys do not round-trip");
    }
    dltc__buf_free(&b);
    dltc__arena_free(&a);
}

static const dltc_value *at(const dltc_value *obj, const char *key)
{
    const dltc_value *v = dltc_object_get(obj, key);
    if (!v) fail_msg("no key %s", key);
    return v;
}

static void yaml_scalar_types(void **state)
{
    (void)state;
    const char *doc = "a: true\nb: 'true'\nc: 1_000\nd: 0x1F\ne: 017\nf: 1:20\ng: 1.5\n"
                      "h: .inf\ni: ~\nj: 1e3\nk: 2024-01-01\nl: !!str 12\nm: &x [1, {z: 2}]\n"
                      "n: *x\no: -0b101\np: 99999999999999999999\nq: Off\nr: \"\"\ns:\nt: 0o7\n"
                      "u: 1.0e+3\nv: !!int '42'\n1: one\nw: 190:20:30.15\n";
    dltc_arena a;
    dltc__arena_init(&a, 4096);
    dltc_value *v;
    if (dltc__yaml_parse(&a, doc, strlen(doc), 0, &v)) fail_msg("%s", dltc_error_last()->message);
    assert_int_equal(at(v, "a")->type, DLTC_TYPE_BOOL);
    assert_int_equal(at(v, "a")->u.i, 1);
    assert_int_equal(at(v, "b")->type, DLTC_TYPE_STRING);
    assert_int_equal(at(v, "c")->u.i, 1000);
    assert_int_equal(at(v, "d")->u.i, 31);
    assert_int_equal(at(v, "e")->u.i, 15);
    assert_int_equal(at(v, "f")->u.i, 80);
    assert_true(at(v, "g")->type == DLTC_TYPE_DOUBLE && at(v, "g")->u.d == 1.5);
    assert_true(at(v, "h")->type == DLTC_TYPE_DOUBLE && at(v, "h")->u.d > 1e308);
    assert_int_equal(at(v, "i")->type, DLTC_TYPE_NULL);
    assert_int_equal(at(v, "j")->type, DLTC_TYPE_STRING);
    assert_int_equal(at(v, "k")->type, DLTC_TYPE_STRING);
    assert_int_equal(at(v, "l")->type, DLTC_TYPE_STRING);
    assert_true(dltc__json_equal(at(v, "m"), at(v, "n")));
    assert_int_equal(at(v, "o")->u.i, -5);
    assert_int_equal(at(v, "p")->type, DLTC_TYPE_BIGINT);
    assert_string_equal(at(v, "p")->u.s, "99999999999999999999");
    assert_int_equal(at(v, "q")->type, DLTC_TYPE_BOOL);
    assert_int_equal(at(v, "q")->u.i, 0);
    assert_int_equal(at(v, "r")->type, DLTC_TYPE_STRING);
    assert_int_equal(at(v, "s")->type, DLTC_TYPE_NULL);
    assert_int_equal(at(v, "t")->type, DLTC_TYPE_STRING);
    assert_true(at(v, "u")->type == DLTC_TYPE_DOUBLE && at(v, "u")->u.d == 1000.0);
    assert_int_equal(at(v, "v")->u.i, 42);
    assert_string_equal(at(v, "1")->u.s, "one");
    assert_true(at(v, "w")->type == DLTC_TYPE_DOUBLE && at(v, "w")->u.d > 685230.1 &&
                at(v, "w")->u.d < 685230.2);
    dltc__arena_free(&a);
}

static void expect_yaml_error(const char *doc, int code, const char *needle)
{
    dltc_arena a;
    dltc__arena_init(&a, 4096);
    dltc_value *v;
    int rc = dltc__yaml_parse(&a, doc, strlen(doc), 16, &v);
    dltc__arena_free(&a);
    if (rc != code) fail_msg("expected %d, got %d (%s)", code, rc, dltc_error_last()->message);
    if (!strstr(dltc_error_last()->message, needle))
        fail_msg("message '%s' lacks '%s'", dltc_error_last()->message, needle);
}

static void yaml_errors_and_limits(void **state)
{
    (void)state;
    expect_yaml_error("a: 1\n---\nb: 2\n", DLTC_EPARSE, "single document");
    expect_yaml_error("a: *nope\n", DLTC_EPARSE, "1:4: found undefined alias");
    expect_yaml_error("a: !!python/object foo\n", DLTC_EPARSE, "unsupported YAML tag");
    expect_yaml_error("[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]\n", DLTC_ELIMIT, "nesting");
    expect_yaml_error("? [a]\n: 1\n", DLTC_EPARSE, "unhashable key");
    expect_yaml_error("a: \"unterminated\n", DLTC_EPARSE, "2:1:");
    /* a billion laughs stops at the node budget */
    char bomb[4096];
    size_t n = (size_t)snprintf(bomb, sizeof(bomb), "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 12; i++)
        n += (size_t)snprintf(bomb + n, sizeof(bomb) - n,
                              "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n",
                              i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
    expect_yaml_error(bomb, DLTC_ELIMIT, "too many nodes");
    /* empty stream: null */
    dltc_arena a;
    dltc__arena_init(&a, 256);
    dltc_value *v;
    assert_int_equal(dltc__yaml_parse(&a, "# nothing\n", 10, 0, &v), 0);
    assert_int_equal(v->type, DLTC_TYPE_NULL);
    dltc__arena_free(&a);
}

static void yaml_plain_resolution(void **state)
{
    (void)state;
    static const char *const not_str[] = {
        "",   "~",    "null",  "true", "No",     "ON",         "1",
        "-0", "0x1F", "0b1",   "017",  "1_0",    "1:20",       "1.5",
        ".5", "1.",   "-.inf", ".NaN", "1.0e+3", "2024-01-01", "2024-1-1 1:02:03.5 +01:00",
        "<<", "="};
    static const char *const str[] = {"y",    "n",    "1e3", "1.0e3", "09",
                                      "0o17", "1_0e", "abc", "true1", "2024-01-1",
                                      ".",    "-",    "+",   "1:60",  "2024-01-01T10:00:00 x"};
    for (size_t i = 0; i < sizeof(not_str) / sizeof(not_str[0]); i++)
        if (dltc__yaml_plain_is_str(not_str[i], strlen(not_str[i])))
            fail_msg("'%s' should not be a plain string", not_str[i]);
    for (size_t i = 0; i < sizeof(str) / sizeof(str[0]); i++)
        if (!dltc__yaml_plain_is_str(str[i], strlen(str[i])))
            fail_msg("'%s' should be a plain string", str[i]);
}

/* ---- allocation failures ---- */

static long g_fail_at, g_allocs;

static void *failing_malloc(size_t n, void *payload)
{
    (void)payload;
    return ++g_allocs == g_fail_at ? NULL : malloc(n);
}

static void *failing_realloc(void *p, size_t n, void *payload)
{
    (void)payload;
    return ++g_allocs == g_fail_at ? NULL : realloc(p, n);
}

static void plain_free(void *p, void *payload)
{
    (void)payload;
    free(p);
}

/* Fail the N-th allocation for every N: import and export report the error, leak nothing,
 * and a failed export leaves the schema's version as it was. */
static void survives_allocation_failures(void **state)
{
    (void)state;
    size_t len;
    char *text = slurp(DATA "stored_schema.yaml", &len);
    const dltc_allocator failing = {failing_malloc, failing_realloc, plain_free, NULL};
    for (g_fail_at = 1;; g_fail_at++) {
        g_allocs = 0;
        dltc_allocator_set(&failing);
        dltc_schema *s = NULL;
        char *out = NULL;
        int rc = dltc_schema_import(&s, text, len);
        int rc_export = 0;
        if (!rc) {
            dltc_table *t;
            rc_export = dltc__schema_add_table(s, "more", NULL, &t);
            if (!rc_export)
                rc_export = dltc_schema_export(
                    &out, s, g_fail_at % 2 ? DLTC_SCHEMA_YAML : DLTC_SCHEMA_JSON, 0);
        }
        dltc_allocator_set(NULL);
        int injected = g_allocs >= g_fail_at;
        if (rc) {
            assert_true(rc < 0);
            assert_null(s);
        } else if (rc_export) {
            assert_true(rc_export < 0);
            assert_int_equal(dltc_schema_version(s), 2);
        } else {
            assert_non_null(out);
            assert_int_equal(dltc_schema_version(s), 3);
        }
        dltc_free(out);
        dltc_schema_free(s);
        if (!injected) break;
    }
    assert_true(g_fail_at > 100);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(new_schema_default_hints_match_dlt),
        cmocka_unit_test(new_schema_json_matches_dlt),
        cmocka_unit_test(new_schema_yaml_matches_pyyaml),
        cmocka_unit_test(json_round_trip),
        cmocka_unit_test(yaml_round_trip),
        cmocka_unit_test(import_keeps_model_fields),
        cmocka_unit_test(version_bumps_once_per_export),
        cmocka_unit_test(hash_stable_across_export_import),
        cmocka_unit_test(column_order_matters),
        cmocka_unit_test(stored_hash_is_recomputed),
        cmocka_unit_test(load_bumps_edited_document),
        cmocka_unit_test(remove_defaults_drops_names),
        cmocka_unit_test(import_errors),
        cmocka_unit_test(updates_json_shape),
        cmocka_unit_test(yaml_emitter_matches_pyyaml),
        cmocka_unit_test(yaml_round_trips_any_string),
        cmocka_unit_test(yaml_scalar_types),
        cmocka_unit_test(yaml_errors_and_limits),
        cmocka_unit_test(yaml_plain_resolution),
        cmocka_unit_test(survives_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
