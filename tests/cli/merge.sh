#!/usr/bin/env bash
# dlt load with merge from the command line: twice with changed data merges (delete-insert on
# a primary key, upsert, scd2, dlt's dict form), and a load killed at every load crash point
# (SIGKILL, between merge and commit included) leaves the dataset as before; the rerun merges
# once.
set -u
dlt=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
export DLT_DATA_DIR="$tmp/data"
fails=0; passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
q() { "$dlt" pipeline "$1" query "$2" --format csv | tail -n 1 | tr -d '"'; }

printf '{"id": 1, "name": "Alice", "tags": ["a", "b"]}\n{"id": 2, "name": "Bob", "tags": ["c"]}\n{"id": 3, "name": "Carol"}\n' > v1.jsonl
printf '{"id": 1, "name": "Alice B.", "tags": ["b"]}\n{"id": 4, "name": "Dan", "tags": ["d", "e"]}\n' > v2.jsonl
names="select string_agg(id || ':' || name, ',' order by id) from users"
tags="select string_agg(u.id || value, ',' order by u.id, value) from users__tags t join users u on u._dlt_id = t._dlt_parent_id"

# delete-insert on the primary key: changed rows replaced in place, removed list elements gone
for f in v1 v2 v2; do
  "$dlt" load $f.jsonl --pipeline m --table users --write-disposition merge --primary-key id -q || bad "merge load $f"
done
[ "$(q m "$names")" = "1:Alice B.,2:Bob,3:Carol,4:Dan" ] && ok || bad "merged rows: $(q m "$names")"
[ "$(q m "$tags")" = "1b,2c,4d,4e" ] && ok || bad "merged nested rows: $(q m "$tags")"
[ "$(q m "select count(*) from _dlt_loads")" = 3 ] && ok || bad "three loads"

# upsert and scd2 through --merge-strategy; the dict form of --write-disposition
for f in v1 v2; do
  "$dlt" load $f.jsonl --pipeline u --table users --write-disposition merge --merge-strategy upsert --primary-key id -q || bad "upsert $f"
  "$dlt" load $f.jsonl --pipeline h --table users --write-disposition merge --merge-strategy scd2 -q || bad "scd2 $f"
  "$dlt" load $f.jsonl --pipeline d --table users --write-disposition '{"disposition": "merge", "strategy": "scd2", "active_record_timestamp": "9999-12-31"}' -q || bad "scd2 dict $f"
done
[ "$(q u "$names")" = "1:Alice B.,2:Bob,3:Carol,4:Dan" ] && ok || bad "upsert rows: $(q u "$names")"
[ "$(q u "$tags")" = "1b,2c,4d,4e" ] && ok || bad "upsert nested rows: $(q u "$tags")"
[ "$(q h "select string_agg(name, ',' order by name) from users where _dlt_valid_to is null")" = "Alice B.,Dan" ] && ok || bad "scd2 active rows"
[ "$(q h "select count(*) from users where _dlt_valid_to is not null")" = 3 ] && ok || bad "scd2 retired rows"
[ "$(q d "select count(*) from users where extract(year from _dlt_valid_to) = 9999")" = 2 ] && ok || bad "scd2 active record timestamp"
err=$("$dlt" load v1.jsonl --pipeline x --table users --write-disposition merge --merge-strategy upsert 2>&1); [ $? = 1 ] && ok || bad "upsert without a key exit"
grep -q "needs a primary key" <<<"$err" && ok || bad "upsert without a key: $err"

# crash safety: the second (merging) load is killed at each load crash point, then rerun
points=$(grep -ho 'crash_point("load:[a-z:-]*")' "$src/src/load/loader.c" | sed 's/crash_point("\(.*\)")/\1/' | sort -u)  # the SQL loader's
points=$(grep -v '^load:after-early-file$' <<<"$points") # merge tables are not loaded early
grep -qw "load:after-merge" <<<"$points" && ok || bad "no crash point between merge and commit"
for point in $points; do
  rm -rf "$tmp/p" "$tmp/db.duckdb" "$tmp/db.duckdb.wal"
  args=(--pipeline crashy --table users --pipelines-dir "$tmp/p" --credentials "$tmp/db.duckdb" --write-disposition merge --primary-key id -q)
  cq() { "$dlt" pipeline crashy query "$1" --format csv --pipelines-dir "$tmp/p" --credentials "$tmp/db.duckdb" | tail -n 1 | tr -d '"'; }
  "$dlt" load v1.jsonl "${args[@]}" || { bad "$point: first load"; continue; }
  DLTC_CRASH_AT=$point "$dlt" load v2.jsonl "${args[@]}" 2>/dev/null; code=$?
  [ "$code" -eq 137 ] || { bad "$point: not reached (exit $code)"; continue; }
  loads=$(cq "select count(*) from _dlt_loads")
  before=$(cq "$names")
  if [ "$loads" = 2 ]; then  # killed after the commit: merged already
    [ "$before" = "1:Alice B.,2:Bob,3:Carol,4:Dan" ] || bad "$point: committed but not merged: $before"
  else
    [ "$loads" = 1 ] && [ "$before" = "1:Alice,2:Bob,3:Carol" ] || bad "$point: dataset changed by the killed load: $loads $before"
  fi
  "$dlt" load v2.jsonl "${args[@]}" >/dev/null 2>&1 || { bad "$point: rerun failed"; continue; }
  got="$(cq "$names") $(cq "$tags") $(cq "select count(*) from _dlt_loads")"
  [ "$got" = "1:Alice B.,2:Bob,3:Carol,4:Dan 1b,2c,4d,4e 2" ] && ok || bad "$point: after rerun: $got"
done

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
