#!/usr/bin/env bash
# MotherDuck offline: the credentials as dlt resolves them (md: URL with token or
# motherduck_token, the fields database/password, dlt's default database my_db), the load path
# against a local DuckDB stand-in (DLTC_MOTHERDUCK_STANDIN: parquet load files, merge, state
# restore), a plain one-line error when MotherDuck cannot be reached, and the token never in
# any output, trace, info or file.
set -u
dlt=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
mkdir -p .dlt
export DLT_DATA_DIR="$tmp/data"
unset MOTHERDUCK_TOKEN motherduck_token DESTINATION__MOTHERDUCK__CREDENTIALS
fails=0; passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
tok=md-token-0123456789abcdef
printf '{"id": 1, "name": "a"}\n{"id": 2, "name": "b"}\n' > v1.jsonl
printf '{"id": 2, "name": "B"}\n{"id": 3, "name": "c"}\n' > v2.jsonl
export DLTC_MOTHERDUCK_STANDIN="$tmp/standin.duckdb"

# the md: URL from the environment, as dlt reads it; the token shown as ***
out=$(DESTINATION__MOTHERDUCK__CREDENTIALS="md:analytics?motherduck_token=$tok" \
  "$dlt" load v1.jsonl --pipeline md --table users --destination motherduck --write-disposition merge --primary-key id 2>&1)
[ $? = 0 ] && ok || bad "load through the stand-in: $out"
grep -q "used md:analytics?motherduck_token=\*\*\* location" <<<"$out" && ok || bad "location shown without the token: $out"
ls data/pipelines/md/load/loaded/*/completed_jobs/users.*.parquet >/dev/null 2>&1 && ok || bad "parquet load files (preferred format)"
DESTINATION__MOTHERDUCK__CREDENTIALS="md:analytics?token=$tok" \
  "$dlt" load v2.jsonl --pipeline md --table users --destination motherduck --write-disposition merge --primary-key id -q || bad "second load"
n=$("$dlt" pipeline md query "select string_agg(id || name, ',' order by id) from users" --format csv | tail -n 1 | tr -d '"')
[ "$n" = "1a,2B,3c" ] && ok || bad "merged through the stand-in: $n"

# fields in secrets.toml (password = the token) and the default database
printf '[destination.motherduck.credentials]\npassword = "%s"\n' "$tok" > .dlt/secrets.toml
out=$("$dlt" load v1.jsonl --pipeline md2 --table users --destination motherduck 2>&1)
grep -q "used md:my_db?motherduck_token=\*\*\* location" <<<"$out" && ok || bad "default database my_db: $out"
rm .dlt/secrets.toml

# state restore from the stand-in on a new machine
rm -rf data/pipelines/md
"$dlt" pipeline md sync --destination motherduck --credentials "md:analytics?motherduck_token=$tok" >/dev/null 2>&1 && ok || bad "sync from the stand-in"
[ -f data/pipelines/md/state.json ] && ok || bad "state restored"

# no stand-in: MotherDuck cannot be reached from here: one plain line, no token
unset DLTC_MOTHERDUCK_STANDIN
err=$(timeout 120 "$dlt" load v1.jsonl --pipeline md3 --table users --destination motherduck --credentials "md:analytics?motherduck_token=$tok" 2>&1 >/dev/null)
[ $? = 1 ] && ok || bad "unreachable MotherDuck fails"
grep -q "motherduck (needs DuckDB's motherduck extension and the network)" <<<"$err" && ok || bad "plain error: $err"
[ "$(wc -l <<<"$err")" = 1 ] && ok || bad "one line: $err"
err=$("$dlt" load v1.jsonl --pipeline md4 --table users --destination motherduck --credentials "md:?motherduck_token=$tok" 2>&1)
grep -q "no database in the md: URL" <<<"$err" && ok || bad "empty database refused: $err"

# the token is nowhere
"$dlt" pipeline md trace >trace.txt 2>&1
"$dlt" pipeline md info -v >info.txt 2>&1
if grep -rq "$tok" --exclude-dir=.dlt . ; then bad "the token was found in: $(grep -rl "$tok" --exclude-dir=.dlt .)"; else ok; fi
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
