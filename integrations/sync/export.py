"""A run's row results as CSV, safe to open in a spreadsheet.

Keys and messages come from a report and from Salesforce, i.e. from other people: a cell
starting with = + - @ (or a tab / carriage return) would run as a formula in Excel or
Sheets, so such cells are prefixed with an apostrophe (OWASP's CSV injection advice).
"""

import csv
import io
from collections.abc import Iterator

from integrations.models import IntegrationRun, RowOutcome

HEADER = ["line", "key", "outcome", "field", "error_code", "message", "salesforce_id"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
OUTCOME_LABELS = dict(RowOutcome.choices)


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def row_results_csv(run: IntegrationRun) -> Iterator[str]:
    """The header, then one CSV line per row result, in line order (streamed)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(cells: list[object]) -> str:
        writer.writerow([safe_cell(cell) for cell in cells])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield line(HEADER)
    results = run.row_results.order_by("line_number", "id").values_list(
        "line_number", "key", "outcome", "field", "error_code", "message", "salesforce_id"
    )
    for number, key, outcome, field, code, message, salesforce_id in results.iterator(
        chunk_size=2000
    ):
        yield line(
            [number, key, OUTCOME_LABELS.get(outcome, outcome), field, code, message, salesforce_id]
        )
