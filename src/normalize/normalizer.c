/* The public normalizer: inputs (JSON text, files, built values) → relational rows →
 * one load file per table. Files are written under a hidden temporary folder in out_dir
 * and moved into place only by a successful finish, so a failure leaves nothing behind. */
#include "dltc/normalize.h"
#include "common/alloc.h"
#include "common/crash.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/progress.h"
#include "common/time.h"
#include "formats/json.h"
#include "formats/typed_json.h"
#include "normalize/normalizer_int.h"
#include "normalize/relational.h"
#include "normalize/writer.h"
#include "schema/schema.h"
#include "package/loadid.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    dltc_table *table;
    const dltc_writer_type *wt;
    dltc_writer *w;     /* the table's last file, open until finish */
    char **tmp_paths;   /* every file of the table: fixed-column formats start a new */
    char **final_paths; /* file when a column appears */
    size_t nfiles;
    uint64_t rows;
    uint64_t file_rows; /* rows in the open file */
} table_out;

struct dltc_normalizer {
    dltc_schema *schema;
    dltc_relational *rel;
    const dltc_writer_type *wt;
    char *out_dir;
    char *tmp_dir;
    char *layout;
    char load_id[40];
    dltc_table *root;
    dltc_arena arena;
    table_out **outs;
    size_t nouts, capouts;
    uint64_t items;
    int failed;
    int finished;
    int typed; /* items are dlt's typed JSON (extract packages of resources) */
    uint64_t max_items; /* rows per file before a new one starts; 0 = no limit */
    dltc_file_hook hook;
    void *hook_ctx;
    dltc__progress *pg;  /* progress reports, or NULL */
    uint64_t rows;       /* rows written, every table */
    uint64_t pg_rows;    /* rows counted into pg so far */
    uint64_t pg_bytes;   /* input bytes counted into pg so far (this input) */
};

/* ---- output files ---- */

static int fail(dltc_normalizer *n, int rc)
{
    n->failed = 1;
    return rc;
}

/* Expand the file name layout for a table's file number `k` (0 = first). */
static int file_name(dltc_normalizer *n, const dltc_table *t, const dltc_writer_type *wt,
                     size_t k, dltc_buf *out)
{
    /* without {file_id} the names of a table's later files get ".<k>" before the ext */
    if (k && !strstr(n->layout, "{file_id}")) {
        int rc = file_name(n, t, wt, 0, out);
        size_t el = strlen(wt->ext);
        if (rc || out->len <= el + 1 || strcmp(out->data + out->len - el, wt->ext) ||
            out->data[out->len - el - 1] != '.')
            return rc ? rc : dltc__buf_printf(out, ".%zu", k);
        out->len -= el;
        return dltc__buf_printf(out, "%zu.%s", k, wt->ext);
    }
    for (const char *p = n->layout; *p;) {
        const char *ph = strchr(p, '{');
        if (!ph)
            return dltc__buf_puts(out, p);
        int rc = dltc__buf_put(out, p, (size_t)(ph - p));
        if (rc)
            return rc;
        const char *end = strchr(ph, '}');
        if (!end)
            return dltc__error_set(DLTC_EINVALID, "unterminated placeholder in layout '%s'",
                                   n->layout);
        size_t len = (size_t)(end - ph - 1);
        if (len == 10 && memcmp(ph + 1, "table_name", 10) == 0) {
            rc = dltc__buf_puts(out, t->name);
        } else if (len == 3 && memcmp(ph + 1, "ext", 3) == 0) {
            rc = dltc__buf_puts(out, wt->ext);
        } else if (len == 7 && memcmp(ph + 1, "load_id", 7) == 0) {
            rc = dltc__buf_puts(out, n->load_id);
        } else if (len == 7 && memcmp(ph + 1, "file_id", 7) == 0) {
            uint8_t b[5];
            rc = dltc__random_bytes(b, sizeof(b));
            if (!rc)
                rc = dltc__buf_printf(out, "%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4]);
        } else {
            return dltc__error_set(DLTC_EINVALID, "unknown placeholder '%.*s' in layout '%s'",
                                   (int)len + 2, ph, n->layout);
        }
        if (rc)
            return rc;
        p = end + 1;
    }
    return 0;
}

/* Table names come from data: they must be one plain path component. */
static int safe_component(const char *name)
{
    return name[0] && name[0] != '.' && !strchr(name, '/');
}

/* Open file number o->nfiles of a table. */
static int open_file(dltc_normalizer *nz, table_out *o)
{
    char **tp = dltc__realloc(o->tmp_paths, (o->nfiles + 1) * sizeof(char *));
    if (!tp)
        return dltc__error_oom();
    o->tmp_paths = tp;
    char **fp = dltc__realloc(o->final_paths, (o->nfiles + 1) * sizeof(char *));
    if (!fp)
        return dltc__error_oom();
    o->final_paths = fp;
    dltc_buf name = DLTC_BUF_INIT, tmp = DLTC_BUF_INIT, fin = DLTC_BUF_INIT;
    int rc = file_name(nz, o->table, o->wt, o->nfiles, &name);
    if (!rc)
        rc = dltc__buf_printf(&tmp, "%s/%s", nz->tmp_dir, name.data);
    if (!rc)
        rc = dltc__buf_printf(&fin, "%s/%s", nz->out_dir, name.data);
    dltc__buf_free(&name);
    if (rc) {
        dltc__buf_free(&tmp);
        dltc__buf_free(&fin);
        return rc;
    }
    o->tmp_paths[o->nfiles] = dltc__buf_detach(&tmp);
    o->final_paths[o->nfiles] = dltc__buf_detach(&fin);
    o->nfiles++;
    if ((rc = o->wt->open(&o->w, o->tmp_paths[o->nfiles - 1], o->table)))
        o->w = NULL;
    return rc;
}

/* The writer of a table: its root's file_format hint, else the normalizer's format. */
static int table_writer(dltc_normalizer *nz, dltc_table *t, const dltc_writer_type **wt)
{
    const dltc_table *root = dltc__schema_root_table(nz->schema, t);
    const char *f = root ? root->file_format : NULL;
    *wt = nz->wt;
    if (!f || !*f || !strcmp(f, "preferred"))
        return 0;
    *wt = dltc__writer_type(f);
    return *wt ? 0
               : dltc__error_set(DLTC_EINVALID, "table %s: unknown file format '%s'", t->name, f);
}

/* Rows a table's open file takes. With a hook (a loader waiting for files) the first files
 * are smaller, 1/8, 1/4 and 1/2 of max_items, so that loading starts sooner. */
static uint64_t file_limit(const dltc_normalizer *nz, const table_out *o)
{
    uint64_t m = nz->max_items;
    if (nz->hook && o->nfiles <= 3 && m >= 16)
        m >>= 4 - o->nfiles;
    return m;
}

/* Finish the table's open file (reported to the hook) and open the next one. */
static int next_file(dltc_normalizer *nz, table_out *o)
{
    int rc = o->wt->finish(o->w);
    o->w = NULL;
    if (!rc && nz->hook)
        rc = nz->hook(nz->hook_ctx, nz->schema, o->table, o->tmp_paths[o->nfiles - 1]);
    if (!rc)
        rc = open_file(nz, o);
    o->file_rows = 0;
    return rc;
}

static int sink(void *payload, dltc_table *t, void **user, const dltc_cell *cells, size_t n)
{
    dltc_normalizer *nz = payload;
    table_out *o = *user;
    int rc;
    if (!o) {
        if (!safe_component(t->name))
            return dltc__error_set(DLTC_EINVALID, "table name '%s' is not a safe file name",
                                   t->name);
        if (nz->nouts == nz->capouts) {
            size_t cap = nz->capouts ? nz->capouts * 2 : 8;
            table_out **no = dltc__realloc(nz->outs, cap * sizeof(*no));
            if (!no)
                return dltc__error_oom();
            nz->outs = no;
            nz->capouts = cap;
        }
        o = dltc__calloc(1, sizeof(*o));
        if (!o)
            return dltc__error_oom();
        nz->outs[nz->nouts++] = o;
        o->table = t;
        if ((rc = table_writer(nz, t, &o->wt)) || (rc = open_file(nz, o)))
            return rc;
        dltc__crash_point("normalize:file-created");
        *user = o;
        if (!t->seen_data) {
            t->seen_data = 1;
            nz->schema->dirty = 1;
        }
    }
    if (nz->max_items && o->file_rows >= file_limit(nz, o)) {
        rc = next_file(nz, o);
        if (rc)
            return rc;
    }
    rc = o->wt->write_row(o->w, t, cells, n);
    if (rc == DLTC_WRITER_ROTATE) { /* a column the file lacks: the next file has it */
        rc = next_file(nz, o);
        if (!rc)
            rc = o->wt->write_row(o->w, t, cells, n);
        if (rc == DLTC_WRITER_ROTATE)
            rc = dltc__error_set(DLTC_ERROR, "table %s: a new file cannot take the row", t->name);
    }
    if (!rc) {
        o->rows++;
        o->file_rows++;
        nz->rows++;
    }
    return rc;
}

static int make_tmp_dir(dltc_normalizer *n)
{
    if (mkdir(n->out_dir, 0755) != 0 && errno != EEXIST)
        return dltc__error_set(DLTC_EIO, "%s: cannot create folder: %s", n->out_dir,
                               strerror(errno));
    uint8_t b[4];
    int rc = dltc__random_bytes(b, sizeof(b));
    if (rc)
        return rc;
    dltc_buf p = DLTC_BUF_INIT;
    rc = dltc__buf_printf(&p, "%s/.dltc-tmp-%02x%02x%02x%02x", n->out_dir, b[0], b[1], b[2],
                          b[3]);
    if (rc) {
        dltc__buf_free(&p);
        return rc;
    }
    if (mkdir(p.data, 0700) != 0) {
        rc = dltc__error_set(DLTC_EIO, "%s: cannot create folder: %s", p.data, strerror(errno));
        dltc__buf_free(&p);
        return rc;
    }
    n->tmp_dir = dltc__buf_detach(&p);
    return 0;
}

/* ---- setup ---- */

static int setup_root(dltc_normalizer *n, const dltc_normalize_options *o)
{
    dltc_table_hints h = {o->write_disposition, o->merge_strategy, o->primary_key, o->merge_key,
                          o->max_table_nesting, NULL, NULL, NULL};
    return dltc__schema_apply_hints(n->schema, o->table_name, &h, &n->root);
}

int dltc_normalizer_new(dltc_normalizer **out, dltc_schema *schema,
                        const dltc_normalize_options *opts)
{
    if (!opts || opts->version != DLTC_NORMALIZE_OPTIONS_VERSION)
        return dltc__error_set(DLTC_EINVALID, "normalize options: version mismatch");
    if (!schema || !opts->table_name || !*opts->table_name || !opts->out_dir)
        return dltc__error_set(DLTC_EINVALID, "normalize options: table_name and out_dir are required");
    dltc_normalizer *n = dltc__calloc(1, sizeof(*n));
    if (!n)
        return dltc__error_oom();
    n->schema = schema;
    dltc__arena_init(&n->arena, 256 * 1024);
    int rc = 0;
    n->wt = dltc__writer_type(opts->file_format);
    if (!n->wt)
        rc = dltc__error_set(DLTC_EINVALID, "unknown file format '%s'", opts->file_format);
    if (!rc) {
        n->out_dir = dltc__strdup(opts->out_dir);
        n->layout = dltc__strdup(opts->file_name_layout ? opts->file_name_layout
                                                        : "{table_name}.{ext}");
        if (!n->out_dir || !n->layout)
            rc = dltc__error_oom();
    }
    if (!rc) {
        if (opts->load_id)
            snprintf(n->load_id, sizeof(n->load_id), "%s", opts->load_id);
        else
            dltc__load_id_new(n->load_id);
        rc = setup_root(n, opts);
    }
    if (!rc) {
        dltc_relational_options ro = {n->load_id, -1};
        rc = dltc__relational_new(&n->rel, schema, &ro, sink, n);
    }
    if (!rc)
        rc = make_tmp_dir(n);
    if (rc) {
        dltc_normalizer_free(n);
        return rc;
    }
    *out = n;
    return 0;
}

/* ---- feeding ---- */

/* The rows and input bytes since the last report into the meter. */
static void progress_count(dltc_normalizer *n, dltc_json_reader *rd)
{
    uint64_t off = rd ? dltc__json_reader_offset(rd) : n->pg_bytes;
    dltc__progress_add(n->pg, DLTC_PROGRESS_NORMALIZE, n->root ? n->root->name : NULL,
                       n->rows - n->pg_rows, 0, off - n->pg_bytes);
    n->pg_rows = n->rows;
    n->pg_bytes = off;
}

static int feed_reader(dltc_normalizer *n, dltc_json_reader *rd, const char *name)
{
    int rc;
    dltc_value *item;
    n->pg_bytes = 0;
    while ((rc = dltc__json_reader_next(rd, &n->arena, &item)) == 0) {
        if (n->pg && (n->items & (DLTC__PROGRESS_EVERY - 1)) == 0)
            progress_count(n, rd);
        if (n->typed)
            rc = dltc__typed_json_decode(&n->arena, item);
        if (!rc)
            rc = dltc__relational_item(n->rel, n->root, item, &n->arena);
        if (!rc)
            rc = dltc__json_reader_check_deferred(rd);
        if (rc) {
            /* the reader's errors (also from a deferred list) name the place already */
            const char *rn = dltc__json_reader_name(rd);
            const char *m = dltc_error_last()->message;
            size_t rl = strlen(rn);
            if (strncmp(m, rn, rl) != 0 || m[rl] != ':')
                dltc__error_prefix("%s:%llu: ", name,
                                   (unsigned long long)dltc__json_reader_item_line(rd));
            break;
        }
        n->items++;
        dltc__arena_reset(&n->arena); /* per item: the same warm block is reused */
    }
    dltc__arena_reset(&n->arena);
    if (n->pg && rc == DLTC_ITEROVER)
        progress_count(n, rd);
    return rc == DLTC_ITEROVER ? 0 : rc;
}

static int check_open(dltc_normalizer *n)
{
    if (n->failed)
        return dltc__error_set(DLTC_EINVALID, "normalizer has failed before; start a new one");
    if (n->finished)
        return dltc__error_set(DLTC_EINVALID, "normalizer is already finished");
    return 0;
}

int dltc_normalizer_feed_json(dltc_normalizer *n, const char *json, size_t len, const char *name)
{
    int rc = check_open(n);
    if (rc)
        return rc;
    dltc_json_reader_options ro = DLTC_JSON_READER_OPTIONS_INIT;
    ro.defer_bytes = DLTC_JSON_DEFER_BYTES;
    dltc_json_reader *rd;
    rc = dltc__json_reader_open_mem(&rd, json, len, name ? name : "<input>", &ro);
    if (rc)
        return fail(n, rc);
    rc = feed_reader(n, rd, name ? name : "<input>");
    dltc__json_reader_free(rd);
    return rc ? fail(n, rc) : 0;
}

int dltc_normalizer_feed_file(dltc_normalizer *n, const char *path)
{
    return dltc__normalizer_feed_file_named(n, path, NULL);
}

/* The same, naming the input `name` in error messages (the file a package job came from). */

int dltc__normalizer_feed_file_named(dltc_normalizer *n, const char *path, const char *name)
{
    int rc = check_open(n);
    if (rc)
        return rc;
    dltc_json_reader_options ro = DLTC_JSON_READER_OPTIONS_INIT;
    ro.defer_bytes = DLTC_JSON_DEFER_BYTES;
    dltc_json_reader *rd;
    rc = dltc__json_reader_open_file(&rd, path, &ro);
    if (rc)
        return fail(n, rc);
    rc = feed_reader(n, rd, name ? name : strcmp(path, "-") == 0 ? "<stdin>" : path);
    dltc__json_reader_free(rd);
    size_t pl = strlen(path);
    const dltc_error *e = dltc_error_last();
    if (rc && name && strncmp(e->message, path, pl) == 0) {
        /* report positions against the name the user knows */
        char rest[1024];
        snprintf(rest, sizeof(rest), "%s", e->message + pl);
        dltc__error_set(rc, "%s%s", name, rest);
    }
    return rc ? fail(n, rc) : 0;
}

int dltc_normalizer_feed_value(dltc_normalizer *n, const dltc_value *item)
{
    int rc = check_open(n);
    if (rc)
        return rc;
    if (!item)
        return fail(n, dltc__error_set(DLTC_EINVALID, "item is NULL"));
    rc = dltc__relational_item(n->rel, n->root, item, &n->arena);
    dltc__arena_reset(&n->arena);
    if (rc)
        return fail(n, rc);
    n->items++;
    return 0;
}

/* ---- finish ---- */

static int fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return dltc__error_set(DLTC_EIO, "%s: cannot open folder: %s", path, strerror(errno));
    int rc = fsync(fd) == 0 ? 0 : dltc__error_set(DLTC_EIO, "%s: fsync: %s", path, strerror(errno));
    close(fd);
    return rc;
}

int dltc_normalizer_finish(dltc_normalizer *n)
{
    int rc = check_open(n);
    if (rc)
        return rc;
    for (size_t i = 0; i < n->nouts; i++) {
        table_out *o = n->outs[i];
        rc = o->w ? o->wt->finish(o->w) : 0;
        o->w = NULL;
        if (rc)
            return fail(n, rc);
    }
    if (n->hook && (rc = n->hook(n->hook_ctx, n->schema, NULL, NULL)))
        return fail(n, rc);
    for (size_t i = 0; i < n->nouts; i++) {
        table_out *o = n->outs[i];
        for (size_t k = 0; k < o->nfiles; k++)
            if (rename(o->tmp_paths[k], o->final_paths[k]) != 0)
                return fail(n, dltc__error_set(DLTC_EIO, "%s: cannot move into place: %s",
                                               o->final_paths[k], strerror(errno)));
    }
    rmdir(n->tmp_dir);
    if ((rc = fsync_dir(n->out_dir)))
        return fail(n, rc);
    n->finished = 1;
    return 0;
}

size_t dltc_normalizer_table_count(const dltc_normalizer *n)
{
    return n->nouts;
}

const char *dltc_normalizer_table_name(const dltc_normalizer *n, size_t i)
{
    return i < n->nouts ? n->outs[i]->table->name : NULL;
}

uint64_t dltc_normalizer_table_rows(const dltc_normalizer *n, size_t i)
{
    return i < n->nouts ? n->outs[i]->rows : 0;
}

const char *dltc_normalizer_table_file(const dltc_normalizer *n, size_t i)
{
    return dltc_normalizer_table_file_at(n, i, 0);
}

size_t dltc_normalizer_table_file_count(const dltc_normalizer *n, size_t i)
{
    return i < n->nouts ? n->outs[i]->nfiles : 0;
}

const char *dltc_normalizer_table_file_at(const dltc_normalizer *n, size_t i, size_t k)
{
    return i < n->nouts && k < n->outs[i]->nfiles ? n->outs[i]->final_paths[k] : NULL;
}

const char *dltc_normalizer_load_id(const dltc_normalizer *n)
{
    return n->load_id;
}

uint64_t dltc_normalizer_items(const dltc_normalizer *n)
{
    return n->items;
}

void dltc_normalizer_free(dltc_normalizer *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nouts; i++) {
        table_out *o = n->outs[i];
        if (o->w)
            o->wt->abort(o->w);
        for (size_t k = 0; k < o->nfiles; k++) {
            if (!n->finished)
                unlink(o->tmp_paths[k]);
            dltc__free(o->tmp_paths[k]);
            dltc__free(o->final_paths[k]);
        }
        dltc__free(o->tmp_paths);
        dltc__free(o->final_paths);
        dltc__free(o);
    }
    if (n->tmp_dir)
        rmdir(n->tmp_dir);
    dltc__free(n->outs);
    dltc__relational_free(n->rel);
    dltc__arena_free(&n->arena);
    dltc__free(n->tmp_dir);
    dltc__free(n->out_dir);
    dltc__free(n->layout);
    dltc__free(n);
}

void dltc__normalizer_set_typed(dltc_normalizer *n, int typed)
{
    n->typed = typed;
    dltc__relational_set_typed(n->rel, typed);
}

void dltc__normalizer_set_rotation(dltc_normalizer *n, uint64_t max_items, dltc_file_hook hook,
                                   void *ctx)
{
    n->max_items = max_items;
    n->hook = hook;
    n->hook_ctx = ctx;
}

void dltc__normalizer_set_progress(dltc_normalizer *n, struct dltc__progress *pg)
{
    n->pg = pg;
}
