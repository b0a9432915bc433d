#include "output.h"
#include "dltc/dltc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* display width of UTF-8 text: code points (good enough for a terminal table) */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static void pad(size_t n)
{
    while (n--)
        putchar(' ');
}

static void print_table(dltc_rows *r)
{
    size_t nc = dltc_rows_column_count(r), nr = dltc_rows_count(r);
    size_t *w = calloc(nc ? nc : 1, sizeof(size_t));
    for (size_t c = 0; c < nc; c++)
        w[c] = width(dltc_rows_column_name(r, c));
    for (size_t i = 0; i < nr; i++)
        for (size_t c = 0; c < nc; c++) {
            size_t x = width(dltc_rows_get_text(r, i, c));
            if (x > 60)
                x = 60;
            if (x > w[c])
                w[c] = x;
        }
    for (size_t c = 0; c < nc; c++) {
        const char *n = dltc_rows_column_name(r, c);
        printf("%s%s", c ? " | " : "", n);
        if (c + 1 < nc)
            pad(w[c] - width(n));
    }
    putchar('\n');
    for (size_t c = 0; c < nc; c++) {
        printf("%s", c ? "-+-" : "");
        for (size_t k = 0; k < w[c]; k++)
            putchar('-');
    }
    putchar('\n');
    for (size_t i = 0; i < nr; i++) {
        for (size_t c = 0; c < nc; c++) {
            const char *t = dltc_rows_get_text(r, i, c);
            const dltc_value *v = dltc_rows_get(r, i, c);
            int right = v && (dltc_value_type_of(v) == DLTC_TYPE_INT ||
                              dltc_value_type_of(v) == DLTC_TYPE_DOUBLE ||
                              dltc_value_type_of(v) == DLTC_TYPE_DECIMAL ||
                              dltc_value_type_of(v) == DLTC_TYPE_BIGINT);
            size_t x = width(t);
            printf("%s", c ? " | " : "");
            if (x > 60) { /* cut long values: whole code points */
                size_t bytes = 0, cp = 0;
                while (t[bytes] && cp < 57) {
                    bytes++;
                    while (((unsigned char)t[bytes] & 0xC0) == 0x80)
                        bytes++;
                    cp++;
                }
                printf("%.*s...", (int)bytes, t);
                continue;
            }
            if (right)
                pad(w[c] - x);
            printf("%s", t);
            if (!right && c + 1 < nc)
                pad(w[c] - x);
        }
        putchar('\n');
    }
    printf("(%zu row%s)\n", nr, nr == 1 ? "" : "s");
    free(w);
}

static void csv_field(const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
}

static void print_csv(dltc_rows *r)
{
    size_t nc = dltc_rows_column_count(r), nr = dltc_rows_count(r);
    for (size_t c = 0; c < nc; c++) {
        if (c)
            putchar(',');
        csv_field(dltc_rows_column_name(r, c));
    }
    putchar('\n');
    for (size_t i = 0; i < nr; i++) {
        for (size_t c = 0; c < nc; c++) {
            if (c)
                putchar(',');
            csv_field(dltc_rows_get_text(r, i, c));
        }
        putchar('\n');
    }
}

static void print_json(dltc_rows *r)
{
    size_t nc = dltc_rows_column_count(r), nr = dltc_rows_count(r);
    dltc_doc *doc = NULL;
    if (dltc_doc_new(&doc))
        return;
    putchar('[');
    for (size_t i = 0; i < nr; i++) {
        dltc_value *o = dltc_value_object(doc);
        for (size_t c = 0; c < nc; c++) {
            const dltc_value *v = dltc_rows_get(r, i, c);
            dltc_object_set(doc, o, dltc_rows_column_name(r, c), (dltc_value *)v);
        }
        char *s = NULL;
        if (dltc_value_to_json(&s, NULL, o) == 0)
            printf("%s\n%s", i ? "," : "", s);
        dltc_free(s);
        dltc_doc_clear(doc);
    }
    printf("%s]\n", nr ? "\n" : "");
    dltc_doc_free(doc);
}

int cli_print_rows(dltc_rows *rows, const char *format)
{
    if (!strcmp(format, "table"))
        print_table(rows);
    else if (!strcmp(format, "csv"))
        print_csv(rows);
    else if (!strcmp(format, "json"))
        print_json(rows);
    else {
        fprintf(stderr, "dlt: --format must be table, csv or json\n");
        return -1;
    }
    return 0;
}
