/* Pipeline files (include/dltc/pipeline_file.h): the key lines of TOML and YAML documents,
 * the checks of the [pipeline] table and of [[sources]] with their one-line errors, the
 * options and sources a file gives, and a run of a filesystem source built from one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "formats/toml.h"
#include "dltc/dltc.h"
#include "dltc/pipeline_file.h"
#include "formats/keylines.h"
#include "formats/yaml.h"
#include "testutil.h"

#include <sys/stat.h>

static void toml_key_lines(void **state)
{
    (void)state;
    const char *doc = "# a comment\n"
                      "[pipeline]\n"
                      "name = \"x\"\n"
                      "\n"
                      "[[sources]]\n"
                      "type = \"rest_api\"\n"
                      "[sources.client]\n"
                      "base_url = \"http://x\"\n"
                      "headers = { \"X-Key.Id\" = \"v\" }\n"
                      "[[sources.resources]]\n"
                      "name = \"a\"\n"
                      "[[sources.resources]]\n"
                      "name = \"b\"\n"
                      "endpoint.path = \"b\"\n"
                      "[[sources]]\n"
                      "type = \"filesystem\"\n"
                      "list = [1,\n  2]\n";
    dltc_arena a;
    dltc__arena_init(&a, 4096);
    dltc_keylines kl = DLTC_KEYLINES_INIT;
    dltc_value *root = NULL;
    assert_int_equal(dltc__toml_parse_lines(&a, doc, strlen(doc), "f.toml", 0, &root, NULL, &kl),
                     0);
    assert_int_equal(dltc__keylines_find(&kl, "pipeline"), 2);
    assert_int_equal(dltc__keylines_find(&kl, "pipeline.name"), 3);
    assert_int_equal(dltc__keylines_find(&kl, "sources[0]"), 5);
    assert_int_equal(dltc__keylines_find(&kl, "sources[0].type"), 6);
    assert_int_equal(dltc__keylines_find(&kl, "sources[0].client.base_url"), 8);
    assert_int_equal(dltc__keylines_find(&kl, "sources[0].client.headers.\"X-Key.Id\""), 9);
    assert_int_equal(dltc__keylines_find(&kl, "sources[0].resources[1].name"), 13);
    assert_int_equal(dltc__keylines_find(&kl, "sources[0].resources[1].endpoint.path"), 14);
    assert_int_equal(dltc__keylines_find(&kl, "sources[1].type"), 16);
    assert_int_equal(dltc__keylines_find(&kl, "sources[1].list[1]"), 18);
    /* an unknown key: the nearest ancestor that is known */
    assert_int_equal(dltc__keylines_find(&kl, "sources[0].resources[1].endpoint.nope"), 14);
    assert_int_equal(dltc__keylines_find(&kl, "sources[0].resources[0].x.y"), 10);
    assert_int_equal(dltc__keylines_find(&kl, "nothing"), 0);
    dltc__keylines_free(&kl);
    dltc__arena_free(&a);
}

static void yaml_key_lines(void **state)
{
    (void)state;
    const char *doc = "pipeline:\n"
                      "  name: x\n"
                      "sources:\n"
                      "  - type: rest_api\n"
                      "    client:\n"
                      "      base_url: http://x\n"
                      "    resources:\n"
                      "      - issues\n"
                      "      - name: b\n"
                      "        endpoint: {path: b,\n"
                      "                   params: {a: 1}}\n";
    dltc_arena a;
    dltc__arena_init(&a, 4096);
    dltc_keylines kl = DLTC_KEYLINES_INIT;
    dltc_value *root = NULL;
    assert_int_equal(dltc__yaml_parse_lines(&a, doc, strlen(doc), 0, &root, &kl), 0);
    assert_int_equal(dltc__keylines_find(&kl, "pipeline"), 1);
    assert_int_equal(dltc__keylines_find(&kl, "pipeline.name"), 2);
    assert_int_equal(dltc__keylines_find(&kl, "sources[0]"), 4);
    assert_int_equal(dltc__keylines_find(&kl, "sources[0].type"), 4);
    assert_int_equal(dltc__keylines_find(&kl, "sources[0].client.base_url"), 6);
    assert_int_equal(dltc__keylines_find(&kl, "sources[0].resources[0]"), 8);
    assert_int_equal(dltc__keylines_find(&kl, "sources[0].resources[1].name"), 9);
    assert_int_equal(dltc__keylines_find(&kl, "sources[0].resources[1].endpoint.params.a"), 11);
    dltc__keylines_free(&kl);
    dltc__arena_free(&a);
}

static void expect_error(const char *text, const char *format, const char *message)
{
    dltc_pipeline_file *f = (dltc_pipeline_file *)1;
    assert_int_not_equal(dltc_pipeline_file_parse(&f, text, strlen(text), format, "p.toml"), 0);
    assert_null(f);
    assert_string_equal(dltc_error_last()->message, message);
}

static void structure_errors(void **state)
{
    (void)state;
    expect_error("", "toml", "p.toml: pipeline: missing: the file needs a [pipeline] table with "
                             "a name");
    expect_error("[pipeline]\nname = \"x\"\n", "toml",
                 "p.toml: no sources: add a [[sources]] table");
    expect_error("[pipeline]\nname = \"x\"\nnmae = 1\n[[sources]]\ntype = \"filesystem\"\n",
                 "toml",
                 "p.toml:3: pipeline.nmae: unknown key (expected one of: name, destination, "
                 "dataset_name, pipelines_dir, credentials, loader_file_format, "
                 "replace_strategy, progress)");
    expect_error("[pipeline]\nname = 7\n", "toml",
                 "p.toml:2: pipeline.name: expected a string, found an integer");
    expect_error("[pipeline]\nname = \"x\"\ndestination = \"bigquery\"\n[[sources]]\n"
                 "type = \"filesystem\"\n",
                 "toml",
                 "p.toml:3: pipeline.destination: unknown value \"bigquery\" (duckdb, "
                 "postgres, motherduck, filesystem)");
    expect_error("pipeline: {name: x}\nsources:\n  - type: filesystem\n  - name: b\n", "yaml",
                 "p.toml:4: sources[1]: needs \"type\": rest_api, sql_database or filesystem");
    expect_error("pipeline: {name: x}\nsources:\n  - type: filesystem\n  - type: filesystem\n",
                 "yaml",
                 "p.toml:4: sources[1].type: a second source named \"filesystem\": give each "
                 "its own name");
    expect_error("{\"pipeline\": {\"name\": \"x\"}, \"source\": {\"type\": \"x\"}}", "json",
                 "p.toml: source.type: unknown value \"x\" (rest_api, sql_database, "
                 "filesystem)");
    expect_error("{\"pipeline\": {\"name\": \"x\"}, \"extra\": 1}", "json",
                 "p.toml: extra: unknown key (expected one of: pipeline, sources, source)");
    /* a syntax error keeps the reader's line:column */
    dltc_pipeline_file *f = NULL;
    assert_int_equal(dltc_pipeline_file_parse(&f, "[pipeline\n", 10, "toml", "p.toml"),
                     DLTC_EPARSE);
    assert_non_null(strstr(dltc_error_last()->message, "p.toml:1:"));
    assert_int_equal(dltc_pipeline_file_parse(&f, "a: [1\n", 6, "yaml", "p.yaml"), DLTC_EPARSE);
    assert_non_null(strstr(dltc_error_last()->message, "p.yaml:"));
    assert_int_equal(dltc_pipeline_file_parse(&f, "{", 1, "xml", NULL), DLTC_EINVALID);
    assert_int_equal(dltc_pipeline_file_open(&f, "/nonexistent/p.toml"), DLTC_ENOTFOUND);
    assert_int_equal(dltc_pipeline_file_open(&f, "p.ini"), DLTC_EINVALID);
}

static void source_errors(void **state)
{
    (void)state;
    static const struct {
        const char *entry, *message;
    } cases[] = {
        {"type = \"filesystem\"\nbucket_url = \"x\"\nformat = \"xml\"\n",
         "p.toml:7: sources[0].format: unknown value \"xml\" (csv, csv_duckdb, jsonl, parquet)"},
        {"type = \"filesystem\"\nbucket_url = \"x\"\nincremental = 3\n",
         "p.toml:7: sources[0].incremental: expected true/false or a table, found an integer"},
        {"type = \"filesystem\"\nbucket_url = \"x\"\nincremental = { cursor_path = \"x\" }\n",
         "p.toml:7: sources[0].incremental.cursor_path: this source's cursor is "
         "\"modification_date\""},
        {"type = \"filesystem\"\nbucket_url = \"x\"\nwrite_disposition = { strategy = \"scd2\" }\n",
         "p.toml:7: sources[0].write_disposition: needs \"disposition\""},
        {"type = \"filesystem\"\nbucket_url = \"x\"\nprimary_key = [\"a\", 1]\n",
         "p.toml:7: sources[0].primary_key: item 1: expected a string, found an integer"},
        {"type = \"sql_database\"\ncredentials = \"sqlite:///x.db\"\ntables = { t = { "
         "incremental = { initial_value = 1 } } }\n",
         "p.toml:7: sources[0].tables.t.incremental: needs \"cursor_path\""},
        {"type = \"sql_database\"\ncredentials = \"sqlite:///x.db\"\ntable_names = [\"a\"]\n"
         "tables = { b = {} }\n",
         "p.toml:8: sources[0].tables.b: not in table_names"},
        {"type = \"sql_database\"\ncredentials = { username = \"u\", password = \"pw-1234\" }\n",
         "p.toml:6: sources[0].credentials: needs \"database\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[1024];
        snprintf(text, sizeof text, "[pipeline]\nname = \"x\"\n\n[[sources]]\n%s",
                 cases[i].entry);
        dltc_pipeline_file *f = NULL;
        assert_int_equal(dltc_pipeline_file_parse(&f, text, strlen(text), "toml", "p.toml"), 0);
        dltc_config *cfg = NULL;
        dltc_config_options co = DLTC_CONFIG_OPTIONS_INIT;
        co.run_dir = "/nonexistent";
        co.global_dir = "/nonexistent";
        assert_int_equal(dltc_config_open(&cfg, &co), 0);
        dltc_source *src = NULL;
        int rc = dltc_pipeline_file_source(&src, f, 0, cfg);
        if (rc != DLTC_EINVALID)
            fail_msg("case %zu: %d %s", i, rc, dltc_error_last()->message);
        assert_null(src);
        assert_string_equal(dltc_error_last()->message, cases[i].message);
        assert_null(strstr(dltc_error_last()->message, "pw-1234"));
        dltc_config_free(cfg);
        dltc_pipeline_file_free(f);
    }
}

static void options_and_run(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp(), path[4096], data[4096], text[8192];
    snprintf(data, sizeof data, "%s/in", dir);
    assert_int_equal(mkdir(data, 0700), 0);
    snprintf(path, sizeof path, "%s/in/a.jsonl", dir);
    const char *rows = "{\"id\": 1, \"v\": \"a\"}\n{\"id\": 2, \"v\": \"b\"}\n";
    assert_int_equal(tu_write_file(path, rows, strlen(rows)), 0);
    snprintf(text, sizeof text,
             "pipeline:\n"
             "  name: pf\n"
             "  dataset_name: pf_data\n"
             "  pipelines_dir: %s/pipelines\n"
             "  credentials: %s/pf.duckdb\n"
             "  loader_file_format: parquet\n"
             "sources:\n"
             "  - type: filesystem\n"
             "    name: files\n"
             "    bucket_url: %s\n"
             "    file_glob: '*.jsonl'\n"
             "    format: jsonl\n"
             "    table_name: things\n"
             "    primary_key: id\n"
             "    write_disposition: {disposition: merge, strategy: upsert}\n",
             dir, dir, data);
    dltc_pipeline_file *f = NULL;
    assert_int_equal(dltc_pipeline_file_parse(&f, text, strlen(text), "yaml", "pf.yaml"), 0);
    assert_string_equal(dltc_pipeline_file_name(f), "pf");
    assert_int_equal(dltc_pipeline_file_source_count(f), 1);
    assert_string_equal(dltc_pipeline_file_source_name(f, 0), "files");
    assert_string_equal(dltc_pipeline_file_source_type(f, 0), "filesystem");
    assert_null(dltc_pipeline_file_source_name(f, 1));
    dltc_pipeline_options po = DLTC_PIPELINE_OPTIONS_INIT;
    po.destination = "duckdb";
    dltc_pipeline_file_options(f, &po);
    assert_string_equal(po.dataset_name, "pf_data");
    assert_string_equal(po.loader_file_format, "parquet");
    assert_string_equal(po.destination, "duckdb");
    dltc_pipeline *p = NULL;
    assert_int_equal(dltc_pipeline_open(&p, dltc_pipeline_file_name(f), &po), 0);
    for (int run = 0; run < 2; run++) {
        dltc_load_info *info = NULL;
        assert_int_equal(dltc_pipeline_file_run_source(f, p, 0, &info), 0);
        dltc_load_info_free(info);
    }
    dltc_rows *r = NULL;
    assert_int_equal(dltc_pipeline_query(p, "SELECT count(*) FROM things", &r), 0);
    assert_int_equal(dltc_rows_count(r), 1);
    assert_string_equal(dltc_rows_get_text(r, 0, 0), "2"); /* upserted: once */
    dltc_rows_free(r);
    /* the ledger */
    dltc_load_info *info = NULL;
    assert_int_equal(dltc_pipeline_file_run_source(f, p, 0, &info), 0);
    assert_int_equal(dltc_pipeline_ledger_append(p, "my \"ledger\"", info), 0);
    assert_int_equal(dltc_pipeline_ledger_append(p, "my \"ledger\"", info), 0);
    assert_int_equal(dltc_pipeline_ledger_append(p, "", info), DLTC_EINVALID);
    dltc_load_info_free(info);
    assert_int_equal(dltc_pipeline_query(p, "SELECT count(*) || '/' || min(pipeline_name) FROM "
                                            "pf_data.\"my \"\"ledger\"\"\"", &r), 0);
    assert_int_equal(dltc_rows_count(r), 1);
    assert_string_equal(dltc_rows_get_text(r, 0, 0), "2/pf");
    dltc_rows_free(r);
    dltc_pipeline_free(p);
    dltc_pipeline_file_free(f);
    tu_rmrf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(toml_key_lines),   cmocka_unit_test(yaml_key_lines),
        cmocka_unit_test(structure_errors), cmocka_unit_test(source_errors),
        cmocka_unit_test(options_and_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
