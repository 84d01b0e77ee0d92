"""Bulk API 2.0 ingest through simple-salesforce's bulk2 and by hand."""

from __future__ import annotations

import csv
import io
import time

import pytest

from salesforce_emulator import bulk


def _ids(sf, n):
    return [r["Id"] for r in sf.query(f"SELECT Id FROM Contact LIMIT {n}")["records"]]


def _rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_bulk2_update_with_failed_rows(emulator, sf):
    """Bulk API 2.0 Developer Guide: Get Job Successful/Failed Record Results."""
    a, b, c = _ids(sf, 3)
    result = sf.bulk2.Contact.update(
        records=[
            {"Id": a, "Upsell_Signal__c": "Expansion", "Churn_Risk__c": "Low"},
            {"Id": b, "Upsell_Signal__c": "y" * 256, "Churn_Risk__c": "Low"},
            {"Id": c, "Upsell_Signal__c": "ok", "Churn_Risk__c": "Extreme"},
        ],
        wait=0.05,
    )
    assert result[0]["numberRecordsProcessed"] == 3
    assert result[0]["numberRecordsFailed"] == 2
    job_id = result[0]["job_id"]
    ok = sf.bulk2.Contact.get_successful_records(job_id)
    header = ok.splitlines()[0].split(",")
    assert header[:2] == ['"sf__Id"', '"sf__Created"']
    assert sorted(header[2:]) == ['"Churn_Risk__c"', '"Id"', '"Upsell_Signal__c"']
    assert _rows(ok) == [
        {
            "sf__Id": a,
            "sf__Created": "false",
            "Id": a,
            "Upsell_Signal__c": "Expansion",
            "Churn_Risk__c": "Low",
        }
    ]
    failed = _rows(sf.bulk2.Contact.get_failed_records(job_id))
    assert [r["sf__Id"] for r in failed] == [b, c]
    assert failed[0]["sf__Error"].startswith(
        "STRING_TOO_LONG:Upsell Signal: data value too large: yyy"
    )
    assert failed[0]["sf__Error"].endswith(":Upsell_Signal__c --")
    assert failed[1]["sf__Error"].startswith("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:")
    assert emulator.control.get_record("Contact", a)["Upsell_Signal__c"] == "Expansion"
    assert emulator.control.get_record("Contact", b)["Upsell_Signal__c"] is None


def _client(sf):
    return sf.bulk2.Contact._client


def test_bulk_by_hand_with_delay_empty_cells_and_null(emulator, sf, http):
    """Bulk API 2.0 Developer Guide: Create a Job, Upload Job Data, Close, Get Job Info."""
    a, b = _ids(sf, 2)
    emulator.control.update_record("Contact", a, {"Title": "Keep me", "Upsell_Signal__c": "old"})
    emulator.control.set_bulk_delay(0.4)
    base = f"{sf.base_url}jobs/ingest"
    h = dict(sf.headers)
    job = http.post(
        base,
        json={
            "object": "Contact",
            "operation": "update",
            "contentType": "CSV",
            "lineEnding": "CRLF",
        },
        headers=h,
    ).json()
    assert job["state"] == "Open"
    assert job["contentUrl"] == f"services/data/v62.0/jobs/ingest/{job['id']}/batches"
    data = f"Id,Title,Upsell_Signal__c\r\n{a},,#N/A\r\n{b},New title,\r\n"
    r = http.put(
        f"{base}/{job['id']}/batches",
        data=data.encode(),
        headers=dict(h, **{"Content-Type": "text/csv"}),
    )
    assert r.status_code == 201
    r = http.patch(f"{base}/{job['id']}", json={"state": "UploadComplete"}, headers=h)
    assert r.json()["state"] == "UploadComplete"
    seen = set()
    for _ in range(100):
        info = http.get(f"{base}/{job['id']}", headers=h).json()
        seen.add(info["state"])
        if info["state"] == "JobComplete":
            break
        time.sleep(0.05)
    assert "InProgress" in seen and info["state"] == "JobComplete"
    for k in (
        "id",
        "operation",
        "object",
        "createdById",
        "createdDate",
        "systemModstamp",
        "state",
        "concurrencyMode",
        "contentType",
        "apiVersion",
        "jobType",
        "lineEnding",
        "columnDelimiter",
        "numberRecordsProcessed",
        "numberRecordsFailed",
        "retries",
        "totalProcessingTime",
        "apiActiveProcessingTime",
        "apexProcessingTime",
    ):
        assert k in info, k
    assert info["numberRecordsProcessed"] == 2 and info["numberRecordsFailed"] == 0
    rec_a = emulator.control.get_record("Contact", a)
    assert rec_a["Title"] == "Keep me" and rec_a["Upsell_Signal__c"] is None
    assert emulator.control.get_record("Contact", b)["Title"] == "New title"
    unprocessed = http.get(f"{base}/{job['id']}/unprocessedrecords/", headers=h)
    assert unprocessed.text.splitlines() == ['"Id","Title","Upsell_Signal__c"']
    assert http.delete(f"{base}/{job['id']}", headers=h).status_code == 204
    assert http.get(f"{base}/{job['id']}", headers=h).status_code == 404


def test_bulk_abort_and_unknown_column(emulator, sf, http):
    """Bulk API 2.0 Developer Guide: Close or Abort a Job; job Failed on a bad header."""
    client = _client(sf)
    job = client.create_job("update")
    client.upload_job_data(job["id"], "Id,Title\n0035g0000000000AAA,x\n")
    client.abort_job(job["id"], False)
    assert client.get_job(job["id"], False)["state"] == "Aborted"
    job = client.create_job("update")
    client.upload_job_data(job["id"], "Id,Nope__c\n0035g0000000000AAA,x\n")
    client.close_job(job["id"])
    info = client.get_job(job["id"], False)
    assert info["state"] == "Failed"
    assert "Nope__c" in info["errorMessage"]


def test_bulk_upload_size_limit(emulator, sf, http, monkeypatch):
    """Bulk API 2.0 Developer Guide: Limits (150,000,000 bytes per upload)."""
    job = _client(sf).create_job("update")
    monkeypatch.setattr(bulk, "MAX_UPLOAD_BYTES", 100)
    r = http.put(
        f"{sf.base_url}jobs/ingest/{job['id']}/batches",
        data=b"Id,Title\n" + b"0035g0000000000AAA,x\n" * 10,
        headers=dict(sf.headers, **{"Content-Type": "text/csv"}),
    )
    assert r.status_code == 413
    assert r.json()[0]["errorCode"]
    assert bulk.MAX_UPLOAD_BYTES == 100


def test_bulk_insert_and_locked_rows(emulator, sf):
    """Bulk API 2.0 Developer Guide: insert results (sf__Created true) and UNABLE_TO_LOCK_ROW."""
    res = sf.bulk2.Contact.insert(
        records=[{"LastName": "Bulk", "Email": "bulk1@x.example"}], wait=0.05
    )
    ok = _rows(sf.bulk2.Contact.get_successful_records(res[0]["job_id"]))
    assert ok[0]["sf__Created"] == "true" and ok[0]["sf__Id"].startswith("003")
    (a,) = _ids(sf, 1)
    emulator.control.lock_records([a])
    res = sf.bulk2.Contact.update(records=[{"Id": a, "Title": "x"}], wait=0.05)
    failed = _rows(sf.bulk2.Contact.get_failed_records(res[0]["job_id"]))
    assert failed[0]["sf__Error"].startswith("UNABLE_TO_LOCK_ROW:")


@pytest.mark.parametrize("n", [25_000])
def test_bulk_many_rows(emulator, sf, n):
    """Bulk API 2.0 Developer Guide: large ingest (one upload, results per row)."""
    first, _ = emulator.control.generate_contacts(n)
    t = emulator.emu.orgs["production"].tables["Contact"]
    records = [{"Id": t.id_of(first + i), "Sessions_30d__c": str(i % 50)} for i in range(n)]
    res = sf.bulk2.Contact.update(records=records, wait=0.05)
    assert res[0]["numberRecordsProcessed"] == n
    assert res[0]["numberRecordsFailed"] == 0
