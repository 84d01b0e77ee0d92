"""Run now through the broker to a real worker, against the Salesforce emulator."""

import pytest
from django.urls import reverse

from integrations import services
from integrations.models import IntegrationRun, RunStatus, RunTrigger
from integrations.tasks import run_integration

pytestmark = pytest.mark.django_db(transaction=True)


def _contacts_by_email(emulator) -> dict[str, dict]:
    return {r["Email"]: r for r in emulator.control.records("Contact") if r.get("Email")}


def test_it_runs_now_to_a_completed_run_with_the_right_counts(
    worker, demo_integration, alice_client, emulator
):
    integration = demo_integration(40)
    url = reverse("admin:integrations_integrationrun_run_now", args=[integration.pk])
    response = alice_client.post(url, follow=True)
    assert "Run queued" in response.content.decode()

    worker.wait_for(1)
    run = integration.runs.get()
    assert run.status == RunStatus.COMPLETED, run.error_summary or run.raw_log
    assert run.rows_read == 40
    assert run.rows_updated + run.rows_unchanged == 40
    assert run.rows_updated > 0
    assert run.started_at <= run.heartbeat_at <= run.finished_at
    contact = _contacts_by_email(emulator)["user3@example.com"]
    assert contact["Churn_Risk__c"] in ("High", "Medium", "Low")


def test_a_dry_run_from_the_grid_writes_nothing_and_says_what_would_change(
    worker, demo_integration, alice_client, emulator
):
    integration = demo_integration(40)
    before = _contacts_by_email(emulator)
    run_now = reverse("admin:integrations_integrationrun_run_now", args=[integration.pk])
    grid = alice_client.get(reverse("admin:integrations_integration_changelist")).content.decode()
    assert f'formaction="{run_now}?dry_run=1"' in grid

    response = alice_client.post(f"{run_now}?dry_run=1", follow=True)
    assert "Dry run queued" in response.content.decode()
    worker.wait_for(1)
    run = integration.runs.get()
    assert run.dry_run and run.status == RunStatus.COMPLETED, run.error_summary or run.raw_log
    assert run.rows_updated > 0
    assert _contacts_by_email(emulator) == before, "a dry run wrote to Salesforce"
    log_list = alice_client.get(reverse("admin:integrations_integrationrun_changelist"))
    assert "Completed (dry run)" in log_list.content.decode()


def test_a_duplicate_message_after_the_run_is_a_no_op(worker, demo_integration, emulator):
    integration = demo_integration(10)
    run = services.request_run(integration, RunTrigger.MANUAL)
    worker.wait_for(1)
    finished = IntegrationRun.objects.get(id=run.id)
    assert finished.status == RunStatus.COMPLETED
    emulator.control.reset_request_counts()

    run_integration.delay(run.id)  # the broker delivers the same message again
    worker.wait_for(2)
    again = IntegrationRun.objects.get(id=run.id)
    assert (again.status, again.finished_at, again.raw_log) == (
        finished.status,
        finished.finished_at,
        finished.raw_log,
    )
    assert sum(emulator.control.request_counts().values()) == 0, "it talked to Salesforce"
