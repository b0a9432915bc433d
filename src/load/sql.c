/* SQL text for SQL destinations: quoting, dlt's type mapping (dlt 1.26 DuckDbTypeMapper and
 * PostgresTypeMapper), CREATE TABLE and ALTER TABLE … ADD COLUMN. */
#include "load/sql.h"
#include "common/error.h"
#include "common/time.h"

#include <string.h>

/* Append s[0..len) with every `q` doubled, between two `q`. */
static int put_quoted(dltc_buf *b, char q, const char *s, size_t len)
{
    int rc = dltc__buf_putc(b, q);
    size_t start = 0;
    for (size_t i = 0; !rc && i < len; i++) {
        if (s[i] == '\0')
            return dltc__error_set(DLTC_EINVALID, "NUL byte in SQL text");
        if (s[i] != q)
            continue;
        /* the run up to and including the quote, then the quote once more */
        rc = dltc__buf_put(b, s + start, i + 1 - start);
        if (!rc)
            rc = dltc__buf_putc(b, q);
        start = i + 1;
    }
    if (!rc)
        rc = dltc__buf_put(b, s + start, len - start);
    if (!rc)
        rc = dltc__buf_putc(b, q);
    return rc;
}

int dltc__sql_ident(dltc_buf *b, const char *name)
{
    if (!name || !name[0])
        return dltc__error_set(DLTC_EINVALID, "empty SQL identifier");
    return put_quoted(b, '"', name, strlen(name));
}

int dltc__sql_qualified(dltc_buf *b, const char *dataset, const char *table)
{
    int rc = dltc__sql_ident(b, dataset);
    if (!rc)
        rc = dltc__buf_putc(b, '.');
    if (!rc)
        rc = dltc__sql_ident(b, table);
    return rc;
}

int dltc__sql_string(dltc_buf *b, const char *s, size_t len)
{
    return put_quoted(b, '\'', s, len);
}

static int bad_precision(const dltc_column *c, const char *what)
{
    return dltc__error_set(DLTC_EINVALID, "column %s: %s precision %d is not supported",
                           c->name, what, (int)c->precision);
}

static int duckdb_type(dltc_buf *b, const dltc_column *c)
{
    int p = c->precision;
    switch (c->data_type) {
    case DLTC_DT_TEXT:
        return dltc__buf_puts(b, "VARCHAR");
    case DLTC_DT_DOUBLE:
        return dltc__buf_puts(b, "DOUBLE");
    case DLTC_DT_BOOL:
        return dltc__buf_puts(b, "BOOLEAN");
    case DLTC_DT_DATE:
        return dltc__buf_puts(b, "DATE");
    case DLTC_DT_TIME:
        return dltc__buf_puts(b, "TIME");
    case DLTC_DT_BINARY:
        return dltc__buf_puts(b, "BLOB");
    case DLTC_DT_JSON:
        return dltc__buf_puts(b, "JSON");
    case DLTC_DT_TIMESTAMP:
        /* aware timestamps are always µs in DuckDB (dlt warns and ignores the precision) */
        if (c->timezone != 0)
            return dltc__buf_puts(b, "TIMESTAMP WITH TIME ZONE");
        if (p < 0)
            return dltc__buf_puts(b, "TIMESTAMP");
        if (p == 0)
            return dltc__buf_puts(b, "TIMESTAMP_S");
        if (p <= 3)
            return dltc__buf_puts(b, "TIMESTAMP_MS");
        if (p <= 6)
            return dltc__buf_puts(b, "TIMESTAMP");
        if (p <= 9)
            return dltc__buf_puts(b, "TIMESTAMP_NS");
        return bad_precision(c, "timestamp");
    case DLTC_DT_BIGINT:
        if (p < 0)
            return dltc__buf_puts(b, "BIGINT");
        if (p <= 8)
            return dltc__buf_puts(b, "TINYINT");
        if (p <= 16)
            return dltc__buf_puts(b, "SMALLINT");
        if (p <= 32)
            return dltc__buf_puts(b, "INTEGER");
        if (p <= 64)
            return dltc__buf_puts(b, "BIGINT");
        if (p <= 128)
            return dltc__buf_puts(b, "HUGEINT");
        return bad_precision(c, "bigint");
    case DLTC_DT_DECIMAL:
        return dltc__buf_printf(b, "DECIMAL(%d,%d)", p >= 0 ? p : 38,
                                c->scale >= 0 ? (int)c->scale : 9);
    case DLTC_DT_WEI:
        return dltc__buf_printf(b, "DECIMAL(%d,%d)", p >= 0 ? p : 38,
                                c->scale >= 0 ? (int)c->scale : 0);
    default:
        return dltc__error_set(DLTC_EINVALID, "column %s has no data type", c->name);
    }
}

static int postgres_type(dltc_buf *b, const dltc_column *c, const dltc_table *t)
{
    int p = c->precision;
    const char *tz = c->timezone != 0 ? "with time zone" : "without time zone";
    switch (c->data_type) {
    case DLTC_DT_TEXT:
        return p >= 0 ? dltc__buf_printf(b, "varchar(%d)", p) : dltc__buf_puts(b, "varchar");
    case DLTC_DT_DOUBLE:
        return dltc__buf_puts(b, "double precision");
    case DLTC_DT_BOOL:
        return dltc__buf_puts(b, "boolean");
    case DLTC_DT_DATE:
        return dltc__buf_puts(b, "date");
    case DLTC_DT_TIME:
        if (p > 6)
            return bad_precision(c, "time");
        return p >= 0 ? dltc__buf_printf(b, "time (%d) without time zone", p)
                      : dltc__buf_puts(b, "time without time zone");
    case DLTC_DT_TIMESTAMP:
        if (p > 6)
            return bad_precision(c, "timestamp");
        return p >= 0 ? dltc__buf_printf(b, "timestamp (%d) %s", p, tz)
                      : dltc__buf_printf(b, "timestamp %s", tz);
    case DLTC_DT_BIGINT:
        if (p < 0)
            return dltc__buf_puts(b, "bigint");
        if (p <= 16)
            return dltc__buf_puts(b, "smallint");
        if (p <= 32)
            return dltc__buf_puts(b, "integer");
        if (p <= 64)
            return dltc__buf_puts(b, "bigint");
        return bad_precision(c, "bigint");
    case DLTC_DT_BINARY:
        return dltc__buf_puts(b, "bytea");
    case DLTC_DT_JSON:
        return dltc__buf_puts(b, t && t->file_format && !strcmp(t->file_format, "parquet")
                                     ? "json"
                                     : "jsonb");
    case DLTC_DT_DECIMAL:
        return dltc__buf_printf(b, "numeric(%d,%d)", p >= 0 ? p : 38,
                                c->scale >= 0 ? (int)c->scale : 9);
    case DLTC_DT_WEI:
        return dltc__buf_printf(b, "numeric(%d,%d)", p >= 0 ? p : 156,
                                c->scale >= 0 ? (int)c->scale : 78);
    default:
        return dltc__error_set(DLTC_EINVALID, "column %s has no data type", c->name);
    }
}

static int column_type(dltc_buf *b, dltc_sql_dialect d, const dltc_column *c, const dltc_table *t)
{
    if (d == DLTC_SQL_POSTGRES)
        return postgres_type(b, c, t);
    return duckdb_type(b, c);
}

int dltc__sql_column_type(dltc_buf *b, dltc_sql_dialect d, const dltc_column *c)
{
    return column_type(b, d, c, NULL);
}

/* "name" TYPE [NOT NULL] */
static int column_def(dltc_buf *b, dltc_sql_dialect d, const dltc_table *t,
                      const dltc_column *c, int allow_not_null)
{
    int rc = dltc__sql_ident(b, c->name);
    if (!rc)
        rc = dltc__buf_putc(b, ' ');
    if (!rc)
        rc = column_type(b, d, c, t);
    if (!rc && allow_not_null && c->nullable == 0)
        rc = dltc__buf_puts(b, " NOT NULL");
    return rc;
}

int dltc__sql_create_table(dltc_buf *b, dltc_sql_dialect d, const char *dataset,
                           const dltc_table *t)
{
    size_t start = b->len, ndef = 0;
    int rc = dltc__buf_puts(b, "CREATE TABLE IF NOT EXISTS ");
    if (!rc)
        rc = dltc__sql_qualified(b, dataset, t->name);
    if (!rc)
        rc = dltc__buf_puts(b, " (");
    for (size_t i = 0; !rc && i < t->ncols; i++) {
        const dltc_column *c = &t->cols[i];
        if (c->data_type == DLTC_DT_UNSET)
            continue; /* incomplete (hint-only) columns are not created */
        if (ndef++)
            rc = dltc__buf_puts(b, ", ");
        if (!rc)
            rc = column_def(b, d, t, c, 1);
    }
    if (!rc && ndef == 0)
        rc = dltc__error_set(DLTC_EINVALID, "table %s has no columns with a data type", t->name);
    if (!rc)
        rc = dltc__buf_putc(b, ')');
    if (rc && b->data) {
        b->len = start;
        b->data[start] = '\0';
    }
    return rc;
}

int dltc__sql_add_column(dltc_buf *b, dltc_sql_dialect d, const char *dataset,
                         const dltc_table *t, size_t col)
{
    if (col >= t->ncols)
        return dltc__error_set(DLTC_EINVALID, "table %s has no column %zu", t->name, col);
    size_t start = b->len;
    int rc = dltc__buf_puts(b, "ALTER TABLE ");
    if (!rc)
        rc = dltc__sql_qualified(b, dataset, t->name);
    if (!rc)
        rc = dltc__buf_puts(b, " ADD COLUMN ");
    if (!rc)
        rc = column_def(b, d, t, &t->cols[col], 0);
    if (rc && b->data) {
        b->len = start;
        b->data[start] = '\0';
    }
    return rc;
}

int dltc__sql_staging_table(dltc_buf *b, dltc_sql_dialect d, const char *table)
{
    int rc = dltc__buf_puts(b, d == DLTC_SQL_POSTGRES ? "\"pg_temp\"." : "\"temp\".\"main\".");
    return rc ? rc : dltc__sql_ident(b, table);
}

int dltc__sql_create_staging_table(dltc_buf *b, dltc_sql_dialect d, const dltc_table *t)
{
    size_t start = b->len, ndef = 0;
    int rc = dltc__buf_puts(b, "CREATE TEMPORARY TABLE ");
    if (!rc)
        rc = dltc__sql_ident(b, t->name);
    if (!rc)
        rc = dltc__buf_puts(b, " (");
    for (size_t i = 0; !rc && i < t->ncols; i++) {
        const dltc_column *c = &t->cols[i];
        if (c->data_type == DLTC_DT_UNSET)
            continue;
        if (ndef++)
            rc = dltc__buf_puts(b, ", ");
        if (!rc)
            rc = column_def(b, d, t, c, 0);
    }
    if (!rc && ndef == 0)
        rc = dltc__error_set(DLTC_EINVALID, "table %s has no columns with a data type", t->name);
    if (!rc)
        rc = dltc__buf_puts(b, d == DLTC_SQL_POSTGRES ? ") ON COMMIT DROP" : ")");
    if (rc && b->data) {
        b->len = start;
        b->data[start] = '\0';
    }
    return rc;
}

int dltc__sql_timestamp_literal(dltc_buf *b, dltc_sql_dialect d, const dltc_column *c,
                                int64_t us)
{
    char iso[DLTC_ISO_MAX];
    size_t n = c->timezone == 0 ? dltc__format_timestamp_naive(iso, us)
                                : dltc__format_timestamp(iso, us);
    int rc = dltc__buf_puts(b, "CAST(");
    if (!rc)
        rc = dltc__sql_string(b, iso, n);
    if (!rc)
        rc = dltc__buf_puts(b, " AS ");
    if (!rc)
        rc = column_type(b, d, c, NULL);
    return rc ? rc : dltc__buf_putc(b, ')');
}
