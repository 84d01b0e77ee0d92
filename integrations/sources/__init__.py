"""Report sources: where an Insights report's CSV export is read from.

One module per kind of source (upload.py, https.py, s3.py), named after the report's
`source_kind`; each defines `Source`, a ReportSource subclass that only knows how to open
the newest export as a byte stream and when it was produced. Parsing, previews, row
streaming, freshness and error wording are shared here, so adding Azure Blob or Google
Cloud Storage is one new module (plus its choice in models.SourceKind).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, BinaryIO

from integrations.sources.parsing import ParseProblem, iter_parsed, read_preview

if TYPE_CHECKING:
    from integrations.models import InsightsReport

PREVIEW_ROWS = 20


class SourceError(Exception):
    """A report cannot be read; str(e) names the report, the source and what to fix."""


@dataclass(frozen=True)
class SourceRow:
    line_number: int  # physical line in the file where the row starts (header = 1)
    values: dict[str, str] | None  # column -> raw cell text; None when the row is malformed
    error: str | None = None  # why the row is malformed (e.g. "expected 10 cells, found 9")


@dataclass(frozen=True)
class ReportPreview:
    columns: list[str]
    sample_rows: list[dict[str, str]]
    export_time: datetime | None


def format_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


class ReportSource:
    """Base class: subclasses implement describe(), open_export() and export_time()."""

    def __init__(self, report: InsightsReport) -> None:
        self.report = report

    # --- what a source module provides -------------------------------------------------
    def describe(self) -> str:
        """The source in words a user recognises, e.g. "HTTPS https://host/report.csv"."""
        raise NotImplementedError

    def open_export(self) -> AbstractContextManager[BinaryIO]:
        """The newest export as a binary stream (read in chunks, never whole)."""
        raise NotImplementedError

    def export_time(self) -> datetime | None:
        """When the newest export was produced, if the source can tell."""
        raise NotImplementedError

    # --- shared behaviour ----------------------------------------------------------------
    def error(self, problem: str, fix: str) -> SourceError:
        fix = fix.rstrip(".")
        return SourceError(f"Report “{self.report.name}” ({self.describe()}): {problem}. {fix}.")

    def preview(self, limit: int = PREVIEW_ROWS) -> ReportPreview:
        with self.open_export() as stream:
            try:
                columns, samples = read_preview(stream, limit)
            except ParseProblem as exc:
                raise self.error(exc.problem, exc.fix) from None
        return ReportPreview(columns, samples, self.export_time())

    def iter_rows(self) -> Iterator[SourceRow]:
        with self.open_export() as stream:
            parsed = iter_parsed(stream)
            try:
                next(parsed)  # the header, checked by the parser
                for row in parsed:
                    yield SourceRow(row.line_number, row.values, row.error)
            except ParseProblem as exc:
                raise self.error(exc.problem, exc.fix) from None

    def columns(self) -> list[str]:
        return self.preview(limit=0).columns

    def check_freshness(self, now: datetime) -> None:
        hours = self.report.expected_every_hours
        if not hours:
            return
        produced = self.export_time()
        if produced is None:
            raise self.error(
                f"the report is expected every {hours} h but the source does not say when "
                "its export was produced",
                "Remove “export expected every” from the report, or use a source that "
                "reports the export time",
            )
        if now - produced > timedelta(hours=hours):
            raise self.error(
                f"newest export is from {format_utc(produced)}, expected within {hours} h",
                "Check that the scheduled export in WalkMe Insights still runs; the run was "
                "stopped so old data is not pushed",
            )


def open_source(report: InsightsReport) -> ReportSource:
    """The source of a report, from the module named after its source_kind."""
    kind = report.source_kind or ""
    if not kind.isidentifier():
        raise SourceError(f"Report “{report.name}”: unknown source “{kind}”.")
    try:
        module = importlib.import_module(f"{__name__}.{kind}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{kind}":
            raise
        raise SourceError(
            f"Report “{report.name}”: unknown source “{kind}”. Choose another source."
        ) from None
    return module.Source(report)


def refresh_report_columns(report: InsightsReport) -> ReportPreview:
    """Re-read the report's header and first rows and cache them on the report."""
    preview = open_source(report).preview()
    report.columns = preview.columns
    report.sample_rows = preview.sample_rows
    report.save(update_fields=["columns", "sample_rows", "updated_at"])
    return preview
