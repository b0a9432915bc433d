#!/usr/bin/env bash
# dlt load + dlt pipeline: the quick start from the command line.
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
q() { "$dlt" pipeline "$1" query "$2" --format csv | tail -n 1; }
printf '[{"id": 1, "name": "Alice"}, {"id": 2, "name": "Bob"}]' > users.json

# append twice: 4 rows; replace twice: 2 rows
"$dlt" load users.json --pipeline app --table users -q && ok || bad "load 1"
"$dlt" load users.json --pipeline app --table users -q && ok || bad "load 2"
[ "$(q app "select count(*) from users")" = 4 ] && ok || bad "append twice should give 4 rows"
"$dlt" load users.json --pipeline rep --table users --write-disposition replace -q && ok || bad "replace 1"
"$dlt" load users.json --pipeline rep --table users --write-disposition replace -q && ok || bad "replace 2"
[ "$(q rep "select count(*) from users")" = 2 ] && ok || bad "replace twice should give 2 rows"
[ -f app.duckdb ] && ok || bad "default database file ./app.duckdb"

# load info in dlt's shape
out=$("$dlt" load users.json --pipeline info1 --table users)
grep -q "^Pipeline info1 load step completed in [0-9.]* seconds$" <<<"$out" && ok || bad "load info first line: $out"
grep -q "^1 load package(s) were loaded to destination duckdb and into dataset info1_dataset$" <<<"$out" && ok || bad "load info packages"
grep -q "^The duckdb destination used duckdb:///$tmp/info1.duckdb location to store data$" <<<"$out" && ok || bad "load info location: $out"
grep -Eq "^Load package [0-9.]+ is LOADED and contains no failed jobs$" <<<"$out" && ok || bad "package line"
grep -q "^- users: 2 row(s)$" <<<"$out" && ok || bad "row counts"

# nested input: child tables, listed by info with row counts
"$dlt" load "$src/examples/data/users.jsonl" --pipeline nested --table users -q && ok || bad "nested load"
info=$("$dlt" pipeline nested info)
grep -Eq "^  users__pets__toys +2 row\(s\)" <<<"$info" && ok || bad "info lists nested tables: $info"
grep -q "^Has 1 completed load packages with following load ids:" <<<"$info" && ok || bad "info packages"
grep -Eq "^Last load: [0-9.]+ at [0-9-]+T" <<<"$info" && ok || bad "info last load"
[ "$(q nested "select count(*) from users__tags")" = 3 ] && ok || bad "users__tags rows"

# the trace of the last run
tr=$("$dlt" pipeline app trace)
grep -Eq "^Run started at .* and COMPLETED in [0-9.]+ seconds with 4 steps\.$" <<<"$tr" && ok || bad "trace head: $tr"
grep -Eq "^Step load COMPLETED in [0-9.]+ seconds\.$" <<<"$tr" && ok || bad "trace load step"
"$dlt" pipeline app info | grep -q "^Pipeline has last run trace. Use 'dlt pipeline app trace' to inspect" && ok || bad "info mentions the trace"

# system tables with dlt's columns
cols=$(q app "select string_agg(column_name, ',' order by ordinal_position) from information_schema.columns where table_schema = 'app_dataset' and table_name = '_dlt_loads'")
[ "${cols//\"/}" = "load_id,schema_name,status,inserted_at,schema_version_hash" ] && ok || bad "_dlt_loads columns: $cols"
cols=$(q app "select string_agg(column_name, ',' order by ordinal_position) from information_schema.columns where table_schema = 'app_dataset' and table_name = '_dlt_pipeline_state'")
[ "${cols//\"/}" = "version,engine_version,pipeline_name,state,created_at,version_hash,_dlt_load_id,_dlt_id" ] && ok || bad "_dlt_pipeline_state columns: $cols"
[ "$(q app "select count(*) from _dlt_loads where status = 0")" = 2 ] && ok || bad "one _dlt_loads row per package"

# query formats
"$dlt" pipeline app query "select id, name from users order by id limit 1" | grep -q "^ *1 | Alice" && ok || bad "table format"
"$dlt" pipeline app query "select id, name from users order by id limit 1" --format json | grep -q '{"id":1,"name":"Alice"}' && ok || bad "json format"

# errors: one line, non-zero, nothing lost (--progress none: the steps that succeeded
# before the error would add their progress lines to stderr, tests/cli/progress.sh)
printf '{"id": 3}\n{"id": 4,}\n' > bad.jsonl
err=$("$dlt" load bad.jsonl --pipeline app --table users --progress none 2>&1 >/dev/null); code=$?
[ $code = 1 ] && ok || bad "malformed input exit $code"
grep -q "bad.jsonl:2:9: trailing comma" <<<"$err" && ok || bad "malformed message: $err"
[ "$(wc -l <<<"$err")" = 1 ] && ok || bad "one line: $err"
[ "$(q app "select count(*) from users")" = 4 ] && ok || bad "nothing lost after a bad input"
"$dlt" pipeline app trace | grep -q "^Failed due to: bad.jsonl:2:9: trailing comma" && ok || bad "trace of a failed run"
err=$("$dlt" load users.json --pipeline app --table users --destination nowhere 2>&1); [ $? = 1 ] && ok || bad "unknown destination exit"
grep -q "unknown destination 'nowhere'" <<<"$err" && ok || bad "unknown destination message: $err"
mkdir ro && chmod 555 ro
if [ "$(id -u)" != 0 ]; then
  err=$("$dlt" load users.json --pipeline x --table users --pipelines-dir ro/p 2>&1); [ $? = 1 ] && ok || bad "unwritable dir exit"
fi
# a DuckDB file held by another process: one line naming it, exit 1 (the run stops when it
# first opens the database, to restore state, before it extracts); the rerun loads once
"$dlt" pipeline app query "select count(*) from range(200000000000)" >/dev/null 2>&1 &
holder=$!
for _ in $(seq 100); do
  ls -l /proc/$holder/fd 2>/dev/null | grep -q "app.duckdb" && break
  sleep 0.1
done
err=$(DLTC_DUCKDB_LOCK_TIMEOUT=1 "$dlt" load users.json --pipeline app --table users --progress none 2>&1 >/dev/null); code=$?
kill $holder; wait $holder 2>/dev/null
[ $code = 1 ] && ok || bad "locked database exit $code"
grep -q "app.duckdb: database is locked by another process (waited 1 s)" <<<"$err" && ok || bad "locked message: $err"
[ "$(wc -l <<<"$err")" = 1 ] && ok || bad "locked: one line: $err"
out=$("$dlt" load users.json --pipeline app --table users) && ok || bad "load after the lock is gone"
[ "$(q app "select count(*) from users")" = 6 ] && ok || bad "locked then rerun: 6 rows, got $(q app "select count(*) from users")"
[ "$(q app "select count(*) from _dlt_loads")" = 3 ] && ok || bad "locked then rerun: 3 loads"
# a load waits for a file that another process holds for a moment, then loads
"$dlt" pipeline app query "select count(*) from range(3000000000)" >/dev/null 2>&1 &
holder=$!
for _ in $(seq 100); do
  ls -l /proc/$holder/fd 2>/dev/null | grep -q "app.duckdb" && break
  sleep 0.1
done
"$dlt" load users.json --pipeline app --table users -q && ok || bad "load waits for the lock"
wait $holder
[ "$(q app "select count(*) from users")" = 8 ] && ok || bad "after waiting: 8 rows"

# every loader file format loads the nested example the same way
for f in jsonl parquet csv insert_values; do
  "$dlt" load "$src/examples/data/users.jsonl" --pipeline "fmt_$f" --table users --loader-file-format $f -q && ok || bad "load as $f"
  [ "$(q "fmt_$f" "select count(*) from users__pets__toys")" = 2 ] && ok || bad "$f: child rows"
  got=$(q "fmt_$f" "select string_agg(coalesce(signed_up::varchar, 'null') || '/' || coalesce(score::varchar, 'null') || '/' || coalesce(score__v_text, 'null') || '/' || coalesce(favourite_colour, 'null'), ';' order by id) from users")
  [ "$got" = "$(q fmt_jsonl "select string_agg(coalesce(signed_up::varchar, 'null') || '/' || coalesce(score::varchar, 'null') || '/' || coalesce(score__v_text, 'null') || '/' || coalesce(favourite_colour, 'null'), ';' order by id) from users")" ] && ok || bad "$f: values differ from jsonl: $got"
  "$dlt" pipeline "fmt_$f" load-package | grep -q "File type: $f" && ok || bad "$f: load-package shows the format"
done
"$dlt" load users.json --pipeline cols --table users --columns '{"id": {"data_type": "text"}, "name": {"nullable": false}}' -q && ok || bad "--columns"
[ "$(q cols "select data_type || '/' || is_nullable from information_schema.columns where table_name = 'users' and column_name = 'id'")" = "VARCHAR/YES" ] && ok || bad "--columns: id is text"
[ "$(q cols "select is_nullable from information_schema.columns where table_name = 'users' and column_name = 'name'")" = "NO" ] && ok || bad "--columns: name not null"
err=$("$dlt" load users.json --pipeline fmtx --table users --loader-file-format xml 2>&1); [ $? = 1 ] && ok || bad "unknown format exit"
grep -q "loader file format 'xml' is not supported" <<<"$err" && ok || bad "unknown format message: $err"
"$dlt" pipeline app load-package | grep -Eq "Started on: .* and completed in [0-9.]+ seconds\.$" && ok || bad "load-package job times"

# one big object (5 MB, a 40k-element list): its lists are streamed (docs/normalize.md), the
# rows and links are those of a whole parse; from a file and from a pipe (spilled)
python3 -c '
import json, sys
items = ",".join(json.dumps({"k": i, "tags": ["a", "b", "c"], "m": {"x": i + 0.5}, "body": "lorem ipsum " * 8}) for i in range(40000))
sys.stdout.write("{\"id\": 1, \"name\": \"export\", \"items\": [" + items + "], \"tail\": \"end\"}\n")
' > big.json
"$dlt" load big.json --pipeline bigf --table exp -q && ok || bad "big item load"
"$dlt" load - --pipeline bigp --table exp -q < <(cat big.json) && ok || bad "big item load from a pipe"
for p in bigf bigp; do
  [ "$(q $p "select count(*) || ' ' || sum(k) from exp__items i join exp e on i._dlt_parent_id = e._dlt_id")" = "40000 799980000" ] && ok || bad "$p: items rows and links"
  [ "$(q $p "select count(*) from exp__items__tags t join exp__items i on t._dlt_parent_id = i._dlt_id where t._dlt_list_idx < 3")" = 120000 ] && ok || bad "$p: tags rows and links"
  [ "$(q $p "select tail from exp")" = end ] && ok || bad "$p: the parent row has the members after the list"
done
printf '{"id": 1, "items": [%s{"k": tru}]}' "$(head -c 3000000 /dev/zero | tr '\0' ' ')" > bigbad.json
err=$("$dlt" load bigbad.json --pipeline bigbad --table exp 2>&1); [ $? = 1 ] && ok || bad "bad big item exit"
grep -q "bigbad.json:1:3000027: invalid literal" <<<"$err" && ok || bad "bad big item message: $err"

"$dlt" pipeline nosuch info >/dev/null 2>&1; [ $? = 1 ] && ok || bad "unknown pipeline exit"
"$dlt" load --help | grep -q "usage: dlt load" && ok || bad "load --help"
"$dlt" pipeline --help | grep -q "usage: dlt pipeline" && ok || bad "pipeline --help"
"$dlt" pipeline --list-pipelines | grep -q "pipelines found in $tmp/data/pipelines" && ok || bad "list pipelines"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
