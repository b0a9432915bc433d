"""What dlt 1.26 produced for ten small inputs (../shared/reference/examples): the same rows,
given as Python objects to pipeline.run, make the same tables, columns (in dlt's order) and
data types, and the same row counts."""
import glob
import json
import os

import pytest

import dlt

REF = os.environ.get("DLTC_REFERENCE_DIR") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "reference",
    "examples")
CASES = sorted(glob.glob(os.path.join(REF, "*.json")))


@pytest.mark.skipif(not CASES, reason="no reference examples next to the repository")
@pytest.mark.parametrize("path", CASES, ids=[os.path.basename(c)[:-5] for c in CASES])
def test_same_tables_as_dlt(workdir, path):
    with open(path) as f:
        case = json.load(f)
    inp = case["input"]
    name = case["example"]
    hints = {k: inp[k] for k in ("write_disposition", "primary_key") if k in inp}
    res = dlt.resource(inp["rows"], name=name, max_table_nesting=inp.get("max_table_nesting"),
                       **hints)
    p = dlt.pipeline("ex_" + name, destination="duckdb")
    p.run(res)
    tables = p.default_schema.tables
    for tname, want in case["tables"].items():
        assert tname in tables, "missing table %s" % tname
        got = tables[tname]
        assert (got.get("parent") or None) == want["parent"], tname
        got_cols = [(n, c.get("data_type")) for n, c in got["columns"].items()
                    if c.get("data_type")]
        want_cols = [(c["name"], c["data_type"]) for c in want["columns"]]
        assert got_cols == want_cols, tname
        n = p.dataset()('SELECT count(*) FROM "%s"' % tname).fetchscalar()
        assert n == len(want["rows"]), tname
    data = [t for t in tables if not t.startswith("_dlt")]
    assert sorted(data) == sorted(case["tables"])
