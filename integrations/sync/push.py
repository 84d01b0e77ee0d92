"""Writing changed records: sObject Collections over REST, or Bulk API 2.0 jobs.

REST: PATCH composite/sobjects with 200 records, five of those per /composite call (one
API request for 1,000 records), allOrNone false, and every SaveResult read: the answer is
HTTP 200 even when records fail. Records Salesforce could not lock are retried in smaller
batches after a backoff; other per-record errors are permanent and reported.

Bulk API 2.0: one ingest job per up to 100 MB of CSV, driven step by step (create, upload,
close, poll with backoff until the run's deadline, then read successful, failed and
unprocessed results). In the CSV an empty cell leaves a field unchanged and #N/A clears it.
"""

import csv
import io
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings

from integrations.sync.api import (
    ApiCallFailed,
    DailyLimitReached,
    SalesforceApi,
    backoff_delay,
    error_code_and_message,
    is_transient,
)
from integrations.sync.keys import KeyedRow, pack_row, unpack_extra, unpack_row
from salesforce_auth.metadata import FieldInfo

COLLECTION_SIZE = 200
COLLECTIONS_PER_COMPOSITE = 5
LOCK_RETRY_BATCH_SIZES = (50, 10, 1)
LOCKED = "UNABLE_TO_LOCK_ROW"


class Change:
    """One record to update: which report row it comes from and which fields change.

    Hundreds of thousands of changes wait for the push at once, so each keeps its record
    Id and row packed in one bytes object (keys.pack_row's format with the Id in front);
    `record_id` and `row` unpack it when needed."""

    __slots__ = ("packed", "mask", "done")

    def __init__(self, record_id: str, row: KeyedRow, mask: int) -> None:
        self.packed = pack_row(row.line, row.key, None, row.values, record_id)
        self.mask = mask  # bit i set: field i of the mapping is written
        self.done = False

    @property
    def record_id(self) -> str:
        return unpack_extra(self.packed)[0]

    @property
    def row(self) -> KeyedRow:
        return unpack_row(self.packed)

    def __repr__(self) -> str:
        return f"Change({self.record_id!r}, {self.row!r}, {self.mask:#b})"


@dataclass
class Failure:
    change: Change
    code: str
    message: str
    field: str = ""


class PushResults:
    """What happened to each change, as the push goes; the runner turns it into outcomes."""

    def __init__(self, on_progress: Callable[[], None] | None = None) -> None:
        self.updated = 0
        self.failures: list[Failure] = []
        self.on_progress = on_progress or (lambda: None)

    def succeeded(self, change: Change) -> None:
        change.done = True
        self.updated += 1

    def failed(self, change: Change, code: str, message: str, field: str = "") -> None:
        change.done = True
        self.failures.append(Failure(change, code, message, field))


def changed_values(fields: Sequence[FieldInfo], change: Change) -> Iterator[tuple[str, Any]]:
    values = change.row.values
    mask = change.mask
    for position, field in enumerate(fields):
        if mask >> position & 1:
            yield field.name, values[position]


# ----------------------------------------------------------------------------- REST


def push_rest(
    api: SalesforceApi,
    sobject: str,
    fields: Sequence[FieldInfo],
    changes: Sequence[Change],
    results: PushResults,
) -> None:
    """Update `changes` through sObject Collections; DailyLimitReached stops at once."""
    retry = _send_collections(api, sobject, fields, changes, results, COLLECTION_SIZE)
    for attempt, size in enumerate(LOCK_RETRY_BATCH_SIZES):
        if not retry:
            break
        delay = backoff_delay(attempt)
        api.log(
            f"{len(retry)} records locked or unavailable; retrying in batches of {size} "
            f"in {delay:.2f}s"
        )
        time.sleep(delay)
        retry = _send_collections(api, sobject, fields, [item[0] for item in retry], results, size)
    for change, code, message in retry:
        results.failed(change, code, message)


def _send_collections(
    api: SalesforceApi,
    sobject: str,
    fields: Sequence[FieldInfo],
    changes: Sequence[Change],
    results: PushResults,
    size: int,
) -> list[tuple[Change, str, str]]:
    """Send in collections of `size`; returns the changes worth another try."""
    retry: list[tuple[Change, str, str]] = []
    per_call = size * COLLECTIONS_PER_COMPOSITE
    for start in range(0, len(changes), per_call):
        group = changes[start : start + per_call]
        batches = [group[i : i + size] for i in range(0, len(group), size)]
        subrequests = [
            {
                "method": "PATCH",
                "url": api.data_path("composite/sobjects"),
                "referenceId": f"c{index}",
                "body": {
                    "allOrNone": False,
                    "records": [_rest_record(sobject, fields, change) for change in batch],
                },
            }
            for index, batch in enumerate(batches)
        ]
        try:
            answer = api.call(
                "collections",
                "POST",
                "composite/",
                json={"allOrNone": False, "compositeRequest": subrequests},
            )
        except ApiCallFailed as exc:
            if exc.status is not None and exc.status < 500:
                for change in group:
                    results.failed(change, exc.code or "API_ERROR", str(exc))
                continue
            # Retries of a 5xx or a timeout are spent: the records were not written.
            for change in group:
                results.failed(change, exc.code or "SERVER_UNAVAILABLE", str(exc))
            continue
        responses = {item["referenceId"]: item for item in answer["compositeResponse"]}
        for index, batch in enumerate(batches):
            item = responses[f"c{index}"]
            body = item.get("body")
            if item.get("httpStatusCode") != 200 or not isinstance(body, list):
                code, message = error_code_and_message(body)
                if code == "REQUEST_LIMIT_EXCEEDED":
                    raise DailyLimitReached(
                        f"Salesforce's daily API request limit is reached ({message})"
                    )
                for change in batch:
                    if is_transient(item.get("httpStatusCode"), code):
                        retry.append((change, code, message))
                    else:
                        results.failed(change, code, message)
                continue
            for change, save in zip(batch, body, strict=False):
                if save.get("success"):
                    results.succeeded(change)
                    continue
                error = (save.get("errors") or [{}])[0]
                code = error.get("statusCode") or "UNKNOWN_ERROR"
                message = error.get("message") or ""
                if code == LOCKED:
                    retry.append((change, code, message))
                else:
                    results.failed(change, code, message, ",".join(error.get("fields") or ()))
        results.on_progress()
    return retry


def _rest_record(sobject: str, fields: Sequence[FieldInfo], change: Change) -> dict[str, Any]:
    record: dict[str, Any] = {"attributes": {"type": sobject}, "id": change.record_id}
    record.update(changed_values(fields, change))
    return record


def rest_calls_needed(changed: int) -> int:
    return -(-changed // (COLLECTION_SIZE * COLLECTIONS_PER_COMPOSITE))


# ----------------------------------------------------------------------------- Bulk 2.0


def bulk_max_bytes() -> int:
    return int(getattr(settings, "SYNC_BULK_MAX_BYTES", 100_000_000))


def bulk_poll_seconds() -> tuple[float, float]:
    return (
        float(getattr(settings, "SYNC_BULK_POLL_SECONDS", 1.0)),
        float(getattr(settings, "SYNC_BULK_POLL_MAX_SECONDS", 15.0)),
    )


def csv_value(value: Any) -> str:
    if value is None:
        return "#N/A"  # Bulk 2.0's "set to null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    return str(value)


def bulk_csv_parts(
    fields: Sequence[FieldInfo], changes: Sequence[Change], max_bytes: int
) -> Iterator[tuple[bytes, list[Change]]]:
    """CSV documents of at most `max_bytes`, each with its changes in order."""
    used = 0
    for change in changes:
        used |= change.mask
    columns = [i for i in range(len(fields)) if used >> i & 1]
    header_buffer = io.StringIO()
    csv.writer(header_buffer, lineterminator="\n").writerow(
        ["Id", *(fields[i].name for i in columns)]
    )
    header = header_buffer.getvalue().encode()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    parts: list[bytes] = [header]
    size = len(header)
    batch: list[Change] = []
    for change in changes:
        values = change.row.values
        writer.writerow(
            [change.record_id]
            + [csv_value(values[i]) if change.mask >> i & 1 else "" for i in columns]
        )
        line = buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
        if batch and size + len(line) > max_bytes:
            yield b"".join(parts), batch
            parts, size, batch = [header], len(header), []
        parts.append(line)
        size += len(line)
        batch.append(change)
    if batch:
        yield b"".join(parts), batch


def bulk_calls_needed(changed: int) -> int:
    """A rough budget: create, upload, close, a dozen polls and three result reads per job."""
    jobs = max(1, -(-changed * 120 // bulk_max_bytes()))
    return jobs * 18


def push_bulk(
    api: SalesforceApi,
    sobject: str,
    fields: Sequence[FieldInfo],
    changes: Sequence[Change],
    results: PushResults,
    deadline: float,
) -> None:
    """Update `changes` with Bulk API 2.0 jobs; locked records are retried over REST."""
    locked: list[Change] = []
    for document, batch in bulk_csv_parts(fields, changes, bulk_max_bytes()):
        locked.extend(_run_job(api, sobject, document, batch, results, deadline))
    if locked:
        api.log(f"{len(locked)} records were locked during the Bulk job; retrying over REST")
        push_rest(api, sobject, fields, locked, results)


def _run_job(
    api: SalesforceApi,
    sobject: str,
    document: bytes,
    batch: list[Change],
    results: PushResults,
    deadline: float,
) -> list[Change]:
    job = api.call(
        "bulk",
        "POST",
        "jobs/ingest/",
        json={"object": sobject, "operation": "update", "contentType": "CSV", "lineEnding": "LF"},
    )
    job_id = job["id"]
    api.log(f"Bulk job {job_id}: {len(batch)} records, {len(document):,} bytes of CSV")
    api.call(
        "bulk",
        "PUT",
        f"jobs/ingest/{job_id}/batches/",
        data=document,
        headers={"Content-Type": "text/csv"},
    )
    api.call("bulk", "PATCH", f"jobs/ingest/{job_id}/", json={"state": "UploadComplete"})
    state, error_message = _wait_for_job(api, job_id, deadline)
    by_id = {change.record_id: change for change in batch}
    locked: list[Change] = []
    for row in _result_rows(api, job_id, "successfulResults"):
        change = by_id.pop(row.get("sf__Id", ""), None)
        if change is not None:
            results.succeeded(change)
    for row in _result_rows(api, job_id, "failedResults"):
        change = by_id.pop(row.get("sf__Id") or row.get("Id", ""), None)
        if change is None:
            continue
        code, message, field = parse_bulk_error(row.get("sf__Error", ""))
        if code == LOCKED:
            locked.append(change)
        else:
            results.failed(change, code, message, field)
    for row in _result_rows(api, job_id, "unprocessedrecords"):
        change = by_id.pop(row.get("Id", ""), None)
        if change is not None:
            reason = error_message or f"the Bulk job ended in state {state}"
            results.failed(change, "NOT_PROCESSED", f"Not processed by Salesforce: {reason}")
    for change in by_id.values():
        reason = error_message or f"the Bulk job ended in state {state}"
        results.failed(change, "NOT_PROCESSED", f"No result from Salesforce: {reason}")
    api.log(f"Bulk job {job_id}: {state}")
    results.on_progress()
    return locked


def _wait_for_job(api: SalesforceApi, job_id: str, deadline: float) -> tuple[str, str]:
    delay, ceiling = bulk_poll_seconds()
    while True:
        info = api.call("bulk", "GET", f"jobs/ingest/{job_id}/")
        state = info.get("state", "")
        if state in ("JobComplete", "Failed", "Aborted"):
            return state, info.get("errorMessage") or ""
        if time.monotonic() + delay > deadline:
            api.call("bulk", "PATCH", f"jobs/ingest/{job_id}/", json={"state": "Aborted"})
            return "Aborted", "the Bulk job did not finish within the run's time limit"
        time.sleep(delay)
        delay = min(ceiling, delay * 1.5)


def _result_rows(api: SalesforceApi, job_id: str, kind: str) -> Iterator[dict[str, str]]:
    text = api.call("bulk", "GET", f"jobs/ingest/{job_id}/{kind}/", raw=True)
    if text:
        yield from csv.DictReader(io.StringIO(text, newline=""))


def parse_bulk_error(error: str) -> tuple[str, str, str]:
    """`CODE:message:fields --` (Bulk 2.0's sf__Error) to (code, message, fields)."""
    text = error.strip().removesuffix("--").strip()
    code, _, rest = text.partition(":")
    message, _, fields = rest.rpartition(":")
    if not message:
        message, fields = rest, ""
    return code.strip() or "UNKNOWN_ERROR", message.strip(), fields.strip()
