/* Printing query results: an aligned table, CSV (RFC 4180) or JSON (an array of objects). */
#ifndef DLTC_CLI_OUTPUT_H
#define DLTC_CLI_OUTPUT_H

#include "dltc/dataset.h"

/* 0, or -1 for an unknown format (message printed). */
int cli_print_rows(dltc_rows *rows, const char *format);

#endif
