"""services.request_run and the run_integration task's claim, with a real worker."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection

from integrations import services
from integrations.models import (
    InsightsReport,
    Integration,
    IntegrationRun,
    RunStatus,
    RunTrigger,
    WalkMeEnvironment,
)
from integrations.tasks import run_integration
from salesforce_auth.models import SalesforceConnection


def test_it_refuses_a_second_run_now_while_one_is_queued(own_broker, contact_integration):
    first = services.request_run(contact_integration, RunTrigger.MANUAL)
    with pytest.raises(services.RunAlreadyActive, match="already running"):
        services.request_run(contact_integration, RunTrigger.MANUAL)
    assert list(contact_integration.runs.values_list("id", "status")) == [
        (first.id, RunStatus.QUEUED)
    ]


def test_it_records_a_schedule_tick_during_a_run_as_skipped(own_broker, contact_integration):
    services.request_run(contact_integration, RunTrigger.MANUAL)
    tick = services.request_run(contact_integration, RunTrigger.SCHEDULE)
    assert tick.status == RunStatus.SKIPPED
    assert "still running" in tick.error_summary
    assert contact_integration.runs.filter(status=RunStatus.QUEUED).count() == 1


def test_it_lets_exactly_one_claim_win(own_broker, contact_integration):
    run = services.request_run(contact_integration, RunTrigger.MANUAL)
    winner = services.claim_run(run.id)
    assert winner is not None and winner.status == RunStatus.RUNNING
    assert winner.started_at == winner.heartbeat_at
    assert services.claim_run(run.id) is None


@pytest.mark.django_db(transaction=True)  # foreign keys are checked when the run commits
def test_it_does_not_call_a_deleted_integration_already_running(own_broker, contact_integration):
    Integration.objects.filter(id=contact_integration.id).delete()  # by another request
    with pytest.raises(IntegrityError) as raised:
        services.request_run(contact_integration, RunTrigger.MANUAL)
    assert not isinstance(raised.value, services.RunAlreadyActive)
    assert not IntegrationRun.objects.exists()


def test_it_names_the_models_constraint():
    names = [constraint.name for constraint in IntegrationRun._meta.constraints]
    assert services.ACTIVE_RUN_CONSTRAINT in names


@pytest.mark.django_db(transaction=True)
def test_it_ignores_a_duplicate_delivery_of_a_claimed_run(worker, contact_integration):
    # A run another worker already claimed, as after a redelivery by the broker.
    run = IntegrationRun.objects.create(
        integration=contact_integration,
        trigger=RunTrigger.MANUAL,
        report_name="Onboarding status",
        sobject_name="Contact",
    )
    claimed = services.claim_run(run.id)
    run_integration.delay(run.id)
    run_integration.delay(run.id)
    worker.wait_for(2)
    after = IntegrationRun.objects.get(id=run.id)
    assert after.status == RunStatus.RUNNING
    assert after.started_at == claimed.started_at
    assert after.raw_log == claimed.raw_log


def test_two_run_now_at_once_give_one_run(database_url, own_broker):
    # Two real threads with their own database connections, as two web requests would be.
    integration = _plain_integration()
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def press_run_now() -> None:
        start.wait()
        try:
            services.request_run(integration, RunTrigger.MANUAL)
            outcomes.append("queued")
        except services.RunAlreadyActive:
            outcomes.append("already running")
        finally:
            connection.close()

    threads = [threading.Thread(target=press_run_now) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["already running", "queued"]
    assert integration.runs.count() == 1


def _plain_integration() -> Integration:
    owner = get_user_model().objects.create_user("alice", "alice@example.com", "pw-alice-1")
    environment = WalkMeEnvironment.objects.create(name="Production")
    return Integration.objects.create(
        name="Onboarding to Contacts",
        connection=SalesforceConnection.objects.create(
            environment="production",
            login_url="https://login.salesforce.com",
            org_id="00D000000000001AAA",
            user_id="005000000000001AAA",
            username="admin@acme.example",
            instance_url="https://acme.my.salesforce.com",
            access_token="access",
            refresh_token="refresh",
        ),
        walkme_environment=environment,
        report=InsightsReport.objects.create(environment=environment, name="Onboarding status"),
        sobject_name="Contact",
        report_key_column="email",
        salesforce_key_field="Email",
        owner=owner,
    )
