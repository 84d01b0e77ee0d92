"""Error paths of a run against the emulator: retries, locks, tokens, the daily limit."""

from integrations.models import RowOutcome, RunStatus
from salesforce_auth.models import ConnectionStatus

from .conftest import contact_by_email, outcomes, sync

HEADER = ["email", "nps"]
MAPPING = {"nps": "NPS_Score__c"}
DANA = "dana.levi@acme-corp.example"
NOAM = "noam.cohen@acme-corp.example"


def generated_rows(n: int, nps: str = "7") -> list[list[str]]:
    return [[f"user{i}@example.com", nps] for i in range(n)]


def test_it_retries_a_503_then_succeeds(make_integration, emulator):
    integration = make_integration(HEADER, [[DANA, "9"]], MAPPING)
    emulator.control.fail_next(2, "503", endpoints=["composite"])
    run = sync(integration)
    assert outcomes(run) == {"read": 1, "updated": 1}, run.raw_log
    assert contact_by_email(emulator, DANA)["NPS_Score__c"] == 9.0
    assert "retry 2/" in run.raw_log


def test_it_retries_a_timeout_then_succeeds(make_integration, emulator, settings):
    settings.SALESFORCE_READ_TIMEOUT = 1
    integration = make_integration(HEADER, [[DANA, "9"]], MAPPING)
    emulator.control.fail_next(1, "timeout", hold_seconds=2, endpoints=["composite"])
    run = sync(integration)
    assert outcomes(run) == {"read": 1, "updated": 1}, run.raw_log
    assert "after ReadTimeout" in run.raw_log or "after ConnectionError" in run.raw_log


def test_it_fails_the_rows_when_salesforce_stays_down(make_integration, emulator, settings):
    settings.SYNC_MAX_RETRIES = 2
    integration = make_integration(HEADER, [[DANA, "9"]], MAPPING)
    emulator.control.fail_next(50, "503", endpoints=["composite"])
    run = sync(integration)
    assert run.status == RunStatus.FAILED
    assert outcomes(run) == {"read": 1, "failed": 1}
    assert "503" in run.error_summary


def test_it_retries_locked_rows_in_smaller_batches(make_integration, emulator):
    integration = make_integration(HEADER, [[DANA, "9"], [NOAM, "4"]], MAPPING)
    emulator.control.lock_records([contact_by_email(emulator, DANA)["Id"]], times=2)
    run = sync(integration)
    assert outcomes(run) == {"read": 2, "updated": 2}, run.raw_log
    assert contact_by_email(emulator, DANA)["NPS_Score__c"] == 9.0
    assert "retrying in batches of 50" in run.raw_log
    assert "retrying in batches of 10" in run.raw_log


def test_it_reports_rows_locked_for_good_as_failed(make_integration, emulator):
    integration = make_integration(HEADER, [[DANA, "9"], [NOAM, "4"]], MAPPING)
    emulator.control.lock_records([contact_by_email(emulator, DANA)["Id"]])
    run = sync(integration)
    assert outcomes(run) == {"read": 2, "updated": 1, "failed": 1}
    assert run.row_results.get().error_code == "UNABLE_TO_LOCK_ROW"


def test_it_refreshes_a_session_that_expires_mid_run(make_integration, emulator):
    integration = make_integration(HEADER, [[DANA, "9"]], MAPPING)

    def expire_after_matching(phase, done, total):
        if phase == "match":
            emulator.control.expire_sessions()

    run = sync(integration, progress=expire_after_matching)
    assert outcomes(run) == {"read": 1, "updated": 1}, run.raw_log
    assert contact_by_email(emulator, DANA)["NPS_Score__c"] == 9.0


def test_it_fails_the_run_when_the_refresh_token_is_revoked(make_integration, emulator):
    integration = make_integration(HEADER, [[DANA, "9"]], MAPPING)

    def revoke_after_matching(phase, done, total):
        if phase == "match":
            emulator.control.revoke_refresh_tokens()
            emulator.control.expire_sessions()

    run = sync(integration, progress=revoke_after_matching)
    assert run.status == RunStatus.FAILED
    assert "re-authorised" in run.error_summary
    assert outcomes(run) == {"read": 1, "failed": 1}
    integration.connection.refresh_from_db()
    assert integration.connection.status == ConnectionStatus.NEEDS_REAUTH


def test_it_stops_when_the_daily_limit_is_hit_mid_run(make_integration, emulator):
    emulator.control.generate_contacts(1500)
    integration = make_integration(HEADER, generated_rows(1500), MAPPING)

    def exhaust_after_first_write(phase, done, total):
        if phase == "push":
            usage = emulator.control.api_usage()
            emulator.control.set_daily_limit(usage["max"], used=usage["max"])

    run = sync(integration, progress=exhaust_after_first_write)
    assert run.status == RunStatus.FAILED
    assert outcomes(run) == {"read": 1500, "updated": 1000, "failed": 500}
    failed = run.row_results.filter(outcome=RowOutcome.FAILED)
    assert {r.message for r in failed} == {"API limit"}
    assert "daily API request limit" in run.error_summary
    written = [
        r
        for r in emulator.control.records("Contact", fields=["Email", "NPS_Score__c"])
        if r["Email"].startswith("user") and r["NPS_Score__c"] == 7.0
    ]
    assert len(written) == 1000


def test_it_refuses_to_start_without_enough_api_calls_left(make_integration, emulator):
    integration = make_integration(HEADER, [[DANA, "9"], [NOAM, "4"]], MAPPING)
    usage = emulator.control.api_usage()
    # Room for the describe and /limits calls, none for the query and the write.
    emulator.control.set_daily_limit(usage["used"] + 2, used=usage["used"])
    run = sync(integration)
    assert run.status == RunStatus.FAILED
    assert "needs up to 2 Salesforce API calls but only 0" in run.error_summary
    assert outcomes(run) == {"read": 2, "failed": 2}
    assert contact_by_email(emulator, DANA)["NPS_Score__c"] != 9.0
    assert emulator.control.request_counts()["composite"] == 0
