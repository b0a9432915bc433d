"""dlt's auth classes. Each is a requests-style auth (called with a PreparedRequest, used by
dlt.sources.helpers.requests and RESTClient.request with a data body) and hands libdltc an
equivalent auth object for RESTClient.paginate/request (_dltc_auth), which registers its
secrets so that no libdltc message can show them. Secrets never appear in a repr."""
import json as _json
import time
from base64 import b64encode

from dlt import _dltc
from dlt.sources.helpers.requests.models import AuthBase, _register_secret


class AuthConfigBase(AuthBase):
    """Authenticator base, both a requests AuthBase and a dlt credentials spec."""

    def __bool__(self):
        return True

    def _dltc_auth(self):
        """libdltc's auth object for this one, or None (a custom AuthBase: RESTClient applies
        it once per request through __call__)."""
        return None

    def _require(self, *names):
        for n in names:
            if getattr(self, n, None) is None:
                raise ValueError(f"{type(self).__name__}: `{n}` is not set")

    def _cached(self, key, make):
        """A libdltc auth made once per set of field values."""
        if getattr(self, "_dltc_key", None) != key:
            self._dltc_obj = make()
            self._dltc_key = key
        return self._dltc_obj

    def __repr__(self):
        shown = {k: v for k, v in vars(self).items() if k in self._public}
        args = ", ".join(f"{k}={v!r}" for k, v in shown.items())
        return f"{type(self).__name__}({args})"

    _public = ()


class BearerTokenAuth(AuthConfigBase):
    """Uses `token` for Bearer authentication in the "Authorization" header."""

    def __init__(self, token=None):
        self.token = _register_secret(token)

    def parse_native_representation(self, value):
        if not isinstance(value, str):
            raise ValueError("BearerTokenAuth token must be a string")
        self.token = _register_secret(value)

    def __call__(self, request):
        self._require("token")
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request

    def _dltc_auth(self):
        self._require("token")
        return self._cached((self.token,), lambda: _dltc.auth_bearer(self.token))


class APIKeyAuth(AuthConfigBase):
    """`api_key` under `name` in the `location`: "header", "query" (or "param"), or "cookie"
    (which dlt refuses with NotImplementedError; libdltc sends it as a cookie)."""

    _public = ("name", "location")

    def __init__(self, name="Authorization", api_key=None, location="header"):
        if location not in ("header", "query", "param", "cookie"):
            raise ValueError(f"APIKeyAuth: unknown location {location!r}")
        self.name = name
        self.api_key = _register_secret(api_key)
        self.location = location

    def parse_native_representation(self, value):
        if not isinstance(value, str):
            raise ValueError("APIKeyAuth api_key must be a string")
        self.api_key = _register_secret(value)

    def __call__(self, request):
        self._require("api_key")
        if self.location == "header":
            request.headers[self.name] = self.api_key
        elif self.location in ("query", "param"):
            request.prepare_url(request.url, {self.name: self.api_key})
        else:
            old = request.headers.get("Cookie")
            cookie = f"{self.name}={self.api_key}"
            request.headers["Cookie"] = f"{old}; {cookie}" if old else cookie
        return request

    def _dltc_auth(self):
        self._require("api_key")
        key = (self.name, self.api_key, self.location)
        return self._cached(key, lambda: _dltc.auth_api_key(*key))


class HttpBasicAuth(AuthConfigBase):
    """HTTP basic authentication."""

    _public = ("username",)

    def __init__(self, username=None, password=None):
        self.username = username
        self.password = _register_secret(password)

    def parse_native_representation(self, value):
        value = list(value) if not isinstance(value, str) else value
        if isinstance(value, list) and len(value) == 2:
            self.username, self.password = value
            _register_secret(self.password)
            return
        raise ValueError("HttpBasicAuth username and password must be a tuple of two strings")

    def __call__(self, request):
        self._require("username", "password")
        encoded = b64encode(f"{self.username}:{self.password}".encode()).decode()
        request.headers["Authorization"] = f"Basic {encoded}"
        return request

    def _dltc_auth(self):
        self._require("username", "password")
        key = (self.username, self.password)
        return self._cached(key, lambda: _dltc.auth_basic(*key))


class OAuth2AuthBase(AuthConfigBase):
    """Base of the OAuth2 authenticators: sends `access_token` as a Bearer token."""

    def __init__(self, access_token=None):
        self.access_token = _register_secret(access_token)

    def parse_native_representation(self, value):
        if not isinstance(value, str):
            raise ValueError("OAuth2AuthBase access_token must be a string")
        self.access_token = _register_secret(value)

    def __call__(self, request):
        self._require("access_token")
        request.headers["Authorization"] = f"Bearer {self.access_token}"
        return request


class OAuth2ClientCredentials(OAuth2AuthBase):
    """OAuth2 client credentials: the token is fetched (POST, form-encoded client_id,
    client_secret, grant_type=client_credentials and `access_token_request_data`) before the
    first request and again once expired, and sent as a Bearer token.

    In RESTClient.paginate/request libdltc fetches and refreshes the token itself; a subclass
    that overrides build_access_token_request/parse_* gets its token from Python instead
    (fetched once per paginate call)."""

    _public = ("access_token_url", "default_token_expiration")

    def __init__(
        self,
        access_token_url=None,
        client_id=None,
        client_secret=None,
        access_token_request_data=None,
        default_token_expiration=3600,
        access_token=None,
        session=None,
    ):
        super().__init__(access_token)
        self.access_token_url = access_token_url
        self.client_id = _register_secret(client_id)
        self.client_secret = _register_secret(client_secret)
        self.access_token_request_data = dict(access_token_request_data or {})
        self.default_token_expiration = default_token_expiration
        self.session = session
        self.token_expiry = 0.0  # time.time() after which the token is fetched again

    def __call__(self, request):
        if self.access_token is None or self.is_token_expired():
            self.obtain_token()
        request.headers["Authorization"] = f"Bearer {self.access_token}"
        return request

    def is_token_expired(self):
        return time.time() >= self.token_expiry

    def build_access_token_request(self):
        return {
            "url": self.access_token_url,
            "headers": {"Content-Type": "application/x-www-form-urlencoded"},
            "data": {
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "grant_type": "client_credentials",
                **self.access_token_request_data,
            },
        }

    def parse_expiration_in_seconds(self, response_json):
        return int(response_json.get("expires_in", self.default_token_expiration))

    def parse_access_token(self, response_json):
        return str(response_json.get("access_token"))

    def obtain_token(self):
        self._require("access_token_url", "client_id", "client_secret")
        if self.session is None:
            from dlt.sources.helpers import requests

            session = requests.client.session
        else:
            session = self.session
        response = session.post(**self.build_access_token_request())
        response.raise_for_status()
        body = response.json()
        self.access_token = _register_secret(self.parse_access_token(body))
        self.token_expiry = time.time() + self.parse_expiration_in_seconds(body)

    def _dltc_auth(self):
        cls = type(self)
        for name in ("build_access_token_request", "parse_expiration_in_seconds",
                     "parse_access_token", "obtain_token", "__call__"):
            if getattr(cls, name) is not getattr(OAuth2ClientCredentials, name):
                return None  # a custom flow: Python's
        self._require("access_token_url", "client_id", "client_secret")
        data = _json.dumps(self.access_token_request_data) if self.access_token_request_data else None
        key = (self.access_token_url, self.client_id, self.client_secret, data,
               int(self.default_token_expiration))
        return self._cached(
            key,
            lambda: _dltc.auth_oauth2(*key, self.access_token),
        )
