#!/usr/bin/env python3
"""bench-python: the Python front against the CLI, in the same run.

  python_front.py [--rows N] [--repeat R] [--build DIR] [--smoke]

1. `dlt load flat.jsonl` of N flat rows (dltc-gen flat N) into DuckDB: the reference rate.
2. pipeline.run(generator) of N flat dicts with the same columns, made by a Python generator
   (in a child process, so its peak RSS is its own): the measured rate.
3. `python3 -c "import dlt"`, wall time of the whole command.
Prints RESULT lines and the ratio python/cli (target >= 0.5), peak RSS (target <= 300 MB),
import time (target < 50 ms). Best of R for every figure.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
n = int(sys.argv[2])
import dlt
names = ["ullo", "marfinka", "sora", "tiko", "bran", "eli", "mo", "zed"]
cats = ["books", "travel", "sports", "games", "music"]
def flat(n):
    for i in range(1, n + 1):
        yield {"id": i, "name": names[i % 8], "score": (i * 7919 % 100000) / 100.0,
               "active": i % 3 != 0,
               "created_at": "2017-%02d-%02dT16:27:59Z" % (i % 12 + 1, i % 28 + 1),
               "category": cats[i % 5]}
t0 = time.perf_counter()
p = dlt.pipeline("bench_py", destination="duckdb")
info = p.run(flat(n), table_name="flat")
t = time.perf_counter() - t0
assert p.dataset()("SELECT count(*) FROM flat").fetchscalar() == n
print("%.6f" % t)
"""


def fresh(work, name):
    d = os.path.join(work, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "..", "build"))
    ap.add_argument("--smoke", action="store_true", help="tiny run, no targets checked")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    py = sys.executable
    work = tempfile.mkdtemp(prefix="bench-python-")
    try:
        data = os.path.join(work, "flat.jsonl")
        with open(data, "wb") as f:
            subprocess.run([os.path.join(build, "bench", "dltc-gen"), "flat", str(a.rows)],
                           stdout=f, check=True)
        cli, pyt, rss = [], [], []
        for r in range(a.repeat):
            d = fresh(work, "cli%d" % r)
            env = dict(os.environ, DLT_DATA_DIR=os.path.join(d, "data"))
            t0 = time.perf_counter()
            subprocess.run([os.path.join(build, "dlt"), "load", data, "--pipeline", "bench_cli",
                            "--table", "flat"], cwd=d, env=env, check=True,
                           stdout=subprocess.DEVNULL)
            cli.append(time.perf_counter() - t0)
            d = fresh(work, "py%d" % r)
            env = dict(os.environ, DLT_DATA_DIR=os.path.join(d, "data"))
            # the child's own peak RSS (wait4), not the maximum over every child so far
            proc = subprocess.Popen([py, "-c", CHILD, os.path.join(build, "python"),
                                     str(a.rows)], cwd=d, env=env, stdout=subprocess.PIPE,
                                    text=True)
            out = proc.stdout.read()
            _, status, ru = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            if proc.returncode:
                raise SystemExit("the Python run failed (%d)" % proc.returncode)
            pyt.append(float(out.strip().splitlines()[-1]))
            rss.append(ru.ru_maxrss / 1024.0)
        imp = []
        for _ in range(max(5, a.repeat)):
            t0 = time.perf_counter()
            subprocess.run([py, "-c", "import dlt"], check=True,
                           env=dict(os.environ, PYTHONPATH=os.path.join(build, "python")))
            imp.append(time.perf_counter() - t0)
        bare = []
        for _ in range(max(5, a.repeat)):
            t0 = time.perf_counter()
            subprocess.run([py, "-c", "pass"], check=True)
            bare.append(time.perf_counter() - t0)
        c, p_, m = min(cli), min(pyt), max(rss)
        ratio = (a.rows / p_) / (a.rows / c)
        print("RESULT bench=python rows=%d cli_s=%.3f cli_rows_s=%.0f python_s=%.3f "
              "python_rows_s=%.0f ratio=%.3f peak_rss_mb=%.1f import_ms=%.1f python_start_ms=%.1f"
              % (a.rows, c, a.rows / c, p_, a.rows / p_, ratio, m, min(imp) * 1e3,
                 min(bare) * 1e3))
        if a.smoke:
            return 0
        ok = ratio >= 0.5 and m <= 300 and min(imp) < 0.050
        print("TARGETS ratio>=0.5 %s, peak_rss<=300MB %s, import<50ms %s"
              % (ratio >= 0.5, m <= 300, min(imp) < 0.050))
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
