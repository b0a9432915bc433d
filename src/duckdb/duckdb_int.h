/*
 * The DuckDB client's private header, for the files of src/duckdb/ only: the one includer of
 * duckdb.h in src/ (DuckDB's types are used all over the client; nothing outside this folder
 * sees them), the function table libduckdb is called through, the client's handle, and what
 * the files call in each other (dltc__duckdb_* declared here). The client by file:
 *   libduckdb.c  libduckdb's functions, dlopen'ed on first use
 *   client.c     open/close, statements, queries as dltc_rows (materialized or streamed),
 *                table columns, DuckDB's messages on one line (client.h)
 *   load.c       load files into a table: read_json/read_csv/read_parquet, insert_values,
 *                the Appender (load.h)
 *   parquet.c    jsonl → parquet through DuckDB's writer, for the normalizer (parquet.h)
 */
#ifndef DLTC_DUCKDB_DUCKDB_INT_H
#define DLTC_DUCKDB_DUCKDB_INT_H

#include "duckdb/client.h"
#include "schema/schema.h"
#include "common/buf.h"

#include <duckdb.h>
#include <stddef.h>
#include <stdint.h>

/* ---- libduckdb (libduckdb.c) ---- */

/* libduckdb is loaded on first use (dlopen), not at program start: it is 70 MB of C++ whose
 * relocation costs ~20 ms, which every `dlt` command would pay even when it never touches
 * DuckDB. The calls below go through these pointers. */
#define DLTC_DUCKDB_FUNCTIONS(X) \
    X(duckdb_append_data_chunk) \
    X(duckdb_appender_close) \
    X(duckdb_appender_column_count) \
    X(duckdb_appender_column_type) \
    X(duckdb_appender_create_ext) \
    X(duckdb_appender_destroy) \
    X(duckdb_appender_error) \
    X(duckdb_close) \
    X(duckdb_column_count) \
    X(duckdb_column_logical_type) \
    X(duckdb_column_name) \
    X(duckdb_connect) \
    X(duckdb_create_config) \
    X(duckdb_create_data_chunk) \
    X(duckdb_create_logical_type) \
    X(duckdb_data_chunk_get_size) \
    X(duckdb_data_chunk_get_vector) \
    X(duckdb_data_chunk_reset) \
    X(duckdb_data_chunk_set_size) \
    X(duckdb_decimal_internal_type) \
    X(duckdb_decimal_scale) \
    X(duckdb_decimal_width) \
    X(duckdb_destroy_config) \
    X(duckdb_destroy_data_chunk) \
    X(duckdb_destroy_logical_type) \
    X(duckdb_destroy_result) \
    X(duckdb_disconnect) \
    X(duckdb_enum_dictionary_value) \
    X(duckdb_enum_internal_type) \
    X(duckdb_fetch_chunk) \
    X(duckdb_free) \
    X(duckdb_get_type_id) \
    X(duckdb_logical_type_get_alias) \
    X(duckdb_open_ext) \
    X(duckdb_query) \
    X(duckdb_result_error) \
    X(duckdb_rows_changed) \
    X(duckdb_string_t_data) \
    X(duckdb_string_t_length) \
    X(duckdb_validity_row_is_valid) \
    X(duckdb_validity_set_row_validity) \
    X(duckdb_vector_assign_string_element_len) \
    X(duckdb_vector_ensure_validity_writable) \
    X(duckdb_vector_get_data) \
    X(duckdb_vector_get_validity) \
    X(duckdb_vector_size) \
    X(duckdb_destroy_pending) \
    X(duckdb_destroy_prepare) \
    X(duckdb_execute_pending) \
    X(duckdb_pending_error) \
    X(duckdb_pending_prepared_streaming) \
    X(duckdb_prepare) \
    X(duckdb_prepare_error) \
    X(duckdb_set_config)

/* hidden: the library's own, reached without the GOT (the Appender calls some per value) */
#define DLTC_DECLARE(name) \
    extern __attribute__((visibility("hidden"))) __typeof__(name) *p_##name;
DLTC_DUCKDB_FUNCTIONS(DLTC_DECLARE)
#undef DLTC_DECLARE
#define duckdb_append_data_chunk (*p_duckdb_append_data_chunk)
#define duckdb_appender_close (*p_duckdb_appender_close)
#define duckdb_appender_column_count (*p_duckdb_appender_column_count)
#define duckdb_appender_column_type (*p_duckdb_appender_column_type)
#define duckdb_appender_create_ext (*p_duckdb_appender_create_ext)
#define duckdb_appender_destroy (*p_duckdb_appender_destroy)
#define duckdb_appender_error (*p_duckdb_appender_error)
#define duckdb_close (*p_duckdb_close)
#define duckdb_column_count (*p_duckdb_column_count)
#define duckdb_column_logical_type (*p_duckdb_column_logical_type)
#define duckdb_column_name (*p_duckdb_column_name)
#define duckdb_connect (*p_duckdb_connect)
#define duckdb_create_config (*p_duckdb_create_config)
#define duckdb_create_data_chunk (*p_duckdb_create_data_chunk)
#define duckdb_create_logical_type (*p_duckdb_create_logical_type)
#define duckdb_data_chunk_get_size (*p_duckdb_data_chunk_get_size)
#define duckdb_data_chunk_get_vector (*p_duckdb_data_chunk_get_vector)
#define duckdb_data_chunk_reset (*p_duckdb_data_chunk_reset)
#define duckdb_data_chunk_set_size (*p_duckdb_data_chunk_set_size)
#define duckdb_decimal_internal_type (*p_duckdb_decimal_internal_type)
#define duckdb_decimal_scale (*p_duckdb_decimal_scale)
#define duckdb_decimal_width (*p_duckdb_decimal_width)
#define duckdb_destroy_config (*p_duckdb_destroy_config)
#define duckdb_destroy_data_chunk (*p_duckdb_destroy_data_chunk)
#define duckdb_destroy_logical_type (*p_duckdb_destroy_logical_type)
#define duckdb_destroy_result (*p_duckdb_destroy_result)
#define duckdb_disconnect (*p_duckdb_disconnect)
#define duckdb_enum_dictionary_value (*p_duckdb_enum_dictionary_value)
#define duckdb_enum_internal_type (*p_duckdb_enum_internal_type)
#define duckdb_fetch_chunk (*p_duckdb_fetch_chunk)
#define duckdb_free (*p_duckdb_free)
#define duckdb_get_type_id (*p_duckdb_get_type_id)
#define duckdb_logical_type_get_alias (*p_duckdb_logical_type_get_alias)
#define duckdb_open_ext (*p_duckdb_open_ext)
#define duckdb_query (*p_duckdb_query)
#define duckdb_result_error (*p_duckdb_result_error)
#define duckdb_rows_changed (*p_duckdb_rows_changed)
#define duckdb_string_t_data (*p_duckdb_string_t_data)
#define duckdb_string_t_length (*p_duckdb_string_t_length)
#define duckdb_validity_row_is_valid (*p_duckdb_validity_row_is_valid)
#define duckdb_validity_set_row_validity (*p_duckdb_validity_set_row_validity)
#define duckdb_vector_assign_string_element_len (*p_duckdb_vector_assign_string_element_len)
#define duckdb_vector_ensure_validity_writable (*p_duckdb_vector_ensure_validity_writable)
#define duckdb_vector_get_data (*p_duckdb_vector_get_data)
#define duckdb_vector_get_validity (*p_duckdb_vector_get_validity)
#define duckdb_vector_size (*p_duckdb_vector_size)
#define duckdb_destroy_pending (*p_duckdb_destroy_pending)
#define duckdb_destroy_prepare (*p_duckdb_destroy_prepare)
#define duckdb_execute_pending (*p_duckdb_execute_pending)
#define duckdb_pending_error (*p_duckdb_pending_error)
#define duckdb_pending_prepared_streaming (*p_duckdb_pending_prepared_streaming)
#define duckdb_prepare (*p_duckdb_prepare)
#define duckdb_prepare_error (*p_duckdb_prepare_error)
#define duckdb_set_config (*p_duckdb_set_config)

/* Load libduckdb and fill the pointers, once: 0, or DLTC_EDATABASE with the reason. */
int dltc__duckdb_library_load(void);

/* ---- the connection (client.c) ---- */

struct dltc_duckdb {
    duckdb_database db;
    duckdb_connection con;
    char *path;
};

/* Set the last error to prefix + DuckDB's message on one line. */
int dltc__duckdb_error(int code, const char *prefix, const char *msg);
/* Free names[0..n) and the array (dltc__duckdb_table_columns' names). */
void dltc__duckdb_free_names(char **names, size_t n);

/* ---- DuckDB's readers over our load files (load.c) ---- */

/* DuckDB's readers take a path, and a path is a glob pattern (or a URL) to them: a table
 * name or a working dir with '*' or '[' in it would read other files. They get the file
 * through /proc/self/fd of a descriptor we opened instead. */
typedef struct {
    int fd;
    char path[40];
} fd_path;

int dltc__duckdb_fd_path_open(fd_path *f, const char *path);
void dltc__duckdb_fd_path_close(fd_path *f);
/* Bytes of the longest record: a line, or for csv a line whose newlines inside quotes
 * belong to it. DuckDB's readers size their buffers by it. */
int dltc__duckdb_longest_record(const char *path, int csv, uint64_t *out);
/* Run an INSERT (or COPY) reading `path`; errors name the file. *rows (may be NULL) grows by
 * the rows it changed. */
int dltc__duckdb_run_insert(dltc_duckdb *d, const char *sql, const char *path, uint64_t *rows);
/* One column of an INSERT INTO t (<ins>) SELECT <sel> FROM reader(…, columns={<types>}):
 * binary is base64 text in text files. */
int dltc__duckdb_put_column(dltc_buf *ins, dltc_buf *sel, dltc_buf *types, const dltc_column *c,
                            int first);

#endif
