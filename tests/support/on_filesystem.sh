#!/usr/bin/env bash
# Run a CLI test script (tests/cli/*.sh) against the filesystem destination instead of DuckDB,
# unchanged (as on_postgres.sh does for Postgres):
#   on_filesystem.sh SCRIPT DLT SRC
# Every `dlt load` goes to --destination filesystem; each DuckDB file a command names
# (--credentials F.duckdb, or the default ./<pipeline>.duckdb) becomes a bucket folder of its
# own (F.bucket), passed as dlt reads it (DESTINATION__FILESYSTEM__BUCKET_URL). A test that
# deletes the file to start over gets an empty bucket: the file is kept as a marker.
set -u
script=$(realpath "$1")
dlt=$(realpath "$2")
src=$(realpath "$3")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/dlt" <<SHIM
#!/usr/bin/env bash
# dlt on the filesystem destination (written by tests/support/on_filesystem.sh)
args=() creds="" name=""
[ "\${1:-}" = pipeline ] && name=\${2:-}
while [ \$# -gt 0 ]; do
  case "\$1" in
    --credentials) creds=\$2; shift 2; continue ;;
    --pipeline|-p) name=\$2 ;;
  esac
  args+=("\$1"); shift
done
marker=\${creds:-\$PWD/\$name.duckdb}
case "\$marker" in /*) ;; *) marker=\$PWD/\$marker ;; esac
if [ ! -e "\$marker" ] && [ "\${args[0]}" = load ]; then
  rm -rf "\$marker.bucket"
  : > "\$marker"
fi
export DESTINATION__FILESYSTEM__BUCKET_URL="file://\$marker.bucket"
if [ "\${args[0]}" = load ]; then exec "$dlt" "\${args[@]}" --destination filesystem; fi
exec "$dlt" "\${args[@]}"
SHIM
chmod +x "$work/dlt"
export DLTC_TEST_DESTINATION=filesystem
bash "$script" "$work/dlt" "$src"
