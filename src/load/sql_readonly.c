/* The read-only SQL check (load/sql_readonly.h): tokens are words, parentheses, ';', '.' and
 * "other"; strings, quoted identifiers, dollar-quoted text and comments are skipped whole, so
 * a keyword inside them is never seen. One pass, no recursion, no allocation. */
#include "load/sql_readonly.h"
#include "common/error.h"

#include <stddef.h>
#include <string.h>

typedef enum { T_END, T_WORD, T_LPAREN, T_RPAREN, T_SEMI, T_DOT, T_OTHER } tkind;

typedef struct {
    tkind kind;
    size_t start, len;
} token;

typedef struct {
    const char *s;
    size_t pos, len;
    int dialect;
} lexer;

/* ---- messages ---- */

static void line_col(const lexer *lx, size_t at, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < at && i < lx->len; i++) {
        if (lx->s[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

/* The token's text for a message: at most 24 bytes, upper-cased words, no control bytes. */
static void token_text(const lexer *lx, const token *t, char *out, size_t cap)
{
    size_t n = t->len < 24 ? t->len : 24, k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++) {
        unsigned char c = (unsigned char)lx->s[t->start + i];
        if (c < 0x20 || c == 0x7f)
            c = ' ';
        else if (t->kind == T_WORD && c >= 'a' && c <= 'z')
            c = (unsigned char)(c - 'a' + 'A');
        out[k++] = (char)c;
    }
    if (t->len > n && k + 3 < cap) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = '\0';
}

static int refuse(const lexer *lx, const token *t, const char *what, const char *why)
{
    size_t line, col;
    line_col(lx, t->start, &line, &col);
    char text[32];
    token_text(lx, t, text, sizeof(text));
    return dltc__error_set(DLTC_EINVALID, "read-only SQL: %s%s%s%s at line %zu, column %zu "
                                          "(byte %zu): %s",
                           what, *what ? " (" : "", text, *what ? ")" : "", line, col, t->start,
                           why);
}

static int unterminated(const lexer *lx, size_t start, const char *what)
{
    size_t line, col;
    line_col(lx, start, &line, &col);
    return dltc__error_set(DLTC_EINVALID, "read-only SQL: %s starting at line %zu, column %zu "
                                          "(byte %zu) is not terminated",
                           what, line, col, start);
}

/* ---- the lexer ---- */

static int word_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static int word_char(unsigned char c)
{
    return word_start(c) || (c >= '0' && c <= '9') || c == '$';
}

/* Skip a '…' string (quote doubled inside; `escapes`: E'…', backslash escapes too). */
static int skip_string(lexer *lx, int escapes)
{
    size_t start = lx->pos;
    lx->pos++; /* the opening quote */
    while (lx->pos < lx->len) {
        char c = lx->s[lx->pos];
        if (escapes && c == '\\' && lx->pos + 1 < lx->len) {
            lx->pos += 2;
        } else if (c == '\'') {
            if (lx->pos + 1 < lx->len && lx->s[lx->pos + 1] == '\'') {
                lx->pos += 2;
            } else {
                lx->pos++;
                return 0;
            }
        } else {
            lx->pos++;
        }
    }
    return unterminated(lx, start, "a string");
}

static int skip_quoted_ident(lexer *lx)
{
    size_t start = lx->pos;
    lx->pos++;
    while (lx->pos < lx->len) {
        if (lx->s[lx->pos] == '"') {
            if (lx->pos + 1 < lx->len && lx->s[lx->pos + 1] == '"') {
                lx->pos += 2;
                continue;
            }
            lx->pos++;
            return 0;
        }
        lx->pos++;
    }
    return unterminated(lx, start, "a quoted identifier");
}

/* Length of a dollar-quote tag ("$tag$" or "$$") at pos, 0 when there is none ($1 is a
 * parameter). */
static size_t dollar_tag(const lexer *lx, size_t pos)
{
    size_t i = pos + 1;
    if (i < lx->len && lx->s[i] == '$')
        return 2;
    if (i >= lx->len || !word_start((unsigned char)lx->s[i]))
        return 0;
    while (i < lx->len && lx->s[i] != '$' &&
           (word_start((unsigned char)lx->s[i]) || (lx->s[i] >= '0' && lx->s[i] <= '9')))
        i++;
    return i < lx->len && lx->s[i] == '$' ? i + 1 - pos : 0;
}

static int skip_dollar(lexer *lx, size_t tag)
{
    size_t start = lx->pos;
    const char *t = lx->s + lx->pos;
    lx->pos += tag;
    while (lx->pos + tag <= lx->len) {
        if (lx->s[lx->pos] == '$' && memcmp(lx->s + lx->pos, t, tag) == 0) {
            lx->pos += tag;
            return 0;
        }
        lx->pos++;
    }
    lx->pos = lx->len;
    return unterminated(lx, start, "a dollar-quoted string");
}

static int skip_block_comment(lexer *lx)
{
    size_t start = lx->pos;
    size_t depth = 0;
    while (lx->pos + 1 < lx->len) {
        if (lx->s[lx->pos] == '/' && lx->s[lx->pos + 1] == '*') {
            depth++;
            lx->pos += 2;
        } else if (lx->s[lx->pos] == '*' && lx->s[lx->pos + 1] == '/') {
            lx->pos += 2;
            if (--depth == 0)
                return 0;
        } else {
            lx->pos++;
        }
    }
    lx->pos = lx->len;
    return unterminated(lx, start, "a comment");
}

/* The next significant token; strings, identifiers and numbers are T_OTHER. */
static int next(lexer *lx, token *t)
{
    int rc;
    for (;;) {
        while (lx->pos < lx->len && strchr(" \t\n\r\f\v", lx->s[lx->pos]))
            lx->pos++;
        t->start = lx->pos;
        t->len = 0;
        if (lx->pos >= lx->len) {
            t->kind = T_END;
            return 0;
        }
        const char *s = lx->s + lx->pos;
        size_t left = lx->len - lx->pos;
        unsigned char c = (unsigned char)s[0];
        if (c == '-' && left > 1 && s[1] == '-') {
            while (lx->pos < lx->len && lx->s[lx->pos] != '\n')
                lx->pos++;
            continue;
        }
        if (c == '/' && left > 1 && s[1] == '*') {
            if ((rc = skip_block_comment(lx)))
                return rc;
            continue;
        }
        t->kind = T_OTHER;
        if (c == '\'') {
            rc = skip_string(lx, 0);
        } else if ((c == 'E' || c == 'e') && left > 1 && s[1] == '\'') {
            lx->pos++;
            rc = skip_string(lx, 1);
        } else if (c == '"') {
            rc = skip_quoted_ident(lx);
        } else if (c == '$' && dollar_tag(lx, lx->pos)) {
            rc = skip_dollar(lx, dollar_tag(lx, lx->pos));
        } else if (word_start(c)) {
            t->kind = T_WORD;
            while (lx->pos < lx->len && word_char((unsigned char)lx->s[lx->pos]))
                lx->pos++;
            rc = 0;
        } else if (c >= '0' && c <= '9') {
            while (lx->pos < lx->len && (word_char((unsigned char)lx->s[lx->pos]) ||
                                         lx->s[lx->pos] == '.'))
                lx->pos++;
            rc = 0;
        } else {
            t->kind = c == '(' ? T_LPAREN : c == ')' ? T_RPAREN : c == ';' ? T_SEMI
                      : c == '.' ? T_DOT : T_OTHER;
            lx->pos++;
            rc = 0;
        }
        t->len = lx->pos - t->start;
        return rc;
    }
}

/* ---- keywords ---- */

static int is_kw(const lexer *lx, const token *t, const char *kw)
{
    size_t n = strlen(kw);
    if (t->kind != T_WORD || t->len != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = lx->s[t->start + i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c != kw[i])
            return 0;
    }
    return 1;
}

static int in_list(const lexer *lx, const token *t, const char *const *kws)
{
    for (; *kws; kws++)
        if (is_kw(lx, t, *kws))
            return 1;
    return 0;
}

static const char *const READS[] = {"SELECT", "WITH", "VALUES", "TABLE", "SHOW", "DESCRIBE",
                                    "EXPLAIN", "SUMMARIZE", NULL};
static const char *const DUCKDB_READS[] = {"FROM", "PIVOT", "UNPIVOT", NULL};
static const char *const DML[] = {"INSERT", "UPDATE", "DELETE", "MERGE", NULL};
/* Statements that may not follow DESCRIBE / SUMMARIZE (the rest is a table name). */
static const char *const WRITES[] = {
    "INSERT", "UPDATE",  "DELETE",   "MERGE",  "CREATE",     "DROP",     "ALTER",  "ATTACH",
    "DETACH", "COPY",    "SET",      "RESET",  "PRAGMA",     "INSTALL",  "LOAD",   "CALL",
    "CHECKPOINT", "EXPORT", "IMPORT", "TRUNCATE", "VACUUM", "GRANT",   "REVOKE", "USE",
    "BEGIN",  "COMMIT",  "ROLLBACK", "DO",     "EXECUTE",    "PREPARE",  "LOCK",   "REFRESH",
    "DISCARD", "COMMENT", "REINDEX", "CLUSTER", "NOTIFY",    "LISTEN",   NULL};

static int is_read(const lexer *lx, const token *t)
{
    return in_list(lx, t, READS) || (lx->dialect == DLTC_SQL_DUCKDB && in_list(lx, t, DUCKDB_READS));
}

static const char *reads_text(const lexer *lx)
{
    return lx->dialect == DLTC_SQL_DUCKDB
               ? "only SELECT, WITH, VALUES, TABLE, SHOW, DESCRIBE, EXPLAIN, SUMMARIZE, FROM, "
                 "PIVOT and UNPIVOT statements are run"
               : "only SELECT, WITH, VALUES, TABLE, SHOW and EXPLAIN statements are run";
}

/* After EXPLAIN: its options, a parenthesized list or ANALYZE / VERBOSE words, are skipped;
 * *t is then the explained statement's first token. */
static int skip_explain_options(lexer *lx, token *t)
{
    int rc = next(lx, t);
    while (!rc) {
        if (is_kw(lx, t, "ANALYZE") || is_kw(lx, t, "ANALYSE") || is_kw(lx, t, "VERBOSE")) {
            rc = next(lx, t);
            continue;
        }
        if (t->kind != T_LPAREN)
            break;
        /* (SELECT …) is the statement; (ANALYZE, FORMAT JSON) are options */
        lexer peek = *lx;
        token first;
        rc = next(&peek, &first);
        if (rc || is_read(lx, &first) || first.kind == T_LPAREN)
            break;
        size_t depth = 1;
        while (!rc && depth) {
            rc = next(lx, t);
            if (!rc && t->kind == T_END)
                return refuse(lx, t, "", "EXPLAIN options are not closed");
            if (t->kind == T_LPAREN)
                depth++;
            else if (t->kind == T_RPAREN)
                depth--;
        }
        if (!rc)
            rc = next(lx, t);
    }
    return rc;
}

int dltc__sql_readonly_check(const char *sql, int dialect)
{
    lexer lx = {sql ? sql : "", 0, sql ? strlen(sql) : 0, dialect};
    token t, prev = {T_END, 0, 0};
    int rc = next(&lx, &t);
    /* the statement's keyword, after opening parentheses and EXPLAIN's options */
    size_t depth = 0;
    while (!rc) {
        if (t.kind == T_LPAREN) {
            depth++;
            rc = next(&lx, &t);
            continue;
        }
        if (t.kind == T_END || t.kind == T_SEMI)
            return dltc__error_set(DLTC_EINVALID, "read-only SQL: no statement");
        if (t.kind != T_WORD)
            return refuse(&lx, &t, "", reads_text(&lx));
        if (!is_read(&lx, &t))
            return refuse(&lx, &t, "", reads_text(&lx));
        if (is_kw(&lx, &t, "EXPLAIN")) {
            rc = skip_explain_options(&lx, &t);
            continue;
        }
        if (is_kw(&lx, &t, "DESCRIBE") || is_kw(&lx, &t, "SUMMARIZE")) {
            prev = t;
            rc = next(&lx, &t);
            if (!rc && in_list(&lx, &t, WRITES))
                return refuse(&lx, &t, "", reads_text(&lx));
            if (!rc && (is_read(&lx, &t) || t.kind == T_LPAREN))
                continue; /* DESCRIBE SELECT …: that statement is checked */
        }
        break;
    }
    /* the rest of the statement */
    while (!rc && t.kind != T_END) {
        if (t.kind == T_SEMI) {
            rc = next(&lx, &t);
            if (!rc && t.kind != T_END)
                return refuse(&lx, &t, "a second statement", "one statement at a time is run");
            break;
        }
        if (t.kind == T_LPAREN) {
            depth++;
        } else if (t.kind == T_RPAREN) {
            if (depth)
                depth--;
        } else if (t.kind == T_WORD && prev.kind != T_DOT) {
            int stmt_pos = prev.kind == T_LPAREN || (prev.kind == T_RPAREN && depth == 0);
            if (in_list(&lx, &t, DML) && (stmt_pos || is_kw(&lx, &prev, "FOR")))
                return refuse(&lx, &t, "",
                              is_kw(&lx, &prev, "FOR")
                                  ? "row locks (FOR UPDATE) are not taken by a read"
                                  : "a data-modifying statement inside a read is not run");
            if (is_kw(&lx, &t, "INTO"))
                return refuse(&lx, &t, "", "SELECT ... INTO writes a table: not run");
        }
        prev = t;
        rc = next(&lx, &t);
    }
    return rc;
}
