"""dlt.sources.rest_api: rest_api_source(config) built and run in libdltc, against the fake
GitHub (tests/support/github_server.c): dlt's config dict with paginator and auth objects,
parent/child with include_from_parent, incremental placeholders across runs, Python
processing steps, with_resources/add_limit, and config errors."""
import pytest

import dlt
from dlt.common.exceptions import DictValidationException
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import HeaderLinkPaginator
from dlt.sources.rest_api import rest_api_resources, rest_api_source


def github_config(github, **extra):
    cfg = {
        "client": {
            "base_url": github.base_url + "/repos/dlt-hub/dlt/",
            "auth": BearerTokenAuth(github.token),
            "paginator": HeaderLinkPaginator(),
        },
        "resource_defaults": {
            "primary_key": "id",
            "write_disposition": "merge",
            "endpoint": {"params": {"per_page": 100}},
        },
        "resources": [
            {
                "name": "issues",
                "endpoint": {
                    "path": "issues",
                    "params": {"state": "all", "sort": "updated", "direction": "desc",
                               "since": "{incremental.start_value}"},
                    "incremental": {"cursor_path": "updated_at",
                                    "initial_value": "2024-01-01T00:00:00Z"},
                },
            },
            {
                "name": "issue_comments",
                "endpoint": {"path": "issues/{resources.issues.number}/comments"},
                "include_from_parent": ["id"],
            },
        ],
    }
    cfg.update(extra)
    return cfg


def count(pipeline, sql):
    with pipeline.sql_client() as c:
        return c.execute_sql(sql)[0][0]


def stat(github, key):
    for line in github.stats().splitlines():
        parts = line.split()
        if parts[0] == key:
            return int(parts[1])
    return 0


def test_issues_and_comments_incremental(github):
    pipeline = dlt.pipeline("rest_api_py", destination="duckdb", dataset_name="gh")
    source = rest_api_source(github_config(github), name="github")
    assert sorted(source.resources) == ["issue_comments", "issues"]
    info = pipeline.run(source)
    assert not info.has_failed_jobs
    issues, comments = stat(github, "issues"), stat(github, "comments")
    assert count(pipeline, "select count(distinct id) from issues") == issues
    assert count(pipeline, "select count(*) from issue_comments") == comments
    assert count(pipeline, "select count(*) from issue_comments where _issues_id is null") == 0
    state = pipeline.state["sources"]["github"]["resources"]["issues"]["incremental"]
    assert state["updated_at"]["last_value"].startswith("2024-")
    github.admin("/_admin/update?issues=2")
    # the same source object runs again: only the changed issues come
    info = pipeline.run(source)
    assert not info.has_failed_jobs
    assert count(pipeline, "select count(*) from issues") == issues
    assert count(pipeline, "select count(*) from issues where title like '%(edited 1)'") == 2


def test_python_steps_selection_and_limit(github):
    cfg = github_config(github)
    cfg["resources"][0]["processing_steps"] = [
        {"filter": lambda r: r["number"] % 2 == 0},
        {"map": lambda r: dict(r, title=r["title"].upper())},
    ]
    source = rest_api_source(cfg, name="github").with_resources("issues")
    pipeline = dlt.pipeline("rest_api_steps", destination="duckdb", dataset_name="gh")
    pipeline.run(source)
    assert count(pipeline, "select count(*) from issues where number % 2 = 1") == 0
    assert count(pipeline, "select count(*) from issues where title <> upper(title)") == 0
    with pipeline.sql_client() as c:
        tables = {r[0] for r in c.execute_sql(
            "select table_name from information_schema.tables where table_schema = 'gh'")}
    assert "issue_comments" not in tables
    # add_limit counts pages
    p2 = dlt.pipeline("rest_api_limit", destination="duckdb", dataset_name="gh")
    cfg2 = github_config(github)
    cfg2["resource_defaults"]["endpoint"]["params"]["per_page"] = 10
    p2.run(rest_api_source(cfg2, name="github").with_resources("issues").add_limit(2))
    assert count(p2, "select count(*) from issues") == 20


def test_python_step_error_fails_the_run(github):
    def boom(r):
        raise KeyError("no such field")

    cfg = github_config(github)
    cfg["resources"][0]["processing_steps"] = [{"map": boom}]
    pipeline = dlt.pipeline("rest_api_err", destination="duckdb", dataset_name="gh")
    with pytest.raises(Exception) as e:
        pipeline.run(rest_api_source(cfg, name="github").with_resources("issues"))
    assert "no such field" in str(e.value) or isinstance(e.value.__cause__, KeyError) or \
        "KeyError" in repr(e.value)


def test_resources_list_and_expressions(github):
    cfg = github_config(github)
    cfg["resources"][0]["processing_steps"] = [{"filter": "state == 'closed'"},
                                              {"select": ["id", "number", "state", "updated_at"]}]
    resources = rest_api_resources(cfg)
    assert [r.name for r in resources] == ["issues", "issue_comments"]
    pipeline = dlt.pipeline("rest_api_list", destination="duckdb", dataset_name="gh")
    pipeline.run(resources[:1])
    assert count(pipeline, "select count(*) from issues where state <> 'closed'") == 0
    with pipeline.sql_client() as c:
        cols = [r[0] for r in c.execute_sql(
            "select column_name from information_schema.columns where table_name = 'issues' "
            "and column_name not like '\\_dlt%' escape '\\' order by ordinal_position")]
    assert cols == ["id", "number", "state", "updated_at"]


def test_config_errors():
    with pytest.raises(DictValidationException) as e:
        rest_api_source({"client": {"base_url": "http://x/"},
                         "resources": [{"name": "a", "endpoint": {"paginatr": "auto"}}]})
    assert "resources[0].endpoint" in str(e.value) and "paginatr" in str(e.value)
    with pytest.raises(DictValidationException) as e:
        rest_api_source({"client": {"base_url": "http://x/",
                                    "auth": BearerTokenAuth("tok-SECRET-99")},
                         "resources": [{"name": "a", "endpoint": {
                             "path": "{resources.nope.id}"}}]})
    assert "nope" in str(e.value) and "tok-SECRET-99" not in str(e.value)
    with pytest.raises(ValueError):
        rest_api_source({"client": {"base_url": "http://x/"},
                         "resources": [{"name": "a", "processing_steps": [
                             {"filter": lambda r: True}, {"filter": "x > 1"}]}]})
