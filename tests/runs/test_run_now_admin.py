"""Run now from the admin: POST only, CSRF, the run_integration permission, its messages."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from integrations.models import RunStatus


def _run_now_url(integration) -> str:
    return reverse("admin:integrations_integrationrun_run_now", args=[integration.pk])


def test_it_queues_a_run_and_says_run_queued(own_broker, alice_client, contact_integration):
    response = alice_client.post(_run_now_url(contact_integration), follow=True)
    assert "Run queued" in response.content.decode()
    run = contact_integration.runs.get()
    assert run.status == RunStatus.QUEUED
    assert run.trigger == "manual"
    assert run.report_name == "Onboarding status" and run.sobject_name == "Contact"


def test_a_second_run_now_says_already_running(own_broker, alice_client, contact_integration):
    alice_client.post(_run_now_url(contact_integration))
    response = alice_client.post(_run_now_url(contact_integration), follow=True)
    assert "already running" in response.content.decode()
    assert contact_integration.runs.count() == 1


def test_it_refuses_get(own_broker, alice_client, contact_integration):
    assert alice_client.get(_run_now_url(contact_integration)).status_code == 405
    assert not contact_integration.runs.exists()


def test_it_checks_the_csrf_token(own_broker, alice, contact_integration):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    assert browser.post(_run_now_url(contact_integration)).status_code == 403
    assert not contact_integration.runs.exists()


@pytest.fixture
def bob_client(db):
    """Staff who may view integrations but not run them."""
    bob = get_user_model().objects.create_user("bob", "bob@example.com", "bob-password-1")
    bob.is_staff = True
    bob.save()
    bob.user_permissions.add(Permission.objects.get(codename="view_integration"))
    client = Client()
    client.force_login(bob)
    return client


def test_it_needs_the_run_integration_permission(own_broker, bob_client, contact_integration):
    assert bob_client.post(_run_now_url(contact_integration)).status_code == 403
    assert not contact_integration.runs.exists()


def test_the_admin_action_runs_the_selected_integrations(
    own_broker, alice_client, contact_integration
):
    response = alice_client.post(
        reverse("admin:integrations_integration_changelist"),
        {"action": "run_selected_integrations", "_selected_action": [contact_integration.pk]},
        follow=True,
    )
    assert "Run queued" in response.content.decode()
    assert contact_integration.runs.get().status == RunStatus.QUEUED


def test_the_log_page_refreshes_itself_while_a_run_is_active(
    own_broker, alice_client, contact_integration
):
    logs = (
        reverse("admin:integrations_integrationrun_changelist")
        + f"?integration__id__exact={contact_integration.pk}"
    )
    assert 'http-equiv="refresh"' not in alice_client.get(logs).content.decode()
    alice_client.post(_run_now_url(contact_integration))
    page = alice_client.get(logs).content.decode()
    assert 'http-equiv="refresh"' in page
    run = contact_integration.runs.get()
    view_log = alice_client.get(
        reverse("admin:integrations_integrationrun_change", args=[run.pk])
    ).content.decode()
    assert 'http-equiv="refresh"' in view_log


def test_the_grid_offers_run_now_and_logs_and_refreshes_while_running(
    own_broker, alice_client, contact_integration
):
    grid_url = reverse("admin:integrations_integration_changelist")
    grid = alice_client.get(grid_url).content.decode()
    assert f'formaction="{_run_now_url(contact_integration)}"' in grid
    assert f"?integration__id__exact={contact_integration.pk}" in grid
    assert 'http-equiv="refresh"' not in grid
    alice_client.post(_run_now_url(contact_integration))
    assert 'http-equiv="refresh"' in alice_client.get(grid_url).content.decode()


def test_the_grid_shows_how_many_rows_a_running_run_has_read(
    own_broker, alice_client, contact_integration
):
    from integrations import services
    from integrations.models import IntegrationRun

    run = services.request_run(contact_integration)
    services.claim_run(run.id)
    IntegrationRun.objects.filter(id=run.id).update(rows_read=1200)
    grid = alice_client.get(reverse("admin:integrations_integration_changelist")).content.decode()
    assert "Running" in grid
    assert "1200 rows so far" in grid
