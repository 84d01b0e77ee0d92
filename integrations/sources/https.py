"""A report export published at an HTTPS URL (GET, optional bearer or basic credentials).

The body is streamed to a cache file beside the other run data, and the next request is
conditional (If-None-Match / If-Modified-Since): an unchanged export answers 304 and the
cached copy is read again instead of downloading it twice. The preview and the run read
the same file, so what the user mapped is what is pushed.

source_config: {"url": "https://...", "auth": "none" | "bearer" | "basic", "username": "..."}
source_secret: the bearer token or the basic-auth password.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings

from integrations.sources import ReportSource
from salesforce_auth.fields import reveal

AUTH_CHOICES = (("none", "None"), ("bearer", "Bearer token"), ("basic", "User name and password"))


def cache_dir() -> Path:
    path = Path(settings.VAR_DIR) / "report-cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


class Source(ReportSource):
    def __init__(self, report) -> None:
        super().__init__(report)
        self._fetched: dict | None = None

    @property
    def url(self) -> str:
        return (self.report.source_config or {}).get("url", "").strip()

    def describe(self) -> str:
        # Signed URLs carry secrets in the query string: never show it.
        parts = urlsplit(self.url)
        return f"HTTPS {urlunsplit((parts.scheme, parts.netloc, parts.path, '', ''))}"

    # --- the cached download ------------------------------------------------------------
    def _paths(self) -> tuple[Path, Path]:
        base = cache_dir() / f"report-{self.report.pk or 'unsaved'}"
        return base.with_suffix(".body"), base.with_suffix(".json")

    def _session(self) -> requests.Session:
        session = requests.Session()
        # REQUESTS_CA_BUNDLE and proxies from the environment would override `verify`;
        # the CA for report sources comes from settings only.
        session.trust_env = False
        session.verify = settings.REPORT_SOURCE_CA_BUNDLE or True
        config = self.report.source_config or {}
        secret = reveal(self.report.source_secret)
        if config.get("auth") == "bearer" and secret:
            session.headers["Authorization"] = f"Bearer {secret}"
        elif config.get("auth") == "basic":
            session.auth = (config.get("username", ""), secret)
        return session

    def fetch(self) -> dict:
        """Download the export if it changed; returns the cache metadata."""
        if self._fetched is not None:
            return self._fetched
        if not self.url.startswith("https://"):
            raise self.error(
                "the URL does not start with https://",
                "Enter the HTTPS address of the report's CSV export",
            )
        body_path, meta_path = self._paths()
        cached = {}
        if body_path.exists() and meta_path.exists():
            cached = json.loads(meta_path.read_text())
            if cached.get("url") != self.url:
                cached = {}
        headers = {}
        if cached.get("etag"):
            headers["If-None-Match"] = cached["etag"]
        if cached.get("last_modified"):
            headers["If-Modified-Since"] = cached["last_modified"]
        timeout = (settings.REPORT_SOURCE_CONNECT_TIMEOUT, settings.REPORT_SOURCE_READ_TIMEOUT)
        with self._session() as session:
            try:
                with session.get(self.url, headers=headers, stream=True, timeout=timeout) as resp:
                    if resp.status_code == 304 and cached:
                        self._fetched = cached
                        return cached
                    self._check_status(resp)
                    self._download(resp, body_path)
                    meta = {
                        "url": self.url,
                        "etag": resp.headers.get("ETag", ""),
                        "last_modified": resp.headers.get("Last-Modified", ""),
                    }
            except requests.exceptions.SSLError as exc:
                raise self.error(
                    f"the server's certificate could not be verified ({_reason(exc)})",
                    "If the server uses a private certificate authority, set "
                    "REPORT_SOURCE_CA_BUNDLE to its PEM file",
                ) from None
            except requests.exceptions.Timeout:
                raise self.error(
                    f"the server did not answer within {settings.REPORT_SOURCE_READ_TIMEOUT} s",
                    "Check that the URL is reachable from this system, then try again",
                ) from None
            except requests.exceptions.RequestException as exc:
                raise self.error(
                    f"the server could not be reached ({_reason(exc)})",
                    "Check the URL's host name and that it is reachable from this system",
                ) from None
        meta_path.write_text(json.dumps(meta))
        self._fetched = meta
        return meta

    def _check_status(self, resp: requests.Response) -> None:
        status = resp.status_code
        has_credentials = bool(self._session_has_credentials())
        if status == 401:
            if has_credentials:
                raise self.error(
                    "the server refused the credentials (HTTP 401 Unauthorized)",
                    "Check the bearer token or the user name and password in the report's "
                    "source settings",
                )
            raise self.error(
                "the server asks for credentials (HTTP 401 Unauthorized)",
                "Add a bearer token or a user name and password in the report's source settings",
            )
        if status == 403:
            raise self.error(
                "the server refused access to this file (HTTP 403 Forbidden)",
                "Check that the credentials in the report's source settings may read this URL",
            )
        if status == 404:
            raise self.error(
                "there is no file at this URL (HTTP 404 Not Found)",
                "Check the URL; the export's file name or folder may have changed",
            )
        if status >= 400 or status == 304:
            raise self.error(
                f"the server answered HTTP {status} {resp.reason or ''}".rstrip(),
                "Try again later; if it persists, check the URL with the server's owner",
            )

    def _session_has_credentials(self) -> bool:
        config = self.report.source_config or {}
        return config.get("auth") in ("bearer", "basic") and bool(self.report.source_secret)

    def _download(self, resp: requests.Response, body_path: Path) -> None:
        # Write beside the target, then rename: a reader never sees half a file.
        handle, temp_name = tempfile.mkstemp(dir=body_path.parent, suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out:
                for chunk in resp.iter_content(1 << 16):
                    out.write(chunk)
            os.replace(temp_name, body_path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise

    # --- the ReportSource interface -------------------------------------------------------
    @contextmanager
    def open_export(self) -> Iterator[BinaryIO]:
        self.fetch()
        with open(self._paths()[0], "rb") as handle:
            yield handle

    def export_time(self) -> datetime | None:
        stamp = self.fetch().get("last_modified")
        if not stamp:
            return None
        try:
            return parsedate_to_datetime(stamp)
        except (TypeError, ValueError):
            return None


def _reason(exc: Exception) -> str:
    text = str(exc.args[0] if exc.args else exc)
    return text if len(text) < 200 else text[:197] + "..."
