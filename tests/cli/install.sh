#!/usr/bin/env bash
# cmake --install: dlt, libdltc (shared and static), the public headers and dltc.pc land in
# the prefix; a program builds against them with pkg-config alone; the installed dlt loads
# with the prefix's own copy of libduckdb, also after the prefix is moved elsewhere.
set -u
bin=$(cd "$(dirname "$1")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0; passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
prefix=$tmp/prefix
cmake --install "$bin" --prefix "$prefix" > "$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; exit 1; }
libdir=$prefix/lib
[ -d "$prefix/lib64" ] && [ ! -d "$libdir/pkgconfig" ] && libdir=$prefix/lib64
for f in "$prefix/bin/dlt" "$libdir/libdltc.a" "$libdir/libdltc.so" "$libdir/pkgconfig/dltc.pc" \
         "$libdir/dltc/libduckdb.so" "$prefix/include/dltc/dltc.h" "$prefix/include/dltc/pipeline_file.h"; do
  [ -e "$f" ] && ok || bad "installed: $f"
done
[ -z "$(find "$prefix/include" -name '*.h' -not -path '*/include/dltc/*')" ] && ok || bad "only include/dltc/*.h is installed"
grep -h '#include "' "$prefix"/include/dltc/*.h | grep -qv '#include "dltc/' && bad "a public header includes a private one: $(grep -h '#include "' "$prefix"/include/dltc/*.h | grep -v '#include "dltc/')" || ok

cd "$tmp" || exit 1
export DLT_DATA_DIR=$tmp/data
unset DLTC_DUCKDB_LIB DESTINATION__DUCKDB__CREDENTIALS
echo '[{"id": 1, "tags": ["a", "b"]}, {"id": 2}]' > rows.json
# the sanitizer build's dlt: libduckdb's own allocations are not ours to check for leaks
[ "${DLTC_SANITIZED:-0}" = 1 ] && export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
run_installed() { # PREFIX: load and query with the prefix's dlt
  "$1/bin/dlt" load rows.json --pipeline inst --table items -q &&
    "$1/bin/dlt" pipeline inst query "SELECT count(*) FROM items__tags" --format csv | tail -n 1
}
[ "$(run_installed "$prefix")" = 2 ] && ok || bad "the installed dlt loads"
if [ "${DLTC_SANITIZED:-0}" != 1 ]; then
  # which libduckdb it loaded: the prefix's copy, not the build's
  LD_DEBUG=libs "$prefix/bin/dlt" pipeline inst query "SELECT 1" > /dev/null 2> "$tmp/ld.log"
  grep -q "$prefix/bin/../lib[0-9]*/dltc/libduckdb.so" "$tmp/ld.log" && ok || bad "the installed dlt uses the prefix's libduckdb: $(grep -m3 duckdb "$tmp/ld.log")"
  mv "$prefix" "$tmp/moved"
  rm -rf "$tmp/data" inst.duckdb
  [ "$(run_installed "$tmp/moved")" = 2 ] && ok || bad "the moved prefix still works"
  mv "$tmp/moved" "$prefix"
  # a program against the installed library, found by pkg-config alone
  cat > prog.c <<'C'
#include <dltc/dltc.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
    dltc_pipeline_options o = DLTC_PIPELINE_OPTIONS_INIT;
    dltc_pipeline *p;
    const char *json = "[{\"id\": 1}, {\"id\": 2}, {\"id\": 3}]";
    dltc_run_options ro = DLTC_RUN_OPTIONS_INIT;
    ro.table_name = "t";
    dltc_rows *rows;
    if (dltc_pipeline_open(&p, "prog", &o) || dltc_pipeline_run_json(p, json, strlen(json), &ro, NULL) ||
        dltc_pipeline_query(p, "SELECT count(*) FROM t", &rows)) {
        fprintf(stderr, "%s\n", dltc_error_last()->message);
        return 1;
    }
    printf("%s\n", dltc_rows_get_text(rows, 0, 0));
    dltc_rows_free(rows);
    dltc_pipeline_free(p);
    return 0;
}
C
  export PKG_CONFIG_PATH=$libdir/pkgconfig
  # shellcheck disable=SC2046
  if cc -Wall -Werror -o prog prog.c $(pkg-config --cflags --libs dltc) 2> cc.log; then
    ok
    [ "$(LD_LIBRARY_PATH=$libdir ./prog 2>&1)" = 3 ] && ok || bad "the program runs: $(LD_LIBRARY_PATH=$libdir ./prog 2>&1)"
  else
    bad "a program builds with pkg-config --cflags --libs dltc: $(cat cc.log)"
  fi
  # shellcheck disable=SC2046
  cc -Wall -Werror -o prog_static prog.c $(pkg-config --cflags --libs --static dltc) -Wl,-Bstatic -ldltc -Wl,-Bdynamic 2> cc2.log \
    && ok || bad "a static build with pkg-config --static: $(cat cc2.log)"
fi
echo "install: $passes passed, $fails failed"
[ "$fails" = 0 ]
