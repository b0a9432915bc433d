#!/usr/bin/env bash
# `dlt pipeline NAME show`: the dashboard in headless Chromium (the DOM of every page, and a
# screenshot of each) and at the HTTP level with curl (token, Host, paths, methods, headers,
# secrets), for one destination:
#   dashboard.sh duckdb|postgres|filesystem DLT SRC OUT_DIR
# postgres needs the `postgres` ctest fixture (DLTC_TEST_PG_DIR). Screenshots go to
# OUT_DIR/dashboard-<destination>/. Exit 77 (skipped) without chromium, unless $CI is set.
set -u
dest=$1
dlt=$(realpath "$2")
src=$(realpath "$3")
out=$4/dashboard-$dest
mkdir -p "$out"
out=$(realpath "$out")

chrome=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chrome" ]; then
  echo "chromium is not installed (scripts/bootstrap installs it)"
  [ -n "${CI:-}" ] && exit 1
  exit 77
fi

tmp=$(mktemp -d)
server_pid=""
pg_db=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2; then
    kill -TERM "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  if [ -n "$pg_db" ]; then
    psql -q -X "$(cat "$DLTC_TEST_PG_DIR/uri_admin")" \
      -c "DROP DATABASE IF EXISTS \"$pg_db\" WITH (FORCE)" >/dev/null 2>&1
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp" || exit 1
export DLT_DATA_DIR="$tmp/data"
unset DLTC_CRASH_AT

fails=0; passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
# chromium and curl are not ours: no sanitizer runtime or options of the ctest run in them
clean_env=(env -u LD_PRELOAD -u ASAN_OPTIONS -u UBSAN_OPTIONS -u LSAN_OPTIONS)

# ---- the data: GitHub-like issues with nested labels and assignees ----
{
  for i in 1 2 3 4 5 6 7; do
    printf '{"id": %d, "number": %d, "title": "issue %d", "state": "%s", "user": {"login": "user%d"}, "labels": [{"name": "bug", "color": "d73a4a"}, {"name": "l%d", "color": "ededed"}], "assignees": [{"login": "a%d"}]}\n' \
      $((100 + i)) $((10 * ((i * 3) % 7 + 1))) "$i" "$([ $((i % 2)) = 0 ] && echo closed || echo open)" "$i" "$i" "$i"
  done
} > issues.jsonl
secret=""
case "$dest" in
  duckdb) ;;
  postgres)
    dir=${DLTC_TEST_PG_DIR:?the postgres fixture is not running}
    pg_db="dash_$$"
    PGOPTIONS="--client-min-messages=warning" psql -q -X "$(cat "$dir/uri_admin")" \
      -c "DROP DATABASE IF EXISTS \"$pg_db\" WITH (FORCE)" -c "CREATE DATABASE \"$pg_db\" OWNER loader" >/dev/null ||
      { echo "FAIL: cannot create the database"; exit 1; }
    uri=$(cat "$dir/uri")
    export DESTINATION__POSTGRES__CREDENTIALS="${uri%/*}/$pg_db"
    # the password of the URI: it must never appear in an answer
    secret=${uri#*://*:}; secret=${secret%%@*} ;;
  filesystem)
    export DESTINATION__FILESYSTEM__BUCKET_URL="file://$tmp/bucket" ;;
  *) echo "usage: $0 duckdb|postgres|filesystem DLT SRC OUT_DIR" >&2; exit 2 ;;
esac

"$dlt" load issues.jsonl --pipeline dash --table issues --destination "$dest" -q && ok || bad "load"
"$dlt" load issues.jsonl --pipeline dash --table issues --destination "$dest" -q && ok || bad "second load"
total=14

# ---- the server ----
start_server() { # NAME
  "$dlt" pipeline "$1" show --port 0 > "$tmp/server.out" 2> "$tmp/server.err" &
  server_pid=$!
  url=""
  for _ in $(seq 1 100); do
    url=$(sed -n "s/^dashboard of pipeline $1: //p" "$tmp/server.out")
    [ -n "$url" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$url" ] || { bad "no URL printed: $(cat "$tmp/server.out" "$tmp/server.err")"; return 1; }
  base=${url%%/?token=*}
  token=${url#*token=}
  port=${base##*:}
}
stop_server() { # a clean exit 0 on SIGINT (and, under ASan, no leak report)
  kill -INT "$server_pid"
  wait "$server_pid"; local code=$?
  server_pid=""
  [ $code = 0 ] && ok || bad "server exit $code on SIGINT: $(cat "$tmp/server.err")"
}

answers="$tmp/answers"; mkdir -p "$answers"
n_answer=0
# curl -s …: status in $status, headers in $tmp/headers, the body in $answers/$n_answer (every
# answer is kept, for the secrets check); `last` prints that body
get() {
  n_answer=$((n_answer + 1))
  status=$("${clean_env[@]}" curl -s -o "$answers/$n_answer" -D "$tmp/headers" -w '%{http_code}' "$@")
}
last() { cat "$answers/$n_answer"; }
api() { get -H "X-Dltc-Token: $token" "$@"; }

# DOM of a page after its scripts ran (the page sets data-state="ready")
dom() { # HASH NAME → DOM in $tmp/NAME.html, screenshot in $out/NAME.png
  local page=$1 name=$2
  "${clean_env[@]}" "$chrome" --headless=new --no-sandbox --disable-gpu --no-first-run \
    --user-data-dir="$tmp/chrome" --virtual-time-budget=15000 --dump-dom "$url#$page" \
    > "$tmp/$name.html" 2>/dev/null
  "${clean_env[@]}" "$chrome" --headless=new --no-sandbox --disable-gpu --no-first-run \
    --user-data-dir="$tmp/chrome" --virtual-time-budget=15000 --hide-scrollbars \
    --window-size=1280,900 --screenshot="$out/$name.png" "$url#$page" >/dev/null 2>&1
  cp "$tmp/$name.html" "$answers/dom-$name.html"
  grep -q 'data-state="ready"' "$tmp/$name.html" || { bad "$name: page not ready"; return 1; }
  [ -s "$out/$name.png" ] && ok || bad "$name: no screenshot"
}
# the cells of the body rows of the first data table, one row a line, cells tab-separated
rows_of() {
  python3 - "$1" <<'PY'
import html.parser, sys
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.rows = []; self.depth = 0; self.in_body = False; self.done = False
        self.cell = None; self.row = None
    def handle_starttag(self, tag, attrs):
        if self.done: return
        if tag == "tbody": self.in_body = True
        elif self.in_body and tag == "tr": self.row = []
        elif self.in_body and tag == "td": self.cell = ""
    def handle_endtag(self, tag):
        if self.done: return
        if tag == "tbody": self.in_body = False; self.done = True
        elif tag == "td" and self.cell is not None: self.row.append(self.cell); self.cell = None
        elif tag == "tr" and self.row is not None: self.rows.append(self.row); self.row = None
    def handle_data(self, d):
        if self.cell is not None: self.cell += d
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read())
for r in p.rows: print("\t".join(r))
PY
}
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

start_server dash || exit 1
grep -qx "http://127.0.0.1:[0-9]*/?token=[0-9a-f]\{32\}" <<<"$url" && ok || bad "URL shape: $url"

# only 127.0.0.1, one port
if command -v ss >/dev/null 2>&1; then
  socks=$(ss -Hltnp 2>/dev/null | grep "pid=$server_pid," | awk '{print $4}')
  [ "$socks" = "127.0.0.1:$port" ] && ok || bad "listening sockets: $socks"
fi

# ---- pages in the browser ----
dom "/overview" overview && {
  grep -q "Pipeline dash" "$tmp/overview.html" && ok || bad "overview: pipeline name"
  grep -q "<dd>dash_dataset</dd>" "$tmp/overview.html" && ok || bad "overview: dataset"
  grep -q "<dd>$dest</dd>" "$tmp/overview.html" && ok || bad "overview: destination"
  grep -q '"pipeline_name": "dash"' "$tmp/overview.html" && ok || bad "overview: state"
  grep -q "_dlt_load_id\|load_id" "$tmp/overview.html" && ok || bad "overview: last loads"
}
dom "/schema" schema && {
  grep -q '<section class="schema-table depth-1" id="schema-issues__labels" data-parent="issues">' "$tmp/schema.html" && ok || bad "schema: nested issues__labels indented"
  grep -q '<section class="schema-table depth-0" id="schema-issues" data-parent="">' "$tmp/schema.html" && ok || bad "schema: root table issues"
  sed -n '/id="schema-issues__labels"/,/<\/section>/p' "$tmp/schema.html" | grep -q '<td>color</td><td class="type">text</td>' && ok || bad "schema: column types"
  grep -q '<td>_dlt_list_idx</td><td class="type">bigint</td><td>no</td>' "$tmp/schema.html" && ok || bad "schema: bigint not null"
  grep -q '<span class="badge">row_key</span>' "$tmp/schema.html" && ok || bad "schema: hints"
  grep -q '<li class="nested depth-1"><a href="#/tables/issues__labels"' "$tmp/schema.html" && ok || bad "sidebar: nested table indented"
}
dom "/tables/issues?limit=5" table && {
  [ "$(rows_of "$tmp/table.html" | wc -l)" = 5 ] && ok || bad "table: 5 rows: $(rows_of "$tmp/table.html")"
  grep -q "rows 1–5 of $total" "$tmp/table.html" && ok || bad "table: range"
  grep -q 'id="next" href="#/tables/issues?offset=5&amp;limit=5"' "$tmp/table.html" && ok || bad "table: next link"
  grep -q '<a class="button disabled" id="prev"' "$tmp/table.html" && ok || bad "table: no previous on page 1"
  grep -q 'data-column="number"' "$tmp/table.html" && ok || bad "table: sortable headers"
}
dom "/tables/issues?offset=10&limit=5" table_page3 && {
  [ "$(rows_of "$tmp/table_page3.html" | wc -l)" = 4 ] && ok || bad "table: last page has 4 rows"
  grep -q "rows 11–$total of $total" "$tmp/table_page3.html" && ok || bad "table: last page range"
  grep -q '<a class="button disabled" id="next"' "$tmp/table_page3.html" && ok || bad "table: no next on the last page"
}
dom "/tables/issues?offset=0&limit=3&sort=number&dir=desc" table_sorted && {
  numbers=$(rows_of "$tmp/table_sorted.html" | cut -f2 | tr '\n' ' ')
  [ "$numbers" = "70 70 60 " ] && ok || bad "table: sorted by number desc: $numbers"
  grep -q "sorted by number desc" "$tmp/table_sorted.html" && ok || bad "table: sort shown"
  grep -q 'href="#/tables/issues?offset=0&amp;limit=3&amp;sort=number&amp;dir=asc" data-column="number"' "$tmp/table_sorted.html" && ok || bad "table: header toggles the direction"
}
dom "/tables/issues__labels?limit=3&sort=name&dir=asc" table_nested && {
  [ "$(rows_of "$tmp/table_nested.html" | cut -f1 | tr '\n' ' ')" = "bug bug bug " ] && ok || bad "nested table sorted"
}
dom "/query?sql=$(enc "SELECT state, count(*) AS n FROM issues GROUP BY state ORDER BY state")" query && {
  [ "$(rows_of "$tmp/query.html" | tr '\t\n' ':,')" = "closed:6,open:8," ] && ok || bad "query: result: $(rows_of "$tmp/query.html")"
  grep -q '<th title="[^"]*">state</th>' "$tmp/query.html" && ok || bad "query: columns"
  grep -q 'id="error"' "$tmp/query.html" && bad "query: error shown" || ok
}
dom "/query?sql=$(enc "SELECT * FROM issues__labels")" query_big && ok
for stmt in "DELETE FROM issues" "CREATE TABLE evil AS SELECT 1 AS x" \
            "INSERT INTO issues (id) VALUES (1)" "DROP TABLE issues" \
            "SELECT 1; DELETE FROM issues" "UPDATE issues SET title = 'x'"; do
  name="refused_$(echo "$stmt" | cut -d' ' -f1 | tr 'A-Z;' 'a-z_')"
  dom "/query?sql=$(enc "$stmt")" "$name" && {
    grep -q '<div class="error" role="alert" id="error">' "$tmp/$name.html" && ok || bad "query: '$stmt' not refused"
    [ "$(rows_of "$tmp/$name.html" | wc -l)" = 0 ] && ok || bad "query: '$stmt' shows rows"
  }
done
dom "/query?sql=$(enc "SELECT count(*) AS n FROM issues")" query_after && {
  [ "$(rows_of "$tmp/query_after.html")" = "$total" ] && ok || bad "table changed by a refused statement: $(rows_of "$tmp/query_after.html")"
}
dom "/query?sql=$(enc "SELECT count(*) FROM information_schema.tables WHERE table_name = 'evil'")" query_evil && {
  [ "$(rows_of "$tmp/query_evil.html")" = 0 ] && ok || bad "a table was created"
}
dom "/loads" loads && {
  [ "$(rows_of "$tmp/loads.html" | wc -l)" = 2 ] && ok || bad "loads: 2 rows"
  first=$(rows_of "$tmp/loads.html" | sed -n 1p | cut -f1); second=$(rows_of "$tmp/loads.html" | sed -n 2p | cut -f1)
  [[ "$first" > "$second" ]] && ok || bad "loads: newest first ($first, $second)"
  [ "$(rows_of "$tmp/loads.html" | cut -f3 | sort -u)" = 0 ] && ok || bad "loads: status 0"
}
dom "/trace" trace && {
  grep -q '<pre id="trace">Run started at ' "$tmp/trace.html" && ok || bad "trace: text"
  sed -n '/<pre id="failed-jobs">/,/<\/pre>/p' "$tmp/trace.html" | grep -q 'No failed jobs found' && ok || bad "trace: failed jobs: $(sed -n '/<pre id="failed-jobs">/,/<\/pre>/p' "$tmp/trace.html")"
}

# ---- HTTP: token, Host, Origin ----
get "$base/api/overview" ; [ "$status" = 403 ] && ok || bad "no token: $status"
get -H "X-Dltc-Token: 0123456789abcdef0123456789abcdef" "$base/api/overview" ; [ "$status" = 403 ] && ok || bad "wrong token: $status"
api "$base/api/overview"; last | grep -q '"dataset":"dash_dataset"' && [ "$status" = 200 ] && ok || bad "token: $status"
api -H "Host: evil.example:$port" "$base/api/overview" ; [[ $status == 4* ]] && ok || bad "bad Host: $status"
api -H "Host: 127.0.0.1:1" "$base/api/overview" ; [[ $status == 4* ]] && ok || bad "wrong port in Host: $status"
api -H "Host: localhost:$port" "$base/api/overview" ; [ "$status" = 200 ] && ok || bad "localhost Host: $status"
get -H "Host: evil.example" "$base/" ; [[ $status == 4* ]] && ok || bad "bad Host on the page: $status"
api -H "Origin: http://evil.example" -X POST --data "SELECT 1" "$base/api/query" ; [ "$status" = 403 ] && ok || bad "foreign Origin: $status"
api -H "Origin: http://127.0.0.1:$port" -X POST --data "SELECT 1 AS one" "$base/api/query"; last | grep -q '"rows":\[\["1"\]\]' && ok || bad "own Origin"
# the first page load sets a strict cookie, which then stands for the token
get "$base/?token=$token"
grep -qi "^set-cookie: dltc_token_$port=$token; Path=/; HttpOnly; SameSite=Strict" "$tmp/headers" && ok || bad "cookie: $(cat "$tmp/headers")"
get -H "Cookie: dltc_token_$port=$token" "$base/api/schema" ; [ "$status" = 200 ] && ok || bad "cookie auth: $status"
get -H "Cookie: dltc_token_1=$token" "$base/api/schema" ; [ "$status" = 403 ] && ok || bad "cookie of another port: $status"

# ---- HTTP: headers ----
get "$base/"; last | grep -q '<script src="/app.js" defer>' && ok || bad "page"
grep -qi "^content-security-policy: default-src 'self'; script-src 'self'" "$tmp/headers" && ok || bad "CSP on the page"
grep -qi "^x-content-type-options: nosniff" "$tmp/headers" && ok || bad "nosniff"
grep -qi "^content-type: text/html" "$tmp/headers" && ok || bad "page content type"
grep -q "<script>" "$answers/$n_answer" && bad "inline script in the page" || ok
grep -v 'xmlns="http://www.w3.org/2000/svg"' "$src/src/web/assets/"* | grep -Eq "https?://[a-z]" && bad "an external URL in the assets" || ok
get "$base/app.js" ; grep -qi "^content-type: text/javascript" "$tmp/headers" && ok || bad "js content type"
grep -q "innerHTML" "$src/src/web/assets/app.js" && bad "innerHTML in app.js" || ok
api "$base/api/loads"
grep -qi "^cache-control: no-store" "$tmp/headers" && ok || bad "API no-store"
grep -qi "^content-security-policy: default-src 'self'" "$tmp/headers" && ok || bad "CSP on the API"
grep -qi "^content-type: application/json" "$tmp/headers" && ok || bad "API content type"

# ---- HTTP: paths never leave the route table ----
for p in "/../../../../etc/passwd" "/%2e%2e/%2e%2e/etc/passwd" "/%2E%2E/etc/passwd" "/app.js/../../etc/passwd" \
         "//etc/passwd" "/etc/passwd" "/assets/app.js" "/./app.js" "/api/../app.js" "/api/%2e%2e/app.js" \
         "/..%2fapp.js" "/%2e%2e%2f%2e%2e%2fetc%2fpasswd" "/app.js%00.html" "/%00" "/app.js%2500" \
         "/index.html/" "/%5c..%5cetc%5cpasswd" "/api/overview/.." "/$(printf 'a%.0s' $(seq 1 300))"; do
  api --path-as-is "$base$p" 
  [ "$status" = 404 ] || [ "$status" = 400 ] && ok || bad "path $p: $status"
  grep -q "root:" "$answers/$n_answer" && bad "path $p: a file's content"
done
get --path-as-is -X GET "$base" --request-target "http://evil.example/etc/passwd"
[[ $status == 4* ]] && ok || bad "absolute-form target: $status"

# ---- HTTP: methods ----
api -X POST "$base/api/overview" ; [ "$status" = 405 ] && ok || bad "POST to a GET route: $status"
grep -qi "^allow: GET" "$tmp/headers" && ok || bad "Allow header"
api -X PUT --data x "$base/api/query" ; [ "$status" = 405 ] && ok || bad "PUT: $status"
api -X DELETE "$base/api/table?name=issues" ; [ "$status" = 405 ] && ok || bad "DELETE: $status"
api "$base/api/query" ; [ "$status" = 405 ] && ok || bad "GET to the POST route: $status"
get -X POST "$base/" ; [ "$status" = 405 ] && ok || bad "POST to the page: $status"
get -X OPTIONS "$base/api/schema" ; [ "$status" = 405 ] && ok || bad "OPTIONS: $status"

# ---- HTTP: parameters ----
api "$base/api/table?name=issues&limit=2&offset=2&sort=id&dir=asc"; last | grep -q '"total":14,' && ok || bad "table answer"
grep -q '"rows":\[\["102",' "$answers/$n_answer" && ok || bad "offset and sort"
for q in "name=issues&limit=1001" "name=issues&limit=0" "name=issues&limit=-1" "name=issues&offset=-1" \
         "name=issues&offset=1e3" "name=issues&offset=+1" "name=issues&offset=%201" "name=issues&dir=up" \
         "name=issues&sort=bogus" "name=issues&sort=id%3Bdrop" "name=issues%3B%20DROP%20TABLE%20issues" \
         "name=nope" "name=" "limit=5"; do
  api "$base/api/table?$q" 
  [ "$status" = 400 ] || [ "$status" = 404 ] && ok || bad "table?$q: $status"
done
api -X POST --data "DELETE FROM issues" "$base/api/query"; last | grep -q '"error":' && [ "$status" = 400 ] && ok || bad "DELETE via the API: $status"
api -X POST --data "" "$base/api/query" ; [ "$status" = 400 ] && ok || bad "empty SQL: $status"
api -X POST --data-binary @<(head -c 70000 /dev/zero | tr '\0' ' ') "$base/api/query" ; [ "$status" = 413 ] && ok || bad "big body: $status"
api -X POST --data "SELECT * FROM range(5000)" "$base/api/query"; last | grep -q '"truncated":true,"max_rows":1000' && ok || {
  # filesystem/postgres: range() is DuckDB's; generate_series is Postgres'
  api -X POST --data "SELECT * FROM generate_series(1, 5000)" "$base/api/query"; last | grep -q '"truncated":true,"max_rows":1000' && ok || bad "row limit: $(head -c 300 "$answers/$n_answer")"
}
api "$base/api/query?x=1" ; [ "$status" = 405 ] && ok || bad "GET query: $status"
api -X POST --data "SELECT count(*) AS n FROM issues" "$base/api/query"
last | grep -q '"rows":\[\["14"\]\]' && ok || bad "count after the refused writes: $(last)"

# ---- no secret in any answer ----
if [ -n "$secret" ]; then
  grep -rlF -- "$secret" "$answers" && bad "the Postgres password in an answer" || ok
  grep -qF -- "$secret" "$tmp/server.out" && bad "the Postgres password on stdout" || ok
  api "$base/api/overview"; last | grep -q '"location":"postgresql://loader:\*\*\*@' && ok || bad "location masked: $(cat "$answers/$n_answer")"
  # the error of a query names no password either
  api -X POST --data "SELECT * FROM no_such_table" "$base/api/query"
  grep -qF -- "$secret" "$answers/$n_answer" && bad "password in an error" || ok
fi
grep -rlE "password=[^*]|:[^:@/*]+@127" "$answers" >/dev/null && bad "a credential-like text in an answer" || ok
stop_server

# ---- a pipeline with no dataset yet: the overview explains ----
if [ "$dest" = duckdb ]; then
  mkdir -p "$DLT_DATA_DIR/pipelines/fresh"
  start_server fresh && {
    dom "/overview" fresh_overview && {
      grep -q '<p class="notice" id="dataset-error">no dataset yet' "$tmp/fresh_overview.html" && ok || bad "fresh: the explanation"
      grep -q "Pipeline fresh" "$tmp/fresh_overview.html" && ok || bad "fresh: the pipeline's name"
    }
    api "$base/api/loads" ; [ "$status" = 404 ] && ok || bad "fresh: loads $status"
    api "$base/api/trace"; last | grep -q '"trace_error":"no run was traced yet"' && ok || bad "fresh: trace"
    stop_server
  }
fi

# usage errors of show
"$dlt" pipeline dash show --port 70000 >/dev/null 2>&1; [ $? = 2 ] && ok || bad "--port 70000 is a usage error"
"$dlt" pipeline dash show --port x >/dev/null 2>&1; [ $? = 2 ] && ok || bad "--port x is a usage error"
"$dlt" pipeline nosuch show --port 0 >/dev/null 2>&1; [ $? = 1 ] && ok || bad "no such pipeline"

echo "screenshots: $out"
echo "$passes passed, $fails failed"
[ $fails = 0 ]
