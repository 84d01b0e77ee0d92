"""The integration's Logs page shows an SVG chart of its last 30 runs."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from integrations.models import IntegrationRun, RunStatus, RunTrigger


def test_it_draws_one_bar_per_run_and_series_for_the_last_30_runs(
    alice_client, contact_integration
):
    start = timezone.now() - timedelta(days=40)
    IntegrationRun.objects.bulk_create(
        IntegrationRun(
            integration=contact_integration,
            trigger=RunTrigger.SCHEDULE,
            status=RunStatus.COMPLETED if day % 5 else RunStatus.FAILED,
            report_name="Onboarding status",
            sobject_name="Contact",
            created_at=start + timedelta(days=day),
            started_at=start + timedelta(days=day),
            finished_at=start + timedelta(days=day, seconds=60 + day),
            rows_read=100,
            rows_updated=90 - day,
            rows_unmatched=day,
        )
        for day in range(35)
    )
    url = reverse("admin:integrations_integrationrun_changelist")
    page = alice_client.get(f"{url}?integration__id__exact={contact_integration.pk}")
    html = page.content.decode()
    svg = html[html.index('<svg class="runs-chart"') :]
    svg = svg[: svg.index("</svg>")]
    assert svg.count("<rect") == 3 * 30
    for label in ("Runtime", "Rows updated", "Rows not written"):
        assert label in svg
    # Oldest of the last 30 is day 5; the newest, day 34, has 56 updated and 34 not written.
    assert "updated 56 · not written 34" in svg
    assert "updated 85 · not written 5" in svg
    assert "updated 86 · not written 4" not in svg
