#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests.
#
#   pg_server.sh start DIR   initdb + start (idempotent: a running server is kept)
#   pg_server.sh stop DIR    stop it and remove its data (idempotent)
#
# The server listens only on 127.0.0.1 on a free port and on a unix socket in DIR. Roles:
# `dltc` (superuser, trust) and `loader` (password `loader-pw-123`, scram-sha-256), which owns
# the database `dltc`. Written on start:
#   DIR/uri        postgresql://loader:loader-pw-123@127.0.0.1:<port>/dltc
#   DIR/uri_admin  postgresql://dltc@127.0.0.1:<port>/dltc
#   DIR/port
# Durability is off (fsync, full_page_writes, synchronous_commit): the data is disposable.
#
# Nothing outlives the caller: a watchdog stops the server and removes the data when the
# process that ran `start` (its parent: ctest for the fixture) goes away. DLTC_PG_WATCH_PID
# names another process to watch; 0 turns the watchdog off (then `stop` is up to you).
#
# Run as root, the server runs as the `postgres` user (initdb and postgres refuse root).
# PG_BINDIR overrides the server's bin folder (default: the newest /usr/lib/postgresql/*/bin).
#
# Exit codes: 0 done, 1 failure (the server log is printed), 2 usage.
set -euo pipefail

usage() {
    echo "usage: $0 start|stop DIR" >&2
    exit 2
}
[ $# -eq 2 ] || usage
cmd=$1
dir=$2
case "$cmd" in start | stop) ;; *) usage ;; esac

find_bindir() {
    if [ -n "${PG_BINDIR:-}" ]; then
        echo "$PG_BINDIR"
        return
    fi
    local best="" d
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] || continue
        if [ -z "$best" ] || [ "$(printf '%s\n%s\n' "$best" "$d" | sort -V | tail -n1)" = "$d" ]; then
            best=$d
        fi
    done
    if [ -z "$best" ]; then
        best=$(command -v initdb 2>/dev/null | xargs -r dirname)
    fi
    [ -n "$best" ] || { echo "pg_server.sh: no PostgreSQL server found (install postgresql)" >&2; exit 1; }
    echo "$best"
}

# Run a server program as the postgres user when we are root.
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

bindir=$(find_bindir)
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

# Where the server keeps its data and socket: DIR itself when the postgres user can reach it,
# else (root with a clone under a 0700 folder, e.g. /root or a mktemp -d) a 0711 temp dir
# that user owns, named in DIR/server_dir. The uri files stay in DIR either way.
sdir=$dir
if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$dir" 2>/dev/null; then
    sdir=$(cat "$dir/server_dir" 2>/dev/null || true)
    if [ -z "$sdir" ] || [ ! -d "$sdir" ]; then
        if [ "$cmd" = stop ]; then
            sdir=$dir
        else
            sdir=$(mktemp -d "${TMPDIR:-/tmp}/dltc-pg.XXXXXX")
            chmod 0711 "$sdir"
            chown postgres: "$sdir"
            echo "$sdir" >"$dir/server_dir"
        fi
    fi
fi
data="$sdir/data"
log="$sdir/server.log"

# A live process (a killed postmaster may linger as a zombie where nothing reaps orphans).
alive() {
    [ -n "$1" ] && [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null
}

# The server of $data answers on its socket.
running() {
    [ -f "$data/postmaster.pid" ] || return 1
    local pid port
    pid=$(sed -n 1p "$data/postmaster.pid" 2>/dev/null || true)
    port=$(sed -n 4p "$data/postmaster.pid" 2>/dev/null || true)
    alive "$pid" && [ -n "$port" ] && "$bindir/pg_isready" -q -h "$sdir" -p "$port" >/dev/null 2>&1
}

stop_server() { # [keep]: keep the server's own dir (a start clearing leftovers)
    if running; then
        as_pg "$bindir/pg_ctl" -D "$data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    fi
    # a server whose pg_ctl failed: end the postmaster by its pid file
    if [ -f "$data/postmaster.pid" ]; then
        local pid
        pid=$(head -n1 "$data/postmaster.pid" 2>/dev/null || true)
        if alive "$pid" && [ "$(cat /proc/"$pid"/comm 2>/dev/null || true)" = postgres ]; then
            kill -QUIT "$pid" 2>/dev/null || true
            for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
        fi
    fi
    if [ -f "$dir/watchdog.pid" ]; then
        local w
        w=$(cat "$dir/watchdog.pid" 2>/dev/null || true)
        # only our own watchdog (it carries the data dir in its command line)
        if [ -n "$w" ] && [ "$w" != "${BASHPID:-$$}" ] &&
            tr '\0' ' ' <"/proc/$w/cmdline" 2>/dev/null | grep -qF "pg_server.sh watchdog $dir"; then
            kill "$w" 2>/dev/null || true
        fi
    fi
    rm -rf "$data" "$dir/watchdog.pid" "$dir/uri" "$dir/uri_admin" "$dir/port"
    rm -f "$sdir"/.s.PGSQL.* # left by a server that was killed
    if [ "$sdir" != "$dir" ] && [ "${1:-}" != keep ]; then
        rm -rf "$sdir" "$dir/server_dir"
    fi
}

if [ "$cmd" = stop ]; then
    stop_server
    exit 0
fi

if running && [ -s "$dir/uri" ] && [ -s "$dir/uri_admin" ]; then
    exit 0 # idempotent: the server is up
fi
stop_server keep # leftovers of a killed run

if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$sdir"
fi
[ "$sdir" = "$dir" ] && chmod 0755 "$dir"

fail() {
    echo "pg_server.sh: $*" >&2
    [ -f "$log" ] && tail -n 30 "$log" >&2
    stop_server
    exit 1
}

# killed while starting: leave nothing behind
trap 'stop_server; exit 1' INT TERM HUP
# The watchdog: stop everything when the watched process ends. Detached (its own session,
# no inherited output: ctest waits for the test's pipes to close).
watch=${DLTC_PG_WATCH_PID-$PPID}
if [ "$watch" != 0 ]; then
    setsid bash -c '
        watch=$1 dir=$2 script=$3
        while kill -0 "$watch" 2>/dev/null; do sleep 1; done
        exec bash "$script" stop "$dir"
    ' "pg_server.sh watchdog $dir" "$watch" "$dir" "$(cd "$(dirname "$0")" && pwd)/$(basename "$0")" \
        </dev/null >/dev/null 2>&1 &
    echo $! >"$dir/watchdog.pid"
fi

as_pg "$bindir/initdb" -D "$data" -U dltc -A trust -E UTF8 --locale=C --no-sync \
    --no-instructions >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; fail "initdb failed"; }

cat >"$data/pg_hba.conf" <<'EOF'
# TYPE  DATABASE  USER    ADDRESS        METHOD
local   all       dltc                   trust
host    all       dltc    127.0.0.1/32   trust
local   all       all                    scram-sha-256
host    all       all     127.0.0.1/32   scram-sha-256
EOF
cat >>"$data/postgresql.conf" <<EOF
# ---- pg_server.sh: a disposable test server ----
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sdir'
unix_socket_permissions = 0777
password_encryption = 'scram-sha-256'
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
wal_buffers = 16MB
max_wal_size = 4GB
checkpoint_timeout = 1h
shared_buffers = 128MB
max_connections = 40
autovacuum = off
log_min_messages = warning
log_line_prefix = '%m [%p] '
EOF
[ "$(id -u)" -eq 0 ] && chown postgres: "$data/pg_hba.conf" "$data/postgresql.conf"

# A free port: try random ones until the server binds.
port=""
for _ in $(seq 20); do
    p=$((20000 + RANDOM % 40000))
    # skip ports something already listens on
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
        continue
    fi
    : >"$log"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$log"
    if as_pg "$bindir/pg_ctl" -D "$data" -l "$log" -o "-p $p" -w -t 60 start >/dev/null 2>&1; then
        port=$p
        break
    fi
    grep -q 'could not bind\|Address already in use' "$log" 2>/dev/null || fail "the server did not start"
done
[ -n "$port" ] || fail "no free port found"

psql_admin() {
    as_pg "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$sdir" -p "$port" -U dltc -d postgres "$@"
}
psql_admin -c "CREATE ROLE loader LOGIN PASSWORD 'loader-pw-123'" \
    -c "CREATE DATABASE dltc OWNER loader" >/dev/null 2>"$dir/setup.err" ||
    { cat "$dir/setup.err" >&2; fail "creating the roles failed"; }

echo "$port" >"$dir/port"
echo "postgresql://loader:loader-pw-123@127.0.0.1:$port/dltc" >"$dir/uri.tmp"
mv "$dir/uri.tmp" "$dir/uri"
echo "postgresql://dltc@127.0.0.1:$port/dltc" >"$dir/uri_admin.tmp"
mv "$dir/uri_admin.tmp" "$dir/uri_admin"
trap - INT TERM HUP

exit 0
