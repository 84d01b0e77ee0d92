"""The HTTPS server: TLS with a local CA, routing, faults, latency and limits."""

from __future__ import annotations

import http.client
import json
import os
import pickle
import secrets
import socket
import ssl
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from . import bulk, oauth, rest, seed
from .control import Control, handle_control
from .wire import Request, Response, api_error, json_response, not_found

MAX_REQUEST_LINE = 16_384
KINDS = ("query", "composite", "collections", "bulk", "oauth", "describe", "limits", "other")


class EmulatorState:
    """Everything the emulator knows; shared by all request threads."""

    def __init__(self, seed_name: str = "demo"):
        self.seed_name = seed_name
        self.secret = secrets.token_bytes(32)
        self.base_url = ""
        self.production_login_url = ""
        self.sandbox_login_url = ""
        self.auth_lock = threading.RLock()
        self.latency_ms = 0
        self.faults: list = []
        self.fault_lock = threading.Lock()
        self.stopping = threading.Event()
        self.token_lifetime = 7200.0
        self.bulk_delay = 0.0
        self.rotation = False
        self.extra_redirect_uris: list[str] = []
        self.global_counts = Counter()
        self.cache: dict = {}
        self.reset()

    def reset(self):
        with self.auth_lock:
            self.orgs = seed.make_orgs()
            if self.seed_name == "demo":
                seed.seed_demo(self.orgs)
            else:
                seed.seed_demo(self.orgs, contacts=False)
            app = seed.make_app()
            for uri in self.extra_redirect_uris:
                if uri not in app.redirect_uris:
                    app.redirect_uris.append(uri)
            self.apps = {app.client_id: app}
            self.codes: dict = {}
            self.refresh_tokens: dict = {}
            self.sessions: dict = {}
            self.cursors: dict = {}
            self.jobs: dict = {}
            self.cache = {}
            self.rotation = False
            self.token_lifetime = 7200.0
            self.latency_ms = self._initial_latency if hasattr(self, "_initial_latency") else 0
            self.bulk_delay = 0.0
            with self.fault_lock:
                self.faults = []
            self.global_counts = Counter()

    def count(self, org, kind: str):
        if org is None:
            self.global_counts[kind] += 1
        else:
            org.request_counts[kind] += 1

    def take_fault(self, kind: str):
        with self.fault_lock:
            for i, f in enumerate(self.faults):
                if f["kinds"] is None or kind in f["kinds"]:
                    f["remaining"] -= 1
                    if f["remaining"] <= 0:
                        self.faults.pop(i)
                    return f
        return None


def _request_kind(path: str, method: str) -> str:
    if path.startswith("/services/oauth2/") or path.startswith("/id/"):
        return "oauth"
    if path.startswith("/services/data/v"):
        rest_path = path.split("/", 4)[4] if path.count("/") >= 4 else ""
        return rest.endpoint_kind(rest_path.strip("/"), method)
    return "other"


def dispatch(emu: EmulatorState, req: Request) -> Response:
    path = req.path
    if path.startswith("/services/oauth2/"):
        name = path[len("/services/oauth2/") :].strip("/")
        if name == "authorize":
            return oauth.authorize(emu, req)
        if name == "token":
            return oauth.token(emu, req)
        if name == "revoke":
            return oauth.revoke(emu, req)
        if name == "userinfo":
            return oauth.userinfo(emu, req)
        return not_found()
    if path.startswith("/id/"):
        parts = path.strip("/").split("/")
        if len(parts) == 3:
            return oauth.identity(emu, req, parts[1], parts[2])
        return not_found()
    if path.rstrip("/") == "/services/data":
        return rest.versions(emu)
    if path.startswith("/services/data/"):
        seg, _, rest_path = path[len("/services/data/") :].partition("/")
        version = rest.parse_version(seg)
        if version is None:
            return not_found()
        session = oauth.bearer_session(emu, req)
        if session is None:
            return api_error(401, "INVALID_SESSION_ID", "Session expired or invalid")
        org = emu.orgs[session.org_key]
        req.session = session
        kind = rest.endpoint_kind(rest_path.strip("/"), req.method)
        with org.lock:
            if org.api_used >= org.api_max:
                resp = api_error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
                resp.headers["Sforce-Limit-Info"] = f"api-usage={org.api_used}/{org.api_max}"
                return resp
            org.api_used += 1
        emu.count(org, kind)
        resp = rest.route(emu, req, session, version, rest_path.strip("/"))
        resp.headers["Sforce-Limit-Info"] = f"api-usage={org.api_used}/{org.api_max}"
        return resp
    return not_found()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SalesforceEmulator/1.0"
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        if os.environ.get("SALESFORCE_EMULATOR_LOG"):
            super().log_message(format, *args)

    def handle_one_request(self):
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline:
                self.close_connection = True
                return
            if len(self.raw_requestline) > MAX_REQUEST_LINE:
                self._too_long()
                return
            if not self.parse_request():
                return
            self._serve()
            self.wfile.flush()
        except (TimeoutError, ConnectionError, ssl.SSLError, OSError):
            self.close_connection = True

    def _too_long(self):
        # Drain the rest of the request line and the headers, then answer 414.
        line = self.raw_requestline
        total = len(line)
        while not line.endswith(b"\n") and total < 10_000_000:
            line = self.rfile.readline(65537)
            if not line:
                break
            total += len(line)
        try:
            http.client.parse_headers(self.rfile)
        except http.client.HTTPException:
            pass
        self.request_version = "HTTP/1.1"
        self.command = "GET"
        self.requestline = "<too long>"
        body = json.dumps(
            [{"message": "URI Too Long", "errorCode": "URI_TOO_LONG"}], separators=(",", ":")
        ).encode()
        self.send_response(414)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def _read_body(self) -> tuple[bytes, int]:
        length = int(self.headers.get("Content-Length") or 0)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            data = b"".join(chunks)
            return data, len(data)
        if length > bulk.MAX_UPLOAD_BYTES:
            remaining = length
            while remaining > 0:
                got = self.rfile.read(min(remaining, 1 << 20))
                if not got:
                    break
                remaining -= len(got)
            return b"", length
        return (self.rfile.read(length) if length else b""), length

    def _serve(self):
        emu: EmulatorState = self.server.emu
        body, declared = self._read_body()
        split = urlsplit(self.path)
        host_header = self.headers.get("Host", "127.0.0.1")
        host = (
            host_header.rsplit(":", 1)[0].strip("[]")
            if not host_header.startswith("[")
            else host_header
        )
        req = Request(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers=self.headers,
            body=body,
            host=host,
            port=self.server.server_address[1],
        )
        req.declared_length = declared
        if split.path.startswith("/__emulator__/"):
            resp = handle_control(self.server.owner, req)
            self._send(resp)
            return
        kind = _request_kind(split.path, self.command)
        fault = emu.take_fault(kind)
        if fault is not None:
            if fault["kind"] == "timeout":
                emu.stopping.wait(fault["hold"])
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            resp = api_error(
                503, "SERVER_UNAVAILABLE", "Server temporarily unavailable. Please try again later."
            )
            self._send(resp)
            return
        if emu.latency_ms:
            time.sleep(emu.latency_ms / 1000.0)
        try:
            resp = dispatch(emu, req)
        except Exception as e:  # pragma: no cover - surfaced as Salesforce's UNKNOWN_EXCEPTION
            import traceback

            traceback.print_exc()
            resp = api_error(500, "UNKNOWN_EXCEPTION", f"An unexpected error occurred: {e!r}")
        if declared > bulk.MAX_UPLOAD_BYTES:
            resp.close = True
        self._send(resp)

    def _send(self, resp: Response):
        self.send_response(resp.status)
        if resp.content_type:
            self.send_header("Content-Type", resp.content_type)
        for k, v in resp.headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(resp.body)))
        if resp.close:
            self.send_header("Connection", "close")
            self.close_connection = True
        # headers and body in one write (one TLS record, no Nagle/delayed-ACK stall)
        self._headers_buffer.append(b"\r\n")
        if self.command != "HEAD" and resp.body:
            self._headers_buffer.append(resp.body)
        self.wfile.write(b"".join(self._headers_buffer))
        self._headers_buffer = []


class _TLSServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, handler, ssl_context):
        self.ssl_context = ssl_context
        super().__init__(addr, handler)

    def get_request(self):
        sock, addr = super().get_request()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self.ssl_context.wrap_socket(
            sock, server_side=True, do_handshake_on_connect=False
        ), addr

    def finish_request(self, request, client_address):
        try:
            request.settimeout(60)
            request.do_handshake()
        except (ssl.SSLError, OSError):
            return
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        pass


def make_certs(cert_dir: Path, hosts=("127.0.0.1", "localhost")) -> tuple[Path, Path, Path]:
    """A local CA (trustme) and a server certificate for ``hosts``; returns (ca, cert, key)."""
    import trustme

    cert_dir.mkdir(parents=True, exist_ok=True)
    ca_path = cert_dir / "ca.pem"
    cert_path = cert_dir / "server-chain.pem"
    key_path = cert_dir / "server-key.pem"
    ca_key_path = cert_dir / "ca-key.pem"
    ca = None
    if ca_path.exists() and ca_key_path.exists():
        # Reuse the CA so a browser or tool told to trust ca.pem keeps trusting it.
        try:
            ca = trustme.CA.from_pem(ca_path.read_bytes(), ca_key_path.read_bytes())
        except Exception:
            ca = None
    if ca is None:
        ca = trustme.CA(organization_name="Salesforce Emulator Local CA")
        ca.cert_pem.write_to_path(str(ca_path))
        ca.private_key_pem.write_to_path(str(ca_key_path))
        os.chmod(ca_key_path, 0o600)
    leaf = ca.issue_cert(*hosts)
    leaf.private_key_pem.write_to_path(str(key_path))
    with open(cert_path, "wb") as f:
        for blob in leaf.cert_chain_pems:
            f.write(blob.bytes())
    return ca_path, cert_path, key_path


class EmulatorServer:
    """An in-process Salesforce emulator over HTTPS.

    >>> with EmulatorServer() as sf:
    ...     sf.base_url, sf.ca_bundle
    """

    def __init__(
        self,
        port: int = 0,
        host: str = "127.0.0.1",
        seed: str = "demo",
        latency_ms: int = 0,
        state_file: str | os.PathLike | None = None,
        cert_dir: str | os.PathLike | None = None,
        control_token: str | None = None,
        redirect_uris=(),
    ):
        self.host = host
        self.port = port
        self.state_file = Path(state_file) if state_file else None
        self.cert_dir = Path(cert_dir) if cert_dir else Path("var/emulator")
        self.control_token = control_token or secrets.token_urlsafe(24)
        self.emu = EmulatorState(seed)
        self.emu._initial_latency = latency_ms
        self.emu.latency_ms = latency_ms
        self.emu.extra_redirect_uris = list(redirect_uris)
        if redirect_uris:
            for uri in redirect_uris:
                for app in self.emu.apps.values():
                    if uri not in app.redirect_uris:
                        app.redirect_uris.append(uri)
        self.control = Control(self)
        self._httpd = None
        self._thread = None
        self.ca_bundle = ""

    # ----- lifecycle
    def start(self) -> EmulatorServer:
        ca, cert, key = make_certs(self.cert_dir)
        self.ca_bundle = str(ca.resolve())
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(cert), str(key))
        self._httpd = _TLSServer((self.host, self.port), Handler, ctx)
        self._httpd.emu = self.emu
        self._httpd.owner = self
        self.port = self._httpd.server_address[1]
        self.base_url = f"https://127.0.0.1:{self.port}"
        self.production_login_url = f"https://127.0.0.1:{self.port}"
        self.sandbox_login_url = f"https://localhost:{self.port}"
        self.emu.base_url = self.base_url
        self.emu.production_login_url = self.production_login_url
        self.emu.sandbox_login_url = self.sandbox_login_url
        if self.state_file and self.state_file.exists():
            self.load_state(self.state_file)
        self.emu.stopping.clear()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        if self._httpd is None:
            return
        self.emu.stopping.set()
        if self.state_file:
            self.save_state(self.state_file)
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
        self._httpd = None

    def __enter__(self):
        return self.start() if self._httpd is None else self

    def __exit__(self, *exc):
        self.stop()

    # ----- persistence
    def save_state(self, path):
        emu = self.emu
        data = {}
        for key, org in emu.orgs.items():
            data[key] = {
                "tables": {
                    name: {"n": t.n, "cols": t.cols, "deleted": t.deleted}
                    for name, t in org.tables.items()
                },
                "api_used": org.api_used,
                "api_max": org.api_max,
                "hidden": org.hidden_fields,
            }
        data["_apps"] = {cid: app.redirect_uris for cid, app in emu.apps.items()}
        # Refresh tokens survive a restart, as an org's do; access tokens do not, so clients
        # see an expired session and refresh, exactly as after a Salesforce session timeout.
        data["_refresh_tokens"] = dict(emu.refresh_tokens)
        tmp = Path(str(path) + ".tmp")
        with open(tmp, "wb") as f:
            pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)

    def load_state(self, path):
        with open(path, "rb") as f:
            data = pickle.load(f)
        emu = self.emu
        for key, od in data.items():
            if key == "_apps":
                for cid, uris in od.items():
                    if cid in emu.apps:
                        emu.apps[cid].redirect_uris = list(uris)
                continue
            if key == "_refresh_tokens":
                emu.refresh_tokens.update(od)
                continue
            org = emu.orgs.get(key)
            if org is None:
                continue
            for name, td in od["tables"].items():
                t = org.tables.get(name)
                if t is None:
                    continue
                t.n, t.cols, t.deleted, t.indexes = td["n"], td["cols"], td["deleted"], {}
            org.api_used, org.api_max, org.hidden_fields = (
                od["api_used"],
                od["api_max"],
                od["hidden"],
            )


__all__ = ["EmulatorServer", "EmulatorState", "KINDS", "json_response"]
