/*
 * dlt's `filesystem` source for local files: a resource listing files as dlt's FileItem
 * objects, and readers (transformers fed by it) that read csv, jsonl and parquet files with
 * DuckDB's own readers, in chunks. docs/filesystem_source.md has the details.
 *
 *   dltc_filesystem_options fo = DLTC_FILESYSTEM_OPTIONS_INIT;
 *   fo.bucket_url = "data/"; fo.file_glob = "*.csv";
 *   dltc_source *src;
 *   dltc_filesystem_source(&src, "files", &fo, "csv", NULL);  // resources filesystem + read_csv
 *   dltc_pipeline_run_source(p, src, NULL);
 *   dltc_source_free(src);
 *
 * Ownership: what comes back through `out` is the caller's, as with dltc_resource_new (free
 * with dltc_resource_free / dltc_source_free, or hand to a source). The listing options `o` of
 * dltc_filesystem_resource and dltc_filesystem_source are the resource's payload: they are
 * LENT and must stay valid (with the strings they point at) until the resource is freed; the
 * resource options and reader options are copied. Thread-safety: one thread at a time per
 * resource, as every resource.
 */
#ifndef DLTC_FILESYSTEM_SOURCE_H
#define DLTC_FILESYSTEM_SOURCE_H

#include "dltc/common.h"
#include "dltc/resource.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest file_content (extract_content) of one file; bigger files fail with DLTC_ELIMIT. */
#define DLTC_FILESYSTEM_MAX_CONTENT ((size_t)128 << 20)

typedef struct {
    unsigned int version;   /* DLTC_FILESYSTEM_OPTIONS_VERSION */
    const char *bucket_url; /* required: a local folder or file, a relative or absolute path
                               ("~" expanded) or a file:// URL (percent-encoded) */
    // joined to bucket_url: "*" (default, NULL too): files directly in the folder;
    // "**/*.csv" recurses; "" when bucket_url is a file. Python's glob rules: * ? [seq],
    // "**" a whole component; hidden names only by a pattern starting with '.'
    const char *file_glob;
    size_t files_per_page;  /* items per yielded page; 0 = 100 */
    int extract_content;    /* 1: each item gets file_content (the bytes) */
    const dltc_resource_options *resource; /* hints of the resource (NULL: defaults); its
                               primary_key defaults to "file_url" */
} dltc_filesystem_options;

#define DLTC_FILESYSTEM_OPTIONS_VERSION 1
#define DLTC_FILESYSTEM_OPTIONS_INIT {DLTC_FILESYSTEM_OPTIONS_VERSION, NULL, "*", 100, 0, NULL}

/* A resource yielding pages of FileItem objects, dlt's fields: file_url (file:///abs/path,
 * symlinks resolved, percent-encoded as Python's pathlib), file_name, relative_path (POSIX,
 * to bucket_url; "." when bucket_url is the file), mime_type, encoding (null, or "gzip", …),
 * modification_date (UTC timestamp, µs), size_in_bytes, file_content (binary, with
 * extract_content). Only regular files (and symlinks to them), sorted by relative_path.
 * Incremental by modification date: dltc_resource_set_incremental(r, cursor
 * "modification_date"). The bucket is listed when the resource runs; a bucket that does not
 * exist fails the run with DLTC_ENOTFOUND. Remote URLs (s3://, …) are DLTC_EINVALID. */
DLTC_EXTERN int dltc_filesystem_resource(dltc_resource **out, const char *name,
                                         const dltc_filesystem_options *o);

typedef struct {
    unsigned int version; /* DLTC_READER_OPTIONS_VERSION */
    size_t chunk_size;    /* rows per yielded page; 0 = the format's default (csv 10000,
                             csv_duckdb 5000, jsonl 1000, parquet 1000) */
    const dltc_resource_options *resource; /* hints of the reader (NULL: defaults) */
} dltc_reader_options;

#define DLTC_READER_OPTIONS_VERSION 1
#define DLTC_READER_OPTIONS_INIT {DLTC_READER_OPTIONS_VERSION, 0, NULL}

/* A transformer reading each file item of `files` (a dltc_filesystem_resource, which must be
 * added to the same source) with DuckDB: `format` "csv" / "csv_duckdb" (read_csv_auto),
 * "jsonl" (read_json_auto, newline delimited; nested objects and arrays stay nested) or
 * "parquet" (read_parquet). Rows are typed as DuckDB reads them (BIGINT -> INT, DOUBLE,
 * VARCHAR -> STRING, BOOLEAN, TIMESTAMP, DATE, TIME, DECIMAL, BLOB -> BINARY, …) and
 * yielded in pages of chunk_size rows, streamed: memory stays bounded for any file size.
 * A file DuckDB cannot read fails the run with DLTC_EDATABASE, "<path>: <DuckDB's message>"
 * on one line. */
DLTC_EXTERN int dltc_filesystem_reader(dltc_resource **out, const char *name,
                                       dltc_resource *files, const char *format,
                                       const dltc_reader_options *o);

/* A source `name` holding the listing resource "filesystem" (not selected: it only feeds the
 * reader) and the reader "read_<format>" (its table unless o->resource names one). `fo` is
 * lent as for dltc_filesystem_resource; ro may be NULL. */
DLTC_EXTERN int dltc_filesystem_source(dltc_source **out, const char *name,
                                       const dltc_filesystem_options *fo, const char *format,
                                       const dltc_reader_options *ro);

#ifdef __cplusplus
}
#endif
#endif
