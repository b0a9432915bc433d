#!/usr/bin/env bash
# The fault matrix of `dlt run` with the rest_api source (docs/pipeline_file.md): the fake
# GitHub API answers 429, 500, 502, 503 or cuts bodies short, for a few requests (retried:
# the run completes) or for every request (the run fails with one line); a server that is
# gone. After every sequence the tables hold each issue and each comment exactly once,
# although the issues are appended (new issues only: an edited one would come again, as
# append means): a failed run loads nothing and keeps the state, the rerun finishes the job.
set -u
bin=$(cd "$(dirname "$1")" && pwd)
dlt=$bin/$(basename "$1")
server=$bin/tests/github_server
[ -x "$server" ] || { echo "FAIL: $server is not built"; exit 1; }
tmp=$(mktemp -d)
srv_pid=
stop_server() {
  if [ -n "$srv_pid" ]; then
    kill "$srv_pid" 2>/dev/null; wait "$srv_pid" 2>/dev/null; srv_pid=
  fi
}
cleanup() { stop_server; [ -n "${KEEP_TMP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"; }
trap cleanup EXIT
cd "$tmp" || exit 1
mkdir -p .dlt logs
export DLT_DATA_DIR="$tmp/data"
unset DLT_PROJECT_DIR DLT_CONFIG_FOLDER DESTINATION__DUCKDB__CREDENTIALS
for v in $(env | sed -n 's/^\(SOURCES__[A-Z0-9_]*\|RUNTIME__[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done
# retries fast: 3 attempts, waits of 0.01 s, 0.02 s
export RUNTIME__REQUEST_MAX_ATTEMPTS=3 RUNTIME__REQUEST_BACKOFF_FACTOR=0.01
fails=0; passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

start_server() { # [PORT]
  rm -f "$tmp/port"
  coproc SRV { exec "$server" --port-file "$tmp/port" --issues 120 ${1:+--port "$1"}; }
  srv_pid=$SRV_PID
  for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
  port=$(cat "$tmp/port" 2>/dev/null) || { echo "FAIL: github_server did not start"; exit 1; }
}
start_server
http() {
  local fd
  exec {fd}<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf '%s %s HTTP/1.0\r\nHost: 127.0.0.1:%s\r\n\r\n' "$1" "$2" "$port" >&"$fd"
  cat <&"$fd"
  exec {fd}>&-
}
admin() { http POST "/_admin/$1" >/dev/null; }
fact() { http GET /_admin/stats | awk -v k="$1" '$1 == k && NF == 2 { print $2 }'; }
q() { "$dlt" pipeline faults query "$1" --format csv 2>&1 | tail -n 1; }
n_run=0
run() { n_run=$((n_run + 1)); out="logs/run.$n_run"; "$dlt" run faults.toml > "$out" 2>&1; rc=$?; }

write_file() {
  cat > faults.toml <<EOF
[pipeline]
name = "faults"

[[sources]]
type = "rest_api"
name = "github"
[sources.client]
base_url = "http://127.0.0.1:$port/repos/dlt-hub/dlt/"
paginator = "header_link"

[[sources.resources]]
name = "issues"
write_disposition = "append"
[sources.resources.endpoint]
path = "issues"
params = { state = "all", per_page = 25, sort = "updated", direction = "asc", since = "{incremental.start_value}" }
incremental = { cursor_path = "updated_at", initial_value = "2024-01-01T00:00:00Z" }

[[sources.resources]]
name = "comments"
primary_key = "id"
write_disposition = "merge"
[sources.resources.endpoint]
path = "issues/{resources.issues.number}/comments"
EOF
}
write_file

# exactly once: every issue and comment of the server, each once
exact() {
  local issues comments
  issues=$(fact issues); comments=$(fact comments)
  [ "$(q "select count(*) || '/' || count(distinct id) from issues")" = "$issues/$issues" ] &&
    [ "$(q "select count(*) || '/' || count(distinct id) from comments")" = "$comments/$comments" ]
}
fault() { admin "fault?path=/repos/dlt-hub/dlt/$1"; }

run
[ $rc = 0 ] && exact && ok || bad "clean first run: $(cat "$out")"

# ---- retried: the run completes, nothing twice ----
for f in "issues&status=429&count=2" "issues&status=503&count=2" "issues&status=500&count=2" \
         "issues&truncate=1&count=2" "issues/NEW/comments&status=502&count=2" \
         "issues/NEW/comments&truncate=1&count=1"; do
  admin "add?issues=2"
  f=${f/NEW/$(fact issues)}
  fault "$f"
  run
  [ $rc = 0 ] && exact && ok || bad "retried fault $f: $(cat "$out")"
done
admin clear_faults

# ---- not recoverable within the attempts: one line, nothing loaded, the rerun finishes ----
for f in "issues&status=503&count=50" "issues&status=429&count=50" "issues&truncate=1&count=50" \
         "issues/NEW/comments&status=500&count=50" "issues&status=404&count=1" \
         "issues&status=401&count=1"; do
  admin "add?issues=2"
  before=$(q "select count(*) from issues")
  f=${f/NEW/$(fact issues)}  # the comments of the newest issue: read in this run
  fault "$f"
  run
  [ $rc = 1 ] && [ "$(wc -l < "$out")" = 1 ] && grep -q "127.0.0.1:$port/repos/dlt-hub/dlt/issues" "$out" && ok || bad "failing fault $f: one line naming the URL: $(cat "$out")"
  [ "$(q "select count(*) from issues")" = "$before" ] && ok || bad "failing fault $f loaded nothing"
  admin clear_faults
  run
  [ $rc = 0 ] && exact && ok || bad "rerun after $f: $(cat "$out")"
done

# ---- the server is gone, then back on the same port ----
admin "add?issues=3"
old_port=$port
stop_server
run
[ $rc = 1 ] && [ "$(wc -l < "$out")" = 1 ] && grep -q "127.0.0.1:$old_port" "$out" && ok || bad "dead server: one line: $(cat "$out")"
start_server "$old_port"
# a new server starts from its seed: the tables keep what the old one served
run
[ $rc = 0 ] && ok || bad "rerun against the restarted server: $(cat "$out")"
[ "$(q "select count(*) - count(distinct id) from issues")" = 0 ] && ok || bad "no issue twice after the restart"

echo "run_faults: $passes passed, $fails failed"
[ "$fails" = 0 ]
