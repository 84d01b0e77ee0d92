"""The owner gets one email per change to a bad state, not one per bad run."""

from django.utils import timezone

from integrations import services
from integrations.models import IntegrationRun, RunStatus, RunTrigger


def _fail(integration, message="Salesforce said INVALID_SESSION_ID") -> IntegrationRun:
    run = services.request_run(integration, RunTrigger.MANUAL)
    services.fail_active_run(run.id, message)
    return run


def _complete(integration) -> IntegrationRun:
    now = timezone.now()
    return IntegrationRun.objects.create(
        integration=integration,
        trigger=RunTrigger.SCHEDULE,
        status=RunStatus.COMPLETED,
        report_name="Onboarding status",
        sobject_name="Contact",
        started_at=now,
        finished_at=now,
    )


def test_it_emails_the_owner_once_per_change_of_state(own_broker, contact_integration, mailoutbox):
    _fail(contact_integration)
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["alice@example.com"]
    assert "Onboarding to Contacts" in email.subject and "failed" in email.subject
    assert "INVALID_SESSION_ID" in email.body

    _fail(contact_integration)
    assert len(mailoutbox) == 1, "a second failure in a row must not email again"

    _complete(contact_integration)
    _fail(contact_integration)
    assert len(mailoutbox) == 2, "a failure after a recovery emails again"


def test_it_does_not_email_about_a_completed_run(own_broker, contact_integration, mailoutbox):
    from integrations.alerts import notify_run_finished

    assert notify_run_finished(_complete(contact_integration)) is False
    assert mailoutbox == []


def test_it_emails_nobody_when_the_integration_has_no_owner(
    own_broker, contact_integration, mailoutbox
):
    contact_integration.owner = None
    contact_integration.save()
    _fail(contact_integration)
    assert mailoutbox == []
