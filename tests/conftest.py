"""Named fixtures that read like the product: alice the admin, a production org, a report."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.test import Client

from integrations.demo_report import demo_report_bytes
from integrations.models import InsightsReport, Integration, SourceKind, WalkMeEnvironment
from integrations.sources import refresh_report_columns
from salesforce_auth.models import Environment, SalesforceConnection
from salesforce_emulator import seed
from tests.salesforce_auth.signin import connect_through_emulator


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


@pytest.fixture
def salesforce_settings(settings, emulator):
    """Django settings pointing at the emulator: its connected app, login hosts and CA."""
    settings.SALESFORCE_CLIENT_ID = seed.DEMO_CLIENT_ID
    settings.SALESFORCE_CLIENT_SECRET = seed.DEMO_CLIENT_SECRET
    settings.SALESFORCE_LOGIN_URL_PRODUCTION = emulator.production_login_url
    settings.SALESFORCE_LOGIN_URL_SANDBOX = emulator.sandbox_login_url
    settings.SALESFORCE_CA_BUNDLE = emulator.ca_bundle
    return settings


def _connect(emulator, alice, environment: str) -> SalesforceConnection:
    client = Client()
    client.force_login(alice)
    response = connect_through_emulator(client, emulator.ca_bundle, environment)
    assert response.status_code == 302, response.content[:1000]
    return SalesforceConnection.objects.get(environment=environment)


@pytest.fixture
def emulator_connection(salesforce_settings, emulator, alice):
    """alice's connection to the emulator's production org, made through the real OAuth flow."""
    return _connect(emulator, alice, Environment.PRODUCTION)


@pytest.fixture
def emulator_sandbox_connection(salesforce_settings, emulator, alice):
    """alice's connection to the emulator's sandbox org, made through the real OAuth flow."""
    return _connect(emulator, alice, Environment.SANDBOX)


@pytest.fixture
def demo_report(walkme_production, settings, tmp_path):
    """The demo Insights report (email, walkme_user_id, nps_score, ...), uploaded as CSV."""
    settings.MEDIA_ROOT = tmp_path / "media"
    report = InsightsReport(
        environment=walkme_production, name="Product usage", source_kind=SourceKind.UPLOAD
    )
    report.upload.save(
        "product-usage.csv",
        ContentFile(demo_report_bytes(20, email_template="{i}.user@acme-corp.example")),
        save=False,
    )
    report.save()
    refresh_report_columns(report)
    return report
