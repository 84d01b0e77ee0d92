"""The Salesforce connections admin: its link to the Integrations page, and its actions."""

import pytest
from django.urls import reverse

from salesforce_auth import metadata

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/salesforce_auth/salesforceconnection/"


def test_it_links_the_connection_list_to_the_integrations_page(alice_client):
    page = alice_client.get(CHANGELIST).content.decode()

    assert f'href="{reverse("admin:salesforce_integrations")}"' in page


def test_it_links_to_the_new_integration_page(alice_client):
    page = alice_client.get(reverse("admin:salesforce_integrations")).content.decode()

    assert "Create new integration" in page
    assert f'href="{reverse("admin:integrations_integration_add")}"' in page


def test_it_refreshes_metadata_from_the_admin_action(alice_client, emulator_connection, emulator):
    metadata.describe_fields(emulator_connection, "Contact")
    emulator.control.hide_field("Contact", "NPS_Score__c")

    response = alice_client.post(
        CHANGELIST,
        {"action": "refresh_metadata", "_selected_action": [emulator_connection.pk]},
        follow=True,
    )

    assert "Metadata will be fetched again for 1 account" in response.content.decode()
    names = {f.name for f in metadata.describe_fields(emulator_connection, "Contact")}
    assert "NPS_Score__c" not in names
