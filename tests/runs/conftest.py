"""Fixtures for runs: a broker space of the test's own and a real in-process Celery worker."""

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.core.management import call_command
from django.db import connections
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


@contextmanager
def own_redis_keyspace() -> Iterator[dict]:
    """Every Redis key this test's messages use (queues, unacked messages, bindings, pidbox)
    under a prefix of its own; yields the transport options. The keys are deleted after.

    Leftovers of other tests or of an earlier killed run, and any other worker consuming the
    same Redis database, can then neither be consumed by this test nor steal its messages.
    """
    prefix = f"walkme-test-{uuid.uuid4().hex}:"
    options = {**app.conf.broker_transport_options, "global_keyprefix": prefix}
    try:
        with broker_settings(transport_options=options):
            yield options
    finally:
        purge_redis_keys(app.conf.broker_url, prefix)


def purge_redis_keys(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def own_broker(tmp_path):
    """This test's messages in a broker space of its own, so no other test, parallel test
    run or worker consumes them and none of theirs reach this test's worker: a folder of its
    own with the file-system broker, a key prefix of its own on Redis (REDIS_URL in CI).
    """
    if app.conf.broker_url.startswith("redis"):
        with own_redis_keyspace():
            yield
        return
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

    def wait_for(self, count: int, timeout: float = 90) -> None:
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


def build_demo_integration(emulator, rows: int, *, connection, environment, owner):
    """An integration pushing a clean demo report of `rows` rows into Contacts of the
    emulator's production org, which gets a matching contact for every row."""
    from django.core.files.base import ContentFile

    from integrations.demo_report import demo_report_bytes
    from integrations.models import FieldMapping, InsightsReport, Integration

    emulator.control.generate_contacts(rows)
    report = InsightsReport.objects.create(
        environment=environment, name="Onboarding status", source_kind="upload"
    )
    report.upload.save("onboarding.csv", ContentFile(demo_report_bytes(rows, seed=7)))
    integration = Integration.objects.create(
        name="Onboarding to Contacts",
        connection=connection,
        walkme_environment=environment,
        report=report,
        sobject_name="Contact",
        report_key_column="email",
        salesforce_key_field="Email",
        owner=owner,
    )
    for position, (column, field) in enumerate(DEMO_MAPPINGS.items()):
        FieldMapping.objects.create(
            integration=integration, report_column=column, salesforce_field=field, position=position
        )
    return integration


@pytest.fixture
def demo_integration(settings, tmp_path, emulator, emulator_connection, walkme_production, alice):
    """make(rows): see build_demo_integration."""
    from django.core.cache import cache

    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()  # describe results are cached per connection id, which tests reuse

    def make(rows: int):
        return build_demo_integration(
            emulator,
            rows,
            connection=emulator_connection,
            environment=walkme_production,
            owner=alice,
        )

    return make


@pytest.fixture
def database_url(tmp_path, django_db_blocker, transactional_db):
    """A database other processes and threads can open; yields its DATABASE_URL.

    PostgreSQL: the test database, with no wrapping transaction (`transactional_db`), so
    what the test writes is committed and visible to them. SQLite: the test database lives
    in this process's memory with table locks and no busy wait, so this test gets a
    migrated file. Tests using it create their objects themselves (no `db` fixtures).

    `transactional_db` is a parameter, not a `request.getfixturevalue` call: pytest-django
    decides from each test's static fixture closure whether to create the test database
    at all (run alone, this test would otherwise write to the unmigrated database named in
    DATABASE_URL) and whether the test is transactional (otherwise it wraps the test in a
    transaction nobody else can see into and `on_commit` never fires).
    """
    original = connections["default"]
    if original.vendor == "postgresql":
        s = original.settings_dict
        assert not original.in_atomic_block, "the test must not run inside a transaction"
        yield (
            f"postgres://{quote(s['USER'] or '', safe='')}:{quote(s['PASSWORD'] or '', safe='')}"
            f"@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{quote(s['NAME'], safe='')}"
        )
        return
    path = tmp_path / "worker.sqlite3"
    with django_db_blocker.unblock():
        on_file = original.__class__({**original.settings_dict, "NAME": str(path)}, "default")
        # Threads open their own connections from connections.settings: point those too.
        saved_name = connections.settings["default"]["NAME"]
        connections.settings["default"]["NAME"] = str(path)
        connections["default"] = on_file
        try:
            call_command("migrate", verbosity=0)
            yield f"sqlite:///{path}"
        finally:
            on_file.close()
            connections["default"] = original
            connections.settings["default"]["NAME"] = saved_name
