"""The integrations grid: schedule, last and next run, options menu, enable/disable/delete."""

from datetime import UTC, datetime

from django_celery_beat.models import PeriodicTask

from integrations.models import IntegrationRun, RunStatus, RunTrigger

GRID_URL = "/admin/integrations/integration/"


def row_of(html: str, name: str) -> str:
    start = html.index(name)
    return html[start : html.index("</tr>", start)]


def test_it_lists_schedule_account_and_next_run(alice_client, saved_integration):
    row = row_of(alice_client.get(GRID_URL).content.decode(), "Usage to Contacts")

    assert "reconnect" not in row

    assert "Product usage" in row
    assert "Contact" in row
    assert "admin@walkme-demo.example" in row and "Production" in row
    assert "Daily 09:00 UTC" in row
    assert "Never run" in row
    assert " 09:00 UTC" in row.split("Never run")[1]
    assert f'href="/admin/integrations/integration/{saved_integration.pk}/wizard/">Edit</a>' in row


def test_it_shows_the_last_run_status_and_time(alice_client, saved_integration):
    IntegrationRun.objects.create(
        integration=saved_integration,
        trigger=RunTrigger.MANUAL,
        status=RunStatus.COMPLETED,
        report_name="Product usage",
        sobject_name="Contact",
        started_at=datetime(2026, 5, 1, 9, 0, 3, tzinfo=UTC),
        finished_at=datetime(2026, 5, 1, 9, 0, 9, tzinfo=UTC),
    )

    row = row_of(alice_client.get(GRID_URL).content.decode(), "Usage to Contacts")

    assert "Completed" in row
    assert "2026-05-01 09:00 UTC" in row


def test_disabling_from_the_grid_turns_the_schedule_off(alice_client, saved_integration):
    response = alice_client.post(
        GRID_URL, {"action": "disable_selected", "_selected_action": [saved_integration.pk]}
    )

    assert response.status_code == 302
    assert not PeriodicTask.objects.get(pk=saved_integration.periodic_task_id).enabled
    page = alice_client.get(GRID_URL).content.decode()
    assert "Disabled 1 integration(s)." in page
    row = row_of(page, "Usage to Contacts")
    assert '<td class="field-next_run_display">—</td>' in row  # no next run while disabled


def test_deleting_from_the_grid_removes_the_schedule(alice_client, saved_integration):
    alice_client.post(
        GRID_URL,
        {"action": "delete_selected_integrations", "_selected_action": [saved_integration.pk]},
    )

    assert not PeriodicTask.objects.filter(name=f"integration-{saved_integration.pk}").exists()
    assert "0 integrations" in alice_client.get(GRID_URL).content.decode()


def test_it_flags_an_account_that_needs_reconnecting(alice_client, saved_integration):
    connection = saved_integration.connection
    connection.status = "needs_reauth"
    connection.save()
    row = row_of(alice_client.get(GRID_URL).content.decode(), "Usage to Contacts")
    assert "Needs re-authorisation: reconnect" in row
    assert 'href="/admin/salesforce_auth/salesforceconnection/integrations/"' in row
