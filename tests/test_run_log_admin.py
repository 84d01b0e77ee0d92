from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from integrations.formatting import format_duration
from integrations.models import IntegrationRun, RunStatus, RunTrigger

LIST_URL = reverse("admin:integrations_integrationrun_changelist")


def _finished_run(integration, seconds: float, status=RunStatus.COMPLETED):
    start = timezone.now() - timedelta(hours=1)
    return IntegrationRun.objects.create(
        integration=integration,
        trigger=RunTrigger.SCHEDULE,
        status=status,
        report_name=integration.report.name,
        sobject_name=integration.sobject_name,
        started_at=start,
        finished_at=start + timedelta(seconds=seconds),
        rows_read=10,
        rows_updated=7,
        raw_log="09:00:00 phase=read rows=10\n09:00:01 phase=push updated=7",
    )


@pytest.mark.parametrize(
    "seconds,shown",
    [(0.4, "0.4s"), (12, "12s"), (72, "1m 12s"), (3600 + 5 * 60, "1h 05m")],
)
def test_runtime_is_shown_like_1m_12s(seconds, shown):
    assert format_duration(timedelta(seconds=seconds)) == shown


def test_it_lists_the_five_columns(alice_client, contact_integration):
    run = _finished_run(contact_integration, 72)
    page = alice_client.get(LIST_URL).content.decode()
    for header in ("Report name", "Salesforce object", "Start (UTC)", "Runtime", "Status"):
        assert header in page
    assert "Onboarding status" in page
    assert "Contact" in page
    assert run.started_at.strftime("%Y-%m-%d %H:%M:%S UTC") in page
    assert "1m 12s" in page
    assert "Completed" in page
    assert "View log" in page


def test_view_log_shows_the_raw_log(alice_client, contact_integration):
    run = _finished_run(contact_integration, 3, status=RunStatus.FAILED)
    run.row_results.create(
        line_number=4,
        key="bob@example.com",
        outcome="unmatched",
        message="No Contact has this Email",
    )
    page = alice_client.get(
        reverse("admin:integrations_integrationrun_change", args=[run.pk])
    ).content.decode()
    assert "phase=push updated=7" in page
    assert "No Contact has this Email" in page
    assert "Failed" in page


def test_the_list_query_count_does_not_grow_with_runs(alice_client, contact_integration):
    _finished_run(contact_integration, 5)
    with CaptureQueriesContext(connection) as one:
        assert alice_client.get(LIST_URL).status_code == 200
    IntegrationRun.objects.bulk_create(
        IntegrationRun(
            integration=contact_integration,
            trigger=RunTrigger.SCHEDULE,
            status=RunStatus.COMPLETED,
            report_name="Onboarding status",
            sobject_name="Contact",
            started_at=timezone.now(),
            finished_at=timezone.now(),
        )
        for _ in range(499)
    )
    with CaptureQueriesContext(connection) as many:
        assert alice_client.get(LIST_URL).status_code == 200
    assert len(many) == len(one)


def test_no_admin_page_shows_a_token(alice_client, production_connection):
    url = reverse(
        "admin:salesforce_auth_salesforceconnection_change", args=[production_connection.pk]
    )
    for page_url in (url, reverse("admin:salesforce_auth_salesforceconnection_changelist")):
        page = alice_client.get(page_url).content.decode()
        assert "admin@acme.example" in page
        assert "plaintext" not in page
        assert "fernet:" not in page
