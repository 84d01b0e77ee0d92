"""Control and inspection: a Python API and the token-guarded HTTP API under /__emulator__/."""

from __future__ import annotations

import hmac
import time
from collections import Counter

from . import seed as seed_mod
from .store import SaveError, prepare_update
from .wire import Request, Response, json_response

KINDS = ("query", "composite", "collections", "bulk", "oauth", "describe", "limits", "other")


class Control:
    """Python control API of a running :class:`EmulatorServer` (``server.control``)."""

    def __init__(self, server):
        self._server = server

    @property
    def _emu(self):
        return self._server.emu

    def _org(self, org: str = "production"):
        return self._emu.orgs[org]

    # ----- state
    def reset(self):
        """Back to the seed: records, tokens, jobs, faults, limits, counters, settings."""
        self._emu.reset()

    def set_latency(self, ms: int):
        self._emu.latency_ms = int(ms)

    def fail_next(self, n: int, kind: str = "503", hold_seconds: float = 5.0, endpoints=None):
        """Fail the next ``n`` requests with 503 SERVER_UNAVAILABLE or a timeout.

        ``kind="timeout"`` holds the connection ``hold_seconds`` then closes it without a
        response. ``endpoints`` restricts the fault to request kinds (e.g. ``["composite"]``).
        """
        if kind not in ("503", "timeout"):
            raise ValueError("kind must be '503' or 'timeout'")
        with self._emu.fault_lock:
            self._emu.faults.append(
                {
                    "remaining": int(n),
                    "kind": kind,
                    "hold": float(hold_seconds),
                    "kinds": set(endpoints) if endpoints else None,
                }
            )

    def clear_faults(self):
        with self._emu.fault_lock:
            self._emu.faults = []

    def lock_records(self, ids, times: int | None = None, org: str | None = None):
        """Make updates of ``ids`` fail with UNABLE_TO_LOCK_ROW (forever or ``times`` attempts)."""
        orgs = [self._org(org)] if org else list(self._emu.orgs.values())
        for o in orgs:
            with o.lock:
                for id_ in ids:
                    t = o.table_for_id(id_)
                    full = id_
                    if t is not None:
                        row = t.parse_id(id_)
                        if row is not None:
                            full = t.id_of(row)
                    o.locks[full] = times

    def unlock_records(self, ids=None):
        for o in self._emu.orgs.values():
            with o.lock:
                if ids is None:
                    o.locks.clear()
                else:
                    for i in ids:
                        o.locks.pop(i, None)

    def expire_sessions(self):
        with self._emu.auth_lock:
            for s in self._emu.sessions.values():
                s.expires = 0

    def revoke_refresh_tokens(self):
        with self._emu.auth_lock:
            for g in self._emu.refresh_tokens.values():
                g.revoked = True
            for s in self._emu.sessions.values():
                if s.refresh:
                    s.revoked = True

    def set_refresh_token_rotation(self, on: bool):
        self._emu.rotation = bool(on)

    def set_token_lifetime(self, seconds: float):
        self._emu.token_lifetime = float(seconds)

    def set_bulk_delay(self, seconds: float):
        """Delay Bulk job processing after UploadComplete (pollers then see InProgress)."""
        self._emu.bulk_delay = float(seconds)

    def set_daily_limit(self, max: int, used: int | None = None, org: str | None = None):  # noqa: A002
        for o in [self._org(org)] if org else self._emu.orgs.values():
            o.api_max = int(max)
            if used is not None:
                o.api_used = int(used)

    def api_usage(self, org: str = "production") -> dict:
        o = self._org(org)
        return {"used": o.api_used, "max": o.api_max}

    def hide_field(self, sobject: str, field: str, org: str | None = None):
        for o in [self._org(org)] if org else self._emu.orgs.values():
            o.hidden_fields.add((sobject, field))

    def show_field(self, sobject: str, field: str, org: str | None = None):
        for o in [self._org(org)] if org else self._emu.orgs.values():
            o.hidden_fields.discard((sobject, field))

    def add_redirect_uri(self, uri: str):
        emu = self._emu
        if uri not in emu.extra_redirect_uris:
            emu.extra_redirect_uris.append(uri)
        for app in emu.apps.values():
            if uri not in app.redirect_uris:
                app.redirect_uris.append(uri)

    def set_pkce_required(self, required: bool):
        for app in self._emu.apps.values():
            app.require_pkce = bool(required)

    def add_validation_rule(
        self, sobject: str, predicate, message: str, field: str | None = None, org=None
    ):
        from .store import ValidationRule

        for o in [self._org(org)] if org else self._emu.orgs.values():
            o.rules.setdefault(sobject, []).append(
                ValidationRule("custom", predicate, message, field)
            )

    # ----- records
    def records(
        self, sobject: str, org: str = "production", fields=None, include_deleted: bool = False
    ) -> list[dict]:
        o = self._org(org)
        with o.lock:
            t = o.tables[sobject]
            names = fields or [
                n for n, f in t.fields.items() if f["type"] not in ("address", "location")
            ]
            rows = range(t.n) if include_deleted else t.live_rows()
            return [t.record(r, names) for r in rows]

    def count(self, sobject: str, org: str = "production") -> int:
        t = self._org(org).tables[sobject]
        return t.n - len(t.deleted)

    def get_record(self, sobject: str, id: str, org: str = "production") -> dict | None:  # noqa: A002
        o = self._org(org)
        with o.lock:
            t = o.tables[sobject]
            row = t.parse_id(id)
            if row is None or not t.exists(row):
                return None
            names = [n for n, f in t.fields.items() if f["type"] not in ("address", "location")]
            return t.record(row, names)

    def insert_records(self, sobject: str, rows, org: str = "production") -> list[str]:
        o = self._org(org)
        with o.lock:
            t = o.tables[sobject]
            return [t.insert(dict(r)) for r in rows]

    def update_record(self, sobject: str, id: str, values: dict, org: str = "production"):  # noqa: A002
        """Validated update, as the API would do it (raises SaveError)."""
        from .store import apply_update

        o = self._org(org)
        with o.lock:
            t = o.tables[sobject]
            row = t.parse_id(id)
            apply_update(t, row, prepare_update(t, row, id, values))

    def delete_records(self, ids, org: str = "production"):
        from .rest import delete_row

        o = self._org(org)
        with o.lock:
            for id_ in ids:
                t = o.table_for_id(id_)
                row = t.parse_id(id_) if t else None
                if row is None or not t.exists(row):
                    raise KeyError(id_)
                delete_row(t, row)

    def generate_contacts(self, n: int, org: str = "production", **kw) -> tuple[int, int]:
        return seed_mod.generate_contacts(self._org(org), int(n), **kw)

    # ----- counters
    def request_counts(self, org: str | None = None) -> dict:
        c = Counter()
        if org:
            c.update(self._org(org).request_counts)
        else:
            for o in self._emu.orgs.values():
                c.update(o.request_counts)
            c.update(self._emu.global_counts)
        return {k: c.get(k, 0) for k in KINDS}

    def reset_request_counts(self):
        for o in self._emu.orgs.values():
            o.request_counts.clear()
        self._emu.global_counts.clear()

    def org_ids(self) -> dict:
        return {k: o.org_id for k, o in self._emu.orgs.items()}

    def users(self) -> dict:
        return {k: {u.username: u.id for u in o.users.values()} for k, o in self._emu.orgs.items()}


def _jsonable(v):
    if isinstance(v, SaveError):
        return v.as_dict()
    return v


def handle_control(server, req: Request) -> Response:
    """HTTP control API. Every call needs header ``X-Emulator-Token``."""
    token = req.header("X-Emulator-Token") or ""
    if not hmac.compare_digest(token.encode(), server.control_token.encode()):
        return json_response(
            403, [{"message": "invalid emulator control token", "errorCode": "FORBIDDEN"}]
        )
    c: Control = server.control
    name = req.path[len("/__emulator__/") :].strip("/")
    try:
        body = req.json() or {}
    except ValueError:
        body = {}
    args = {k: v[0] for k, v in req.query.items()}
    args.update(body if isinstance(body, dict) else {})
    org = args.get("org", "production")
    m = req.method
    try:
        if name == "reset" and m == "POST":
            c.reset()
        elif name == "latency" and m == "POST":
            c.set_latency(int(args["ms"]))
        elif name == "fail-next" and m == "POST":
            c.fail_next(
                int(args.get("n", 1)),
                args.get("kind", "503"),
                float(args.get("hold_seconds", 5.0)),
                args.get("endpoints"),
            )
        elif name == "lock-records" and m == "POST":
            c.lock_records(args["ids"], args.get("times"))
        elif name == "unlock-records" and m == "POST":
            c.unlock_records(args.get("ids"))
        elif name == "expire-sessions" and m == "POST":
            c.expire_sessions()
        elif name == "revoke-refresh-tokens" and m == "POST":
            c.revoke_refresh_tokens()
        elif name == "refresh-token-rotation" and m == "POST":
            c.set_refresh_token_rotation(bool(args.get("enabled", True)))
        elif name == "token-lifetime" and m == "POST":
            c.set_token_lifetime(float(args["seconds"]))
        elif name == "bulk-delay" and m == "POST":
            c.set_bulk_delay(float(args["seconds"]))
        elif name == "daily-limit" and m == "POST":
            c.set_daily_limit(int(args["max"]), args.get("used"), args.get("org"))
        elif name == "hide-field" and m == "POST":
            c.hide_field(args["sobject"], args["field"])
        elif name == "redirect-uris" and m == "POST":
            c.add_redirect_uri(args["uri"])
        elif name == "generate-contacts" and m == "POST":
            t0 = time.time()
            first, n = c.generate_contacts(
                int(args["n"]),
                org=org,
                start=int(args.get("start", 0)),
                walkme_ids=bool(args.get("walkme_ids", False)),
            )
            return json_response(
                200, {"first_row": first, "count": n, "seconds": round(time.time() - t0, 3)}
            )
        elif name.startswith("records/") and m == "GET":
            sobject = name.split("/", 1)[1]
            if "/" in sobject:
                sobject, rid = sobject.split("/", 1)
                rec = c.get_record(sobject, rid, org)
                if rec is None:
                    return json_response(404, [{"message": "not found", "errorCode": "NOT_FOUND"}])
                return json_response(200, rec)
            limit = int(args.get("limit", 1000))
            o = c._org(org)
            with o.lock:
                t = o.tables[sobject]
                rows = []
                for r in t.live_rows():
                    if len(rows) >= limit:
                        break
                    rows.append(r)
                names = [n for n, f in t.fields.items() if f["type"] not in ("address", "location")]
                recs = [t.record(r, names) for r in rows]
            return json_response(200, {"totalSize": c.count(sobject, org), "records": recs})
        elif name == "request-counts" and m == "GET":
            return json_response(200, c.request_counts(args.get("org")))
        elif name == "request-counts" and m in ("DELETE", "POST"):
            c.reset_request_counts()
        elif name == "info" and m == "GET":
            srv = server
            return json_response(
                200,
                {
                    "base_url": srv.base_url,
                    "production_login_url": srv.production_login_url,
                    "sandbox_login_url": srv.sandbox_login_url,
                    "ca_bundle": srv.ca_bundle,
                    "orgs": c.org_ids(),
                    "users": c.users(),
                    "api_usage": {k: c.api_usage(k) for k in c._emu.orgs},
                },
            )
        else:
            return json_response(
                404, [{"message": f"unknown control call {m} {name}", "errorCode": "NOT_FOUND"}]
            )
    except (KeyError, ValueError, TypeError) as e:
        return json_response(
            400, [{"message": f"bad control request: {e!r}", "errorCode": "INVALID_REQUEST"}]
        )
    return json_response(200, {"ok": True})
