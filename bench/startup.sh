#!/usr/bin/env bash
# Start-up time of `dlt --version` (target < 20 ms), against /bin/true in the same run.
# usage: bench/startup.sh path/to/dlt [runs]
set -eu
dlt=$1; runs=${2:-50}
python3 - "$dlt" "$runs" <<'PY'
import subprocess, sys, time
dlt, runs = sys.argv[1], int(sys.argv[2])
def median(cmd):
    ts = []
    for _ in range(runs):
        t = time.perf_counter(); subprocess.run(cmd, stdout=subprocess.DEVNULL); ts.append(time.perf_counter() - t)
    ts.sort(); return ts[len(ts) // 2] * 1e3
d, t = median([dlt, "--version"]), median(["/bin/true"])
print(f"dlt --version: {d:.1f} ms median of {runs} (/bin/true: {t:.1f} ms); target < 20 ms: {'PASS' if d < 20 else 'FAIL'}")
print(f"RESULT startup_ms={d:.1f} true_ms={t:.1f} pass={int(d < 20)}")
PY
