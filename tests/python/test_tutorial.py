"""dlt's tutorial "Build a dlt pipeline" (examples/python/tutorial, every snippet in order)
and the scheduled repo-stats pipeline (examples/python/github_repo_stats.py), run as scripts
against the fake GitHub (tests/support/github_server.c)."""
import os
import re
import subprocess
import sys

import pytest

import dlt

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "..", "..", "examples", "python")
TUTORIAL = os.path.join(EXAMPLES, "tutorial")


def script(name, check=True, env=None):
    path = os.path.join(TUTORIAL, name) if not os.path.isabs(name) else name
    from conftest import BUILD

    e = dict(os.environ, PYTHONPATH=os.path.join(BUILD, "python"))
    e.update(env or {})
    r = subprocess.run([sys.executable, path], capture_output=True, text=True, env=e,
                       timeout=120)
    if check and r.returncode:
        raise AssertionError("%s failed (%d):\n%s\n%s" % (name, r.returncode, r.stdout,
                                                          r.stderr))
    return r


def stat(github, key, path=None):
    for line in github.stats().splitlines():
        parts = line.split()
        if path is None and parts[0] == key:
            return int(parts[1])
        if path is not None and parts[0] == key and parts[1] == path:
            return int(parts[2])
    return 0


def q(pipeline_name, sql):
    return dlt.attach(pipeline_name).dataset()(sql).fetchall()


def count(pipeline_name, table):
    return q(pipeline_name, "SELECT count(*) FROM %s" % table)[0][0]


def no_dups(pipeline_name, table, key="id"):
    (n, d), = q(pipeline_name, "SELECT count(*), count(DISTINCT %s) FROM %s" % (key, table))
    return n == d


@pytest.fixture
def project(workdir, github):
    (workdir / ".dlt").mkdir()
    (workdir / ".dlt" / "config.toml").write_text(
        '[sources.github]\nbase_url = "%s"\n' % github.base_url)
    dlt.config.reload()
    return github


ISSUES = "/repos/dlt-hub/dlt/issues"


def test_tutorial_in_order(project, workdir):
    gh = project
    open_issues = stat(gh, "open_issues")

    # 1. one page of issues, appended
    out = script("1_github_issues.py").stdout
    assert "Pipeline github_issues load step completed in" in out
    assert "1 load package(s) were loaded to destination duckdb and into dataset github_data" \
        in out
    assert count("github_issues", "issues") == 30
    script("1_github_issues.py")
    assert count("github_issues", "issues") == 60  # append: twice
    assert count("github_issues", "issues__labels") > 0

    # 2. replace: the page once
    script("2_github_issues_replace.py")
    assert count("github_issues", "issues") == 30
    assert no_dups("github_issues", "issues")

    # 3. incremental on created_at: all open issues, then only new ones, fetching less
    out = script("3_github_issues_incremental.py").stdout
    assert "Normalized data for the following tables:" in out and "------" in out
    assert re.search(r"- issues: %d row\(s\)" % open_issues, out)
    assert count("github_issues_incremental", "issues") == open_issues
    gh.admin("/_admin/reset_stats")
    script("3_github_issues_incremental.py")
    assert count("github_issues_incremental", "issues") == open_issues
    assert stat(gh, "requests", ISSUES) == 1  # start_out_of_range stops after one page
    gh.admin("/_admin/add?issues=5")
    script("3_github_issues_incremental.py")
    assert count("github_issues_incremental", "issues") == open_issues + 5
    assert no_dups("github_issues_incremental", "issues")

    # 4. merge on id, since= the last updated_at
    script("4_github_issues_merge.py")
    assert count("github_issues_merge", "issues") == open_issues + 5
    gh.admin("/_admin/update?issues=3")
    gh.admin("/_admin/reset_stats")
    script("4_github_issues_merge.py")
    assert stat(gh, "since", ISSUES) >= 1
    assert count("github_issues_merge", "issues") == open_issues + 5
    assert no_dups("github_issues_merge", "issues")
    edited = q("github_issues_merge", "SELECT count(*) FROM issues WHERE title LIKE '%(edited%'")
    assert edited[0][0] == 3

    # 5. the same with paginate(): nothing new, nothing doubled; an edit is merged in place
    gh.admin("/_admin/update?issues=2")
    script("5_github_issues_paginate.py")
    assert count("github_issues_merge", "issues") == open_issues + 5
    assert no_dups("github_issues_merge", "issues")
    edited = q("github_issues_merge", "SELECT count(*) FROM issues WHERE title LIKE '%(edited%'")
    assert edited[0][0] == 5

    # 6. a source of issues and comments
    out = script("6_github_source.py").stdout
    assert "github_with_source" in out
    assert count("github_with_source", "issues") == open_issues + 5
    assert count("github_with_source", "comments") == stat(gh, "comments")
    gh.admin("/_admin/add?comments=4")
    script("6_github_source.py")
    assert count("github_with_source", "comments") == stat(gh, "comments")
    assert no_dups("github_with_source", "comments")

    # 7. dynamic resources from one fetch function
    out = script("7_github_dynamic.py").stdout
    assert re.search(r"- issues: \d+ row\(s\)", out)
    assert count("github_dynamic_source", "issues") == open_issues + 5
    assert count("github_dynamic_source", "comments") == stat(gh, "comments")

    # 8. secrets: without a token traffic/clones is refused in one line; with it, loaded
    r = script("8_github_secrets.py", check=False)
    assert r.returncode != 0
    assert "access_token" in r.stderr  # the missing secret is named
    (workdir / ".dlt" / "secrets.toml").write_text('[sources]\naccess_token = "wrong"\n')
    r = script("8_github_secrets.py", check=False)
    assert r.returncode != 0 and "401 Client Error" in r.stderr
    (workdir / ".dlt" / "secrets.toml").write_text(
        '[sources]\naccess_token = "%s"\n' % gh.token)
    out = script("8_github_secrets.py").stdout
    assert count("github_with_source_secrets", "traffic_clones") == 14
    assert count("github_with_source_secrets", "issues") == open_issues + 5

    # 9. config: repo_name is required, then read from config.toml
    r = script("9_github_config.py", check=False)
    assert r.returncode != 0 and "repo_name" in r.stderr
    with open(workdir / ".dlt" / "config.toml", "a") as f:
        f.write('\n[sources.9_github_config]\nrepo_name = "dlt-hub/dlt"\n')
    script("9_github_config.py")
    assert count("github_with_source_secrets", "issues") == open_issues + 5

    # the token is in no output, trace, state or working dir file
    for name in ("github_with_source_secrets",):
        p = dlt.attach(name)
        assert gh.token not in str(p.last_trace or "")
        assert gh.token not in repr(p.state)
        for root, _, files in os.walk(p.working_dir):
            for fn in files:
                with open(os.path.join(root, fn), "rb") as f:
                    assert gh.token.encode() not in f.read(), fn


def test_repo_stats_pipeline(project, workdir):
    gh = project
    standin = workdir / "motherduck_standin.duckdb"
    env = {"DLTC_MOTHERDUCK_STANDIN": str(standin)}
    path = os.path.join(EXAMPLES, "github_repo_stats.py")
    out = script(path, env=env).stdout
    assert "load step completed" in out and "destination motherduck" in out
    os.environ["DLTC_MOTHERDUCK_STANDIN"] = str(standin)
    try:
        p = dlt.attach("github_repo_stats")
        ds = p.dataset()
        rows = ds.github_repo_stats.select("repo", "stars").order_by("repo").fetchall()
        assert [r[0] for r in rows] == ["apache/arrow", "dlt-hub/dlt", "duckdb/duckdb"]
        gh.admin("/_admin/add?issues=2")  # the clock moves: stars grow
        script(path, env=env)
        rows2 = ds.github_repo_stats.select("repo", "stars").order_by("repo").fetchall()
        assert len(rows2) == 3 and all(b[1] == a[1] + 2 for a, b in zip(rows, rows2))
        ledger = ds.run_ledger.select("pipeline_name", "dataset_name", "load_info").fetchall()
        assert len(ledger) == 2 and ledger[0][:2] == ("github_repo_stats", "github_stats")
        assert "Pipeline github_repo_stats load step completed" in ledger[1][2]
        # loaded as parquet
        jobs = []
        for root, _, files in os.walk(os.path.join(p.working_dir, "load", "loaded")):
            jobs += [f for f in files if f.startswith("github_repo_stats.")]
        assert jobs and all(".parquet" in f for f in jobs)
    finally:
        del os.environ["DLTC_MOTHERDUCK_STANDIN"]
