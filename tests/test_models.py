import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from integrations.models import FieldMapping, IntegrationRun, RunStatus, RunTrigger


def _run(integration, status):
    return IntegrationRun.objects.create(
        integration=integration,
        trigger=RunTrigger.MANUAL,
        status=status,
        report_name=integration.report.name,
        sobject_name=integration.sobject_name,
    )


@pytest.mark.parametrize("first,second", [("queued", "running"), ("running", "queued")])
def test_it_refuses_a_second_active_run(contact_integration, first, second):
    _run(contact_integration, first)
    with pytest.raises(IntegrityError), transaction.atomic():
        _run(contact_integration, second)


def test_it_allows_new_runs_once_the_active_one_ended(contact_integration):
    run = _run(contact_integration, RunStatus.RUNNING)
    run.status = RunStatus.COMPLETED
    run.save()
    _run(contact_integration, RunStatus.QUEUED)
    assert contact_integration.runs.count() == 2


def test_it_refuses_a_second_mapping_to_the_same_field(contact_integration):
    FieldMapping.objects.create(
        integration=contact_integration, report_column="nps_score", salesforce_field="NPS_Score__c"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        FieldMapping.objects.create(
            integration=contact_integration, report_column="nps", salesforce_field="NPS_Score__c"
        )


def test_it_refuses_the_key_field_as_a_target(contact_integration):
    mapping = FieldMapping(
        integration=contact_integration, report_column="email", salesforce_field="email"
    )
    with pytest.raises(ValidationError, match="is the key field"):
        mapping.full_clean()


def test_the_token_columns_hold_no_plaintext(production_connection):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM salesforce_auth_salesforceconnection"
        )
        access, refresh = cursor.fetchone()
    assert "plaintext" not in access and access.startswith("fernet:")
    assert "plaintext" not in refresh and refresh.startswith("fernet:")
    production_connection.refresh_from_db()
    assert repr(production_connection.access_token) == "<encrypted>"
    assert production_connection.access_token.reveal() == "access-token-plaintext"
