"""dlt's RESTClient on libdltc's REST client (dlt._dltc.RestClient): URL joining, header
merging, auth, the paginate loop with paginator and data selector detection."""
import copy
import json as _json
import threading
from urllib.parse import parse_qsl, urlsplit

from dlt import _dltc
from dlt.sources.helpers.requests.models import PreparedRequest, Request, _param_pairs
from dlt.sources.helpers.rest_client.paginators import BasePaginator, _from_detected, _native
from dlt.sources.helpers.rest_client.utils import join_url


class PageData(list):
    """A list of elements in a single page of results with attached request context."""

    def __init__(self, __iterable, request, response, paginator, auth):
        super().__init__(__iterable)
        self.request = request
        self.response = response
        self.paginator = paginator
        self.auth = auth


def _str_pairs(mapping):
    return [(str(k), str(v)) for k, v in (mapping or {}).items() if v is not None]


class RESTClient:
    """A generic REST client with pagination and authentication (dlt's RESTClient).

    `session` lends its HTTP settings (timeouts, retries; by default those of
    dlt.sources.helpers.requests.Client(raise_for_status=False), i.e. the runtime config) and
    its headers (User-Agent: dlt/<version>); libdltc sends the requests. `config` may be a
    RuntimeConfiguration-like object or dict: its http_show_error_body and
    http_max_error_body_length shape HTTPError texts. `paginator_factory` is not supported.
    """

    def __init__(
        self,
        base_url,
        headers=None,
        auth=None,
        paginator=None,
        data_selector=None,
        session=None,
        paginator_factory=None,
        config=None,
    ):
        if paginator_factory is not None:
            raise NotImplementedError("dltc detects paginators itself (paginator_factory)")
        self.base_url = base_url
        self.headers = headers
        self.auth = auth
        self.paginator = paginator
        self.data_selector = data_selector
        self._config = config
        if session is None:
            from dlt.sources.helpers.requests.retry import Client

            session = Client(raise_for_status=False).session
        self.session = session
        self._local = threading.local()

    # ---- libdltc ----

    def _http_options(self):
        opts_of = getattr(self.session, "_dltc_options", None)
        opts = opts_of() if opts_of else _dltc.HttpClient().options
        cfg = self._config
        for key in ("http_show_error_body", "http_max_error_body_length"):
            v = cfg.get(key) if isinstance(cfg, dict) else getattr(cfg, key, None)
            if v is not None:
                opts[key[len("http_"):]] = v
        return opts

    def _rest(self, own=False):
        """This thread's libdltc client (paginate() gets one of its own)."""
        if own:
            return _dltc.RestClient(**self._http_options())
        rc = getattr(self._local, "rc", None)
        if rc is None:
            rc = self._local.rc = _dltc.RestClient(**self._http_options())
        return rc

    def _url(self, path):
        return join_url(self.base_url, path or "")

    def _headers(self, headers):
        """The session's headers, then the client's, then the request's (last wins)."""
        merged = {}
        for layer in (getattr(self.session, "headers", None), self.headers, headers):
            for k, v in (layer or {}).items():
                for old in [o for o in merged if o.lower() == str(k).lower()]:
                    del merged[old]
                if v is not None:
                    merged[str(k)] = str(v)
        return merged

    @staticmethod
    def _auth_parts(auth, method, url, params, headers):
        """(libdltc auth, params, headers): one of dlt's auth classes goes to libdltc; any
        other requests-style auth is applied to the request here."""
        if not auth:
            return None, params, headers
        native = auth._dltc_auth() if hasattr(auth, "_dltc_auth") else None
        if native is not None:
            return native, params, headers
        if isinstance(auth, (tuple, list)) and len(auth) == 2:
            from dlt.sources.helpers.rest_client.auth import HttpBasicAuth

            return HttpBasicAuth(*auth)._dltc_auth(), params, headers
        p = PreparedRequest()
        p.prepare(method=method, url=url, headers=headers, params=params)
        r = auth(p) or p
        parts = urlsplit(r.url)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        return None, pairs, dict(r.headers.items())

    # ---- requests ----

    def request(self, path="", method="GET", **kwargs):
        headers = kwargs.pop("headers", None)
        params = kwargs.pop("params", None)
        json = kwargs.pop("json", None)
        data = kwargs.pop("data", None)
        auth = kwargs.pop("auth", None) or self.auth
        hooks = kwargs.pop("hooks", None)
        if json and data:
            raise ValueError(
                "Cannot use both 'json' and 'data' parameters simultaneously. "
                "Use 'json' for JSON payloads or 'data' for form-encoded/raw data."
            )
        url = self._url(path)
        request = Request(method=method.upper(), url=url, headers=self._headers(headers),
                          params=params, json=json, data=data, auth=auth, hooks=hooks)
        if data is not None or kwargs or not hasattr(self.session, "_dltc_options"):
            # a form/raw body or requests' send options: the session sends it
            prepared = self.session.prepare_request(request)
            return self.session.send(prepared, **kwargs)
        native, pairs, hs = self._auth_parts(auth, request.method, url,
                                             _param_pairs(params), request.headers)
        body = None if json is None else _json.dumps(json)
        resp = self._rest().request(url, request.method, pairs, list(hs.items()), body, native)
        resp.request = request
        for hook in _response_hooks(hooks) or []:
            r = hook(resp)
            if r is not None:
                resp = r
        return resp

    def get(self, path, params=None, **kwargs):
        return self.request(path, method="GET", params=params, **kwargs)

    def post(self, path, json=None, *, data=None, **kwargs):
        return self.request(path, method="POST", json=json, data=data, **kwargs)

    # ---- pagination ----

    def paginate(
        self,
        path="",
        method="GET",
        params=None,
        json=None,
        auth=None,
        paginator=None,
        data_selector=None,
        hooks=None,
        headers=None,
        *,
        data=None,
        **kwargs,
    ):
        """Iterates over the pages of `path` (relative to base_url, or a full URL), yielding
        PageData. Without a "response" hook a status >= 400 raises HTTPError; with hooks,
        they judge every response (IgnoreResponseException stops without yielding)."""
        if data is not None:
            raise NotImplementedError("dltc paginates with a json body only (data=)")
        if kwargs:
            raise NotImplementedError(f"paginate() does not take {sorted(kwargs)}")
        paginator = paginator if paginator else copy.deepcopy(self.paginator)
        auth = auth or self.auth
        data_selector = data_selector or self.data_selector
        url = self._url(path)
        request = Request(method=method.upper(), url=url, headers=self._headers(headers),
                          params=copy.copy(params) if params else {}, json=copy.deepcopy(json),
                          auth=auth, hooks=hooks)
        return self._pages(paginator, auth, data_selector, hooks, request)

    def _pages(self, paginator, auth, data_selector, hooks, request):
        c_paginator, custom = _native(paginator)
        native, pairs, hs = self._auth_parts(auth, request.method, request.url,
                                             _param_pairs(request.params), request.headers)
        body = None if request.json is None else _json.dumps(request.json)
        pages = self._rest(own=True).paginate(
            request.url, request.method, pairs, list(hs.items()), body, native, c_paginator,
            custom, request if custom is not None else None,
            None if data_selector is None else str(data_selector), _response_hooks(hooks))
        shown = paginator if isinstance(paginator, BasePaginator) else None
        for items, response in pages:
            response.request = request
            if shown is None:
                shown = _from_detected(pages.paginator_type(), pages.paginator_describe())
            yield PageData(items, request=request, response=response, paginator=shown,
                           auth=auth)
        if shown is not None and custom is None:
            shown._has_next_page = False


def _response_hooks(hooks):
    """The "response" hooks as a list, or None (then dlt's HTTPError for statuses >= 400)."""
    if not hooks or "response" not in hooks:
        return None
    fns = hooks["response"]
    return list(fns) if isinstance(fns, (list, tuple)) else [fns]
