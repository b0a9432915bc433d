/* Extract: data into a new load package (normalize/extracted/<load_id>). */
#ifndef DLTC_EXTRACT_H
#define DLTC_EXTRACT_H

#include "extract/state.h"
#include "package/package.h"
#include "schema/schema.h"

typedef struct {
    const char *table_name;
    const char *json; /* JSON text, or NULL */
    size_t json_len;
    const char *const *paths; /* files ("-" = stdin) */
    size_t npaths;
    struct dltc__progress *progress; /* counts the bytes copied (common/progress.h), or NULL;
                                        the step is begun and ended by the caller */
} dltc_extract_input;

/* Extract plain data into the package `load_id`: the hints go into the schema, the inputs
 * into one package with the state row when the state changed. `fingerprint` (may be NULL)
 * identifies the input; it is kept in load_package_state.json. */
int dltc__extract_plain(dltc_storage *storage, dltc_schema *s, dltc_state *st,
                        const dltc_extract_input *in, const dltc_table_hints *hints,
                        const char *fingerprint, const char *load_id);

/* The pieces, for other extractors (resources): a package folder; a new job path in it;
 * then the state row, schema.json, load_package_state.json and the commit — or, when !ok,
 * the folder is dropped and the last error returned. */
int dltc__extract_begin(dltc_storage *storage, const char *load_id, char **pkg);
int dltc__extract_job_path(dltc_buf *out, const char *pkg, const char *table, const char *ext);
int dltc__extract_finish(dltc_storage *storage, dltc_schema *s, dltc_state *st, char *pkg,
                         const char *load_id, const char *fingerprint, const dltc_buf *sources,
                         int ok);

/* A fingerprint of the input (files by path, size, mtime, inode; text by content) and the
 * hints. 1 when the input cannot be recognized again (standard input). */
int dltc__extract_fingerprint(const dltc_extract_input *in, const dltc_table_hints *h,
                              char out[48]);

#endif
