#!/usr/bin/env bash
# The filesystem destination from the command line: dlt's layout under <bucket>/<dataset>/,
# gzipped jsonl by default, append / replace / merge (appended, with a warning), parquet and
# csv, a layout from config.toml, disable_compression, the system files, state restore on a
# new machine, reading the data back, and buckets that are not local refused.
set -u
dlt=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
mkdir -p .dlt
export DLT_DATA_DIR="$tmp/data"
fails=0; passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
printf '{"id": 1, "name": "a", "tags": ["x", "y"]}\n{"id": 2, "name": "b"}\n' > v1.jsonl
export DESTINATION__FILESYSTEM__BUCKET_URL="file://$tmp/bucket"
L() { "$dlt" load v1.jsonl --destination filesystem -q "$@"; }
q() { "$dlt" pipeline "$1" query "$2" --format csv | tail -n 1 | tr -d '"'; }

L --pipeline a --table users && L --pipeline a --table users || bad "append loads"
[ "$(ls bucket/a_dataset/users/*.jsonl.gz | wc -l)" = 2 ] && ok || bad "two gzipped jsonl files"
[ "$(cat bucket/a_dataset/init)" = '{"initial_version": 2, "current_version": 2}' ] || [ -s bucket/a_dataset/init ] && ok || bad "init file"
[ "$(ls bucket/a_dataset/_dlt_loads/ | wc -l)" = 2 ] && ok || bad "two load markers"
ls bucket/a_dataset/_dlt_pipeline_state/a__*.jsonl >/dev/null && ok || bad "state file"
[ "$(q a 'select count(*) from users')" = 4 ] && ok || bad "rows read back: $(q a 'select count(*) from users')"
[ "$(q a 'select count(*) from users__tags')" = 4 ] && ok || bad "nested rows read back"

L --pipeline r --table users --write-disposition replace && L --pipeline r --table users --write-disposition replace || bad "replace loads"
[ "$(ls bucket/r_dataset/users/ | wc -l)" = 1 ] && ok || bad "replace keeps only the new file"
[ "$(q r 'select count(*) from users')" = 2 ] && ok || bad "replaced rows"

err=$(L --pipeline m --table users --write-disposition merge --primary-key id 2>&1)
grep -q "merge is not supported by the filesystem destination: appended" <<<"$err" && ok || bad "merge warning: $err"

L --pipeline p --table users --loader-file-format parquet && ls bucket/p_dataset/users/*.parquet >/dev/null && ok || bad "parquet files"
[ "$(q p "select string_agg(name, ',' order by id) from users")" = "a,b" ] && ok || bad "parquet read back"
L --pipeline c --table users --loader-file-format csv && ls bucket/c_dataset/users/*.csv.gz >/dev/null && ok || bad "csv.gz files"

# layout and compression from config
printf '[destination.filesystem]\nlayout = "{table_name}/{YYYY}/{load_id}.{file_id}.{ext}"\n[normalize.data_writer]\ndisable_compression = true\n' > .dlt/config.toml
L --pipeline y --table users || bad "load with a layout"
ls bucket/y_dataset/users/20*/*.jsonl >/dev/null 2>&1 && ok || bad "layout with {YYYY}, uncompressed: $(find bucket/y_dataset -type f)"
printf '[destination.filesystem]\nlayout = "{table_name}/{nope}.{ext}"\n' > .dlt/config.toml
err=$(L --pipeline z --table users 2>&1); grep -q "nope" <<<"$err" && ok || bad "unknown placeholder named: $err"
rm .dlt/config.toml

# state restore on a new machine
rm -rf data
"$dlt" pipeline a sync --destination filesystem >/dev/null 2>&1 && [ -f data/pipelines/a/state.json ] && ok || bad "state restored from the bucket"

# no bucket configured: local commands still work, a load fails before extracting anything
unset DESTINATION__FILESYSTEM__BUCKET_URL
"$dlt" pipeline a info >/dev/null 2>&1 && ok || bad "info without the destination's config"
err=$(L --pipeline nob --table users 2>&1)
grep -q "missing config value destination.filesystem.bucket_url" <<<"$err" && [ "$(wc -l <<<"$err")" = 1 ] && ok || bad "missing bucket_url in one line: $err"
[ -z "$(find data/pipelines/nob/load/new data/pipelines/nob/load/normalized -mindepth 1 2>/dev/null)" ] && ok || bad "nothing extracted without a destination"
export DESTINATION__FILESYSTEM__BUCKET_URL="file://$tmp/bucket"

err=$(DESTINATION__FILESYSTEM__BUCKET_URL=s3://bucket/x L --pipeline s --table users 2>&1)
grep -q "only local buckets" <<<"$err" && [ "$(wc -l <<<"$err")" = 1 ] && ok || bad "s3 refused in one line: $err"
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
