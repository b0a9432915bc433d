"""A scheduled pipeline: statistics of a few GitHub repositories into MotherDuck, one row
per repository kept up to date (merge on `repo`), loaded as parquet, with a run ledger.

    python3 github_repo_stats.py            # e.g. daily from cron: see docs/python.md

Config (.dlt/config.toml or the environment):
    [sources.github_repo_stats] repos = ["dlt-hub/dlt", "duckdb/duckdb", "apache/arrow"]
    [sources.github] base_url = "https://api.github.com"
Secrets (.dlt/secrets.toml):
    [sources] access_token = "ghp_..."                     (optional, GitHub's rate limit)
    [destination.motherduck.credentials] database = "my_db", password = "<motherduck token>"
"""
import datetime

import dlt
from dlt.sources.helpers import requests

API = dlt.config.get("sources.github.base_url") or "https://api.github.com"
REPOS = ["dlt-hub/dlt", "duckdb/duckdb", "apache/arrow"]


@dlt.resource(
    name="github_repo_stats",
    write_disposition="merge",
    primary_key="repo",
    file_format="parquet",
)
def repo_stats(repos=REPOS, access_token=None):
    headers = {"Accept": "application/vnd.github+json"}
    if access_token:
        headers["Authorization"] = f"Bearer {access_token}"
    fetched_at = datetime.datetime.now(datetime.timezone.utc)
    for full_name in repos:
        response = requests.get(f"{API}/repos/{full_name}", headers=headers)
        response.raise_for_status()
        r = response.json()
        yield {
            "repo": r["full_name"],
            "stars": r["stargazers_count"],
            "forks": r["forks_count"],
            "watchers": r["subscribers_count"],
            "open_issues": r["open_issues_count"],
            "language": r.get("language"),
            "license": (r.get("license") or {}).get("spdx_id"),
            "pushed_at": r["pushed_at"],
            "fetched_at": fetched_at,
        }


def record_run(pipeline, load_info, table="run_ledger"):
    """Append this run to a ledger table in the same dataset."""
    with pipeline.sql_client() as client:
        name = client.make_qualified_table_name(table)
        client.execute_sql(
            f"CREATE TABLE IF NOT EXISTS {name} (run_at TIMESTAMP WITH TIME ZONE, "
            "pipeline_name VARCHAR, dataset_name VARCHAR, load_info VARCHAR)"
        )
        client.execute_sql(
            f"INSERT INTO {name} VALUES (%s, %s, %s, %s)",
            datetime.datetime.now(datetime.timezone.utc),
            pipeline.pipeline_name,
            pipeline.dataset_name,
            str(load_info),
        )


if __name__ == "__main__":
    pipeline = dlt.pipeline(
        pipeline_name="github_repo_stats",
        destination="motherduck",
        dataset_name="github_stats",
    )
    load_info = pipeline.run(repo_stats())
    record_run(pipeline, load_info)
    print(load_info)
