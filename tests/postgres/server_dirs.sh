#!/usr/bin/env bash
# tests/support/pg_server.sh from a folder the postgres user cannot reach (a clone under
# root's 0700 home, or under a `mktemp -d`): as root the server then keeps its data in a 0711
# temp dir of its own; it serves, and stop leaves nothing behind. Not root: nothing to test.
set -u
src=$(cd "$2" && pwd)
script=$src/tests/support/pg_server.sh
if [ "$(id -u)" -ne 0 ]; then
  echo "server_dirs: not root, the server runs as this user: nothing to test"
  exit 0
fi
tmp=$(mktemp -d) # 0700, owned by root
dir=$tmp/deep/pg
fails=0
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
DLTC_PG_WATCH_PID=0 bash "$script" start "$dir" || bad "start under a 0700 folder"
sdir=$(cat "$dir/server_dir" 2>/dev/null)
[ -n "$sdir" ] && [ -d "$sdir" ] && [ "$(stat -c %a "$sdir")" = 711 ] || bad "the server's own 0711 dir: '$sdir'"
uri=$(cat "$dir/uri" 2>/dev/null)
out=$(psql -X -At -d "$uri" -c "SELECT 40 + 2" 2>&1)
[ "$out" = 42 ] || bad "the server answers: $out"
DLTC_PG_WATCH_PID=0 bash "$script" start "$dir" || bad "start again is idempotent"
bash "$script" stop "$dir" || bad "stop"
[ ! -e "$sdir" ] && [ ! -e "$dir/server_dir" ] && [ ! -e "$dir/uri" ] || bad "stop removes the server's dir"
rm -rf "$tmp"
echo "server_dirs: $fails failed"
[ "$fails" = 0 ]
