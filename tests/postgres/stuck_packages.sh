#!/usr/bin/env bash
# A package that can never load must not block the pipeline:
#  - data for dlt's own tables (--table _dlt_loads …) is refused before extract;
#  - a value Postgres refuses for good (a NUL in text) fails its job, the package is aborted
#    (as dlt's raise_on_failed_jobs) and the next load goes through;
#  - a package an earlier run left that fails again names the way out
#    (dlt pipeline NAME drop-pending-packages).
# Needs the postgres fixture (DLTC_TEST_PG_DIR).
set -u
dlt=$1
dir=${DLTC_TEST_PG_DIR:?the postgres fixture is not running}
tmp=$(mktemp -d)
db="stuck_$$"
admin=$(cat "$dir/uri_admin")
uri=$(cat "$dir/uri")
uri="${uri%/*}/$db"
unset LD_PRELOAD_PSQL
psql_() { env -u LD_PRELOAD -u ASAN_OPTIONS psql -q -X -v ON_ERROR_STOP=1 "$@"; }
trap 'psql_ "$admin" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1; rm -rf "$tmp"' EXIT
psql_ "$admin" -c "CREATE DATABASE \"$db\" OWNER loader" >/dev/null || exit 1
cd "$tmp" || exit 1
export DLT_DATA_DIR="$tmp/data"
fails=0; passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
pending() { find "$DLT_DATA_DIR/pipelines/$1/normalize/extracted" "$DLT_DATA_DIR/pipelines/$1/load/normalized" \
  -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
printf '{"id": 1, "s": "a"}\n' > ok1.jsonl
printf '{"id": 2, "s": "b"}\n' > ok2.jsonl
printf '{"id": 3, "s": "a\\u0000b"}\n' > nul.jsonl

# ---- dlt's own tables are refused up front, on DuckDB and Postgres ----
for t in _dlt_loads _dlt_version _dlt_pipeline_state _DLT_Loads; do
  err=$("$dlt" load ok1.jsonl --pipeline sys --table "$t" --credentials "$tmp/sys.duckdb" -q 2>&1); rc=$?
  [ $rc -ne 0 ] && [ "$(wc -l <<<"$err")" = 1 ] && grep -q "names starting with _dlt are dlt's own tables" <<<"$err" &&
    ok || bad "table $t: rc=$rc $err"
done
[ "$(pending sys)" = 0 ] && ok || bad "a refused table left a package"
"$dlt" load ok1.jsonl --pipeline sys --table users --credentials "$tmp/sys.duckdb" -q && ok || bad "load after the refusals"
err=$("$dlt" load ok1.jsonl --pipeline sysp --table _dlt_version --destination postgres --credentials "$uri" -q 2>&1)
[ $? -ne 0 ] && grep -q "dlt's own tables" <<<"$err" && [ "$(pending sysp)" = 0 ] && ok || bad "postgres _dlt_version: $err"

# ---- a NUL in text on Postgres: the job fails, the package is aborted, later loads go on ----
P() { "$dlt" load "$1" --pipeline nul --table t --destination postgres --credentials "$uri" -q; }
P ok1.jsonl || bad "first load"
err=$(P nul.jsonl 2>&1); rc=$?
[ $rc -ne 0 ] && [ "$(wc -l <<<"$err")" = 1 ] && ok || bad "NUL load: rc=$rc $err"
grep -q "Postgres text cannot hold the character U+0000" <<<"$err" && grep -q "column s" <<<"$err" && ok ||
  bad "NUL message names the column and the cause: $err"
grep -q "is aborted, none of it loaded" <<<"$err" && ok || bad "aborted: $err"
[ "$(pending nul)" = 0 ] && ok || bad "the aborted package is still pending"
P ok2.jsonl 2> err2 && ok || bad "load after the aborted package: $(cat err2)"
rows=$(psql_ -A -t "$uri" -c "SELECT string_agg(id::text, ',' ORDER BY id) FROM nul_dataset.t")
[ "$rows" = "1,2" ] && ok || bad "rows: $rows"
loads=$(psql_ -A -t "$uri" -c "SELECT count(*) FROM nul_dataset._dlt_loads")
[ "$loads" = 2 ] && ok || bad "_dlt_loads rows: $loads"
out=$("$dlt" pipeline nul failed-jobs 2>&1)
grep -q "JOB: t\..*(t)" <<<"$out" && grep -q "U+0000" <<<"$out" && ok || bad "failed-jobs: $out"

# ---- a pending package that fails again names drop-pending-packages ----
dead="postgresql://loader:x@127.0.0.1:1/$db"
# a run killed at the start of its load leaves its package pending
(DLTC_CRASH_AT=load:start "$dlt" load ok1.jsonl --pipeline pend --table t --destination postgres \
  --credentials "$uri" -q; :) 2>/dev/null
[ "$(pending pend)" = 1 ] && ok || bad "the package of the killed load is not pending: $(pending pend)"
err=$("$dlt" load ok2.jsonl --pipeline pend --table t --destination postgres --credentials "$dead" -q 2>&1)
grep -q "a package left by an earlier run; if it can never load, \`dlt pipeline pend drop-pending-packages\` deletes it" <<<"$err" &&
  [ "$(wc -l <<<"$err")" = 1 ] && ok || bad "hint: $err"
grep -q "x@" <<<"$err" && bad "the password is in the error: $err" || ok
"$dlt" load ok2.jsonl --pipeline pend --table t --destination postgres --credentials "$uri" -q 2> err3 && ok ||
  bad "rerun with the server: $(cat err3)"
rows=$(psql_ -A -t "$uri" -c "SELECT string_agg(id::text, ',' ORDER BY id) FROM pend_dataset.t")
[ "$rows" = "1,2" ] && ok || bad "pending then new rows: $rows"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
