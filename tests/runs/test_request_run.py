"""services.request_run and the run_integration task's claim, with a real worker."""

import pytest

from integrations import services
from integrations.models import IntegrationRun, RunStatus, RunTrigger
from integrations.tasks import run_integration


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
