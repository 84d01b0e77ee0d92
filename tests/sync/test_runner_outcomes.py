"""One sync over the emulator: every outcome a row can have, as the run log shows it."""

from integrations.models import RowOutcome, RunStatus

from .conftest import contact_by_email, outcomes, sync

HEADER = ["email", "nps", "churn"]
MAPPING = {"nps": "NPS_Score__c", "churn": "Churn_Risk__c"}


def test_it_updates_matched_records(make_integration, emulator):
    integration = make_integration(
        HEADER,
        [
            ["dana.levi@acme-corp.example", "9", "Low"],
            ["noam.cohen@acme-corp.example", "3", "High"],
        ],
        MAPPING,
    )
    run = sync(integration)
    assert run.status == RunStatus.COMPLETED, run.raw_log
    assert outcomes(run) == {"read": 2, "updated": 2}
    dana = contact_by_email(emulator, "dana.levi@acme-corp.example")
    assert (dana["NPS_Score__c"], dana["Churn_Risk__c"]) == (9.0, "Low")
    noam = contact_by_email(emulator, "noam.cohen@acme-corp.example")
    assert (noam["NPS_Score__c"], noam["Churn_Risk__c"]) == (3.0, "High")
    assert not run.row_results.exists()


def test_it_counts_rows_already_in_salesforce_as_unchanged(make_integration, emulator):
    rows = [["Dana.Levi@ACME-corp.example ", "9", "low"]]
    integration = make_integration(HEADER, rows, MAPPING)
    assert sync(integration).rows_updated == 1
    emulator.control.reset_request_counts()
    run = sync(integration)
    assert outcomes(run) == {"read": 1, "unchanged": 1}
    assert emulator.control.request_counts()["collections"] == 0


def test_it_reports_unknown_keys_as_unmatched(make_integration):
    integration = make_integration(HEADER, [["nobody@nowhere.example", "5", "Low"]], MAPPING)
    run = sync(integration)
    assert run.status == RunStatus.COMPLETED_WITH_ERRORS
    assert outcomes(run) == {"read": 1, "unmatched": 1}
    result = run.row_results.get()
    assert (result.line_number, result.key, result.outcome) == (
        2,
        "nobody@nowhere.example",
        RowOutcome.UNMATCHED,
    )


def test_it_does_not_write_a_key_that_matches_several_records(make_integration, emulator):
    shared = "team.inbox@northwind-traders.example"
    before = [r for r in emulator.control.records("Contact") if r["Email"] == shared]
    integration = make_integration(HEADER, [[shared, "7", "High"]], MAPPING)
    run = sync(integration)
    assert outcomes(run) == {"read": 1, "ambiguous": 1}
    assert "2 records match" in run.row_results.get().message
    after = [r for r in emulator.control.records("Contact") if r["Email"] == shared]
    assert after == before


def test_it_updates_every_match_when_the_integration_allows_it(make_integration, emulator):
    shared = "team.inbox@northwind-traders.example"
    integration = make_integration(
        HEADER, [[shared, "7", "High"]], MAPPING, update_all_matches=True
    )
    run = sync(integration)
    assert outcomes(run) == {"read": 1, "updated": 1}
    both = [r for r in emulator.control.records("Contact") if r["Email"] == shared]
    assert [r["NPS_Score__c"] for r in both] == [7.0, 7.0]


def test_it_writes_identical_duplicates_once_and_conflicting_ones_never(make_integration, emulator):
    rows = [
        ["dana.levi@acme-corp.example", "8", "Low"],
        ["DANA.LEVI@acme-corp.example", "8", "Low"],  # same key, same values
        ["noam.cohen@acme-corp.example", "4", "High"],
        ["noam.cohen@acme-corp.example", "5", "High"],  # same key, other values
    ]
    integration = make_integration(HEADER, rows, MAPPING)
    run = sync(integration)
    assert outcomes(run) == {"read": 4, "updated": 1, "duplicate": 3}
    assert contact_by_email(emulator, "dana.levi@acme-corp.example")["NPS_Score__c"] == 8.0
    assert contact_by_email(emulator, "noam.cohen@acme-corp.example")["NPS_Score__c"] is None
    lines = sorted(r.line_number for r in run.row_results.filter(outcome=RowOutcome.DUPLICATE))
    assert lines == [3, 4, 5]


def test_it_reports_bad_cells_and_blank_keys_as_invalid(make_integration, emulator):
    rows = [
        ["dana.levi@acme-corp.example", "abc", "Low"],
        ["   ", "5", "Low"],
        ["noam.cohen@acme-corp.example", "5", "Extreme"],
    ]
    integration = make_integration(HEADER, rows, MAPPING)
    run = sync(integration)
    assert outcomes(run) == {"read": 3, "invalid": 3}
    messages = {r.line_number: (r.field, r.message) for r in run.row_results.all()}
    assert messages[2] == ("nps", "nps → NPS_Score__c: 'abc' is not a number")
    assert messages[3][0] == "email"
    assert "'Extreme' is not one of the allowed values" in messages[4][1]
    assert contact_by_email(emulator, "dana.levi@acme-corp.example")["Churn_Risk__c"] == "Low"


def test_it_counts_records_salesforce_refuses_as_failed(make_integration, emulator):
    # The org's validation rule refuses NPS scores above 10; 42 is a fine number otherwise.
    integration = make_integration(HEADER, [["dana.levi@acme-corp.example", "42", "Low"]], MAPPING)
    run = sync(integration)
    assert outcomes(run) == {"read": 1, "failed": 1}
    result = run.row_results.get()
    assert result.error_code == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert result.salesforce_id == contact_by_email(emulator, "dana.levi@acme-corp.example")["Id"]


def test_it_leaves_or_clears_empty_cells_per_mapping(make_integration, emulator):
    dana = "dana.levi@acme-corp.example"  # seeded with NPS 0 and churn Low
    integration = make_integration(HEADER, [[dana, "", ""]], MAPPING, clear=("churn",))
    run = sync(integration)
    assert outcomes(run) == {"read": 1, "updated": 1}
    record = contact_by_email(emulator, dana)
    assert (record["NPS_Score__c"], record["Churn_Risk__c"]) == (0.0, None)


def test_it_counts_malformed_report_lines_as_invalid(make_integration, emulator):
    raw = b"email,nps,churn\ndana.levi@acme-corp.example,9,Low\nnoam.cohen@acme-corp.example,4\n"
    integration = make_integration(HEADER, [], MAPPING, raw=raw)
    run = sync(integration)
    assert outcomes(run) == {"read": 2, "updated": 1, "invalid": 1}, run.raw_log
    assert run.row_results.get().line_number == 3
