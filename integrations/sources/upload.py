"""An uploaded CSV file, kept under media storage; each upload is kept in the history."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import BinaryIO

from django.utils import timezone

from integrations.models import InsightsReport, ReportUpload
from integrations.sources import ReportSource


class Source(ReportSource):
    def describe(self) -> str:
        upload = self.report.upload
        if not upload:
            return "uploaded file: none yet"
        return f"uploaded file {upload.name.rsplit('/', 1)[-1]}"

    @contextmanager
    def open_export(self) -> Iterator[BinaryIO]:
        upload = self.report.upload
        if not upload:
            raise self.error("no file has been uploaded", "Upload the report's CSV export")
        try:
            handle = upload.storage.open(upload.name, "rb")
        except FileNotFoundError:
            raise self.error(
                "the uploaded file is missing from media storage",
                "Upload the report's CSV export again",
            ) from None
        with handle:
            yield handle

    def export_time(self) -> datetime | None:
        upload = self.report.upload
        if not upload:
            return None
        recorded = (
            ReportUpload.objects.filter(report_id=self.report.pk, file_name=upload.name)
            .values_list("uploaded_at", flat=True)
            .first()
        )
        if recorded is not None:
            return recorded
        try:
            return upload.storage.get_modified_time(upload.name)
        except (FileNotFoundError, NotImplementedError):
            return None


def record_upload(report: InsightsReport, *, original_name: str = "", user=None) -> ReportUpload:
    """Add the report's current file to its upload history (call after saving the report)."""
    upload = report.upload
    return ReportUpload.objects.create(
        report=report,
        file_name=upload.name,
        original_name=original_name or upload.name.rsplit("/", 1)[-1],
        size=upload.size if upload else 0,
        uploaded_at=timezone.now(),
        uploaded_by=user,
    )
