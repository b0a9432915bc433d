#!/usr/bin/env bash
# Run a CLI test script (tests/cli/*.sh) against Postgres instead of DuckDB, unchanged:
#   on_postgres.sh SCRIPT DLT SRC
# The throwaway server of the `postgres` ctest fixture (DLTC_TEST_PG_DIR, see pg_server.sh)
# stands in for the DuckDB files: `dlt` is wrapped so that every `dlt load` goes to Postgres
# (--destination postgres), and each DuckDB file a command names (--credentials F.duckdb, or
# the default ./<pipeline>.duckdb) becomes a Postgres database of its own, passed as dlt
# reads credentials (DESTINATION__POSTGRES__CREDENTIALS). A test that deletes the file to
# start over gets a fresh database: the file is kept as a marker. `dlt pipeline NAME …` finds
# the destination in the pipeline's state. The databases are dropped at the end.
set -u
script=$(realpath "$1")
dlt=$(realpath "$2")
src=$(realpath "$3")
dir=${DLTC_TEST_PG_DIR:?the postgres fixture is not running}
work=$(mktemp -d)
prefix="t$$_$(basename "$script" .sh | tr -c 'a-z0-9\n' '_')"
cleanup() {
  local admin
  admin=$(cat "$dir/uri_admin")
  for db in $(psql -X -A -t "$admin" -c "SELECT datname FROM pg_database WHERE datname LIKE '${prefix}_%'" 2>/dev/null); do
    psql -q -X "$admin" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1
  done
  rm -rf "$work"
}
trap cleanup EXIT
cat > "$work/dlt" <<SHIM
#!/usr/bin/env bash
# dlt on Postgres (written by tests/support/on_postgres.sh)
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
db="$prefix"_\$(printf '%s' "\$marker" | md5sum | cut -c1-10)
if [ ! -e "\$marker" ] && [ "\${args[0]}" = load ]; then
  PGOPTIONS='--client-min-messages=warning' psql -q -X "\$(cat "$dir/uri_admin")" -c "DROP DATABASE IF EXISTS \\"\$db\\" WITH (FORCE)" -c "CREATE DATABASE \\"\$db\\" OWNER loader" >/dev/null || exit 1
  : > "\$marker"
fi
uri=\$(cat "$dir/uri")
export DESTINATION__POSTGRES__CREDENTIALS="\${uri%/*}/\$db"
if [ "\${args[0]}" = load ]; then exec "$dlt" "\${args[@]}" --destination postgres; fi
exec "$dlt" "\${args[@]}"
SHIM
chmod +x "$work/dlt"
export DLTC_TEST_DESTINATION=postgres
bash "$script" "$work/dlt" "$src"
