/* The read-only SQL check of the dataset API (dltc_dataset_query): a small lexer that finds
 * the one statement of a text and accepts it only when it is a read. It is the belt; the
 * braces are the read-only connection (DuckDB's access_mode READ_ONLY, Postgres read-only
 * transactions), which refuses a write the check lets through. */
#ifndef DLTC_LOAD_SQL_READONLY_H
#define DLTC_LOAD_SQL_READONLY_H

#include "load/sql.h"

/* 0 when `sql` is exactly one read statement (a trailing ';' and comments allowed): it starts
 * (after opening parentheses) with SELECT, WITH, VALUES, TABLE, SHOW, DESCRIBE, EXPLAIN or
 * SUMMARIZE (DuckDB also FROM, PIVOT, UNPIVOT); EXPLAIN's statement is checked the same way.
 * Refused, with DLTC_EINVALID and a one-line message naming the keyword and its line, column
 * and byte offset: any other statement, a second statement, INSERT/UPDATE/DELETE/MERGE where
 * a statement can start inside it (a data-modifying CTE of WITH, the statement after the
 * CTEs) or after FOR (row locks), INTO (SELECT … INTO makes a table), no statement, and an
 * unterminated string, quoted identifier or comment. `dialect` is a dltc_sql_dialect; in
 * both, comments (-- to the line end, nested block comments), '…' and E'…' strings,
 * $tag$…$tag$ dollar quoting and "…" identifiers are skipped. Thread-safe. */
int dltc__sql_readonly_check(const char *sql, int dialect);

#endif
