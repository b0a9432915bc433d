#!/usr/bin/env bash
# dlt load --incremental: only new rows; a wiped working dir restores the cursor from the
# destination; a run killed (SIGKILL) at every crash point and rerun leaves cursor and data
# in agreement (nothing lost, nothing twice).
set -u
dlt=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
export DLT_DATA_DIR="$tmp/data"
unset DLTC_CRASH_AT
fails=0; passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
q() { "$dlt" pipeline "$1" query "$2" --format csv | tail -n 1; }
row() { printf '{"id": %d, "updated_at": "2024-01-%02dT00:00:00Z", "tags": ["t%d"]}\n' "$1" "$1" "$1"; }

# the tutorial's shape: incremental append loads nothing new on a rerun, then only new rows
{ row 1; row 2; row 3; } > events.jsonl
"$dlt" load events.jsonl --pipeline inc --table events --incremental updated_at:2023-12-31 -q && ok || bad "first run"
[ "$(q inc "select count(*) from events")" = 3 ] && ok || bad "3 rows"
"$dlt" load events.jsonl --pipeline inc --table events --incremental updated_at -q && ok || bad "rerun"
[ "$(q inc "select count(*) from events")" = 3 ] && ok || bad "rerun loads nothing new"
{ row 4; row 5; } >> events.jsonl
out=$("$dlt" load events.jsonl --pipeline inc --table events --incremental updated_at) && ok || bad "grown run"
grep -q "^- events: 2 row(s)$" <<<"$out" && ok || bad "only the 2 new rows: $out"
[ "$(q inc "select count(distinct id) || '/' || count(*) from events")" = "5/5" ] && ok || bad "5 distinct rows"
[ "$(q inc "select count(*) from events__tags")" = 5 ] && ok || bad "5 child rows"
# a fresh machine: the working dir is gone; the cursor comes back from DuckDB
rm -rf "$tmp/data/pipelines/inc"
out=$("$dlt" load events.jsonl --pipeline inc --table events --incremental updated_at) && ok || bad "run after wipe"
grep -q "restored from the destination" <<<"$out" && ok || bad "restored: $out"
[ "$(q inc "select count(*) from events")" = 5 ] && ok || bad "nothing loaded twice after the wipe"
{ row 6; } >> events.jsonl
rm -rf "$tmp/data/pipelines/inc"
"$dlt" load events.jsonl --pipeline inc --table events --incremental updated_at -q && ok || bad "grown after wipe"
[ "$(q inc "select count(distinct id) || '/' || count(*) from events")" = "6/6" ] && ok || bad "only the new row after a wipe"
# boundary: a row at the last cursor value with another id is new; the same row is not
printf '{"id": 7, "updated_at": "2024-01-06T00:00:00Z"}\n{"id": 6, "updated_at": "2024-01-06T00:00:00Z", "tags": ["t6"]}\n' >> events.jsonl
"$dlt" load events.jsonl --pipeline inc --table events --incremental updated_at -q && ok || bad "boundary run"
[ "$(q inc "select count(distinct id) || '/' || count(*) from events")" = "7/7" ] && ok || bad "boundary dedup: $(q inc "select count(distinct id) || '/' || count(*) from events")"

# crash at every point, then rerun: cursor and data agree
points=$(grep -rho 'crash_point("[a-z:-]*")' "$src/src" | sed 's/crash_point("\(.*\)")/\1/' | sort -u)
reached=0
for point in $points; do
  rm -rf "$tmp/p" "$tmp/db.duckdb" "$tmp/db.duckdb.wal"
  { row 1; row 2; } > c.jsonl
  args=(load c.jsonl --pipeline cr --table events --incremental updated_at --pipelines-dir "$tmp/p" --credentials "$tmp/db.duckdb" -q)
  "$dlt" "${args[@]}" || { bad "$point: first load"; continue; }
  row 3 >> c.jsonl
  DLTC_CRASH_AT=$point "$dlt" "${args[@]}" 2>/dev/null; code=$?
  [ "$code" -eq 137 ] || continue
  reached=$((reached + 1))
  "$dlt" "${args[@]}" 2>/dev/null || { bad "$point: rerun failed"; continue; }
  row 4 >> c.jsonl
  "$dlt" "${args[@]}" 2>/dev/null || { bad "$point: third run failed"; continue; }
  got=$("$dlt" pipeline cr query "select count(distinct id) || '/' || count(*) from events" --format csv --pipelines-dir "$tmp/p" --credentials "$tmp/db.duckdb" | tail -n 1)
  [ "$got" = "4/4" ] && ok || bad "$point: rows $got (want 4/4)"
done
[ "$reached" -ge 20 ] && ok || bad "only $reached crash points reached with --incremental"
echo "crash points reached: $reached"
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
