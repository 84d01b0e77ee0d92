"""Emails to an integration's owner when its runs go bad, once per change of state."""

import logging

from django.conf import settings
from django.core.mail import send_mail

from integrations.models import IntegrationRun, RunStatus

logger = logging.getLogger(__name__)

BAD_STATUSES = (RunStatus.FAILED, RunStatus.COMPLETED_WITH_ERRORS)
# Skipped runs say nothing about the integration's health, and active ones have no outcome.
OUTCOME_STATUSES = (RunStatus.COMPLETED, *BAD_STATUSES)


def previous_outcome(run: IntegrationRun) -> str | None:
    """The status of the integration's last finished run before `run`."""
    earlier = (
        IntegrationRun.objects.filter(
            integration_id=run.integration_id, status__in=OUTCOME_STATUSES, id__lt=run.pk
        )
        .order_by("-id")
        .values_list("status", flat=True)
        .first()
    )
    return earlier


def should_alert(run: IntegrationRun) -> bool:
    """A bad outcome alerts unless the previous outcome was the same bad state."""
    return run.status in BAD_STATUSES and previous_outcome(run) != run.status


def notify_run_finished(run: IntegrationRun) -> bool:
    """Email the owner if this run is a change to failed / completed with errors.

    Called once when a run ends. Returns True when an email went out. A mail server that
    cannot be reached is logged, never allowed to fail the run.
    """
    if not should_alert(run):
        return False
    integration = run.integration
    owner = integration.owner
    if owner is None or not owner.email:
        logger.warning(
            "Run %s of %s is %s; no owner email to alert", run.pk, integration, run.status
        )
        return False
    subject = f"[WalkMe → Salesforce] {integration.name}: {run.get_status_display().lower()}"
    counts = ", ".join(
        f"{IntegrationRun._meta.get_field(name).verbose_name} {getattr(run, name)}"
        for name in ("rows_read", *IntegrationRun.OUTCOME_FIELDS)
    )
    start = run.started_at or run.created_at
    body = (
        f"The run of {integration.name} ({run.report_name} → {run.sobject_name}) "
        f"started {start:%Y-%m-%d %H:%M} UTC ended: {run.get_status_display()}.\n\n"
        f"{run.error_summary or 'Some rows were not written.'}\n\n"
        f"Rows: {counts}.\n\n"
        "Open the integration's Logs and View log for every row's outcome.\n"
        "You will not be emailed again until the state changes.\n"
    )
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [owner.email])
    except OSError as exc:
        logger.error("Could not email the alert for run %s: %s", run.pk, exc)
        return False
    return True
