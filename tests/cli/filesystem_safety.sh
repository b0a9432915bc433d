#!/usr/bin/env bash
# The filesystem destination keeps to its dataset folder: symbolic links inside it are not
# followed by writes or by replace's deletes; a table named `init` (the dataset's init file)
# is refused before extract, so the pipeline is not stuck; `dlt pipeline NAME drop` deletes
# a table's files and records the new schema version.
set -u
dlt=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
export DLT_DATA_DIR="$tmp/data"
fails=0; passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
printf '{"id": 1, "name": "a", "tags": ["x", "y"]}\n{"id": 2, "name": "b"}\n' > v1.jsonl
export DESTINATION__FILESYSTEM__BUCKET_URL="file://$tmp/bucket"
L() { "$dlt" load v1.jsonl --destination filesystem -q "$@"; }
q() { "$dlt" pipeline "$1" query "$2" --format csv | tail -n 1 | tr -d '"'; }
mkdir outside
touch outside/keep.jsonl.gz

# ---- a table folder that is a link: the load is refused, nothing is written outside ----
mkdir -p bucket/s_dataset && ln -s "$tmp/outside" bucket/s_dataset/users
err=$(L --pipeline s --table users 2>&1); rc=$?
[ $rc -ne 0 ] && ok || bad "load through a linked table folder succeeded"
grep -q "s_dataset/users: is a symbolic link inside the dataset folder: not followed" <<<"$err" &&
  [ "$(wc -l <<<"$err")" = 1 ] && ok || bad "link error: $err"
[ "$(ls outside)" = keep.jsonl.gz ] && ok || bad "files written outside: $(ls outside)"
# the way out: remove the link, the pending package loads, once
rm bucket/s_dataset/users
"$dlt" load --pipeline s --destination filesystem -q 2>/dev/null || L --pipeline s --table users
[ "$(q s 'select count(*) from users')" = 2 ] && ok || bad "rerun after the link is gone: $(q s 'select count(*) from users')"

# ---- replace does not delete through a link ----
L --pipeline r --table users --write-disposition replace || bad "replace load"
mv bucket/r_dataset/users bucket/r_dataset/users.real
ln -s "$tmp/outside" bucket/r_dataset/users
err=$(L --pipeline r --table users --write-disposition replace 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "symbolic link inside the dataset folder" <<<"$err" && ok ||
  bad "replace through a link: rc=$rc $err"
[ -e outside/keep.jsonl.gz ] && [ "$(ls outside | wc -l)" = 1 ] && ok || bad "replace deleted or wrote outside: $(ls outside)"

# ---- the temporary folder as a link ----
L --pipeline t --table users || bad "t load"
ln -s "$tmp/outside" bucket/t_dataset/.dltc-tmp
err=$(L --pipeline t --table users 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q ".dltc-tmp: is a symbolic link inside the dataset folder" <<<"$err" && ok ||
  bad "tmp folder link: rc=$rc $err"
[ "$(ls outside | wc -l)" = 1 ] && ok || bad "tmp files written outside: $(ls outside)"

# ---- a link as a data file is replaced, never written through ----
L --pipeline f --table users --write-disposition replace || bad "f load"
echo secret > outside/target
f=$(ls bucket/f_dataset/users/*.jsonl.gz | head -n 1)
rm "$f" && ln -s "$tmp/outside/target" "$f"
rm -f bucket/f_dataset/_dlt_loads/*
echo '{"id": 9}' | "$dlt" load - --destination filesystem --pipeline f --table users -q 2>/dev/null
[ "$(cat outside/target)" = secret ] && ok || bad "a linked data file was written through"

# ---- a table named init: refused before extract, nothing pending, the pipeline goes on ----
err=$(L --pipeline i --table init 2>&1); rc=$?
[ $rc -ne 0 ] && [ "$(wc -l <<<"$err")" = 1 ] && grep -q "table 'init'.*collides with the dataset's init file" <<<"$err" &&
  ok || bad "init table: rc=$rc $err"
[ -z "$(find data/pipelines/i/normalize/extracted data/pipelines/i/load/normalized -mindepth 1 2>/dev/null)" ] && ok ||
  bad "the init table left a package"
L --pipeline i --table users && [ "$(q i 'select count(*) from users')" = 2 ] && ok || bad "load after the init refusal"
# under a layout with the schema name first, init is an ordinary table
DESTINATION__FILESYSTEM__LAYOUT='{schema_name}/{table_name}/{load_id}.{file_id}.{ext}' L --pipeline i2 --table init &&
  ls bucket/i2_dataset/i2/init/*.jsonl.gz >/dev/null && ok || bad "init under {schema_name}/"

# ---- drop: the table's files (and its nested tables') go, the others stay, a new schema
# version is written, a new machine restores the schema without the table ----
L --pipeline d --table users && L --pipeline d --table other || bad "drop setup"
before=$(ls bucket/d_dataset/_dlt_version | wc -l)
out=$("$dlt" pipeline d drop users 2>&1)
grep -q "Table(s) to drop: \['users__tags', 'users'\]" <<<"$out" && [ -d bucket/d_dataset/users ] && ok ||
  bad "drop without --yes: $out"
out=$("$dlt" pipeline d drop users --yes 2>&1) && ok || bad "drop --yes: $out"
[ ! -e bucket/d_dataset/users ] && [ ! -e bucket/d_dataset/users__tags ] && ok || bad "users files left: $(find bucket/d_dataset/users* 2>&1)"
[ "$(q d 'select count(*) from other')" = 2 ] && [ "$(q d 'select count(*) from other__tags')" = 2 ] && ok ||
  bad "other table touched"
[ "$(ls bucket/d_dataset/_dlt_version | wc -l)" = $((before + 1)) ] && ok || bad "no new schema version file"
"$dlt" pipeline d query 'select count(*) from users' >/dev/null 2>&1 && bad "users still readable" || ok
DLT_DATA_DIR="$tmp/data2" "$dlt" pipeline d sync --destination filesystem >/dev/null 2>&1 || bad "sync on a new machine"
schema=$(DLT_DATA_DIR="$tmp/data2" "$dlt" pipeline d schema --format json 2>&1)
grep -q '"other"' <<<"$schema" && ! grep -q '"users"' <<<"$schema" && ok || bad "restored schema: $schema"
L --pipeline d --table users && [ "$(q d 'select count(*) from users')" = 2 ] && ok || bad "load after drop"
# a drop through a linked table folder deletes nothing outside
mv bucket/d_dataset/other bucket/d_dataset/other.real && ln -s "$tmp/outside" bucket/d_dataset/other
"$dlt" pipeline d drop other --yes >/dev/null 2>&1 && bad "drop through a link succeeded" || ok
[ -e outside/keep.jsonl.gz ] && ok || bad "drop deleted outside"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
