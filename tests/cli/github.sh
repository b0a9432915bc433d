#!/usr/bin/env bash
# dlt's tutorial "Build a dlt pipeline" in C (examples/github, docs/tutorial.md): every step
# runs against the fake GitHub API of tests/support/github_server, and the loaded tables are
# checked with SQL: row counts equal the server's, reruns add no duplicates, incremental
# reruns load only what is new, merge updates rows in place, `since` is sent and saves
# pages, traffic/clones needs the token, and the token shows up nowhere.
set -u
bin=$(cd "$(dirname "$1")" && pwd)
dlt=$bin/$(basename "$1")
server=$bin/tests/github_server
ex=$bin/examples/github
for f in "$server" "$ex/github_issues" "$ex/github_config"; do
  [ -x "$f" ] || { echo "FAIL: $f is not built"; exit 1; }
done
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
unset DLT_PROJECT_DIR DLT_CONFIG_FOLDER ACCESS_TOKEN SOURCES__ACCESS_TOKEN REPO_NAME \
  SOURCES__REPO_NAME SOURCES__GITHUB__BASE_URL SOURCES__GITHUB__ACCESS_TOKEN \
  SOURCES__GITHUB__REPO_NAME DESTINATION__DUCKDB__CREDENTIALS
token="ghp_TutorialT0ken$$"
fails=0; passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# The server stops by itself when this script dies: its stdin is the coprocess pipe.
coproc SRV { exec "$server" --port-file "$tmp/port" --token "$token" --issues 250; }
srv_pid=$SRV_PID
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
port=$(cat "$tmp/port" 2>/dev/null) || { echo "FAIL: github_server did not start"; exit 1; }
base="http://127.0.0.1:$port"
printf '[sources.github]\nbase_url = "%s"\n' "$base" > .dlt/config.toml

# HTTP without curl: METHOD PATH, prints the response (headers, blank line, body)
http() {
  local fd
  exec {fd}<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf '%s %s HTTP/1.0\r\nHost: 127.0.0.1:%s\r\n\r\n' "$1" "$2" "$port" >&"$fd"
  cat <&"$fd"
  exec {fd}>&-
}
admin() { http POST "/_admin/$1" >/dev/null; }
fact() { http GET /_admin/stats | awk -v k="$1" '$1 == k && NF == 2 { print $2 }'; }
# requests|since|pages of a path under the repository
stat() { http GET /_admin/stats | awk -v k="$1" -v p="/repos/dlt-hub/dlt/$2" '$1 == k && $2 == p { print $3 }'; }
last_query() { http GET /_admin/stats | awk -v p="/repos/dlt-hub/dlt/$1" '$1 == "last_query" && $2 == p { print $3 }'; }
# q PIPELINE DATASET SQL: the last csv line
# the dataset (argument 2) is found in the pipeline's state, as dlt does: not passed
q() { "$dlt" pipeline "$1" query "$3" --format csv 2>&1 | tail -n 1; }
# run NAME [ARGS]: the program's stdout+stderr in logs/NAME.N, its exit code in $rc
n_run=0
run() {
  n_run=$((n_run + 1)); out="logs/$1.$n_run"
  "$ex/$1" "${@:2}" > "$out" 2>&1; rc=$?
}
loaded() { grep -q "^- $1: $2 row(s)$" "$out"; }
one_line_error() { [ "$rc" -ne 0 ] && [ "$(wc -l < "$out")" = 1 ] && grep -q "$1" "$out"; }

# ---- the server itself: Link header, unknown repo ----
resp=$(http GET "/repos/dlt-hub/dlt/issues?per_page=100&page=2&directions=desc")
grep -q '^Link: <http://127.0.0.1:'"$port"'/repos/dlt-hub/dlt/issues?per_page=100&directions=desc&page=1>; rel="prev", .*rel="first"' <<<"$resp" && ok || bad "Link header of page 2: $resp"
grep -q '^HTTP/1.[01] 404' <<<"$(http GET /repos/nobody/nothing/issues)" && ok || bad "unknown repo is 404"
open=$(fact open_issues)
[ "$open" = 188 ] && ok || bad "188 open issues seeded, got $open"

# ---- 1. plain HTTP client, Link pagination by hand, append ----
admin reset_stats
run github_issues
[ $rc = 0 ] && loaded issues "$open" && ok || bad "step 1: $(cat "$out")"
[ "$(stat requests issues)" = 7 ] && ok || bad "step 1 follows rel=next: 7 pages of 30, got $(stat requests issues)"
run github_issues
[ "$(q github_issues github_data "select count(*) || '/' || count(distinct id) from issues")" = "$((2 * open))/$open" ] && ok || bad "append twice: every issue twice"

# ---- 2. replace ----
run github_issues_replace
[ $rc = 0 ] && ok || bad "step 2: $(cat "$out")"
run github_issues_replace
[ "$(q github_issues github_data "select count(*) || '/' || count(distinct id) from issues")" = "$open/$open" ] && ok || bad "replace: each issue once"

# ---- 3. incremental on created_at, stop at start_out_of_range ----
admin reset_stats
run github_issues_incremental
[ $rc = 0 ] && loaded issues "$open" && ok || bad "step 3: $(cat "$out")"
[ "$(stat requests issues)" = 2 ] && ok || bad "step 3 first run: 2 pages"
run github_issues_incremental
[ $rc = 0 ] && ! grep -q '^- issues:' "$out" && ok || bad "step 3 rerun loads nothing: $(cat "$out")"
[ "$(stat requests issues)" = 3 ] && ok || bad "step 3 rerun stops after one page: $(stat requests issues) requests"
admin "add?issues=5"
open=$(fact open_issues)
run github_issues_incremental
[ $rc = 0 ] && loaded issues 5 && ok || bad "step 3 picks up 5 new issues: $(cat "$out")"
[ "$(q github_issues_incremental github_data_append "select count(*) || '/' || count(distinct id) from issues")" = "$open/$open" ] && ok || bad "step 3: $open distinct issues"

# ---- 4. merge on id, incremental on updated_at with since ----
admin reset_stats
run github_issues_merge
[ $rc = 0 ] && loaded issues "$open" && ok || bad "step 4: $(cat "$out")"
labels=$(sed -n 's/^- issues__labels: \([0-9]*\) row(s)$/\1/p' "$out")
[ "$(stat requests issues)" = 2 ] && [ "$(stat since issues)" = 2 ] && ok || bad "step 4 first run: 2 pages, with since"
grep -q '^since=1970-01-01T00%3A00%3A00' <<<"$(last_query issues)" && ok || bad "step 4 sends since=initial value: $(last_query issues)"
run github_issues_merge
[ $rc = 0 ] && ! grep -q '^- issues:' "$out" && ok || bad "step 4 rerun loads nothing: $(cat "$out")"
[ "$(stat requests issues)" = 3 ] && ok || bad "step 4 rerun: since leaves one page"
grep -q '^since=2024-' <<<"$(last_query issues)" && ok || bad "step 4 rerun sends the last value: $(last_query issues)"
admin "update?issues=3"
run github_issues_merge
[ $rc = 0 ] && loaded issues 3 && ok || bad "step 4 loads the 3 changed issues: $(cat "$out")"
[ "$(q github_issues_merge github_data_merge "select count(*) || '/' || count(distinct id) || '/' || count(*) filter (where title like '%(edited 1)') from issues")" = "$open/$open/3" ] && ok || bad "step 4 updates in place"
[ -n "$labels" ] && [ "$(q github_issues_merge github_data_merge "select count(*) from issues__labels")" = "$labels" ] && ok || bad "step 4 replaces the child rows of merged issues"

# ---- 5. the paginate helper (Link pagination detected) ----
if [ -x "$ex/github_issues_paginate" ]; then
  admin reset_stats
  run github_issues_paginate
  [ $rc = 0 ] && loaded issues "$open" && ok || bad "step 5: $(cat "$out")"
  [ "$(stat pages issues)" = 2 ] && [ "$(stat since issues)" = 2 ] && ok || bad "step 5 follows the Link header with since: $(stat pages issues) pages"
  admin "update?issues=2"
  run github_issues_paginate
  [ $rc = 0 ] && loaded issues 2 && ok || bad "step 5 rerun loads the 2 changed issues: $(cat "$out")"
  [ "$(stat requests issues)" = 3 ] && ok || bad "step 5 rerun: one page"
  [ "$(q github_issues_paginate github_data_merge "select count(*) || '/' || count(distinct id) || '/' || count(*) filter (where title like '%(edited%') from issues")" = "$open/$open/5" ] && ok || bad "step 5 updates in place"
fi

# ---- 6. a source with issues and comments ----
comments=$(fact comments)
run github_source
[ $rc = 0 ] && loaded issues "$open" && loaded comments "$comments" && ok || bad "step 6: $(cat "$out")"
admin "add?comments=2"
admin "update?comments=1"
comments=$(fact comments)
run github_source
[ $rc = 0 ] && loaded comments 3 && ! grep -q '^- issues:' "$out" && ok || bad "step 6 rerun: 2 new + 1 edited comment: $(cat "$out")"
[ "$(q github_with_source github_data "select count(*) || '/' || count(distinct id) || '/' || count(*) filter (where body like '%(edited 1)') from comments")" = "$comments/$comments/1" ] && ok || bad "step 6 comments merged"

# ---- 7. dynamic resources; traffic/clones without a token ----
run github_dynamic
one_line_error "401 Client Error: Unauthorized for url: $base/repos/dlt-hub/dlt/traffic/clones" && ok || bad "step 7 fails on traffic/clones with a 401: $(cat "$out")"
! "$dlt" pipeline github_dynamic_source query "select count(*) from issues" --dataset github_data >/dev/null 2>&1 && ok || bad "step 7: nothing of the failed run is loaded"
run github_dynamic issues comments
[ $rc = 0 ] && loaded issues "$open" && loaded comments "$comments" && ok || bad "step 7 issues and comments: $(cat "$out")"
run github_dynamic issues comments
[ "$(q github_dynamic_source github_data "select (select count(*) || '/' || count(distinct id) from issues) || '/' || (select count(*) || '/' || count(distinct id) from comments)")" = "$open/$open/$comments/$comments" ] && ok || bad "step 7 merged twice: no duplicates"

# ---- 8. the access token from secrets.toml ----
run github_secrets
one_line_error "access_token" && ok || bad "step 8 without a token: $(cat "$out")"
SOURCES__ACCESS_TOKEN="wrong-$token" run github_secrets
one_line_error "401 Client Error" && ok || bad "step 8 with a wrong token: $(cat "$out")"
printf '[sources]\naccess_token = "%s"\n' "$token" > .dlt/secrets.toml
run github_secrets
[ $rc = 0 ] && loaded traffic_clones 14 && loaded issues "$open" && loaded comments "$comments" && ok || bad "step 8 with the token: $(cat "$out")"
run github_secrets
[ "$(q github_with_source_secrets github_data "select (select count(*) || '/' || count(distinct timestamp) from traffic_clones) || '/' || (select count(*) || '/' || count(distinct id) from issues)")" = "14/14/$open/$open" ] && ok || bad "step 8 merged twice: no duplicates"

# ---- 9. repo_name from config.toml ----
run github_config
one_line_error "repo_name" && ok || bad "step 9 without repo_name: $(cat "$out")"
printf '[sources]\nrepo_name = "dlt-hub/dlt"\n\n[sources.github]\nbase_url = "%s"\n' "$base" > .dlt/config.toml
run github_config
[ $rc = 0 ] && loaded traffic_clones 14 && loaded issues "$open" && ok || bad "step 9: $(cat "$out")"
printf '[sources]\nrepo_name = "dlt-hub/missing"\n\n[sources.github]\nbase_url = "%s"\n' "$base" > .dlt/config.toml
run github_config
one_line_error "404 Client Error: Not Found for url: $base/repos/dlt-hub/missing/" && ok || bad "step 9 unknown repo: $(cat "$out")"

# ---- the token is nowhere: outputs, traces, info, working dirs, databases ----
for p in github_with_source_secrets github_with_source_config; do
  "$dlt" pipeline "$p" trace > "logs/$p.trace" 2>&1 && ok || bad "$p trace"
  "$dlt" pipeline "$p" info -v > "logs/$p.info" 2>&1 && ok || bad "$p info"
done
leaks=$(grep -rlF --exclude-dir=.dlt -- "$token" "$tmp")
[ -z "$leaks" ] && ok || bad "the token leaked into: $leaks"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
