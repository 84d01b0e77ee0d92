"""Create the demo's WalkMe environment and Insights report (idempotent), for `make run`.

The report's emails (user{i}@example.com) match the contacts the Salesforce emulator
generates in both demo orgs, with a few messy rows so the run log has something to show.
"""

import io

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand

from integrations.demo_report import write_demo_report
from integrations.models import InsightsReport, SourceKind, WalkMeEnvironment
from integrations.sources import refresh_report_columns
from integrations.sources.upload import record_upload

ENVIRONMENT_NAME = "Demo (WalkMe Production)"
REPORT_NAME = "Onboarding and NPS (demo)"
DEFAULT_ROWS = 500


class Command(BaseCommand):
    help = "Create a demo WalkMe environment and report matching the emulator's contacts."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
        parser.add_argument("--messy-share", type=float, default=0.04)

    def handle(self, *args, rows: int, messy_share: float, **options) -> None:
        environment, _ = WalkMeEnvironment.objects.get_or_create(
            name=ENVIRONMENT_NAME, defaults={"system_id": "demo-system"}
        )
        report = InsightsReport.objects.filter(environment=environment, name=REPORT_NAME).first()
        if report is not None and report.upload:
            self.stdout.write(f"The demo report {REPORT_NAME!r} exists already.")
            return
        report = report or InsightsReport(
            environment=environment, name=REPORT_NAME, source_kind=SourceKind.UPLOAD
        )
        csv_text = io.StringIO()
        stats = write_demo_report(csv_text, rows, messy_share=messy_share, seed=2026)
        report.upload.save(
            "onboarding-demo.csv", ContentFile(csv_text.getvalue().encode()), save=True
        )
        record_upload(report, original_name="onboarding-demo.csv")
        refresh_report_columns(report)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created the demo report {REPORT_NAME!r}: {stats.rows} rows, "
                f"{stats.rows - stats.clean_rows} messy."
            )
        )
