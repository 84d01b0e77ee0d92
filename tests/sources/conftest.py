"""Fixtures for report sources: media storage in a temporary directory, a report factory."""

import pytest
from django.core.files.base import ContentFile

from integrations.models import InsightsReport, SourceKind
from integrations.sources.upload import record_upload


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def uploaded_report(walkme_production):
    """Builds a report whose source is an uploaded file with the given bytes."""

    def make(content: bytes, name: str = "onboarding.csv", **fields) -> InsightsReport:
        report = InsightsReport(
            environment=walkme_production,
            name=fields.pop("report_name", "Onboarding status"),
            source_kind=SourceKind.UPLOAD,
            **fields,
        )
        report.upload.save(name, ContentFile(content), save=False)
        report.save()
        record_upload(report, original_name=name)
        return report

    return make
