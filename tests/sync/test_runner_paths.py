"""Bulk API 2.0, dry runs, SOQL escaping and the API call budget of a sync."""

import math

from integrations.models import RowOutcome, RunStatus
from integrations.sync import matching

from .conftest import contact_by_email, outcomes, sync

HEADER = ["email", "nps"]
MAPPING = {"nps": "NPS_Score__c"}
DANA = "dana.levi@acme-corp.example"
NOAM = "noam.cohen@acme-corp.example"


def test_it_writes_through_bulk_and_reads_failed_rows(make_integration, emulator):
    rows = [[DANA, "9"], [NOAM, "42"], ["maya.goldberg@globex.example", "6"]]
    integration = make_integration(HEADER, rows, MAPPING, api_mode="bulk")
    run = sync(integration)
    assert outcomes(run) == {"read": 3, "updated": 2, "failed": 1}, run.raw_log
    assert contact_by_email(emulator, DANA)["NPS_Score__c"] == 9.0
    failed = run.row_results.get()
    assert (failed.line_number, failed.error_code) == (3, "FIELD_CUSTOM_VALIDATION_EXCEPTION")
    assert emulator.control.request_counts()["collections"] == 0
    assert "Bulk job" in run.raw_log


def test_it_picks_bulk_above_the_threshold_and_clears_with_na(make_integration, emulator):
    # Dana is seeded with NPS 0: an empty cell with the "clear" policy sends #N/A.
    rows = [[DANA, ""], [NOAM, "5"]]
    integration = make_integration(HEADER, rows, MAPPING, clear=("nps",), bulk_threshold=1)
    run = sync(integration)
    assert outcomes(run) == {"read": 2, "updated": 2}, run.raw_log
    assert "push (Bulk API 2.0)" in run.raw_log
    assert contact_by_email(emulator, DANA)["NPS_Score__c"] is None
    assert contact_by_email(emulator, NOAM)["NPS_Score__c"] == 5.0


def test_it_counts_rows_a_bulk_job_never_processed_as_failed(make_integration, emulator, settings):
    settings.SYNC_RUN_TIME_LIMIT_SECONDS = 0.5
    emulator.control.set_bulk_delay(5)
    integration = make_integration(HEADER, [[DANA, "9"], [NOAM, "4"]], MAPPING, api_mode="bulk")
    run = sync(integration)
    assert outcomes(run) == {"read": 2, "failed": 2}, run.raw_log
    assert run.status == RunStatus.COMPLETED_WITH_ERRORS
    messages = {r.message for r in run.row_results.all()}
    assert any("did not finish within the run's time limit" in m for m in messages)
    assert contact_by_email(emulator, DANA)["NPS_Score__c"] != 9.0


def test_it_retries_rows_locked_during_a_bulk_job(make_integration, emulator):
    integration = make_integration(HEADER, [[DANA, "9"], [NOAM, "4"]], MAPPING, api_mode="bulk")
    emulator.control.lock_records([contact_by_email(emulator, NOAM)["Id"]], times=1)
    run = sync(integration)
    assert outcomes(run) == {"read": 2, "updated": 2}, run.raw_log
    assert contact_by_email(emulator, NOAM)["NPS_Score__c"] == 4.0


def test_a_dry_run_writes_nothing_and_shows_what_would_change(make_integration, emulator):
    before = emulator.control.records("Contact")
    integration = make_integration(HEADER, [[DANA, "9"], [NOAM, "4"]], MAPPING)
    run = sync(integration, dry_run=True)
    assert run.status == RunStatus.COMPLETED
    assert outcomes(run) == {"read": 2, "updated": 2}
    assert emulator.control.records("Contact") == before
    assert emulator.control.request_counts()["bulk"] == 0
    assert "NPS_Score__c: 2 values would change; e.g. dana.levi@acme-corp.example: 0.0 → 9.0" in (
        run.raw_log
    )


def test_it_matches_keys_with_quotes_and_backslashes_exactly(make_integration, emulator):
    ids = emulator.control.insert_records(
        "Contact",
        [
            {"LastName": "Quote", "Email": "o'brien@x.example", "WalkMe_User_Id__c": "it's"},
            {"LastName": "Slash", "Email": "slash@x.example", "WalkMe_User_Id__c": "a\\b"},
            {"LastName": "Plain", "Email": "ab@x.example", "WalkMe_User_Id__c": "ab"},
        ],
    )
    by_email = make_integration(HEADER, [["O'Brien@x.example", "3"]], MAPPING)
    assert outcomes(sync(by_email)) == {"read": 1, "updated": 1}
    by_guid = make_integration(
        ["guid", "nps"],
        [["it's", "4"], ["a\\b", "5"], ["a\\\\b", "6"]],
        {"nps": "NPS_Score__c"},
        key_column="guid",
        key_field="WalkMe_User_Id__c",
    )
    run = sync(by_guid)
    assert outcomes(run) == {"read": 3, "updated": 2, "unmatched": 1}, run.raw_log
    nps = [emulator.control.get_record("Contact", i)["NPS_Score__c"] for i in ids]
    assert nps == [4.0, 5.0, None]


def test_it_stays_within_the_api_call_bound(make_integration, emulator, settings):
    settings.SYNC_MAX_SOQL_CHARS = 4000  # many query chunks from a modest report
    emulator.control.generate_contacts(2600)
    rows = [[f"user{i}@example.com", "7"] for i in range(2600)]
    rows += [[f"ghost{i}@example.com", "7"] for i in range(100)]
    integration = make_integration(HEADER, rows, MAPPING)
    emulator.control.reset_request_counts()
    run = sync(integration)
    assert outcomes(run) == {"read": 2700, "updated": 2600, "unmatched": 100}
    keys = [row[0] for row in rows]
    select = ["Id", "Email", "NPS_Score__c"]
    chunks = list(matching.build_chunks("Contact", "Email", select, keys))
    assert len(chunks) > 5 and all(len(c.soql) <= 4000 for c in chunks)
    bound = math.ceil(len(chunks) / 5) + math.ceil(2600 / 1000) + 1
    counts = emulator.control.request_counts()
    # The describe is cached for the wizard's session; the bound is about the run's own calls.
    calls = sum(n for kind, n in counts.items() if kind not in ("describe", "oauth"))
    assert calls <= bound, counts
    emulator.control.reset_request_counts()
    again = sync(integration)
    assert outcomes(again) == {"read": 2700, "unchanged": 2600, "unmatched": 100}
    assert emulator.control.request_counts()["composite"] == math.ceil(len(chunks) / 5)


def test_it_follows_query_pages_beyond_two_thousand_records(make_integration, emulator):
    emulator.control.generate_contacts(2500, email_template="same@example.com")
    integration = make_integration(HEADER, [["same@example.com", "7"]], MAPPING)
    run = sync(integration)
    assert outcomes(run) == {"read": 1, "ambiguous": 1}
    assert "2500 records match" in run.row_results.get(outcome=RowOutcome.AMBIGUOUS).message
