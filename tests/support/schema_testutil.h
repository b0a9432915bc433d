/* A column's property in a pipeline's schema, for tests (include after cmocka.h). */
#ifndef DLTC_TEST_SCHEMA_TESTUTIL_H
#define DLTC_TEST_SCHEMA_TESTUTIL_H

#include "dltc/dltc.h"

#include <stdio.h>
#include <string.h>

/* The property as text ("bigint", "true", "10"; "" when absent), in buf. */
static inline const char *tu_col_prop(dltc_pipeline *p, const char *table, const char *col,
                                      const char *prop, char *buf, size_t n)
{
    char *json = NULL;
    assert_int_equal(dltc_pipeline_schema_export(p, &json, 1), 0);
    dltc_doc *d;
    dltc_value *root;
    assert_int_equal(dltc_doc_new(&d), 0);
    assert_int_equal(dltc_doc_parse_json(d, json, strlen(json), &root), 0);
    const dltc_value *v = dltc_object_get(root, "tables");
    v = v ? dltc_object_get(v, table) : NULL;
    v = v ? dltc_object_get(v, "columns") : NULL;
    v = v ? dltc_object_get(v, col) : NULL;
    v = v ? dltc_object_get(v, prop) : NULL;
    buf[0] = '\0';
    if (v) {
        char *t = NULL;
        assert_int_equal(dltc_value_to_json(&t, NULL, v), 0);
        snprintf(buf, n, "%s", t[0] == '"' ? t + 1 : t);
        size_t l = strlen(buf);
        if (l && buf[l - 1] == '"')
            buf[l - 1] = '\0';
        dltc_free(t);
    }
    dltc_doc_free(d);
    dltc_free(json);
    return buf;
}

#endif
