/*
 * The Postgres client's private header, for the files of load/destinations/postgres/ only:
 * the one includer of libpq-fe.h (libpq's types and constants are used all over the client;
 * nothing outside this folder sees them), the function table libpq is called through, the
 * client's handle, and what the files call in each other (dltc__pg_*). The client by file:
 *   libpq.c               libpq's functions, dlopen'ed on the first connection
 *   conn.c                connecting (dltc__postgres_open, the dltc_dest ops), messages,
 *                         statements, queries as dltc_rows, table columns, load_file
 *   copy.c                COPY … FROM STDIN for the loaders; COPY … TO STDOUT and literals
 *                         for readers (load/destinations/postgres.h)
 *   load_csv.c            csv files
 *   load_jsonl.c          jsonl files: the COPY field encoder, the JSON reader's rows, the job
 *   jsonl_scan.c          jsonl: our writer's lines straight into binary COPY rows
 *   load_insert_values.c  insert_values files
 *
 * Loading:
 *   csv            COPY … FROM STDIN (FORMAT csv, HEADER true): the file goes to the server as
 *                  it is. Our csv writer's NULL (empty unquoted field) and "" are exactly
 *                  Postgres' csv NULL and empty string, so no FORCE_NULL. Binary columns
 *                  hold base64: those fields are rewritten to bytea hex on the way.
 *   jsonl          sent as binary COPY rows typed by the table's columns in the database,
 *                  our writer's lines turned into COPY fields by a scanner without a value
 *                  tree (anything it does not take exactly as our JSON reader would goes
 *                  to the reader); a table with a column type the binary encoder does not
 *                  know is sent as text COPY instead, read by the JSON reader.
 *   insert_values  our writer's literals turned into text COPY rows (Postgres parses big
 *                  VALUES lists slowly); other statements run in batches of ~256 KiB of
 *                  rows, with DuckDB's from_base64('…') rewritten to decode('…', 'base64').
 *   parquet        refused (dlt loads parquet into Postgres only through ADBC).
 *
 * 1M flat rows (dltc-gen flat + _dlt_load_id/_dlt_id: bigint, 4 varchar, double precision,
 * boolean, timestamptz), local Postgres 15 with fsync off, 2 shared cores, load only (best of
 * 5; wall / server CPU / our CPU):
 *   csv as it is, COPY csv                    1.43 s / 1.42 s / 0.03 s
 *   jsonl → binary COPY                       0.70 s / 0.70 s / 0.14 s (*)
 *   jsonl → binary COPY, DLTC_PG_JSONL=reader 0.76 s / 0.75 s / 0.36 s (*)
 *   jsonl → text COPY                         1.19 s / 1.17 s / 0.32 s
 *   insert_values → text COPY                 1.46 s / 1.25 s / 0.25 s
 *   insert_values as INSERT statements       ~30 s (the server's parse of VALUES lists)
 * (*) taken later than the other rows, on a busier machine (the reader's row was 0.83 s /
 * 0.81 s / 0.30 s with them).
 * Binary COPY spares the server the parsing of numbers and timestamps (40% less of its
 * CPU than csv) and our side runs beside it on the second core.
 */
#ifndef DLTC_LOAD_POSTGRES_PG_INT_H
#define DLTC_LOAD_POSTGRES_PG_INT_H

#include "load/destination.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/strmap.h"
#include "formats/json.h"

#if defined(__has_include)
#if __has_include(<libpq-fe.h>)
#include <libpq-fe.h>
#else
#include <postgresql/libpq-fe.h>
#endif
#else
#include <libpq-fe.h>
#endif

#include <stddef.h>
#include <stdint.h>

/* ---- libpq (libpq.c) ---- */

/* The libpq functions the client calls, each through its pointer p_<name>. */
#define DLTC_PQ_FUNCTIONS(X) \
    X(PQconnectdbParams)     \
    X(PQconninfoParse)       \
    X(PQconninfoFree)        \
    X(PQfreemem)             \
    X(PQstatus)              \
    X(PQerrorMessage)        \
    X(PQfinish)              \
    X(PQhost)                \
    X(PQport)                \
    X(PQdb)                  \
    X(PQpass)                \
    X(PQsetNoticeProcessor)  \
    X(PQexec)                \
    X(PQsendQuery)           \
    X(PQsetSingleRowMode)    \
    X(PQgetResult)           \
    X(PQresultStatus)        \
    X(PQresultErrorField)    \
    X(PQresultErrorMessage)  \
    X(PQclear)               \
    X(PQntuples)             \
    X(PQnfields)             \
    X(PQfname)               \
    X(PQftype)               \
    X(PQfmod)                \
    X(PQgetvalue)            \
    X(PQgetlength)           \
    X(PQgetisnull)           \
    X(PQcmdTuples)           \
    X(PQputCopyData)         \
    X(PQputCopyEnd)          \
    X(PQgetCopyData)         \
    X(PQescapeLiteral)       \
    X(PQsendQueryParams)     \
    X(PQgetCancel)           \
    X(PQcancel)              \
    X(PQfreeCancel)

#define DLTC_DECLARE(name) extern __typeof__(name) *p_##name;
DLTC_PQ_FUNCTIONS(DLTC_DECLARE)
#undef DLTC_DECLARE

/* Load libpq and fill the pointers, once: 0, or DLTC_EDATABASE with what is missing. */
int dltc__pg_libpq_load(void);

/* ---- the connection (conn.c) ---- */

struct jsonl_job;

typedef struct {
    dltc_dest base;
    PGconn *conn;
    char *where; /* "host:port/database" for messages (never the password) */
    struct jsonl_job *open; /* a jsonl COPY kept open for more files (dltc__pg_load_jsonl) */
    char *copy_msg;         /* the last message of a COPY TO STDOUT (copy_out_next) */
    int copy_out;           /* a COPY TO STDOUT runs */
    int read_only;          /* DLTC_DEST_READ_ONLY: read-only session, queries rolled back */
} pg_dest;

/* Type OIDs of the built-in types (pg_type.dat; fixed across versions). */
enum {
    OID_BOOL = 16,
    OID_BYTEA = 17,
    OID_CHAR = 18,
    OID_NAME = 19,
    OID_INT8 = 20,
    OID_INT2 = 21,
    OID_INT4 = 23,
    OID_TEXT = 25,
    OID_OID = 26,
    OID_JSON = 114,
    OID_XML = 142,
    OID_FLOAT4 = 700,
    OID_FLOAT8 = 701,
    OID_BPCHAR = 1042,
    OID_VARCHAR = 1043,
    OID_DATE = 1082,
    OID_TIME = 1083,
    OID_TIMESTAMP = 1114,
    OID_TIMESTAMPTZ = 1184,
    OID_INTERVAL = 1186,
    OID_TIMETZ = 1266,
    OID_NUMERIC = 1700,
    OID_UUID = 2950,
    OID_JSONB = 3802
};

/* How a column's values are read and written. */
typedef enum {
    PK_OTHER = 0, /* text in, text out */
    PK_BOOL,
    PK_INT2,
    PK_INT4,
    PK_INT8,
    PK_FLOAT4,
    PK_FLOAT8,
    PK_NUMERIC,
    PK_TEXT,
    PK_JSON,
    PK_JSONB,
    PK_BYTEA,
    PK_DATE,
    PK_TIME,
    PK_TIMETZ,
    PK_TIMESTAMP,
    PK_TIMESTAMPTZ
} pkind;

/* The kind of a column of type `oid`. */
pkind dltc__pg_kind_of(Oid oid);

/* Postgres keeps the first 63 bytes of an identifier (NAMEDATALEN - 1), cut at a character
 * boundary: the length of `s` as the server stores it. */
#define PG_IDENT_MAX 63
static inline size_t dltc__pg_ident_len(const char *s, size_t len)
{
    if (len <= PG_IDENT_MAX)
        return len;
    size_t n = PG_IDENT_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* Set the last error: `prefix` + the server's primary message (+ detail, + context when
 * asked: COPY names the line and column there). A lost connection is DLTC_ENETWORK. */
int dltc__pg_result_error(pg_dest *d, const PGresult *r, const char *prefix, int with_context);

/* "<path>: " for a load, else "postgres at <where>: " */
int dltc__pg_where_prefix(dltc_buf *b, const pg_dest *d, const char *path);

/* Leave the COPY state a statement put the session in (exec and query do not run COPY). */
void dltc__pg_leave_copy(pg_dest *d, ExecStatusType st);

/* 0 when r is a successful result (a COPY is ended and refused; the remaining results are
 * read). */
int dltc__pg_check_result(pg_dest *d, PGresult *r, const char *prefix);

/* A column of a database table. */
typedef struct {
    char *name;
    Oid oid;
    int mod;
} dbcol;

void dltc__pg_dbcols_free(dbcol *c, size_t n);

/* The columns of "dataset"."table" (dataset NULL: the session's temporary table) with their
 * types, in order. *exists = 0 when there is no such table (a table without columns
 * exists). Names are compared as the server stores them (63 bytes). */
int dltc__pg_table_info(pg_dest *d, const char *dataset, const char *table, dbcol **out,
                        size_t *n, int *exists);

/* ---- COPY … FROM STDIN (copy.c) ---- */

#define COPY_BLOCK (256u << 10)

typedef struct {
    pg_dest *d;
    const char *path;
    dltc_buf out; /* bytes not yet sent */
    int active;   /* in COPY IN state */
} copy_stream;

/* Run `sql`, a COPY … FROM STDIN, on d; errors name `path` (NULL: the connection). */
int dltc__pg_copy_begin(copy_stream *s, pg_dest *d, const char *sql, const char *path);

/* Send len bytes of COPY data. */
int dltc__pg_copy_put(copy_stream *s, const char *data, size_t len);

/* Send the buffer once it holds a block. */
static inline int dltc__pg_copy_maybe_flush(copy_stream *s)
{
    if (s->out.len < COPY_BLOCK)
        return 0;
    int rc = dltc__pg_copy_put(s, s->out.data, s->out.len);
    dltc__buf_clear(&s->out);
    return rc;
}

/* End the COPY: with `failed` set (the last error says why) the server is told to abort
 * and its answer is dropped; else the rows it inserted go to *rows. */
int dltc__pg_copy_end(copy_stream *s, int failed, uint64_t *rows);

/* "dataset"."t", or the temporary table pg_temp."t" */
int dltc__pg_put_target(dltc_buf *b, const char *dataset, const char *table);

/* The kind of each of the n named columns in the database table (PK_OTHER for a name it
 * lacks: the server then names the problem); DLTC_ENOTFOUND without the table. *out is
 * the caller's. */
int dltc__pg_column_kinds(pg_dest *d, const char *dataset, const char *table,
                          char *const *names, size_t n, const char *path, pkind **out);

/* ---- the loaders (load_csv.c, load_jsonl.c, load_insert_values.c) ---- */

/* The rows of the load file at `path` into table t of `dataset` (NULL: the temporary staging
 * table); *rows += the rows inserted. */
int dltc__pg_load_csv(pg_dest *d, const char *dataset, const dltc_table *t, const char *path,
                      uint64_t *rows);
int dltc__pg_load_insert_values(pg_dest *d, const char *dataset, const dltc_table *t,
                                const char *path, uint64_t *rows);
/* With `more` the COPY stays open (d->open) for the next file of the same table. */
int dltc__pg_load_jsonl(pg_dest *d, const char *dataset, const dltc_table *t, const char *path,
                        int more, uint64_t *rows);

/* Complete the COPY a load left open for more files (before any other statement). */
int dltc__pg_finish_open(pg_dest *d);

/* End the job's COPY (aborted when `failed`: the last error says why) and free it. */
int dltc__pg_jsonl_end(struct jsonl_job *j, int failed);

/* ---- jsonl, between load_jsonl.c and jsonl_scan.c ---- */

/* One jsonl row's cells, encoded for COPY (binary or text format). */
typedef struct {
    int binary;
    size_t ncols;
    pkind *kind;
    const char **name;
    size_t *nlen; /* name length as the server keeps it (63 bytes) */
    dltc_buf scratch;
    uint8_t *bytes;
    size_t bytes_cap;
    const char *path;
    uint64_t line;
} encoder;

static inline int dltc__pg_room(dltc_buf *b, size_t n)
{
    return b->cap - b->len > n ? 0 : dltc__buf_reserve(b, n);
}

static inline void dltc__pg_put_be16(char *o, uint16_t v)
{
    o[0] = (char)(v >> 8);
    o[1] = (char)v;
}
static inline void dltc__pg_put_be32(char *o, uint32_t v)
{
    o[0] = (char)(v >> 24);
    o[1] = (char)(v >> 16);
    o[2] = (char)(v >> 8);
    o[3] = (char)v;
}
static inline void dltc__pg_put_be64(char *o, uint64_t v)
{
    dltc__pg_put_be32(o, (uint32_t)(v >> 32));
    dltc__pg_put_be32(o + 4, (uint32_t)v);
}

/* A datetime string into µs since 2000-01-01 (Postgres' epoch) / days / µs of the day. */
#define PG_EPOCH_DAYS 10957
#define PG_EPOCH_US (10957LL * 86400000000LL)

#define KEY_SLOT 64 /* the bytes of a column name's slot in jsonl_job.kt */

/* One jsonl load: the COPY columns and stream, the key → column map with its per-position
 * hint cache, and the scanner's per-row bookkeeping. */
typedef struct jsonl_job {
    encoder e;
    const dltc_table *t;
    const char *path;
    dltc_strmap bykey;       /* column name (63 bytes) -> copy position */
    const dltc_value **slot; /* the general path: each column's value in the row */
    size_t *hint, nhint;     /* member position -> copy position, as last seen */
    dltc_arena arena;
    copy_stream s;
    /* the scanner */
    uint8_t *plain;        /* column c's name needs no escaping and has 63 bytes at most, */
    char *kt;              /* so a key is compared with kt[c * KEY_SLOT]: name, '"', zeros */
    uint64_t *seen, stamp; /* seen[c] == stamp once column c has its field in the row */
    size_t *off, *flen;    /* column c's field: offset from the row start, length */
    dltc_buf tmp, reord;
    uint64_t sent;     /* rows put in the COPY */
    dltc_table *own;   /* the job's copy of its table (t) */
    char *dataset;     /* its target's dataset (NULL: the temporary staging table) */
} jsonl_job;

/* One cell in binary: int32 length, then the value. */
int dltc__pg_encode_binary(encoder *e, dltc_buf *b, size_t col, const dltc_value *v);

/* Room for n positions in j->hint. */
int dltc__pg_jsonl_grow_hint(jsonl_job *j, size_t n);

/* One row parsed by our JSON reader: its members mapped to the COPY columns, then encoded.
 * A key the table lacks is an error unless its value is null. */
int dltc__pg_jsonl_map_item(jsonl_job *j, const dltc_value *item);

/* The file through our JSON reader, rows from line `from` on (those before it were sent
 * already). */
int dltc__pg_jsonl_load_items(jsonl_job *j, dltc_json_reader *rd, uint64_t from);

/* The rows of jsonl file `path` into j's binary COPY: the scanner line by line, our JSON
 * reader from where it hands over. */
int dltc__pg_jsonl_scan_file(jsonl_job *j, const char *path);

#endif
