"""The integration rules and saving, through the real emulator org (describe over HTTPS)."""

import json
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django_celery_beat.models import PeriodicTask

from integrations import services
from integrations.models import EmptyCellPolicy, FieldMapping, Integration
from integrations.rules import MappingData
from integrations.schedules import next_run_at
from integrations.tasks import run_scheduled_integration
from salesforce_auth.metadata import clear_metadata_cache

FIVE_MAPPINGS = [
    MappingData("nps_score", "NPS_Score__c"),
    MappingData("onboarding_completed", "Onboarding_Completed__c"),
    MappingData("last_seen", "Last_Seen__c", EmptyCellPolicy.CLEAR),
    MappingData("churn_risk", "Churn_Risk__c"),
    MappingData("upsell_signal", "Upsell_Signal__c"),
]


def messages_of(error: ValidationError) -> dict[str, list[str]]:
    return {
        key: [m for e in errors for m in e.messages] for key, errors in error.error_dict.items()
    }


def save(data, mappings, integration=None, user=None):
    return services.save_integration(
        integration=integration, data=data, mappings=mappings, user=user
    )


def test_it_saves_the_integration_its_mappings_and_a_daily_schedule(contact_data, alice):
    integration = save(contact_data(), FIVE_MAPPINGS, user=alice)

    assert integration.sobject_label == "Contact"
    assert integration.owner == alice
    assert [
        (m.report_column, m.salesforce_field, m.empty_policy) for m in integration.mappings.all()
    ] == [(m.report_column, m.salesforce_field, m.empty_policy) for m in FIVE_MAPPINGS]
    task = PeriodicTask.objects.get(pk=integration.periodic_task_id)
    assert task.task == run_scheduled_integration.name
    assert json.loads(task.kwargs) == {"integration_id": integration.pk}
    assert task.enabled
    crontab = task.crontab
    assert (crontab.minute, crontab.hour, str(crontab.timezone)) == ("0", "9", "UTC")
    assert (crontab.day_of_week, crontab.day_of_month, crontab.month_of_year) == ("*", "*", "*")
    # A tick still in the queue three hours later (workers down) expires instead of running late.
    assert task.expire_seconds == 3 * 3600


def test_it_updates_in_place_keeping_one_schedule(contact_data):
    integration = save(contact_data(), FIVE_MAPPINGS)
    task_id = integration.periodic_task_id

    save(contact_data(name="Renamed"), FIVE_MAPPINGS[:2], integration=integration)

    integration.refresh_from_db()
    assert integration.name == "Renamed"
    assert integration.periodic_task_id == task_id
    assert PeriodicTask.objects.filter(task=run_scheduled_integration.name).count() == 1
    assert list(integration.mappings.values_list("salesforce_field", flat=True)) == [
        "NPS_Score__c",
        "Onboarding_Completed__c",
    ]


def test_it_disables_the_schedule_of_a_disabled_integration(contact_data):
    integration = save(contact_data(), FIVE_MAPPINGS)

    services.set_enabled(integration, False)

    assert not PeriodicTask.objects.get(pk=integration.periodic_task_id).enabled
    assert next_run_at(integration) is None
    services.set_enabled(integration, True)
    assert PeriodicTask.objects.get(pk=integration.periodic_task_id).enabled


def test_it_saves_a_disabled_integration_with_its_schedule_off(contact_data):
    integration = save(contact_data(enabled=False), FIVE_MAPPINGS)

    assert not PeriodicTask.objects.get(pk=integration.periodic_task_id).enabled


def test_it_deletes_the_schedule_with_the_integration(contact_data):
    integration = save(contact_data(), FIVE_MAPPINGS)

    services.delete_integration(integration)

    assert not Integration.objects.exists()
    assert not PeriodicTask.objects.filter(task=run_scheduled_integration.name).exists()


def test_it_computes_the_next_run_with_celerys_crontab(contact_data):
    integration = save(contact_data(), FIVE_MAPPINGS)

    before = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)
    after = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
    assert next_run_at(integration, now=before) == datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    assert next_run_at(integration, now=after) == datetime(2026, 5, 2, 9, 0, tzinfo=UTC)


def test_it_refuses_a_key_field_salesforce_cannot_filter_on(contact_data):
    with pytest.raises(ValidationError) as caught:
        save(contact_data(salesforce_key_field="Description"), FIVE_MAPPINGS)

    assert messages_of(caught.value) == {
        "salesforce_key_field": [
            "Description cannot be the key: Salesforce cannot search records by it."
        ]
    }
    assert not Integration.objects.exists()


def test_it_refuses_a_number_field_as_the_key(contact_data):
    # Keys are matched as text; a number key would silently never match.
    with pytest.raises(ValidationError) as caught:
        save(contact_data(salesforce_key_field="NPS_Score__c"), FIVE_MAPPINGS[1:])

    assert messages_of(caught.value) == {
        "salesforce_key_field": [
            "NPS_Score__c is a double field and cannot be the key: choose a text, email, "
            "phone, URL, picklist or Id field (such as Email or an external id)."
        ]
    }


def test_it_refuses_a_read_only_target(contact_data):
    mappings = [*FIVE_MAPPINGS, MappingData("sessions_30d", "Engagement_Level__c")]

    with pytest.raises(ValidationError) as caught:
        save(contact_data(), mappings)

    assert messages_of(caught.value) == {
        "mappings": ["Row 6: Engagement_Level__c is read-only for the connected user."]
    }


def test_it_refuses_the_key_field_as_a_target(contact_data):
    with pytest.raises(ValidationError) as caught:
        save(contact_data(), [MappingData("email", "Email"), *FIVE_MAPPINGS])

    assert messages_of(caught.value)["mappings"] == [
        "Row 1: Email is the key field; it identifies the record and cannot be written."
    ]


def test_it_refuses_a_field_written_twice(contact_data):
    with pytest.raises(ValidationError) as caught:
        save(contact_data(), [*FIVE_MAPPINGS, MappingData("sessions_30d", "NPS_Score__c")])

    assert messages_of(caught.value)["mappings"] == [
        "Row 6: NPS_Score__c is already written by row 1."
    ]


def test_it_refuses_columns_missing_from_the_report(contact_data):
    with pytest.raises(ValidationError) as caught:
        save(
            contact_data(report_key_column="e_mail"),
            [*FIVE_MAPPINGS, MappingData("nps", "Sessions_30d__c")],
        )

    assert messages_of(caught.value) == {
        "report_key_column": ["The column 'e_mail' is not in the report Product usage."],
        "mappings": ["Row 6: the column 'nps' is not in the report Product usage."],
    }


def test_it_refuses_an_object_missing_from_the_org(contact_data):
    with pytest.raises(ValidationError) as caught:
        save(contact_data(sobject_name="Opportunity_Score__c"), FIVE_MAPPINGS)

    assert messages_of(caught.value)["sobject_name"] == [
        "Opportunity_Score__c is not an object of this Salesforce org (deleted, or hidden "
        "from the connected user)."
    ]


def test_it_names_the_field_gone_since_the_integration_was_saved(
    contact_data, emulator, emulator_connection
):
    integration = save(contact_data(), FIVE_MAPPINGS)
    emulator.control.hide_field("Contact", "Churn_Risk__c")
    clear_metadata_cache(emulator_connection)

    with pytest.raises(ValidationError) as caught:
        save(contact_data(), FIVE_MAPPINGS, integration=integration)

    assert messages_of(caught.value) == {
        "mappings": [
            "Row 4: Churn_Risk__c is no longer a field of Contact in the Salesforce org "
            "(deleted, renamed, or hidden from the connected user)."
        ]
    }
    # Nothing of the refused save was kept.
    assert FieldMapping.objects.filter(integration=integration).count() == 5


def test_it_refuses_clearing_a_field_that_requires_a_value(contact_data):
    with pytest.raises(ValidationError) as caught:
        save(
            contact_data(),
            [MappingData("onboarding_completed", "Onboarding_Completed__c", "clear")],
        )

    assert messages_of(caught.value)["mappings"] == [
        "Row 1: Onboarding_Completed__c cannot be cleared (Salesforce always requires a "
        "value); leave it unchanged instead."
    ]


def test_it_refuses_an_integration_without_mappings(contact_data):
    with pytest.raises(ValidationError) as caught:
        save(contact_data(), [])

    assert messages_of(caught.value) == {"mappings": ["Map at least one report column to a field."]}
