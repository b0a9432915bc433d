"""dlt.sources.helpers.requests: a drop-in for `requests` whose requests libdltc sends and
retries (dlt's Client, reference dlt-io.md §2.6). The module-level functions use a default
Client with raise_for_status=True."""
from dlt.sources.helpers.requests.exceptions import (  # noqa: F401
    ChunkedEncodingError,
    ConnectionError,
    ConnectTimeout,
    ContentDecodingError,
    HTTPError,
    InvalidHeader,
    InvalidJSONError,
    InvalidSchema,
    InvalidURL,
    JSONDecodeError,
    MissingSchema,
    ProxyError,
    ReadTimeout,
    RequestException,
    RetryError,
    SSLError,
    Timeout,
    TooManyRedirects,
    URLRequired,
)
from dlt.sources.helpers.requests.models import (  # noqa: F401
    AuthBase,
    CaseInsensitiveDict,
    PreparedRequest,
    Request,
    Response,
)
from dlt.sources.helpers.requests.retry import Client  # noqa: F401
from dlt.sources.helpers.requests.session import Session  # noqa: F401

client = Client()

get, post, put, patch, delete, options, head, request = (
    client.get,
    client.post,
    client.put,
    client.patch,
    client.delete,
    client.options,
    client.head,
    client.request,
)
