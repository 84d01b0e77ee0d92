"""REST API behaviour through the real simple-salesforce and requests."""

from __future__ import annotations

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound
from simple_salesforce.format import format_soql

from salesforce_emulator import seed


def test_versions(emulator, http):
    """REST API Developer Guide: List Available REST API Versions."""
    r = http.get(f"{emulator.base_url}/services/data/")
    versions = [v["version"] for v in r.json()]
    assert versions[0] == "50.0" and versions[-1] == "66.0"
    assert set(r.json()[0]) == {"label", "url", "version"}


def test_unsupported_version_is_not_found(emulator, http, tokens):
    """REST API Developer Guide: Status Codes and Error Responses (404 NOT_FOUND)."""
    r = http.get(
        f"{emulator.base_url}/services/data/v49.0/limits",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert r.status_code == 404
    assert r.json() == [
        {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
    ]


def test_describe_has_custom_fields_and_hides_fls_field(emulator, sf):
    """REST API Developer Guide: sObject Describe (field properties)."""
    d = sf.Contact.describe()
    fields = {f["name"]: f for f in d["fields"]}
    assert "Internal_Score__c" not in fields
    churn = fields["Churn_Risk__c"]
    assert churn["restrictedPicklist"] is True
    assert [p["value"] for p in churn["picklistValues"] if p["active"]] == ["High", "Medium", "Low"]
    assert any(not p["active"] for p in churn["picklistValues"])
    wm = fields["WalkMe_User_Id__c"]
    assert (wm["externalId"], wm["unique"], wm["idLookup"], wm["length"]) == (True, True, True, 36)
    assert fields["Onboarding_Progress__c"]["type"] == "percent"
    assert (
        fields["Onboarding_Progress__c"]["precision"],
        fields["Onboarding_Progress__c"]["scale"],
    ) == (5, 2)
    assert fields["NPS_Score__c"]["precision"] == 3
    assert fields["Onboarding_Completed__c"]["type"] == "boolean"
    assert fields["Onboarding_Completed__c"]["nillable"] is False
    assert fields["Last_Seen__c"]["soapType"] == "xsd:dateTime"
    assert (
        fields["Engagement_Level__c"]["calculated"]
        and not fields["Engagement_Level__c"]["updateable"]
    )
    assert fields["Member_Number__c"]["autoNumber"] and not fields["Member_Number__c"]["updateable"]
    assert fields["Id"]["updateable"] is False and fields["CreatedDate"]["updateable"] is False
    assert d["urls"]["describe"] == "/services/data/v62.0/sobjects/Contact/describe"
    for name in ("Lead", "Account", "User", "WalkMe_Usage__c"):
        dd = getattr(sf, name).describe()
        assert dd["name"] == name
        assert any(f["calculated"] for f in dd["fields"]), name
        assert any(f["autoNumber"] for f in dd["fields"]), name
    emulator.control.hide_field("Contact", "Upsell_Signal__c")
    assert "Upsell_Signal__c" not in {f["name"] for f in sf.Contact.describe()["fields"]}


def test_describe_global(emulator, sf):
    """REST API Developer Guide: Describe Global."""
    g = sf.describe()
    names = {o["name"] for o in g["sobjects"]}
    assert {"Account", "Contact", "Lead", "User", "WalkMe_Usage__c"} <= names
    assert g["maxBatchSize"] == 200


def test_unknown_object_is_not_found(emulator, sf):
    """REST API Developer Guide: Status Codes and Error Responses (404 NOT_FOUND)."""
    with pytest.raises(SalesforceResourceNotFound) as e:
        sf.Nope__c.describe()
    assert e.value.content == [
        {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
    ]


def test_query_in_list_case_insensitive(emulator, sf):
    """SOQL and SOSL Reference: Comparison Operators (IN, case-insensitive strings)."""
    q = format_soql(
        "SELECT Id, Email, WalkMe_User_Id__c FROM Contact WHERE Email IN {emails}",
        emails=["DANA.LEVI@acme-corp.example", seed.SHARED_EMAIL.upper(), "nobody@x.example"],
    )
    res = sf.query(q)
    assert res["totalSize"] == 3
    assert res["done"] is True
    rec = res["records"][0]
    assert list(rec) == ["attributes", "Id", "Email", "WalkMe_User_Id__c"]
    assert rec["attributes"] == {
        "type": "Contact",
        "url": f"/services/data/v62.0/sobjects/Contact/{rec['Id']}",
    }
    shared = [r for r in res["records"] if r["Email"] == seed.SHARED_EMAIL]
    assert len(shared) == 2


def test_query_escapes_and_and(emulator, sf):
    """SOQL and SOSL Reference: Quoted String Escape Sequences."""
    emulator.control.insert_records(
        "Contact",
        [{"LastName": "O'Brien \\ Jr", "Email": "ob@x.example", "Upsell_Signal__c": "yes"}],
    )
    q = format_soql(
        "SELECT Id, LastName FROM Contact WHERE LastName = {n} AND Upsell_Signal__c = 'YES'",
        n="o'brien \\ jr",
    )
    res = sf.query(q)
    assert [r["LastName"] for r in res["records"]] == ["O'Brien \\ Jr"]
    res = sf.query("SELECT Id FROM Contact WHERE Email = 'ob@x.example' AND LastName = 'Nope'")
    assert res["totalSize"] == 0
    res = sf.query("SELECT Id FROM Contact LIMIT 3")
    assert res["totalSize"] == 3
    assert sf.query("SELECT COUNT() FROM Contact")["totalSize"] == emulator.control.count("Contact")


def test_query_all_iter_across_pages(emulator, sf, http):
    """REST API Developer Guide: Execute a SOQL Query (nextRecordsUrl, batches of 2,000)."""
    emulator.control.generate_contacts(4500)
    q = "SELECT Id, Email FROM Contact WHERE LastName != 'zzz'"
    first = sf.query(q)
    assert first["done"] is False
    assert len(first["records"]) == 2000
    assert first["nextRecordsUrl"].startswith("/services/data/v62.0/query/01g")
    total = emulator.control.count("Contact")
    emails = [r["Email"] for r in sf.query_all_iter(q)]
    assert len(emails) == total
    assert "user4499@example.com" in emails
    # Sforce-Query-Options: batchSize
    http.headers.update(sf.headers)
    r = http.get(
        f"{sf.base_url}query",
        params={"q": q},
        headers={"Sforce-Query-Options": "batchSize=500"},
    )
    assert len(r.json()["records"]) == 500


def test_malformed_query_and_invalid_field(emulator, sf):
    """REST API Developer Guide: Status Codes and Error Responses (MALFORMED_QUERY etc.)."""
    with pytest.raises(SalesforceMalformedRequest) as e:
        sf.query("SELECT Id FROM Contact WHERE")
    assert e.value.content[0]["errorCode"] == "MALFORMED_QUERY"
    assert set(e.value.content[0]) == {"message", "errorCode"}
    with pytest.raises(SalesforceMalformedRequest) as e:
        sf.query("SELECT Id, Internal_Score__c FROM Contact")
    assert e.value.content[0]["errorCode"] == "INVALID_FIELD"
    assert "No such column 'Internal_Score__c' on entity 'Contact'" in e.value.content[0]["message"]
    with pytest.raises(SalesforceMalformedRequest) as e:
        sf.query("SELECT Id FROM Xyzzy")
    assert e.value.content[0]["errorCode"] == "INVALID_TYPE"


def test_soql_length_limit_in_composite(emulator, sf):
    """SOQL and SOSL Reference: SOQL and SOSL Limits (100,000 characters)."""
    emails = [f"someone{i}@example.com" for i in range(4000)]
    q = format_soql("SELECT Id FROM Contact WHERE Email IN {e}", e=emails)
    assert len(q) > 100_000
    out = sf.restful(
        "composite",
        method="POST",
        json={
            "compositeRequest": [
                {"method": "GET", "url": f"/services/data/v62.0/query/?q={q}", "referenceId": "q1"}
            ]
        },
    )
    sub = out["compositeResponse"][0]
    assert sub["httpStatusCode"] == 400
    assert sub["body"][0]["errorCode"] == "MALFORMED_QUERY"
    assert "100000" in sub["body"][0]["message"]


def test_414_for_long_request_line(emulator, http, tokens):
    """REST API Developer Guide: Status Codes and Error Responses (414, 16,384 bytes)."""
    q = "SELECT Id FROM Contact WHERE Email IN (" + ",".join(["'a@b.example'"] * 2000) + ")"
    r = http.get(
        f"{emulator.base_url}/services/data/v62.0/query",
        params={"q": q},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert r.status_code == 414
    # the server is still fine afterwards
    assert http.get(f"{emulator.base_url}/services/data/").status_code == 200


def test_composite_with_queries(emulator, sf):
    """REST API Developer Guide: Composite (compositeResponse items)."""
    out = sf.restful(
        "composite",
        method="POST",
        json={
            "compositeRequest": [
                {
                    "method": "GET",
                    "url": "/services/data/v62.0/query/?q=SELECT Id, Email FROM Contact LIMIT 2",
                    "referenceId": "contacts",
                },
                {
                    "method": "GET",
                    "url": "/services/data/v62.0/sobjects/Contact/@{contacts.records[0].Id}",
                    "referenceId": "first",
                },
                {"method": "GET", "url": "/services/data/v62.0/sobjects/Foo", "referenceId": "foo"},
            ]
        },
    )
    items = out["compositeResponse"]
    assert [i["httpStatusCode"] for i in items] == [200, 200, 404]
    assert items[0]["body"]["totalSize"] == 2
    assert items[1]["body"]["Id"] == items[0]["body"]["records"][0]["Id"]
    assert items[2]["body"] == [
        {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
    ]
    assert set(items[0]) == {"body", "httpHeaders", "httpStatusCode", "referenceId"}
    # one API call for the whole composite request
    counts = emulator.control.request_counts()
    assert counts["composite"] == 1 and counts["query"] == 0


def test_composite_limits(emulator, sf):
    """REST API Developer Guide: Composite (25 subrequests, 5 queries/collections)."""
    sub = {"method": "GET", "url": "/services/data/v62.0/limits"}
    with pytest.raises(SalesforceMalformedRequest):
        sf.restful(
            "composite",
            method="POST",
            json={"compositeRequest": [dict(sub, referenceId=f"r{i}") for i in range(26)]},
        )
    q = {"method": "GET", "url": "/services/data/v62.0/query/?q=SELECT Id FROM Contact LIMIT 1"}
    with pytest.raises(SalesforceMalformedRequest):
        sf.restful(
            "composite",
            method="POST",
            json={"compositeRequest": [dict(q, referenceId=f"r{i}") for i in range(6)]},
        )
    ok = sf.restful(
        "composite",
        method="POST",
        json={"compositeRequest": [dict(q, referenceId=f"r{i}") for i in range(5)]},
    )
    assert len(ok["compositeResponse"]) == 5


def _ids(sf, n=4):
    return [r["Id"] for r in sf.query(f"SELECT Id FROM Contact LIMIT {n}")["records"]]


def test_composite_all_or_none_rolls_back(emulator, sf):
    """REST API Developer Guide: Composite (allOrNone, PROCESSING_HALTED)."""
    a, b = _ids(sf, 2)
    out = sf.restful(
        "composite",
        method="POST",
        json={
            "allOrNone": True,
            "compositeRequest": [
                {
                    "method": "PATCH",
                    "url": "/services/data/v62.0/sobjects/Contact/" + a,
                    "referenceId": "ok",
                    "body": {"Upsell_Signal__c": "rolled back?"},
                },
                {
                    "method": "PATCH",
                    "url": "/services/data/v62.0/sobjects/Contact/" + b,
                    "referenceId": "bad",
                    "body": {"NPS_Score__c": 99},
                },
                {"method": "GET", "url": "/services/data/v62.0/limits", "referenceId": "after"},
            ],
        },
    )
    items = out["compositeResponse"]
    assert items[0]["httpStatusCode"] == 400
    assert items[0]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert items[1]["body"][0]["errorCode"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert items[2]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert emulator.control.get_record("Contact", a)["Upsell_Signal__c"] is None


def test_collections_update_mixed_errors(emulator, sf):
    """REST API Developer Guide: sObject Collections, Update Records (per-record SaveResults)."""
    ids = _ids(sf, 12)
    emulator.control.delete_records([ids[7]])
    emulator.control.lock_records([ids[8]])
    records = [
        {
            "attributes": {"type": "Contact"},
            "id": ids[0],
            "Upsell_Signal__c": "Yes",
            "NPS_Score__c": 7,
        },
        {"attributes": {"type": "Contact"}, "id": ids[1], "Upsell_Signal__c": "x" * 256},
        {"attributes": {"type": "Contact"}, "id": ids[2], "Churn_Risk__c": "Critical"},
        {"attributes": {"type": "Contact"}, "id": ids[3], "CreatedDate": "2020-01-01T00:00:00Z"},
        {"attributes": {"type": "Contact"}, "id": ids[4], "NPS_Score__c": "lots"},
        {"attributes": {"type": "Contact"}, "id": ids[5], "Email": "not-an-email"},
        {"attributes": {"type": "Contact"}, "id": ids[6], "NPS_Score__c": 11},
        {"attributes": {"type": "Contact"}, "id": ids[7], "Title": "x"},
        {"attributes": {"type": "Contact"}, "id": ids[8], "Title": "x"},
        {"attributes": {"type": "Contact"}, "id": "003zzz", "Title": "x"},
        {"attributes": {"type": "Contact"}, "id": ids[9], "Onboarding_Completed__c": None},
        {"attributes": {"type": "Contact"}, "id": ids[10], "Internal_Score__c": 1},
        {
            "attributes": {"type": "Contact"},
            "id": ids[11],
            "Churn_Risk__c": None,
            "Last_Seen__c": None,
        },
    ]
    out = sf.restful(
        "composite/sobjects", method="PATCH", json={"allOrNone": False, "records": records}
    )
    assert len(out) == len(records)
    codes = [r["errors"][0]["statusCode"] if r["errors"] else None for r in out]
    assert codes == [
        None,
        "STRING_TOO_LONG",
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        "INVALID_FIELD_FOR_INSERT_UPDATE",
        "INVALID_TYPE_ON_FIELD_IN_RECORD",
        "INVALID_EMAIL_ADDRESS",
        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "ENTITY_IS_DELETED",
        "UNABLE_TO_LOCK_ROW",
        "MALFORMED_ID",
        "INVALID_TYPE_ON_FIELD_IN_RECORD",
        "INVALID_FIELD",
        None,
    ]
    assert out[0] == {"id": ids[0], "success": True, "errors": []}
    assert out[1]["errors"][0]["fields"] == ["Upsell_Signal__c"]
    assert out[1]["errors"][0]["message"].startswith("Upsell Signal: data value too large: xxx")
    assert out[6]["errors"][0]["message"] == seed.NPS_RULE_MESSAGE
    assert out[2]["success"] is False and out[2]["id"] == ids[2]
    rec = emulator.control.get_record("Contact", ids[0])
    assert rec["Upsell_Signal__c"] == "Yes" and rec["NPS_Score__c"] == 7.0
    assert emulator.control.get_record("Contact", ids[11])["Churn_Risk__c"] is None
    assert emulator.control.get_record("Contact", ids[1])["Upsell_Signal__c"] is None
    assert emulator.control.request_counts()["collections"] == 1


def test_collections_all_or_none(emulator, sf):
    """REST API Developer Guide: sObject Collections, Update Records (allOrNone)."""
    a, b = _ids(sf, 2)
    out = sf.restful(
        "composite/sobjects",
        method="PATCH",
        json={
            "allOrNone": True,
            "records": [
                {"attributes": {"type": "Contact"}, "id": a, "Title": "Chief"},
                {"attributes": {"type": "Contact"}, "id": b, "NPS_Score__c": -1},
            ],
        },
    )
    assert out[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert out[1]["errors"][0]["statusCode"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert emulator.control.get_record("Contact", a)["Title"] != "Chief"


def test_collections_limit_200(emulator, sf):
    """REST API Developer Guide: sObject Collections (at most 200 records)."""
    (a,) = _ids(sf, 1)
    recs = [{"attributes": {"type": "Contact"}, "id": a, "Title": "t"}] * 201
    with pytest.raises(SalesforceMalformedRequest) as e:
        sf.restful("composite/sobjects", method="PATCH", json={"records": recs})
    assert e.value.content[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_lock_for_n_attempts(emulator, sf):
    """REST API Developer Guide: sObject Collections (UNABLE_TO_LOCK_ROW is transient)."""
    (a,) = _ids(sf, 1)
    emulator.control.lock_records([a], times=2)
    body = {"records": [{"attributes": {"type": "Contact"}, "id": a, "Title": "t"}]}
    codes = []
    for _ in range(3):
        out = sf.restful("composite/sobjects", method="PATCH", json=body)
        codes.append(out[0]["errors"][0]["statusCode"] if out[0]["errors"] else "OK")
    assert codes == ["UNABLE_TO_LOCK_ROW", "UNABLE_TO_LOCK_ROW", "OK"]


def test_single_record_get_patch(emulator, sf):
    """REST API Developer Guide: Working with Records (sObject Rows GET/PATCH)."""
    (a,) = _ids(sf, 1)
    assert (
        sf.Contact.update(a, {"Sessions_30d__c": 25, "Last_Seen__c": "2026-05-01T13:45:00Z"}) == 204
    )
    rec = sf.Contact.get(a)
    assert rec["Sessions_30d__c"] == 25.0
    assert rec["Last_Seen__c"] == "2026-05-01T13:45:00.000+0000"
    assert rec["Engagement_Level__c"] == "Power"
    assert rec["attributes"]["type"] == "Contact"
    assert "Internal_Score__c" not in rec
    with pytest.raises(SalesforceMalformedRequest) as e:
        sf.Contact.update(a, {"Churn_Risk__c": "Nope"})
    assert e.value.content[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    missing = "0035g00000zzzzzAAA"
    with pytest.raises(SalesforceResourceNotFound):
        sf.Contact.get(missing)
    with pytest.raises(SalesforceResourceNotFound) as e:
        sf.Contact.update(missing, {"Title": "x"})
    assert e.value.content[0]["errorCode"] == "NOT_FOUND"


def test_limits_and_exhaustion(emulator, sf, http):
    """REST API Developer Guide: Limits (DailyApiRequests) and limit headers."""
    lim = sf.limits()
    assert set(lim["DailyApiRequests"]) == {"Max", "Remaining"}
    emulator.control.set_daily_limit(10, used=8)
    http.headers.update(sf.headers)
    r = http.get(f"{sf.base_url}limits")
    assert r.headers["Sforce-Limit-Info"] == "api-usage=9/10"
    assert r.json()["DailyApiRequests"] == {"Max": 10, "Remaining": 1}
    sf.query("SELECT Id FROM Contact LIMIT 1")
    r = http.get(f"{sf.base_url}limits")
    assert r.status_code == 403
    assert r.json() == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]
    # OAuth calls are not API calls
    assert emulator.control.api_usage()["used"] == 10


def test_faults_503_and_timeout(emulator, sf, http):
    """REST API Developer Guide: Status Codes and Error Responses (503 SERVER_UNAVAILABLE)."""
    import requests

    emulator.control.fail_next(1, kind="503")
    http.headers.update(sf.headers)
    r = http.get(f"{sf.base_url}limits")
    assert r.status_code == 503
    assert r.json()[0]["errorCode"] == "SERVER_UNAVAILABLE"
    assert http.get(f"{sf.base_url}limits").status_code == 200
    emulator.control.fail_next(1, kind="timeout", hold_seconds=1.0)
    with pytest.raises((requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError)):
        http.get(f"{sf.base_url}limits", timeout=0.3)
    assert http.get(f"{sf.base_url}limits", timeout=5).status_code == 200


def test_latency(emulator, sf):
    """Control API: per-request latency."""
    import time

    emulator.control.set_latency(150)
    t0 = time.perf_counter()
    sf.limits()
    assert time.perf_counter() - t0 >= 0.15


def test_insert_and_delete(emulator, sf):
    """REST API Developer Guide: Create a Record / Delete a Record."""
    res = sf.Contact.create({"LastName": "New", "Email": "new@x.example"})
    assert res["success"] is True and res["id"].startswith("003")
    assert sf.Contact.delete(res["id"]) == 204
    out = sf.restful(
        "composite/sobjects",
        method="PATCH",
        json={"records": [{"attributes": {"type": "Contact"}, "id": res["id"], "Title": "x"}]},
    )
    assert out[0]["errors"][0]["statusCode"] == "ENTITY_IS_DELETED"
    with pytest.raises(SalesforceMalformedRequest) as e:
        sf.Contact.create({"Email": "nolastname@x.example"})
    assert e.value.content[0]["errorCode"] == "REQUIRED_FIELD_MISSING"


def test_request_counts(emulator, sf):
    """Control API: request counts per endpoint kind."""
    emulator.control.reset_request_counts()
    sf.Contact.describe()
    sf.query("SELECT Id FROM Contact LIMIT 1")
    sf.limits()
    counts = emulator.control.request_counts()
    assert counts["describe"] == 1 and counts["query"] == 1 and counts["limits"] == 1
    assert emulator.control.request_counts("sandbox")["query"] == 0


def test_collections_upsert_by_external_id(emulator, sf):
    """REST API Developer Guide: sObject Collections, Upsert Records (created flag)."""
    existing = sf.query(
        "SELECT Id, WalkMe_User_Id__c FROM Contact WHERE WalkMe_User_Id__c != null LIMIT 1"
    )
    rec = existing["records"][0]
    out = sf.restful(
        "composite/sobjects/Contact/WalkMe_User_Id__c",
        method="PATCH",
        json={
            "allOrNone": False,
            "records": [
                {
                    "attributes": {"type": "Contact"},
                    "WalkMe_User_Id__c": rec["WalkMe_User_Id__c"].upper(),
                    "Title": "Upserted",
                },
                {
                    "attributes": {"type": "Contact"},
                    "WalkMe_User_Id__c": "new-user-1",
                    "LastName": "Fresh",
                },
                {"attributes": {"type": "Contact"}, "WalkMe_User_Id__c": "new-user-2"},
            ],
        },
    )
    assert out[0] == {"id": rec["Id"], "success": True, "errors": [], "created": False}
    assert out[1]["created"] is True and out[1]["id"].startswith("003")
    assert out[2]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert emulator.control.get_record("Contact", rec["Id"])["Title"] == "Upserted"
