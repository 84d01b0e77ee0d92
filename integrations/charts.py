"""A small server-rendered SVG of an integration's recent runs (no JavaScript, no library).

Three rows of bars share one x axis (oldest run on the left): runtime, rows updated and rows
not written. Each bar has a <title>, so hovering shows the run's numbers.
"""

from collections.abc import Sequence
from datetime import timedelta

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from integrations.formatting import format_duration
from integrations.models import ACTIVE_RUN_STATUSES, IntegrationRun, RunStatus

RECENT_RUNS = 30
NOT_WRITTEN_FIELDS = (
    "rows_unmatched",
    "rows_ambiguous",
    "rows_duplicate",
    "rows_invalid",
    "rows_failed",
)
BAR_WIDTH = 12
GAP = 4
ROW_HEIGHT = 46
LABEL_WIDTH = 120
SERIES = (
    ("Runtime", "#417690"),
    ("Rows updated", "#2e7d32"),
    ("Rows not written", "#c62828"),
)
FAILED_COLOUR = "#c62828"


def rows_not_written(run: IntegrationRun) -> int:
    return sum(getattr(run, name) for name in NOT_WRITTEN_FIELDS)


def recent_runs(integration_id: int, limit: int = RECENT_RUNS) -> list[IntegrationRun]:
    """The last `limit` runs that did something, oldest first."""
    runs = (
        IntegrationRun.objects.filter(integration_id=integration_id)
        .exclude(status__in=[RunStatus.SKIPPED, *ACTIVE_RUN_STATUSES])
        .order_by("-created_at", "-id")[:limit]
    )
    return list(reversed(runs))


def runs_chart_svg(runs: Sequence[IntegrationRun]) -> SafeString:
    """An inline <svg> of `runs` (oldest first); a short sentence when there are none."""
    if not runs:
        return format_html('<p class="runs-chart-empty">{}</p>', "No finished runs yet.")
    width = LABEL_WIDTH + len(runs) * (BAR_WIDTH + GAP)
    height = ROW_HEIGHT * len(SERIES) + 4
    values = [
        [(r.runtime.total_seconds() if r.runtime else 0.0) for r in runs],
        [float(r.rows_updated) for r in runs],
        [float(rows_not_written(r)) for r in runs],
    ]
    parts: list[SafeString] = []
    for row, ((label, colour), series) in enumerate(zip(SERIES, values, strict=True)):
        top = row * ROW_HEIGHT
        peak = max(series) or 1.0
        real_peak = max(series)
        shown_peak = _seconds(real_peak) if row == 0 else f"{int(real_peak):,}"
        parts.append(
            format_html(
                '<text x="0" y="{}" font-size="11">{}</text>'
                '<text x="0" y="{}" font-size="10" fill="#666">max {}</text>'
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#ccc"/>',
                top + 16,
                label,
                top + 30,
                shown_peak,
                LABEL_WIDTH,
                top + ROW_HEIGHT - 4,
                width,
                top + ROW_HEIGHT - 4,
            )
        )
        bar_area = ROW_HEIGHT - 10
        bars = []
        for index, (run, value) in enumerate(zip(runs, series, strict=True)):
            bar_height = max(1, round(bar_area * value / peak)) if value else 0
            fill = FAILED_COLOUR if row == 0 and run.status == RunStatus.FAILED else colour
            bars.append(
                (
                    LABEL_WIDTH + index * (BAR_WIDTH + GAP),
                    top + ROW_HEIGHT - 4 - bar_height,
                    BAR_WIDTH,
                    bar_height,
                    fill,
                    _bar_title(run),
                )
            )
        parts.append(
            format_html_join(
                "",
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>',
                bars,
            )
        )
    return format_html(
        '<svg class="runs-chart" xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" '
        'viewBox="0 0 {} {}" role="img" aria-label="{}">{}</svg>',
        width,
        height,
        width,
        height,
        f"Last {len(runs)} runs: runtime, rows updated, rows not written",
        SafeString("".join(parts)),
    )


def _seconds(seconds: float) -> str:
    return format_duration(timedelta(seconds=seconds))


def _bar_title(run: IntegrationRun) -> str:
    start = run.started_at or run.created_at
    return (
        f"{start:%Y-%m-%d %H:%M} UTC · {run.get_status_display()} · "
        f"{format_duration(run.runtime)} · updated {run.rows_updated:,} · "
        f"not written {rows_not_written(run):,}"
    )


def integration_runs_chart(integration_id: int) -> SafeString:
    return runs_chart_svg(recent_runs(integration_id))
