"""The wizard in a real browser: create an integration on the sandbox org, see it in the
grid, edit it and remove a row with X. Screenshots are kept in test-artifacts/."""

import re

import pytest
from playwright.sync_api import expect

from integrations.models import Integration

pytestmark = pytest.mark.browser


def mapping_rows(page):
    return page.locator("#mapping-table tbody tr.mapping-row:visible")


def test_it_creates_and_edits_an_integration_in_the_browser(
    admin_page, live_server, screenshot, emulator_sandbox_connection, demo_report
):
    page = admin_page
    page.goto(f"{live_server.url}/admin/integrations/integration/")
    page.get_by_role("link", name="Create new integration").click()

    # Screen 1: the sandbox account with its details, and the WalkMe environment.
    expect(page.get_by_text("Step 1 of 3: Environments")).to_be_visible()
    page.get_by_label(re.compile(r"Sandbox: admin@walkme-demo\.example\.sandbox")).check()
    page.select_option('select[name="environments-walkme_environment"]', label="Production")
    screenshot("1-environments")
    page.get_by_role("button", name="Continue").click()

    # Screen 2: choosing the report and the object re-draws columns and fields.
    expect(page.get_by_text("Step 2 of 3: Report and object")).to_be_visible()
    with page.expect_navigation():
        page.select_option('select[name="report-report"]', label="Product usage")
    page.get_by_placeholder("Search objects").fill("contact")
    expect(
        page.locator('select[name="report-sobject_name"] option[value="Account"]')
    ).to_be_hidden()
    with page.expect_navigation():
        page.select_option('select[name="report-sobject_name"]', value="Contact")
    expect(page.locator('select[name="report-report_key_column"]')).to_have_value("email")
    expect(page.locator('select[name="report-salesforce_key_field"]')).to_have_value("Email")
    screenshot("2-report-and-object")
    page.get_by_role("button", name="Continue").click()

    # Screen 3: rows pre-filled by name, each with its type and a cast preview.
    expect(page.get_by_text("Step 3 of 3: Field mapping")).to_be_visible()
    rows = mapping_rows(page)
    nps = rows.filter(has=page.locator('option[value="NPS_Score__c"]:checked'))
    expect(nps.locator(".field-type")).to_have_text("double")
    expect(nps.locator(".preview li").first).to_contain_text("→")
    # Drop the WalkMe user id row with X, add churn risk back with "+ Add column".
    churn = rows.filter(has=page.locator('option[value="Churn_Risk__c"]:checked'))
    churn.hover()
    churn.get_by_role("button", name="Remove this row").click()
    page.get_by_role("button", name="+ Add column").click()
    new_row = mapping_rows(page).last
    new_row.locator("select[name$=-report_column]").select_option("churn_risk")
    new_row.locator("select[name$=-salesforce_field]").select_option("Churn_Risk__c")
    expect(new_row.locator(".field-type")).to_have_text("picklist")
    expect(new_row.locator(".preview li").first).to_have_class("cast-ok")
    page.get_by_label("Integration name").fill("Usage to sandbox Contacts")
    screenshot("3-field-mapping")
    page.get_by_role("button", name="Save").click()

    # The grid: daily at 09:00 UTC, with its next run.
    expect(page.get_by_text("was saved: Daily 09:00 UTC, next run")).to_be_visible()
    row = page.locator("#result_list tbody tr", has_text="Usage to sandbox Contacts")
    expect(row).to_contain_text("Daily 09:00 UTC")
    expect(row).to_contain_text(re.compile(r"\d{4}-\d\d-\d\d 09:00 UTC"))
    expect(row).to_contain_text("Sandbox")
    screenshot("4-grid")
    integration = Integration.objects.get(name="Usage to sandbox Contacts")
    mapped = dict(integration.mappings.values_list("salesforce_field", "report_column"))
    types = {"NPS_Score__c", "Onboarding_Completed__c", "Last_Seen__c", "Churn_Risk__c"}
    types |= {"Onboarding_Progress__c", "Upsell_Signal__c"}
    assert types <= set(mapped)
    assert integration.connection == emulator_sandbox_connection

    # Edit: options menu -> Edit opens screen 3; X removes a row; Save.
    row.get_by_text("Options").click()
    row.get_by_role("link", name="Edit").click()
    expect(page.get_by_text("Step 3 of 3: Field mapping")).to_be_visible()
    upsell = mapping_rows(page).filter(has=page.locator('option[value="Upsell_Signal__c"]:checked'))
    upsell.hover()
    upsell.get_by_role("button", name="Remove this row").click()
    expect(upsell).to_be_hidden()
    screenshot("5-edit")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("was saved")).to_be_visible()
    screenshot("6-grid-after-edit")

    remaining = set(integration.mappings.values_list("salesforce_field", flat=True))
    assert remaining == set(mapped) - {"Upsell_Signal__c"}
