"""Thin Celery tasks: load by id, call a service."""

from celery import shared_task

from integrations.models import Integration


@shared_task(name="integrations.run_scheduled_integration")
def run_scheduled_integration(integration_id: int) -> None:
    """Beat's daily entry point: queue a run of the integration, if it still exists."""
    from integrations import services

    integration = Integration.objects.filter(pk=integration_id, enabled=True).first()
    if integration is None:
        return
    request_run = getattr(services, "request_run", None)
    if request_run is None:
        # The run pipeline is not installed yet; nothing can be queued.
        return
    request_run(integration, trigger="schedule")
