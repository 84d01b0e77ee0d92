"""Named fixtures that read like the product: alice the admin, a production org, a report."""

import pytest
from django.contrib.auth import get_user_model

from integrations.models import InsightsReport, Integration, WalkMeEnvironment
from salesforce_auth.models import Environment, SalesforceConnection


@pytest.fixture
def alice(db):
    """A staff superuser."""
    return get_user_model().objects.create_superuser(
        username="alice", email="alice@example.com", password="alice-password-1"
    )


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def production_connection(db, alice):
    return SalesforceConnection.objects.create(
        environment=Environment.PRODUCTION,
        login_url="https://login.salesforce.com",
        org_id="00D000000000001AAA",
        user_id="005000000000001AAA",
        username="admin@acme.example",
        instance_url="https://acme.my.salesforce.com",
        access_token="access-token-plaintext",
        refresh_token="refresh-token-plaintext",
        connected_by=alice,
    )


@pytest.fixture
def walkme_production(db):
    return WalkMeEnvironment.objects.create(name="Production", system_id="walkme-system-1")


@pytest.fixture
def onboarding_report(walkme_production):
    return InsightsReport.objects.create(
        environment=walkme_production,
        name="Onboarding status",
        columns=["email", "onboarding_completed", "nps_score"],
    )


@pytest.fixture
def contact_integration(production_connection, walkme_production, onboarding_report, alice):
    return Integration.objects.create(
        name="Onboarding to Contacts",
        connection=production_connection,
        walkme_environment=walkme_production,
        report=onboarding_report,
        sobject_name="Contact",
        sobject_label="Contact",
        report_key_column="email",
        salesforce_key_field="Email",
        owner=alice,
    )
