/*
 * github_server — a deterministic fake of the part of GitHub's REST API that dlt's tutorial
 * uses (issues, comments, traffic/clones), for the tutorial programs in examples/github and
 * tests/cli/github.sh. libmicrohttpd on 127.0.0.1, a kernel-chosen port.
 *
 *   github_server --port-file F [--token T] [--issues N] [--repo OWNER/NAME] [--port P]
 *                 [--ignore-stdin] [--verbose]
 *
 * The port is written to F (atomically) once the server listens. It runs until SIGTERM or
 * SIGINT, or until its standard input reaches end of file, so a test that dies never leaves
 * it behind (--ignore-stdin turns the latter off for runs by hand).
 *
 * The data is a pure function of the options and of the admin calls made so far: a logical
 * clock starts at 2024-01-01T00:00:00Z and every change (an issue or comment created or
 * edited) advances it by one hour, so created_at/updated_at never depend on the wall clock.
 * Seeded issue n is closed when n % 4 == 0 and a pull request when n % 7 == 0; it has
 * n % 3 comments. Issues added later are open.
 *
 * GitHub endpoints (GET; unknown query parameters are ignored, as GitHub ignores them):
 *   /repos/{o}/{r}/issues                 per_page (30, max 100), page, state (open|closed|
 *                                         all), sort (created|updated|comments), direction
 *                                         (desc|asc), since (updated at or after)
 *   /repos/{o}/{r}/issues/{n}             one issue
 *   /repos/{o}/{r}/issues/comments        all comments: per_page, page, since, sort
 *   /repos/{o}/{r}/comments               (created|updated), direction (asc without sort)
 *   /repos/{o}/{r}/issues/{n}/comments    comments of one issue: per_page, page, since
 *   /repos/{o}/{r}/traffic/clones         needs "Authorization: Bearer T" or "token T"
 *   /repos/{o}/{r}                        the repository: of the served one its issue counts,
 *                                         of any other one made-up statistics; the stars of
 *                                         every repository grow with the clock (the
 *                                         repo-stats pipeline of examples/python)
 * Lists are paginated with GitHub's Link header (prev, next, last, first; absolute URLs that
 * keep the other query parameters). A wrong token is 401 "Bad credentials" on any endpoint.
 *
 * Admin endpoints (not GitHub's):
 *   POST /_admin/add?issues=N&comments=M      N new open issues; M new comments
 *   POST /_admin/update?issues=N&comments=M   edit N open issues (title, body, updated_at),
 *                                             oldest first and rotating; M comments likewise
 *   POST /_admin/reset_stats                  forget the request counters
 *   POST /_admin/fault?path=P&count=N&status=S   the next N GET requests of a path starting
 *                                             with P fail with status S (429 and 503 carry
 *                                             "Retry-After: 0")
 *   POST /_admin/fault?path=P&count=N&truncate=1 the next N are answered 200 with the whole
 *                                             Content-Length announced and half the body
 *                                             sent before the connection is cut
 *   POST /_admin/clear_faults                 forget the faults not yet served
 *   GET  /_admin/stats                        text, one fact a line:
 *        clock <iso>, issues <n>, open_issues <n>, comments <n>,
 *        requests <path> <n>, since <path> <n>, pages <path> <n>, last_query <path> <query>
 *   ("requests" counts every request of a path, "since" those that sent since=, "pages"
 *   those answered 200.)
 *
 * One polling thread answers every request, so the data needs no lock.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define CLOCK_START 1704067200 /* 2024-01-01T00:00:00Z */
#define CLOCK_STEP 3600
#define MAX_ITEMS 100000
#define MAX_PATHS 128
#define DEFAULT_ISSUES 250

/* ---- growable text ---- */

typedef struct {
    char *data;
    size_t len, cap;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p) {
            fputs("github_server: out of memory\n", stderr);
            abort();
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void sb_puts(sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(tmp)) {
        sb_put(b, tmp, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big)
        abort();
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb_put(b, big, (size_t)n);
    free(big);
}

/* a JSON string literal */
static void sb_json_str(sbuf *b, const char *s)
{
    sb_puts(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            sb_printf(b, "\\%c", *p);
        else if (*p == '\n')
            sb_puts(b, "\\n");
        else if (*p < 0x20)
            sb_printf(b, "\\u%04x", *p);
        else
            sb_put(b, (const char *)p, 1);
    }
    sb_puts(b, "\"");
}

/* form-encode a query value (unreserved characters kept) */
static void sb_url_encode(sbuf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~')
            sb_put(b, (const char *)p, 1);
        else
            sb_printf(b, "%%%02X", *p);
    }
}

/* ---- time ---- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void format_iso(char out[64], int64_t t)
{
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int64_t secs = t - days * 86400;
    /* civil_from_days */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    snprintf(out, 64, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)y, m, d,
             (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60), (unsigned)(secs % 60));
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* ISO 8601 as GitHub's `since` takes it: YYYY-MM-DD[THH:MM[:SS[.f…]]][Z|±HH[:MM]]; no zone is
 * UTC. A '+' that arrived unencoded in a query may reach us as a space: read it as '+'.
 * Returns 0 and epoch seconds (fractions dropped), -1 when malformed. */
static int parse_iso(const char *s, int64_t *out)
{
    int y, mo, d, h = 0, mi = 0, se = 0;
    size_t n = strlen(s);
    if (n < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > 31)
        return -1;
    const char *p = s + 10;
    if (*p == 'T' || *p == 't' || (*p == ' ' && p[1] >= '0' && p[1] <= '9' && p[3] == ':')) {
        p++;
        if (strlen(p) < 5 || digits(p, 2, &h) || p[2] != ':' || digits(p + 3, 2, &mi))
            return -1;
        p += 5;
        if (*p == ':') {
            if (digits(p + 1, 2, &se))
                return -1;
            p += 3;
            if (*p == '.' || *p == ',') {
                p++;
                if (*p < '0' || *p > '9')
                    return -1;
                while (*p >= '0' && *p <= '9')
                    p++;
            }
        }
        if (h > 23 || mi > 59 || se > 60)
            return -1;
    }
    int64_t off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-' || *p == ' ') {
        int sign = *p == '-' ? -1 : 1, oh, om = 0;
        p++;
        if (digits(p, 2, &oh))
            return -1;
        p += 2;
        if (*p == ':')
            p++;
        if (*p) {
            if (digits(p, 2, &om))
                return -1;
            p += 2;
        }
        off = sign * (oh * 3600 + om * 60);
    }
    if (*p)
        return -1;
    *out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se - off;
    return 0;
}

/* ---- the repository ---- */

typedef struct {
    int number;
    int closed;
    int64_t created, updated, closed_at;
    int edits;
} issue;

typedef struct {
    int64_t id;
    int issue_number;
    int64_t created, updated;
    int edits;
} comment;

typedef struct {
    char path[160];
    unsigned requests, with_since, pages;
    char last_query[512];
} path_stats;

static struct {
    char owner[64], name[64];
    const char *token;
    int verbose;
    int64_t clock;
    issue *issues;
    size_t n_issues;
    comment *comments;
    size_t n_comments;
    size_t next_issue_edit, next_comment_edit, next_comment_target;
    path_stats stats[MAX_PATHS];
    size_t n_stats;
} repo;

static const char *const USERS[] = {"alice", "bob", "carol", "dave", "erin"};
static const struct {
    int id;
    const char *name, *color, *description;
} LABELS[] = {{208045946, "bug", "d73a4a", "Something isn't working"},
              {208045947, "enhancement", "a2eeef", "New feature or request"},
              {208045948, "documentation", "0075ca", "Improvements or additions to documentation"},
              {208045949, "question", "d876e3", "Further information is requested"},
              {208045950, "good first issue", "7057ff", "Good for newcomers"}};
static const char *const TOPICS[] = {
    "pipeline fails on nested lists", "add a paginator for cursors",
    "docs: incremental loading",      "merge with composite keys",
    "DuckDB destination is slow",     "support parquet files",
    "schema contract question",       "retry on 502"};

static int64_t tick(void)
{
    repo.clock += CLOCK_STEP;
    return repo.clock;
}

static void add_issue(int closed)
{
    if (repo.n_issues >= MAX_ITEMS)
        return;
    issue *is = realloc(repo.issues, (repo.n_issues + 1) * sizeof(*is));
    if (!is)
        abort();
    repo.issues = is;
    issue *i = &repo.issues[repo.n_issues++];
    memset(i, 0, sizeof(*i));
    i->number = (int)repo.n_issues;
    i->created = i->updated = tick();
    if (closed) {
        i->closed = 1;
        i->closed_at = i->created;
    }
}

static void add_comment(int issue_number)
{
    if (repo.n_comments >= MAX_ITEMS)
        return;
    comment *cs = realloc(repo.comments, (repo.n_comments + 1) * sizeof(*cs));
    if (!cs)
        abort();
    repo.comments = cs;
    comment *c = &repo.comments[repo.n_comments++];
    memset(c, 0, sizeof(*c));
    c->id = 1500000000 + (int64_t)repo.n_comments;
    c->issue_number = issue_number;
    c->created = c->updated = tick();
}

static size_t issue_comment_count(int number)
{
    size_t n = 0;
    for (size_t i = 0; i < repo.n_comments; i++)
        n += repo.comments[i].issue_number == number;
    return n;
}

static void seed(size_t n)
{
    repo.clock = CLOCK_START;
    for (size_t i = 1; i <= n; i++)
        add_issue(i % 4 == 0);
    for (size_t i = 1; i <= n; i++)
        for (size_t k = 0; k < i % 3; k++)
            add_comment((int)i);
}

/* ---- JSON of the resources ---- */

static void user_json(sbuf *b, int k)
{
    const char *login = USERS[k % 5];
    sb_printf(b,
              "{\"login\":\"%s\",\"id\":%d,\"node_id\":\"MDQ6VXNlcj%d\",\"type\":\"User\","
              "\"site_admin\":false,\"html_url\":\"https://github.com/%s\"}",
              login, 1001 + k % 5, 1001 + k % 5, login);
}

static void reactions_json(sbuf *b, int seed_value)
{
    int up = seed_value % 4, heart = seed_value % 3 == 0;
    sb_printf(b,
              "{\"total_count\":%d,\"+1\":%d,\"-1\":0,\"laugh\":0,\"hooray\":0,"
              "\"confused\":0,\"heart\":%d,\"rocket\":0,\"eyes\":0}",
              up + heart, up, heart);
}

static void issue_json(sbuf *b, const char *base, const issue *i)
{
    char created[64], updated[64], closed[64];
    format_iso(created, i->created);
    format_iso(updated, i->updated);
    format_iso(closed, i->closed_at);
    const char *o = repo.owner, *r = repo.name;
    int n = i->number;
    sb_printf(b,
              "{\"url\":\"%s/repos/%s/%s/issues/%d\",\"repository_url\":\"%s/repos/%s/%s\","
              "\"comments_url\":\"%s/repos/%s/%s/issues/%d/comments\","
              "\"html_url\":\"https://github.com/%s/%s/%s/%d\",\"id\":%lld,"
              "\"node_id\":\"I_kwDOGvRYu8%06d\",\"number\":%d,\"title\":",
              base, o, r, n, base, o, r, base, o, r, n, o, r, n % 7 == 0 ? "pull" : "issues", n,
              2000000000LL + n, n, n);
    char title[160];
    if (i->edits)
        snprintf(title, sizeof(title), "Issue %d: %s (edited %d)", n, TOPICS[n % 8], i->edits);
    else
        snprintf(title, sizeof(title), "Issue %d: %s", n, TOPICS[n % 8]);
    sb_json_str(b, title);
    sb_puts(b, ",\"user\":");
    user_json(b, n);
    sb_puts(b, ",\"labels\":[");
    int first = 1;
    for (int k = 0; k < 5; k++) {
        if (n % (k + 2) != 0)
            continue;
        sb_printf(b,
                  "%s{\"id\":%d,\"node_id\":\"LA_kwDO%d\",\"url\":\"%s/repos/%s/%s/labels/"
                  "%s\",\"name\":",
                  first ? "" : ",", LABELS[k].id, LABELS[k].id, base, o, r,
                  k == 4 ? "good%20first%20issue" : LABELS[k].name);
        sb_json_str(b, LABELS[k].name);
        sb_printf(b, ",\"color\":\"%s\",\"default\":%s,\"description\":", LABELS[k].color,
                  k < 4 ? "true" : "false");
        sb_json_str(b, LABELS[k].description);
        sb_puts(b, "}");
        first = 0;
    }
    sb_printf(b,
              "],\"state\":\"%s\",\"locked\":false,\"assignee\":", i->closed ? "closed" : "open");
    if (n % 5 == 1)
        user_json(b, n + 1);
    else
        sb_puts(b, "null");
    sb_puts(b, ",\"assignees\":[");
    if (n % 5 == 1)
        user_json(b, n + 1);
    sb_printf(b,
              "],\"milestone\":null,\"comments\":%zu,\"created_at\":\"%s\","
              "\"updated_at\":\"%s\",\"closed_at\":",
              issue_comment_count(n), created, updated);
    if (i->closed)
        sb_printf(b, "\"%s\"", closed);
    else
        sb_puts(b, "null");
    sb_printf(b, ",\"author_association\":\"%s\",\"active_lock_reason\":null,",
              n % 2 ? "CONTRIBUTOR" : "MEMBER");
    if (n % 7 == 0)
        sb_printf(b,
                  "\"draft\":false,\"pull_request\":{\"url\":\"%s/repos/%s/%s/pulls/%d\","
                  "\"html_url\":\"https://github.com/%s/%s/pull/%d\",\"merged_at\":null},",
                  base, o, r, n, o, r, n);
    char body[256];
    snprintf(body, sizeof(body), "Steps to reproduce issue %d.\n\nRevision %d.", n, i->edits);
    sb_puts(b, "\"body\":");
    sb_json_str(b, body);
    sb_puts(b, ",\"reactions\":");
    reactions_json(b, n);
    sb_puts(b, ",\"state_reason\":");
    sb_puts(b, i->closed ? "\"completed\"" : "null");
    sb_puts(b, "}");
}

static void comment_json(sbuf *b, const char *base, const comment *c)
{
    char created[64], updated[64];
    format_iso(created, c->created);
    format_iso(updated, c->updated);
    const char *o = repo.owner, *r = repo.name;
    sb_printf(b,
              "{\"url\":\"%s/repos/%s/%s/issues/comments/%lld\","
              "\"html_url\":\"https://github.com/%s/%s/issues/%d#issuecomment-%lld\","
              "\"issue_url\":\"%s/repos/%s/%s/issues/%d\",\"id\":%lld,"
              "\"node_id\":\"IC_kwDOGvRYu8%lld\",\"user\":",
              base, o, r, (long long)c->id, o, r, c->issue_number, (long long)c->id, base, o, r,
              c->issue_number, (long long)c->id, (long long)c->id);
    user_json(b, (int)(c->id % 5) + 1);
    sb_printf(b,
              ",\"created_at\":\"%s\",\"updated_at\":\"%s\",\"author_association\":\"%s\","
              "\"body\":",
              created, updated, c->id % 2 ? "CONTRIBUTOR" : "NONE");
    char body[160];
    if (c->edits)
        snprintf(body, sizeof(body), "Comment %lld on #%d (edited %d)", (long long)c->id,
                 c->issue_number, c->edits);
    else
        snprintf(body, sizeof(body), "Comment %lld on #%d", (long long)c->id, c->issue_number);
    sb_json_str(b, body);
    sb_puts(b, ",\"reactions\":");
    reactions_json(b, (int)(c->id % 11));
    sb_puts(b, ",\"performed_via_github_app\":null}");
}

/* ---- requests ---- */

typedef struct {
    struct MHD_Connection *conn;
    const char *path;
    char base[128]; /* "http://127.0.0.1:<port>" as the client addressed us */
    int status;
    int truncate;   /* send half the body, then cut the connection */
    sbuf body;
    sbuf link;
    const char *content_type;
} reply;

static const char *arg(reply *rp, const char *name)
{
    return MHD_lookup_connection_value(rp->conn, MHD_GET_ARGUMENT_KIND, name);
}

static long arg_long(reply *rp, const char *name, long dflt)
{
    const char *v = arg(rp, name);
    if (!v || !*v)
        return dflt;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end)
        return dflt;
    return n;
}

static void message(reply *rp, int status, const char *msg)
{
    rp->status = status;
    rp->body.len = 0;
    sb_puts(&rp->body, "{\"message\":");
    sb_json_str(&rp->body, msg);
    sb_puts(&rp->body, ",\"documentation_url\":\"https://docs.github.com/rest\"}");
}

static path_stats *stats_of(const char *path)
{
    for (size_t i = 0; i < repo.n_stats; i++)
        if (!strcmp(repo.stats[i].path, path))
            return &repo.stats[i];
    if (repo.n_stats == MAX_PATHS)
        return NULL;
    path_stats *s = &repo.stats[repo.n_stats++];
    memset(s, 0, sizeof(*s));
    snprintf(s->path, sizeof(s->path), "%s", path);
    return s;
}

/* the query string as received (decoded values re-encoded), without `skip` */
typedef struct {
    sbuf *b;
    const char *skip;
} query_ctx;

static enum MHD_Result query_part(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    query_ctx *q = cls;
    if (q->skip && !strcmp(key, q->skip))
        return MHD_YES;
    if (q->b->len)
        sb_puts(q->b, "&");
    sb_url_encode(q->b, key);
    if (value) {
        sb_puts(q->b, "=");
        sb_url_encode(q->b, value);
    }
    return MHD_YES;
}

static void query_without(reply *rp, const char *skip, sbuf *out)
{
    query_ctx q = {out, skip};
    MHD_get_connection_values(rp->conn, MHD_GET_ARGUMENT_KIND, query_part, &q);
}

static void link_to(reply *rp, const sbuf *query, long page, const char *rel)
{
    if (rp->link.len)
        sb_puts(&rp->link, ", ");
    sb_printf(&rp->link, "<%s%s?", rp->base, rp->path);
    if (query->len)
        sb_printf(&rp->link, "%s&", query->data);
    sb_printf(&rp->link, "page=%ld>; rel=\"%s\"", page, rel);
}

typedef struct {
    long per_page, page;
    int has_since;
    int64_t since;
} list_args;

/* per_page, page and since; 0, or -1 after setting a 422 reply */
static int list_params(reply *rp, list_args *a)
{
    a->per_page = arg_long(rp, "per_page", 30);
    if (a->per_page < 1)
        a->per_page = 30;
    if (a->per_page > 100)
        a->per_page = 100;
    a->page = arg_long(rp, "page", 1);
    if (a->page < 1)
        a->page = 1;
    const char *since = arg(rp, "since");
    a->has_since = since != NULL;
    if (since && parse_iso(since, &a->since)) {
        message(rp, 422, "Validation Failed");
        return -1;
    }
    return 0;
}

/* Link header for page `a->page` of `total` items (none when everything fits one page) */
static void paginate_links(reply *rp, const list_args *a, size_t total)
{
    long last = total ? (long)((total + (size_t)a->per_page - 1) / (size_t)a->per_page) : 1;
    if (last <= 1 && a->page <= 1)
        return;
    sbuf q = {0};
    query_without(rp, "page", &q);
    if (a->page > 1)
        link_to(rp, &q, a->page - 1 <= last ? a->page - 1 : last, "prev");
    if (a->page < last) {
        link_to(rp, &q, a->page + 1, "next");
        link_to(rp, &q, last, "last");
    }
    if (a->page > 1)
        link_to(rp, &q, 1, "first");
    free(q.data);
}

/* sort keys: -1/0/1 with ties broken by number/id */
static int sort_field; /* 0 created, 1 updated, 2 comments */
static int sort_desc;

static int cmp_i64(int64_t a, int64_t b)
{
    return a < b ? -1 : a > b;
}

static int issue_cmp(const void *pa, const void *pb)
{
    const issue *a = *(const issue *const *)pa, *b = *(const issue *const *)pb;
    int c = sort_field == 1   ? cmp_i64(a->updated, b->updated)
            : sort_field == 2 ? cmp_i64((int64_t)issue_comment_count(a->number),
                                        (int64_t)issue_comment_count(b->number))
                              : cmp_i64(a->created, b->created);
    if (!c)
        c = cmp_i64(a->number, b->number);
    return sort_desc ? -c : c;
}

static int comment_cmp(const void *pa, const void *pb)
{
    const comment *a = *(const comment *const *)pa, *b = *(const comment *const *)pb;
    int c = sort_field == 1 ? cmp_i64(a->updated, b->updated) : cmp_i64(a->created, b->created);
    if (!c)
        c = cmp_i64(a->id, b->id);
    return sort_desc ? -c : c;
}

static void list_issues(reply *rp)
{
    list_args a;
    if (list_params(rp, &a))
        return;
    const char *state = arg(rp, "state");
    int want = 0; /* 0 open, 1 closed, 2 all */
    if (state && !strcmp(state, "closed"))
        want = 1;
    else if (state && !strcmp(state, "all"))
        want = 2;
    else if (state && strcmp(state, "open")) {
        message(rp, 422, "Validation Failed");
        return;
    }
    const char *sort = arg(rp, "sort"), *dir = arg(rp, "direction");
    sort_field = sort && !strcmp(sort, "updated") ? 1 : sort && !strcmp(sort, "comments") ? 2 : 0;
    sort_desc = !(dir && !strcmp(dir, "asc"));

    const issue **sel = malloc((repo.n_issues + 1) * sizeof(*sel));
    if (!sel)
        abort();
    size_t n = 0;
    for (size_t i = 0; i < repo.n_issues; i++) {
        const issue *is = &repo.issues[i];
        if (want != 2 && is->closed != want)
            continue;
        if (a.has_since && is->updated < a.since)
            continue;
        sel[n++] = is;
    }
    qsort(sel, n, sizeof(*sel), issue_cmp);
    sb_puts(&rp->body, "[");
    size_t from = (size_t)(a.page - 1) * (size_t)a.per_page;
    for (size_t i = from, k = 0; i < n && k < (size_t)a.per_page; i++, k++) {
        if (k)
            sb_puts(&rp->body, ",");
        issue_json(&rp->body, rp->base, sel[i]);
    }
    sb_puts(&rp->body, "]");
    free(sel);
    paginate_links(rp, &a, n);
}

/* issue_number 0: all comments of the repository */
static void list_comments(reply *rp, int issue_number)
{
    list_args a;
    if (list_params(rp, &a))
        return;
    const char *sort = arg(rp, "sort"), *dir = arg(rp, "direction");
    sort_field = sort && !strcmp(sort, "updated") ? 1 : 0;
    /* GitHub: ascending by id; direction only counts together with sort */
    sort_desc = issue_number == 0 && sort && !(dir && !strcmp(dir, "asc"));
    const comment **sel = malloc((repo.n_comments + 1) * sizeof(*sel));
    if (!sel)
        abort();
    size_t n = 0;
    for (size_t i = 0; i < repo.n_comments; i++) {
        const comment *c = &repo.comments[i];
        if (issue_number && c->issue_number != issue_number)
            continue;
        if (a.has_since && c->updated < a.since)
            continue;
        sel[n++] = c;
    }
    qsort(sel, n, sizeof(*sel), comment_cmp);
    sb_puts(&rp->body, "[");
    size_t from = (size_t)(a.page - 1) * (size_t)a.per_page;
    for (size_t i = from, k = 0; i < n && k < (size_t)a.per_page; i++, k++) {
        if (k)
            sb_puts(&rp->body, ",");
        comment_json(&rp->body, rp->base, sel[i]);
    }
    sb_puts(&rp->body, "]");
    free(sel);
    paginate_links(rp, &a, n);
}

static void traffic_clones(reply *rp)
{
    int total = 0, uniques = 0;
    sbuf days = {0};
    for (int d = 0; d < 14; d++) {
        char ts[64];
        format_iso(ts, CLOCK_START + (int64_t)d * 86400);
        int count = 3 + (d * 7) % 11, u = 1 + d % 4;
        total += count;
        uniques += u;
        sb_printf(&days, "%s{\"timestamp\":\"%s\",\"count\":%d,\"uniques\":%d}", d ? "," : "", ts,
                  count, u);
    }
    sb_printf(&rp->body, "{\"count\":%d,\"uniques\":%d,\"clones\":[%s]}", total, uniques,
              days.data);
    free(days.data);
}

/* 1 when the request carries the right token, 0 without Authorization, -1 with a wrong one */
static int authorized(reply *rp)
{
    const char *h = MHD_lookup_connection_value(rp->conn, MHD_HEADER_KIND, "Authorization");
    if (!h)
        return 0;
    const char *t = NULL;
    if (!strncasecmp(h, "Bearer ", 7))
        t = h + 7;
    else if (!strncasecmp(h, "token ", 6))
        t = h + 6;
    return t && repo.token && *repo.token && !strcmp(t, repo.token) ? 1 : -1;
}

static int parse_number(const char *s, size_t len, int *out)
{
    if (!len || len > 9)
        return -1;
    int v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static const issue *find_issue(int number)
{
    return number >= 1 && (size_t)number <= repo.n_issues ? &repo.issues[number - 1] : NULL;
}

static size_t open_issues(void);

/* GET /repos/{owner}/{repo}: statistics that are a function of the name and the clock */
static void repo_json(reply *rp, const char *owner, size_t ol, const char *name, size_t nl)
{
    uint32_t h = 2166136261u; /* FNV-1a of owner/name */
    for (size_t i = 0; i < ol; i++)
        h = (h ^ (uint8_t)owner[i]) * 16777619u;
    for (size_t i = 0; i < nl; i++)
        h = (h ^ (uint8_t)name[i]) * 16777619u;
    int served = ol == strlen(repo.owner) && !strncasecmp(owner, repo.owner, ol) &&
                 nl == strlen(repo.name) && !strncasecmp(name, repo.name, nl);
    long ticks = (long)((repo.clock - CLOCK_START) / CLOCK_STEP);
    long stars = 1000 + (long)(h % 50000) + ticks, forks = 100 + (long)(h % 3000);
    long open = served ? (long)open_issues() : (long)(h % 700);
    char created[64], updated[64];
    format_iso(created, CLOCK_START - 86400 * (int64_t)(200 + h % 2000));
    format_iso(updated, repo.clock);
    sb_printf(&rp->body,
              "{\"id\":%u,\"node_id\":\"R_kgDO%u\",\"name\":\"%.*s\",\"full_name\":\"%.*s/%.*s\","
              "\"private\":false,\"owner\":{\"login\":\"%.*s\",\"id\":%u,\"type\":\"Organization\"},"
              "\"html_url\":\"https://github.com/%.*s/%.*s\",\"description\":\"The %.*s project\","
              "\"fork\":false,\"url\":\"%s/repos/%.*s/%.*s\",\"created_at\":\"%s\","
              "\"updated_at\":\"%s\",\"pushed_at\":\"%s\",\"size\":%u,\"stargazers_count\":%ld,"
              "\"watchers_count\":%ld,\"language\":\"%s\",\"forks_count\":%ld,"
              "\"open_issues_count\":%ld,\"license\":{\"key\":\"apache-2.0\",\"name\":\"Apache "
              "License 2.0\",\"spdx_id\":\"Apache-2.0\"},\"topics\":[\"data\",\"%.*s\"],"
              "\"default_branch\":\"main\",\"subscribers_count\":%ld}",
              h % 1000000000u, h, (int)nl, name, (int)ol, owner, (int)nl, name, (int)ol, owner,
              h % 100000u, (int)ol, owner, (int)nl, name, (int)nl, name, rp->base, (int)ol,
              owner, (int)nl, name, created, updated, updated, 1000 + h % 90000, stars, stars,
              h % 2 ? "Python" : "C++", forks, open, (int)nl, name, 10 + (long)(h % 300));
}

/* /repos/{owner}/{repo}/<rest> */
static void route_repo(reply *rp)
{
    const char *p = rp->path + strlen("/repos/");
    size_t ol = strcspn(p, "/");
    const char *name = p + ol + (p[ol] == '/');
    size_t nl = strcspn(name, "/");
    if (ol && nl && (!name[nl] || (name[nl] == '/' && !name[nl + 1]))) {
        if (authorized(rp) < 0)
            message(rp, 401, "Bad credentials");
        else
            repo_json(rp, p, ol, name, nl);
        return;
    }
    if (ol != strlen(repo.owner) || strncasecmp(p, repo.owner, ol) || nl != strlen(repo.name) ||
        strncasecmp(name, repo.name, nl)) {
        message(rp, 404, "Not Found");
        return;
    }
    const char *rest = name + nl;
    int auth = authorized(rp);
    if (auth < 0) {
        message(rp, 401, "Bad credentials");
        return;
    }
    int number;
    if (!strcmp(rest, "/issues") || !strcmp(rest, "/issues/")) {
        list_issues(rp);
    } else if (!strcmp(rest, "/issues/comments") || !strcmp(rest, "/comments")) {
        list_comments(rp, 0);
    } else if (!strncmp(rest, "/issues/", 8) &&
               !parse_number(rest + 8, strcspn(rest + 8, "/"), &number)) {
        const char *tail = rest + 8 + strcspn(rest + 8, "/");
        const issue *is = find_issue(number);
        if (!is)
            message(rp, 404, "Not Found");
        else if (!*tail)
            issue_json(&rp->body, rp->base, is);
        else if (!strcmp(tail, "/comments"))
            list_comments(rp, number);
        else
            message(rp, 404, "Not Found");
    } else if (!strcmp(rest, "/traffic/clones")) {
        if (auth != 1)
            message(rp, 401, "Requires authentication");
        else
            traffic_clones(rp);
    } else {
        message(rp, 404, "Not Found");
    }
}

static void admin_summary(reply *rp)
{
    char clock[64];
    format_iso(clock, repo.clock);
    sb_printf(&rp->body, "{\"clock\":\"%s\",\"issues\":%zu,\"comments\":%zu}", clock, repo.n_issues,
              repo.n_comments);
}

static size_t open_issues(void)
{
    size_t n = 0;
    for (size_t i = 0; i < repo.n_issues; i++)
        n += !repo.issues[i].closed;
    return n;
}

static void admin_add(reply *rp)
{
    long ni = arg_long(rp, "issues", 0), nc = arg_long(rp, "comments", 0);
    for (long k = 0; k < ni; k++)
        add_issue(0);
    for (long k = 0; k < nc && repo.n_issues; k++) {
        /* on the issues in turn, newest first */
        size_t t = repo.n_issues - 1 - repo.next_comment_target++ % repo.n_issues;
        add_comment(repo.issues[t].number);
    }
    admin_summary(rp);
}

static void admin_update(reply *rp)
{
    long ni = arg_long(rp, "issues", 0), nc = arg_long(rp, "comments", 0);
    size_t open = open_issues();
    for (long k = 0; k < ni && open; k++) {
        /* the next open issue, oldest first, rotating */
        issue *is;
        do
            is = &repo.issues[repo.next_issue_edit++ % repo.n_issues];
        while (is->closed);
        is->edits++;
        is->updated = tick();
    }
    for (long k = 0; k < nc && repo.n_comments; k++) {
        comment *c = &repo.comments[repo.next_comment_edit++ % repo.n_comments];
        c->edits++;
        c->updated = tick();
    }
    admin_summary(rp);
}

static void admin_stats(reply *rp)
{
    char clock[64];
    format_iso(clock, repo.clock);
    rp->content_type = "text/plain";
    sb_printf(&rp->body, "clock %s\nissues %zu\nopen_issues %zu\ncomments %zu\n", clock,
              repo.n_issues, open_issues(), repo.n_comments);
    for (size_t i = 0; i < repo.n_stats; i++) {
        const path_stats *s = &repo.stats[i];
        sb_printf(&rp->body, "requests %s %u\nsince %s %u\npages %s %u\nlast_query %s %s\n",
                  s->path, s->requests, s->path, s->with_since, s->path, s->pages, s->path,
                  s->last_query);
    }
}

/* ---- faults (the fault matrix of tests/cli/run_faults.sh) ---- */

#define MAX_FAULTS 16
static struct {
    char path[128];
    long count;
    int status;   /* 0 with truncate */
    int truncate;
} faults[MAX_FAULTS];
static size_t n_faults;

static void admin_fault(reply *rp)
{
    const char *path = arg(rp, "path");
    long count = arg_long(rp, "count", 1), status = arg_long(rp, "status", 0);
    int trunc = arg_long(rp, "truncate", 0) != 0;
    if (!path || strlen(path) >= sizeof(faults[0].path) || count <= 0 ||
        (!trunc && (status < 400 || status > 599)) || n_faults == MAX_FAULTS) {
        message(rp, 400, "fault needs path, count > 0 and status 4xx/5xx or truncate=1");
        return;
    }
    snprintf(faults[n_faults].path, sizeof(faults[0].path), "%s", path);
    faults[n_faults].count = count;
    faults[n_faults].status = (int)status;
    faults[n_faults].truncate = trunc;
    n_faults++;
    admin_summary(rp);
}

/* The fault this request meets (its count taken), or -1. */
static int take_fault(const char *path)
{
    for (size_t i = 0; i < n_faults; i++)
        if (faults[i].count > 0 && !strncmp(path, faults[i].path, strlen(faults[i].path))) {
            faults[i].count--;
            return (int)i;
        }
    return -1;
}

static void route(reply *rp, const char *method)
{
    int get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
    if (!strncmp(rp->path, "/_admin/", 8)) {
        const char *what = rp->path + 8;
        if (post && !strcmp(what, "add"))
            admin_add(rp);
        else if (post && !strcmp(what, "update"))
            admin_update(rp);
        else if (post && !strcmp(what, "reset_stats"))
            repo.n_stats = 0, admin_summary(rp);
        else if (post && !strcmp(what, "fault"))
            admin_fault(rp);
        else if (post && !strcmp(what, "clear_faults"))
            n_faults = 0, admin_summary(rp);
        else if (get && !strcmp(what, "stats"))
            admin_stats(rp);
        else
            message(rp, 404, "Not Found");
        return;
    }
    path_stats *st = stats_of(rp->path);
    if (st) {
        st->requests++;
        st->with_since += arg(rp, "since") != NULL;
        sbuf q = {0};
        query_without(rp, NULL, &q);
        snprintf(st->last_query, sizeof(st->last_query), "%s", q.data ? q.data : "");
        free(q.data);
    }
    int fault = get ? take_fault(rp->path) : -1;
    if (fault >= 0 && !faults[fault].truncate) {
        message(rp, faults[fault].status, faults[fault].status == 429 ? "rate limit exceeded"
                                                                        : "Service Unavailable");
        return;
    }
    if (fault >= 0)
        rp->truncate = 1;
    if (!get)
        message(rp, 404, "Not Found");
    else if (!strncmp(rp->path, "/repos/", 7))
        route_repo(rp);
    else
        message(rp, 404, "Not Found");
    if (st && rp->status == 200)
        st->pages++;
}

static unsigned short server_port;

/* A body announced whole and cut after half: the client sees the connection close early. */
typedef struct {
    char *data;
    size_t len, sent;
} cut_body;

static ssize_t cut_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    cut_body *c = cls;
    size_t half = c->len / 2;
    if (pos >= half)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t n = half - (size_t)pos < max ? half - (size_t)pos : max;
    memcpy(buf, c->data + pos, n);
    return (ssize_t)n;
}

static void cut_free(void *cls)
{
    cut_body *c = cls;
    free(c->data);
    free(c);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    (void)cls;
    (void)version;
    (void)upload_data;
    static int marker;
    if (!*con_cls) {
        *con_cls = &marker;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0; /* admin calls take query parameters only */
        return MHD_YES;
    }
    reply rp;
    memset(&rp, 0, sizeof(rp));
    rp.conn = conn;
    rp.path = url;
    rp.status = 200;
    rp.content_type = "application/json; charset=utf-8";
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
    if (host && *host && strlen(host) < 100 && !strpbrk(host, "<>\" \r\n"))
        snprintf(rp.base, sizeof(rp.base), "http://%s", host);
    else
        snprintf(rp.base, sizeof(rp.base), "http://127.0.0.1:%u", (unsigned)server_port);

    route(&rp, method);
    if (!rp.body.data)
        sb_puts(&rp.body, "");
    if (repo.verbose)
        fprintf(stderr, "github_server: %s %s -> %d\n", method, url, rp.status);

    struct MHD_Response *resp;
    cut_body *cut = rp.truncate && rp.body.len > 1 ? calloc(1, sizeof(*cut)) : NULL;
    if (cut) {
        cut->data = rp.body.data;
        cut->len = rp.body.len;
        rp.body.data = NULL;
        resp = MHD_create_response_from_callback(cut->len, 4096, cut_read, cut, cut_free);
    } else {
        resp = MHD_create_response_from_buffer(rp.body.len, rp.body.data, MHD_RESPMEM_MUST_COPY);
    }
    if (rp.status == 429 || rp.status == 503)
        MHD_add_response_header(resp, "Retry-After", "0");
    MHD_add_response_header(resp, "Content-Type", rp.content_type);
    if (rp.link.len)
        MHD_add_response_header(resp, "Link", rp.link.data);
    MHD_add_response_header(resp, "X-GitHub-Media-Type", "github.v3; format=json");
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)rp.status, resp);
    MHD_destroy_response(resp);
    free(rp.body.data);
    free(rp.link.data);
    return ret;
}

/* ---- main: options, the port file, waiting for the end ---- */

static int stop_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    (void)sig;
    char c = 1;
    ssize_t n = write(stop_pipe[1], &c, 1);
    (void)n;
}

static int usage(void)
{
    fputs("usage: github_server --port-file FILE [--token TOKEN] [--issues N] "
          "[--repo OWNER/NAME] [--port PORT] [--ignore-stdin] [--verbose]\n",
          stderr);
    return 2;
}

static int write_port_file(const char *path, unsigned short port)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
        return -1;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    fprintf(f, "%u\n", (unsigned)port);
    if (fclose(f) != 0 || rename(tmp, path) != 0)
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    const char *port_file = NULL, *repo_arg = "dlt-hub/dlt";
    long issues = DEFAULT_ISSUES, port = 0;
    int ignore_stdin = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end;
        if (!strcmp(a, "--port-file") && v)
            port_file = v, i++;
        else if (!strcmp(a, "--token") && v)
            repo.token = v, i++;
        else if (!strcmp(a, "--repo") && v)
            repo_arg = v, i++;
        else if (!strcmp(a, "--issues") && v) {
            issues = strtol(v, &end, 10);
            if (*end || issues < 0 || issues > MAX_ITEMS)
                return usage();
            i++;
        } else if (!strcmp(a, "--port") && v) {
            port = strtol(v, &end, 10);
            if (*end || port < 0 || port > 65535)
                return usage();
            i++;
        } else if (!strcmp(a, "--ignore-stdin"))
            ignore_stdin = 1;
        else if (!strcmp(a, "--verbose"))
            repo.verbose = 1;
        else
            return usage();
    }
    const char *slash = strchr(repo_arg, '/');
    if (!slash || slash == repo_arg || !slash[1] || strchr(slash + 1, '/') ||
        (size_t)(slash - repo_arg) >= sizeof(repo.owner) || strlen(slash + 1) >= sizeof(repo.name))
        return usage();
    snprintf(repo.owner, sizeof(repo.owner), "%.*s", (int)(slash - repo_arg), repo_arg);
    snprintf(repo.name, sizeof(repo.name), "%s", slash + 1);
    seed((size_t)issues);

    if (pipe(stop_pipe) != 0) {
        perror("github_server: pipe");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((unsigned short)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL, NULL, handle,
                         NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
                         MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    if (!d) {
        fputs("github_server: cannot listen on 127.0.0.1\n", stderr);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    server_port = info ? info->port : 0;
    if (port_file ? write_port_file(port_file, server_port) != 0 : 0) {
        fprintf(stderr, "github_server: cannot write %s\n", port_file);
        MHD_stop_daemon(d);
        return 1;
    }
    if (!port_file)
        printf("%u\n", (unsigned)server_port), fflush(stdout);

    for (;;) {
        struct pollfd fds[2] = {{stop_pipe[0], POLLIN, 0}, {0, POLLIN, 0}};
        int n = poll(fds, ignore_stdin ? 1 : 2, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || fds[0].revents)
            break;
        if (!ignore_stdin && fds[1].revents) {
            char buf[256];
            ssize_t r = read(0, buf, sizeof(buf));
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break; /* end of input: whoever started us is gone */
        }
    }
    MHD_stop_daemon(d);
    free(repo.issues);
    free(repo.comments);
    return 0;
}
