"""dlt's retrying Client: a Session per thread whose requests libdltc retries as dlt does
(429 and 5xx, connection errors, timeouts, bodies cut short; exponential backoff, Retry-After).

Arguments left at None take the `runtime` config (RUNTIME__REQUEST_TIMEOUT, ...) and then
dlt's defaults (60 s, 5 attempts, backoff factor 1, 300 s max delay); given ones win, as
dlt's with_config injection does.
"""
from threading import local

from dlt.sources.helpers.requests.exceptions import ChunkedEncodingError, ConnectionError, Timeout
from dlt.sources.helpers.requests.session import Session, _timeout_to_seconds

DEFAULT_RETRY_STATUS = (429, *range(500, 600))
DEFAULT_RETRY_EXCEPTIONS = (ConnectionError, Timeout, ChunkedEncodingError)


class Client:
    """Wrapper for requests to create a Session with configurable retry functionality.

    Retries run in libdltc, on dlt's default conditions only: `status_codes`, `exceptions`
    and `retry_condition` other than the defaults raise NotImplementedError.
    `max_connections` is accepted and unused (one keep-alive connection per session).
    """

    def __init__(
        self,
        request_timeout=None,
        max_connections=50,
        raise_for_status=True,
        status_codes=DEFAULT_RETRY_STATUS,
        exceptions=DEFAULT_RETRY_EXCEPTIONS,
        request_max_attempts=None,
        retry_condition=None,
        request_backoff_factor=None,
        request_max_retry_delay=None,
        respect_retry_after_header=True,
        session_attrs=None,
    ):
        if tuple(status_codes) != DEFAULT_RETRY_STATUS:
            raise NotImplementedError("dltc retries on 429 and 5xx only (status_codes)")
        if tuple(exceptions) != DEFAULT_RETRY_EXCEPTIONS:
            raise NotImplementedError("dltc retries on dlt's default exceptions only")
        if retry_condition is not None:
            raise NotImplementedError("dltc does not take retry_condition predicates")
        self._local = local()
        self._timeout = _timeout_to_seconds(request_timeout)
        self._raise_for_status = raise_for_status
        self._http = dict(
            max_attempts=request_max_attempts,
            backoff_factor=request_backoff_factor,
            max_retry_delay=_seconds(request_max_retry_delay),
            respect_retry_after=respect_retry_after_header,
            use_config=True,
        )
        self._session_attrs = session_attrs or {}
        self._config_version = 0

        self.get = lambda *a, **kw: self.session.get(*a, **kw)
        self.post = lambda *a, **kw: self.session.post(*a, **kw)
        self.put = lambda *a, **kw: self.session.put(*a, **kw)
        self.patch = lambda *a, **kw: self.session.patch(*a, **kw)
        self.delete = lambda *a, **kw: self.session.delete(*a, **kw)
        self.head = lambda *a, **kw: self.session.head(*a, **kw)
        self.options = lambda *a, **kw: self.session.options(*a, **kw)
        self.request = lambda *a, **kw: self.session.request(*a, **kw)

    def update_from_config(self, config):
        """Take request_timeout, request_backoff_factor, request_max_retry_delay and
        request_max_attempts from a RunConfiguration-like object (or dict)."""

        def get(name):
            return config.get(name) if isinstance(config, dict) else getattr(config, name, None)

        if get("request_timeout") is not None:
            self._timeout = _timeout_to_seconds(get("request_timeout"))
        for key, name in (
            ("backoff_factor", "request_backoff_factor"),
            ("max_retry_delay", "request_max_retry_delay"),
            ("max_attempts", "request_max_attempts"),
        ):
            if get(name) is not None:
                self._http[key] = _seconds(get(name)) if key == "max_retry_delay" else get(name)
        self._config_version += 1

    def _make_session(self):
        session = Session(timeout=self._timeout, raise_for_status=self._raise_for_status,
                          _http=self._http)
        for key, value in self._session_attrs.items():
            setattr(session, key, value)
        return session

    @property
    def session(self):
        """This thread's session (libdltc clients belong to one thread at a time)."""
        session = getattr(self._local, "session", None)
        if session is None or self._local.config_version != self._config_version:
            session = self._local.session = self._make_session()
            self._local.config_version = self._config_version
        return session


def _seconds(v):
    import datetime

    return v.total_seconds() if isinstance(v, datetime.timedelta) else v
