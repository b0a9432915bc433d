#!/usr/bin/env bash
# Pipelines without code (docs/pipeline_file.md): `dlt run` of TOML, YAML and JSON pipeline
# files with the rest_api source against the fake GitHub API (tests/support/github_server),
# the filesystem source over a folder of CSV files and the sql_database source over a SQLite
# file; incremental reruns, merge, the ledger, one-line errors with file:line, `dlt init`
# and `dlt deploy`. Every loaded table is checked with SQL.
set -u
bin=$(cd "$(dirname "$1")" && pwd)
dlt=$bin/$(basename "$1")
src_dir=$(cd "$2" && pwd)
server=$bin/tests/github_server
[ -x "$server" ] || { echo "FAIL: $server is not built"; exit 1; }
tmp=$(mktemp -d)
srv_pid=
cleanup() {
  [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null && wait "$srv_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp" || exit 1
mkdir -p .dlt logs
export DLT_DATA_DIR="$tmp/data"
unset DLT_PROJECT_DIR DLT_CONFIG_FOLDER DESTINATION__DUCKDB__CREDENTIALS
for v in $(env | sed -n 's/^\(SOURCES__[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done
token="ghp_RunFileT0ken$$"
fails=0; passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

coproc SRV { exec "$server" --port-file "$tmp/port" --token "$token" --issues 250; }
srv_pid=$SRV_PID
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
port=$(cat "$tmp/port" 2>/dev/null) || { echo "FAIL: github_server did not start"; exit 1; }
base="http://127.0.0.1:$port"
http() {
  local fd
  exec {fd}<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf '%s %s HTTP/1.0\r\nHost: 127.0.0.1:%s\r\n\r\n' "$1" "$2" "$port" >&"$fd"
  cat <&"$fd"
  exec {fd}>&-
}
admin() { http POST "/_admin/$1" >/dev/null; }
fact() { http GET /_admin/stats | awk -v k="$1" '$1 == k && NF == 2 { print $2 }'; }
stat() { http GET /_admin/stats | awk -v k="$1" -v p="/repos/dlt-hub/dlt/$2" '$1 == k && $2 == p { print $3 }'; }
last_query() { http GET /_admin/stats | awk -v p="/repos/dlt-hub/dlt/$1" '$1 == "last_query" && $2 == p { print $3 }'; }
q() { "$dlt" pipeline "$1" query "$2" --format csv 2>&1 | tail -n 1; }
n_run=0
run() {
  n_run=$((n_run + 1)); out="logs/run.$n_run"
  "$dlt" run "$@" > "$out" 2>&1; rc=$?
}
loaded() { grep -q "^- $1: $2 row(s)$" "$out"; }
one_line_error() { [ "$rc" -ne 0 ] && [ "$(wc -l < "$out")" = 1 ] && grep -qF -- "$1" "$out"; }

printf '[sources.rest_api.github.credentials]\ntoken = "%s"\n' "$token" > .dlt/secrets.toml

# ---- rest_api from TOML: issues (incremental, merge) and their comments (child) ----
cat > gh.toml <<EOF
# the GitHub issues of the fake server
[pipeline]
name = "gh_run"
destination = "duckdb"
dataset_name = "gh_data"

[[sources]]
type = "rest_api"
name = "github"

[sources.client]
base_url = "$base/repos/dlt-hub/dlt/"
auth = { type = "bearer" }

[sources.resource_defaults]
primary_key = "id"
write_disposition = "merge"
endpoint = { params = { per_page = 100 } }

[[sources.resources]]
name = "issues"
[sources.resources.endpoint]
path = "issues"
params = { state = "all", sort = "updated", direction = "desc", since = "{incremental.start_value}" }
incremental = { cursor_path = "updated_at", initial_value = "2024-01-01T00:00:00Z" }

[[sources.resources]]
name = "issue_comments"
include_from_parent = ["id"]
[sources.resources.endpoint]
path = "issues/{resources.issues.number}/comments"
EOF
issues=$(fact issues); comments=$(fact comments)
admin reset_stats
run gh.toml --ledger run_ledger
[ $rc = 0 ] && loaded issues "$issues" && loaded issue_comments "$comments" && ok || bad "rest_api first run: $(cat "$out")"
[ "$(stat requests issues)" = 3 ] && ok || bad "250 issues in 3 pages of 100: $(stat requests issues) requests"
grep -q 'since=2024-01-01T00%3A00%3A00' <<<"$(last_query issues)" && ok || bad "since = the initial value: $(last_query issues)"
[ "$(q gh_run "select count(*) || '/' || count(distinct id) from issues")" = "$issues/$issues" ] && ok || bad "each issue once"
[ "$(q gh_run "select count(*) || '/' || count(distinct _issues_id) from issue_comments")" = "$comments/$(q gh_run "select count(*) from issues where comments > 0")" ] && ok || bad "comments carry _issues_id of their issue"
[ "$(q gh_run "select count(*) from run_ledger where pipeline_name = 'gh_run' and dataset_name = 'gh_data' and load_info like '%gh_data%'")" = 1 ] && ok || bad "one ledger row: $(q gh_run "select * from run_ledger")"

admin reset_stats
admin "update?issues=4"
admin "add?issues=2"
issues=$(fact issues)
run gh.toml --ledger run_ledger
[ $rc = 0 ] && loaded issues 6 && ok || bad "rerun loads the 4 changed and 2 new issues: $(cat "$out")"
[ "$(stat requests issues)" = 1 ] && ok || bad "rerun: one page with since"
grep -q 'since=2024-' <<<"$(last_query issues)" && ! grep -q 'since=2024-01-01T00%3A00%3A00' <<<"$(last_query issues)" && ok || bad "rerun sends the stored last value: $(last_query issues)"
[ "$(q gh_run "select count(*) || '/' || count(distinct id) || '/' || count(*) filter (where title like '%(edited 1)') from issues")" = "$issues/$issues/4" ] && ok || bad "merge updates in place"
[ "$(q gh_run "select count(*) from run_ledger")" = 2 ] && ok || bad "two ledger rows"
"$dlt" pipeline gh_run info > logs/info 2>&1 && grep -q 'Found pipeline gh_run' logs/info && ok || bad "dlt pipeline info: $(cat logs/info)"

# ---- the same config as YAML and as JSON: same tables ----
cat > gh.yaml <<EOF
pipeline:
  name: gh_yaml
  dataset_name: gh_data
sources:
  - type: rest_api
    name: github
    client:
      base_url: $base/repos/dlt-hub/dlt/
      auth: {type: bearer}
    resource_defaults:
      primary_key: id
      write_disposition: merge
      endpoint:
        params: {per_page: 100}
    resources:
      - name: issues
        endpoint:
          path: issues
          params: {state: all}
EOF
run gh.yaml
[ $rc = 0 ] && loaded issues "$issues" && ok || bad "YAML pipeline file: $(cat "$out")"
printf '{"pipeline": {"name": "gh_json"}, "source": {"type": "rest_api", "name": "github",
 "client": {"base_url": "%s/repos/dlt-hub/dlt/", "auth": {"type": "bearer"}},
 "resources": [{"name": "repo", "endpoint": {"path": "%s/repos/dlt-hub/dlt", "data_selector": "$"}}]}}' "$base" "$base" > gh.json
run gh.json
[ $rc = 0 ] && loaded repo 1 && ok || bad "JSON pipeline file, single entity: $(cat "$out")"

# ---- errors: one line, the file:line and the key, nothing secret ----
printf '[pipeline]\nname = "bad"\ndestinaton = "duckdb"\n[[sources]]\ntype = "filesystem"\n' > bad1.toml
run bad1.toml
one_line_error 'bad1.toml:3: pipeline.destinaton: unknown key' && ok || bad "unknown key: $(cat "$out")"
printf 'pipeline:\n  name: bad\nsources:\n  - type: rest_apii\n' > bad2.yaml
run bad2.yaml
one_line_error 'bad2.yaml:4: sources[0].type: unknown value "rest_apii" (rest_api, sql_database, filesystem)' && ok || bad "unknown source type: $(cat "$out")"
sed 's/^path = "issues"$/path = "issues"\npaginator = { type = "nosuch" }/' gh.toml > bad3.toml
line=$(grep -n 'nosuch' bad3.toml | cut -d: -f1)
run bad3.toml
one_line_error "bad3.toml:$line:" && grep -q 'paginator' "$out" && ok || bad "bad paginator at line $line: $(cat "$out")"
printf '[pipeline]\nname = "bad"\n[[sources]]\ntype = "sql_database"\nchunk_size = "big"\n' > bad4.toml
run bad4.toml
one_line_error 'bad4.toml:5: sources[0].chunk_size: expected an integer, found a string' && ok || bad "wrong type: $(cat "$out")"
printf '[pipeline]\nname = "bad"\n[[sources]]\ntype = "sql_database"\n' > bad5.toml
run bad5.toml
one_line_error 'sources[0].credentials: missing' && ok || bad "missing credentials: $(cat "$out")"
printf 'pipeline = [1,\n' > bad7.toml
run bad7.toml
[ $rc = 1 ] && [ "$(wc -l < "$out")" = 1 ] && grep -q 'bad7.toml:[0-9]*:[0-9]*:' "$out" && ok || bad "TOML syntax error with line:col: $(cat "$out")"
run nosuch.toml
one_line_error 'nosuch.toml: no such pipeline file' && ok || bad "missing file: $(cat "$out")"
run gh.toml --source nope
[ $rc = 2 ] && ok || bad "--source of an unknown source is a usage error"
run bad3.toml --check
[ $rc = 1 ] && ok || bad "--check finds the bad paginator"
run gh.toml --check
[ $rc = 0 ] && grep -q 'OK' "$out" && ok || bad "--check of a good file: $(cat "$out")"
mv .dlt/secrets.toml secrets.away
run gh.toml
[ $rc = 1 ] && [ "$(wc -l < "$out")" = 1 ] && grep -q 'token' "$out" && ok || bad "missing token: one line naming it: $(cat "$out")"
mv secrets.away .dlt/secrets.toml
if grep -rq "$token" logs "$DLT_DATA_DIR" 2>/dev/null; then bad "the token appears in output or the pipeline dir"; else ok; fi

# ---- filesystem: a folder of CSV files, incremental by modification date ----
mkdir -p files/sub
printf 'id,name\n1,ann\n2,bob\n' > files/a.csv
printf 'id,name\n3,cid\n' > files/sub/b.csv
printf 'not,a,match\n' > files/c.txt
cat > fs.toml <<EOF
[pipeline]
name = "fs_run"

[[sources]]
type = "filesystem"
bucket_url = "files"
file_glob = "**/*.csv"
format = "csv"
incremental = true
table_name = "people"
primary_key = "id"
write_disposition = "merge"
EOF
run fs.toml
[ $rc = 0 ] && loaded people 3 && ok || bad "filesystem: 3 rows of 2 files: $(cat "$out")"
run fs.toml
[ $rc = 0 ] && ! grep -q '^- people:' "$out" && ok || bad "filesystem rerun: no changed file, nothing loaded: $(cat "$out")"
sleep 1
printf 'id,name\n1,ann2\n2,bob\n4,dan\n' > files/a.csv
run fs.toml
[ $rc = 0 ] && loaded people 3 && ok || bad "filesystem: the changed file again: $(cat "$out")"
[ "$(q fs_run "select count(*) || '/' || string_agg(name, ';' order by id) from people")" = "4/ann2;bob;cid;dan" ] && ok || bad "filesystem merge: $(q fs_run "select * from people")"
printf '[pipeline]\nname = "fs_list"\n[[sources]]\ntype = "filesystem"\nbucket_url = "files"\nfile_glob = "**/*"\n' > fsl.toml
run fsl.toml
[ $rc = 0 ] && loaded filesystem 3 && ok || bad "file listing rows: $(cat "$out")"

# ---- [pipeline] progress: the file names the reporter; a wrong name is refused at its line ----
sed 's/^name = "fs_run"$/name = "fs_run"\nprogress = "none"/' fs.toml > fsp.toml
printf 'id,name\n9,zed\n' > files/z.csv
run fsp.toml
[ $rc = 0 ] && ! grep -q ' done: ' "$out" && ok || bad "progress = none in the file: $(cat "$out")"
sed 's/^name = "fs_run"$/name = "fs_run"\nprogress = "log"/' fs.toml > fsl2.toml
printf 'id,name\n10,yan\n' > files/y.csv
"$dlt" run fsl2.toml -q > logs/q.out 2> logs/q.err
[ ! -s logs/q.out ] && ! grep -q ' done: ' logs/q.err && ok || bad "-q beats the file's progress: $(cat logs/q.err)"
printf 'id,name\n11,xia\n' > files/x.csv
run fsl2.toml
[ $rc = 0 ] && grep -q '^load done: ' "$out" && ok || bad "progress = log in the file: $(cat "$out")"
sed 's/^name = "fs_run"$/name = "fs_run"\nprogress = "fancy"/' fs.toml > fspb.toml
line=$(grep -n 'fancy' fspb.toml | cut -d: -f1)
run fspb.toml
one_line_error "fspb.toml:$line: pipeline.progress: unknown value \"fancy\" (log, tqdm, enlighten, alive_progress, none)" && ok ||
  bad "bad progress name: $(cat "$out")"

# ---- sql_database over SQLite, incremental on a cursor column ----
python3 - <<'EOF'
import sqlite3
c = sqlite3.connect("shop.db")
c.executescript("""
create table customers (id integer primary key, name text not null, vip boolean);
create table orders (id integer primary key, customer_id integer, total numeric(10,2),
                     updated_at timestamp not null);
insert into customers values (1, 'ann', 1), (2, 'bob', 0);
insert into orders values (1, 1, 10.50, '2024-01-01 10:00:00'), (2, 2, 20.00, '2024-01-02 10:00:00'),
                          (3, 1, 5.25, '2024-01-03 10:00:00');
""")
c.commit()
EOF
printf '[sources.sql_database]\ncredentials = "sqlite:///shop.db"\n' >> .dlt/secrets.toml
cat > sql.yaml <<'EOF'
pipeline:
  name: sql_run
  dataset_name: shop
sources:
  - type: sql_database
    table_names: [customers, orders]
    tables:
      orders:
        write_disposition: merge
        incremental:
          cursor_path: updated_at
          initial_value: 2024-01-02T00:00:00
EOF
run sql.yaml
[ $rc = 0 ] && loaded customers 2 && loaded orders 2 && ok || bad "sql_database: 2 customers, 2 orders since the initial value: $(cat "$out")"
python3 -c "
import sqlite3; c = sqlite3.connect('shop.db')
c.execute(\"insert into orders values (4, 2, 7.00, '2024-01-04 10:00:00')\")
c.execute(\"update orders set total = 21.00, updated_at = '2024-01-05 10:00:00' where id = 2\")
c.commit()"
run sql.yaml
[ $rc = 0 ] && loaded orders 2 && ok || bad "sql_database rerun: the new and the changed order: $(cat "$out")"
[ "$(q sql_run "select count(*) || '/' || sum(total) from orders")" = "3/33.25" ] && ok || bad "orders merged: $(q sql_run "select * from orders")"
[ "$(q sql_run "select data_type from information_schema.columns where table_schema = 'shop' and table_name = 'orders' and column_name = 'total'")" = '"DECIMAL(10,2)"' ] && ok || bad "numeric(10,2) is a decimal: $(q sql_run "select data_type from information_schema.columns where table_name = 'orders' and column_name = 'total'")"

# ---- the bundled example: GitHub repo stats, merge on repo, parquet, a ledger ----
sed "s|https://api.github.com/|$base/|" "$src_dir/examples/pipelines/github_repo_stats.toml" > stats.toml
run stats.toml --ledger run_ledger
[ $rc = 0 ] && loaded github_repo_stats 3 && ok || bad "repo stats example: $(cat "$out")"
admin "add?issues=1"
run stats.toml --ledger run_ledger
[ "$(q github_repo_stats "select count(*) || '/' || count(distinct repo) || '/' || string_agg(repo, ';' order by repo) from github_repo_stats")" = "3/3/apache/arrow;dlt-hub/dlt;duckdb/duckdb" ] && ok || bad "one row per repo: $(q github_repo_stats "select * from github_repo_stats")"
[ "$(q github_repo_stats "select string_agg(column_name, ';' order by ordinal_position) from information_schema.columns where table_name = 'github_repo_stats' and column_name not like '\_dlt%' escape '\'")" = "repo;stars;forks;watchers;open_issues;language;license;pushed_at" ] && ok || bad "the selected columns: $(q github_repo_stats "select column_name from information_schema.columns where table_name = 'github_repo_stats'")"
[ "$(q github_repo_stats "select count(*) from run_ledger")" = 2 ] && ok || bad "the example's ledger has two runs"
ls "$DLT_DATA_DIR"/pipelines/github_repo_stats/load/loaded/*/completed_jobs/github_repo_stats.*.parquet > /dev/null 2>&1 && ok || bad "the example loads parquet files"

# ---- dlt init ----
run_init() { n_run=$((n_run + 1)); out="logs/init.$n_run"; "$dlt" init "$@" > "$out" 2>&1; rc=$?; }
run_init rest_api duckdb --location init1
[ $rc = 0 ] && [ -f init1/rest_api_pipeline.toml ] && [ -f init1/.dlt/config.toml ] && [ -f init1/.dlt/secrets.toml ] && ok || bad "init rest_api duckdb: $(cat "$out")"
grep -q '<configure me>' init1/.dlt/secrets.toml && grep -qx '.dlt/secrets.toml' init1/.gitignore && ok || bad "init: placeholders and .gitignore"
[ "$(command stat -c %a init1/.dlt/secrets.toml)" = 600 ] && ok || bad "init: secrets.toml is 0600"
(cd init1 && "$dlt" run rest_api_pipeline.toml --check) > logs/init_check 2>&1 && ok || bad "the rest_api starter file checks: $(cat logs/init_check)"
sed -i -e "s|https://api.github.com/repos/dlt-hub/dlt/|$base/repos/dlt-hub/dlt/|" -e 's/2024-01-25T11:21:28Z/2024-01-01T00:00:00Z/' init1/rest_api_pipeline.toml
(cd init1 && "$dlt" run rest_api_pipeline.toml) > logs/init_run 2>&1 && grep -q '^- issues: ' logs/init_run && grep -q '^- issue_comments: ' logs/init_run && ok || bad "the rest_api starter runs: $(cat logs/init_run)"
run_init rest_api duckdb --location init1
[ $rc = 1 ] && grep -q 'exists' "$out" && ok || bad "init does not overwrite the pipeline file"
run_init sql_database postgres --location init1
[ $rc = 0 ] && grep -q '^\[destination.postgres.credentials\]' init1/.dlt/secrets.toml && grep -q '^\[sources.sql_database\]' init1/.dlt/secrets.toml && ok || bad "init sql_database postgres: $(cat "$out")"
run_init sql_database postgres --location init1 --force
[ "$(grep -c '^\[destination.postgres.credentials\]' init1/.dlt/secrets.toml)" = 1 ] && ok || bad "init again appends nothing twice"
run_init filesystem filesystem --location init2
[ $rc = 0 ] && grep -q '^bucket_url' init2/.dlt/config.toml && ok || bad "init filesystem: $(cat "$out")"
mkdir -p init2/data && printf 'a,b\n1,2\n' > init2/data/x.csv
(cd init2 && "$dlt" run filesystem_pipeline.toml) > logs/init_fs 2>&1 && grep -q '^- files_data: 1 row' logs/init_fs && ok || bad "the filesystem starter runs into the filesystem destination: $(cat logs/init_fs)"
run_init nosuch duckdb
[ $rc = 2 ] && ok || bad "init of an unknown source is a usage error"
"$dlt" init --list-sources | grep -q '^sql_database:' && ok || bad "init --list-sources"

# ---- dlt deploy ----
"$dlt" deploy gh.toml cron --schedule "15 6 * * *" --ledger run_ledger > logs/cron 2>&1
grep -q "^15 6 \* \* \* cd $tmp && mkdir -p .dlt/logs && $dlt run $tmp/gh.toml --ledger run_ledger >> .dlt/logs/gh_run.log 2>&1$" logs/cron && ok || bad "deploy cron: $(cat logs/cron)"
cronline=$(grep -v '^#' logs/cron)
(cd / && env -i PATH=/usr/bin:/bin HOME="$tmp" DLT_DATA_DIR="$DLT_DATA_DIR" bash -c "${cronline#15 6 \* \* \* }") && grep -q 'gh_data' .dlt/logs/gh_run.log && ok || bad "the cron command runs the pipeline: $(cat .dlt/logs/gh_run.log 2>&1)"
[ "$(q gh_run "select count(*) from run_ledger")" = 3 ] && ok || bad "the cron run wrote its ledger row"
"$dlt" deploy gh.toml systemd --schedule "30 6 * * *" > logs/systemd 2>&1
grep -qx 'OnCalendar=\*-\*-\* 6:30:00' logs/systemd && grep -qx "WorkingDirectory=\"$tmp\"" logs/systemd && grep -q "^ExecStart=\"$dlt\" run \"$tmp/gh.toml\"$" logs/systemd && ok || bad "deploy systemd: $(cat logs/systemd)"
"$dlt" deploy gh.toml cron --schedule "every day" > logs/cron_bad 2>&1
[ $? = 2 ] && ok || bad "deploy: a bad cron schedule is a usage error"
"$dlt" deploy bad1.toml cron > logs/cron_bad2 2>&1
[ $? = 1 ] && grep -q 'bad1.toml:3' logs/cron_bad2 && ok || bad "deploy checks the file"

echo "run: $passes passed, $fails failed"
[ "$fails" = 0 ]
