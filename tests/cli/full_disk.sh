#!/usr/bin/env bash
# A full disk during extract: the one-line error names the job file that could not be written,
# nothing half-written is loaded, and a rerun with room loads every row exactly once.
# The disk is "full" through RLIMIT_FSIZE (ulimit -f, SIGXFSZ ignored): write() then fails
# with EFBIG at the limit, as it fails with ENOSPC on a full disk, through the same code.
set -u
dlt=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
export DLT_DATA_DIR="$tmp/data"
python3 -c '
import json
with open("big.jsonl", "w") as f:
    for i in range(40000):
        f.write(json.dumps({"id": i, "name": "row %d" % i, "pad": "x" * 40}) + "\n")
'
q() { "$dlt" pipeline "$1" query "$2" --format csv --pipelines-dir "$tmp/p" --credentials "$tmp/db.duckdb" | tail -n 1; }
# limited: run a command with files capped at 512 KiB
limited() { (trap '' XFSZ; ulimit -f 512; "$@"); }
one_line_naming_job() { # $1 = stderr file
  [ "$(wc -l < "$1")" -eq 1 ] && grep -q "/new_jobs/.*: write failed: File too large" "$1"
}

# ---- dlt load FILE: the file is copied into the package (copy_fd) ----
limited "$dlt" load big.jsonl --pipeline fd_copy --table rows --pipelines-dir "$tmp/p" \
  --credentials "$tmp/db.duckdb" -q 2> err1; rc=$?
[ $rc -ne 0 ] && ok || bad "load under a full disk succeeded"
one_line_naming_job err1 && ok || bad "copy: error does not name the job file: $(cat err1)"
"$dlt" load big.jsonl --pipeline fd_copy --table rows --pipelines-dir "$tmp/p" \
  --credentials "$tmp/db.duckdb" -q 2> err1b && ok || bad "rerun with room failed: $(cat err1b)"
[ "$(q fd_copy "select count(*) || '/' || count(distinct id) from rows")" = "40000/40000" ] && ok ||
  bad "copy rerun: rows $(q fd_copy "select count(*) || '/' || count(distinct id) from rows")"

# ---- a resource's items written into a job (flush_job): the filesystem source ----
mkdir -p files && cp big.jsonl files/
cat > fs.toml <<EOF
[pipeline]
name = "fd_res"
destination = "duckdb"
pipelines_dir = "$tmp/p"
credentials = "$tmp/db.duckdb"

[[sources]]
type = "filesystem"
bucket_url = "files"
file_glob = "*.jsonl"
format = "jsonl"
table_name = "rows"
EOF
limited "$dlt" run fs.toml -q 2> err2; rc=$?
[ $rc -ne 0 ] && ok || bad "run under a full disk succeeded"
one_line_naming_job err2 && ok || bad "resource: error does not name the job file: $(cat err2)"
"$dlt" run fs.toml -q 2> err2b && ok || bad "run rerun with room failed: $(cat err2b)"
[ "$(q fd_res "select count(*) || '/' || count(distinct id) from rows")" = "40000/40000" ] && ok ||
  bad "resource rerun: rows $(q fd_res "select count(*) || '/' || count(distinct id) from rows")"

echo "full_disk: $pass passed, $fail failed"
[ $fail -eq 0 ]
