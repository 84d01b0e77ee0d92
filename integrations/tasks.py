"""Thin Celery tasks: load by id, call a service."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="integrations.run_integration", acks_late=True)
def run_integration(run_id: int) -> None:
    """Run a queued run. Only the worker whose claim wins runs it; a redelivery is a no-op."""
    from integrations import services

    run = services.claim_run(run_id)
    if run is None:
        logger.info("Run %s is not queued (already claimed or ended); nothing to do", run_id)
        return
    services.execute_claimed_run(run)


@shared_task(name="integrations.run_scheduled_integration", acks_late=True)
def run_scheduled_integration(integration_id: int) -> None:
    """Beat's entry point: re-check the integration, then queue a run of it."""
    from integrations import services

    services.run_scheduled(integration_id)


@shared_task(name="integrations.reap_stale_runs")
def reap_stale_runs() -> None:
    """Every few minutes: fail runs whose worker was lost, so they can run again."""
    from integrations import services

    reaped = services.reap_stale_runs()
    if reaped:
        logger.warning("Failed %d stale run(s): %s", len(reaped), reaped)
