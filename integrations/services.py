"""What the admin, the wizard and the tasks call. Each function is one use case."""

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.models import (
    ACTIVE_RUN_STATUSES,
    FieldMapping,
    Integration,
    IntegrationRun,
    RunStatus,
    RunTrigger,
)
from integrations.rules import IntegrationData, MappingData, OrgMetadata, check_integration
from integrations.schedules import SCHEDULED_RUN_MAX_LATENESS, remove_schedule, sync_schedule

logger = logging.getLogger(__name__)

# --- Runs ------------------------------------------------------------------------------

# A queued run no worker picked up for this long is failed, so the integration can run again.
RUN_QUEUED_TIMEOUT = timedelta(seconds=getattr(settings, "RUN_QUEUED_TIMEOUT_SECONDS", 6 * 3600))
# Publishing to an unreachable broker must fail within seconds, never hang the request.
ENQUEUE_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5}


class RunAlreadyActive(Exception):
    """The integration already has a queued or running run."""

    def __init__(self, integration: Integration):
        super().__init__(f"{integration} is already running; wait for the current run to end.")
        self.integration = integration


def _log_line(message: str, now: datetime | None = None) -> str:
    moment = (now or timezone.now()).astimezone(UTC)
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC {message}\n"


def request_run(
    integration: Integration, trigger: str = RunTrigger.MANUAL, *, dry_run: bool = False
) -> IntegrationRun:
    """Queue a run of `integration` and hand it to a worker once the transaction commits.

    Run now on an integration that is already queued or running raises RunAlreadyActive; a
    schedule tick in that case records a `skipped` run instead, so the log shows the tick.
    If the task queue cannot be reached, the run is failed at once ("task queue unavailable").
    """
    report_name = integration.report.name
    try:
        with transaction.atomic():
            run = IntegrationRun.objects.create(
                integration=integration,
                trigger=trigger,
                status=RunStatus.QUEUED,
                dry_run=dry_run,
                report_name=report_name,
                sobject_name=integration.sobject_name,
                raw_log=_log_line(f"queued ({RunTrigger(trigger).label})"),
            )
    except IntegrityError as exc:
        # The partial unique constraint: one queued-or-running run per integration. Any
        # other violation (the integration was deleted meanwhile) is not "already running".
        if not _is_active_run_conflict(exc):
            raise
        if trigger != RunTrigger.SCHEDULE:
            raise RunAlreadyActive(integration) from None
        return _record_ended_run(
            integration,
            trigger,
            RunStatus.SKIPPED,
            "Skipped: the previous run was still running.",
            dry_run=dry_run,
        )
    run_id = run.pk
    transaction.on_commit(lambda: _enqueue_run(run_id))
    return run


def start_foreground_run(integration: Integration, *, dry_run: bool = False) -> IntegrationRun:
    """A run claimed at once by the calling process (`manage.py run_integration`), no queue.

    The same one-active-run rule as Run now applies: raises RunAlreadyActive.
    """
    now = timezone.now()
    try:
        with transaction.atomic():
            return IntegrationRun.objects.create(
                integration=integration,
                trigger=RunTrigger.MANUAL,
                status=RunStatus.RUNNING,
                dry_run=dry_run,
                report_name=integration.report.name,
                sobject_name=integration.sobject_name,
                started_at=now,
                heartbeat_at=now,
                raw_log=_log_line("started in the foreground (manage.py run_integration)", now),
            )
    except IntegrityError as exc:
        if not _is_active_run_conflict(exc):
            raise
        raise RunAlreadyActive(integration) from None


ACTIVE_RUN_CONSTRAINT = "one_active_run_per_integration"


def _is_active_run_conflict(exc: IntegrityError) -> bool:
    """Whether `exc` is the violation of the one-active-run-per-integration constraint."""
    diag = getattr(exc.__cause__, "diag", None)  # psycopg names the violated constraint
    constraint = getattr(diag, "constraint_name", None)
    if constraint:
        return constraint == ACTIVE_RUN_CONSTRAINT
    # SQLite names the columns of the violated unique index instead.
    table = IntegrationRun._meta.db_table
    return f"UNIQUE constraint failed: {table}.integration_id" in str(exc)


def _record_ended_run(
    integration: Integration, trigger: str, status: str, message: str, *, dry_run: bool = False
) -> IntegrationRun:
    """A run that ended before it started (skipped, or failed a pre-check), for the log."""
    now = timezone.now()
    run = IntegrationRun.objects.create(
        integration=integration,
        trigger=trigger,
        status=status,
        dry_run=dry_run,
        report_name=integration.report.name,
        sobject_name=integration.sobject_name,
        started_at=now,
        finished_at=now,
        error_summary=message,
        raw_log=_log_line(f"{RunStatus(status).label.lower()}: {message}", now),
    )
    if status == RunStatus.FAILED:
        from integrations.alerts import notify_run_finished

        notify_run_finished(run)
    return run


def _enqueue_run(run_id: int) -> None:
    from kombu.exceptions import OperationalError

    from integrations.tasks import run_integration

    try:
        run_integration.apply_async((run_id,), retry=True, retry_policy=ENQUEUE_RETRY_POLICY)
    except OperationalError as exc:
        logger.error("Could not enqueue run %s: %s", run_id, exc)
        fail_active_run(run_id, f"Task queue unavailable: {exc}")


def claim_run(run_id: int) -> IntegrationRun | None:
    """Move a queued run to running; exactly one caller wins, a duplicate delivery gets None."""
    now = timezone.now()
    won = IntegrationRun.objects.filter(id=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    if won != 1:
        return None
    return IntegrationRun.objects.select_related("integration").get(id=run_id)


def execute_claimed_run(run: IntegrationRun) -> None:
    """Run the sync pipeline for a run this worker has claimed."""
    from integrations.sync import runner

    try:
        runner.execute(run, dry_run=run.dry_run)
    except BaseException as exc:
        # The runner records whole-run failures itself; this catches what escaped it (a
        # time limit, a bug) so the run does not sit in "running" until the reaper.
        fail_active_run(run.pk, f"Run stopped: {type(exc).__name__}: {exc}")
        raise


def fail_active_run(run_id: int, message: str) -> bool:
    """Fail a queued or running run with `message`; False if it had already ended."""
    now = timezone.now()
    with transaction.atomic():
        run = (
            IntegrationRun.objects.select_for_update()
            .filter(id=run_id, status__in=ACTIVE_RUN_STATUSES)
            .first()
        )
        if run is None:
            return False
        run.status = RunStatus.FAILED
        run.started_at = run.started_at or now
        run.finished_at = now
        run.error_summary = message
        run.raw_log += _log_line(f"failed: {message}", now)
        run.save(update_fields=["status", "started_at", "finished_at", "error_summary", "raw_log"])
    from integrations.alerts import notify_run_finished

    notify_run_finished(run)
    return True


def reap_stale_runs(now: datetime | None = None) -> list[int]:
    """Fail runs whose worker stopped answering, so their integrations can run again.

    Returns the ids of the runs failed.
    """
    now = now or timezone.now()
    # The runner beats after every batch; one Bulk API batch can take minutes: keep it wide.
    heartbeat_timeout = timedelta(seconds=settings.RUN_HEARTBEAT_TIMEOUT_SECONDS)
    lost = IntegrationRun.objects.filter(
        status=RunStatus.RUNNING, heartbeat_at__lt=now - heartbeat_timeout
    ).values_list("id", flat=True)
    never_started = IntegrationRun.objects.filter(
        status=RunStatus.QUEUED, created_at__lt=now - RUN_QUEUED_TIMEOUT
    ).values_list("id", flat=True)
    reaped = []
    for run_id in list(lost):
        minutes = int(heartbeat_timeout.total_seconds() // 60)
        # The conditional fail re-checks the status, so a run that just finished is kept.
        if fail_active_run(run_id, f"Worker lost: no heartbeat for {minutes} minutes."):
            reaped.append(run_id)
    for run_id in list(never_started):
        if fail_active_run(run_id, "No worker picked up the run; is a Celery worker running?"):
            reaped.append(run_id)
    return reaped


def run_scheduled(integration_id: int, now: datetime | None = None) -> IntegrationRun | None:
    """The daily tick: re-check the integration, then queue a run (or record why not).

    A tick that reaches a worker hours late (workers down, a backlog) is dropped: pushing
    yesterday's 09:00 data at 15:00 surprises people more than waiting for the next tick.
    """
    from integrations.schedules import next_run_at

    now = now or timezone.now()
    integration = (
        Integration.objects.select_related("connection", "report").filter(id=integration_id).first()
    )
    if integration is None or not integration.enabled:
        logger.info("Scheduled run of integration %s dropped: deleted or disabled", integration_id)
        return None
    due = next_run_at(integration, now=now - SCHEDULED_RUN_MAX_LATENESS)
    if due is None or due > now:
        logger.warning(
            "Scheduled run of %s dropped: no schedule time in the last %s",
            integration,
            SCHEDULED_RUN_MAX_LATENESS,
        )
        return None
    if not integration.connection.is_usable:
        return _record_ended_run(
            integration,
            RunTrigger.SCHEDULE,
            RunStatus.FAILED,
            f"The Salesforce account {integration.connection} is not usable; "
            "reconnect it under Salesforce connections.",
        )
    return request_run(integration, RunTrigger.SCHEDULE)


def set_schedule(integration: Integration, **cron_fields: str) -> Integration:
    """Override when beat runs the integration (cron fields, UTC); its PeriodicTask follows.

    Raises ValidationError naming each field celery's crontab parser rejects.
    """
    from integrations.cron import CRON_FIELDS
    from integrations.schedules import sync_schedule

    unknown = set(cron_fields) - set(CRON_FIELDS)
    if unknown:
        raise TypeError(f"not schedule fields: {sorted(unknown)}")
    for name, value in cron_fields.items():
        setattr(integration, name, value.strip())
    integration.clean()
    with transaction.atomic():
        integration.save(update_fields=[*cron_fields, "updated_at"])
        sync_schedule(integration)
    return integration


def finish_run(run: IntegrationRun, outcome) -> IntegrationRun:
    """End a run with its outcome (integrations.sync.outcome.RunOutcome): status, counts,
    raw log, error summary and the remaining row results.

    The counts must add up to the rows read; if they do not, the pipeline lost rows and
    the run fails loudly rather than reporting a success nobody can trust.
    """
    from integrations.sync.outcome import save_row_results

    now = timezone.now()
    counts = outcome.count_fields()
    failure = outcome.failure
    raw_log = outcome.raw_log
    if outcome.counted != outcome.rows_read:
        mismatch = (
            f"Internal error: the row outcomes add up to {outcome.counted}, not to the "
            f"{outcome.rows_read} rows read."
        )
        logger.error("Run %s: %s", run.pk, mismatch)
        failure = f"{failure} {mismatch}".strip()
        raw_log += _log_line(mismatch, now)
    not_written = sum(
        counts[name]
        for name in (
            "rows_unmatched",
            "rows_ambiguous",
            "rows_duplicate",
            "rows_invalid",
            "rows_failed",
        )
    )
    if failure:
        status = RunStatus.FAILED
    elif not_written:
        status = RunStatus.COMPLETED_WITH_ERRORS
    else:
        status = RunStatus.COMPLETED
    if failure:
        summary = failure
    elif not_written:
        parts = [
            f"{counts[name]} {label}"
            for name, label in (
                ("rows_unmatched", "unmatched"),
                ("rows_ambiguous", "ambiguous"),
                ("rows_duplicate", "duplicate key"),
                ("rows_invalid", "invalid"),
                ("rows_failed", "failed"),
            )
            if counts[name]
        ]
        summary = f"{not_written} of {outcome.rows_read} rows not written: " + ", ".join(parts)
    else:
        summary = ""
    save_row_results(outcome.row_results)
    run.status = status
    run.started_at = run.started_at or now
    run.finished_at = now
    run.heartbeat_at = now
    run.raw_log = (run.raw_log or "") + raw_log
    run.error_summary = summary
    for name, value in counts.items():
        setattr(run, name, value)
    run.save(
        update_fields=[
            "status",
            "started_at",
            "finished_at",
            "heartbeat_at",
            "raw_log",
            "error_summary",
            *counts,
        ]
    )
    _after_run_finished(run)
    return run


def _after_run_finished(run: IntegrationRun) -> None:
    """Hook for what follows a finished run: the owner's alert."""
    from integrations.alerts import notify_run_finished

    notify_run_finished(run)


# --- Connections -----------------------------------------------------------------------


def disable_integrations_for_connection(connection) -> int:
    """Disable every enabled integration of a disconnected Salesforce account.

    Saved one by one (not queryset.update) so each schedule follows; their history stays.
    """
    from integrations.schedules import sync_schedule

    count = 0
    for integration in Integration.objects.filter(connection=connection, enabled=True):
        integration.enabled = False
        integration.save(update_fields=["enabled", "updated_at"])
        sync_schedule(integration)
        count += 1
    return count


# --- Integration setup (the wizard, the admin and the shell call these) ---------------


def load_org_metadata(connection, sobject_name: str) -> OrgMetadata:
    """The org's view of `sobject_name` and its fields, from the cached describe calls."""
    from salesforce_auth import metadata
    from salesforce_auth.exceptions import SalesforceConnectionError

    try:
        objects = {info.name.lower(): info for info in metadata.list_objects(connection)}
        sobject = objects.get(sobject_name.lower())
        if sobject is None:
            return OrgMetadata(sobject=None)
        fields = {info.name: info for info in metadata.describe_fields(connection, sobject.name)}
    except SalesforceConnectionError as exc:
        raise ValidationError(
            {"connection": f"Could not read the objects and fields of the org: {exc}"}
        ) from exc
    return OrgMetadata(sobject=sobject, fields=fields)


def validate_integration(
    *, data: IntegrationData, mappings: list[MappingData], metadata: OrgMetadata | None = None
) -> OrgMetadata:
    """Check every rule against the report and the org; raise ValidationError per field/row."""
    if metadata is None:
        metadata = load_org_metadata(data.connection, data.sobject_name)
    check_integration(data, mappings, metadata)
    return metadata


def save_integration(
    *,
    integration: Integration | None,
    data: IntegrationData,
    mappings: list[MappingData],
    user=None,
) -> Integration:
    """Create or update an integration, its mappings and its daily schedule, all or nothing."""
    # Metadata comes over HTTP: read it before the transaction, not while holding locks.
    metadata = validate_integration(data=data, mappings=mappings)
    with transaction.atomic():
        if integration is None:
            integration = Integration(owner=user if getattr(user, "pk", None) else None)
        integration.name = data.name.strip()
        integration.connection = data.connection
        integration.walkme_environment = data.walkme_environment
        integration.report = data.report
        integration.sobject_name = metadata.sobject.name
        integration.sobject_label = metadata.sobject.label
        integration.report_key_column = data.report_key_column
        integration.salesforce_key_field = metadata.field(data.salesforce_key_field).name
        integration.enabled = data.enabled
        integration.update_all_matches = data.update_all_matches
        integration.api_mode = data.api_mode
        integration.bulk_threshold = data.bulk_threshold
        integration.full_clean(exclude=["periodic_task", "owner"])
        integration.save()
        _replace_mappings(integration, mappings, metadata)
        sync_schedule(integration)
    return integration


def _replace_mappings(
    integration: Integration, mappings: list[MappingData], metadata: OrgMetadata
) -> None:
    # Keyed by target field (unique per integration), so unchanged rows keep their ids.
    existing = {mapping.salesforce_field: mapping for mapping in integration.mappings.all()}
    wanted = {}
    for position, mapping in enumerate(mappings):
        wanted[metadata.field(mapping.salesforce_field).name] = (position, mapping)
    integration.mappings.exclude(salesforce_field__in=list(wanted)).delete()
    for field_name, (position, mapping) in wanted.items():
        row = existing.get(field_name) or FieldMapping(
            integration=integration, salesforce_field=field_name
        )
        row.report_column = mapping.report_column
        row.empty_policy = mapping.empty_policy
        row.position = position
        row.save()


def set_enabled(integration: Integration, enabled: bool) -> Integration:
    """Turn an integration on or off; its daily schedule follows."""
    with transaction.atomic():
        integration.enabled = enabled
        integration.save(update_fields=["enabled", "updated_at"])
        sync_schedule(integration)
    return integration


def delete_integration(integration: Integration) -> None:
    """Delete an integration with its schedule (the PeriodicTask would otherwise linger)."""
    with transaction.atomic():
        remove_schedule(integration)
        integration.delete()
