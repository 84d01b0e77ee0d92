"""Fixtures for the wizard and the grid: an integration saved through the service."""

import pytest

from integrations import services
from integrations.rules import IntegrationData, MappingData


@pytest.fixture
def contact_data(emulator_connection, walkme_production, demo_report):
    """IntegrationData for the demo report onto the emulator org's Contacts, by Email."""

    def make(**changes) -> IntegrationData:
        values = dict(
            name="Usage to Contacts",
            connection=emulator_connection,
            walkme_environment=walkme_production,
            report=demo_report,
            sobject_name="Contact",
            report_key_column="email",
            salesforce_key_field="Email",
        )
        values.update(changes)
        return IntegrationData(**values)

    return make


@pytest.fixture
def saved_integration(alice, contact_data):
    """An integration of the demo report onto the emulator org's Contacts, saved by the service."""
    return services.save_integration(
        integration=None,
        data=contact_data(),
        mappings=[
            MappingData("nps_score", "NPS_Score__c"),
            MappingData("walkme_user_id", "WalkMe_User_Id__c"),
            MappingData("churn_risk", "Churn_Risk__c"),
        ],
        user=alice,
    )
