"""REST API: versions, describe, query, sObject rows, Composite, sObject Collections, limits."""

from __future__ import annotations

import json
import re
import secrets
from urllib.parse import parse_qs, urlsplit

from . import soql
from .schema import base_describes, global_describe, render
from .store import (
    SaveError,
    apply_update,
    describe_for,
    index_key,
    prepare_insert,
    prepare_update,
    rollback,
    sf_datetime,
)
from .wire import Request, Response, api_error, json_response, not_found

MIN_VERSION, MAX_VERSION = 50, 66
MAX_COLLECTION = 200
MAX_COMPOSITE = 25
MAX_COMPOSITE_QUERIES = 5
_VERSION_RE = re.compile(r"^v(\d+)\.(\d)$")


def versions(emu) -> Response:
    return json_response(
        200,
        [
            {"label": _label(v), "url": f"/services/data/v{v}.0", "version": f"{v}.0"}
            for v in range(MIN_VERSION, MAX_VERSION + 1)
        ],
    )


def _label(v: int) -> str:
    # v50 = Winter '21; three releases a year.
    seasons = ["Winter", "Spring", "Summer"]
    i = v - 50
    year = 21 + (i + 0) // 3
    return f"{seasons[i % 3]} '{year:02d}"


def parse_version(seg: str) -> str | None:
    m = _VERSION_RE.match(seg)
    if not m or m.group(2) != "0":
        return None
    v = int(m.group(1))
    if v < MIN_VERSION or v > MAX_VERSION:
        return None
    return f"{v}.0"


def endpoint_kind(rest: str, method: str) -> str:
    head = rest.split("/", 1)[0]
    if head in ("query", "queryAll"):
        return "query"
    if rest.startswith("composite/sobjects"):
        return "collections"
    if head == "composite":
        return "composite"
    if rest.startswith("jobs/"):
        return "bulk"
    if head == "limits":
        return "limits"
    if head == "sobjects" and (
        rest == "sobjects" or rest.endswith("/describe") or rest.count("/") == 1 and method == "GET"
    ):
        return "describe"
    return "other"


def route(emu, req: Request, session, version: str, rest: str) -> Response:
    """Dispatch a request under /services/data/vNN.0/ (auth and limits already handled)."""
    org = emu.orgs[session.org_key]
    parts = [p for p in rest.split("/") if p]
    m = req.method
    if not parts:
        return json_response(200, _resources(version))
    head = parts[0]
    if head == "sobjects":
        if len(parts) == 1:
            if m != "GET":
                return _method_not_allowed(m)
            return _cached_json(
                emu, ("global", version), lambda: render(global_describe(), version, emu.base_url)
            )
        table = org.table(parts[1])
        if table is None:
            return not_found()
        if len(parts) == 2:
            if m == "POST":
                return _insert(org, table, req, version)
            if m == "GET":
                return json_response(
                    200, {"objectDescribe": _object_summary(emu, table, version), "recentItems": []}
                )
            return _method_not_allowed(m)
        if parts[2] == "describe" and len(parts) == 3:
            if m != "GET":
                return _method_not_allowed(m)
            key = ("describe", org.key, table.name, version, frozenset(org.hidden_fields))
            return _cached_json(
                emu, key, lambda: render(describe_for(table), version, emu.base_url)
            )
        if len(parts) == 3:
            return _record(emu, org, table, parts[2], req, version)
        return not_found()
    if head in ("query", "queryAll"):
        if m != "GET":
            return _method_not_allowed(m)
        if len(parts) == 2:
            return _query_more(emu, org, parts[1], version)
        q = req.arg("q")
        if q is None:
            return api_error(400, "MALFORMED_QUERY", "A query string has to be specified")
        return run_query(emu, org, q, version, _batch_size(req))
    if head == "composite":
        if len(parts) == 1:
            if m != "POST":
                return _method_not_allowed(m)
            return composite(emu, req, session, version)
        if parts[1] == "sobjects":
            if len(parts) == 2 and m == "PATCH":
                return collections_update(emu, org, req)
            if len(parts) == 2 and m == "POST":
                return collections_create(emu, org, req)
            if len(parts) == 4 and m == "PATCH":
                return collections_upsert(emu, org, req, parts[2], parts[3])
            return _method_not_allowed(m)
        return not_found()
    if head == "limits":
        return json_response(200, limits(org))
    if head == "jobs":
        from . import bulk

        return bulk.route(emu, req, org, version, parts[1:])
    return not_found()


def _method_not_allowed(m: str) -> Response:
    return api_error(
        405, "METHOD_NOT_ALLOWED", f"HTTP Method '{m}' not allowed. Allowed are GET,HEAD"
    )


def _resources(v: str) -> dict:
    base = f"/services/data/v{v}"
    return {
        k: f"{base}/{k}"
        for k in (
            "tooling",
            "metadata",
            "eclair",
            "folders",
            "prechatForms",
            "chatter",
            "tabs",
            "appMenu",
            "quickActions",
            "queryAll",
            "commerce",
            "wave",
            "iot",
            "analytics",
            "search",
            "identity",
            "composite",
            "parameterizedSearch",
            "fingerprint",
            "theme",
            "nouns",
            "domino",
            "event",
            "serviceTemplates",
            "recent",
            "connect",
            "licensing",
            "limits",
            "process",
            "async-queries",
            "query",
            "jobs",
            "match",
            "emailConnect",
            "compactLayouts",
            "knowledgeManagement",
            "sobjects",
            "actions",
            "support",
            "ui-api",
            "consent",
            "dedupe",
        )
    }


def _cached_json(emu, key, build) -> Response:
    body = emu.cache.get(key)
    if body is None:
        body = build()
        emu.cache[key] = body
    r = Response(200, body)
    r.obj_factory = lambda: json.loads(body)
    return r


def _object_summary(emu, table, version) -> dict:
    for o in global_describe()["sobjects"]:
        if o["name"] == table.name:
            return json.loads(render(o, version, emu.base_url))
    return {}


def limits(org) -> dict:
    return {
        "ConcurrentAsyncGetReportInstances": {"Max": 200, "Remaining": 200},
        "ConcurrentSyncReportRuns": {"Max": 20, "Remaining": 20},
        "DailyApiRequests": {"Max": org.api_max, "Remaining": max(0, org.api_max - org.api_used)},
        "DailyAsyncApexExecutions": {"Max": 250000, "Remaining": 250000},
        "DailyBulkApiBatches": {"Max": 15000, "Remaining": 15000},
        "DailyBulkV2QueryFileStorageMB": {"Max": 976562, "Remaining": 976562},
        "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
        "DataStorageMB": {"Max": 5, "Remaining": 5},
        "FileStorageMB": {"Max": 20, "Remaining": 20},
        "HourlyTimeBasedWorkflow": {"Max": 50, "Remaining": 50},
        "SingleEmail": {"Max": 15, "Remaining": 15},
    }


# ------------------------------------------------------------------ query


def _batch_size(req: Request) -> int:
    opts = req.header("Sforce-Query-Options") or ""
    m = re.search(r"batchSize\s*=\s*(\d+)", opts)
    if not m:
        return 2000
    return max(200, min(2000, int(m.group(1))))


def _records(table, fields, rows, version) -> list[dict]:
    tname = table.name
    prefix = f"/services/data/v{version}/sobjects/{tname}/"
    get = table.get
    id_of = table.id_of
    out = []
    for r in rows:
        rec = {"attributes": {"type": tname, "url": prefix + id_of(r)}}
        for f in fields:
            rec[f] = get(r, f)
        out.append(rec)
    return out


def run_query(emu, org, q: str, version: str, batch: int = 2000) -> Response:
    try:
        table, fields, rows, count_only = soql.execute(org, q)
    except soql.QueryError as e:
        return api_error(400, e.code, e.message)
    if count_only:
        return json_response(200, {"totalSize": len(rows), "done": True, "records": []})
    total = len(rows)
    with org.lock:
        page = _records(table, fields, rows[:batch], version)
    body = {"totalSize": total, "done": total <= batch}
    if total > batch:
        loc = "01g" + org.pod + secrets.token_hex(5)
        with emu.auth_lock:
            emu.cursors[loc] = (org.key, table, fields, rows, batch)
            while len(emu.cursors) > 500:
                emu.cursors.pop(next(iter(emu.cursors)))
        body["nextRecordsUrl"] = f"/services/data/v{version}/query/{loc}-{batch}"
    body["records"] = page
    return json_response(200, body)


def _query_more(emu, org, locator: str, version: str) -> Response:
    loc, _, off = locator.rpartition("-")
    cur = emu.cursors.get(loc)
    if cur is None or cur[0] != org.key or not off.isdigit():
        return api_error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    _, table, fields, rows, batch = cur
    offset = int(off)
    with org.lock:
        page = _records(table, fields, rows[offset : offset + batch], version)
    end = offset + batch
    body = {"totalSize": len(rows), "done": end >= len(rows)}
    if end < len(rows):
        body["nextRecordsUrl"] = f"/services/data/v{version}/query/{loc}-{end}"
    body["records"] = page
    return json_response(200, body)


# ------------------------------------------------------------------ single records


def _lookup_row(table, id_):
    row = table.parse_id(id_)
    if row is None or not table.exists(row):
        return None
    return row


def _record(emu, org, table, id_, req: Request, version) -> Response:
    m = req.method
    with org.lock:
        row = _lookup_row(table, id_)
        if row is None:
            return not_found()
        if m == "GET":
            if row in table.deleted:
                return api_error(404, "ENTITY_IS_DELETED", "entity is deleted", [])
            fields_arg = req.arg("fields")
            if fields_arg:
                names = []
                for f in fields_arg.split(","):
                    c = table.lower.get(f.strip().lower())
                    if c is None or not table.visible(c):
                        return api_error(
                            400,
                            "INVALID_FIELD",
                            f"No such column '{f.strip()}' on sobject of type {table.name}",
                        )
                    names.append(c)
            else:
                names = table.visible_fields()
            rec = {
                "attributes": {
                    "type": table.name,
                    "url": f"/services/data/v{version}/sobjects/{table.name}/{table.id_of(row)}",
                }
            }
            rec.update(table.record(row, names))
            return json_response(200, rec)
        if m == "PATCH":
            try:
                values = req.json()
            except ValueError:
                return _json_parse_error()
            if not isinstance(values, dict):
                return _json_parse_error()
            values.pop("attributes", None)
            values.pop("Id", None)
            try:
                changes = prepare_update(table, row, id_, values)
            except SaveError as e:
                return api_error(_status_for(e), e.status_code, e.message, e.fields)
            apply_update(table, row, changes, undo=getattr(req, "undo", None))
            return Response(204, b"", None)
        if m == "DELETE":
            if row in table.deleted:
                return api_error(404, "ENTITY_IS_DELETED", "entity is deleted", [])
            try:
                org.check_lock(table.id_of(row))
            except SaveError as e:
                return api_error(400, e.status_code, e.message, e.fields)
            delete_row(table, row)
            return Response(204, b"", None)
    return _method_not_allowed(m)


def delete_row(table, row: int):
    table.deleted.add(row)
    for name, idx in table.indexes.items():
        col = table.cols.get(name)
        v = col[row] if col is not None and row < len(col) else None
        if v is not None:
            from .store import _index_remove

            _index_remove(idx, index_key(v), row)


def _status_for(e: SaveError) -> int:
    return 404 if e.status_code in ("ENTITY_IS_DELETED",) else 400


def _json_parse_error() -> Response:
    return api_error(400, "JSON_PARSER_ERROR", "Unexpected character: was expecting a JSON object")


def _insert(org, table, req: Request, version) -> Response:
    try:
        values = req.json()
    except ValueError:
        return _json_parse_error()
    if not isinstance(values, dict):
        return _json_parse_error()
    values.pop("attributes", None)
    with org.lock:
        try:
            changes = prepare_insert(table, values)
        except SaveError as e:
            return api_error(400, e.status_code, e.message, e.fields)
        new_id = table.insert(changes)
    return json_response(201, {"id": new_id, "success": True, "errors": []})


# ------------------------------------------------------------------ sObject Collections

ROLLED_BACK = SaveError(
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "Record rolled back because not all records were valid and the request was using AllOrNone header",  # noqa: E501
)


def _collection_body(req: Request):
    try:
        body = req.json()
    except ValueError:
        return None, _json_parse_error()
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        return None, api_error(400, "JSON_PARSER_ERROR", "Cannot deserialize instance of records")
    if len(body["records"]) > MAX_COLLECTION:
        return None, api_error(
            400,
            "EXCEEDED_ID_LIMIT",
            f"record limit reached. cannot submit more than {MAX_COLLECTION} records into this call",  # noqa: E501
        )
    return body, None


def _prepare_one(org, rec):
    if not isinstance(rec, dict):
        raise SaveError("JSON_PARSER_ERROR", "record must be a JSON object")
    values = dict(rec)
    attrs = values.pop("attributes", None) or {}
    sobject = attrs.get("type") if isinstance(attrs, dict) else None
    if not sobject:
        raise SaveError(
            "INVALID_TYPE",
            "No type was specified for the record. Each record must have an attributes.type",
        )
    table = org.table(sobject)
    if table is None:
        raise SaveError("INVALID_TYPE", f"sObject type '{sobject}' is not supported.")
    id_ = None
    for k in list(values):
        if k.lower() == "id":
            id_ = values.pop(k)
    if not id_:
        raise SaveError("MISSING_ARGUMENT", "Id not specified in an update call")
    row = table.parse_id(id_)
    changes = prepare_update(table, row, id_, values)
    return table, row, changes


def _result_id(rec):
    if isinstance(rec, dict):
        for k, v in rec.items():
            if k.lower() == "id" and isinstance(v, str):
                return v
    return None


def collections_update(emu, org, req: Request) -> Response:
    body, err = _collection_body(req)
    if err:
        return err
    all_or_none = bool(body.get("allOrNone", False))
    records = body["records"]
    undo = getattr(req, "undo", None)
    results = []
    now = sf_datetime()
    with org.lock:
        if all_or_none:
            prepared, failed = [], False
            for rec in records:
                try:
                    prepared.append(_prepare_one(org, rec))
                except SaveError as e:
                    prepared.append(e)
                    failed = True
            if failed:
                for rec, p in zip(records, prepared, strict=True):
                    e = p if isinstance(p, SaveError) else ROLLED_BACK
                    results.append(
                        {"id": _result_id(rec), "success": False, "errors": [e.as_dict()]}
                    )
                return json_response(200, results)
            for table, row, changes in prepared:
                apply_update(table, row, changes, now, undo)
                results.append({"id": table.id_of(row), "success": True, "errors": []})
            return json_response(200, results)
        for rec in records:
            try:
                table, row, changes = _prepare_one(org, rec)
            except SaveError as e:
                results.append({"id": _result_id(rec), "success": False, "errors": [e.as_dict()]})
                continue
            apply_update(table, row, changes, now, undo)
            results.append({"id": table.id_of(row), "success": True, "errors": []})
    return json_response(200, results)


def _upsert_one(table, ext_field: str, rec):
    if not isinstance(rec, dict):
        raise SaveError("JSON_PARSER_ERROR", "record must be a JSON object")
    values = dict(rec)
    attrs = values.pop("attributes", None) or {}
    if (
        isinstance(attrs, dict)
        and attrs.get("type")
        and attrs["type"].lower() != table.name.lower()
    ):
        raise SaveError(
            "INVALID_TYPE", f"sObject type '{attrs['type']}' does not match {table.name}"
        )
    key = None
    for k in list(values):
        if k.lower() == ext_field.lower():
            key = values[k]
            if ext_field.lower() == "id":
                values.pop(k)
    f = table.fields[ext_field]
    if key is None or key == "":
        if ext_field.lower() == "id":
            return "insert", None, prepare_insert(table, values)
        raise SaveError("MISSING_ARGUMENT", f"{ext_field} not specified", [])
    if ext_field.lower() == "id":
        row = table.parse_id(key)
        rows = [row] if row is not None and table.exists(row) else []
        if not rows:
            raise SaveError(
                "MALFORMED_ID",
                f"{table.describe['label']} ID: id value of incorrect type: {key}",
                ["Id"],
            )
    else:
        hit = table.index(ext_field).get(index_key(key)) if ext_field in table.cols else None
        rows = [] if hit is None else (list(hit) if isinstance(hit, list) else [hit])
    if len(rows) > 1:
        ids = ", ".join(table.id_of(r) for r in rows)
        raise SaveError(
            "DUPLICATE_EXTERNAL_ID",
            f"{f['label']}: more than one record found for external id field: [{ids}]",
            [ext_field],
        )
    if not rows:
        return "insert", None, prepare_insert(table, values)
    row = rows[0]
    return "update", row, prepare_update(table, row, table.id_of(row), values)


def collections_upsert(emu, org, req: Request, sobject: str, field: str) -> Response:
    """PATCH composite/sobjects/{Object}/{ExternalIdField}: upsert by an external id."""
    table = org.table(sobject)
    if table is None:
        return not_found()
    canonical = table.lower.get(field.lower())
    if (
        canonical is None
        or not table.visible(canonical)
        or not (
            canonical == "Id"
            or table.fields[canonical]["externalId"]
            or table.fields[canonical]["idLookup"]
        )
    ):
        return api_error(
            400, "INVALID_FIELD", f"Field {field} is not an external id field on {table.name}"
        )
    body, err = _collection_body(req)
    if err:
        return err
    all_or_none = bool(body.get("allOrNone", False))
    undo = getattr(req, "undo", None)
    prepared, failed = [], False
    results = []
    now = sf_datetime()
    with org.lock:
        for rec in body["records"]:
            try:
                p = _upsert_one(table, canonical, rec)
            except SaveError as e:
                p = e
                failed = True
            if not all_or_none:
                results.append(_apply_upsert(table, p, now, undo))
            else:
                prepared.append(p)
        if all_or_none:
            for p in prepared:
                if isinstance(p, SaveError):
                    results.append(
                        {"id": None, "success": False, "errors": [p.as_dict()], "created": False}
                    )
                elif failed:
                    results.append(
                        {
                            "id": None,
                            "success": False,
                            "errors": [ROLLED_BACK.as_dict()],
                            "created": False,
                        }
                    )
                else:
                    results.append(_apply_upsert(table, p, now, undo))
    return json_response(200, results)


def _apply_upsert(table, p, now, undo) -> dict:
    if isinstance(p, SaveError):
        return {"id": None, "success": False, "errors": [p.as_dict()], "created": False}
    op, row, changes = p
    if op == "insert":
        return {"id": table.insert(changes), "success": True, "errors": [], "created": True}
    apply_update(table, row, changes, now, undo)
    return {"id": table.id_of(row), "success": True, "errors": [], "created": False}


def collections_create(emu, org, req: Request) -> Response:
    body, err = _collection_body(req)
    if err:
        return err
    all_or_none = bool(body.get("allOrNone", False))
    results, prepared, failed = [], [], False
    with org.lock:
        for rec in body["records"]:
            try:
                values = dict(rec)
                attrs = values.pop("attributes", None) or {}
                table = org.table(attrs.get("type") or "")
                if table is None:
                    raise SaveError("INVALID_TYPE", "No type was specified for the record.")
                prepared.append((table, prepare_insert(table, values)))
            except SaveError as e:
                prepared.append(e)
                failed = True
        for p in prepared:
            if isinstance(p, SaveError):
                results.append({"success": False, "errors": [p.as_dict()]})
            elif all_or_none and failed:
                results.append({"success": False, "errors": [ROLLED_BACK.as_dict()]})
            else:
                table, changes = p
                results.append({"id": table.insert(changes), "success": True, "errors": []})
    return json_response(200, results)


# ------------------------------------------------------------------ Composite

_REF_RE = re.compile(r"@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}")


def _resolve_refs(text: str, results: dict) -> str:
    def sub(m):
        ref, path = m.group(1), m.group(2)
        if ref not in results:
            raise KeyError(ref)
        v = results[ref]
        for part in re.findall(r"\.([A-Za-z0-9_]+)|\[(\d+)\]", path):
            v = v[part[0]] if part[0] else v[int(part[1])]
        return v if isinstance(v, str) else json.dumps(v)

    return _REF_RE.sub(sub, text)


def composite(emu, req: Request, session, version: str) -> Response:
    try:
        body = req.json()
    except ValueError:
        return _json_parse_error()
    subs = body.get("compositeRequest") if isinstance(body, dict) else None
    if not isinstance(subs, list) or not subs:
        return api_error(400, "JSON_PARSER_ERROR", "compositeRequest must be a non-empty array")
    if len(subs) > MAX_COMPOSITE:
        return api_error(
            400,
            "INVALID_REQUEST",
            f"Composite request may contain at most {MAX_COMPOSITE} subrequests; received {len(subs)}",  # noqa: E501
        )
    heavy = 0
    for s in subs:
        url = str(s.get("url", ""))
        path = urlsplit(url).path
        if re.search(r"/(query|queryAll)(/|$)", path) or "/composite/sobjects" in path:
            heavy += 1
    if heavy > MAX_COMPOSITE_QUERIES:
        return api_error(
            400,
            "INVALID_REQUEST",
            f"Composite request may contain at most {MAX_COMPOSITE_QUERIES} query or sObject "
            f"Collections subrequests; received {heavy}",
        )
    all_or_none = bool(body.get("allOrNone", False))
    org = emu.orgs[session.org_key]
    undo: list | None = [] if all_or_none else None
    results: dict = {}
    out = []
    halted = False
    with org.lock:
        for s in subs:
            ref = s.get("referenceId")
            if halted:
                out.append(_halted(ref))
                continue
            try:
                url = _resolve_refs(str(s.get("url", "")), results)
                sub_body = s.get("body")
                raw = b""
                if sub_body is not None:
                    raw = _resolve_refs(json.dumps(sub_body), results).encode()
            except (KeyError, IndexError, TypeError):
                resp = api_error(
                    400,
                    "INVALID_REFERENCE",
                    "Invalid reference specified. No value for a referenceId found",
                )
            else:
                resp = _subrequest(
                    emu,
                    req,
                    session,
                    s.get("method", "GET"),
                    url,
                    raw,
                    s.get("httpHeaders") or {},
                    undo,
                )
            obj = resp.obj
            if obj is None and resp.body:
                try:
                    obj = json.loads(resp.body)
                except ValueError:
                    obj = resp.body.decode("utf-8", "replace")
            headers = {
                k: v for k, v in resp.headers.items() if k in ("Location", "ETag", "Last-Modified")
            }
            out.append(
                {
                    "body": obj,
                    "httpHeaders": headers,
                    "httpStatusCode": resp.status,
                    "referenceId": ref,
                }
            )
            if isinstance(obj, (dict, list)):
                results[ref] = obj
            if all_or_none and resp.status >= 400:
                halted = True
        if halted:
            rollback(undo)
            out = [
                o if o["httpStatusCode"] >= 400 and not _is_halted(o) else _halted(o["referenceId"])
                for o in out
            ]
    return json_response(200, {"compositeResponse": out})


def _halted(ref) -> dict:
    return {
        "body": [
            {
                "errorCode": "PROCESSING_HALTED",
                "message": "The transaction was rolled back since another operation in the same transaction failed.",  # noqa: E501
            }
        ],
        "httpHeaders": {},
        "httpStatusCode": 400,
        "referenceId": ref,
    }


def _is_halted(o) -> bool:
    b = o.get("body")
    return (
        isinstance(b, list)
        and b
        and isinstance(b[0], dict)
        and b[0].get("errorCode") == "PROCESSING_HALTED"
    )


def _subrequest(
    emu, parent: Request, session, method: str, url: str, body: bytes, headers: dict, undo
) -> Response:
    parts = urlsplit(url)
    path = parts.path
    prefix = "/services/data/"
    if not path.startswith(prefix):
        return not_found()
    seg, _, rest = path[len(prefix) :].partition("/")
    version = parse_version(seg)
    if version is None:
        return not_found()
    hdrs = {k: v for k, v in headers.items()}
    sub = Request(
        method=method.upper(),
        path=path,
        query=parse_qs(parts.query, keep_blank_values=True),
        headers=_CIDict(hdrs),
        body=body,
        host=parent.host,
        port=parent.port,
        subrequest=True,
    )
    sub.undo = undo
    if rest.startswith("jobs/") or rest.startswith("composite"):
        if not rest.startswith("composite/sobjects"):
            return api_error(400, "INVALID_REQUEST", f"Unsupported composite subrequest: {path}")
    return route(emu, sub, session, version, rest)


class _CIDict(dict):
    def __init__(self, d):
        super().__init__({k.lower(): v for k, v in d.items()})

    def get(self, k, default=None):
        return super().get(k.lower(), default)


def describe_names() -> list[str]:
    return list(base_describes())
