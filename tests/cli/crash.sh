#!/usr/bin/env bash
# Crash safety: for every crash point, load once, then run the same load killed (SIGKILL) at
# the point, then run it again. The dataset must hold exactly two loads' rows: none lost,
# none twice, one _dlt_loads row per package.
set -u
dlt=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
points=$(grep -rho 'crash_point("[a-z:-]*")' "$src/src" | sed 's/crash_point("\(.*\)")/\1/' | sort -u)
# the load step's points are the destination's: the SQL loader's (load/loader.c) or the
# filesystem loader's (load:fs-*); DLTC_TEST_DESTINATION is set by tests/support/on_destination.sh
sql_points=$(grep -ho 'crash_point("load:[a-z:-]*")' "$src/src/load/loader.c" | sed 's/crash_point("\(.*\)")/\1/' | sort -u)
if [ "${DLTC_TEST_DESTINATION:-}" = filesystem ]; then
  points=$(comm -23 <(echo "$points") <(echo "$sql_points"))
else
  points=$(grep -v '^load:fs-' <<<"$points")
fi
# the point inside loading while normalizing (pipeline/overlap.c) is met only on Postgres with
# files small enough to complete before the end (normalize.data_writer.file_max_items)
if [ "${DLTC_TEST_DESTINATION:-}" != postgres ] || [ -z "${NORMALIZE__DATA_WRITER__FILE_MAX_ITEMS:-}" ]; then
  points=$(grep -v '^load:after-early-file$' <<<"$points")
fi
n=$(wc -w <<<"$points")
[ "$n" -ge 20 ] || { echo "only $n crash points"; exit 1; }
printf '{"id": 1, "name": "Alice", "tags": ["a", "b"]}\n{"id": 2, "name": "Bob", "tags": ["c"]}\n' > "$tmp/users.jsonl"
fails=0; passes=0
q() { "$dlt" pipeline crashy query "$1" --format csv --pipelines-dir "$tmp/p" --credentials "$tmp/db.duckdb" | tail -n 1; }
for point in $points; do
  rm -rf "$tmp/p" "$tmp/db.duckdb" "$tmp/db.duckdb.wal"
  args=(load "$tmp/users.jsonl" --pipeline crashy --table users --pipelines-dir "$tmp/p" --credentials "$tmp/db.duckdb" -q)
  "$dlt" "${args[@]}" || { echo "FAIL $point: first load failed"; fails=$((fails+1)); continue; }
  DLTC_CRASH_AT=$point "$dlt" "${args[@]}" 2>/dev/null; code=$?
  if [ "$code" -ne 137 ]; then echo "FAIL $point: not reached (exit $code)"; fails=$((fails+1)); continue; fi
  out=$("$dlt" "${args[@]}" 2>&1) || { echo "FAIL $point: rerun failed: $out"; fails=$((fails+1)); continue; }
  users=$(q "select count(*) from users"); tags=$(q "select count(*) from users__tags")
  loads=$(q "select count(*) from _dlt_loads"); ids=$(q "select count(distinct _dlt_load_id) from users")
  orphans=$(q "select count(*) from users u where not exists (select 1 from _dlt_loads l where l.load_id = u._dlt_load_id)")
  if [ "$users" = 4 ] && [ "$tags" = 6 ] && [ "$loads" = 2 ] && [ "$ids" = 2 ] && [ "$orphans" = 0 ]; then
    passes=$((passes+1))
  else
    echo "FAIL $point: users=$users tags=$tags loads=$loads load_ids=$ids orphans=$orphans"; fails=$((fails+1))
  fi
done
echo "crash points: $n"
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
