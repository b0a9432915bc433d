"""Fixtures of the Python front's tests: a private working folder and DLT_DATA_DIR per test,
and the GitHub-shaped test server (tests/support/github_server.c) on 127.0.0.1."""
import contextlib
import os
import subprocess
import sys
import threading
import time

import pytest

BUILD = os.path.abspath(os.environ.get("DLTC_BUILD_DIR") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build"))
sys.path.insert(0, os.path.join(BUILD, "python"))


@pytest.fixture(autouse=True)
def workdir(tmp_path, monkeypatch):
    """Each test runs in its own folder with its own pipelines dir and no stray config."""
    for k in list(os.environ):
        if k.startswith(("SOURCES__", "DESTINATION__", "RUNTIME__", "NORMALIZE__")):
            monkeypatch.delenv(k)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt_data"))
    monkeypatch.setenv("DLT_PROJECT_DIR", str(tmp_path))
    import dlt

    dlt.config.reload()
    yield tmp_path
    dlt.config.reload()


@contextlib.contextmanager
def local_http_server(handler):
    """A threaded http.server with `handler` on 127.0.0.1 (a free port); yields its URL."""
    from http.server import ThreadingHTTPServer

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try:
        yield "http://127.0.0.1:%d" % httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


class GitHub:
    """The fake GitHub: base URL, token and its admin endpoints."""

    def __init__(self, proc, port, token):
        self.proc = proc
        self.port = port
        self.token = token
        self.base_url = "http://127.0.0.1:%d" % port

    def admin(self, path):
        import urllib.request

        get = path == "/_admin/stats"
        req = urllib.request.Request(self.base_url + path, method="GET" if get else "POST",
                                     data=None if get else b"")
        with urllib.request.urlopen(req) as r:
            return r.read().decode()

    def stats(self):
        return self.admin("/_admin/stats")


@pytest.fixture
def github(tmp_path):
    server = os.path.join(BUILD, "tests", "github_server")
    port_file = tmp_path / "gh_port"
    token = "s3cret-token-123"
    # the server is a program of its own (with its own ASan runtime in sanitizer builds)
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    proc = subprocess.Popen([server, "--port-file", str(port_file), "--token", token],
                            stdin=subprocess.PIPE, env=env)
    for _ in range(200):
        if port_file.exists() and port_file.read_text().strip():
            break
        time.sleep(0.02)
    port = int(port_file.read_text())
    yield GitHub(proc, port, token)
    proc.stdin.close()
    proc.terminate()
    proc.wait(10)


def pg_uri():
    d = os.environ.get("DLTC_TEST_PG_DIR")
    if d and os.path.exists(os.path.join(d, "uri")):
        with open(os.path.join(d, "uri")) as f:
            return f.read().strip()
    return None
