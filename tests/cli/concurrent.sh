#!/usr/bin/env bash
# Two pipelines merging into one dataset at the same time (dlt issue #4297: a shared staging
# dataset lets them delete each other's rows). Each run stages in its own connection's
# temporary tables and the DuckDB file is taken in turns.
set -u
dlt=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
export DLT_DATA_DIR="$tmp/data"
fails=0; passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
q() { "$dlt" pipeline a query "$1" --format csv --credentials shared.duckdb --dataset merged | tail -n 1; }
gen() { # ids $1..$2 with version $3
  for i in $(seq "$1" "$2"); do printf '{"id": %d, "v": %d, "tags": ["x%d", "y%d"]}\n' "$i" "$3" "$i" "$3"; done
}
gen 1 3000 1 > a1.jsonl; gen 2001 5000 2 > b1.jsonl
for round in 1 2 3; do
  gen 1 3000 "$round" > a.jsonl; gen 2001 5000 $((round + 10)) > b.jsonl
  "$dlt" load a.jsonl --pipeline a --table items --credentials shared.duckdb --dataset merged --write-disposition merge --primary-key id -q &
  pa=$!
  "$dlt" load b.jsonl --pipeline b --table items --credentials shared.duckdb --dataset merged --write-disposition merge --primary-key id -q &
  pb=$!
  wait $pa && ok || bad "round $round: pipeline a failed"
  wait $pb && ok || bad "round $round: pipeline b failed"
done
[ "$(q "select count(*) || '/' || count(distinct id) from items")" = "5000/5000" ] && ok || bad "one row per id: $(q "select count(*) || '/' || count(distinct id) from items")"
[ "$(q "select count(*) from items__tags")" = 10000 ] && ok || bad "two tags per row: $(q "select count(*) from items__tags")"
[ "$(q "select count(*) from items__tags t where not exists (select 1 from items i where i._dlt_id = t._dlt_root_id)")" = 0 ] && ok || bad "no orphan child rows"
# ids 1..2000 only from a (v=3), 3001..5000 only from b (v=13); the overlap from whichever ran last
[ "$(q "select count(*) from items where id <= 2000 and v = 3")" = 2000 ] && ok || bad "a's rows"
[ "$(q "select count(*) from items where id > 3000 and v = 13")" = 2000 ] && ok || bad "b's rows"
[ "$(q "select count(*) from items where id between 2001 and 3000 and v in (3, 13)")" = 1000 ] && ok || bad "overlap from the last run"
[ "$(q "select count(*) from _dlt_loads")" = 6 ] && ok || bad "6 loads"
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
