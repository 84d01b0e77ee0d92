"""Connecting a Sandbox org in a real browser, through the emulator's sign-in and consent."""

import pytest
from playwright.sync_api import expect

from salesforce_auth.models import ConnectionStatus, SalesforceConnection
from salesforce_emulator import seed

pytestmark = pytest.mark.browser


def test_it_connects_a_sandbox_account_in_the_browser(
    admin_page, live_server, salesforce_settings, emulator, screenshot
):
    emulator.control.add_redirect_uri(f"{live_server.url}/salesforce/oauth/callback/")
    page = admin_page
    page.goto(f"{live_server.url}/admin/salesforce_auth/salesforceconnection/integrations/")
    expect(page.get_by_text("No Sandbox account is connected.")).to_be_visible()
    screenshot("1-integrations-page")

    page.locator("#section-sandbox").get_by_role("button", name="+ Add account").click()

    page.wait_for_url(f"{emulator.sandbox_login_url}/services/oauth2/authorize*")
    page.fill("#username", seed.SANDBOX_USERNAME)
    page.fill("#password", seed.DEMO_PASSWORD)
    screenshot("2-salesforce-sign-in")
    page.get_by_role("button", name="Log In").click()
    expect(page.get_by_role("button", name="Allow")).to_be_visible()
    screenshot("3-consent")
    page.get_by_role("button", name="Allow").click()

    page.wait_for_url(f"{live_server.url}/admin/salesforce_auth/salesforceconnection/integrations/")
    sandbox = page.locator("#section-sandbox")
    expect(page.get_by_text(f"Connected {seed.SANDBOX_USERNAME}")).to_be_visible()
    expect(sandbox.get_by_role("cell", name=seed.SANDBOX_USERNAME)).to_be_visible()
    expect(sandbox.get_by_role("cell", name=seed.SANDBOX_ORG_ID)).to_be_visible()
    expect(sandbox.get_by_role("cell", name="Connected", exact=True)).to_be_visible()
    screenshot("4-connected")
    connection = SalesforceConnection.objects.get()
    assert connection.environment == "sandbox"
    assert connection.status == ConnectionStatus.CONNECTED
