"""Row results as a CSV download from the run's View log page."""

import csv
import io

from django.urls import reverse

from integrations.models import IntegrationRun, RowOutcome, RunRowResult, RunStatus, RunTrigger
from integrations.sync.export import row_results_csv


def make_run(integration) -> IntegrationRun:
    run = IntegrationRun.objects.create(
        integration=integration,
        trigger=RunTrigger.MANUAL,
        status=RunStatus.COMPLETED_WITH_ERRORS,
        report_name="Onboarding status",
        sobject_name="Contact",
        rows_read=2,
        rows_invalid=1,
        rows_unmatched=1,
    )
    RunRowResult.objects.create(
        run=run, line_number=3, key='=HYPERLINK("http://evil")', outcome=RowOutcome.UNMATCHED
    )
    RunRowResult.objects.create(
        run=run,
        line_number=2,
        key="dana@example.com",
        outcome=RowOutcome.INVALID,
        field="nps",
        message="-1+1 is not a number",
    )
    return run


def test_it_exports_row_results_with_formula_safe_cells(contact_integration):
    run = make_run(contact_integration)
    rows = list(csv.reader(io.StringIO("".join(row_results_csv(run)))))
    assert rows[0] == ["line", "key", "outcome", "field", "error_code", "message", "salesforce_id"]
    assert rows[1][:3] == ["2", "dana@example.com", "Invalid"]
    assert rows[1][5] == "'-1+1 is not a number"
    assert rows[2][:3] == ["3", '\'=HYPERLINK("http://evil")', "Unmatched"]


def test_it_links_the_download_from_the_view_log_page(alice_client, contact_integration):
    run = make_run(contact_integration)
    page = alice_client.get(reverse("admin:integrations_integrationrun_change", args=[run.pk]))
    url = reverse("admin:integrations_integrationrun_rows_csv", args=[run.pk])
    assert url in page.content.decode()
    response = alice_client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="run-{run.pk}-rows.csv"'
    body = b"".join(response.streaming_content).decode()
    assert "dana@example.com" in body


def test_it_refuses_the_download_to_anonymous_users(client, contact_integration):
    run = make_run(contact_integration)
    response = client.get(reverse("admin:integrations_integrationrun_rows_csv", args=[run.pk]))
    assert response.status_code == 302
    assert "/login/" in response["Location"]
