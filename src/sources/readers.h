/* The filesystem source's internals shared by its two files: reading one file with DuckDB's
 * readers in pages (readers.c), and file:// URLs (filesystem.c). */
#ifndef DLTC_SOURCES_READERS_H
#define DLTC_SOURCES_READERS_H

#include "dltc/filesystem_source.h"
#include "dltc/value.h"

#include <stddef.h>

typedef enum {
    DLTC_READ_CSV = 0,        /* read_csv_auto, dlt's read_csv */
    DLTC_READ_CSV_DUCKDB = 1, /* the same reader, dlt's read_csv_duckdb */
    DLTC_READ_JSONL = 2,      /* read_json_auto, newline delimited */
    DLTC_READ_PARQUET = 3     /* read_parquet */
} dltc__read_format;

/* The format named `name` ("csv", "csv_duckdb", "jsonl", "parquet"): 0 or DLTC_EINVALID. */
int dltc__reader_format(const char *name, dltc__read_format *out);
const char *dltc__reader_format_name(dltc__read_format f);
/* dlt's chunk sizes: csv 10000, csv_duckdb 5000, jsonl 1000, parquet 1000. */
size_t dltc__reader_default_chunk(dltc__read_format f);

/* Called with each page: an ARRAY of row objects, lent for the call. */
typedef int (*dltc__reader_page_fn)(const dltc_value *page, void *payload);

/* Read the local file `path` with DuckDB (an in-memory database of its own), streamed: pages
 * of up to `chunk_size` rows go to `fn` one at a time, each freed before the next is read.
 * DuckDB's errors come back as DLTC_EDATABASE "<path>: <message>"; fn's return code other
 * than 0 stops the read and is returned (DLTC_ITEROVER as 0). */
int dltc__reader_read_file(const char *path, dltc__read_format f, size_t chunk_size,
                           dltc__reader_page_fn fn, void *payload);

/* List the bucket of `o` and hand its FileItems to `fn` in pages of files_per_page (each
 * page freed before the next is built): the body of the filesystem resource. fn's return
 * code other than 0 stops the listing and is returned (DLTC_ITEROVER as 0). */
int dltc__filesystem_list(const dltc_filesystem_options *o, dltc__reader_page_fn fn,
                          void *payload);

/* The local path of a file:// URL (percent-decoded; "file://localhost/..." accepted) into a
 * new string, the caller's (dltc__free). DLTC_EINVALID for other URLs. */
int dltc__filesystem_url_path(const char *url, char **out);

#endif
