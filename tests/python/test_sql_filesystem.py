"""dlt.sources.sql_database (SQLite and the test Postgres) and dlt.sources.filesystem, read in
libdltc: tables with dlt's types, incremental reruns, hints, readers piped on the listing."""
import os
import sqlite3
import time

import pytest

import dlt
from dlt.sources.filesystem import filesystem, read_csv, read_jsonl
from dlt.sources.sql_database import sql_database, sql_table

from conftest import pg_uri


def rows(pipeline, sql):
    with pipeline.sql_client() as c:
        return c.execute_sql(sql)


def make_shop(path):
    c = sqlite3.connect(path)
    c.executescript("""
      create table customers (id integer primary key, name text not null);
      create table orders (id integer primary key, customer_id integer, total numeric(10,2),
                           updated_at timestamp not null);
      insert into customers values (1, 'ann'), (2, 'bob');
      insert into orders values (1, 1, 10.50, '2024-01-01 10:00:00'),
                                (2, 2, 20.00, '2024-01-02 10:00:00');
    """)
    c.commit()
    c.close()


def test_sql_database_sqlite(workdir):
    make_shop("shop.db")
    pipeline = dlt.pipeline("sql_py", destination="duckdb", dataset_name="shop")
    source = sql_database("sqlite:///shop.db")
    assert sorted(source.resources) == ["customers", "orders"]
    pipeline.run(source.with_resources("orders"))
    assert rows(pipeline, "select count(*) from orders")[0][0] == 2
    tables = {r[0] for r in rows(pipeline, "select table_name from information_schema.tables "
                                           "where table_schema = 'shop'")}
    assert "customers" not in tables


def test_sql_table_incremental_from_secrets(workdir, monkeypatch):
    make_shop("shop.db")
    monkeypatch.setenv("SOURCES__SQL_DATABASE__CREDENTIALS", "sqlite:///shop.db")
    dlt.config.reload()
    pipeline = dlt.pipeline("sql_inc", destination="duckdb", dataset_name="shop")

    def orders():
        return sql_table(table="orders", write_disposition="merge", primary_key="id",
                         incremental=dlt.sources.incremental("updated_at"))

    pipeline.run(orders())
    c = sqlite3.connect("shop.db")
    c.execute("insert into orders values (3, 1, 1.25, '2024-01-05 10:00:00')")
    c.execute("update orders set total = 30, updated_at = '2024-01-06 10:00:00' where id = 1")
    c.commit()
    c.close()
    info = pipeline.run(orders())
    assert not info.has_failed_jobs
    assert rows(pipeline, "select count(*), sum(total) from orders")[0] == (3, 51.25) or \
        rows(pipeline, "select count(*), sum(total)::double from orders")[0] == (3, 51.25)


@pytest.mark.skipif(pg_uri() is None, reason="no test Postgres")
def test_sql_database_postgres(workdir):
    import subprocess

    uri = pg_uri()
    schema = "py_sql_%d" % os.getpid()
    # psql is a program of its own: not under the sanitizer runtime preloaded for Python
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ASAN_OPTIONS")}
    subprocess.run(["psql", uri, "-q", "-c",
                    "create schema %s; create table %s.t (id bigint primary key, v text, "
                    "n numeric(8,3), at timestamptz); insert into %s.t select g, 'v' || g, g / 7.0, "
                    "'2024-01-01'::timestamptz + g * interval '1 hour' from "
                    "generate_series(1, 1000) g" % (schema, schema, schema)], check=True, env=env,
                   timeout=60)
    try:
        pipeline = dlt.pipeline("sql_pg", destination="duckdb", dataset_name="pg")
        pipeline.run(sql_database(uri, schema=schema, chunk_size=100))
        assert rows(pipeline, "select count(*), max(id) from t")[0] == (1000, 1000)
        t = dict(rows(pipeline, "select column_name, data_type from information_schema.columns "
                                "where table_name = 't'"))
        assert t["n"] == "DECIMAL(8,3)" and t["at"] == "TIMESTAMP WITH TIME ZONE"
    finally:
        subprocess.run(["psql", uri, "-q", "-c", "drop schema %s cascade" % schema], env=env,
                       timeout=60)


def test_filesystem_readers(workdir):
    os.makedirs("data/sub")
    with open("data/a.csv", "w") as f:
        f.write("id,name\n1,ann\n2,bob\n")
    with open("data/sub/b.csv", "w") as f:
        f.write("id,name\n3,cid\n")
    with open("data/x.jsonl", "w") as f:
        f.write('{"id": 1, "tags": ["a", "b"]}\n')
    pipeline = dlt.pipeline("fs_py", destination="duckdb", dataset_name="files")
    files = filesystem(bucket_url="data", file_glob="**/*.csv")
    files.apply_hints(incremental=dlt.sources.incremental("modification_date"))
    pipe = (files | read_csv()).with_name("people")
    pipe.apply_hints(write_disposition="merge", primary_key="id")
    pipeline.run(pipe)
    assert rows(pipeline, "select count(*) from people")[0][0] == 3
    pipeline.run(pipe)  # no file changed
    assert rows(pipeline, "select count(*) from people")[0][0] == 3
    time.sleep(1.1)
    with open("data/a.csv", "w") as f:
        f.write("id,name\n1,ann2\n4,dan\n")
    pipeline.run(pipe)
    assert rows(pipeline, "select string_agg(name, ',' order by id) from people")[0][0] == \
        "ann2,bob,cid,dan"
    # jsonl with a nested list: a child table
    pipeline.run(filesystem(bucket_url="data", file_glob="*.jsonl") | read_jsonl())
    assert rows(pipeline, "select count(*) from read_jsonl__tags")[0][0] == 2
    # the listing itself
    pipeline.run(filesystem(bucket_url="data", file_glob="**/*"))
    assert rows(pipeline, "select count(*) from filesystem")[0][0] == 3
