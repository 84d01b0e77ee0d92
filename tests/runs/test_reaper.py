"""The reaper fails runs whose worker was lost, so the integration can run again."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from integrations import services
from integrations.models import IntegrationRun, RunStatus, RunTrigger
from integrations.tasks import reap_stale_runs
from walkme_integration.celery import app


def _running(integration, heartbeat_age: timedelta) -> IntegrationRun:
    run = services.request_run(integration, RunTrigger.MANUAL)
    services.claim_run(run.id)
    IntegrationRun.objects.filter(id=run.id).update(heartbeat_at=timezone.now() - heartbeat_age)
    return run


def test_it_fails_a_run_with_a_stale_heartbeat(own_broker, contact_integration, mailoutbox):
    run = _running(contact_integration, timedelta(minutes=20))
    assert services.reap_stale_runs() == [run.id]
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error_summary.startswith("Worker lost")
    assert "Worker lost" in run.raw_log
    # The integration can run again.
    assert services.request_run(contact_integration, RunTrigger.MANUAL).status == RunStatus.QUEUED
    assert [m.to for m in mailoutbox] == [["alice@example.com"]]


def test_it_leaves_a_run_with_a_fresh_heartbeat(own_broker, contact_integration):
    run = _running(contact_integration, timedelta(minutes=2))
    assert services.reap_stale_runs() == []
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING


def test_it_fails_a_run_no_worker_picked_up_for_hours(own_broker, contact_integration):
    run = services.request_run(contact_integration, RunTrigger.MANUAL)
    assert services.reap_stale_runs(now=timezone.now() + timedelta(hours=7)) == [run.id]
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "No worker picked up" in run.error_summary


@pytest.mark.django_db(transaction=True)
def test_the_reaper_is_on_beat_every_five_minutes():
    # transaction=True: the scheduler closes "old" connections, which on PostgreSQL
    # includes the test's own connection inside a wrapping transaction.
    DatabaseScheduler(app=app)  # what `celery beat` builds at start
    entry = PeriodicTask.objects.get(name="reap-stale-runs")
    assert entry.task == reap_stale_runs.name
    assert entry.interval.every == 300 and entry.interval.period == "seconds"
    assert entry.enabled
