#!/usr/bin/env bash
# The DuckDB database from config and secrets (destination.duckdb.credentials), as dlt.
set -u
dlt=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
mkdir -p .dlt
export DLT_DATA_DIR="$tmp/data"
unset DESTINATION__DUCKDB__CREDENTIALS
fails=0; passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
printf '[{"id": 1}]' > u.json
printf '[destination.duckdb]\ncredentials = "from_secrets.duckdb"\n' > .dlt/secrets.toml
"$dlt" load u.json --pipeline p1 --table t -q && [ -f from_secrets.duckdb ] && ok || bad "secrets.toml path"
DESTINATION__DUCKDB__CREDENTIALS=duckdb:///from_env.duckdb "$dlt" load u.json --pipeline p2 --table t -q &&
  [ -f from_env.duckdb ] && ok || bad "env wins over secrets.toml"
printf '[p3.destination.duckdb]\ncredentials = ":pipeline:"\n' > .dlt/secrets.toml
"$dlt" load u.json --pipeline p3 --table t -q && [ -f data/pipelines/p3/p3.duckdb ] && ok || bad ":pipeline: under the pipeline's section"
rm .dlt/secrets.toml
printf '[destination.duckdb.credentials]\ndatabase = "by_field.duckdb"\n' > .dlt/config.toml
"$dlt" load u.json --pipeline p4 --table t -q && [ -f by_field.duckdb ] && ok || bad "credentials.database field"
"$dlt" load u.json --pipeline p5 --table t --credentials flag.duckdb -q && [ -f flag.duckdb ] && ok || bad "--credentials wins"
printf '[destination.duckdb.credentials]\ndatabase = "x.duckdb"\npassword = "hunter2"\n' > .dlt/config.toml
printf '[destination.duckdb\n' > .dlt/secrets.toml
err=$("$dlt" load u.json --pipeline p6 --table t 2>&1); [ $? = 1 ] && ok || bad "bad secrets.toml exit"
grep -q "secrets.toml:1:20: " <<<"$err" && ok || bad "bad secrets.toml names file, line and column: $err"
[ "$(wc -l <<<"$err")" = 1 ] && ok || bad "one line: $err"
grep -q hunter2 <<<"$err" && bad "a secret in an error" || ok
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
