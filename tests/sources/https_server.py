"""A local HTTPS server for report-source tests, signed by a trustme CA."""

from __future__ import annotations

import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import trustme


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    bearer: str | None = None  # the token this route requires
    basic: str | None = None  # the base64 "user:password" this route requires
    delay: float = 0.0


class ReportServer:
    def __init__(self, tmp_path) -> None:
        self.ca = trustme.CA()
        self.ca_bundle = tmp_path / "report-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_bundle))
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append((self.path, dict(self.headers)))
                route = server.routes.get(self.path)
                if route is None:
                    return self._answer(404, {}, b"not found")
                if route.delay:
                    time.sleep(route.delay)
                auth = self.headers.get("Authorization", "")
                if route.bearer and auth != f"Bearer {route.bearer}":
                    return self._answer(401, {"WWW-Authenticate": "Bearer"}, b"")
                if route.basic and auth != f"Basic {route.basic}":
                    return self._answer(401, {"WWW-Authenticate": "Basic"}, b"")
                headers = dict(route.headers)
                if route.etag:
                    headers["ETag"] = route.etag
                if route.last_modified:
                    headers["Last-Modified"] = route.last_modified
                if route.etag and self.headers.get("If-None-Match") == route.etag:
                    return self._answer(304, headers, b"")
                self._answer(route.status, headers, route.body)

            def _answer(self, status, headers, body):
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.base_url = f"https://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
