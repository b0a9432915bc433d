#!/usr/bin/env bash
# Schema contracts from the command line: each mode for tables, columns and data_type.
set -u
dlt=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
export DLT_DATA_DIR="$tmp/data"
fails=0; passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
q() { "$dlt" pipeline c query "$1" --format csv | tail -n +2 | tr '\n' ' ' | sed 's/ $//'; }
printf '{"id":1,"name":"a"}\n' > a.jsonl
printf '{"id":2,"name":"b","extra":"x"}\n{"id":3,"name":"c"}\n' > b.jsonl
printf '{"id":"four","name":"d"}\n{"id":5,"name":"e"}\n' > c.jsonl
printf '{"id":6,"name":"f","tags":["t"]}\n' > d.jsonl
load() { "$dlt" load "$1" --pipeline c --table t --schema-contract "$2" -q; }
"$dlt" load a.jsonl --pipeline c --table t -q && ok || bad "first load"

err=$(load b.jsonl '{"columns":"freeze"}' 2>&1); [ $? = 1 ] && ok || bad "columns freeze exit"
grep -q "b.jsonl:1: schema contract violated: table 't' has no column 'extra' for a text value (columns: freeze)" <<<"$err" && ok || bad "columns freeze message: $err"
[ "$(q "select count(*) from t")" = 1 ] && ok || bad "columns freeze loads nothing"
load b.jsonl '{"columns":"discard_value"}' && ok || bad "columns discard_value"
[ "$(q "select count(*) from information_schema.columns where table_name = 't' and column_name = 'extra'")" = 0 ] && ok || bad "discard_value: no column"
[ "$(q "select id from t order by id")" = "1 2 3" ] && ok || bad "discard_value keeps the rows"
load b.jsonl '{"columns":"discard_row"}' && ok || bad "columns discard_row"
[ "$(q "select id from t order by id")" = "1 2 3 3" ] && ok || bad "discard_row drops row 2: $(q "select id from t order by id")"

err=$(load c.jsonl '{"data_type":"freeze"}' 2>&1); [ $? = 1 ] && ok || bad "data_type freeze exit"
grep -q "column 'id' of table 't' is bigint and a text value does not fit (data_type: freeze)" <<<"$err" && ok || bad "data_type freeze message: $err"
load c.jsonl '{"data_type":"discard_value"}' && ok || bad "data_type discard_value"
[ "$(q "select count(*) from t where id is null and name = 'd'")" = 1 ] && ok || bad "discard_value: the row without the value"
[ "$(q "select count(*) from information_schema.columns where table_name = 't' and column_name like 'id__v_%'")" = 0 ] && ok || bad "no variant column"
load c.jsonl '{"data_type":"discard_row"}' && ok || bad "data_type discard_row"
[ "$(q "select count(*) from t where name = 'd'")" = 1 ] && ok || bad "discard_row: 'd' not loaded again"

err=$(load d.jsonl '{"tables":"freeze","data_type":"evolve"}' 2>&1); [ $? = 1 ] && ok || bad "tables freeze exit"
grep -q "table 't__tags' is new (tables: freeze)" <<<"$err" && ok || bad "tables freeze message: $err"
load d.jsonl '{"tables":"discard_value"}' && ok || bad "tables discard_value"
[ "$(q "select count(*) from information_schema.tables where table_name = 't__tags'")" = 0 ] && ok || bad "discard_value: no new table"
[ "$(q "select count(*) from t where id = 6")" = 1 ] && ok || bad "discard_value: the root row loads"
load d.jsonl '{"tables":"discard_row"}' && ok || bad "tables discard_row"
[ "$(q "select count(*) from information_schema.tables where table_name = 't__tags'")" = 0 ] && ok || bad "no new table"
[ "$(q "select count(*) from t where id = 6")" = 2 ] && ok || bad "the root row loads"
load d.jsonl evolve && ok || bad "evolve"
[ "$(q "select count(*) from t__tags")" = 1 ] && ok || bad "evolve makes the table"
err=$(load d.jsonl melt 2>&1); [ $? = 1 ] && ok || bad "bad mode exit"
grep -q "'melt' is not a mode" <<<"$err" && ok || bad "bad mode message: $err"
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
