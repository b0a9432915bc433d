#!/usr/bin/env bash
# A Postgres that goes away mid-load: the load is paused after its first job file went in
# (DLTC_PAUSE_AT), the server is stopped under it, the load fails with one line and leaves its
# package; the server comes back, the next run completes the package: nothing lost, nothing
# twice. Runs its own server (the shared fixture's must not go away).
set -u
dlt=$1
src=$2
[ "${DLTC_TEST_DESTINATION:-}" = postgres ] || { echo "postgres only: skipped"; exit 0; }
tmp=$(mktemp -d)
chmod 0755 "$tmp" # the server runs as the postgres user
pg="$tmp/pg"
cleanup() { DLTC_PG_WATCH_PID=0 bash "$src/tests/support/pg_server.sh" stop "$pg" >/dev/null 2>&1; rm -rf "$tmp"; }
trap cleanup EXIT
DLTC_PG_WATCH_PID=$$ bash "$src/tests/support/pg_server.sh" start "$pg" >/dev/null || { echo "cannot start postgres"; exit 1; }
cd "$tmp" || exit 1
export DLT_DATA_DIR="$tmp/data"
export DESTINATION__POSTGRES__CREDENTIALS=$(cat "$pg/uri")
real_dlt=$(sed -n 's/^exec "\([^"]*\)" "\${args\[@\]}"$/\1/p' "$dlt" | head -n1)
[ -n "$real_dlt" ] || real_dlt=$dlt
fails=0; passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
for i in $(seq 1 3); do
  awk -v k="$i" 'BEGIN { for (n = 1; n <= 20000; n++) printf "{\"id\": %d, \"part\": %d, \"tags\": [\"a\", \"b\"]}\n", n + k * 100000, k }' > "t$i.jsonl"
done
args=(--pipeline outage --table items --destination postgres -q)
"$real_dlt" load t1.jsonl "${args[@]}" || bad "first load"
# the second load pauses after its first job; the server is stopped meanwhile
DLTC_PAUSE_AT=load:after-first-job:4 "$real_dlt" load t2.jsonl "${args[@]}" 2>"$tmp/err" &
pid=$!
sleep 2
bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
as_pg "$bindir/pg_ctl" -D "$pg/data" -m immediate -w stop >/dev/null 2>&1 || bad "stopping the server"
wait $pid; code=$?
[ "$code" = 1 ] && ok || bad "the load without its server fails (exit $code)"
[ "$(wc -l < "$tmp/err")" = 1 ] && ok || bad "one line: $(cat "$tmp/err")"
grep -q 'loader-pw' "$tmp/err" && bad "password in the error" || ok
ls data/pipelines/outage/load/normalized/ | grep -q . && ok || bad "the package is kept"
# the server comes back; the next run completes the package, then loads its own
as_pg "$bindir/pg_ctl" -D "$pg/data" -l "$pg/server.log" -o "-p $(cat "$pg/port")" -w start >/dev/null 2>&1 || bad "restart"
"$real_dlt" load t3.jsonl "${args[@]}" || bad "next run"
q() { "$real_dlt" pipeline outage query "$1" --format csv | tail -n 1 | tr -d '"'; }
[ "$(q 'select count(*) from items')" = 60000 ] && ok || bad "rows: $(q 'select count(*) from items')"
[ "$(q 'select count(distinct id) from items')" = 60000 ] && ok || bad "distinct rows"
[ "$(q 'select count(*) from items__tags')" = 120000 ] && ok || bad "nested rows: $(q 'select count(*) from items__tags')"
[ "$(q 'select count(*) from _dlt_loads')" = 3 ] && ok || bad "three loads"
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
