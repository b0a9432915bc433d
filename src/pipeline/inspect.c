/* `dlt pipeline NAME load-package | failed-jobs | drop-pending-packages | drop`: looking
 * into a pipeline's packages and taking things away from it (pending packages, tables). */
#include "pipeline/pipeline_impl.h"
#include "common/alloc.h"
#include "common/error.h"
#include "common/time.h"
#include "dltc/schema.h"
#include "formats/json.h"
#include "load/loader.h"
#include "load/sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const STAGE_NAMES[] = {"", "extracted", "normalized", "loaded"};

/* dlt lists a package's jobs in TPackageJobState order */
static const dltc_job_state JOB_ORDER[] = {DLTC_JOB_NEW, DLTC_JOB_FAILED, DLTC_JOB_STARTED,
                                           DLTC_JOB_COMPLETED};
static const char *job_folder(dltc_job_state st)
{
    static const char *const names[] = {"", "new_jobs", "started_jobs", "completed_jobs",
                                        "failed_jobs"};
    return names[st];
}

/* ---- small helpers ---- */

/* Python str() of an aware UTC datetime: "YYYY-MM-DD HH:MM:SS[.ffffff]+00:00". */
static int put_datetime(dltc_buf *b, int64_t us)
{
    char iso[DLTC_ISO_MAX];
    size_t n = dltc__format_timestamp(iso, us);
    char *t = memchr(iso, 'T', n);
    if (t)
        *t = ' ';
    return dltc__buf_put(b, iso, n);
}

/* humanize.naturalsize(n, binary=True, gnu=True): "186B", "1.5K", "2.0M", … */
static int put_size(dltc_buf *b, uint64_t n)
{
    static const char suffix[] = "KMGTPEZY";
    if (n < 1024)
        return dltc__buf_printf(b, "%lluB", (unsigned long long)n);
    double unit = 1024.0;
    for (size_t i = 0; i < sizeof(suffix) - 1; i++) {
        if ((double)n < unit * 1024.0 || i + 2 == sizeof(suffix))
            return dltc__buf_printf(b, "%.1f%c", (double)n / unit, suffix[i]);
        unit *= 1024.0;
    }
    return 0;
}

/* Python list repr of names: ['a', 'b'] */
static int put_list(dltc_buf *b, char *const *v, size_t n)
{
    int rc = dltc__buf_putc(b, '[');
    for (size_t i = 0; i < n && !rc; i++)
        rc = dltc__buf_printf(b, "%s'%s'", i ? ", " : "", v[i]);
    return rc ? rc : dltc__buf_puts(b, "]");
}

/* A job file name "<table>.<file_id>.<retry>.<format>[.gz]" split into its job id
 * "<table>.<file_id>.<format>[.gz]", table and format (each malloc'd). Names that do not
 * parse keep the whole name as the job id and an empty format. */
typedef struct {
    char *job_id;
    char *table;
    char *format;
} job_name;

static void job_name_clear(job_name *j)
{
    dltc__free(j->job_id);
    dltc__free(j->table);
    dltc__free(j->format);
    memset(j, 0, sizeof(*j));
}

static int job_name_parse(job_name *j, const char *file)
{
    const char *part[6];
    size_t len[6], n = 0;
    const char *s = file;
    while (n < 6) {
        const char *dot = strchr(s, '.');
        part[n] = s;
        len[n] = dot ? (size_t)(dot - s) : strlen(s);
        n++;
        if (!dot)
            break;
        s = dot + 1;
    }
    int gz = n == 5 && len[4] == 2 && !memcmp(part[4], "gz", 2);
    memset(j, 0, sizeof(*j));
    j->table = dltc__strndup(part[0], len[0]);
    if (n == 4 || gz) {
        dltc_buf b = DLTC_BUF_INIT;
        int rc = dltc__buf_printf(&b, "%.*s.%.*s.%.*s%s", (int)len[0], part[0], (int)len[1],
                                  part[1], (int)len[3], part[3], gz ? ".gz" : "");
        j->job_id = rc ? NULL : dltc__buf_detach(&b);
        dltc__buf_free(&b);
        j->format = dltc__strndup(part[3], len[3]);
    } else {
        j->job_id = dltc__strdup(file);
        j->format = dltc__strdup("");
    }
    if (!j->job_id || !j->table || !j->format) {
        job_name_clear(j);
        return dltc__error_oom();
    }
    return 0;
}

/* Read <dir>/<name> (NULL text when missing, not an error). */
static int read_optional(const char *dir, const char *name, char **text, size_t *len)
{
    dltc_buf p = DLTC_BUF_INIT;
    *text = NULL;
    int rc = dltc__buf_printf(&p, "%s/%s", dir, name);
    if (!rc) {
        rc = dltc__read_file(p.data, text, len);
        if (rc == DLTC_ENOTFOUND) {
            dltc_error_clear();
            rc = 0;
            *text = NULL;
        }
    }
    dltc__buf_free(&p);
    return rc;
}

/* mtime of <dir>/<name> in µs, 0 if missing. */
static int64_t mtime_us(const char *dir, const char *name)
{
    char path[8192];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    return (int64_t)st.st_mtim.tv_sec * 1000000 + st.st_mtim.tv_nsec / 1000;
}

/* Members of the top-level JSON object in `text` (tables in schema_updates.json). */
static size_t object_size(const char *text, size_t len)
{
    dltc_arena a;
    dltc__arena_init(&a, 4096);
    dltc_value *doc = NULL;
    size_t n = 0;
    if (dltc__json_parse(&a, text, len, 0, &doc, NULL) == 0 && doc->type == DLTC_TYPE_OBJECT)
        n = doc->len;
    else
        dltc_error_clear();
    dltc__arena_free(&a);
    return n;
}

/* A string member of the top-level object in `text` (malloc'd), NULL if absent. */
static char *json_string_member(const char *text, size_t len, const char *key)
{
    dltc_arena a;
    dltc__arena_init(&a, 4096);
    dltc_value *doc = NULL;
    char *s = NULL;
    if (dltc__json_parse(&a, text, len, 0, &doc, NULL) == 0 && doc->type == DLTC_TYPE_OBJECT) {
        const dltc_value *v = dltc_object_get(doc, key);
        if (v && v->type == DLTC_TYPE_STRING)
            s = dltc__strndup(v->u.s, v->len);
    }
    dltc_error_clear();
    dltc__arena_free(&a);
    return s;
}

/* ---- load-package ---- */

/* The stage holding `load_id`, 0 if none. */
static dltc_stage find_stage(dltc_pipeline *p, const char *load_id)
{
    for (int st = DLTC_STAGE_EXTRACTED; st <= DLTC_STAGE_LOADED; st++) {
        char *dir = dltc__package_path(p->storage, (dltc_stage)st, load_id);
        struct stat sb;
        int found = dir && stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode);
        dltc__free(dir);
        if (found)
            return (dltc_stage)st;
    }
    return (dltc_stage)0;
}

/* Load ids compare as the Unix times they are. */
static int newer(const char *a, const char *b)
{
    double x = strtod(a, NULL), y = strtod(b, NULL);
    return x != y ? x > y : strcmp(a, b) > 0;
}

static int newest_package(dltc_pipeline *p, char **out)
{
    *out = NULL;
    int rc = 0;
    for (int st = DLTC_STAGE_EXTRACTED; st <= DLTC_STAGE_LOADED && !rc; st++) {
        char **ids = NULL;
        size_t n = 0;
        rc = dltc__storage_list(p->storage, (dltc_stage)st, &ids, &n);
        for (size_t i = 0; i < n && !rc; i++)
            if (!*out || newer(ids[i], *out)) {
                dltc__free(*out);
                if (!(*out = dltc__strdup(ids[i])))
                    rc = dltc__error_oom();
            }
        dltc__strv_free(ids, n);
    }
    if (!rc && !*out)
        rc = dltc__error_set(DLTC_ENOTFOUND, "pipeline '%s' has no load packages", p->name);
    return rc;
}

static int package_jobs(dltc_pipeline *p, dltc_buf *b, dltc_stage stage, const char *load_id,
                        const char *dir)
{
    int rc = 0;
    for (size_t k = 0; k < 4 && !rc; k++) {
        char **files = NULL;
        size_t n = 0;
        rc = dltc__package_jobs(p->storage, stage, load_id, JOB_ORDER[k], &files, &n);
        for (size_t i = 0; i < n && !rc; i++) {
            job_name j;
            if ((rc = job_name_parse(&j, files[i])))
                break;
            char path[8192];
            snprintf(path, sizeof(path), "%s/%s/%s", dir, job_folder(JOB_ORDER[k]), files[i]);
            struct stat st;
            uint64_t size = stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
            rc = dltc__buf_printf(b, "Job: %s, table: %s in %s. File type: %s, size: ", j.job_id,
                                  j.table, job_folder(JOB_ORDER[k]), j.format);
            if (!rc)
                rc = put_size(b, size);
            /* started = when normalize wrote the file (mtime); a finished job's last move
             * into completed/failed_jobs is its ctime */
            int64_t born = (int64_t)st.st_mtim.tv_sec * 1000000 + st.st_mtim.tv_nsec / 1000;
            int64_t moved = (int64_t)st.st_ctim.tv_sec * 1000000 + st.st_ctim.tv_nsec / 1000;
            if (!rc && size)
                rc = dltc__buf_puts(b, ". Started on: ");
            if (!rc && size)
                rc = put_datetime(b, born);
            if (!rc && size &&
                (JOB_ORDER[k] == DLTC_JOB_COMPLETED || JOB_ORDER[k] == DLTC_JOB_FAILED))
                rc = dltc__buf_printf(b, " and completed in %.2f seconds",
                                      (double)(moved > born ? moved - born : 0) / 1e6);
            if (!rc)
                rc = dltc__buf_puts(b, ".\n");
            job_name_clear(&j);
        }
        dltc__strv_free(files, n);
    }
    return rc;
}

int dltc_pipeline_load_package_info(dltc_pipeline *p, const char *load_id, char **out)
{
    char *id = NULL;
    int rc = 0;
    if (load_id) {
        if (!*load_id || load_id[0] == '.' || strchr(load_id, '/'))
            return dltc__error_set(DLTC_EINVALID, "'%s' is not a load id", load_id);
        if (!(id = dltc__strdup(load_id)))
            return dltc__error_oom();
    } else if ((rc = newest_package(p, &id))) {
        return rc;
    }
    dltc_stage stage = find_stage(p, id);
    if (!stage) {
        rc = dltc__error_set(DLTC_ENOTFOUND, "no load package with load id %s in pipeline '%s'",
                             id, p->name);
        dltc__free(id);
        return rc;
    }
    char *dir = dltc__package_path(p->storage, stage, id);
    char *text = NULL, *schema_name = NULL, *state = NULL, *created = NULL;
    size_t len = 0, nupdates = 0;
    int64_t ts = 0;
    dltc_buf b = DLTC_BUF_INIT;
    if (!dir)
        rc = dltc__error_oom();
    /* state: the stage, or what package_completed.json says */
    if (!rc)
        rc = read_optional(dir, "package_completed.json", &text, &len);
    if (!rc && text && stage == DLTC_STAGE_LOADED) {
        size_t n = strcspn(text, " \t\r\n");
        state = dltc__strndup(text, n);
        ts = mtime_us(dir, "package_completed.json");
    } else if (!rc) {
        state = dltc__strdup(STAGE_NAMES[stage]);
    }
    if (!rc && !state)
        rc = dltc__error_oom();
    for (char *c = state; c && *c; c++)
        if (*c >= 'a' && *c <= 'z')
            *c = (char)(*c - 'a' + 'A');
    dltc__free(text);
    text = NULL;
    /* tables updated: applied_schema_updates.json after the migration, else schema_updates */
    if (!rc)
        rc = read_optional(dir, "applied_schema_updates.json", &text, &len);
    if (!rc && !text)
        rc = read_optional(dir, "schema_updates.json", &text, &len);
    if (!rc && text)
        nupdates = object_size(text, len);
    dltc__free(text);
    text = NULL;
    if (!rc)
        rc = read_optional(dir, "schema.json", &text, &len);
    if (!rc && text)
        schema_name = json_string_member(text, len, "name");
    dltc__free(text);
    text = NULL;
    if (!rc && !ts) {
        rc = read_optional(dir, "load_package_state.json", &text, &len);
        if (!rc && text)
            created = json_string_member(text, len, "created_at");
        dltc_iso iso;
        if (created && dltc__iso_parse(created, strlen(created), &iso) == 0 &&
            iso.kind == DLTC_ISO_DATETIME)
            ts = iso.value;
        dltc_error_clear();
        dltc__free(text);
        text = NULL;
    }
    if (!rc)
        rc = dltc__buf_printf(&b,
                              "Package %s found in %s\nThe package with load id %s for schema %s "
                              "is in %s state. It updated schema for %zu tables. ",
                              id, dir, id, schema_name ? schema_name : p->schema_name, state,
                              nupdates);
    if (!rc && ts) {
        rc = dltc__buf_printf(&b, "The package was %s at ", state);
        if (!rc)
            rc = put_datetime(&b, ts);
        if (!rc)
            rc = dltc__buf_puts(&b, ".\n");
    } else if (!rc) {
        rc = dltc__buf_puts(&b, "The package is NOT YET LOADED to the destination.\n");
    }
    if (!rc)
        rc = dltc__buf_puts(&b, "Jobs details:\n");
    if (!rc)
        rc = package_jobs(p, &b, stage, id, dir);
    dltc__free(created);
    dltc__free(schema_name);
    dltc__free(state);
    dltc__free(dir);
    dltc__free(id);
    if (rc) {
        dltc__buf_free(&b);
        return rc;
    }
    *out = dltc__buf_detach(&b);
    return *out ? 0 : dltc__error_oom();
}

/* ---- failed-jobs ---- */

static int package_failed_jobs(dltc_pipeline *p, dltc_buf *b, dltc_stage stage, const char *id)
{
    char **files = NULL;
    size_t n = 0;
    char *dir = dltc__package_path(p->storage, stage, id);
    int rc = dir ? dltc__buf_printf(b, "Checking failed jobs in load id '%s'\n", id)
                 : dltc__error_oom();
    if (!rc)
        rc = dltc__package_jobs(p->storage, stage, id, DLTC_JOB_FAILED, &files, &n);
    if (!rc && n == 0)
        rc = dltc__buf_puts(b, "No failed jobs found\n");
    for (size_t i = 0; i < n && !rc; i++) {
        job_name j;
        if ((rc = job_name_parse(&j, files[i])))
            break;
        rc = dltc__buf_printf(b, "JOB: %s(%s)\nJOB file type: %s\nJOB file path: %s/failed_jobs/%s\n",
                              j.job_id, j.table, j.format, dir, files[i]);
        job_name_clear(&j);
        char *msg = NULL;
        size_t len = 0;
        dltc_buf name = DLTC_BUF_INIT;
        if (!rc)
            rc = dltc__buf_printf(&name, "failed_jobs/%s.exception", files[i]);
        if (!rc)
            rc = read_optional(dir, name.data, &msg, &len);
        if (!rc && msg) {
            while (len && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
                msg[--len] = '\0';
            rc = dltc__buf_printf(b, "%s\n", msg);
        }
        if (!rc)
            rc = dltc__buf_putc(b, '\n');
        dltc__free(msg);
        dltc__buf_free(&name);
    }
    dltc__strv_free(files, n);
    dltc__free(dir);
    return rc;
}

int dltc_pipeline_failed_jobs(dltc_pipeline *p, char **out)
{
    /* as dlt: completed packages, then normalized ones */
    static const dltc_stage stages[] = {DLTC_STAGE_LOADED, DLTC_STAGE_NORMALIZED};
    dltc_buf b = DLTC_BUF_INIT;
    int rc = 0;
    for (size_t s = 0; s < 2 && !rc; s++) {
        char **ids = NULL;
        size_t n = 0;
        rc = dltc__storage_list(p->storage, stages[s], &ids, &n);
        for (size_t i = 0; i < n && !rc; i++)
            rc = package_failed_jobs(p, &b, stages[s], ids[i]);
        dltc__strv_free(ids, n);
    }
    if (rc) {
        dltc__buf_free(&b);
        return rc;
    }
    *out = dltc__buf_detach(&b);
    return *out ? 0 : dltc__error_oom();
}

/* ---- drop-pending-packages ---- */

/* The run marker of run.c: a run that died leaves it; without its package it means nothing. */
static void remove_run_marker(dltc_pipeline *p)
{
    dltc_buf path = DLTC_BUF_INIT;
    if (dltc__buf_printf(&path, "%s/.run", p->working_dir) == 0 && unlink(path.data) == 0)
        dltc__fsync_dir(p->working_dir);
    dltc__buf_free(&path);
}

int dltc_pipeline_drop_pending_packages(dltc_pipeline *p, size_t *count, char **out)
{
    static const dltc_stage stages[] = {DLTC_STAGE_EXTRACTED, DLTC_STAGE_NORMALIZED};
    if (count)
        *count = 0;
    if (out)
        *out = NULL;
    int rc = dltc__pipeline_lock(p);
    if (rc)
        return rc;
    dltc_buf b = DLTC_BUF_INIT;
    size_t dropped = 0;
    rc = 0;
    for (size_t s = 0; s < 2 && !rc; s++) {
        char **ids = NULL;
        size_t n = 0;
        rc = dltc__storage_list(p->storage, stages[s], &ids, &n);
        for (size_t i = 0; i < n && !rc; i++) {
            rc = dltc__package_delete(p->storage, stages[s], ids[i]);
            if (!rc) {
                dropped++;
                rc = dltc__buf_printf(&b, "Deleted %s package %s\n", STAGE_NAMES[stages[s]],
                                      ids[i]);
            }
        }
        dltc__strv_free(ids, n);
    }
    if (!rc)
        remove_run_marker(p);
    dltc__pipeline_unlock(p);
    if (count)
        *count = dropped;
    if (!rc && out && !(*out = dltc__buf_detach(&b)))
        rc = dltc__error_oom();
    dltc__buf_free(&b);
    return rc;
}

/* ---- drop tables ---- */



/* Remove the tables marked in `drop` (indexes into s->tables) from the schema, with their
 * _dlt_root_id propagation entries, keeping the order of the others and rebuilding the
 * name map. */
static int schema_remove_tables(dltc_schema *s, const unsigned char *drop)
{
    size_t k = 0;
    for (size_t i = 0; i < s->ntables; i++) {
        if (!drop[i]) {
            s->tables[k++] = s->tables[i];
            continue;
        }
        dltc_table *t = s->tables[i];
        size_t m = 0;
        for (size_t r = 0; r < s->npropagation_roots; r++) {
            if (strcmp(s->propagation_roots[r], t->name) == 0)
                dltc__free(s->propagation_roots[r]);
            else
                s->propagation_roots[m++] = s->propagation_roots[r];
        }
        s->npropagation_roots = m;
        dltc__table_free(t);
    }
    s->ntables = k;
    s->dirty = 1;
    dltc__strmap_free(&s->tablemap);
    for (size_t i = 0; i < s->ntables; i++)
        if (dltc__strmap_put(&s->tablemap, s->tables[i]->name, strlen(s->tables[i]->name), i))
            return dltc__error_oom();
    return 0;
}

static size_t table_depth(const dltc_schema *s, dltc_table *t)
{
    size_t d = 0;
    while (t && t->parent && d < s->ntables) {
        t = dltc__schema_table(s, t->parent, strlen(t->parent));
        d++;
    }
    return d;
}

/* What a drop takes away: the root tables asked for and their nested tables, children first. */
typedef struct {
    unsigned char *drop;   /* per schema table */
    char **roots;          /* names (owned: they outlive the tables removed from the schema) */
    size_t nroots;
    char **tables;         /* names (owned), children first */
    size_t ntables;
    char **in_destination; /* lent names of those that exist in the destination */
    size_t nin_destination;
} drop_plan;

static void drop_plan_free(drop_plan *d)
{
    for (size_t i = 0; d->roots && i < d->nroots; i++)
        dltc__free(d->roots[i]);
    for (size_t i = 0; d->tables && i < d->ntables; i++)
        dltc__free(d->tables[i]);
    dltc__free(d->drop);
    dltc__free(d->roots);
    dltc__free(d->tables);
    dltc__free(d->in_destination);
}

static int plan_drop(dltc_schema *s, const char *const *names, size_t n, drop_plan *d)
{
    memset(d, 0, sizeof(*d));
    if (!n)
        return dltc__error_set(DLTC_EINVALID, "no tables to drop");
    d->drop = dltc__calloc(s->ntables + 1, 1);
    d->roots = dltc__calloc(n, sizeof(char *));
    d->tables = dltc__calloc(s->ntables + 1, sizeof(char *));
    d->in_destination = dltc__calloc(s->ntables + 1, sizeof(char *));
    if (!d->drop || !d->roots || !d->tables || !d->in_destination)
        return dltc__error_oom();
    for (size_t i = 0; i < n; i++) {
        const char *name = names[i];
        if (strncmp(name, "_dlt_", 5) == 0)
            return dltc__error_set(DLTC_EINVALID, "'%s' is a system table and cannot be dropped",
                                   name);
        dltc_table *t = dltc__schema_table(s, name, strlen(name));
        if (!t)
            return dltc__error_set(DLTC_ENOTFOUND, "table '%s' is not in schema '%s'", name,
                                   s->name);
        if (t->parent)
            return dltc__error_set(DLTC_EINVALID,
                                   "'%s' is a nested table of '%s': drop its root table", name,
                                   dltc__schema_root_table(s, t)->name);
        int seen = 0;
        for (size_t k = 0; k < d->nroots && !seen; k++)
            seen = strcmp(d->roots[k], t->name) == 0;
        if (!seen && !(d->roots[d->nroots++] = dltc__strdup(t->name)))
            return dltc__error_oom();
    }
    size_t maxdepth = 0;
    for (size_t i = 0; i < s->ntables; i++) {
        dltc_table *root = dltc__schema_root_table(s, s->tables[i]);
        for (size_t k = 0; k < d->nroots && !d->drop[i]; k++)
            d->drop[i] = strcmp(root->name, d->roots[k]) == 0;
        size_t depth = table_depth(s, s->tables[i]);
        if (d->drop[i] && depth > maxdepth)
            maxdepth = depth;
    }
    /* deepest first, schema order within a depth */
    for (size_t depth = maxdepth + 1; depth-- > 0;)
        for (size_t i = 0; i < s->ntables; i++)
            if (d->drop[i] && table_depth(s, s->tables[i]) == depth &&
                !(d->tables[d->ntables++] = dltc__strdup(s->tables[i]->name)))
                return dltc__error_oom();
    return 0;
}

static int check_in_destination(dltc_dest *db, const char *dataset, drop_plan *d)
{
    for (size_t i = 0; i < d->ntables; i++) {
        char **names = NULL;
        size_t n = 0;
        int exists = 0;
        int rc = dltc__dest_table_columns(db, dataset, d->tables[i], &names, &n, &exists);
        dltc__strv_free(names, n);
        if (rc)
            return rc;
        if (exists)
            d->in_destination[d->nin_destination++] = d->tables[i];
    }
    return 0;
}

static int put_plan(dltc_pipeline *p, dltc_buf *b, const dltc_schema *s, const drop_plan *d)
{
    int rc = dltc__buf_printf(b,
                              "About to drop the following data in dataset %s in destination "
                              "%s:\nSelected schema: %s\nSelected resource(s): ",
                              p->dataset, p->destination, s->name);
    if (!rc)
        rc = put_list(b, d->roots, d->nroots);
    if (!rc)
        rc = dltc__buf_puts(b, "\nTable(s) to drop: ");
    if (!rc)
        rc = put_list(b, d->tables, d->ntables);
    if (!rc)
        rc = dltc__buf_puts(b, "\n\twith data in destination: ");
    if (!rc)
        rc = put_list(b, d->in_destination, d->nin_destination);
    /* resources keep no state yet (sources state is {}): nothing to reset */
    if (!rc)
        rc = dltc__buf_puts(b, "\nResource(s) state to reset: []\n"
                               "Source state path(s) to reset: []\n");
    return rc;
}

static int has_pending(dltc_pipeline *p, int *yes)
{
    *yes = 0;
    for (int st = DLTC_STAGE_EXTRACTED; st <= DLTC_STAGE_NORMALIZED && !*yes; st++) {
        char **ids = NULL;
        size_t n = 0;
        int rc = dltc__storage_list(p->storage, (dltc_stage)st, &ids, &n);
        dltc__strv_free(ids, n);
        if (rc)
            return rc;
        *yes = n > 0;
    }
    return 0;
}

/* DROP the tables (children first) and record the new schema, in one transaction. */
static int drop_in_destination(dltc_dest *db, const char *dataset, const drop_plan *d,
                               dltc_schema *s, const char *doc)
{
    int rc = dltc__dest_exec(db, "BEGIN TRANSACTION");
    if (rc)
        return rc;
    dltc_buf q = DLTC_BUF_INIT;
    for (size_t i = 0; i < d->ntables && !rc; i++) {
        dltc__buf_clear(&q);
        rc = dltc__buf_puts(&q, "DROP TABLE IF EXISTS ");
        if (!rc)
            rc = dltc__sql_qualified(&q, dataset, d->tables[i]);
        if (!rc)
            rc = dltc__dest_exec(db, q.data);
    }
    dltc__buf_free(&q);
    if (!rc)
        rc = dltc__load_record_schema(db, dataset, s);
    if (!rc)
        rc = dltc__dest_exec(db, "COMMIT");
    if (rc) {
        dltc_error err = *dltc_error_last();
        char msg[1024];
        snprintf(msg, sizeof(msg), "%s", err.message);
        dltc__dest_exec(db, "ROLLBACK");
        dltc__error_set(rc, "%s", msg);
    }
    return rc;
}

int dltc_pipeline_drop_tables(dltc_pipeline *p, const char *const *tables, size_t n, int apply,
                              char **out)
{
    *out = NULL;
    int rc = 0;
    if (apply && (rc = dltc__pipeline_lock(p)))
        return rc;
    dltc_schema *s = NULL;
    dltc_dest *db = NULL;
    drop_plan d;
    memset(&d, 0, sizeof(d));
    dltc_buf b = DLTC_BUF_INIT;
    char *doc = NULL;
    rc = dltc__pipeline_schema(p, &s);
    if (!rc)
        rc = plan_drop(s, tables, n, &d);
    if (!rc)
        rc = dltc__pipeline_dest_open(p, DLTC_DEST_READ, &db);
    if (!rc && db)
        rc = check_in_destination(db, p->dataset, &d);
    if (!rc)
        rc = put_plan(p, &b, s, &d);
    if (!rc && apply) {
        int pending = 0;
        rc = has_pending(p, &pending);
        if (!rc && pending)
            rc = dltc__error_set(DLTC_EINVALID,
                                 "pipeline '%s' has pending packages: load them (dlt load) or "
                                 "delete them (dlt pipeline %s drop-pending-packages) first",
                                 p->name, p->name);
    }
    if (!rc && apply) {
        size_t ndrop = d.ntables;
        rc = schema_remove_tables(s, d.drop);
        /* the new version (bumped once here; saving it again does not bump) */
        if (!rc)
            rc = dltc_schema_export(&doc, s, DLTC_SCHEMA_JSON, 0);
        if (!rc && db && p->dest->drop_tables) {
            dltc_dest_target t;
            dltc__pipeline_dest_target(p, &t);
            rc = p->dest->drop_tables(&t, s, (const char *const *)d.tables, d.ntables);
        } else if (!rc && db) {
            rc = drop_in_destination(db, p->dataset, &d, s, doc);
        }
        if (!rc)
            rc = dltc__pipeline_save_schema(p, s);
        if (!rc)
            rc = dltc__buf_printf(&b,
                                  "Dropped %zu table(s) from the destination and from schema %s "
                                  "(now version %lld, %s).\n",
                                  ndrop, s->name, (long long)dltc_schema_version(s),
                                  dltc_schema_version_hash(s));
    }
    dltc_free(doc);
    dltc__dest_close(db);
    drop_plan_free(&d);
    dltc_schema_free(s);
    if (apply)
        dltc__pipeline_unlock(p);
    if (!rc && !(*out = dltc__buf_detach(&b)))
        rc = dltc__error_oom();
    dltc__buf_free(&b);
    return rc;
}
