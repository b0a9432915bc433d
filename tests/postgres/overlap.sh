#!/usr/bin/env bash
# Loading while normalizing (src/pipeline/overlap.c), run by tests/support/on_destination.sh
# postgres with small files (normalize.data_writer.file_max_items): the dataset is the same as
# with the steps one after the other (DLTC_NO_OVERLAP=1), columns that appear late and variant
# columns included; bad input after files were already loaded commits nothing.
set -u
dlt=$1
[ "${DLTC_TEST_DESTINATION:-}" = postgres ] || { echo "postgres only: skipped"; exit 0; }
export NORMALIZE__DATA_WRITER__FILE_MAX_ITEMS=${NORMALIZE__DATA_WRITER__FILE_MAX_ITEMS:-7}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0; passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
# 300 nested rows; from row 200 a new column, row 250 an id that is text (a variant column)
awk 'BEGIN { for (n = 1; n <= 300; n++) {
  id = n == 250 ? "\"abc\"" : n
  extra = n >= 200 ? sprintf(", \"extra\": \"x%d\"", n) : ""
  printf "{\"id\": %s, \"name\": \"row %d\", \"tags\": [\"a%d\", \"b\"], \"meta\": {\"k\": %d}%s}\n", id, n, n, n % 7, extra
} }' > "$tmp/rows.jsonl"
run() { # pipeline, then dlt arguments
  local p=$1; shift
  "$dlt" "$@" --pipelines-dir "$tmp/p" --credentials "$tmp/$p.duckdb"
}
load() { local p=$1; shift; run "$p" load "$@" --pipeline "$p" --table items -q; }
q() { run "$1" pipeline "$1" query "$2" --format csv | tail -n +2; }

load over "$tmp/rows.jsonl" || bad "overlapped load"
DLTC_NO_OVERLAP=1 load seq "$tmp/rows.jsonl" || bad "sequential load"
for sql in "select id, id__v_text, name, meta__k, extra from items order by id, id__v_text" \
           "select i.id, i.id__v_text, t.value, t._dlt_list_idx from items i join items__tags t on t._dlt_parent_id = i._dlt_id order by 1, 2, 4" \
           "select column_name, data_type from information_schema.columns where table_schema = current_schema() and table_name like 'items%' order by table_name, column_name" \
           "select count(*), count(distinct _dlt_load_id) from items" \
           "select count(*), min(status) from _dlt_loads"; do
  a=$(q over "$sql"); b=$(q seq "$sql")
  [ -n "$a" ] && [ "$a" = "$b" ] && ok || bad "differs from the sequential load: $sql"$'\n'"$(diff <(echo "$a") <(echo "$b") | head -5)"
done
[ "$(q over "select count(*) from items")" = 300 ] && ok || bad "300 rows"
[ "$(q over "select count(*) from items__tags")" = 600 ] && ok || bad "600 tags"

# bad input at the end: files before it were loaded early; nothing of it may stay
{ head -n 290 "$tmp/rows.jsonl"; echo '{"id": 1000, "name": '; } > "$tmp/bad.jsonl"
out=$(load over "$tmp/bad.jsonl" 2>&1); code=$?
[ "$code" = 1 ] && ok || bad "bad input fails (exit $code)"
[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && ok || bad "one line: $out"
grep -q 'bad.jsonl:29[12]:' <<<"$out" && ok || bad "the error names the input and line: $out"
[ "$(q over "select count(*) from items")" = 300 ] && ok || bad "nothing of the bad input committed"
[ "$(q over "select count(*) from _dlt_loads")" = 1 ] && ok || bad "no load recorded for it"
# and the pipeline goes on
load over "$tmp/rows.jsonl" || bad "load after the bad input"
[ "$(q over "select count(*) from items")" = 600 ] && ok || bad "600 rows after a second load"
[ "$(q over "select count(*) from _dlt_loads")" = 2 ] && ok || bad "two loads"
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
