#!/usr/bin/env bash
# CLI golden cases for `dlt normalize` and `dlt --version`: outputs, files, exit codes.
set -u
dlt=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0; passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect_code() { # expected actual what
  if [ "$1" = "$2" ]; then ok; else bad "$3: exit $2, expected $1"; fi
}

# --version: "dlt <version>", exit 0
out=$("$dlt" --version); expect_code 0 $? "--version"
[[ $out =~ ^dlt\ [0-9]+\.[0-9]+\.[0-9]+$ ]] && ok || bad "--version printed '$out'"

# DuckDB is loaded on first use, not at start (dlt --version stays fast)
if command -v ldd >/dev/null && [ "${DLTC_SANITIZED:-0}" != 1 ]; then
  ldd "$dlt" | grep -q libduckdb && bad "dlt links libduckdb at start" || ok
fi

# usage errors exit 2
"$dlt" >/dev/null 2>&1; expect_code 2 $? "no command"
"$dlt" frobnicate >/dev/null 2>&1; expect_code 2 $? "unknown command"
"$dlt" normalize "$src/examples/data/users.jsonl" >/dev/null 2>&1; expect_code 2 $? "missing --table"
"$dlt" normalize --table x --bogus a >/dev/null 2>&1; expect_code 2 $? "unknown option"
"$dlt" normalize --help | grep -q "usage: dlt normalize" && ok || bad "normalize --help"

# the bundled example: tables, row counts, files
out=$("$dlt" normalize "$src/examples/data/users.jsonl" --table users --out "$tmp/o1"); expect_code 0 $? "normalize example"
for t in users users__tags users__pets users__pets__toys; do
  [ -s "$tmp/o1/$t.jsonl" ] && ok || bad "missing $t.jsonl"
done
[ -s "$tmp/o1/users.schema.yaml" ] && ok || bad "missing schema"
[ "$(wc -l < "$tmp/o1/users.jsonl")" -eq 3 ] && ok || bad "users rows"
[ "$(wc -l < "$tmp/o1/users__tags.jsonl")" -eq 3 ] && ok || bad "users__tags rows"
[ "$(wc -l < "$tmp/o1/users__pets__toys.jsonl")" -eq 2 ] && ok || bad "toys rows"
grep -q "^users: 3 row(s)" <<<"$out" && ok || bad "summary: $out"
grep -Eq "^  signed_up +timestamp" <<<"$out" && ok || bad "signed_up should be a timestamp"
grep -Eq "^  score__v_text +text" <<<"$out" && ok || bad "score variant"
grep -Eq "^  favourite_colour +text" <<<"$out" && ok || bad "favourite_colour"
ls -A "$tmp/o1" | grep -q dltc-tmp && bad "temporary folder left behind" || ok

# stdin, a JSON array, --max-table-nesting 0 → json columns
echo '[{"a": {"b": 1}, "l": [1, 2]}]' | "$dlt" normalize - --table t --out "$tmp/o2" --max-table-nesting 0 -q >/dev/null
expect_code 0 $? "stdin array"
grep -q '"a":{"b":1}' "$tmp/o2/t.jsonl" && ok || bad "json column a: $(cat "$tmp/o2/t.jsonl")"
[ ! -e "$tmp/o2/t__l.jsonl" ] && ok || bad "no nested table at nesting 0"

# a malformed line: file:line:col: reason, exit 1, nothing written
printf '{"id": 1}\n{"id": 2}\n{"id": 3,}\n{"id": 4}\n' > "$tmp/bad.jsonl"
err=$("$dlt" normalize "$tmp/bad.jsonl" --table t --out "$tmp/o3" 2>&1 >/dev/null); code=$?
expect_code 1 $code "malformed input"
grep -q "bad.jsonl:3:9: trailing comma" <<<"$err" && ok || bad "error position: $err"
[ "$(ls -A "$tmp/o3" 2>/dev/null | wc -l)" -eq 0 ] && ok || bad "partial output left: $(ls -A "$tmp/o3")"
[ "$(wc -l <<<"$err")" -eq 1 ] && ok || bad "error is not one line: $err"

# a missing file
err=$("$dlt" normalize "$tmp/nope.json" --table t --out "$tmp/o4" 2>&1 >/dev/null); expect_code 1 $? "missing file"
grep -q "nope.json" <<<"$err" && ok || bad "missing file message: $err"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
