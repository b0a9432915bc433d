"""dlt.pipeline(..., progress=NAME): the C side's reporters on stderr (fd 2), as dlt's
collector names; the config's `progress` (env PROGRESS) when none is given."""
import pytest

import dlt


def data(n):
    return [{"id": i, "tags": ["a", "b"]} for i in range(n)]


def test_progress_log_lines_on_stderr(workdir, capfd):
    p = dlt.pipeline("progress_log", destination="duckdb", progress="log")
    assert p.progress == "log"
    info = p.run(data(3000), table_name="items")
    out, err = capfd.readouterr()
    assert "progress" not in out and "rows/s" not in out
    lines = err.splitlines()
    done = [ln for ln in lines if " done: " in ln]
    assert [ln.split(" done:")[0] for ln in done] == ["extract", "normalize", "load"]
    # 3000 items, 6000 nested rows and the state row
    assert done[0].startswith("extract done: 3,000 rows, ")
    assert done[1].startswith("normalize done: 9,001 rows, ")
    assert done[2].startswith("load done: 9,001 rows, ")
    assert all(ln.endswith(" MB/s") for ln in done)
    assert not info.has_failed_jobs


def test_progress_bar_redraws_with_cr(workdir, capfd):
    p = dlt.pipeline("progress_bar", destination="duckdb", progress="tqdm")
    p.run(data(2000), table_name="items")
    err = capfd.readouterr().err
    assert "\rnormalize [" in err and "] 100% " in err
    assert "\rload [" in err
    assert err.endswith("\n")


@pytest.mark.parametrize("name", ["none", None])
def test_progress_off(workdir, capfd, name):
    p = dlt.pipeline("progress_off", destination="duckdb", progress=name)
    p.run(data(10), table_name="items")
    assert "rows/s" not in capfd.readouterr().err


def test_progress_from_config(workdir, capfd, monkeypatch):
    monkeypatch.setenv("PROGRESS", "log")
    p = dlt.pipeline("progress_env", destination="duckdb")
    p.run(data(10), table_name="items")
    assert "load done: " in capfd.readouterr().err
    # the argument wins over the config
    p = dlt.pipeline("progress_env", destination="duckdb", progress="none")
    p.run(data(10), table_name="items")
    assert "load done: " not in capfd.readouterr().err


def test_progress_unknown_name_refused(workdir):
    with pytest.raises(Exception, match="valid: log, tqdm, enlighten, alive_progress, none"):
        dlt.pipeline("progress_bad", destination="duckdb", progress="bars")
    with pytest.raises(TypeError, match="progress must be one of"):
        dlt.pipeline("progress_bad", destination="duckdb", progress=object())
