"""The sync's view of the Salesforce API: one `call()` with retries, counting and budget.

The client (salesforce_auth.client) already refreshes an expired access token once and
raises ReauthorizationRequired when the refresh token is dead. Here we add what a run
needs on top: transient errors (5xx, timeouts) retried with exponential backoff and
jitter a bounded number of times, the daily limit turned into DailyLimitReached (never
retried), every attempt counted by kind for the raw log, and the org's API usage read
from the Sforce-Limit-Info header of each answer.

Backoff delays come from settings (SYNC_RETRY_BASE_SECONDS, SYNC_RETRY_MAX_SECONDS,
SYNC_MAX_RETRIES) so tests can make them tiny.
"""

import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, BinaryIO

import requests
from django.conf import settings
from simple_salesforce.exceptions import SalesforceError

logger = logging.getLogger(__name__)


def retry_base_seconds() -> float:
    return float(getattr(settings, "SYNC_RETRY_BASE_SECONDS", 1.0))


def retry_max_seconds() -> float:
    return float(getattr(settings, "SYNC_RETRY_MAX_SECONDS", 30.0))


def max_retries() -> int:
    return int(getattr(settings, "SYNC_MAX_RETRIES", 5))


def backoff_delay(attempt: int) -> float:
    """Exponential backoff with full jitter, so parallel workers do not retry in step."""
    ceiling = min(retry_max_seconds(), retry_base_seconds() * (2**attempt))
    return random.uniform(ceiling / 2, ceiling)


class SyncError(Exception):
    """Stops the run; str(error) is the message shown in the run log."""


class DailyLimitReached(SyncError):
    """Salesforce answered REQUEST_LIMIT_EXCEEDED: the org's daily API allocation is spent."""


class ApiCallFailed(SyncError):
    """A call failed for good (after retries, or at once for a permanent error)."""

    def __init__(self, message: str, status: int | None = None, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def error_code_and_message(content: Any) -> tuple[str, str]:
    """Salesforce's error answers are a list of {errorCode, message}; be lenient."""
    if isinstance(content, list) and content and isinstance(content[0], dict):
        first = content[0]
        return str(first.get("errorCode") or first.get("statusCode") or ""), str(
            first.get("message") or ""
        )
    if isinstance(content, dict):
        return str(content.get("errorCode") or content.get("error") or ""), str(
            content.get("message") or content.get("error_description") or ""
        )
    return "", str(content)[:500]


def is_transient(status: int | None, code: str) -> bool:
    return (status is not None and status >= 500) or code in (
        "SERVER_UNAVAILABLE",
        "UNABLE_TO_LOCK_ROW",
    )


class SalesforceApi:
    """Counts, retries and budget for the calls of one run, over a simple-salesforce client."""

    def __init__(self, sf: Any, log: Callable[[str], None] | None = None) -> None:
        self.sf = sf
        self.log = log or (lambda message: None)
        self.calls: Counter[str] = Counter()
        self.retries = 0
        self.api_used: int | None = None
        self.api_max: int | None = None

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def remaining(self) -> int | None:
        if self.api_used is None or self.api_max is None:
            return None
        return max(self.api_max - self.api_used, 0)

    def data_path(self, path: str) -> str:
        """The absolute path of a REST resource, as Composite subrequests need it."""
        return f"/services/data/v{self.sf.sf_version}/{path}"

    def call(
        self,
        kind: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: bytes | str | BinaryIO | None = None,
        headers: dict[str, str] | None = None,
        raw: bool = False,
        stream: bool = False,
        absolute: bool = False,
    ) -> Any:
        """One API request (retried if transient). Returns parsed JSON, or text if `raw`, or
        with `stream` the requests.Response whose body is still to be read (close it).

        `path` is relative to the versioned REST base unless `absolute` (a path from the
        host, like a nextRecordsUrl). `data` may be a binary file, sent from where it stands
        (and rewound there for each retry) without being read into memory.
        """
        url = f"https://{self.sf.sf_instance}{path}" if absolute else self.sf.base_url + path
        kwargs: dict[str, Any] = {}
        if json is not None:
            kwargs["json"] = json
        if data is not None:
            kwargs["data"] = data
        if headers:
            kwargs["headers"] = headers
        if stream:
            kwargs["stream"] = True
        start = data.tell() if hasattr(data, "seek") else None
        attempt = 0
        while True:
            self.calls[kind] += 1
            if start is not None:
                data.seek(start)
            try:
                # simple-salesforce's own request path: the client's refresh-on-401 applies.
                response = self.sf._call_salesforce(method, url, name=kind, **kwargs)
            except SalesforceError as exc:
                code, message = error_code_and_message(exc.content)
                self._note_usage(getattr(exc, "resource_name", None))
                if code == "REQUEST_LIMIT_EXCEEDED":
                    raise DailyLimitReached(
                        f"Salesforce's daily API request limit is reached ({message})"
                    ) from None
                if not is_transient(exc.status, code) or attempt >= max_retries():
                    raise ApiCallFailed(
                        f"{method} {path.split('?')[0]} failed: HTTP {exc.status} {code} {message}",
                        exc.status,
                        code,
                    ) from None
                reason = f"HTTP {exc.status} {code}".strip()
            except (requests.Timeout, requests.ConnectionError) as exc:
                if attempt >= max_retries():
                    raise ApiCallFailed(
                        f"{method} {path.split('?')[0]}: Salesforce did not answer "
                        f"after {attempt + 1} attempts ({type(exc).__name__})"
                    ) from None
                reason = type(exc).__name__
            else:
                self._note_usage(response)
                if stream:
                    return response
                if raw:
                    return response.text
                if response.status_code == 204 or not response.content:
                    return None
                return response.json()
            delay = backoff_delay(attempt)
            attempt += 1
            self.retries += 1
            self.log(f"retry {attempt}/{max_retries()} of {kind} after {reason}, in {delay:.2f}s")
            time.sleep(delay)

    def _note_usage(self, response: Any) -> None:
        usage = getattr(self.sf, "api_usage", None) or {}
        current = usage.get("api-usage")
        if current is not None:
            self.api_used, self.api_max = current.used, current.total

    def read_limits(self) -> tuple[int, int]:
        """(remaining, max) daily API requests, from GET limits (one call)."""
        limits = self.call("limits", "GET", "limits/")
        daily = limits["DailyApiRequests"]
        # The limits call itself has been counted by Salesforce already.
        self.api_max = int(daily["Max"])
        self.api_used = self.api_max - int(daily["Remaining"])
        return int(daily["Remaining"]), int(daily["Max"])
