"""One measured run in a fresh process: `python -m bench.sync_once RUN_ID` prints JSON.

The process is started per run so its peak resident memory (VmHWM, ru_maxrss) is the
run's own. The time measured is `integrations.sync.runner.execute(run)` alone, not
Python's or Django's start.
"""

from __future__ import annotations

import json
import os
import re
import resource
import sys
import threading
import time
from pathlib import Path


def proc_status_mb(field: str) -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


API_CALLS_RE = re.compile(r"API calls (\d+) \(([^)]*)\); retries (\d+)")
PLAN_RE = re.compile(r"plan: (\d+) queries in (\d+) calls")
TO_UPDATE_RE = re.compile(r"(\d+) records to update from (\d+) rows")


PHASE_RE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) == (.+)$", re.M)


def phase_marks(raw_log: str) -> list[tuple[float, str]]:
    """(epoch seconds, phase name) of each "== phase" line of the raw log (UTC stamps)."""
    from datetime import UTC, datetime

    return [
        (
            datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC).timestamp(),
            name.split(" (")[0],
        )
        for stamp, name in PHASE_RE.findall(raw_log)
    ]


def phase_seconds(raw_log: str) -> dict[str, float]:
    """Seconds from each "== phase" line of the raw log to the next one."""
    marks = phase_marks(raw_log)
    return {name: round(marks[i + 1][0] - moment, 3) for i, (moment, name) in enumerate(marks[:-1])}


class RssSampler(threading.Thread):
    """Samples VmRSS every 0.2 s, to tell in which phase the memory peak falls."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[tuple[float, float]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.2):
            self.samples.append((time.time(), proc_status_mb("VmRSS")))

    def peak_by_phase(self, raw_log: str) -> dict[str, float]:
        marks = phase_marks(raw_log)
        peaks: dict[str, float] = {}
        for moment, rss in self.samples:
            phase = "start"
            for mark, name in marks:
                if mark <= moment:
                    phase = name
            peaks[phase] = round(max(peaks.get(phase, 0.0), rss), 1)
        return peaks


def figures_from_log(raw_log: str) -> dict:
    """API calls by kind, retries, query chunks and records to update, from the raw log."""
    calls: dict[str, int] = {}
    retries = 0
    if match := API_CALLS_RE.search(raw_log):
        retries = int(match.group(3))
        for part in match.group(2).split(", "):
            if part and part != "none":
                kind, count = part.rsplit(" ", 1)
                calls[kind] = int(count)
    plan = PLAN_RE.search(raw_log)
    to_update = TO_UPDATE_RE.search(raw_log)
    return {
        "api_calls": calls,
        "retries": retries,
        "query_chunks": int(plan.group(1)) if plan else 0,
        "records_to_update": int(to_update.group(1)) if to_update else 0,
        "phase_seconds": phase_seconds(raw_log),
    }


def main(argv: list[str]) -> None:
    import django

    django.setup()
    from integrations.models import IntegrationRun
    from integrations.sync.runner import execute

    run = IntegrationRun.objects.select_related("integration").get(pk=int(argv[0]))
    baseline_mb = proc_status_mb("VmRSS")
    profile_path = os.environ.get("BENCH_PROFILE_DIR")
    profiler = None
    if profile_path:  # `python -m bench --profile DIR`: pyinstrument's text report per run
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.005)
        profiler.start()
    sampler = RssSampler()
    sampler.start()
    started = time.perf_counter()
    run = execute(run)
    seconds = time.perf_counter() - started
    sampler.stopping.set()
    sampler.join()
    if profiler is not None:
        profiler.stop()
        out = Path(profile_path) / f"run-{run.pk}.txt"
        out.write_text(profiler.output_text(unicode=True, show_all=False))
    run.refresh_from_db()
    result = {
        "seconds": seconds,
        "status": run.status,
        "rows_read": run.rows_read,
        "outcomes": {name: getattr(run, name) for name in IntegrationRun.OUTCOME_FIELDS},
        "rss_before_run_mb": round(baseline_mb, 1),
        "peak_rss_mb": round(proc_status_mb("VmHWM"), 1),
        "ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "error": run.error_summary,
        **figures_from_log(run.raw_log),
        "peak_rss_mb_by_phase": sampler.peak_by_phase(run.raw_log),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
