"""Beat's PeriodicTask per integration: due at 09:00 UTC whatever TIME_ZONE says."""

from datetime import UTC, datetime

import pytest
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import ModelEntry

from integrations import services
from integrations.models import RunStatus
from integrations.schedules import sync_schedule
from integrations.tasks import run_scheduled_integration
from walkme_integration.celery import app

YESTERDAY_AT_NINE = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)


def _entry_at(task: PeriodicTask, moment: datetime) -> ModelEntry:
    entry = ModelEntry(task, app=app)
    entry.last_run_at = YESTERDAY_AT_NINE
    # The clock the schedule reads; everything else is django-celery-beat's own logic.
    entry.schedule.nowfun = lambda: moment
    return entry


@pytest.mark.parametrize("time_zone", ["Asia/Tokyo", "America/Los_Angeles", "UTC"])
def test_it_is_due_at_0900_utc_and_not_at_0859(settings, contact_integration, time_zone):
    settings.TIME_ZONE = time_zone
    task = sync_schedule(contact_integration)
    assert task.task == run_scheduled_integration.name
    assert task.crontab.timezone.key == "UTC"

    at_0859 = datetime(2026, 3, 10, 8, 59, tzinfo=UTC)
    at_0900 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    due, next_check = _entry_at(task, at_0859).is_due()
    assert not due
    assert next_check == pytest.approx(60, abs=1)
    due, _ = _entry_at(task, at_0900).is_due()
    assert due


def test_disabling_an_integration_disables_its_periodic_task(contact_integration):
    task = sync_schedule(contact_integration)
    assert task.enabled
    services.set_enabled(contact_integration, False)
    assert not PeriodicTask.objects.get(pk=task.pk).enabled
    services.set_enabled(contact_integration, True)
    assert PeriodicTask.objects.get(pk=task.pk).enabled


def test_the_tick_of_a_disabled_integration_runs_nothing(own_broker, contact_integration):
    services.set_enabled(contact_integration, False)
    assert services.run_scheduled(contact_integration.pk) is None
    assert not contact_integration.runs.exists()


def test_a_tick_hours_late_is_dropped(own_broker, contact_integration):
    late = datetime(2026, 3, 10, 13, 30, tzinfo=UTC)
    assert services.run_scheduled(contact_integration.pk, now=late) is None
    on_time = datetime(2026, 3, 10, 9, 0, 2, tzinfo=UTC)
    run = services.run_scheduled(contact_integration.pk, now=on_time)
    assert run is not None and run.status == RunStatus.QUEUED and run.trigger == "schedule"


def test_a_tick_with_an_unusable_connection_fails_with_how_to_fix(
    own_broker, contact_integration, mailoutbox
):
    connection = contact_integration.connection
    connection.status = "revoked"
    connection.save()
    run = services.run_scheduled(
        contact_integration.pk, now=datetime(2026, 3, 10, 9, 0, 1, tzinfo=UTC)
    )
    assert run.status == RunStatus.FAILED
    assert "reconnect" in run.error_summary
    assert len(mailoutbox) == 1


def _schedule_url(integration) -> str:
    from django.urls import reverse

    return reverse("admin:integrations_integration_schedule", args=[integration.pk])


def test_it_overrides_the_schedule_with_valid_cron_fields(alice_client, contact_integration):
    sync_schedule(contact_integration)
    response = alice_client.post(
        _schedule_url(contact_integration),
        {
            "schedule_minute": "30",
            "schedule_hour": "6",
            "schedule_day_of_week": "mon-fri",
            "schedule_day_of_month": "*",
            "schedule_month_of_year": "*",
        },
        follow=True,
    )
    assert "Schedule of Onboarding to Contacts saved" in response.content.decode()
    crontab = PeriodicTask.objects.get(pk=contact_integration.periodic_task_id).crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_week) == ("30", "6", "mon-fri")
    assert crontab.timezone.key == "UTC"


def test_it_refuses_cron_fields_celery_cannot_parse(alice_client, contact_integration):
    task = sync_schedule(contact_integration)
    response = alice_client.post(
        _schedule_url(contact_integration),
        {
            "schedule_minute": "61",
            "schedule_hour": "9",
            "schedule_day_of_week": "funday",
            "schedule_day_of_month": "*",
            "schedule_month_of_year": "*",
        },
    )
    page = response.content.decode()
    assert "&#x27;61&#x27; is not a valid cron value" in page
    assert "funday" in page
    contact_integration.refresh_from_db()
    assert contact_integration.schedule_minute == "0"
    assert PeriodicTask.objects.get(pk=task.pk).crontab.minute == "0"


def test_the_model_refuses_a_bad_cron_field_for_every_caller(contact_integration):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        services.set_schedule(contact_integration, schedule_hour="25")
    assert "schedule_hour" in error.value.message_dict
