"""Keeps one django-celery-beat PeriodicTask per integration in step with the integration.

Schedules are upserted (never delete-all-then-create) so beat's last-run bookkeeping
survives edits, and the task is referenced by its `name` attribute, not a string typed twice.
"""

import json
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask
from django_celery_beat.tzcrontab import TzAwareCrontab

from integrations.models import Integration

# A schedule tick older than this when a worker gets it is dropped rather than run late: the
# message expires in the broker, and run_scheduled checks again against the schedule itself.
SCHEDULED_RUN_MAX_LATENESS = timedelta(hours=3)

SCHEDULE_TIMEZONE = "UTC"


def periodic_task_name(integration: Integration) -> str:
    # Stable across renames, so a renamed integration keeps its one task.
    return f"integration-{integration.pk}"


def _crontab_fields(integration: Integration) -> dict[str, str]:
    return {
        "minute": integration.schedule_minute,
        "hour": integration.schedule_hour,
        "day_of_week": integration.schedule_day_of_week,
        "day_of_month": integration.schedule_day_of_month,
        "month_of_year": integration.schedule_month_of_year,
        "timezone": SCHEDULE_TIMEZONE,
    }


def _crontab_for(integration: Integration) -> CrontabSchedule:
    crontab, _ = CrontabSchedule.objects.get_or_create(**_crontab_fields(integration))
    return crontab


@transaction.atomic
def sync_schedule(integration: Integration) -> PeriodicTask | None:
    """Create or update the integration's PeriodicTask; enabled exactly when the integration is."""
    from integrations.tasks import run_scheduled_integration

    if integration.pk is None:
        raise ValueError("Save the integration before scheduling it.")
    values = {
        "crontab": _crontab_for(integration),
        "interval": None,
        "solar": None,
        "clocked": None,
        "task": run_scheduled_integration.name,
        "kwargs": json.dumps({"integration_id": integration.pk}),
        "enabled": integration.enabled,
        "description": f"Scheduled sync of the integration {integration.name!r}",
        "one_off": False,
        "expire_seconds": int(SCHEDULED_RUN_MAX_LATENESS.total_seconds()),
    }
    task = integration.periodic_task
    if task is None:
        task, _ = PeriodicTask.objects.update_or_create(
            name=periodic_task_name(integration), defaults=values
        )
    else:
        for attribute, value in values.items():
            setattr(task, attribute, value)
        task.save()
    if integration.periodic_task_id != task.pk:
        integration.periodic_task = task
        Integration.objects.filter(pk=integration.pk).update(periodic_task=task)
    return task


@transaction.atomic
def remove_schedule(integration: Integration) -> None:
    """Delete the integration's PeriodicTask (before the integration itself goes)."""
    PeriodicTask.objects.filter(name=periodic_task_name(integration)).delete()
    if integration.periodic_task_id is not None:
        PeriodicTask.objects.filter(pk=integration.periodic_task_id).delete()
        integration.periodic_task = None
        if integration.pk is not None:
            Integration.objects.filter(pk=integration.pk).update(periodic_task=None)


def _celery_crontab(integration: Integration, now: datetime) -> TzAwareCrontab:
    schedule = CrontabSchedule(**_crontab_fields(integration)).schedule
    schedule.nowfun = lambda: now
    return schedule


def next_run_at(integration: Integration, now: datetime | None = None) -> datetime | None:
    """When beat will next start this integration (UTC), or None while it is disabled."""
    if not integration.enabled:
        return None
    now = (now or timezone.now()).astimezone(UTC)
    schedule = _celery_crontab(integration, now)
    # celery computes the next due time after a "last run"; pretending the last run was
    # now gives the first due time strictly after now.
    return (now + schedule.remaining_estimate(now)).astimezone(UTC)


def describe_schedule(integration: Integration) -> str:
    """Human wording of the schedule, e.g. "Daily 09:00 UTC"."""
    minute, hour = integration.schedule_minute, integration.schedule_hour
    rest = (
        integration.schedule_day_of_week,
        integration.schedule_day_of_month,
        integration.schedule_month_of_year,
    )
    if minute.isdigit() and hour.isdigit() and rest == ("*", "*", "*"):
        return f"Daily {int(hour):02d}:{int(minute):02d} UTC"
    return f"Cron {minute} {hour} {rest[1]} {rest[2]} {rest[0]} (UTC)"
