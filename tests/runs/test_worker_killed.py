"""A worker process killed with SIGKILL mid-run: the reaper fails the run, the next succeeds.

The worker is a real `celery worker` subprocess of the project's app, so it needs a
database another process can open: the test database on PostgreSQL; on SQLite (whose test
database lives in this process's memory) a migrated file under tmp_path for this test. It
shares a broker space of this test's own (a folder, or a Redis key prefix) with the test.
"""

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from integrations import services
from integrations.models import IntegrationRun, RunStatus, RunTrigger, WalkMeEnvironment
from salesforce_auth.models import Environment, SalesforceConnection
from tests.runs.conftest import broker_settings, build_demo_integration, own_redis_keyspace
from tests.salesforce_auth.signin import connect_through_emulator
from walkme_integration.celery import app

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class SubprocessBroker:
    var: Path  # the worker's WALKME_VAR_DIR
    env: dict[str, str]  # what else the worker's environment needs to share the broker


@pytest.fixture
def subprocess_broker(tmp_path):
    """The broker space the worker subprocess and this test share, of this test's own."""
    var = tmp_path / "var"
    if app.conf.broker_url.startswith("redis"):
        # The worker gets the test's key prefix through tests.runs.worker_app.
        with own_redis_keyspace() as options:
            yield SubprocessBroker(
                var,
                {
                    "CELERY_BROKER_URL": app.conf.broker_url,
                    "WALKME_TEST_BROKER_TRANSPORT_OPTIONS": json.dumps(
                        {"global_keyprefix": options["global_keyprefix"]}
                    ),
                },
            )
        return
    if not app.conf.broker_url.startswith("filesystem"):
        yield SubprocessBroker(var, {})
        return
    # The worker's settings put the file-system broker's folders under its WALKME_VAR_DIR.
    folder = var / "broker"
    options = {
        **app.conf.broker_transport_options,
        "data_folder_in": str(folder / "in"),
        "data_folder_out": str(folder / "in"),
        "processed_folder": str(folder / "processed"),
    }
    for sub in ("in", "processed"):
        (folder / sub).mkdir(parents=True)
    with broker_settings(transport_options=options):
        yield SubprocessBroker(var, {})


class WorkerProcess:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "tests.runs.worker_app", "worker"]
            + ["--pool", "solo", "--loglevel", "INFO", "--without-heartbeat", "--without-gossip"]
            + ["--without-mingle"],
            cwd=ROOT,
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def _wait_for(predicate, what: str, worker: WorkerProcess, timeout: float = 180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}; worker log:\n{worker.log.read_text()}")


def _status(run_id: int) -> str:
    return IntegrationRun.objects.values_list("status", flat=True).get(id=run_id)


def test_a_killed_worker_leaves_a_run_the_reaper_fails_and_the_next_run_succeeds(
    database_url, subprocess_broker, salesforce_settings, emulator, tmp_path
):
    salesforce_settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    alice = get_user_model().objects.create_superuser("alice", "alice@example.com", "pw-alice-1")
    browser = Client()
    browser.force_login(alice)
    assert connect_through_emulator(browser, emulator.ca_bundle, "production").status_code == 302
    integration = build_demo_integration(
        emulator,
        30,
        connection=SalesforceConnection.objects.get(environment=Environment.PRODUCTION),
        environment=WalkMeEnvironment.objects.create(name="Production"),
        owner=alice,
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        **subprocess_broker.env,
        "WALKME_VAR_DIR": str(subprocess_broker.var),
        "DJANGO_MEDIA_ROOT": str(salesforce_settings.MEDIA_ROOT),
        "SALESFORCE_CLIENT_ID": salesforce_settings.SALESFORCE_CLIENT_ID,
        "SALESFORCE_CLIENT_SECRET": salesforce_settings.SALESFORCE_CLIENT_SECRET,
        "SALESFORCE_LOGIN_URL_PRODUCTION": emulator.production_login_url,
        "SALESFORCE_LOGIN_URL_SANDBOX": emulator.sandbox_login_url,
        "SALESFORCE_CA_BUNDLE": emulator.ca_bundle,
    }
    log = tmp_path / "worker.log"

    # Slow Salesforce down so the run is surely in flight when the worker dies.
    emulator.control.set_latency(1500)
    worker = WorkerProcess(env, log)
    try:
        lost = services.request_run(integration, RunTrigger.MANUAL)
        _wait_for(lambda: _status(lost.id) == RunStatus.RUNNING, "the run to start", worker)
        worker.kill()
    finally:
        worker.stop()
    assert _status(lost.id) == RunStatus.RUNNING  # nobody is left to finish it

    # The integration is stuck until the reaper runs (beat runs it every 5 minutes).
    with pytest.raises(services.RunAlreadyActive):
        services.request_run(integration, RunTrigger.MANUAL)
    assert services.reap_stale_runs(now=timezone.now() + timedelta(minutes=16)) == [lost.id]
    lost.refresh_from_db()
    assert lost.status == RunStatus.FAILED
    assert lost.error_summary.startswith("Worker lost")

    emulator.control.set_latency(0)
    worker = WorkerProcess(env, log)
    try:
        next_run = services.request_run(integration, RunTrigger.MANUAL)
        _wait_for(
            lambda: _status(next_run.id) not in (RunStatus.QUEUED, RunStatus.RUNNING),
            "the next run to finish",
            worker,
        )
    finally:
        worker.stop()
    next_run.refresh_from_db()
    assert next_run.status == RunStatus.COMPLETED, next_run.error_summary
    assert next_run.rows_read == 30
    assert _status(lost.id) == RunStatus.FAILED  # a redelivered message did not revive it
