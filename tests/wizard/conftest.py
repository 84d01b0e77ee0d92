"""Fixtures for the wizard and the integration rules: a demo report and the emulator's orgs."""

import pytest
from django.core.files.base import ContentFile

from integrations.demo_report import demo_report_bytes
from integrations.models import InsightsReport, SourceKind
from integrations.sources import refresh_report_columns


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
