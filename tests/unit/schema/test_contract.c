/* Schema contracts: parsing, resolution order (run > table > schema settings > evolve) and
 * storage in the table's schema_contract key. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/error.h"
#include "dltc/dltc.h"
#include "schema/contract.h"
#include "schema/schema.h"

#include <string.h>

static void parse_forms(void **state)
{
    (void)state;
    dltc_contract c;
    assert_int_equal(dltc__contract_parse("freeze", "t", &c), 0);
    assert_int_equal(c.tables, DLTC_CONTRACT_FREEZE);
    assert_int_equal(c.columns, DLTC_CONTRACT_FREEZE);
    assert_int_equal(c.data_type, DLTC_CONTRACT_FREEZE);
    assert_int_equal(c.set, 7);
    assert_int_equal(dltc__contract_parse("{\"columns\": \"discard_value\"}", "t", &c), 0);
    assert_int_equal(c.columns, DLTC_CONTRACT_DISCARD_VALUE);
    assert_int_equal(c.set, DLTC_CONTRACT_COLUMNS);
    assert_int_not_equal(dltc__contract_parse("melt", "run", &c), 0);
    assert_non_null(strstr(dltc_error_last()->message, "run: schema contract: 'melt' is not a mode"));
    assert_int_not_equal(dltc__contract_parse("{\"rows\": \"freeze\"}", "run", &c), 0);
    assert_non_null(strstr(dltc_error_last()->message, "unknown entity 'rows'"));
    assert_int_not_equal(dltc__contract_parse("{\"columns\": 1}", "run", &c), 0);
}

static void resolution_order(void **state)
{
    (void)state;
    dltc_schema *s;
    assert_int_equal(dltc_schema_new(&s, "c"), 0);
    dltc_table *root, *child;
    assert_int_equal(dltc__schema_add_table(s, "items", NULL, &root), 0);
    assert_int_equal(dltc__schema_add_table(s, "items__tags", "items", &child), 0);
    dltc_contract c, t;
    assert_int_equal(dltc__contract_resolve(s, child, NULL, &c), 0);
    assert_int_equal(c.columns, DLTC_CONTRACT_EVOLVE);
    /* schema settings, then the table's, then the run's */
    s->settings_extra_json = strdup("{\"schema_contract\": \"freeze\"}");
    assert_int_equal(dltc__contract_parse("{\"columns\": \"discard_row\"}", "t", &t), 0);
    assert_int_equal(dltc__contract_set_table(s, root, &t), 0);
    assert_non_null(strstr(root->extra_json, "\"schema_contract\":{\"columns\":\"discard_row\"}"));
    assert_int_equal(dltc__contract_resolve(s, child, NULL, &c), 0); /* nested: the root's */
    assert_int_equal(c.tables, DLTC_CONTRACT_FREEZE);
    assert_int_equal(c.columns, DLTC_CONTRACT_DISCARD_ROW);
    assert_int_equal(c.data_type, DLTC_CONTRACT_FREEZE);
    dltc_contract run;
    assert_int_equal(dltc__contract_parse("{\"data_type\": \"evolve\"}", "run", &run), 0);
    assert_int_equal(dltc__contract_resolve(s, root, &run, &c), 0);
    assert_int_equal(c.data_type, DLTC_CONTRACT_EVOLVE);
    assert_int_equal(c.columns, DLTC_CONTRACT_DISCARD_ROW);
    /* the stored hint survives an export/import round trip */
    char *doc = NULL;
    assert_int_equal(dltc_schema_export(&doc, s, DLTC_SCHEMA_JSON, 0), 0);
    dltc_schema *back;
    assert_int_equal(dltc_schema_import(&back, doc, strlen(doc)), 0);
    assert_int_equal(dltc__contract_resolve(back, dltc__schema_table(back, "items__tags", 11), NULL,
                                            &c), 0);
    assert_int_equal(c.columns, DLTC_CONTRACT_DISCARD_ROW);
    assert_int_equal(c.tables, DLTC_CONTRACT_FREEZE);
    dltc_free(doc);
    dltc_schema_free(back);
    assert_true(dltc__contract_table_is_new(root));
    assert_true(dltc__table_new_column(s, root, "id", 2, DLTC_DT_BIGINT, 0) >= 0);
    assert_false(dltc__contract_table_is_new(root));
    dltc_schema_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_forms),
        cmocka_unit_test(resolution_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
