"""dlt.sources.helpers.requests on libdltc's HTTP client, against a Python http.server in a
thread of this process (so every blocking call must release the GIL)."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, urlsplit

import pytest

from conftest import local_http_server

from dlt.sources.helpers import requests
from dlt.sources.helpers.requests import Client, Session
from dlt.sources.helpers.rest_client.auth import APIKeyAuth, BearerTokenAuth, HttpBasicAuth

SECRET = "sup3r-s3cret-t0ken-xyz"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hits = {}
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=None, ctype="application/json"):
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def count(self, key):
        with self.lock:
            self.hits[key] = self.hits.get(key, 0) + 1
            return self.hits[key]

    def echo(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode() if n else ""
        u = urlsplit(self.path)
        return {
            "method": self.command,
            "path": u.path,
            "query": parse_qsl(u.query, keep_blank_values=True),
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body,
        }

    def route(self):
        e = self.echo()
        parts = e["path"].strip("/").split("/")
        if parts[0] == "echo":
            return self.reply(200, e)
        if parts[0] == "status":
            n = self.count(e["path"])
            return self.reply(int(parts[1]), {"error": "nope", "hits": n})
        if parts[0] == "flaky":  # /flaky/<key>/<failures>: 503 that many times, then 200
            n = self.count(e["path"])
            if n <= int(parts[2]):
                return self.reply(503, {"try": n})
            return self.reply(200, {"ok": True, "hits": n})
        if parts[0] == "retry-after":  # 429 with Retry-After: 1 once, then 200
            n = self.count(e["path"])
            if n == 1:
                return self.reply(429, {"slow": "down"}, {"Retry-After": "1"})
            return self.reply(200, {"hits": n})
        if parts[0] == "links":
            link = '<http://x/items?page=2>; rel="next", <http://x/items?page=9>; rel="last"'
            return self.reply(200, [], {"Link": link})
        if parts[0] == "text":
            return self.reply(200, "héllo".encode("utf-8"), ctype="text/plain; charset=utf-8")
        if parts[0] == "slow":
            time.sleep(2.5)
            try:
                return self.reply(200, {})
            except (BrokenPipeError, ConnectionResetError):  # the client gave up, as meant
                return None
        return self.reply(404, {"path": e["path"]})

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = route


@pytest.fixture(scope="module")
def server():
    with local_http_server(Handler) as url:
        yield url


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0")


def fast(**kw):
    kw.setdefault("request_backoff_factor", 0)
    return Client(**kw)


def test_get_json_params_headers(server):
    r = requests.get(server + "/echo", params={"a": 1, "b": "x y", "t": True, "n": None,
                                               "l": [1, 2]}, headers={"X-Test": "yes"})
    assert r.status_code == 200 and r.ok and r.reason == "OK"
    body = r.json()
    assert body["method"] == "GET"
    assert body["query"] == [["a", "1"], ["b", "x y"], ["t", "True"], ["l", "1"], ["l", "2"]]
    assert body["headers"]["x-test"] == "yes"
    assert body["headers"]["user-agent"].startswith("dlt/")
    assert r.headers["content-type"] == "application/json"
    assert r.headers["CONTENT-TYPE"] == r.headers["Content-Type"]
    assert r.url == server + "/echo?a=1&b=x+y&t=True&l=1&l=2"
    assert isinstance(r.content, bytes) and r.text == r.content.decode()
    assert r.elapsed.total_seconds() >= 0
    assert repr(r) == "<Response [200]>"


def test_params_as_pairs(server):
    r = requests.get(server + "/echo?z=0", params=[("k", "v"), ("k", "w")])
    assert r.json()["query"] == [["z", "0"], ["k", "v"], ["k", "w"]]


def test_post_json_and_form(server):
    r = requests.post(server + "/echo", json={"x": [1, 2], "y": None})
    body = r.json()
    assert body["method"] == "POST"
    assert json.loads(body["body"]) == {"x": [1, 2], "y": None}
    assert body["headers"]["content-type"] == "application/json"
    r = requests.post(server + "/echo", data={"a": "1", "b": "é&"})
    body = r.json()
    assert body["body"] == "a=1&b=%C3%A9%26"
    assert body["headers"]["content-type"] == "application/x-www-form-urlencoded"
    r = requests.put(server + "/echo", data=b"raw bytes")
    assert r.json()["method"] == "PUT" and r.json()["body"] == "raw bytes"
    assert requests.patch(server + "/echo", data="s").json()["method"] == "PATCH"
    assert requests.delete(server + "/echo").json()["method"] == "DELETE"
    assert requests.options(server + "/echo").json()["method"] == "OPTIONS"
    h = requests.head(server + "/echo")
    assert h.status_code == 200 and h.content == b""


def test_text_encoding(server):
    r = requests.get(server + "/text")
    assert r.encoding == "utf-8" and r.text == "héllo"


def test_raise_for_status_text_and_no_retry_on_404(server):
    with pytest.raises(requests.HTTPError) as e:
        requests.get(server + "/status/404?api_key=abc")
    assert str(e.value) == f"404 Client Error: Not Found for url: {server}/status/404?api_key=***"
    assert e.value.response.status_code == 404
    assert e.value.response.json()["hits"] == 1  # not retried
    assert isinstance(e.value, requests.RequestException)


def test_raise_for_status_off(server):
    c = fast(raise_for_status=False)
    r = c.get(server + "/status/500")
    assert r.status_code == 500 and not r.ok
    assert r.json()["hits"] == 5  # retried, then returned
    with pytest.raises(requests.HTTPError, match=r"^500 Server Error: Internal Server Error"):
        r.raise_for_status()


def test_503_then_200_is_retried(server):
    r = fast().get(server + "/flaky/a/2")
    assert r.status_code == 200 and r.json()["hits"] == 3
    assert r.attempts == 3


def test_attempts_run_out(server):
    with pytest.raises(requests.HTTPError, match="503 Server Error") as e:
        fast(request_max_attempts=2).get(server + "/flaky/b/5")
    assert e.value.response.json() == {"try": 2}


def test_retry_after_replaces_backoff(server):
    t = time.monotonic()
    r = fast().get(server + "/retry-after/a")
    assert r.status_code == 200 and r.json()["hits"] == 2
    assert time.monotonic() - t >= 0.9  # Retry-After: 1, though the backoff factor is 0
    t = time.monotonic()
    r = fast(respect_retry_after_header=False).get(server + "/retry-after/b")
    assert r.status_code == 200 and time.monotonic() - t < 0.9


def test_links(server):
    r = requests.get(server + "/links")
    assert r.links == {
        "next": {"url": "http://x/items?page=2", "rel": "next"},
        "last": {"url": "http://x/items?page=9", "rel": "last"},
    }


def test_connection_error(server):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(requests.ConnectionError) as e:
        fast(request_max_attempts=2).get(f"http://127.0.0.1:{port}/x?token=abc")
    assert "token=***" in str(e.value) and "after 2 attempts" in str(e.value)


def test_timeout(server):
    t = time.monotonic()
    with pytest.raises(requests.Timeout):
        fast(request_max_attempts=1).get(server + "/slow", timeout=0.5)
    assert time.monotonic() - t < 2.4


def test_invalid_url():
    with pytest.raises(requests.RequestException):
        requests.get("ftp://127.0.0.1/x")
    with pytest.raises(ValueError):
        requests.get("")


def test_runtime_config_is_read(server, monkeypatch):
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "2")
    r = Client(raise_for_status=False).get(server + "/flaky/c/5")
    assert r.status_code == 503 and r.json() == {"try": 2}
    # an explicit argument wins over the config
    r = Client(raise_for_status=False, request_max_attempts=3).get(server + "/flaky/d/5")
    assert r.json() == {"try": 3}


def test_session_and_client_session(server):
    c = fast()
    s = c.session
    assert isinstance(s, Session) and s is c.session  # one per thread
    other = []
    th = threading.Thread(target=lambda: other.append(c.session))
    th.start()
    th.join()
    assert other[0] is not s
    s.headers["X-Session"] = "1"
    assert c.get(server + "/echo").json()["headers"]["x-session"] == "1"
    # a plain Session sends once, like requests.Session
    with Session(raise_for_status=False) as plain:
        assert plain.get(server + "/flaky/e/1").status_code == 503


def test_auth_objects_and_tuple(server):
    r = requests.get(server + "/echo", auth=BearerTokenAuth(SECRET))
    assert r.json()["headers"]["authorization"] == f"Bearer {SECRET}"
    r = requests.get(server + "/echo", auth=("user", "pass"))
    assert r.json()["headers"]["authorization"] == "Basic dXNlcjpwYXNz"
    r = requests.get(server + "/echo", auth=HttpBasicAuth("user", "pass"))
    assert r.json()["headers"]["authorization"] == "Basic dXNlcjpwYXNz"
    r = requests.get(server + "/echo", auth=APIKeyAuth("X-Key", SECRET))
    assert r.json()["headers"]["x-key"] == SECRET
    r = requests.get(server + "/echo", params={"a": "1"},
                     auth=APIKeyAuth("custom_q", SECRET, location="query"))
    assert r.json()["query"] == [["a", "1"], ["custom_q", SECRET]]


def test_secret_never_in_messages(server):
    auth = APIKeyAuth("custom_q", SECRET, location="query")
    with pytest.raises(requests.HTTPError) as e:
        requests.get(server + "/status/403", auth=auth)
    assert SECRET not in str(e.value) and "403 Client Error: Forbidden" in str(e.value)
    assert SECRET not in repr(auth) and SECRET not in repr(BearerTokenAuth(SECRET))


def test_hooks(server):
    seen = []
    r = requests.get(server + "/echo", hooks={"response": lambda r, **kw: seen.append(r)})
    assert seen == [r]


def test_concurrent_threads(server):
    results = []

    def work():
        results.append(requests.get(server + "/echo").status_code)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 8
