#!/usr/bin/env bash
# Run a CLI test script (tests/cli/*.sh) unchanged against another destination than DuckDB:
#   on_destination.sh postgres|filesystem SCRIPT DLT SRC
# `dlt` is wrapped so that every `dlt load` goes to that destination (--destination D), and
# each DuckDB file a command names (--credentials F.duckdb, or the default
# ./<pipeline>.duckdb) becomes a destination of its own, passed as dlt reads credentials:
#   postgres    a database on the `postgres` ctest fixture's server (DLTC_TEST_PG_DIR, see
#               pg_server.sh), DESTINATION__POSTGRES__CREDENTIALS; dropped at the end
#   filesystem  a bucket folder F.bucket, DESTINATION__FILESYSTEM__BUCKET_URL
# A test that deletes the file to start over gets a fresh one: the file is kept as a marker.
# `dlt pipeline NAME …` finds the destination in the pipeline's state.
set -u
dest=$1
script=$(realpath "$2")
dlt=$(realpath "$3")
src=$(realpath "$4")
work=$(mktemp -d)
prefix="t$$_$(basename "$script" .sh | tr -c 'a-z0-9\n' '_')"
case "$dest" in
  postgres)
    dir=${DLTC_TEST_PG_DIR:?the postgres fixture is not running}
    # a fresh database for a marker $1 (its name in $db)
    fresh='db="'"$prefix"'"_$(printf "%s" "$1" | md5sum | cut -c1-10)
      PGOPTIONS="--client-min-messages=warning" psql -q -X "$(cat "'"$dir"'/uri_admin")" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" -c "CREATE DATABASE \"$db\" OWNER loader" >/dev/null'
    creds='db="'"$prefix"'"_$(printf "%s" "$1" | md5sum | cut -c1-10); uri=$(cat "'"$dir"'/uri")
      export DESTINATION__POSTGRES__CREDENTIALS="${uri%/*}/$db"'
    cleanup() {
      local admin
      admin=$(cat "$dir/uri_admin")
      for db in $(psql -X -A -t "$admin" -c "SELECT datname FROM pg_database WHERE datname LIKE '${prefix}_%'" 2>/dev/null); do
        psql -q -X "$admin" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1
      done
    } ;;
  filesystem)
    fresh='rm -rf "$1.bucket"'
    creds='export DESTINATION__FILESYSTEM__BUCKET_URL="file://$1.bucket"'
    cleanup() { :; } ;;
  *) echo "usage: $0 postgres|filesystem SCRIPT DLT SRC" >&2; exit 2 ;;
esac
trap 'cleanup; rm -rf "$work"' EXIT
cat > "$work/dlt" <<SHIM
#!/usr/bin/env bash
# dlt on $dest (written by tests/support/on_destination.sh)
fresh() { $fresh; }
creds() { $creds; }
args=() marker="" name=""
[ "\${1:-}" = pipeline ] && name=\${2:-}
while [ \$# -gt 0 ]; do
  case "\$1" in
    --credentials) marker=\$2; shift 2; continue ;;
    --pipeline|-p) name=\$2 ;;
  esac
  args+=("\$1"); shift
done
marker=\${marker:-\$PWD/\$name.duckdb}
case "\$marker" in /*) ;; *) marker=\$PWD/\$marker ;; esac
if [ ! -e "\$marker" ] && [ "\${args[0]}" = load ]; then
  fresh "\$marker" || exit 1
  : > "\$marker"
fi
creds "\$marker"
if [ "\${args[0]}" = load ]; then exec "$dlt" "\${args[@]}" --destination $dest; fi
exec "$dlt" "\${args[@]}"
SHIM
chmod +x "$work/dlt"
export DLTC_TEST_DESTINATION=$dest
bash "$script" "$work/dlt" "$src"
