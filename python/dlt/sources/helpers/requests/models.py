"""Request, PreparedRequest and Response with the attributes and behaviour of `requests`'
classes of the same names; a Response is a copy of what libdltc received (dlt._dltc)."""
import codecs
import copy
import datetime
import http
import json as _json
import re
from collections.abc import Mapping, MutableMapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from dlt import _dltc
from dlt.sources.helpers.requests.exceptions import HTTPError, JSONDecodeError

# ---- secrets: masked in every message formatted in Python ----

_secrets = set()


def _register_secret(value):
    """Remember a secret (a token, key or password) so that no message shows it."""
    if isinstance(value, str) and len(value) >= 8:  # libdltc's rule: short ones mask words
        _secrets.add(value)
    return value


def _mask(text):
    for s in _secrets:
        if s in text:
            text = text.replace(s, "***")
    return text


def _redact_url(url):
    """The URL as libdltc shows it in errors (secret query values and passwords as ***)."""
    try:
        return _mask(_dltc.http_url_redact(url or ""))
    except Exception:  # never let redaction hide the real error
        return "***"


# ---- headers ----


class CaseInsensitiveDict(MutableMapping):
    """A dict whose keys compare without case, keeping the case last set (requests')."""

    def __init__(self, data=None, **kwargs):
        self._store = {}
        self.update(data or {}, **kwargs)

    def __setitem__(self, key, value):
        self._store[key.lower()] = (key, value)

    def __getitem__(self, key):
        return self._store[key.lower()][1]

    def __delitem__(self, key):
        del self._store[key.lower()]

    def __iter__(self):
        return (k for k, _ in self._store.values())

    def __len__(self):
        return len(self._store)

    def lower_items(self):
        return ((k, v[1]) for k, v in self._store.items())

    def __eq__(self, other):
        if not isinstance(other, Mapping):
            return NotImplemented
        return dict(self.lower_items()) == dict(CaseInsensitiveDict(other).lower_items())

    def copy(self):
        return CaseInsensitiveDict(self._store.values())

    def __repr__(self):
        return str(dict(self.items()))


# ---- query parameters and bodies, rendered as requests renders them ----


def _to_str(v):
    if isinstance(v, bytes):
        return v.decode("utf-8")
    return v if isinstance(v, str) else str(v)


def _param_pairs(params):
    """dict / list of pairs / str as [(name, value)] strings; None values are dropped and
    list values repeat the name (requests' _encode_params)."""
    if not params:
        return []
    if isinstance(params, (str, bytes)):
        return parse_qsl(_to_str(params), keep_blank_values=True)
    items = params.items() if isinstance(params, Mapping) else params
    out = []
    for k, vs in items:
        if isinstance(vs, (str, bytes)) or not hasattr(vs, "__iter__"):
            vs = [vs]
        for v in vs:
            if v is not None:
                out.append((_to_str(k), _to_str(v)))
    return out


def _url_with_params(url, params):
    """`url` with `params` appended to its query (requests' prepare_url)."""
    pairs = _param_pairs(params)
    if not pairs:
        return url
    scheme, netloc, path, query, fragment = urlsplit(url)
    enc = urlencode(pairs)
    query = f"{query}&{enc}" if query else enc
    return urlunsplit((scheme, netloc, path or "/", query, fragment))


def _encode_body(data, json, headers):
    """The body bytes (or None), setting Content-Type as requests does."""
    if data is None or data == [] or data == {}:
        if json is None:
            return None
        if "content-type" not in (k.lower() for k in headers):
            headers["Content-Type"] = "application/json"
        return _json.dumps(json, allow_nan=False).encode("utf-8")
    if hasattr(data, "read"):
        body = data.read()
    elif isinstance(data, (str, bytes)):
        body = data
    elif isinstance(data, Mapping) or isinstance(data, (list, tuple)):
        body = urlencode(_param_pairs(data))
        if "content-type" not in (k.lower() for k in headers):
            headers["Content-Type"] = "application/x-www-form-urlencoded"
    else:  # an iterable of chunks
        body = b"".join(c.encode("utf-8") if isinstance(c, str) else c for c in data)
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


# ---- requests and responses ----


class AuthBase:
    """Base class that all auth implementations derive from (requests.auth.AuthBase)."""

    def __call__(self, r):
        raise NotImplementedError("Auth hooks must be callable.")


class Request:
    """A user-created request (requests.Request); RESTClient.paginate hands the same object
    to a custom paginator's init_request/update_request."""

    def __init__(
        self,
        method=None,
        url=None,
        headers=None,
        files=None,
        data=None,
        params=None,
        auth=None,
        cookies=None,
        hooks=None,
        json=None,
    ):
        self.method = method
        self.url = url
        self.headers = headers if headers is not None else {}
        self.files = files if files is not None else []
        self.data = data if data is not None else []
        self.json = json
        self.params = params if params is not None else {}
        self.auth = auth
        self.cookies = cookies
        self.hooks = hooks if hooks is not None else {}
        self._synced_json = copy.deepcopy(json)

    def __repr__(self):
        return f"<Request [{self.method}]>"

    def prepare(self):
        p = PreparedRequest()
        p.prepare(
            method=self.method,
            url=self.url,
            headers=self.headers,
            files=self.files,
            data=self.data,
            json=self.json,
            params=self.params,
            auth=self.auth,
            cookies=self.cookies,
            hooks=self.hooks,
        )
        return p

    def _dltc_sync(self):
        """(url, params, body changes) for libdltc's copy of this request: the params as
        strings and the top-level JSON keys changed since the last sync, as JSON text."""
        changes = []
        if isinstance(self.json, Mapping):
            old = self._synced_json if isinstance(self._synced_json, Mapping) else {}
            for k, v in self.json.items():
                if k not in old or old[k] != v:
                    changes.append((str(k), _json.dumps(v)))
            self._synced_json = copy.deepcopy(self.json)
        return self.url, _param_pairs(self.params), changes


class PreparedRequest:
    """What is sent: method, full URL (with the query), headers and body bytes."""

    def __init__(self):
        self.method = None
        self.url = None
        self.headers = CaseInsensitiveDict()
        self.body = None
        self.hooks = {"response": []}

    def prepare(
        self,
        method=None,
        url=None,
        headers=None,
        files=None,
        data=None,
        params=None,
        auth=None,
        cookies=None,
        hooks=None,
        json=None,
    ):
        if files:
            raise NotImplementedError("dltc does not send multipart files")
        self.method = (method or "GET").upper()
        self.prepare_url(url, params)
        self.headers = CaseInsensitiveDict(
            {_to_str(k): _to_str(v) for k, v in (headers or {}).items() if v is not None}
        )
        if cookies:
            self.headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in dict(cookies).items())
        self.body = _encode_body(data, json, self.headers)
        for event, fns in (hooks or {}).items():
            self.hooks.setdefault(event, [])
            self.hooks[event].extend(fns if isinstance(fns, (list, tuple)) else [fns])
        if auth:
            if isinstance(auth, (tuple, list)) and len(auth) == 2:
                from dlt.sources.helpers.rest_client.auth import HttpBasicAuth

                auth = HttpBasicAuth(*auth)
            r = auth(self)
            if r is not None and r is not self:
                self.__dict__.update(r.__dict__)

    def prepare_url(self, url, params):
        if not url:
            from dlt.sources.helpers.requests.exceptions import MissingSchema

            raise MissingSchema(f"Invalid URL {url!r}: No scheme supplied.")
        self.url = _url_with_params(_to_str(url), params)

    def copy(self):
        p = PreparedRequest()
        p.method, p.url, p.body = self.method, self.url, self.body
        p.headers = self.headers.copy()
        p.hooks = {k: list(v) for k, v in self.hooks.items()}
        return p

    def __repr__(self):
        return f"<PreparedRequest [{self.method}]>"


def _encoding_from_headers(headers):
    ctype = headers.get("content-type")
    if not ctype:
        return None
    parts = [p.strip() for p in ctype.split(";")]
    for p in parts[1:]:
        k, _, v = p.partition("=")
        if k.strip().lower() == "charset":
            return v.strip(" '\"")
    if "text" in parts[0]:
        return "ISO-8859-1"
    if "application/json" in parts[0]:
        return "utf-8"
    return None


def _parse_links(value):
    """An RFC 8288 Link header as [{"url": ..., "rel": ..., ...}] (requests'
    parse_header_links)."""
    links = []
    strip = " '\""
    value = value.strip(strip)
    if not value:
        return links
    for val in re.split(", *<", value):
        url, _, params = val.partition(";")
        link = {"url": url.strip("<> '\"")}
        for param in params.split(";"):
            key, eq, v = param.partition("=")
            if not eq:
                break
            link[key.strip(strip)] = v.strip(strip)
        links.append(link)
    return links


class Response:
    """The reply to a request: status, headers, the whole decoded body, final URL."""

    def __init__(self):
        self.status_code = None
        self.headers = CaseInsensitiveDict()
        self._content = b""
        self.url = None
        self.encoding = None
        self.history = []
        self.reason = None
        self.elapsed = datetime.timedelta(0)
        self.request = None
        self.attempts = 0
        self.raw = None
        self.cookies = {}

    @classmethod
    def _from_dltc(cls, status, url, headers, body, elapsed, attempts):
        r = cls()
        r.status_code = status
        r.url = url
        for k, v in headers:
            r.headers[k] = v
        r._content = body
        r.elapsed = datetime.timedelta(seconds=elapsed)
        r.attempts = attempts
        try:
            r.reason = http.HTTPStatus(status).phrase
        except ValueError:
            r.reason = ""
        r.encoding = _encoding_from_headers(r.headers)
        return r

    def __repr__(self):
        return f"<Response [{self.status_code}]>"

    def __bool__(self):
        return self.ok

    def __iter__(self):
        return self.iter_content(128)

    def __enter__(self):
        return self

    def __exit__(self, *args):
        self.close()

    @property
    def content(self):
        return self._content

    @property
    def apparent_encoding(self):
        return "utf-8"

    @property
    def text(self):
        enc = self.encoding or "utf-8"
        try:
            codecs.lookup(enc)
        except LookupError:
            enc = "utf-8"
        return self._content.decode(enc, errors="replace")

    def json(self, **kwargs):
        try:
            if self.encoding:
                return _json.loads(self.text, **kwargs)
            return _json.loads(self._content, **kwargs)  # detects UTF-8/16/32
        except _json.JSONDecodeError as e:
            raise JSONDecodeError(e.msg, e.doc, e.pos)

    @property
    def ok(self):
        try:
            self.raise_for_status()
        except HTTPError:
            return False
        return True

    @property
    def is_redirect(self):
        return False

    @property
    def links(self):
        header = self.headers.get("link")
        out = {}
        if header:
            for link in _parse_links(header):
                out[link.get("rel") or link.get("url")] = link
        return out

    def iter_content(self, chunk_size=1, decode_unicode=False):
        data = self.text if decode_unicode else self._content
        step = chunk_size or len(data) or 1
        for i in range(0, len(data), step):
            yield data[i : i + step]

    def iter_lines(self, chunk_size=512, decode_unicode=False, delimiter=None):
        data = self.text if decode_unicode else self._content
        yield from (data.split(delimiter) if delimiter else data.splitlines())

    def raise_for_status(self):
        """HTTPError "<code> Client Error: <reason> for url: <url>" for a status >= 400, the
        URL's secrets as *** (dlt's sanitized text)."""
        code = self.status_code or 0
        if 400 <= code < 600:
            kind = "Client" if code < 500 else "Server"
            msg = f"{code} {kind} Error: {self.reason} for url: {_redact_url(self.url)}"
            raise HTTPError(_mask(msg), response=self)

    def close(self):
        pass


_dltc._http_set_response_factory(Response._from_dltc)
