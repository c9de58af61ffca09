"""A real HTTP server on 127.0.0.1 for the fetch and feed tests: a test puts replies in `routes`
and reads what was asked of it in `requests`. Loopback only, so the socket guard lets it be."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    body: bytes | str = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    etag: str | None = None  # answered 304 when the request's If-None-Match is this
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    length: bool = True  # send Content-Length (else the body ends when the connection closes)


@dataclass
class Request:
    path: str
    headers: dict[str, str]


class Site:
    def __init__(self) -> None:
        self.routes: dict[str, Reply] = {}
        self.requests: list[Request] = []
        self.busy = 0
        self.most_busy = 0  # the most requests answered at one time
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> Site:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def asked(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def redirect(self, path: str, to: str, status: int = 302) -> None:
        self.routes[path] = Reply(status=status, headers={"Location": to})

    def _handler(self):
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
                with site._lock:
                    site.requests.append(Request(self.path, dict(self.headers)))
                    site.busy += 1
                    site.most_busy = max(site.most_busy, site.busy)
                try:
                    self._answer(site.routes.get(self.path) or Reply("not here", status=404))
                finally:
                    with site._lock:
                        site.busy -= 1

            def _answer(self, reply: Reply) -> None:
                time.sleep(reply.delay)
                if reply.etag and self.headers.get("If-None-Match") == reply.etag:
                    self.send_response(304)
                    self.send_header("ETag", reply.etag)
                    self.end_headers()
                    return
                body = reply.body.encode() if isinstance(reply.body, str) else reply.body
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Date", formatdate(usegmt=True))
                if reply.etag:
                    self.send_header("ETag", reply.etag)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.length:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the client stopped reading
                    pass

            def log_message(self, *args) -> None:
                pass

        return Handler
