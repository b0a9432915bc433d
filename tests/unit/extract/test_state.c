/* Pipeline state: version hash and bumps, state.json round trip, the destination blob. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/alloc.h"
#include "extract/state.h"
#include "testutil.h"

static void fill(dltc_state *st)
{
    dltc__state_init(st);
    st->pipeline_name = dltc__strdup("p");
    st->dataset_name = dltc__strdup("p_dataset");
    st->default_schema_name = dltc__strdup("p");
    st->destination_type = dltc__strdup("dlt.destinations.duckdb");
    st->destination_name = dltc__strdup("duckdb");
    st->initial_cwd = dltc__strdup("/tmp");
    assert_int_equal(dltc__state_add_schema_name(st, "p"), 0);
}

static void hash_bumps_version_once_per_change(void **state)
{
    (void)state;
    dltc_state st;
    fill(&st);
    assert_int_equal(dltc__state_update_hash(&st), 1);
    assert_int_equal(st.version, 1);
    assert_int_equal(strlen(st.version_hash), 44);
    assert_int_equal(dltc__state_update_hash(&st), 0);
    assert_int_equal(st.version, 1);
    /* _local does not count */
    st.first_run = 0;
    assert_int_equal(dltc__state_update_hash(&st), 0);
    /* synced content does */
    assert_int_equal(dltc__state_add_schema_name(&st, "another"), 0);
    assert_int_equal(dltc__state_update_hash(&st), 1);
    assert_int_equal(st.version, 2);
    assert_string_equal(st.schema_names[0], "another"); /* kept sorted */
    dltc__state_clear(&st);
}

static void file_and_blob_round_trip(void **state)
{
    (void)state;
    dltc_state st, back, fromblob;
    fill(&st);
    dltc__state_update_hash(&st);
    st.last_extracted_at_us = 1700000000000000;
    st.last_extracted_hash = dltc__strdup(st.version_hash);
    char *dir = tu_mkdtemp(), path[4096];
    snprintf(path, sizeof(path), "%s/state.json", dir);
    assert_int_equal(dltc__state_save(&st, path), 0);
    dltc__state_init(&back);
    assert_int_equal(dltc__state_load(&back, path), 0);
    assert_int_equal(back.version, 1);
    assert_string_equal(back.version_hash, st.version_hash);
    assert_string_equal(back.dataset_name, "p_dataset");
    assert_int_equal(back.last_extracted_at_us, 1700000000000000);
    assert_int_equal(back.nschema_names, 1);
    /* the same content hashes the same */
    assert_int_equal(dltc__state_update_hash(&back), 0);

    dltc_buf blob = DLTC_BUF_INIT;
    assert_int_equal(dltc__state_blob(&st, &blob), 0);
    dltc__state_init(&fromblob);
    assert_int_equal(dltc__state_from_blob(&fromblob, blob.data, blob.len), 0);
    assert_string_equal(fromblob.version_hash, st.version_hash);
    assert_string_equal(fromblob.pipeline_name, "p");
    assert_null(fromblob.initial_cwd); /* _local is never in the blob */
    dltc__buf_free(&blob);
    dltc__state_clear(&fromblob);
    dltc__state_clear(&back);
    dltc__state_clear(&st);
    tu_rmrf(dir);
    free(dir);
}

static void missing_file_is_not_found(void **state)
{
    (void)state;
    dltc_state st;
    dltc__state_init(&st);
    assert_int_equal(dltc__state_load(&st, "/nonexistent/state.json"), DLTC_ENOTFOUND);
    dltc__state_clear(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hash_bumps_version_once_per_change),
        cmocka_unit_test(file_and_blob_round_trip),
        cmocka_unit_test(missing_file_is_not_found),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
