"""Per-row outcomes of a run: counts, row results saved in batches, and the raw log."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from integrations.models import IntegrationRun, RowOutcome, RunRowResult

ROW_RESULT_BATCH = 2000
OUTCOME_COUNT_FIELDS = {
    RowOutcome.UPDATED: "rows_updated",
    RowOutcome.UNCHANGED: "rows_unchanged",
    RowOutcome.UNMATCHED: "rows_unmatched",
    RowOutcome.AMBIGUOUS: "rows_ambiguous",
    RowOutcome.DUPLICATE: "rows_duplicate",
    RowOutcome.INVALID: "rows_invalid",
    RowOutcome.FAILED: "rows_failed",
}


@dataclass
class RunOutcome:
    """What finish_run records. `failure` set means the run failed as a whole."""

    rows_read: int
    counts: Counter[str]  # RowOutcome value -> rows
    raw_log: str
    failure: str = ""
    row_results: list[RunRowResult] = field(default_factory=list)

    def count_fields(self) -> dict[str, int]:
        values = {
            name: self.counts.get(outcome, 0) for outcome, name in OUTCOME_COUNT_FIELDS.items()
        }
        values["rows_read"] = self.rows_read
        return values

    @property
    def counted(self) -> int:
        return sum(self.counts.get(outcome, 0) for outcome in OUTCOME_COUNT_FIELDS)


def save_row_results(results: Iterable[RunRowResult]) -> None:
    RunRowResult.objects.bulk_create(results, batch_size=ROW_RESULT_BATCH)


class Tally:
    """Counts every row into exactly one outcome and keeps a result for the ones that
    need explaining; results are flushed to the database in batches so memory stays flat
    even when most of a million rows are invalid."""

    def __init__(self, run: IntegrationRun) -> None:
        self.run = run
        self.counts: Counter[str] = Counter()
        self.pending: list[RunRowResult] = []

    def count(self, outcome: str, rows: int = 1) -> None:
        self.counts[outcome] += rows

    def add(
        self,
        outcome: str,
        line: int,
        key: str = "",
        *,
        field: str = "",
        code: str = "",
        message: str = "",
        salesforce_id: str = "",
        counted: bool = True,
    ) -> None:
        if counted:
            self.counts[outcome] += 1
        self.pending.append(
            RunRowResult(
                run_id=self.run.pk,
                line_number=line,
                key=key[:255],
                outcome=outcome,
                field=field[:200],
                error_code=code[:100],
                message=message,
                salesforce_id=salesforce_id[:18],
            )
        )
        # One batch at a time: a pending RunRowResult costs about a kilobyte.
        if len(self.pending) >= ROW_RESULT_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            save_row_results(self.pending)
            self.pending = []

    def as_count_fields(self, rows_read: int) -> dict[str, int]:
        values = {
            name: self.counts.get(outcome, 0) for outcome, name in OUTCOME_COUNT_FIELDS.items()
        }
        values["rows_read"] = rows_read
        return values


class RunLog:
    """The raw log: timestamped lines a support engineer reads. Never a token."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, message: str) -> None:
        moment = datetime.now(UTC)
        self.lines.append(f"{moment:%Y-%m-%d %H:%M:%S}.{moment.microsecond // 1000:03d} {message}")

    def phase(self, name: str) -> None:
        self(f"== {name}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"
