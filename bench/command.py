"""`python -m bench` (`make bench`): the end-to-end benchmark driver. See --help."""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.emulator import RemoteEmulator

ROOT = Path(__file__).resolve().parent.parent
QUERY_PAGE = 2000  # records per query answer page
QUERIES_PER_CALL = 5  # query subrequests in one /composite call
RECORDS_PER_REST_CALL = 1000  # 5 collections of 200 in one /composite call
BULK_MIN_CALLS = 7  # create, upload, close, one poll, three result reads
WRITE_KINDS = ("collections", "bulk")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    def ints(text: str) -> list[int]:
        return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]

    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--sizes", type=ints, default=[1_000, 10_000, 100_000, 1_000_000])
    p.add_argument("--latencies", type=ints, default=[0, 100], help="ms per request")
    p.add_argument("--modes", default="rest,bulk", help="rest, bulk or both")
    p.add_argument("--changed-share", type=float, default=0.5, help="of the matched rows")
    p.add_argument("--unmatched-share", type=float, default=0.02)
    p.add_argument("--invalid-share", type=float, default=0.01, help="blank keys, bad numbers")
    p.add_argument("--duplicate-share", type=float, default=0.01)
    p.add_argument("--mixed-case-share", type=float, default=0.01, help="still matching")
    p.add_argument("--baseline-sizes", type=ints, default=[1_000, 10_000])
    p.add_argument("--results", type=Path, default=ROOT / "bench" / "results.json")
    p.add_argument("--plot", type=Path, default=ROOT / "bench" / "plot.png")
    p.add_argument("--markdown", type=Path, default=ROOT / "BENCHMARKS.md")
    p.add_argument("--work-dir", type=Path, default=None, help="kept if given; else a temp dir")
    args = p.parse_args(argv)
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not set(args.modes) <= {"rest", "bulk"}:
        p.error("--modes takes rest and/or bulk")
    return args


def minimum_calls(result: dict, mode: str) -> int:
    """The fewest API calls that can do this run (SALESFORCE_FACTS.md): query subrequests
    (bounded by the SOQL length and by 2,000-record pages) five per call, writes 1,000 per
    call over REST or one Bulk job, plus one /limits call."""
    outcomes = result["outcomes"]
    matched = (
        outcomes["rows_updated"]
        + outcomes["rows_unchanged"]
        + outcomes["rows_failed"]
        + 2 * outcomes["rows_ambiguous"]
    )
    subrequests = max(result["query_chunks"], math.ceil(matched / QUERY_PAGE))
    changed = result["records_to_update"]
    if mode == "bulk":
        writes = BULK_MIN_CALLS if changed else 0
    else:
        writes = math.ceil(changed / RECORDS_PER_REST_CALL)
    return math.ceil(subrequests / QUERIES_PER_CALL) + writes + 1


class Bench:
    def __init__(self, args: argparse.Namespace, work_dir: Path) -> None:
        self.args = args
        self.work_dir = work_dir
        self.runs: list[dict] = []
        self.baseline: list[dict] = []

    def say(self, message: str) -> None:
        print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)

    def run(self) -> dict:
        from bench import workspace

        args = self.args
        with RemoteEmulator(self.work_dir) as emulator:
            self.emulator = emulator
            environment = workspace.django_environment(self.work_dir, emulator)
            workspace.setup_django(environment)
            self.user = workspace.bench_user()
            for size in args.sizes:
                report = self.write_report(size)
                for mode in args.modes:
                    for latency in args.latencies:
                        self.measure_mode(size, report, mode, latency)
                if size in args.baseline_sizes:
                    self.measure_baseline(size, report)
                report.unlink()
        return self.results()

    def write_report(self, size: int) -> Path:
        from integrations.demo_report import write_demo_report

        args = self.args
        path = self.work_dir / f"report-{size}.csv"
        started = time.perf_counter()
        stats = write_demo_report(
            path,
            size,
            blank_key_share=args.invalid_share / 2,
            bad_number_share=args.invalid_share / 2,
            duplicate_key_share=args.duplicate_share,
            unknown_key_share=args.unmatched_share,
            mixed_case_share=args.mixed_case_share,
        )
        self.say(
            f"report of {size:,} rows ({path.stat().st_size / 1e6:.1f} MB) in "
            f"{time.perf_counter() - started:.1f} s: {stats.by_kind}"
        )
        return path

    def prepare(self, size: int, report: Path, mode: str, latency: int):
        from bench import workspace

        started = time.perf_counter()
        connection = workspace.prepare_org(
            self.emulator, self.user, size, report, self.args.changed_share
        )
        integration = workspace.make_integration(
            connection,
            self.user,
            report,
            mode,
            f"Bench {size} {mode} {latency}ms {secrets.token_hex(3)}",
        )
        self.emulator.set_latency(latency)
        self.say(f"org of {size:,} Contacts ready in {time.perf_counter() - started:.1f} s")
        return integration

    def measure_mode(self, size: int, report: Path, mode: str, latency: int) -> None:
        integration = self.prepare(size, report, mode, latency)
        self.measure(integration, size, mode, latency, "fresh")
        if mode == "rest":
            self.measure(integration, size, mode, latency, "rerun")
        self.emulator.set_latency(0)

    def measure(self, integration, size: int, mode: str, latency: int, kind: str) -> dict:
        from django.db import connections

        from bench import workspace

        run = workspace.new_run(integration)
        connections.close_all()
        self.emulator.reset_request_counts()
        cpu_before = self.emulator.cpu_seconds()
        process = subprocess.run(
            [sys.executable, "-m", "bench.sync_once", str(run.pk)],
            cwd=ROOT,
            env=os.environ.copy(),
            capture_output=True,
            text=True,
        )
        if process.returncode != 0:
            raise RuntimeError(f"the measured run failed:\n{process.stderr[-5000:]}")
        result = json.loads(process.stdout.strip().splitlines()[-1])
        server_cpu = self.emulator.cpu_seconds() - cpu_before
        calls = result.pop("api_calls")
        total = sum(calls.values())
        minimum = minimum_calls(result, mode)
        entry = {
            "size": size,
            "mode": mode,
            "latency_ms": latency,
            "run": kind,
            "seconds": round(result.pop("seconds"), 3),
            **result,
            "api_calls": calls,
            "api_calls_total": total,
            "write_calls": sum(calls.get(k, 0) for k in WRITE_KINDS),
            "minimum_calls": minimum,
            "calls_ratio": round(total / minimum, 3),
            "emulator_requests": self.emulator.request_counts(),
            "emulator_cpu_seconds": round(server_cpu, 2),
        }
        entry["rows_per_second"] = round(size / entry["seconds"]) if entry["seconds"] else None
        self.runs.append(entry)
        self.say(
            f"{size:>9,} {mode:4} {latency:>3} ms {kind:5}: {entry['seconds']:8.2f} s, "
            f"{entry['rows_per_second']:>8,} rows/s, calls {total} (min {minimum}, "
            f"{calls}), peak RSS {entry['peak_rss_mb']:.0f} MB, emulator CPU "
            f"{server_cpu:.1f} s, status {entry['status']}"
        )
        return entry

    def measure_baseline(self, size: int, report: Path) -> None:
        from bench import workspace
        from salesforce_auth.fields import reveal

        connection = workspace.prepare_org(
            self.emulator, self.user, size, report, self.args.changed_share
        )
        command = [
            sys.executable,
            "-m",
            "bench.baseline",
            str(report),
            "--instance-url",
            connection.instance_url,
            "--token",
            reveal(connection.access_token),
            "--ca",
            self.emulator.ca_bundle,
        ]
        process = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        if process.returncode != 0:
            raise RuntimeError(f"the baseline script failed:\n{process.stderr[-5000:]}")
        result = json.loads(process.stdout.strip().splitlines()[-1])
        result["api_calls_total"] = sum(result["api_calls"].values())
        ours = next(
            r
            for r in self.runs
            if r["size"] == size and r["mode"] == "rest" and r["latency_ms"] == 0
        )
        entry = {
            "size": size,
            "latency_ms": 0,
            "seconds": round(result["seconds"], 3),
            **{k: v for k, v in result.items() if k != "seconds"},
            "time_ratio": round(result["seconds"] / ours["seconds"], 1),
            "calls_ratio": round(result["api_calls_total"] / ours["api_calls_total"], 1),
        }
        # Each call is one sequential round trip: at 100 ms a call, add calls x 0.1 s.
        entry["seconds_at_100ms_projected"] = round(
            entry["seconds"] + result["api_calls_total"] * 0.1, 1
        )
        self.baseline.append(entry)
        self.say(
            f"baseline {size:,}: {entry['seconds']:.1f} s, {entry['api_calls_total']} calls "
            f"({entry['time_ratio']}x our time, {entry['calls_ratio']}x our calls)"
        )

    def results(self) -> dict:
        args = self.args
        try:
            commit = subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"],
                cwd=ROOT,
                capture_output=True,
                text=True,
            ).stdout.strip()
        except OSError:
            commit = ""
        return {
            "meta": {
                "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                "cpu_count": os.cpu_count(),
                "python": platform.python_version(),
                "commit": commit,
                "command": "python -m bench " + " ".join(sys.argv[1:]),
                "shares": {
                    "changed (of matched)": args.changed_share,
                    "unmatched": args.unmatched_share,
                    "invalid": args.invalid_share,
                    "duplicate": args.duplicate_share,
                    "mixed-case keys": args.mixed_case_share,
                },
            },
            "runs": self.runs,
            "baseline": self.baseline,
        }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.work_dir is not None:
        args.work_dir.mkdir(parents=True, exist_ok=True)
        work_dir, temporary = args.work_dir.resolve(), False
    else:
        work_dir, temporary = Path(tempfile.mkdtemp(prefix="walkme-bench-")), True
    try:
        results = Bench(args, work_dir).run()
    finally:
        if temporary:
            shutil.rmtree(work_dir, ignore_errors=True)
    from bench import report

    results["targets"] = report.targets(results)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(results, indent=2) + "\n")
    report.write_plot(results, args.plot)
    args.markdown.write_text(report.markdown(results, args.plot))
    print(f"wrote {args.results}, {args.plot} and {args.markdown}")
    return 0
