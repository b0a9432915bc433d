/* The Postgres client beyond the dltc_dest table, for readers (the sql_database source):
 * a `COPY … TO STDOUT` streamed message by message, and string literals escaped by libpq.
 * destinations/postgres/ (through its private pg_int.h) stays the only includer of
 * libpq-fe.h; the functions are in postgres/copy.c. A connection comes from
 * dltc__postgres_open (load/destination.h) and is closed with dltc__dest_close.
 *
 * While a COPY runs, the connection does nothing else: exec, query and load_file must not
 * be called on it until dltc__postgres_copy_out_next has returned 0 or an error. Closing
 * the connection in the middle of a COPY is fine (the server stops when it goes). Errors
 * are the server's or libpq's words on one line, without the connection's address (the
 * caller names its context); DLTC_ENETWORK when the connection was lost. */
#ifndef DLTC_LOAD_POSTGRES_H
#define DLTC_LOAD_POSTGRES_H

#include "common/buf.h"
#include "load/destination.h"

#include <stddef.h>

/* Run `sql`, a `COPY (…) TO STDOUT …` statement, on d. 0 once the server streams. */
int dltc__postgres_copy_out_begin(dltc_dest *d, const char *sql);

/* The next CopyData message of the COPY that runs on d (the server sends one row per
 * message, the binary format's header with the first row and its trailer alone): *data is
 * lent until the next call on d or its close. 1: a message; 0: the COPY ended and
 * succeeded (the connection is free again); < 0: it failed (the connection is free again,
 * or lost). */
int dltc__postgres_copy_out_next(dltc_dest *d, const char **data, size_t *len);

/* Append `s` (len bytes) as a string literal of d's session ('…', or E'…' when it holds
 * backslashes) to b: PQescapeLiteral, which knows the session's encoding and
 * standard_conforming_strings. */
int dltc__postgres_put_literal(dltc_dest *d, dltc_buf *b, const char *s, size_t len);

#endif
