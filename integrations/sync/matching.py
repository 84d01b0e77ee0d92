"""Key -> records: SOQL `IN` queries in chunks, five per /composite call.

Each query stays under Salesforce's 100,000-character SOQL limit and travels inside a
Composite request body (a long query does not fit in a URL). A query answering more than
2,000 records returns a nextRecordsUrl; those follow-up pages ride in the next Composite
calls alongside fresh queries, so a run makes about ceil(chunks / 5) query calls.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from django.conf import settings

from integrations.sync.api import ApiCallFailed, SalesforceApi, error_code_and_message
from integrations.sync.keys import normalise_key

QUERIES_PER_COMPOSITE = 5
# Salesforce refuses string literals longer than this in a WHERE clause.
MAX_LITERAL_CHARS = 4000
_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}


def max_soql_chars() -> int:
    return int(getattr(settings, "SYNC_MAX_SOQL_CHARS", 100_000))


def soql_literal(value: str) -> str:
    """A quoted SOQL string literal; `o'brien` and `a\\b` match exactly what they say."""
    return "'" + "".join(_ESCAPES.get(char, char) for char in value) + "'"


@dataclass
class QueryChunk:
    soql: str
    keys: list[str]
    records: list[dict[str, Any]] = field(default_factory=list)
    next_url: str | None = None


def build_chunks(
    sobject: str, key_field: str, select_fields: list[str], keys: Iterable[str]
) -> Iterator[QueryChunk]:
    """SOQL queries covering `keys` (normalised, non-blank), each within the length limit."""
    head = f"SELECT {', '.join(select_fields)} FROM {sobject} WHERE {key_field} IN ("
    budget = max_soql_chars() - len(head) - 1
    batch: list[str] = []
    literals: list[str] = []
    used = 0
    for key in keys:
        literal = soql_literal(key)
        cost = len(literal) + (1 if batch else 0)
        if batch and used + cost > budget:
            yield QueryChunk(head + ",".join(literals) + ")", batch)
            batch, literals, used = [], [], 0
            cost = len(literal)
        batch.append(key)
        literals.append(literal)
        used += cost
    if batch:
        yield QueryChunk(head + ",".join(literals) + ")", batch)


def queryable_key(key: str) -> bool:
    return len(key) <= MAX_LITERAL_CHARS


def count_chunks(sobject: str, key_field: str, select_fields: list[str], keys: Iterable[str]):
    """How many queries `keys` need (to estimate the API calls of a run before it starts)."""
    return sum(1 for _ in build_chunks(sobject, key_field, select_fields, keys))


def fetch(
    api: SalesforceApi,
    sobject: str,
    key_field: str,
    key_type: str,
    select_fields: list[str],
    keys: Iterable[str],
) -> Iterator[tuple[list[str], dict[str, list[dict[str, Any]]]]]:
    """For each finished chunk: (its keys, normalised key -> matching records)."""
    chunks = build_chunks(sobject, key_field, select_fields, keys)
    waiting: list[QueryChunk] = []  # chunks with more pages to read
    exhausted = False
    while True:
        batch: list[QueryChunk] = waiting[:QUERIES_PER_COMPOSITE]
        waiting = waiting[QUERIES_PER_COMPOSITE:]
        while len(batch) < QUERIES_PER_COMPOSITE and not exhausted:
            chunk = next(chunks, None)
            if chunk is None:
                exhausted = True
            else:
                batch.append(chunk)
        if not batch:
            return
        _run_composite(api, batch)
        for chunk in batch:
            if chunk.next_url:
                waiting.append(chunk)
                continue
            found: dict[str, list[dict[str, Any]]] = {}
            for record in chunk.records:
                value = record.get(key_field)
                if value is None:
                    continue
                found.setdefault(normalise_key(str(value), key_type), []).append(record)
            chunk.records = []
            yield chunk.keys, found


def _run_composite(api: SalesforceApi, batch: list[QueryChunk]) -> None:
    subrequests = []
    for index, chunk in enumerate(batch):
        url = chunk.next_url or api.data_path("query/?q=" + quote(chunk.soql, safe=""))
        subrequests.append({"method": "GET", "url": url, "referenceId": f"q{index}"})
    answer = api.call(
        "query",
        "POST",
        "composite/",
        json={"allOrNone": False, "compositeRequest": subrequests},
    )
    responses = {item["referenceId"]: item for item in answer["compositeResponse"]}
    for index, chunk in enumerate(batch):
        item = responses[f"q{index}"]
        body = item.get("body")
        if item.get("httpStatusCode") != 200 or not isinstance(body, dict):
            code, message = error_code_and_message(body)
            raise ApiCallFailed(
                f"Matching query failed: HTTP {item.get('httpStatusCode')} {code} {message}",
                item.get("httpStatusCode"),
                code,
            )
        chunk.records.extend(body.get("records") or ())
        chunk.next_url = None if body.get("done", True) else body.get("nextRecordsUrl")
