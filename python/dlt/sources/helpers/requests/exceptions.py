"""The exception classes of `requests`, as dlt.sources.helpers.requests exports them.

libdltc's failures are raised as these (dlt._dltc maps its messages: a status >= 400 is
HTTPError, a refused or dropped connection ConnectionError, a timeout ConnectTimeout or
ReadTimeout, a body that never arrived whole ChunkedEncodingError, ...).
"""
import json as _json

from dlt import _dltc


class RequestException(IOError):
    """There was an ambiguous exception that occurred while handling your request."""

    def __init__(self, *args, **kwargs):
        response = kwargs.pop("response", None)
        self.response = response
        self.request = kwargs.pop("request", None)
        if response is not None and not self.request and hasattr(response, "request"):
            self.request = self.response.request
        super().__init__(*args, **kwargs)


class InvalidJSONError(RequestException):
    """A JSON error occurred."""


class JSONDecodeError(InvalidJSONError, _json.JSONDecodeError):
    """Couldn't decode the text into json."""

    def __init__(self, *args, **kwargs):
        if len(args) == 1:  # libdltc's one-line message
            _json.JSONDecodeError.__init__(self, args[0], "", 0)
            InvalidJSONError.__init__(self, args[0], **kwargs)
        else:
            _json.JSONDecodeError.__init__(self, *args)
            InvalidJSONError.__init__(self, *self.args, **kwargs)

    def __reduce__(self):
        return self.__class__, (self.msg, self.doc, self.pos)


class HTTPError(RequestException):
    """An HTTP error occurred."""


class ConnectionError(RequestException):  # noqa: A001
    """A Connection error occurred."""


class ProxyError(ConnectionError):
    """A proxy error occurred."""


class SSLError(ConnectionError):
    """An SSL error occurred."""


class Timeout(RequestException):
    """The request timed out."""


class ConnectTimeout(ConnectionError, Timeout):
    """The request timed out while trying to connect to the remote server."""


class ReadTimeout(Timeout):
    """The server did not send any data in the allotted amount of time."""


class URLRequired(RequestException):
    """A valid URL is required to make a request."""


class TooManyRedirects(RequestException):
    """Too many redirects."""


class MissingSchema(RequestException, ValueError):
    """The URL scheme (e.g. http or https) is missing."""


class InvalidSchema(RequestException, ValueError):
    """The URL scheme provided is either invalid or unsupported."""


class InvalidURL(RequestException, ValueError):
    """The URL provided was somehow invalid."""


class InvalidHeader(RequestException, ValueError):
    """The header value provided was somehow invalid."""


class ChunkedEncodingError(RequestException):
    """The server declared chunked encoding but sent an invalid chunk."""


class ContentDecodingError(RequestException):
    """Failed to decode response content."""


class RetryError(RequestException):
    """Custom retries logic failed."""


for _cls in (
    RequestException,
    JSONDecodeError,
    HTTPError,
    ConnectionError,
    SSLError,
    ConnectTimeout,
    ReadTimeout,
    TooManyRedirects,
    InvalidSchema,
    InvalidURL,
    InvalidHeader,
    ChunkedEncodingError,
    ContentDecodingError,
):
    _dltc._register(_cls.__name__, _cls)
