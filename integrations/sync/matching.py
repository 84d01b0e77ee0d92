"""Key -> records: SOQL `IN` queries in chunks, five per /composite call.

Each query stays under Salesforce's 100,000-character SOQL limit and travels inside a
Composite request body (a long query does not fit in a URL). A query answering more than
2,000 records returns a nextRecordsUrl; those follow-up pages ride in the next Composite
calls alongside fresh queries, so a run makes about ceil(chunks / 5) query calls.

Chunks are sized to whole answer pages: a query for 4,100 keys that all match needs three
pages (2,000 + 2,000 + 100), and the third is a wasted subrequest. So a chunk starts at
2,000 keys (one page when each key matches one record) and grows as the share of keys
that match is seen to be lower (a report where half the keys match fills a page with
about 4,000 keys), never past the SOQL length limit.
"""

import re
from collections.abc import Callable, Iterable, Iterator
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


_NEEDS_ESCAPE = re.compile("[" + re.escape("".join(_ESCAPES)) + "]")
RECORDS_PER_PAGE = 2000
# Grow chunks only to 95 % of a page's worth of expected records: a chunk that overshoots
# by a few records costs a whole extra page.
PAGE_FILL = 0.95


def soql_literal(value: str) -> str:
    """A quoted SOQL string literal; `o'brien` and `a\\b` match exactly what they say."""
    if _NEEDS_ESCAPE.search(value) is None:  # the usual case, and 10x faster
        return f"'{value}'"
    return "'" + "".join(_ESCAPES.get(char, char) for char in value) + "'"


@dataclass
class QueryChunk:
    soql: str
    keys: list[str]
    records: list[dict[str, Any]] = field(default_factory=list)
    next_url: str | None = None


def build_chunks(
    sobject: str,
    key_field: str,
    select_fields: list[str],
    keys: Iterable[str],
    max_keys: Callable[[], int] = lambda: RECORDS_PER_PAGE,
) -> Iterator[QueryChunk]:
    """SOQL queries covering `keys` (normalised, non-blank), each within the length limit
    and of at most `max_keys()` keys (read again for each chunk)."""
    head = f"SELECT {', '.join(select_fields)} FROM {sobject} WHERE {key_field} IN ("
    budget = max_soql_chars() - len(head) - 1
    batch: list[str] = []
    literals: list[str] = []
    used = 0
    limit = max_keys()
    for key in keys:
        literal = soql_literal(key)
        cost = len(literal) + (1 if batch else 0)
        if batch and (used + cost > budget or len(batch) >= limit):
            yield QueryChunk(head + ",".join(literals) + ")", batch)
            batch, literals, used = [], [], 0
            cost = len(literal)
            limit = max_keys()
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
    seen_keys = seen_records = 0

    def max_keys() -> int:
        if not seen_keys:
            return RECORDS_PER_PAGE
        if not seen_records:  # nothing matched so far: only the SOQL length limits a chunk
            return 1_000_000
        return max(RECORDS_PER_PAGE, int(RECORDS_PER_PAGE * PAGE_FILL * seen_keys / seen_records))

    chunks = build_chunks(sobject, key_field, select_fields, keys, max_keys)
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
            seen_keys += len(chunk.keys)
            seen_records += len(chunk.records)
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
