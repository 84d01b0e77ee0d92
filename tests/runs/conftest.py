"""Fixtures for runs: a broker space of the test's own and a real in-process Celery worker."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from kombu import pools

from walkme_integration.celery import app


def _drop_broker_connections() -> None:
    # The app caches its connection and producer pools; after changing the broker settings
    # they must be rebuilt or messages would still go to the old place.
    pools.reset()
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


@contextmanager
def broker_settings(url: str | None = None, transport_options: dict | None = None) -> Iterator:
    saved = (app.conf.broker_url, app.conf.broker_transport_options)
    if url is not None:
        app.conf.broker_url = url
    if transport_options is not None:
        app.conf.broker_transport_options = transport_options
    _drop_broker_connections()
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.broker_transport_options = saved
        _drop_broker_connections()


@pytest.fixture
def own_broker(tmp_path):
    """This test's messages in a folder of its own, so parallel test runs never steal them.

    With Redis (REDIS_URL in CI) the shared broker is used as is.
    """
    if not app.conf.broker_url.startswith("filesystem"):
        yield
        return
    folder = tmp_path / "broker"
    folder.mkdir()
    options = {
        **app.conf.broker_transport_options,
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "processed_folder": str(folder / "processed"),
        "store_processed": False,
    }
    with broker_settings(transport_options=options):
        yield


@pytest.fixture
def broker_down():
    """The broker is a closed port: nothing listens on 127.0.0.1:1."""
    with broker_settings(url="redis://127.0.0.1:1/0", transport_options={}):
        yield


class TaskDone:
    """Counts tasks the in-process worker finished, to wait for them without sleeping blind."""

    def __init__(self) -> None:
        self.finished: list[tuple[str, tuple]] = []
        self.condition = threading.Condition()

    def __call__(self, sender=None, args=None, **kwargs) -> None:
        with self.condition:
            self.finished.append((sender.name, tuple(args or ())))
            self.condition.notify_all()

    def wait_for(self, count: int, timeout: float = 30) -> None:
        with self.condition:
            if not self.condition.wait_for(lambda: len(self.finished) >= count, timeout):
                raise AssertionError(f"only {len(self.finished)} of {count} tasks finished")


@pytest.fixture
def worker(own_broker, transactional_db):
    """A real Celery worker thread consuming this test's broker space.

    It shares the test database only with transactional tests (the fixture requires it).
    """
    done = TaskDone()
    task_postrun.connect(done, weak=False)
    try:
        with start_worker(
            app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=15
        ):
            yield done
    finally:
        task_postrun.disconnect(done)


DEMO_MAPPINGS = {
    "onboarding_completed": "Onboarding_Completed__c",
    "nps_score": "NPS_Score__c",
    "sessions_30d": "Sessions_30d__c",
    "churn_risk": "Churn_Risk__c",
}


@pytest.fixture
def demo_integration(settings, tmp_path, emulator, emulator_connection, walkme_production, alice):
    """make(rows): an integration pushing a clean demo report of `rows` rows into Contacts
    of the emulator's production org, which has a matching contact for every row."""
    from django.core.cache import cache
    from django.core.files.base import ContentFile

    from integrations.demo_report import demo_report_bytes
    from integrations.models import FieldMapping, InsightsReport, Integration

    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()  # describe results are cached per connection id, which tests reuse

    def make(rows: int) -> Integration:
        emulator.control.generate_contacts(rows)
        report = InsightsReport.objects.create(
            environment=walkme_production, name="Onboarding status", source_kind="upload"
        )
        report.upload.save("onboarding.csv", ContentFile(demo_report_bytes(rows, seed=7)))
        integration = Integration.objects.create(
            name="Onboarding to Contacts",
            connection=emulator_connection,
            walkme_environment=walkme_production,
            report=report,
            sobject_name="Contact",
            report_key_column="email",
            salesforce_key_field="Email",
            owner=alice,
        )
        for position, (column, field) in enumerate(DEMO_MAPPINGS.items()):
            FieldMapping.objects.create(
                integration=integration,
                report_column=column,
                salesforce_field=field,
                position=position,
            )
        return integration

    return make
