"""Admin glue for runs: Run now (the per-row form and the action) and its messages.

Kept out of admin.py so the integration grid and the run log share one code path.
"""

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest

from integrations import services
from integrations.cron import CRON_FIELDS
from integrations.models import (
    ACTIVE_RUN_STATUSES,
    Integration,
    IntegrationRun,
    RunStatus,
    RunTrigger,
)

RUN_PERMISSION = "integrations.run_integration"
# While a run is active the log pages reload themselves this often (no JavaScript needed).
AUTO_REFRESH_SECONDS = 3


def queue_run_and_report(
    model_admin: admin.ModelAdmin, request: HttpRequest, integration, *, dry_run: bool = False
) -> None:
    """Run now (or a dry run), then tell the user what happened in the admin's message bar."""
    try:
        run = services.request_run(integration, RunTrigger.MANUAL, dry_run=dry_run)
    except services.RunAlreadyActive:
        model_admin.message_user(
            request,
            f"{integration.name} is already running; wait for the current run to end.",
            messages.WARNING,
        )
        return
    # Enqueueing happened on commit; if the task queue was down the run is failed already.
    run.refresh_from_db(fields=["status", "error_summary"])
    if run.status == RunStatus.FAILED:
        model_admin.message_user(
            request, f"{integration.name}: run failed. {run.error_summary}", messages.ERROR
        )
    elif dry_run:
        model_admin.message_user(
            request,
            f"Dry run queued: {integration.name}. Nothing will be written to Salesforce; "
            "its log lists what would change.",
            messages.SUCCESS,
        )
    else:
        model_admin.message_user(request, f"Run queued: {integration.name}.", messages.SUCCESS)


@admin.action(description="Run now", permissions=["run_integration"])
def run_selected_integrations(model_admin, request, queryset) -> None:
    for integration in queryset.select_related("report"):
        queue_run_and_report(model_admin, request, integration)


def can_run(request: HttpRequest) -> bool:
    return request.user.has_perm(RUN_PERMISSION)


def runs_are_active(integration: Integration | None = None) -> bool:
    runs = IntegrationRun.objects.filter(status__in=ACTIVE_RUN_STATUSES)
    if integration is not None:
        runs = runs.filter(integration=integration)
    return runs.exists()


class ScheduleForm(forms.ModelForm):
    """The integration's cron fields (UTC); the model's clean() checks them with celery."""

    class Meta:
        model = Integration
        fields = list(CRON_FIELDS)
        help_texts = {name: hint for name, ((_, _), hint) in CRON_FIELDS.items()}
