#!/usr/bin/env bash
# pip install --no-build-isolation . into a fresh venv (Debian's setuptools and wheel, no
# index: nothing is downloaded), then a pipeline from another folder with neither PYTHONPATH
# nor DLTC_DUCKDB_LIB: the installed package finds its module and libduckdb by itself.
#   pip_install.sh SOURCE_DIR WORK_DIR
set -euo pipefail
src=$1 work=$2
rm -rf "$work" && mkdir -p "$work/run"
/usr/bin/python3 -m venv --system-site-packages "$work/venv"
"$work/venv/bin/pip" install -q --no-build-isolation --no-index "$src" >"$work/pip.log" 2>&1 ||
  { tail -n 40 "$work/pip.log"; echo "FAIL: pip install"; exit 1; }
cd "$work/run"
out=$(env -u PYTHONPATH -u DLTC_DUCKDB_LIB DLT_DATA_DIR="$work/run/data" VIRTUAL_ENV_DIR="$work/venv" "$work/venv/bin/python" -c '
import dlt, os
assert dlt.__file__.startswith(os.environ["VIRTUAL_ENV_DIR"]), dlt.__file__
p = dlt.pipeline("installed", destination="duckdb")
p.run([{"id": 1, "tags": ["a"]}], table_name="items")
print(p.dataset().items__tags.select("value").fetchall())
' 2>&1)
echo "$out"
[ "$out" = "[('a',)]" ] || { echo "FAIL: unexpected output"; exit 1; }
echo "1 passed, 0 failed"
