"""The benchmark command at its smoke size (1,000 rows, REST, no latency), so `make bench`
keeps working: it runs the real pipeline end to end and writes sane figures.

The full run (up to 1,000,000 rows, Bulk, 100 ms latency, the baseline script) is not
part of the test suite; see BENCHMARKS.md.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_bench(tmp_path: Path, *args: str) -> dict:
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "bench",
        "--results",
        str(out / "results.json"),
        "--plot",
        str(out / "plot.png"),
        "--markdown",
        str(out / "BENCHMARKS.md"),
        *args,
    ]
    process = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert process.returncode == 0, process.stdout[-3000:] + process.stderr[-3000:]
    return json.loads((out / "results.json").read_text())


def test_it_measures_a_fresh_and_an_unchanged_run_within_the_minimum_calls(tmp_path):
    results = run_bench(
        tmp_path,
        "--sizes",
        "1000",
        "--modes",
        "rest",
        "--latencies",
        "0",
        "--baseline-sizes",
        "",
    )
    fresh, rerun = results["runs"]
    assert (fresh["size"], fresh["run"], rerun["run"]) == (1000, "fresh", "rerun")

    # Every row is accounted for, and about half the matched rows were changed.
    for entry in (fresh, rerun):
        assert entry["rows_read"] == 1000
        assert sum(entry["outcomes"].values()) == 1000
        assert entry["outcomes"]["rows_failed"] == 0
    updated = fresh["outcomes"]["rows_updated"]
    assert 400 < updated < 550
    assert fresh["records_to_update"] == updated

    # Calls: within 1.05x the minimum, and the emulator saw the same data calls.
    assert fresh["calls_ratio"] <= 1.05
    assert fresh["write_calls"] == 1  # 1,000 records per Composite call
    served = fresh["emulator_requests"]
    assert served["composite"] + served["limits"] == fresh["api_calls_total"]

    # The unchanged rerun writes nothing and finds every matched row unchanged.
    assert rerun["write_calls"] == 0
    assert rerun["outcomes"]["rows_updated"] == 0
    assert (
        rerun["outcomes"]["rows_unchanged"]
        == fresh["outcomes"]["rows_updated"] + fresh["outcomes"]["rows_unchanged"]
    )
    assert rerun["calls_ratio"] <= 1.05

    # Figures a reader relies on are there and plausible.
    for entry in (fresh, rerun):
        assert 0 < entry["seconds"] < 60
        assert 30 < entry["peak_rss_mb"] < 400
    assert results["meta"]["cpu_count"] >= 1
    markdown = (tmp_path / "out" / "BENCHMARKS.md").read_text()
    assert "| 1,000 | rest | 0 ms | fresh |" in markdown
    assert "an unchanged rerun sends no write call | 0 write calls in 1 reruns | yes" in markdown
    assert (tmp_path / "out" / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
