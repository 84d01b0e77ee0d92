"""Run now in a real browser: from the grid's options menu to a completed run, its Logs and
its View log page. A real Celery worker runs the task against the Salesforce emulator.
Screenshots are kept in test-artifacts/."""

import re

import pytest
from playwright.sync_api import expect

from tests.runs import conftest as runs

# The runs tests' fixtures: a real in-process Celery worker and an integration on the emulator.
own_broker = runs.own_broker
worker = runs.worker
demo_integration = runs.demo_integration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


ROWS = 60


def test_it_runs_now_from_the_grid_and_shows_the_log(
    admin_page,
    live_server,
    screenshot,
    worker,
    demo_integration,
    emulator,
):
    integration = demo_integration(ROWS)
    # Slow Salesforce a little, so the run is seen running before it completes.
    emulator.control.set_latency(700)
    page = admin_page
    page.goto(f"{live_server.url}/admin/integrations/integration/")
    row = page.locator("#result_list tbody tr", has_text=integration.name)
    expect(row).to_contain_text("Never run")

    row.get_by_text("Options").click()
    screenshot("1-options-menu")
    row.get_by_role("button", name="Run now").click()
    expect(page.locator(".messagelist")).to_contain_text("Run queued")
    row = page.locator("#result_list tbody tr", has_text=integration.name)
    expect(row).to_contain_text(re.compile("Queued|Running"))
    screenshot("2-running")
    # The grid reloads itself while the run is active; no clicking needed.
    expect(row).to_contain_text("Completed", timeout=60_000)
    screenshot("3-completed")

    row.get_by_text("Options").click()
    row.get_by_role("link", name="Logs").click()
    expect(page.get_by_role("heading", name=f"Logs: {integration.name}")).to_be_visible()
    log_row = page.locator("#result_list tbody tr").first
    expect(log_row).to_contain_text("Onboarding status")
    expect(log_row).to_contain_text("Contact")
    expect(log_row).to_contain_text("UTC")
    expect(log_row).to_contain_text("Completed")
    expect(log_row).to_contain_text(str(ROWS))
    expect(page.locator("svg.runs-chart")).to_be_visible()
    screenshot("4-logs")

    log_row.get_by_role("link", name="View log").click()
    expect(page.locator(".run-status")).to_have_text("Completed")
    run = integration.runs.get()
    assert run.rows_read == ROWS and run.rows_updated + run.rows_unchanged == ROWS
    expect(page.locator("pre.raw-log")).not_to_be_empty()
    rows_read = page.locator("tr", has=page.get_by_role("rowheader", name="Rows read"))
    expect(rows_read.locator("td")).to_have_text(str(ROWS))
    screenshot("5-view-log")
