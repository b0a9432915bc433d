"""dlt's Session: every request gets the session's timeout, `User-Agent: dlt/<version>` and,
with raise_for_status, Response.raise_for_status(). Requests are sent by libdltc's client
(dlt._dltc.HttpClient), with its retries when the session comes from a Client."""
import datetime

from dlt import _dltc
from dlt.version import __version__
from dlt.sources.helpers.requests.models import (
    CaseInsensitiveDict,
    PreparedRequest,
    Request,
)

DEFAULT_TIMEOUT = 60
_NO_TIMEOUT = 1e7  # requests' timeout=None: wait "forever"


def _to_seconds(v):
    if v is None:
        return None
    if isinstance(v, datetime.timedelta):
        return v.total_seconds()
    return float(v)


def _timeout_to_seconds(timeout):
    if isinstance(timeout, (tuple, list)):
        return (_to_seconds(timeout[0]), _to_seconds(timeout[1]))
    return _to_seconds(timeout)


class Session:
    """Requests session which by default adds a timeout to all requests and calls
    `raise_for_status()` on response.

    Args:
        timeout: seconds (or timedelta), or a (connect, read) tuple.
        raise_for_status: raise HTTPError for a status >= 400.
    """

    def __init__(self, timeout=DEFAULT_TIMEOUT, raise_for_status=True, *, _http=None):
        self.timeout = _timeout_to_seconds(timeout)
        self.raise_for_status = raise_for_status
        self.headers = CaseInsensitiveDict(
            {"User-Agent": f"dlt/{__version__}", "Accept": "*/*"}
        )
        self.auth = None
        self.params = {}
        self.hooks = {"response": []}
        self.cookies = {}
        self.verify = True
        self.proxies = {}
        self.stream = False
        self.cert = None
        self.max_redirects = 30
        # the HttpClient options of a Client's session (retries, runtime config); a plain
        # Session sends once, as requests.Session does
        self._http = dict(_http) if _http is not None else {"max_attempts": 1, "use_config": False}
        self._clients = {}

    # ---- libdltc clients, one per (timeout, CA bundle) ----

    def _http_client(self, timeout=None, verify=None):
        if verify is None:
            verify = self.verify
        if verify is False:
            raise ValueError(
                "dltc always verifies TLS certificates: pass verify=<path to a CA bundle>"
            )
        ca_file = verify if isinstance(verify, str) else None
        timeout = _timeout_to_seconds(timeout)
        key = (timeout, ca_file)
        c = self._clients.get(key)
        if c is None:
            kw = dict(self._http)
            if isinstance(timeout, tuple):
                kw["connect_timeout"] = timeout[0] or _NO_TIMEOUT
                kw["timeout"] = timeout[1] or _NO_TIMEOUT
            elif timeout is not None:
                kw["timeout"] = timeout
            elif not kw.get("use_config", False):
                kw["timeout"] = _NO_TIMEOUT
            c = self._clients[key] = _dltc.HttpClient(ca_file=ca_file, **kw)
        return c

    def _dltc_options(self):
        """The resolved HTTP options (for dlt._dltc.RestClient)."""
        return self._http_client(self.timeout).options

    # ---- requests' Session API ----

    def prepare_request(self, request):
        headers = CaseInsensitiveDict(self.headers)
        headers.update(request.headers or {})
        params = list(_pairs(self.params)) + list(_pairs(request.params))
        cookies = dict(self.cookies or {})
        cookies.update(request.cookies or {})
        hooks = {k: list(v) for k, v in self.hooks.items()}
        for k, v in (request.hooks or {}).items():
            hooks.setdefault(k, []).extend(v if isinstance(v, (list, tuple)) else [v])
        p = PreparedRequest()
        p.prepare(
            method=request.method,
            url=request.url,
            headers=headers,
            files=request.files,
            data=request.data,
            json=request.json,
            params=params,
            auth=request.auth or self.auth,
            cookies=cookies,
            hooks=hooks,
        )
        return p

    def request(
        self,
        method,
        url,
        params=None,
        data=None,
        headers=None,
        cookies=None,
        files=None,
        auth=None,
        timeout=None,
        allow_redirects=True,
        proxies=None,
        hooks=None,
        stream=None,
        verify=None,
        cert=None,
        json=None,
    ):
        req = Request(
            method=method.upper(),
            url=url,
            headers=headers,
            files=files,
            data=data or {},
            json=json,
            params=params or {},
            auth=auth,
            cookies=cookies,
            hooks=hooks,
        )
        prep = self.prepare_request(req)
        resp = self.send(
            prep,
            timeout=timeout,
            allow_redirects=allow_redirects,
            proxies=proxies,
            stream=stream,
            verify=verify,
            cert=cert,
        )
        if self.raise_for_status:
            resp.raise_for_status()
        return resp

    def send(self, request, **kwargs):
        """Send a PreparedRequest; redirects are always followed and the whole body is read
        (allow_redirects and stream are accepted for compatibility)."""
        if kwargs.get("proxies") or self.proxies:
            raise NotImplementedError("dltc does not use proxies")
        if kwargs.get("cert") or self.cert:
            raise NotImplementedError("dltc does not send client certificates")
        timeout = kwargs.get("timeout")
        if timeout is None:
            timeout = self.timeout
        client = self._http_client(timeout, kwargs.get("verify"))
        resp = client.send(
            request.method, request.url, list(request.headers.items()), request.body
        )
        resp.request = request
        for hook in request.hooks.get("response", []):
            r = hook(resp, **{k: v for k, v in kwargs.items() if k != "allow_redirects"})
            if r is not None:
                resp = r
        return resp

    def get(self, url, **kwargs):
        kwargs.setdefault("allow_redirects", True)
        return self.request("GET", url, **kwargs)

    def options(self, url, **kwargs):
        kwargs.setdefault("allow_redirects", True)
        return self.request("OPTIONS", url, **kwargs)

    def head(self, url, **kwargs):
        kwargs.setdefault("allow_redirects", False)
        return self.request("HEAD", url, **kwargs)

    def post(self, url, data=None, json=None, **kwargs):
        return self.request("POST", url, data=data, json=json, **kwargs)

    def put(self, url, data=None, **kwargs):
        return self.request("PUT", url, data=data, **kwargs)

    def patch(self, url, data=None, **kwargs):
        return self.request("PATCH", url, data=data, **kwargs)

    def delete(self, url, **kwargs):
        return self.request("DELETE", url, **kwargs)

    def mount(self, prefix, adapter):
        """Accepted for compatibility: libdltc keeps the connections."""

    def close(self):
        self._clients.clear()

    def __enter__(self):
        return self

    def __exit__(self, *args):
        self.close()


def _pairs(params):
    from dlt.sources.helpers.requests.models import _param_pairs

    return _param_pairs(params)
