"""dlt.sources.helpers.rest_client on libdltc's REST client: every paginator, detection,
data selectors, auth, hooks and errors, against a Python http.server in a thread of this
process (so the paginate loop must release the GIL and callbacks take it back)."""
import copy
import json
import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest

from conftest import local_http_server

from dlt.sources.helpers import requests
from dlt.sources.helpers.requests import Client
from dlt.sources.helpers.rest_client import PageData, RESTClient, paginate
from dlt.sources.helpers.rest_client.auth import (
    APIKeyAuth,
    BearerTokenAuth,
    HttpBasicAuth,
    OAuth2ClientCredentials,
)
from dlt.sources.helpers.rest_client.exceptions import IgnoreResponseException
from dlt.sources.helpers.rest_client.paginators import (
    BasePaginator,
    HeaderCursorPaginator,
    HeaderLinkPaginator,
    JSONLinkPaginator,
    JSONResponseCursorPaginator,
    JSONResponsePaginator,
    OffsetPaginator,
    PageNumberPaginator,
    SinglePagePaginator,
)

ITEMS = [{"id": i} for i in range(10)]
SECRET = "k3y-that-is-s3cret-42"
TOKEN = "oauth-t0ken-abcdef-987"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hits = {}
    seen = []  # (path, query dict, json body) of every request
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=None, ctype="application/json"):
        body = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def count(self, key):
        with self.lock:
            self.hits[key] = self.hits.get(key, 0) + 1
            return self.hits[key]

    def route(self):
        u = urlsplit(self.path)
        q = {k: v[-1] for k, v in parse_qs(u.query).items()}
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n).decode() if n else ""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        with self.lock:
            self.seen.append((u.path, q, body))
        p = u.path
        base = "http://%s:%d" % self.server.server_address
        if p == "/header_link":
            page = int(q.get("page", 1))
            hs = {"Link": f'</header_link?page={page + 1}>; rel="next"'} if page < 3 else {}
            return self.reply(200, ITEMS[(page - 1) * 2 : page * 2], hs)
        if p == "/json_link":
            page = int(q.get("page", 1))
            nxt = f"{base}/json_link?page={page + 1}" if page < 3 else None
            return self.reply(200, {"data": ITEMS[(page - 1) * 3 : page * 3], "next": nxt})
        if p == "/offset":
            off, lim = int(q["offset"]), int(q["limit"])
            return self.reply(200, {"items": ITEMS[off : off + lim], "total": len(ITEMS)})
        if p == "/has_more":
            off, lim = int(q["offset"]), int(q["limit"])
            return self.reply(200, {"items": ITEMS[off : off + lim],
                                    "has_more": off + lim < 6})
        if p == "/page":  # 0-based pages of 4, total_pages
            page = int(q.get("page", 0))
            return self.reply(200, {"results": ITEMS[page * 4 : page * 4 + 4], "total_pages": 3})
        if p == "/page1":  # 1-based pages of 5
            page = int(q["page"])
            return self.reply(200, {"data": ITEMS[(page - 1) * 5 : page * 5], "total": 2})
        if p == "/cursor":
            order = [None, "c1", "c2"]
            i = order.index(q.get("cursor"))
            nxt = order[i + 1] if i + 1 < len(order) else None
            return self.reply(200, {"items": ITEMS[i * 3 : i * 3 + 3], "next_cursor": nxt})
        if p == "/header_cursor":
            i = int(q.get("cursor", 0))
            hs = {"X-Next": str(i + 1)} if i < 2 else {}
            return self.reply(200, ITEMS[i * 2 : i * 2 + 2], hs)
        if p == "/search":  # POST, cursor in the body at page.cursor
            cur = ((body or {}).get("page") or {}).get("cursor") or 0
            nxt = cur + 1 if cur < 2 else None
            return self.reply(200, {"items": [{"q": body["query"], "c": cur}], "next": nxt})
        if p == "/nested":
            return self.reply(200, {"meta": {"count": 2},
                                    "results": {"posts": [{"id": 1}, {"id": 2}]}})
        if p == "/echo":
            return self.reply(200, {"path": p, "query": parse_qsl(u.query), "body": body,
                                    "headers": {k.lower(): v for k, v in self.headers.items()}})
        if p == "/oauth/token":
            form = dict(parse_qsl(raw))
            self.count("token")
            if form != {"client_id": "cid-123456", "client_secret": SECRET,
                        "grant_type": "client_credentials", "scope": "read"}:
                return self.reply(400, {"bad": form})
            return self.reply(200, {"access_token": TOKEN, "expires_in": 3600})
        if p == "/oauth/data":
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return self.reply(401, {"error": "unauthorized"})
            return self.reply(200, [{"ok": 1}])
        if p == "/custom":
            page = int(q.get("p", 0))
            return self.reply(200, {"items": ITEMS[page * 4 : page * 4 + 4],
                                    "more": page < 2})
        if p.startswith("/flaky/"):
            if self.count(p) < 2:
                return self.reply(503, {"again": True})
            return self.reply(200, [{"fine": True}])
        if p.startswith("/status/"):
            return self.reply(int(p.split("/")[2]), {"error": f"token {q.get('x_key')}"})
        if p == "/not_json":
            return self.reply(200, b"<html>no</html>", ctype="text/html")
        return self.reply(404, {"path": p})

    do_GET = do_POST = route


@pytest.fixture(scope="module")
def server():
    with local_http_server(Handler) as url:
        yield url


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0")
    Handler.seen.clear()


@pytest.fixture
def client(server):
    return RESTClient(base_url=server, session=Client(request_backoff_factor=0,
                                                      raise_for_status=False).session)


def ids(pages):
    return [i["id"] for page in pages for i in page]


def test_header_link_detected(client):
    pages = list(client.paginate("/header_link"))
    assert [len(p) for p in pages] == [2, 2, 2]
    assert ids(pages) == [0, 1, 2, 3, 4, 5]
    p = pages[0]
    assert isinstance(p, PageData) and isinstance(p, list)
    assert isinstance(p.paginator, HeaderLinkPaginator)
    assert p.response.status_code == 200
    assert p.response.links["next"]["url"] == "/header_link?page=2"
    assert p.request.method == "GET" and p.auth is None
    assert [q for _, q, _ in Handler.seen] == [{}, {"page": "2"}, {"page": "3"}]


def test_json_link_detected_and_selector(client):
    pages = list(client.paginate("json_link"))
    assert ids(pages) == list(range(9))
    assert isinstance(pages[0].paginator, JSONLinkPaginator)
    assert pages[0].paginator.next_url_path == "next"


@pytest.mark.parametrize("cls", [JSONLinkPaginator, JSONResponsePaginator])
def test_json_link_explicit(client, cls):
    pages = list(client.paginate("/json_link", paginator=cls(next_url_path="next"),
                                 data_selector="data"))
    assert ids(pages) == list(range(9))


def test_offset(client):
    pages = list(client.paginate("/offset", paginator=OffsetPaginator(limit=4)))
    assert ids(pages) == list(range(10))
    assert [q for _, q, _ in Handler.seen] == [
        {"offset": str(o), "limit": "4"} for o in (0, 4, 8)]


def test_offset_has_more_without_total(client):
    pag = OffsetPaginator(limit=2, offset=0, total_path=None, has_more_path="has_more")
    assert ids(client.paginate("/has_more", paginator=pag)) == list(range(6))


def test_page_number_detected_from_total_pages(client):
    pages = list(client.paginate("/page"))
    assert ids(pages) == list(range(10))
    assert isinstance(pages[0].paginator, PageNumberPaginator)
    assert [q.get("page") for _, q, _ in Handler.seen] == [None, "1", "2"]


def test_page_number_explicit(client):
    pag = PageNumberPaginator(base_page=1, page_param="page", total_path="total")
    assert ids(client.paginate("/page1", paginator=pag)) == list(range(10))
    assert [q["page"] for _, q, _ in Handler.seen] == ["1", "2"]


def test_cursor_detected_and_explicit(client):
    pages = list(client.paginate("/cursor"))
    assert ids(pages) == list(range(9))
    assert isinstance(pages[0].paginator, JSONResponseCursorPaginator)
    assert pages[0].paginator.cursor_path == "next_cursor"
    pag = JSONResponseCursorPaginator(cursor_path="next_cursor", cursor_param="cursor")
    assert ids(client.paginate("/cursor", paginator=pag)) == list(range(9))


def test_header_cursor(client):
    pag = HeaderCursorPaginator(cursor_key="X-Next", cursor_param="cursor")
    assert ids(client.paginate("/header_cursor", paginator=pag)) == list(range(6))


def test_cursor_in_post_body(client):
    pag = JSONResponseCursorPaginator(cursor_path="next", cursor_body_path="page.cursor")
    pages = list(client.paginate("/search", method="POST", json={"query": "dlt"},
                                 paginator=pag))
    assert [i for p in pages for i in p] == [{"q": "dlt", "c": c} for c in (0, 1, 2)]
    assert [b for _, _, b in Handler.seen][1] == {"query": "dlt", "page": {"cursor": 1}}


def test_single_page_and_selectors(client):
    pages = list(client.paginate("/nested", paginator=SinglePagePaginator()))
    assert pages == [[{"id": 1}, {"id": 2}]]  # detected selector results.posts
    pages = list(client.paginate("/nested", paginator="single_page", data_selector="meta"))
    assert pages == [[{"count": 2}]]
    pages = list(client.paginate("/nested", data_selector="$.results.posts[*].id"))
    assert pages == [[1, 2]]


def test_client_defaults_and_module_paginate(server):
    c = RESTClient(base_url=server + "/", headers={"X-Client": "1"},
                   paginator=OffsetPaginator(limit=5), data_selector="items")
    assert ids(c.paginate("offset")) == list(range(10))
    assert ids(c.paginate("offset")) == list(range(10))  # a fresh copy of the paginator
    pages = list(paginate(server + "/echo", headers={"X-A": "b"}, params={"q": 1},
                          data_selector="$"))
    assert pages[0][0]["headers"]["x-a"] == "b" and pages[0][0]["query"] == [["q", "1"]]


def test_auth_sent(client):
    def echo(auth):
        (page,) = list(client.paginate("/echo", auth=auth, params={"a": "1"},
                                         data_selector="$"))
        return page[0]

    assert echo(BearerTokenAuth(SECRET))["headers"]["authorization"] == f"Bearer {SECRET}"
    assert echo(HttpBasicAuth("u", "p"))["headers"]["authorization"] == "Basic dTpw"
    assert echo(APIKeyAuth("X-Api-Key", SECRET))["headers"]["x-api-key"] == SECRET
    assert echo(APIKeyAuth("key_q", SECRET, "query"))["query"] == [["a", "1"], ["key_q", SECRET]]
    assert echo(APIKeyAuth("sid", SECRET, "cookie"))["headers"]["cookie"] == f"sid={SECRET}"
    # a requests-style auth of one's own is applied to each paginate call
    class Custom(requests.AuthBase):
        def __call__(self, r):
            r.headers["X-Custom"] = "c"
            return r

    assert echo(Custom())["headers"]["x-custom"] == "c"
    # RESTClient.request with auth
    r = client.get("/echo", auth=BearerTokenAuth(SECRET))
    assert r.json()["headers"]["authorization"] == f"Bearer {SECRET}"


def test_oauth2_client_credentials(server, client):
    auth = OAuth2ClientCredentials(
        access_token_url=server + "/oauth/token", client_id="cid-123456",
        client_secret=SECRET, access_token_request_data={"scope": "read"})
    Handler.hits.pop("token", None)
    assert list(client.paginate("/oauth/data", auth=auth)) == [[{"ok": 1}]]
    assert list(client.paginate("/oauth/data", auth=auth)) == [[{"ok": 1}]]
    assert Handler.hits["token"] == 1  # fetched once, kept until it expires
    assert SECRET not in repr(auth) and TOKEN not in repr(auth)
    # the requests helper fetches it too (the Python flow)
    r = requests.get(server + "/oauth/data", auth=auth)
    assert r.json() == [{"ok": 1}]


class PagesByFlag(BasePaginator):
    """A custom paginator: page numbers in ?p=, until the body says "more": false."""

    def __init__(self):
        super().__init__()
        self.page = 0
        self.calls = []

    def init_request(self, request):
        self.calls.append("init")
        request.params["p"] = self.page

    def update_state(self, response, data=None):
        self.calls.append(("state", len(data)))
        self._has_next_page = response.json()["more"]

    def update_request(self, request):
        self.calls.append("request")
        self.page += 1
        request.params["p"] = self.page


def test_custom_paginator(client):
    pag = PagesByFlag()
    pages = list(client.paginate("/custom", paginator=pag, params={"keep": "y"}))
    assert ids(pages) == list(range(10))
    assert pages[0].paginator is pag
    assert pag.calls == ["init", ("state", 4), "request", ("state", 4), "request",
                         ("state", 2)]
    assert [q for _, q, _ in Handler.seen] == [{"keep": "y", "p": str(i)} for i in range(3)]


def test_custom_paginator_error_propagates(client):
    class Broken(PagesByFlag):
        def update_state(self, response, data=None):
            raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        list(client.paginate("/custom", paginator=Broken()))


def test_hooks(client):
    seen = []

    def ignore_404(response, *args, **kwargs):
        seen.append(response.status_code)
        if response.status_code == 404:
            raise IgnoreResponseException()

    assert list(client.paginate("/status/404", hooks={"response": [ignore_404]})) == []
    # with a hook, an error status is the hook's to judge
    pages = list(client.paginate("/status/500", hooks={"response": [ignore_404]}))
    assert pages == [[{"error": "token None"}]] and seen == [404, 500]

    def fail(response, *args, **kwargs):
        raise ValueError("hook says no")

    with pytest.raises(ValueError, match="hook says no"):
        list(client.paginate("/header_link", hooks={"response": fail}))


def test_http_error_and_secret(client, server):
    auth = APIKeyAuth("x_key", SECRET, location="query")
    with pytest.raises(requests.HTTPError) as e:
        list(client.paginate("/status/404", auth=auth))
    msg = str(e.value)
    assert msg.startswith("404 Client Error: Not Found for url: " + server + "/status/404")
    assert SECRET not in msg
    assert e.value.response.status_code == 404
    # the body with the key echoed is shown only with http_show_error_body, masked
    c = RESTClient(server, config={"http_show_error_body": True},
                   session=Client(request_backoff_factor=0).session)
    with pytest.raises(requests.HTTPError) as e:
        list(c.paginate("/status/403", auth=auth))
    assert "Response:" in str(e.value) and SECRET not in str(e.value)


def test_not_json(client):
    with pytest.raises(requests.JSONDecodeError, match="not JSON"):
        list(client.paginate("/not_json"))


def test_retry_in_paginate(client):
    assert list(client.paginate("/flaky/p")) == [[{"fine": True}]]


def test_request_get_post(client):
    r = client.get("/status/404")
    assert r.status_code == 404  # RESTClient.request does not raise (dlt's session)
    r = client.post("/echo", json={"a": 1}, headers={"X-Req": "r"})
    body = r.json()
    assert body["body"] == {"a": 1} and body["headers"]["x-req"] == "r"
    assert body["headers"]["user-agent"].startswith("dlt/")
    r = client.post("/echo", data={"f": "v"})
    assert r.json()["body"] == "f=v"
    with pytest.raises(ValueError, match="Cannot use both"):
        client.post("/echo", json={"a": 1}, data={"b": 2})


def test_paginator_validation_and_str():
    with pytest.raises(ValueError):
        OffsetPaginator(limit=10, total_path=None, stop_after_empty_page=False)
    assert str(JSONLinkPaginator("pagination.next")).startswith("JSONLinkPaginator at ")
    assert "pagination.next" in str(JSONLinkPaginator("pagination.next"))
    copy.deepcopy(OffsetPaginator(limit=3))


def test_paginate_in_threads(client):
    out = []

    def work():
        out.append(ids(client.paginate("/offset", paginator=OffsetPaginator(limit=3))))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == [list(range(10))] * 4
