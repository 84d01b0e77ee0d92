"""Small request/response types shared by the endpoint modules."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import parse_qs

JSON_TYPE = "application/json;charset=UTF-8"


@dataclass
class Request:
    method: str
    path: str
    query: dict
    headers: object  # case-insensitive mapping (email.message.Message or dict)
    body: bytes = b""
    host: str = "127.0.0.1"
    port: int = 0
    subrequest: bool = False

    def arg(self, name: str, default=None):
        v = self.query.get(name)
        return v[0] if v else default

    def header(self, name: str, default=None):
        v = self.headers.get(name)
        return default if v is None else v

    def json(self):
        if not self.body:
            return None
        return json.loads(self.body)

    def form(self) -> dict:
        return {
            k: v[0]
            for k, v in parse_qs(
                self.body.decode("utf-8", "replace"), keep_blank_values=True
            ).items()
        }


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str | None = JSON_TYPE
    headers: dict = field(default_factory=dict)
    obj: object = None  # the JSON value, for composite subrequests
    close: bool = False


def json_response(status: int, obj, headers=None) -> Response:
    body = json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(status, body, JSON_TYPE, dict(headers or {}), obj)


def raw_json(status: int, body: bytes, obj_factory=None) -> Response:
    r = Response(status, body, JSON_TYPE)
    r.obj_factory = obj_factory
    return r


def api_error(status: int, code: str, message: str, fields=None) -> Response:
    err = {"message": message, "errorCode": code}
    if fields is not None:
        err["fields"] = fields
    return json_response(status, [err])


def oauth_error(status: int, error: str, description: str) -> Response:
    return json_response(status, {"error": error, "error_description": description})


def not_found() -> Response:
    return api_error(404, "NOT_FOUND", "The requested resource does not exist")


def html(status: int, text: str, headers=None) -> Response:
    return Response(status, text.encode(), "text/html;charset=UTF-8", dict(headers or {}))


def redirect(location: str) -> Response:
    return Response(302, b"", None, {"Location": location})
