"""Disconnect: revoke at Salesforce, wipe the tokens, disable the integrations."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from integrations.models import Integration, IntegrationRun
from integrations.schedules import sync_schedule
from salesforce_auth.exceptions import OAuthError
from salesforce_auth.fields import reveal
from salesforce_auth.models import ConnectionStatus, SalesforceConnection
from salesforce_auth.oauth import refresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def emulator_integration(emulator_connection, walkme_production, onboarding_report, alice):
    integration = Integration.objects.create(
        name="Onboarding to Contacts",
        connection=emulator_connection,
        walkme_environment=walkme_production,
        report=onboarding_report,
        sobject_name="Contact",
        report_key_column="email",
        salesforce_key_field="Email",
        owner=alice,
    )
    sync_schedule(integration)
    IntegrationRun.objects.create(
        integration=integration,
        trigger="manual",
        status="completed",
        report_name="Onboarding status",
        sobject_name="Contact",
    )
    return integration


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_it_revokes_wipes_and_disables(alice_client, emulator_connection, emulator_integration):
    refresh_token = reveal(emulator_connection.refresh_token)

    response = alice_client.post(
        reverse("salesforce_auth:disconnect", args=[emulator_connection.pk])
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:salesforce_integrations")
    connection = SalesforceConnection.objects.get(pk=emulator_connection.pk)
    assert connection.status == ConnectionStatus.REVOKED
    assert not connection.access_token and not connection.refresh_token
    with pytest.raises(OAuthError, match="invalid_grant"):
        refresh(connection.login_url, refresh_token)
    emulator_integration.refresh_from_db()
    assert not emulator_integration.enabled
    assert not emulator_integration.periodic_task.enabled
    assert emulator_integration.runs.count() == 1  # history stays
    assert any("access revoked" in m and "1 integration" in m for m in messages_of(response))
    page = alice_client.get(reverse("admin:salesforce_integrations")).content.decode()
    assert "Revoked" in page


def test_it_wipes_local_tokens_when_salesforce_cannot_be_reached(
    alice_client, emulator_connection, settings
):
    settings.SALESFORCE_CONNECT_TIMEOUT = 1
    SalesforceConnection.objects.filter(pk=emulator_connection.pk).update(
        login_url="https://127.0.0.1:9"  # nothing listens on the discard port
    )

    response = alice_client.post(
        reverse("salesforce_auth:disconnect", args=[emulator_connection.pk])
    )

    connection = SalesforceConnection.objects.get(pk=emulator_connection.pk)
    assert connection.status == ConnectionStatus.REVOKED
    assert not connection.access_token and not connection.refresh_token
    assert any("deleted here" in m and "could not be reached" in m for m in messages_of(response))
