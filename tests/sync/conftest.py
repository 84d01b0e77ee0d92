"""Fixtures for sync tests: an integration on the emulator's production org, built from a
CSV written by the test, and `sync()` which runs it the way the worker does."""

import csv
import io

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile

from integrations import services
from integrations.models import (
    FieldMapping,
    InsightsReport,
    Integration,
    IntegrationRun,
)
from integrations.sync import runner


@pytest.fixture
def fast_sync(settings, tmp_path):
    """Backoff and polling in milliseconds; uploaded reports under tmp_path."""
    settings.MEDIA_ROOT = tmp_path
    settings.SYNC_RETRY_BASE_SECONDS = 0.01
    settings.SYNC_RETRY_MAX_SECONDS = 0.05
    settings.SYNC_BULK_POLL_SECONDS = 0.02
    settings.SYNC_BULK_POLL_MAX_SECONDS = 0.1
    cache.clear()  # describe results are cached per connection id, which tests reuse
    return settings


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


@pytest.fixture
def make_integration(fast_sync, emulator_connection, walkme_production, alice):
    """make_integration(header, rows, mappings={"column": "Field__c"}, **integration fields)."""
    counter = iter(range(1, 1000))

    def make(
        header: list[str],
        rows: list[list[str]],
        mappings: dict[str, str] | None = None,
        *,
        key_column: str = "email",
        key_field: str = "Email",
        sobject: str = "Contact",
        clear: tuple[str, ...] = (),
        raw: bytes | None = None,
        **options,
    ) -> Integration:
        number = next(counter)
        report = InsightsReport.objects.create(
            environment=walkme_production, name=f"Report {number}", source_kind="upload"
        )
        report.upload.save(f"report{number}.csv", ContentFile(raw or csv_bytes(header, rows)))
        integration = Integration.objects.create(
            name=f"Integration {number}",
            connection=emulator_connection,
            walkme_environment=walkme_production,
            report=report,
            sobject_name=sobject,
            report_key_column=key_column,
            salesforce_key_field=key_field,
            owner=alice,
            **options,
        )
        for position, (column, field) in enumerate((mappings or {}).items()):
            FieldMapping.objects.create(
                integration=integration,
                report_column=column,
                salesforce_field=field,
                position=position,
                empty_policy="clear" if column in clear else "leave",
            )
        return integration

    return make


def sync(integration: Integration, *, dry_run: bool = False, progress=None) -> IntegrationRun:
    """Claim and execute a run in this process, as run_integration does; the finished run."""
    run = services.start_foreground_run(integration, dry_run=dry_run)
    run = runner.execute(run, progress=progress)
    run.refresh_from_db()
    return run


def contact_by_email(emulator, email: str) -> dict:
    matches = [r for r in emulator.control.records("Contact") if r.get("Email") == email]
    assert len(matches) == 1, matches
    return matches[0]


def outcomes(run: IntegrationRun) -> dict[str, int]:
    return {
        name.removeprefix("rows_"): getattr(run, name)
        for name in ("rows_read", *IntegrationRun.OUTCOME_FIELDS)
        if getattr(run, name)
    }
