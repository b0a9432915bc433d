#!/usr/bin/env bash
# Progress of dlt load / dlt run on stderr: log lines off a terminal (the default), a bar
# redrawn with \r on one (script -qc gives a pty), off with -q or --progress none, the
# config's `progress`; stdout is the same with or without it.
set -u
dlt=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
export DLT_DATA_DIR="$tmp/data"
unset PROGRESS
fails=0; passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
for i in $(seq 1 3000); do printf '{"id": %d, "tags": ["a", "b"]}\n' "$i"; done > rows.jsonl
strip_times() { sed -E 's/completed in [0-9.]+ seconds/completed in T/; s/Load package [0-9.]+/Load package ID/; s/logp[23]/P/g'; }

# off a terminal: one final log line per step on stderr, stdout is the load info only
"$dlt" load rows.jsonl --pipeline logp --table rows > out 2> err && ok || bad "load: $(cat err)"
grep -q '^Pipeline logp load step completed in ' out && ok || bad "stdout: load info: $(cat out)"
grep -q 'rows/s\|MB/s' out && bad "progress on stdout: $(cat out)" || ok
grep -Eq '^extract done: 1 file, [0-9.]+ MB, in [0-9.]+ s, [0-9.]+ MB/s$' err && ok || bad "extract line: $(cat err)"
grep -Eq '^normalize done: 9,001 rows, [0-9]+ files?, [0-9.]+ MB, in [0-9.]+ s, [0-9,]+ rows/s, [0-9.]+ MB/s$' err \
    && ok || bad "normalize line: $(cat err)"
grep -Eq '^load done: 9,001 rows, [0-9]+ files?, [0-9.]+ MB, in [0-9.]+ s, [0-9,]+ rows/s, [0-9.]+ MB/s$' err \
    && ok || bad "load line: $(cat err)"
[ "$(grep -c ' done: ' err)" = 3 ] && ok || bad "one final line per step: $(cat err)"
grep -q $'\r' err && bad "no \\r off a terminal" || ok

# -q: nothing at all; --progress none: the load info without progress (fresh pipelines: the
# first load of each has the state row)
"$dlt" load rows.jsonl --pipeline logp --table rows -q > out 2> err && ok || bad "load -q"
[ ! -s out ] && [ ! -s err ] && ok || bad "-q is silent: $(cat out err)"
"$dlt" load rows.jsonl --pipeline logp --table rows --progress none > out2 2> err && ok || bad "--progress none"
[ ! -s err ] && ok || bad "--progress none: stderr: $(cat err)"
"$dlt" load rows.jsonl --pipeline logp2 --table rows > out1 2>/dev/null
"$dlt" load rows.jsonl --pipeline logp3 --table rows --progress none > out2 2>/dev/null
[ "$(strip_times < out1)" = "$(strip_times < out2)" ] && ok || bad "stdout differs with progress: $(diff out1 out2)"
# -q with an explicit --progress: the flag wins
"$dlt" load rows.jsonl --pipeline logp --table rows -q --progress log > out 2> err && ok || bad "load -q --progress log"
[ ! -s out ] && grep -q '^load done: ' err && ok || bad "-q --progress log: $(cat out err)"

# unknown names: a usage error naming the valid ones
"$dlt" load rows.jsonl --pipeline logp --table rows --progress bars > out 2> err; rc=$?
[ $rc = 2 ] && ok || bad "--progress bars: exit $rc"
grep -q "^dlt load: --progress: unknown progress 'bars' (valid: log, tqdm, enlighten, alive_progress, none)$" err \
    && ok || bad "--progress bars message: $(cat err)"
[ "$(wc -l < err)" = 1 ] && ok || bad "one line: $(cat err)"

# the config's progress: PROGRESS, and <pipeline>.progress in config.toml, over the default
PROGRESS=none "$dlt" load rows.jsonl --pipeline logp --table rows > out 2> err && ok || bad "PROGRESS=none"
[ ! -s err ] && ok || bad "PROGRESS=none: stderr: $(cat err)"
mkdir -p .dlt && printf '[cfgp]\nprogress = "none"\n' > .dlt/config.toml
"$dlt" load rows.jsonl --pipeline cfgp --table rows > out 2> err && ok || bad "config.toml progress"
[ ! -s err ] && ok || bad "config.toml [cfgp] progress = none: $(cat err)"
"$dlt" load rows.jsonl --pipeline cfgp --table rows --progress log > out 2> err && ok || bad "flag over config"
grep -q '^load done: ' err && ok || bad "--progress log over config: $(cat err)"
printf 'progress = "bars"\n' > .dlt/config.toml
"$dlt" load rows.jsonl --pipeline logp --table rows > out 2> err; rc=$?
[ $rc = 1 ] && grep -q "config progress: unknown progress 'bars'" err && ok || bad "bad config progress: $rc $(cat err)"
rm -rf .dlt

# on a terminal: the bar (\r redraws, a newline at each step's end); the default there too
if command -v script > /dev/null; then
    script -qec "'$dlt' load rows.jsonl --pipeline ttyp --table rows --progress tqdm > tty.out" /dev/null > tty.err 2>&1 \
        && ok || bad "tqdm under script: $(cat tty.err)"
    grep -q $'\rnormalize \[' tty.err && ok || bad "tqdm bar: $(cat -A tty.err | head -5)"
    grep -q '] 100% ' tty.err && ok || bad "tqdm bar at 100%: $(cat -A tty.err | head -5)"
    grep -q $'\rload \[' tty.err && ok || bad "tqdm load bar"
    grep -q 'rows/s' tty.out && bad "bar on stdout" || ok
    script -qec "'$dlt' load rows.jsonl --pipeline ttyp --table rows > tty.out" /dev/null > tty.err 2>&1 \
        && ok || bad "default under script"
    grep -q $'\rload \[' tty.err && ok || bad "a bar by default on a terminal: $(cat -A tty.err | head -5)"
    script -qec "'$dlt' load rows.jsonl --pipeline ttyp --table rows -q" /dev/null > tty.err 2>&1
    [ ! -s tty.err ] && ok || bad "-q on a terminal: $(cat -A tty.err)"
else
    echo "script(1) not found: the terminal cases are skipped"
fi

# dlt run: the same option and defaults
mkdir -p files && cp rows.jsonl files/
cat > fs.toml <<EOF
[pipeline]
name = "fs_progress"

[[sources]]
type = "filesystem"
bucket_url = "files"
file_glob = "*.jsonl"
format = "jsonl"
table_name = "rows"
EOF
"$dlt" run fs.toml > out 2> err && ok || bad "run: $(cat err)"
grep -q '^Pipeline fs_progress load step completed' out && ok || bad "run stdout: $(cat out)"
grep -Eq '^extract done: 3,000 rows, ' err && ok || bad "run extract line: $(cat err)"
grep -Eq '^load done: 9,00[0-9] rows, ' err && ok || bad "run load line: $(cat err)"
"$dlt" run fs.toml -q > out 2> err && ok || bad "run -q"
[ ! -s out ] && [ ! -s err ] && ok || bad "run -q silent: $(cat out err)"
"$dlt" run fs.toml --progress alive_progress > out 2> err && ok || bad "run --progress alive_progress"
grep -q $'\rload ' err && ok || bad "run alive_progress bar: $(cat -A err | head -3)"
"$dlt" run fs.toml --progress nope > out 2> err; rc=$?
[ $rc = 2 ] && grep -q "^dlt run: --progress: unknown progress 'nope'" err && ok || bad "run --progress nope: $rc $(cat err)"
"$dlt" load --help | grep -q -- '--progress P' && ok || bad "load --help"
"$dlt" run --help | grep -q -- '--progress P' && ok || bad "run --help"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
