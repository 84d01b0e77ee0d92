"""`manage.py run_integration <id> [--dry-run]`: a synchronous run with a summary table."""

import io

import pytest
from django.core.management import CommandError, call_command

from integrations.models import IntegrationRun, RunStatus

from .conftest import contact_by_email

DANA = "dana.levi@acme-corp.example"


def test_it_runs_an_integration_and_prints_a_summary(make_integration, emulator):
    integration = make_integration(
        ["email", "nps"], [[DANA, "9"], ["ghost@nowhere.example", "1"]], {"nps": "NPS_Score__c"}
    )
    out, err = io.StringIO(), io.StringIO()
    call_command("run_integration", integration.pk, stdout=out, stderr=err)
    text = out.getvalue()
    assert "Updated   | 1" in text or "Updated       | 1" in text
    assert "Unmatched" in text and "Status: Completed with errors" in text
    assert "Matching keys" in err.getvalue()
    run = IntegrationRun.objects.get(integration=integration)
    assert (run.status, run.rows_updated, run.rows_unmatched) == (
        RunStatus.COMPLETED_WITH_ERRORS,
        1,
        1,
    )
    assert contact_by_email(emulator, DANA)["NPS_Score__c"] == 9.0


def test_it_dry_runs_without_writing(make_integration, emulator):
    integration = make_integration(["email", "nps"], [[DANA, "9"]], {"nps": "NPS_Score__c"})
    out = io.StringIO()
    call_command("run_integration", integration.pk, "--dry-run", stdout=out, stderr=io.StringIO())
    assert "Would be updated" in out.getvalue()
    assert "NPS_Score__c: 1 values would change" in out.getvalue()
    assert contact_by_email(emulator, DANA)["NPS_Score__c"] == 0.0


def test_it_refuses_an_unknown_integration(db):
    with pytest.raises(CommandError, match="No integration with id 999"):
        call_command("run_integration", 999, stdout=io.StringIO())


def test_it_exits_with_an_error_when_the_run_fails(make_integration, emulator):
    integration = make_integration(["mail", "nps"], [[DANA, "9"]], {"nps": "NPS_Score__c"})
    with pytest.raises(CommandError, match="The report has no column “email”"):
        call_command("run_integration", integration.pk, stdout=io.StringIO(), stderr=io.StringIO())
