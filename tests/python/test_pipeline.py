"""The Python front's core: pipeline.run of data, resources, sources and transformers;
hints, dispositions, incremental cursors, values, errors, steps, dataset and SQL."""
import datetime as dt
import decimal
import os
import uuid

import pytest

import dlt
from dlt.extract.exceptions import ResourceNameMissing
from dlt.pipeline.exceptions import PipelineStepFailed, CannotRestorePipelineException


def rows(p, sql):
    return p.dataset()(sql).fetchall()


def test_run_list_and_load_info_text(workdir):
    p = dlt.pipeline("quick_start", destination="duckdb", dataset_name="mydata")
    info = p.run([{"id": 1, "name": "Alice"}, {"id": 2, "name": "Bob"}], table_name="users")
    lines = str(info).splitlines()
    assert lines[0].startswith("Pipeline quick_start load step completed in ")
    assert lines[0].endswith(" seconds")
    assert lines[1] == ("1 load package(s) were loaded to destination duckdb and into dataset "
                        "mydata")
    assert lines[2] == ("The duckdb destination used duckdb:///%s location to store data"
                        % os.path.join(str(workdir), "quick_start.duckdb"))
    assert lines[3] == "Load package %s is LOADED and contains no failed jobs" % info.loads_ids[0]
    assert len(lines) == 4
    assert not info.has_failed_jobs
    assert info.dataset_name == "mydata" and info.destination_name == "duckdb"
    assert rows(p, "SELECT id, name FROM users ORDER BY id") == [(1, "Alice"), (2, "Bob")]
    norm = p.last_trace.last_normalize_info
    assert norm.row_counts["users"] == 2
    assert "- users: 2 row(s)" in str(norm)
    assert p.working_dir == os.path.join(str(workdir), "dlt_data", "pipelines", "quick_start")


def test_nested_tables_and_dlt_columns(workdir):
    p = dlt.pipeline("nested", destination="duckdb")
    p.run([{"id": 1, "tags": ["a", "b"], "pets": [{"name": "x", "toys": [{"t": 1}]}]}],
          table_name="users")
    ds = p.dataset()
    assert ds.users__tags.select("value", "_dlt_list_idx").order_by("_dlt_list_idx").fetchall() \
        == [("a", 0), ("b", 1)]
    assert ds["users__pets__toys"].fetchone()[0] == 1
    parent = ds.users.select("_dlt_id").fetchscalar()
    assert ds.users__pets.select("_dlt_parent_id").fetchscalar() == parent
    assert p.dataset_name == "nested_dataset"


def test_values_convert_in_c(workdir):
    now = dt.datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=dt.timezone.utc)
    item = {
        "s": "zażółć", "i": 2**62, "big": 2**70, "f": 1.25, "b": True, "n": None,
        "ts": now, "naive": dt.datetime(2024, 1, 2, 3, 4, 5), "d": dt.date(2020, 2, 29),
        "t": dt.time(23, 59, 58, 7), "dec": decimal.Decimal("-12.3400"),
        "bytes": b"\x00\xff", "u": uuid.UUID(int=5),
        "other_tz": dt.datetime(2024, 5, 1, 14, 30, 15, 123456,
                                tzinfo=dt.timezone(dt.timedelta(hours=2))),
    }
    p = dlt.pipeline("values", destination="duckdb")
    p.run([item], table_name="v")
    (r,) = p.dataset().v.select("s", "i", "big", "f", "b", "ts", "d", "t", "dec",
                                "bytes", "u", "other_tz").fetchall()
    assert r[:5] == ("zażółć", 2**62, 2**70, 1.25, True)
    assert r[5] == now and r[11] == now
    assert r[6] == dt.date(2020, 2, 29) and r[7] == dt.time(23, 59, 58, 7)
    assert r[8] == decimal.Decimal("-12.34")
    assert r[9] == b"\x00\xff" and r[10] == str(uuid.UUID(int=5))
    assert "n" not in p.default_schema.tables["v"]["columns"]  # only None: no column yet
    types = dict(rows(p, "SELECT column_name, data_type FROM information_schema.columns "
                         "WHERE table_name = 'v'"))
    assert types["ts"] == "TIMESTAMP WITH TIME ZONE" and types["d"] == "DATE"
    assert types["t"] == "TIME" and types["bytes"] == "BLOB" and types["i"] == "BIGINT"
    assert types["dec"].startswith("DECIMAL")


def test_unserializable_value_names_its_path(workdir):
    p = dlt.pipeline("bad_value", destination="duckdb")
    with pytest.raises(PipelineStepFailed) as e:
        p.run([{"a": {"b": [1, object()]}}], table_name="t")
    assert "a.b[1]" in str(e.value.__cause__)
    assert e.value.step == "extract"


def test_generator_error_keeps_traceback_and_loses_nothing(workdir):
    p = dlt.pipeline("gen_err", destination="duckdb")
    p.run([{"id": 1}], table_name="items")

    def items():
        yield {"id": 2}
        raise ValueError("boom in generator")

    with pytest.raises(PipelineStepFailed) as e:
        p.run(items(), table_name="items")
    assert isinstance(e.value.__cause__, ValueError)
    assert isinstance(e.value.exception, ValueError)
    tb = e.value.__cause__.__traceback__
    frames = []
    while tb:
        frames.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    assert "items" in frames
    assert "Pipeline execution failed at `step=extract`" in str(e.value)
    assert rows(p, "SELECT id FROM items") == [(1,)]
    # the next run goes on normally
    p.run([{"id": 3}], table_name="items")
    assert sorted(rows(p, "SELECT id FROM items")) == [(1,), (3,)]


def test_resource_name_required_for_plain_data(workdir):
    p = dlt.pipeline("noname", destination="duckdb")
    with pytest.raises(ResourceNameMissing):
        p.run([{"a": 1}])


def test_generator_name_is_table_name(workdir):
    def my_items():
        for i in range(3):
            yield {"i": i}

    p = dlt.pipeline("genname", destination="duckdb")
    p.run(my_items())
    assert rows(p, "SELECT count(*) FROM my_items") == [(3,)]


def test_replace_and_merge(workdir):
    p = dlt.pipeline("dispositions", destination="duckdb")
    p.run([{"id": 1, "v": "a"}, {"id": 2, "v": "b"}], table_name="r", write_disposition="replace")
    p.run([{"id": 3, "v": "c"}], table_name="r", write_disposition="replace")
    assert rows(p, "SELECT id FROM r") == [(3,)]

    @dlt.resource(write_disposition="merge", primary_key="id")
    def m(data):
        yield data

    p.run(m([{"id": 1, "v": "a"}, {"id": 2, "v": "b"}]))
    p.run(m([{"id": 2, "v": "B"}, {"id": 3, "v": "c"}]))
    assert rows(p, "SELECT id, v FROM m ORDER BY id") == [(1, "a"), (2, "B"), (3, "c")]


def test_run_hints_columns_and_primary_key(workdir):
    p = dlt.pipeline("hints", destination="duckdb")
    p.run([{"id": 1, "amount": 5}], table_name="t", write_disposition="merge",
          primary_key="id", columns={"amount": {"data_type": "double"}})
    p.run([{"id": 1, "amount": 7}], table_name="t", write_disposition="merge", primary_key="id")
    assert rows(p, "SELECT id, amount FROM t") == [(1, 7.0)]
    t = p.default_schema.tables["t"]
    assert t["columns"]["id"].get("primary_key") is True
    assert t["columns"]["amount"]["data_type"] == "double"


def test_incremental_resource_state_and_attributes(workdir):
    seen = {}

    @dlt.resource(primary_key="id")
    def events(created=dlt.sources.incremental("created", initial_value=0)):
        seen["start"] = created.last_value
        for i in range(10):
            yield {"id": i, "created": i}
            if created.start_out_of_range:
                break

    p = dlt.pipeline("incr", destination="duckdb")
    p.run(events)
    assert seen["start"] == 0
    assert rows(p, "SELECT count(*) FROM events") == [(10,)]
    p.run(events)
    assert seen["start"] == 9
    assert rows(p, "SELECT count(*) FROM events") == [(10,)]  # nothing new: boundary dedup
    st = p.state["sources"][p.default_schema_name]["resources"]["events"]
    assert st["incremental"]["created"]["last_value"] == 9


def test_incremental_end_value_and_custom_last_value_func(workdir):
    @dlt.resource
    def nums(n=dlt.sources.incremental("n", initial_value=2, end_value=5)):
        yield [{"n": i} for i in range(10)]

    p = dlt.pipeline("incr_end", destination="duckdb")
    p.run(nums)
    assert sorted(rows(p, "SELECT n FROM nums")) == [(2,), (3,), (4,)]

    @dlt.resource
    def lowest(n=dlt.sources.incremental("n", initial_value=100,
                                         last_value_func=lambda vs: min(vs))):
        yield [{"n": i} for i in (50, 70, 20)]

    p.run(lowest)
    st = p.state["sources"][p.default_schema_name]["resources"]["lowest"]
    assert st["incremental"]["n"]["last_value"] == 20


def test_source_transformer_and_steps(workdir):
    @dlt.resource(write_disposition="replace")
    def issues():
        yield [{"id": 1, "n": "a"}, {"id": 2, "n": "b"}, {"id": 3, "n": "c"}]

    pages = []

    @dlt.transformer(data_from=issues)
    def comments(page):
        pages.append(len(page))
        for it in page:
            yield {"issue_id": it["id"], "text": "on %s" % it["n"]}

    @dlt.source
    def github_like():
        return issues.add_filter(lambda i: i["id"] != 2), comments

    p = dlt.pipeline("src", destination="duckdb")
    info = p.run(github_like())
    assert rows(p, "SELECT id FROM issues ORDER BY id") == [(1,), (3,)]
    assert sorted(rows(p, "SELECT issue_id FROM comments")) == [(1,), (3,)]
    assert pages == [2]  # the transformer got the page, once
    assert "github_like" in p.state["sources"] or info.loads_ids

    src = github_like().with_resources("issues")
    p.run(src)
    assert rows(p, "SELECT count(*) FROM issues") == [(2,)]


def test_pipe_map_limit_and_table_name_function(workdir):
    @dlt.resource
    def numbers():
        for i in range(100):
            yield {"i": i, "kind": "even" if i % 2 == 0 else "odd"}

    double = numbers.add_map(lambda r: {**r, "twice": r["i"] * 2}).add_limit(10)
    p = dlt.pipeline("steps", destination="duckdb")
    p.run(double)
    assert rows(p, "SELECT count(*), max(twice) FROM numbers") == [(10, 18)]

    p.run(dlt.resource(({"kind": k, "v": 1} for k in ("a", "b", "a")), name="dyn",
                       table_name=lambda item: "t_" + item["kind"]))
    assert rows(p, "SELECT count(*) FROM t_a") == [(2,)]
    assert rows(p, "SELECT count(*) FROM t_b") == [(1,)]


def test_resource_from_iterator_and_list_of_resources(workdir):
    r1 = dlt.resource(iter([{"a": 1}, {"a": 2}]), name="first")
    r2 = dlt.resource([{"b": 1}], name="second", write_disposition="replace")
    p = dlt.pipeline("multi", destination="duckdb")
    p.run([r1, r2])
    assert rows(p, "SELECT count(*) FROM first") == [(2,)]
    assert rows(p, "SELECT count(*) FROM second") == [(1,)]
    assert list(dlt.resource([{"x": 1}, {"x": 2}], name="ev")) == [{"x": 1}, {"x": 2}]


def test_extract_normalize_load_steps(workdir):
    p = dlt.pipeline("steps3", destination="duckdb")
    ex = p.extract([{"id": 1}, {"id": 2}], table_name="s")
    assert len(ex.loads_ids) == 1
    n = p.normalize()
    assert n.loads_ids == ex.loads_ids
    info = p.load()
    assert info.loads_ids == ex.loads_ids
    assert info.row_counts["s"] == 2
    assert rows(p, "SELECT count(*) FROM s") == [(2,)]
    assert p.load().loads_ids == []


def test_attach_state_and_dev_mode(workdir):
    p = dlt.pipeline("att", destination="duckdb", dataset_name="att_data")
    p.run([{"a": 1}], table_name="t")
    assert p.first_run is False
    a = dlt.attach("att")
    assert a.dataset_name == "att_data"
    assert a.state["pipeline_name"] == "att"
    assert a.dataset().t.fetchall()[0][0] == 1
    with pytest.raises(CannotRestorePipelineException):
        dlt.attach("never_made")
    d = dlt.pipeline("att", destination="duckdb", dataset_name="att_data", dev_mode=True)
    assert d.dataset_name.startswith("att_data_") and d.dataset_name != "att_data"
    assert d.first_run is True


def test_sql_client_and_dataset_readers(workdir):
    p = dlt.pipeline("sqlc", destination="duckdb")
    p.run([{"id": i, "name": "n%d" % i} for i in range(5)], table_name="t")
    with p.sql_client() as c:
        c.execute_sql("CREATE TABLE IF NOT EXISTS ledger (run_at TIMESTAMPTZ, note TEXT)")
        c.execute_sql("INSERT INTO ledger VALUES (%s, %s)",
                      dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc), "it's -- not; a comment")
        assert c.execute_sql("SELECT note FROM ledger") == [("it's -- not; a comment",)]
        with c.execute_query("SELECT id FROM t WHERE id >= %s ORDER BY id", 3) as cur:
            assert cur.fetchall() == [(3,), (4,)]
        with pytest.raises(Exception):
            c.execute_sql("SELECT %s, %s", 1)
    ds = p.dataset()
    assert ds.t.where("id", "gt", 2).select("id").order_by("id", "desc").fetchall() == \
        [(4,), (3,)]
    assert ds.t.limit(2).fetchmany(5) == ds.t.head(2).fetchall()
    assert ds.t.select("id").max().fetchscalar() == 4
    assert dict(ds.row_counts().fetchall())["t"] == 5
    assert ds.latest_load_id() == p.last_trace.last_load_info.loads_ids[0]
    assert ds.t.columns[:2] == ["id", "name"]
    # a name from data is quoted, never pasted
    assert ds['t" WHERE 1=0; --'].to_sql().startswith('SELECT * FROM "t"" WHERE')


def test_dataframe_when_pandas_is_there(workdir):
    pd = pytest.importorskip("pandas")
    p = dlt.pipeline("dfs", destination="duckdb")
    p.run([{"id": 1, "x": 2.5}], table_name="t")
    df = p.dataset().t.df()
    assert isinstance(df, pd.DataFrame)
    assert list(df["id"]) == [1] and list(df.columns[:2]) == ["id", "x"]


def test_destination_factory_and_credentials(workdir):
    p = dlt.pipeline("factory", destination=dlt.destinations.duckdb(str(workdir / "x.duckdb")))
    info = p.run([{"a": 1}], table_name="t")
    assert "x.duckdb" in info.destination_displayable_credentials
    assert os.path.exists(workdir / "x.duckdb")
    fs = dlt.pipeline("fs", destination=dlt.destinations.filesystem(str(workdir / "bucket")))
    fs.run([{"a": 1}], table_name="t")
    assert fs.dataset().t.fetchall()[0][0] == 1


def test_config_and_secrets(workdir, monkeypatch):
    (workdir / ".dlt").mkdir()
    (workdir / ".dlt" / "config.toml").write_text('[sources]\nrepo_name = "dlt-hub/dlt"\n')
    (workdir / ".dlt" / "secrets.toml").write_text('[sources]\naccess_token = "tok-xyz"\n')
    dlt.config.reload()
    assert dlt.config["sources.repo_name"] == "dlt-hub/dlt"
    assert dlt.secrets["sources.access_token"] == "tok-xyz"
    got = {}

    @dlt.source
    def gh(repo_name: str = dlt.config.value, access_token: str = dlt.secrets.value,
           per_page: int = 30):
        got.update(repo=repo_name, token=access_token, per_page=per_page)
        return dlt.resource([{"a": 1}], name="x")

    gh()
    assert got == {"repo": "dlt-hub/dlt", "token": "tok-xyz", "per_page": 30}
    monkeypatch.setenv("SOURCES__PER_PAGE", "100")
    gh()
    assert got["per_page"] == 100
    gh(repo_name="other/repo")
    assert got["repo"] == "other/repo"

    @dlt.source
    def needs(api_key: str = dlt.secrets.value):
        return []

    from dlt.common.configuration.exceptions import ConfigFieldMissingException

    with pytest.raises(ConfigFieldMissingException) as e:
        needs()
    assert "api_key" in str(e.value) and "SOURCES__" in str(e.value)
    assert "tok-xyz" not in str(e.value)


def test_million_dicts_from_a_generator(workdir):
    def flat(n):
        for i in range(n):
            yield {"id": i, "name": "n%d" % (i % 100), "score": i / 4, "ok": i % 2 == 0}

    p = dlt.pipeline("million", destination="duckdb")
    info = p.run(flat(1_000_000), table_name="flat")
    assert info.row_counts.get("flat") == 1_000_000
    assert rows(p, "SELECT count(*), count(DISTINCT id), sum(score) FROM flat") == \
        [(1_000_000, 1_000_000, sum(i / 4 for i in range(1_000_000)))]


def test_postgres_destination(workdir):
    from conftest import pg_uri

    uri = pg_uri()
    if not uri:
        pytest.skip("no test Postgres (run through ctest: the postgres fixture)")
    p = dlt.pipeline("py_pg", destination=dlt.destinations.postgres(uri),
                     dataset_name="py_pg_data")
    info = p.run([{"id": 1, "tags": ["x"], "at": dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)}],
                 table_name="items")
    assert "postgresql://loader:***@" in str(info)
    assert "loader-pw-123" not in str(info) and "loader-pw-123" not in repr(p.state)
    p.run([{"id": 1, "v": 2}], table_name="items", write_disposition="merge", primary_key="id")
    assert rows(p, "SELECT id, v FROM items") == [(1, 2)]
    with p.sql_client() as c:
        c.execute_sql("CREATE TABLE IF NOT EXISTS ledger (n BIGINT, note TEXT)")
        c.execute_sql("INSERT INTO ledger VALUES (%s, %s)", 7, "o'k")
        assert c.execute_sql("SELECT n, note FROM ledger") == [(7, "o'k")]
    # by name, with the credentials from the environment as dlt reads them
    os.environ["DESTINATION__POSTGRES__CREDENTIALS"] = uri
    try:
        q = dlt.pipeline("py_pg2", destination="postgres", dataset_name="py_pg_data2")
        q.run([{"a": 1}], table_name="t")
        assert rows(q, "SELECT a FROM t") == [(1,)]
    finally:
        del os.environ["DESTINATION__POSTGRES__CREDENTIALS"]


def test_run_merge_key(workdir):
    p = dlt.pipeline("mkey", destination="duckdb")
    p.run([{"day": 1, "v": "a"}, {"day": 1, "v": "b"}, {"day": 2, "v": "c"}], table_name="t",
          write_disposition="merge", merge_key="day")
    p.run([{"day": 1, "v": "z"}], table_name="t", write_disposition="merge", merge_key="day")
    assert sorted(rows(p, "SELECT day, v FROM t")) == [(1, "z"), (2, "c")]


def test_schema_contract_freeze_fails_the_normalize_step(workdir):
    p = dlt.pipeline("contract", destination="duckdb")
    p.run([{"id": 1}], table_name="t")
    with pytest.raises(PipelineStepFailed) as e:
        p.run([{"id": 2, "new_col": "x"}], table_name="t", schema_contract="freeze")
    assert e.value.step == "normalize"
    assert "new_col" in str(e.value.exception)
    assert rows(p, "SELECT id FROM t") == [(1,)]
    p.run([{"id": 3, "new_col": "y"}], table_name="t", schema_contract="discard_value")
    assert sorted(rows(p, "SELECT id FROM t")) == [(1,), (3,)]
