"""Run now with the task queue unreachable fails the run within seconds and says so."""

import time

import pytest
from django.urls import reverse

from integrations.models import RunStatus


@pytest.mark.django_db(transaction=True)
def test_it_fails_the_run_fast_when_the_task_queue_is_down(
    broker_down, alice_client, contact_integration
):
    url = reverse("admin:integrations_integrationrun_run_now", args=[contact_integration.pk])
    started = time.monotonic()
    response = alice_client.post(url, follow=True)
    elapsed = time.monotonic() - started

    assert elapsed < 8, f"Run now took {elapsed:.1f}s with the broker down"
    run = contact_integration.runs.get()
    assert run.status == RunStatus.FAILED
    assert "Task queue unavailable" in run.error_summary
    assert run.finished_at is not None
    page = response.content.decode()
    assert "run failed" in page and "Task queue unavailable" in page
    # The failed run does not block the next attempt.
    assert not contact_integration.runs.filter(status__in=["queued", "running"]).exists()


def test_healthz_reports_the_broker_down_with_503(broker_down, client, db):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"].startswith("error:")


def test_healthz_is_200_when_database_and_broker_answer(own_broker, client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}
