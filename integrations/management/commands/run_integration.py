"""Run one integration now, in this process: `manage.py run_integration <id> [--dry-run]`.

Shows a progress bar while the report is read, matched and pushed, then a summary table.
The run is recorded in the run log like any other (trigger "Run now").
"""

import time

from django.core.management.base import BaseCommand, CommandError

from integrations import services
from integrations.formatting import format_duration
from integrations.models import Integration, IntegrationRun, RunStatus
from integrations.sync import runner

PHASE_LABELS = {"read": "Reading report", "match": "Matching keys", "push": "Writing records"}
BAR_WIDTH = 30


class ProgressBar:
    """A one-line progress bar on a terminal; plain occasional lines otherwise."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.tty = getattr(stream, "isatty", lambda: False)()
        self.last = 0.0
        self.phase = ""

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        finished = total is not None and done >= total
        if phase == self.phase and not finished and now - self.last < (0.1 if self.tty else 5):
            return
        if phase != self.phase and self.phase and self.tty:
            self._write("\n")
        self.phase, self.last = phase, now
        label = PHASE_LABELS.get(phase, phase)
        if total:
            share = min(done / total, 1.0)
            filled = int(share * BAR_WIDTH)
            bar = "█" * filled + "·" * (BAR_WIDTH - filled)
            text = f"{label:16} [{bar}] {share:4.0%} {done:,}/{total:,}"
        else:
            text = f"{label:16} {done:,}"
        self._write(("\r" + text) if self.tty else text + "\n")
        self.stream.flush()

    def _write(self, text: str) -> None:
        # Django's OutputWrapper adds a newline unless told otherwise: "\r" must stay bare.
        self.stream.write(text, ending="")

    def close(self) -> None:
        if self.tty and self.phase:
            self._write("\n")


class Command(BaseCommand):
    help = "Run an integration synchronously, with a progress bar and a summary at the end."

    def add_arguments(self, parser) -> None:
        parser.add_argument("integration_id", type=int)
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Read, match and compare, but write nothing; show what would change.",
        )

    def handle(self, *args, integration_id: int, dry_run: bool, **options) -> None:
        integration = (
            Integration.objects.select_related("report", "connection")
            .filter(pk=integration_id)
            .first()
        )
        if integration is None:
            raise CommandError(f"No integration with id {integration_id}.")
        try:
            run = services.start_foreground_run(integration, dry_run=dry_run)
        except services.RunAlreadyActive:
            raise CommandError(
                f"{integration} already has a queued or running run; wait for it to end."
            ) from None
        self.stdout.write(
            f"Run {run.pk}: {integration.report.name} → {integration.sobject_name}"
            f"{' (dry run: nothing is written)' if dry_run else ''}"
        )
        bar = ProgressBar(self.stderr)
        try:
            run = runner.execute(run, dry_run=dry_run, progress=bar)
        finally:
            bar.close()
        self._summary(run)
        if run.status == RunStatus.FAILED:
            raise CommandError(run.error_summary or "The run failed.")

    def _summary(self, run: IntegrationRun) -> None:
        rows = [
            ("Rows read", run.rows_read),
            ("Would be updated" if run.dry_run else "Updated", run.rows_updated),
            ("Unchanged", run.rows_unchanged),
            ("Unmatched", run.rows_unmatched),
            ("Ambiguous", run.rows_ambiguous),
            ("Duplicate key", run.rows_duplicate),
            ("Invalid", run.rows_invalid),
            ("Failed", run.rows_failed),
        ]
        width = max(len(label) for label, _ in rows)
        number_width = max(len(f"{n:,}") for _, n in rows)
        rule = "-" * (width + number_width + 3)
        self.stdout.write(rule)
        for label, number in rows:
            self.stdout.write(f"{label:<{width}} | {number:>{number_width},}")
        self.stdout.write(rule)
        style = {
            RunStatus.COMPLETED: self.style.SUCCESS,
            RunStatus.COMPLETED_WITH_ERRORS: self.style.WARNING,
        }.get(run.status, self.style.ERROR)
        self.stdout.write(
            style(f"Status: {run.get_status_display()} in {format_duration(run.runtime)}")
        )
        if run.error_summary:
            self.stdout.write(run.error_summary)
        if run.dry_run:
            for line in run.raw_log.splitlines():
                if "would change" in line:
                    self.stdout.write("  " + line.split(" ", 2)[-1])
