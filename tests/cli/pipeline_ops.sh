#!/usr/bin/env bash
# dlt pipeline NAME load-package | failed-jobs | drop-pending-packages | drop.
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
tables() { q "$1" "select string_agg(table_name, ',' order by table_name) from information_schema.tables where table_schema = '$1_dataset'" | tr -d '"'; }
wd="$tmp/data/pipelines"
users="$src/examples/data/users.jsonl"
printf '[{"id": 1}, {"id": 2}]\n' > things.json

"$dlt" load "$users" --pipeline ops --table users -q && ok || bad "first load"
id=$(ls "$wd/ops/load/loaded")

# load-package: the newest package by default, dlt's text
out=$("$dlt" pipeline ops load-package); code=$?
[ $code = 0 ] && ok || bad "load-package exit $code"
grep -qx "Package $id found in $wd/ops/load/loaded/$id" <<<"$out" && ok || bad "package line: $out"
grep -Eq "^The package with load id $id for schema ops is in LOADED state\. It updated schema for [0-9]+ tables\. The package was LOADED at [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+\+00:00\.$" <<<"$out" && ok || bad "state line: $out"
grep -qx "Jobs details:" <<<"$out" && ok || bad "jobs details"
grep -Eq "^Job: users\.[0-9a-f]{10}\.jsonl(\.gz)?, table: users in completed_jobs\. File type: jsonl, size: [0-9.]+[BKM]\. Started on: [0-9-]+ [0-9:.]+\+00:00 and completed in [0-9.]+ seconds\.$" <<<"$out" && ok || bad "job line: $out"
grep -Eq "^Job: users__pets__toys\.[0-9a-f]{10}\.jsonl(\.gz)?, table: users__pets__toys in completed_jobs\." <<<"$out" && ok || bad "nested job line"
[ "$("$dlt" pipeline ops load-package "$id")" = "$out" ] && ok || bad "load-package with the load id"
"$dlt" pipeline ops load-package 123.456 >/dev/null 2>err; [ $? = 1 ] && ok || bad "unknown load id exit"
[ "$(wc -l <err)" = 1 ] && ok || bad "unknown load id: one line: $(cat err)"

# failed-jobs
out=$("$dlt" pipeline ops failed-jobs); code=$?
[ $code = 0 ] && ok || bad "failed-jobs exit $code"
grep -qx "Checking failed jobs in load id '$id'" <<<"$out" && ok || bad "failed-jobs package line: $out"
grep -qx "No failed jobs found" <<<"$out" && ok || bad "no failed jobs: $out"

# drop-pending-packages: a load killed before its commit leaves a normalized package
code=$( (DLTC_CRASH_AT=load:before-commit "$dlt" load things.json --pipeline ops --table things -q; echo $?) 2>/dev/null)
[ $code = 137 ] && ok || bad "crashed load exit $code"
pending=$(ls "$wd/ops/load/normalized")
[ -n "$pending" ] && ok || bad "a normalized package is pending"
"$dlt" pipeline ops load-package | grep -q "is in NORMALIZED state" && ok || bad "load-package of the pending package"
"$dlt" pipeline ops drop users -y >/dev/null 2>err; [ $? = 1 ] && ok || bad "drop refused while packages are pending"
out=$("$dlt" pipeline ops drop-pending-packages); code=$?
[ $code = 0 ] && ok || bad "drop-pending-packages exit $code"
grep -qx "Pending packages deleted: 1" <<<"$out" && ok || bad "drop-pending-packages text: $out"
[ ! -e "$wd/ops/.run" ] && ok || bad "run marker removed"
info=$("$dlt" pipeline ops info)
grep -q "ready to be" <<<"$info" && bad "info still shows pending packages: $info" || ok
[ "$(q ops "select count(*) from _dlt_loads")" = 1 ] && ok || bad "destination untouched"
"$dlt" pipeline ops drop-pending-packages | grep -qx "No pending packages found" && ok || bad "nothing pending"
"$dlt" load things.json --pipeline ops --table things -q && ok || bad "load after drop-pending-packages"
[ "$(q ops "select count(*) from things")" = 2 ] && ok || bad "things loaded once"

# drop: the plan without --yes, nothing changes
before=$(tables ops)
out=$("$dlt" pipeline ops drop users); code=$?
[ $code = 0 ] && ok || bad "drop plan exit $code"
grep -qx "Table(s) to drop: \['users__pets__toys', 'users__tags', 'users__pets', 'users'\]" <<<"$out" && ok || bad "drop plan tables: $out"
grep -q -- "--yes" <<<"$out" && ok || bad "drop plan asks for --yes"
[ "$(tables ops)" = "$before" ] && ok || bad "nothing dropped without --yes"

# drop --yes: gone from the destination and the schema, things kept
"$dlt" pipeline ops drop users --yes >/dev/null && ok || bad "drop --yes"
[ "$(tables ops)" = "_dlt_loads,_dlt_pipeline_state,_dlt_version,things" ] && ok || bad "tables after drop: $(tables ops)"
schema=$("$dlt" pipeline ops schema)
grep -Eq "^  users(__[a-z_]+)?:$" <<<"$schema" && bad "schema still has users tables" || ok
grep -q "^  things:$" <<<"$schema" && ok || bad "schema keeps things"
hash=$(sed -n 's/^version_hash: //p' <<<"$schema")
[ "$(q ops "select count(*) from _dlt_version where version_hash = '$hash'")" = 1 ] && ok || bad "_dlt_version row of the new schema"
[ "$(q ops "select count(*) from things")" = 2 ] && ok || bad "other tables untouched"

# a following load recreates them
"$dlt" load "$users" --pipeline ops --table users -q && ok || bad "load after drop"
[ "$(q ops "select count(*) from users__pets__toys")" = 2 ] && ok || bad "nested table recreated"
[ "$(q ops "select count(*) from users")" = 3 ] && ok || bad "users reloaded once"
"$dlt" pipeline ops schema | grep -q "^  users__pets:$" && ok || bad "schema has users tables again"

# refusals: one line, exit 1, nothing dropped
for t in nosuch _dlt_loads _dlt_version users__pets; do
  "$dlt" pipeline ops drop "$t" -y >/dev/null 2>err; code=$?
  [ $code = 1 ] && ok || bad "drop $t exit $code"
  [ "$(wc -l <err)" = 1 ] && ok || bad "drop $t: one line: $(cat err)"
done
grep -q "nested table" err && ok || bad "nested table message: $(cat err)"
"$dlt" pipeline ops drop _dlt_loads -y 2>&1 | grep -q "system table" && ok || bad "system table message"
[ "$(q ops "select count(*) from users")" = 3 ] && ok || bad "refused drops change nothing"

# usage and missing pipeline
"$dlt" pipeline ops frobnicate >/dev/null 2>&1; [ $? = 2 ] && ok || bad "unknown op exit 2"
"$dlt" pipeline ops drop >/dev/null 2>&1; [ $? = 2 ] && ok || bad "drop without tables exit 2"
for op in load-package failed-jobs drop-pending-packages "drop users"; do
  # shellcheck disable=SC2086
  "$dlt" pipeline nosuch $op >/dev/null 2>&1; [ $? = 1 ] && ok || bad "missing pipeline: $op"
done
help=$("$dlt" pipeline --help)
for op in load-package failed-jobs drop-pending-packages "drop TABLE" sync; do
  grep -q "dlt pipeline NAME $op" <<<"$help" && ok || bad "--help lists $op"
done

# state that survives a new machine: wipe the working dir, sync (or just run) restores
"$dlt" load "$users" --pipeline keep --table users -q && ok || bad "keep: first load"
hash1=$("$dlt" pipeline keep info | grep "^_version_hash:")
schema1=$("$dlt" pipeline keep schema --format json)
rm -rf "$wd/keep"
"$dlt" pipeline keep info >/dev/null 2>&1; [ $? = 1 ] && ok || bad "keep: gone after the wipe"
"$dlt" pipeline keep sync | grep -q "restored from the destination" && ok || bad "keep: sync"
[ "$("$dlt" pipeline keep info | grep "^_version_hash:")" = "$hash1" ] && ok || bad "keep: state restored"
[ "$("$dlt" pipeline keep schema --format json)" = "$schema1" ] && ok || bad "keep: schema restored"
"$dlt" pipeline keep info | grep -Eq "^  users__pets__toys +2 row" && ok || bad "keep: info after sync"
rm -rf "$wd/keep"
out=$("$dlt" load "$users" --pipeline keep --table users)
grep -q "restored from the destination before the extract" <<<"$out" && ok || bad "keep: run restores: $out"
[ "$(q keep "select count(*) from _dlt_version")" = 1 ] && ok || bad "keep: no new schema version after a restore"
err=$("$dlt" pipeline nothere sync 2>&1); [ $? = 1 ] && ok || bad "sync without a destination exit"
grep -q "no such database" <<<"$err" && ok || bad "sync without a destination message: $err"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
