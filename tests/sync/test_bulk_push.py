"""Bulk API 2.0 pieces whose memory stays flat: the CSV written to a file, the compact Id
index, and result files read row by row (resumed when a download breaks off)."""

import csv
import io

import pytest
import requests

from integrations.sync import push
from integrations.sync.api import ApiCallFailed, SalesforceApi
from integrations.sync.diff import LEAVE
from integrations.sync.keys import KeyedRow
from salesforce_auth.client import get_client
from salesforce_auth.metadata import FieldInfo

FIELDS = (FieldInfo("NPS_Score__c", "NPS", "double"), FieldInfo("Title", "Title", "string"))


def change(number: int, nps, title, mask: int = 0b11) -> push.Change:
    return push.Change(f"003{number:015d}", KeyedRow(number, f"k{number}", (nps, title)), mask)


def test_csv_parts_are_files_within_the_size_limit_with_every_change_once():
    changes = [change(n, float(n), f"T, {n}" if n % 2 else LEAVE) for n in range(1, 301)]
    changes.append(change(301, None, "x", mask=0b01))  # NPS cleared, Title left

    parts = [
        (part.read(), list(part.changes)) for part in push.bulk_csv_parts(FIELDS, changes, 2000)
    ]

    assert len(parts) > 1
    assert all(len(document) <= 2000 for document, _ in parts)
    assert [c for _, batch in parts for c in batch] == changes
    rows = []
    for document, batch in parts:
        reader = list(csv.reader(io.StringIO(document.decode(), newline="")))
        assert reader[0] == ["Id", "NPS_Score__c", "Title"]
        assert [r[0] for r in reader[1:]] == [c.record_id for c in batch]
        rows.extend(reader[1:])
    assert rows[0] == ["003000000000000001", "1", "T, 1"]
    assert rows[-1] == ["003000000000000301", "#N/A", ""]


def test_the_id_index_hands_out_each_change_once_in_job_order():
    changes = [change(1, 1.0, "a"), change(2, 2.0, "b"), change(1, 3.0, "c")]
    changes += [change(n, float(n), "d") for n in range(3, 40)]  # the table grows twice
    index = push.IdIndex(changes, 1)
    for item in changes[1:]:
        index.add(item.record_id)

    assert index.take(changes[0].record_id) is changes[2]  # changes[0] is not in the index
    assert index.take(changes[0].record_id) is None
    assert index.take("003999999999999999") is None
    assert index.take("") is None
    for item in changes[3:]:
        assert index.take(item.record_id) is item
    assert index.untaken() == [changes[1]]


class FakeResponse:
    def __init__(self, body: bytes, break_after: int | None = None) -> None:
        self.body = body
        self.break_after = break_after
        self.headers = {"Content-Type": "text/csv"}
        self.closed = False

    def iter_content(self, size: int):
        for start in range(0, len(self.body), size):
            if self.break_after is not None and start >= self.break_after:
                raise requests.exceptions.ChunkedEncodingError("connection reset")
            yield self.body[start : start + size]

    def close(self) -> None:
        self.closed = True


class FakeApi(SalesforceApi):
    def __init__(self, responses: list[FakeResponse]) -> None:
        super().__init__(sf=None)
        self.responses = responses
        self.given: list[FakeResponse] = []

    def call(self, kind, method, path, **kwargs):
        assert kwargs == {"stream": True}
        self.calls[kind] += 1
        response = self.responses.pop(0)
        self.given.append(response)
        return response


def failed_results(count: int) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(["sf__Id", "sf__Error", "Id", "Title"])
    for n in range(count):
        error = f"FIELD_CUSTOM_VALIDATION_EXCEPTION:Line one\nline two é {n}:Title --"
        writer.writerow([f"003{n:015d}", error, f"003{n:015d}", f"T{n}"])
    return buffer.getvalue().encode()


@pytest.mark.parametrize("chunk", [7, 1 << 16])
def test_result_rows_are_read_as_they_arrive_with_quoted_line_breaks(monkeypatch, chunk):
    monkeypatch.setattr(push, "RESULT_CHUNK_BYTES", chunk)
    api = FakeApi([FakeResponse(failed_results(50))])

    rows = list(push._result_rows(api, "750x", "failedResults"))

    assert len(rows) == 50
    assert rows[3]["sf__Id"] == "003000000000000003"
    code, message, field = push.parse_bulk_error(rows[3]["sf__Error"])
    assert (code, message, field) == (
        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "Line one\nline two é 3",
        "Title",
    )
    assert api.given[0].closed


def test_a_broken_result_download_is_read_again_without_repeating_rows(monkeypatch, settings):
    settings.SYNC_RETRY_BASE_SECONDS = 0.001
    monkeypatch.setattr(push, "RESULT_CHUNK_BYTES", 100)
    body = failed_results(40)
    api = FakeApi([FakeResponse(body, break_after=1500), FakeResponse(body)])

    ids = [row["sf__Id"] for row in push._result_rows(api, "750x", "failedResults")]

    assert ids == [f"003{n:015d}" for n in range(40)]
    assert api.retries == 1
    assert all(response.closed for response in api.given)


def test_a_result_download_that_keeps_breaking_fails_the_call(monkeypatch, settings):
    settings.SYNC_RETRY_BASE_SECONDS = 0.001
    settings.SYNC_MAX_RETRIES = 2
    body = failed_results(40)
    api = FakeApi([FakeResponse(body, break_after=0) for _ in range(3)])

    with pytest.raises(ApiCallFailed, match="broke off after 3 attempts"):
        list(push._result_rows(api, "750x", "failedResults"))


@pytest.mark.django_db
def test_a_csv_file_upload_is_sent_again_whole_after_a_session_refresh(
    emulator_connection, emulator, tmp_path
):
    api = SalesforceApi(get_client(emulator_connection))
    dana = api.call(
        "query", "GET", "query/?q=SELECT+Id+FROM+Contact+WHERE+Email='dana.levi@acme-corp.example'"
    )["records"][0]["Id"]
    job = api.call(
        "bulk",
        "POST",
        "jobs/ingest/",
        json={"object": "Contact", "operation": "update", "contentType": "CSV", "lineEnding": "LF"},
    )
    emulator.control.expire_sessions()
    path = tmp_path / "job.csv"
    path.write_bytes(f"Id,Title\n{dana},Streamed\n".encode())
    with path.open("rb") as document:
        api.call(
            "bulk",
            "PUT",
            f"jobs/ingest/{job['id']}/batches/",
            data=document,
            headers={"Content-Type": "text/csv"},
        )
    api.call("bulk", "PATCH", f"jobs/ingest/{job['id']}/", json={"state": "UploadComplete"})
    state, _ = push._wait_for_job(api, job["id"], deadline=float("inf"))

    assert state == "JobComplete"
    rows = list(push._result_rows(api, job["id"], "successfulResults"))
    assert [(row["sf__Id"], row["Title"]) for row in rows] == [(dana, "Streamed")]
