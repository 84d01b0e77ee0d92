"""Bulk API 2.0 ingest jobs (update, insert, delete) with CSV results."""

from __future__ import annotations

import csv
import io
import itertools
import threading
import time
from dataclasses import dataclass, field

from .store import SaveError, apply_update, make_id, prepare_insert, prepare_update, sf_datetime
from .wire import Request, Response, api_error, json_response

MAX_UPLOAD_BYTES = 150_000_000
CHUNK = 10_000
DELIMITERS = {
    "COMMA": ",",
    "TAB": "\t",
    "PIPE": "|",
    "SEMICOLON": ";",
    "CARET": "^",
    "BACKQUOTE": "`",
}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
OPERATIONS = ("update", "insert", "delete")
_counter = itertools.count(1000)


@dataclass
class IngestJob:
    id: str
    org_key: str
    object: str
    operation: str
    created_by: str
    api_version: str
    line_ending: str = "LF"
    column_delimiter: str = "COMMA"
    external_id_field: str | None = None
    state: str = "Open"
    created: str = field(default_factory=sf_datetime)
    modstamp: str = field(default_factory=sf_datetime)
    chunks: list = field(default_factory=list)
    uploaded_bytes: int = 0
    header: list | None = None
    rows: list = field(default_factory=list)
    errors: dict = field(default_factory=dict)
    new_ids: dict = field(default_factory=dict)
    processed: int = 0
    failed: int = 0
    error_message: str | None = None
    started: float = 0.0
    finished: float = 0.0

    def info(self, full: bool = True) -> dict:
        d = {
            "id": self.id,
            "operation": self.operation,
            "object": self.object,
            "createdById": self.created_by,
            "createdDate": self.created,
            "systemModstamp": self.modstamp,
            "state": self.state,
        }
        if self.external_id_field:
            d["externalIdFieldName"] = self.external_id_field
        d.update(
            concurrencyMode="Parallel",
            contentType="CSV",
            apiVersion=float(self.api_version),
        )
        if not full:
            d["contentUrl"] = f"services/data/v{self.api_version}/jobs/ingest/{self.id}/batches"
            d["lineEnding"] = self.line_ending
            d["columnDelimiter"] = self.column_delimiter
            return d
        elapsed = int((self.finished - self.started) * 1000) if self.finished else 0
        d.update(
            jobType="V2Ingest",
            lineEnding=self.line_ending,
            columnDelimiter=self.column_delimiter,
            numberRecordsProcessed=self.processed,
            numberRecordsFailed=self.failed,
            retries=0,
            totalProcessingTime=elapsed,
            apiActiveProcessingTime=elapsed,
            apexProcessingTime=0,
        )
        if self.error_message:
            d["errorMessage"] = self.error_message
        return d


def route(emu, req: Request, org, version: str, parts: list[str]) -> Response:
    if not parts or parts[0] != "ingest":
        if parts and parts[0] == "query":
            return api_error(400, "FEATURENOTENABLED", "Bulk API 2.0 query jobs are not emulated")
        return api_error(404, "NOT_FOUND", "The requested resource does not exist")
    m = req.method
    if len(parts) == 1:
        if m == "POST":
            return create_job(emu, req, org, version)
        if m == "GET":
            jobs = [j.info(False) for j in emu.jobs.values() if j.org_key == org.key]
            return json_response(200, {"done": True, "records": jobs, "nextRecordsUrl": None})
        return api_error(
            405, "METHOD_NOT_ALLOWED", f"HTTP Method '{m}' not allowed. Allowed are GET,POST"
        )
    job = emu.jobs.get(parts[1])
    if job is None or job.org_key != org.key:
        return api_error(404, "NOT_FOUND", "The requested resource does not exist")
    if len(parts) == 2:
        if m == "GET":
            return json_response(200, job.info())
        if m == "PATCH":
            return set_state(emu, req, org, job)
        if m == "DELETE":
            if job.state not in ("JobComplete", "Aborted", "Failed", "UploadComplete"):
                return api_error(
                    400, "INVALIDJOBSTATE", f"Deleting a job in state {job.state} is not allowed"
                )
            emu.jobs.pop(job.id, None)
            return Response(204, b"", None)
        return api_error(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{m}' not allowed")
    sub = parts[2]
    if sub == "batches" and m == "PUT":
        return upload(emu, req, job)
    if m == "GET" and sub in ("successfulResults", "failedResults", "unprocessedrecords"):
        return results(job, sub)
    return api_error(404, "NOT_FOUND", "The requested resource does not exist")


def create_job(emu, req: Request, org, version: str) -> Response:
    try:
        body = req.json() or {}
    except ValueError:
        return api_error(
            400, "JSON_PARSER_ERROR", "Unexpected character: was expecting a JSON object"
        )
    obj = body.get("object")
    op = body.get("operation")
    if op not in OPERATIONS:
        return api_error(400, "INVALIDJOB", f"InvalidJob : Invalid operation: {op}")
    table = org.table(obj or "")
    if table is None:
        return api_error(400, "NOT_FOUND", f"sObject type '{obj}' is not supported.")
    if body.get("contentType", "CSV") != "CSV":
        return api_error(400, "INVALIDJOB", "InvalidJob : Invalid content type")
    le = body.get("lineEnding", "LF")
    cd = body.get("columnDelimiter", "COMMA")
    if le not in LINE_ENDINGS or cd not in DELIMITERS:
        return api_error(400, "INVALIDJOB", "InvalidJob : Invalid lineEnding or columnDelimiter")
    session = req.session
    user = org.users[session.username]
    job = IngestJob(
        id=make_id("750", org.pod, next(_counter)),
        org_key=org.key,
        object=table.name,
        operation=op,
        created_by=user.id,
        api_version=version,
        line_ending=le,
        column_delimiter=cd,
        external_id_field=body.get("externalIdFieldName"),
    )
    emu.jobs[job.id] = job
    return json_response(200, job.info(False))


def upload(emu, req: Request, job: IngestJob) -> Response:
    if job.state != "Open":
        return api_error(409, "INVALIDJOBSTATE", f"Job is not in the Open state: {job.state}")
    ctype = (req.header("Content-Type") or "").split(";")[0].strip().lower()
    if ctype != "text/csv":
        return api_error(400, "INVALIDCONTENTTYPE", "Content-Type must be text/csv for CSV jobs")
    size = getattr(req, "declared_length", None) or len(req.body)
    if job.uploaded_bytes + size > MAX_UPLOAD_BYTES:
        return api_error(
            413,
            "REQUEST_ENTITY_TOO_LARGE",
            f"Request entity too large: the upload exceeds the maximum of {MAX_UPLOAD_BYTES} bytes",
        )
    job.chunks.append(req.body)
    job.uploaded_bytes += size
    job.modstamp = sf_datetime()
    return Response(201, b"", None)


def set_state(emu, req: Request, org, job: IngestJob) -> Response:
    try:
        body = req.json() or {}
    except ValueError:
        return api_error(400, "JSON_PARSER_ERROR", "Unexpected character")
    state = body.get("state")
    if state == "Aborted":
        if job.state in ("JobComplete", "Failed", "Aborted"):
            return api_error(
                400, "INVALIDJOBSTATE", f"Aborting a job in state {job.state} is not allowed"
            )
        job.state = "Aborted"
        job.modstamp = sf_datetime()
        return json_response(200, job.info(False))
    if state == "UploadComplete":
        if job.state != "Open":
            return api_error(
                400, "INVALIDJOBSTATE", f"Closing a job in state {job.state} is not allowed"
            )
        job.state = "UploadComplete"
        job.modstamp = sf_datetime()
        snapshot = job.info(False)
        delay = emu.bulk_delay
        if delay <= 0:
            process(emu, org, job)
        else:
            threading.Thread(target=_delayed, args=(emu, org, job, delay), daemon=True).start()
        return json_response(200, snapshot)
    return api_error(400, "INVALIDJOBSTATE", f"Invalid state: {state}")


def _delayed(emu, org, job, delay):
    time.sleep(delay / 2)
    if job.state != "UploadComplete":
        return
    job.state = "InProgress"
    time.sleep(delay / 2)
    if job.state == "InProgress":
        process(emu, org, job)


def _parse(job: IngestJob):
    delim = DELIMITERS[job.column_delimiter]
    header = None
    rows = []
    for chunk in job.chunks:
        text = chunk.decode("utf-8-sig") if isinstance(chunk, bytes) else chunk
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
        h = next(reader, None)
        if h is None:
            continue
        if header is None:
            header = h
        elif h != header:
            raise ValueError("InvalidBatch : All uploads must have the same header")
        rows.extend(r for r in reader if r)
    return header, rows


def process(emu, org, job: IngestJob):
    job.state = "InProgress"
    job.started = time.time()
    try:
        header, rows = _parse(job)
    except (ValueError, UnicodeDecodeError, csv.Error) as e:
        _fail(job, str(e) if str(e).startswith("InvalidBatch") else f"InvalidBatch : {e}")
        return
    job.chunks = []
    if header is None:
        _fail(job, "InvalidBatch : Empty CSV file")
        return
    table = org.tables[job.object]
    hidden = org.hidden_fields
    for col in header:
        c = table.lower.get(col.strip().lower())
        if c is None or (table.name, c) in hidden:
            _fail(job, f"InvalidBatch : Field name not found : {col}")
            return
    lower = [h.strip().lower() for h in header]
    if job.operation in ("update", "delete") and "id" not in lower:
        _fail(job, f"InvalidBatch : Field name not found : Id (required for {job.operation})")
        return
    id_pos = lower.index("id") if "id" in lower else None
    job.header = header
    job.rows = rows
    n = len(header)
    now = sf_datetime()
    for start in range(0, len(rows), CHUNK):
        with org.lock:
            if job.state == "Aborted":
                return
            for i in range(start, min(start + CHUNK, len(rows))):
                row_values = rows[i]
                if len(row_values) != n:
                    job.errors[i] = "INVALID_FIELD:Incorrect number of columns in row:-- "
                    job.failed += 1
                    job.processed += 1
                    continue
                try:
                    if job.operation == "update":
                        id_ = row_values[id_pos]
                        values = {header[k]: row_values[k] for k in range(n) if k != id_pos}
                        row = table.parse_id(id_)
                        changes = prepare_update(table, row, id_, values, csv=True)
                        apply_update(table, row, changes, now)
                    elif job.operation == "insert":
                        values = {
                            header[k]: (None if v == "#N/A" else v)
                            for k, v in enumerate(row_values)
                            if v != ""
                        }
                        job.new_ids[i] = table.insert(prepare_insert(table, values))
                    else:
                        id_ = row_values[id_pos]
                        row = table.parse_id(id_)
                        if row is None or not table.exists(row):
                            raise SaveError(
                                "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id"
                            )
                        if row in table.deleted:
                            raise SaveError("ENTITY_IS_DELETED", "entity is deleted")
                        org.check_lock(table.id_of(row))
                        from .rest import delete_row

                        delete_row(table, row)
                except SaveError as e:
                    job.errors[i] = f"{e.status_code}:{e.message}:{','.join(e.fields)} --"
                    job.failed += 1
                job.processed += 1
    job.finished = time.time()
    job.state = "JobComplete"
    job.modstamp = sf_datetime()


def _fail(job: IngestJob, message: str):
    job.state = "Failed"
    job.error_message = message
    job.finished = time.time()
    job.modstamp = sf_datetime()


def _csv_response(lines_writer) -> Response:
    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n")
    lines_writer(w)
    return Response(200, buf.getvalue().encode(), "text/csv")


def results(job: IngestJob, kind: str) -> Response:
    header = job.header or []
    if kind == "unprocessedrecords":

        def write(w):
            w.writerow(header)
            if job.state in ("Aborted", "Failed") and job.rows:
                for r in job.rows[job.processed :]:
                    w.writerow(r)

        return _csv_response(write)
    if job.state not in ("JobComplete", "Failed", "Aborted"):
        return api_error(
            400, "INVALIDJOBSTATE", f"Results are not available for a job in state {job.state}"
        )
    id_pos = None
    lower = [h.strip().lower() for h in header]
    if "id" in lower:
        id_pos = lower.index("id")
    created = "true" if job.operation == "insert" else "false"
    errors = job.errors
    if kind == "successfulResults":

        def write(w):
            w.writerow(["sf__Id", "sf__Created", *header])
            for i in range(min(job.processed, len(job.rows))):
                if i in errors:
                    continue
                r = job.rows[i]
                rid = job.new_ids.get(i) or (r[id_pos] if id_pos is not None else "")
                w.writerow([rid, created, *r])

        return _csv_response(write)

    def write_failed(w):
        w.writerow(["sf__Id", "sf__Error", *header])
        for i in sorted(errors):
            r = job.rows[i]
            rid = (
                r[id_pos]
                if id_pos is not None and id_pos < len(r) and job.operation != "insert"
                else ""
            )
            w.writerow([rid, errors[i], *r])

    return _csv_response(write_failed)
