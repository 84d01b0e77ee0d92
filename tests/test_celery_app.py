"""A real worker runs a task through the configured broker (Redis when REDIS_URL is set)."""

import time

from celery.contrib.testing.worker import start_worker

from walkme_integration.celery import app, ping


def test_a_real_worker_runs_a_task_through_the_broker(settings, tmp_path):
    assert app.conf.broker_url == settings.CELERY_BROKER_URL
    marker = tmp_path / "ping-marker"
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        ping.delay(str(marker))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not marker.exists():
            time.sleep(0.1)
    assert marker.read_text() == "pong", "the worker did not run the task"
