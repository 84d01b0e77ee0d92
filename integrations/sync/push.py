"""Writing changed records: sObject Collections over REST, or Bulk API 2.0 jobs.

REST: PATCH composite/sobjects with 200 records, five of those per /composite call (one
API request for 1,000 records), allOrNone false, and every SaveResult read: the answer is
HTTP 200 even when records fail. Records Salesforce could not lock are retried in smaller
batches after a backoff; other per-record errors are permanent and reported.

Bulk API 2.0: one ingest job per up to 100 MB of CSV, driven step by step (create, upload,
close, poll with backoff until the run's deadline, then read successful, failed and
unprocessed results). In the CSV an empty cell leaves a field unchanged and #N/A clears it.
Memory stays flat whatever the job's size: the CSV is written to a temporary file and
uploaded from it, result files are read row by row as they arrive, and result rows find
their change through a compact Id index (IdIndex) rather than a dict of Ids.
"""

import array
import codecs
import csv
import io
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, BinaryIO

import requests
from django.conf import settings

from integrations.sync.api import (
    ApiCallFailed,
    DailyLimitReached,
    SalesforceApi,
    backoff_delay,
    error_code_and_message,
    is_transient,
    max_retries,
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


class IdIndex:
    """Record Id -> change, for mapping a job's result rows back to its changes.

    An open-addressing hash table of int32 positions (at most 16 bytes per record, growing
    as records are added), checked against the change's own Id, instead of a dict holding
    an Id string and an int per record (about 140 bytes). A change is handed out once
    (`take`), as a result row answers for one change; changes sharing a record Id are
    handed out in job order."""

    __slots__ = ("changes", "first", "mask", "slots", "taken")

    def __init__(self, changes: Sequence[Change], first: int = 0) -> None:
        """An empty index over changes[first:]; `add` their Ids in order."""
        self.changes = changes
        self.first = first
        self.taken = bytearray()  # one flag per change added, in order
        self._resize(16)

    def __len__(self) -> int:
        return len(self.taken)

    def _resize(self, size: int) -> None:
        self.mask = size - 1
        self.slots = array.array("i", [-1]) * size
        for position in range(len(self.taken)):
            self._insert(position, self.changes[self.first + position].record_id)

    def _insert(self, position: int, record_id: str) -> None:
        mask, slots = self.mask, self.slots
        slot = hash(record_id) & mask
        while slots[slot] != -1:
            slot = (slot + 1) & mask
        slots[slot] = position

    def add(self, record_id: str) -> None:
        """The Id of the next change (changes[first + len(self)])."""
        if 2 * (len(self.taken) + 1) > len(self.slots):
            self._resize(2 * len(self.slots))
        self._insert(len(self.taken), record_id)
        self.taken.append(0)

    def take(self, record_id: str) -> Change | None:
        """The first change for `record_id` not taken yet, now taken; None if there is none."""
        if not record_id:
            return None
        mask, slots, taken, changes, first = (
            self.mask,
            self.slots,
            self.taken,
            self.changes,
            self.first,
        )
        slot = hash(record_id) & mask
        while (position := slots[slot]) != -1:
            if not taken[position] and changes[first + position].record_id == record_id:
                taken[position] = 1
                return changes[first + position]
            slot = (slot + 1) & mask
        return None

    def untaken(self) -> list[Change]:
        changes, first = self.changes, self.first
        return [changes[first + p] for p, flag in enumerate(self.taken) if not flag]


class BulkPart:
    """One ingest job's CSV, written to a temporary file (never held in memory), and the
    index of its changes (changes[first:first + count]) by record Id."""

    def __init__(self, document: BinaryIO, index: IdIndex) -> None:
        self.document = document
        self.index = index

    @property
    def count(self) -> int:
        return len(self.index)

    @property
    def changes(self) -> Sequence[Change]:
        index = self.index
        return index.changes[index.first : index.first + len(index)]

    @property
    def size(self) -> int:
        return self.document.seek(0, io.SEEK_END)

    def read(self) -> bytes:
        """The whole CSV (for tests)."""
        self.document.seek(0)
        return self.document.read()


def bulk_csv_parts(
    fields: Sequence[FieldInfo], changes: Sequence[Change], max_bytes: int
) -> Iterator[BulkPart]:
    """One BulkPart per CSV document of at most `max_bytes`, written one at a time: each
    part's file is closed when the caller asks for the next one."""
    used = 0
    for change in changes:
        used |= change.mask
    columns = [i for i in range(len(fields)) if used >> i & 1]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["Id", *(fields[i].name for i in columns)])
    header = buffer.getvalue().encode()
    count = len(changes)
    first = 0
    while first < count:
        with tempfile.TemporaryFile(prefix="bulk-", suffix=".csv") as document:
            document.write(header)
            size = len(header)
            index = IdIndex(changes, first)
            end = first
            while end < count:
                change = changes[end]
                record_id = change.record_id
                values = change.row.values
                mask = change.mask
                buffer.seek(0)
                buffer.truncate()
                writer.writerow(
                    [record_id] + [csv_value(values[i]) if mask >> i & 1 else "" for i in columns]
                )
                line = buffer.getvalue().encode()
                if end > first and size + len(line) > max_bytes:
                    break
                document.write(line)
                size += len(line)
                index.add(record_id)
                end += 1
            document.seek(0)
            yield BulkPart(document, index)
        first = end


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
    for part in bulk_csv_parts(fields, changes, bulk_max_bytes()):
        locked.extend(_run_job(api, sobject, part, results, deadline))
    if locked:
        api.log(f"{len(locked)} records were locked during the Bulk job; retrying over REST")
        push_rest(api, sobject, fields, locked, results)


def _run_job(
    api: SalesforceApi,
    sobject: str,
    part: BulkPart,
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
    size = part.size
    api.log(f"Bulk job {job_id}: {part.count} records, {size:,} bytes of CSV")
    part.document.seek(0)
    api.call(
        "bulk",
        "PUT",
        f"jobs/ingest/{job_id}/batches/",
        data=part.document,  # streamed from the file by requests, with a Content-Length
        headers={"Content-Type": "text/csv"},
    )
    api.call("bulk", "PATCH", f"jobs/ingest/{job_id}/", json={"state": "UploadComplete"})
    state, error_message = _wait_for_job(api, job_id, deadline)
    index = part.index
    locked: list[Change] = []
    for row in _result_rows(api, job_id, "successfulResults"):
        change = index.take(row.get("sf__Id", ""))
        if change is not None:
            results.succeeded(change)
    for row in _result_rows(api, job_id, "failedResults"):
        change = index.take(row.get("sf__Id") or row.get("Id", ""))
        if change is None:
            continue
        code, message, field = parse_bulk_error(row.get("sf__Error", ""))
        if code == LOCKED:
            locked.append(change)
        else:
            results.failed(change, code, message, field)
    for row in _result_rows(api, job_id, "unprocessedrecords"):
        change = index.take(row.get("Id", ""))
        if change is not None:
            reason = error_message or f"the Bulk job ended in state {state}"
            results.failed(change, "NOT_PROCESSED", f"Not processed by Salesforce: {reason}")
    for change in index.untaken():
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


RESULT_CHUNK_BYTES = 1 << 16
BROKEN_STREAM = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


def _result_rows(api: SalesforceApi, job_id: str, kind: str) -> Iterator[dict[str, str]]:
    """A result file's rows, read as they arrive (never the whole file in memory).

    A download that breaks part-way is asked again (as api.call retries a transient error,
    with backoff and up to SYNC_MAX_RETRIES times), skipping the rows already given."""
    path = f"jobs/ingest/{job_id}/{kind}/"
    given = 0
    attempt = 0
    while True:
        response = api.call("bulk", "GET", path, stream=True)
        try:
            skip = given
            for row in csv.DictReader(_response_lines(response)):
                if skip:
                    skip -= 1
                    continue
                given += 1
                yield row
            return
        except BROKEN_STREAM as exc:
            if attempt >= max_retries():
                raise ApiCallFailed(
                    f"GET {path}: the download broke off after {attempt + 1} attempts "
                    f"({type(exc).__name__})"
                ) from None
            delay = backoff_delay(attempt)
            attempt += 1
            api.retries += 1
            api.log(
                f"retry {attempt}/{max_retries()} of bulk after {type(exc).__name__} "
                f"while reading {kind}, in {delay:.2f}s"
            )
            time.sleep(delay)
        finally:
            response.close()


def _response_lines(response: requests.Response) -> Iterator[str]:
    """The body's lines, "\n" kept (so csv reads quoted line breaks), decoded as the
    answer's charset says, else UTF-8 (Bulk API 2.0 results are UTF-8)."""
    charset = "utf-8-sig"
    if "charset" in response.headers.get("content-type", "").lower():
        declared = requests.utils.get_encoding_from_headers(response.headers) or charset
        if codecs.lookup(declared).name != "utf-8":
            charset = declared
    decoder = codecs.getincrementaldecoder(charset)(errors="replace")
    pending = ""
    for chunk in response.iter_content(RESULT_CHUNK_BYTES):
        pending += decoder.decode(chunk)
        if "\n" not in pending:
            continue
        lines = pending.split("\n")
        pending = lines.pop()
        for line in lines:
            yield line + "\n"
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending


def parse_bulk_error(error: str) -> tuple[str, str, str]:
    """`CODE:message:fields --` (Bulk 2.0's sf__Error) to (code, message, fields)."""
    text = error.strip().removesuffix("--").strip()
    code, _, rest = text.partition(":")
    message, _, fields = rest.rpartition(":")
    if not message:
        message, fields = rest, ""
    return code.strip() or "UNKNOWN_ERROR", message.strip(), fields.strip()
