"""The wizard through the Django test client, against the emulator's production org."""

import re

import pytest
from django.urls import reverse

from integrations.models import Integration

WIZARD_URL = "/admin/integrations/integration/wizard/"
GRID_URL = "/admin/integrations/integration/"


def screen1(connection, environment, prefix="integration_wizard_new"):
    return {
        f"{prefix}-current_step": "environments",
        "environments-connection": connection.pk,
        "environments-walkme_environment": environment.pk,
    }


def screen2(report, prefix="integration_wizard_new", **changes):
    data = {
        f"{prefix}-current_step": "report",
        "report-report": report.pk,
        "report-sobject_name": "Contact",
        "report-report_key_column": "email",
        "report-salesforce_key_field": "Email",
    }
    data.update({f"report-{key}": value for key, value in changes.items()})
    return data


def screen3(rows, prefix="integration_wizard_new", name="Usage to Contacts", initial=0):
    data = {
        f"{prefix}-current_step": "mapping",
        "mapping-TOTAL_FORMS": len(rows),
        "mapping-INITIAL_FORMS": initial,
        "mapping-MIN_NUM_FORMS": 0,
        "mapping-MAX_NUM_FORMS": 1000,
        "mapping-settings-name": name,
        "mapping-settings-enabled": "on",
        "mapping-settings-api_mode": "auto",
        "mapping-settings-bulk_threshold": 10000,
    }
    for index, row in enumerate(rows):
        column, field, *rest = row
        data[f"mapping-{index}-report_column"] = column
        data[f"mapping-{index}-salesforce_field"] = field
        data[f"mapping-{index}-empty_policy"] = rest[0] if rest else "leave"
        if len(rest) > 1 and rest[1]:
            data[f"mapping-{index}-DELETE"] = "on"
    return data


def selected(html: str, name: str) -> str | None:
    """The selected option of the <select name=...> on the page."""
    block = re.search(rf'<select name="{re.escape(name)}".*?</select>', html, re.S)
    assert block, f"no select {name}"
    option = re.search(r'<option value="([^"]*)"[^>]*selected', block.group(0))
    return option.group(1) if option else None


@pytest.fixture
def wizard(alice_client, emulator_connection, walkme_production, demo_report):
    class Wizard:
        client = alice_client

        def post(self, data, url=WIZARD_URL):
            return self.client.post(url, data)

        def to_mapping_screen(self):
            self.client.get(WIZARD_URL)
            self.post(screen1(emulator_connection, walkme_production))
            return self.post(screen2(demo_report))

    return Wizard()


def test_it_creates_an_integration_through_the_three_screens(
    wizard, alice_client, emulator_connection, walkme_production, demo_report
):
    page = alice_client.get(WIZARD_URL)
    assert page.status_code == 200
    assert "Step 1 of 3: Environments" in page.content.decode()
    assert "admin@walkme-demo.example" in page.content.decode()

    page = wizard.post(screen1(emulator_connection, walkme_production))
    html = page.content.decode()
    assert "Step 2 of 3: Report and object" in html
    assert '<option value="Contact">Contact (Contact)</option>' in html
    assert "Product usage" in html

    page = wizard.post(screen2(demo_report))
    html = page.content.decode()
    assert "Step 3 of 3: Field mapping" in html
    # Pre-filled by name similarity, the key field left out.
    assert selected(html, "mapping-0-report_column") == "walkme_user_id"
    assert selected(html, "mapping-0-salesforce_field") == "WalkMe_User_Id__c"
    prefilled = {
        selected(html, f"mapping-{i}-report_column"): selected(
            html, f"mapping-{i}-salesforce_field"
        )
        for i in range(8)
    }
    assert prefilled["nps_score"] == "NPS_Score__c"
    assert "email" not in prefilled
    assert 'value="Email"' not in re.search(
        r'<select name="mapping-0-salesforce_field".*?</select>', html, re.S
    ).group(0)

    response = wizard.post(
        screen3(
            [
                ("nps_score", "NPS_Score__c"),
                ("onboarding_completed", "Onboarding_Completed__c"),
                ("last_seen", "Last_Seen__c", "clear"),
                ("churn_risk", "Churn_Risk__c"),
                ("onboarding_progress", "Onboarding_Progress__c"),
                ("", ""),
            ]
        )
    )
    assert response.status_code == 302
    assert response["Location"] == GRID_URL
    integration = Integration.objects.get()
    assert integration.name == "Usage to Contacts"
    assert integration.mappings.count() == 5
    grid = alice_client.get(GRID_URL).content.decode()
    assert "was saved: Daily 09:00 UTC, next run" in grid
    assert "Daily 09:00 UTC" in grid
    assert "Usage to Contacts" in grid


def test_it_previews_sample_values_cast_to_each_field_type(wizard, demo_report):
    html = wizard.to_mapping_screen().content.decode()

    nps_row = re.search(
        r"<tr class=\"mapping-row\">(?:(?!</tr>).)*NPS_Score__c\" selected.*?</tr>", html, re.S
    )
    assert nps_row, "the nps_score row is pre-filled"
    first_nps = demo_report.sample_rows[0]["nps_score"]
    assert "double" in nps_row.group(0)
    assert f"{first_nps}</span> &rarr; {float(first_nps)}" in nps_row.group(0)


def test_it_marks_sample_values_that_would_fail(wizard, emulator_connection, demo_report):
    wizard.to_mapping_screen()

    # churn_risk's values are words: written to a number field every sample fails, with why.
    page = wizard.post(screen3([("churn_risk", "NPS_Score__c")], name=""))
    assert "This field is required." in page.content.decode()

    html = page.content.decode()
    row = re.search(r'<tr class="mapping-row.*?</tr>', html, re.S).group(0)
    assert "cast-fail" in row
    assert "✗" in row


def test_it_shows_rule_messages_next_to_the_rows(wizard):
    wizard.to_mapping_screen()

    page = wizard.post(
        screen3(
            [
                ("nps_score", "NPS_Score__c"),
                ("sessions_30d", "NPS_Score__c"),
                ("email", "Email"),
                ("onboarding_completed", ""),
            ]
        )
    )

    html = page.content.decode()
    assert page.status_code == 200
    assert "NPS_Score__c is already written by row 1." in html
    assert "Email is the key field; it identifies the record and cannot be written." in html
    assert "Choose the field this column is written to." in html
    assert not Integration.objects.exists()


def test_it_says_when_no_salesforce_account_is_connected(alice_client, walkme_production):
    html = alice_client.get(WIZARD_URL).content.decode()

    assert "No Salesforce account is connected yet" in html
    assert f'href="{reverse("admin:salesforce_auth_salesforceconnection_changelist")}"' in html
    assert "+ Add account" in html


def test_it_refuses_users_without_permission(client, django_user_model, demo_report):
    staff = django_user_model.objects.create_user("bob", password="bob-password-1", is_staff=True)
    client.force_login(staff)

    assert client.get(WIZARD_URL).status_code == 403


def test_the_admin_add_button_leads_to_the_wizard(alice_client, demo_report):
    grid = alice_client.get(GRID_URL).content.decode()
    assert f'href="{WIZARD_URL}"' in grid and "Create new integration" in grid
    response = alice_client.get("/admin/integrations/integration/add/")
    assert response["Location"] == WIZARD_URL


def test_edit_opens_at_the_mapping_screen_with_the_saved_values(alice_client, saved_integration):
    url = f"/admin/integrations/integration/{saved_integration.pk}/wizard/"
    html = alice_client.get(url).content.decode()

    assert "Step 3 of 3: Field mapping" in html
    assert selected(html, "mapping-0-report_column") == "nps_score"
    assert selected(html, "mapping-1-salesforce_field") == "WalkMe_User_Id__c"
    assert selected(html, "mapping-2-salesforce_field") == "Churn_Risk__c"
    assert 'value="Usage to Contacts"' in html
    # The grid's Edit and the name link both lead here.
    change = alice_client.get(f"/admin/integrations/integration/{saved_integration.pk}/change/")
    assert change["Location"] == url


def test_back_and_continue_recheck_the_mapping_after_the_key_changes(
    alice_client, saved_integration, demo_report
):
    prefix = f"integration_wizard_{saved_integration.pk}"
    url = f"/admin/integrations/integration/{saved_integration.pk}/wizard/"
    alice_client.get(url)

    saved_rows = [
        ("nps_score", "NPS_Score__c"),
        ("walkme_user_id", "WalkMe_User_Id__c"),
        ("churn_risk", "Churn_Risk__c"),
    ]
    back = alice_client.post(
        url,
        {**screen3(saved_rows, prefix=prefix, initial=3), "wizard_goto_step": "report"},
    )
    html = back.content.decode()
    assert "Step 2 of 3: Report and object" in html
    assert selected(html, "report-salesforce_key_field") == "Email"

    # Match on the WalkMe user id instead: that field is mapped, so screen 3 objects.
    page = alice_client.post(
        url,
        screen2(
            demo_report,
            prefix=prefix,
            report_key_column="walkme_user_id",
            salesforce_key_field="WalkMe_User_Id__c",
        ),
    )
    html = page.content.decode()
    assert "Step 3 of 3: Field mapping" in html
    assert (
        "WalkMe_User_Id__c is the key field; it identifies the record and cannot be written."
        in html
    )

    # Remove that row and save: the integration now matches on the user id.
    response = alice_client.post(
        url,
        screen3(
            [
                ("nps_score", "NPS_Score__c"),
                ("walkme_user_id", "WalkMe_User_Id__c", "leave", True),
                ("churn_risk", "Churn_Risk__c"),
                ("email", "Email"),
            ],
            prefix=prefix,
            initial=3,
        ),
    )
    assert response.status_code == 302
    saved_integration.refresh_from_db()
    assert saved_integration.salesforce_key_field == "WalkMe_User_Id__c"
    assert sorted(saved_integration.mappings.values_list("salesforce_field", flat=True)) == [
        "Churn_Risk__c",
        "Email",
        "NPS_Score__c",
    ]


def test_edit_names_the_field_gone_from_the_org(alice_client, saved_integration, emulator):
    from salesforce_auth.metadata import clear_metadata_cache

    emulator.control.hide_field("Contact", "Churn_Risk__c")
    clear_metadata_cache(saved_integration.connection)

    html = alice_client.get(
        f"/admin/integrations/integration/{saved_integration.pk}/wizard/"
    ).content.decode()

    assert "Churn_Risk__c is no longer a field of Contact in the Salesforce org" in html


def test_without_javascript_load_columns_and_fields_redraws_screen_2(
    wizard, alice_client, emulator_connection, walkme_production, demo_report
):
    alice_client.get(WIZARD_URL)
    wizard.post(screen1(emulator_connection, walkme_production))

    page = wizard.post(
        {
            "integration_wizard_new-current_step": "report",
            "report-report": demo_report.pk,
            "report-sobject_name": "Lead",
            "wizard_refresh": "1",
        }
    )

    html = page.content.decode()
    assert "Step 2 of 3: Report and object" in html
    assert "errorlist" not in html
    assert selected(html, "report-sobject_name") == "Lead"
    # The report's columns and the Lead's key fields, likely keys suggested.
    assert selected(html, "report-report_key_column") == "email"
    assert selected(html, "report-salesforce_key_field") == "Email"
    assert 'value="WalkMe_User_Id__c"' in html
