"""dlt.sources.helpers.rest_client: RESTClient, paginate(), paginators and auth, on libdltc's
REST client (include/dltc/rest.h; reference dlt-io.md §2)."""
from dlt.sources.helpers.rest_client.client import PageData, RESTClient  # noqa: F401
from dlt.sources.helpers.rest_client.auth import AuthConfigBase  # noqa: F401
from dlt.sources.helpers.rest_client.paginators import BasePaginator  # noqa: F401


def paginate(
    url,
    method="GET",
    headers=None,
    params=None,
    json=None,
    auth=None,
    paginator=None,
    data_selector=None,
    hooks=None,
):
    """Paginate over a REST API endpoint: RESTClient(base_url=url, headers=headers)
    .paginate(path="", ...)."""
    client = RESTClient(base_url=url, headers=headers)
    return client.paginate(
        path="",
        method=method,
        params=params,
        json=json,
        auth=auth,
        paginator=paginator,
        data_selector=data_selector,
        hooks=hooks,
    )
