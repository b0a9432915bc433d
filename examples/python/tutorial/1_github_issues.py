"""dlt tutorial, "Create a pipeline": the issues of dlt-hub/dlt into DuckDB.

dltc: the one change to the tutorial's scripts is the API's base URL, read from config
(sources.github.base_url) so that the tests can point it at the local fake GitHub."""
import dlt
from dlt.sources.helpers import requests

API = dlt.config.get("sources.github.base_url") or "https://api.github.com"

# Specify the URL of the API endpoint
url = f"{API}/repos/dlt-hub/dlt/issues"
# Make a request and check if it was successful
response = requests.get(url)
response.raise_for_status()

pipeline = dlt.pipeline(
    pipeline_name="github_issues",
    destination="duckdb",
    dataset_name="github_data",
)
# The response contains a list of issues
load_info = pipeline.run(response.json(), table_name="issues")

print(load_info)
