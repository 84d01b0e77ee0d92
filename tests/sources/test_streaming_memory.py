"""A 1,000,000-row report is read with the same peak memory as a 10,000-row one."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

READER = """
import json, resource, sys
import django
django.setup()
from integrations.models import InsightsReport, SourceKind
from integrations.sources import open_source

report = InsightsReport(name="Big export", source_kind=SourceKind.UPLOAD, upload=sys.argv[1])
rows = malformed = 0
for row in open_source(report).iter_rows():
    rows += 1
    malformed += row.values is None
print(json.dumps({"rows": rows, "malformed": malformed,
                  "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def _write(path: Path, rows: int) -> None:
    with open(path, "w", newline="") as out:
        out.write("email,nps_score,comment\n")
        chunk = []
        for i in range(rows):
            if i % 5000 == 4999:
                chunk.append(f"user{i}@example.com,{i % 11}\n")  # a cell short
            elif i % 1000 == 999:
                chunk.append(f'user{i}@example.com,{i % 11},"said:\nmulti-line, quoted"\n')
            else:
                chunk.append(f"user{i}@example.com,{i % 11},fine\n")
            if len(chunk) == 10000:
                out.write("".join(chunk))
                chunk.clear()
        out.write("".join(chunk))


def _read(media: Path, name: str) -> dict:
    env = dict(
        os.environ,
        DJANGO_MEDIA_ROOT=str(media),
        DJANGO_SETTINGS_MODULE=("walkme_integration.settings"),
    )
    done = subprocess.run(
        [sys.executable, "-c", READER, name],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_it_streams_a_million_rows_in_flat_memory(tmp_path):
    _write(tmp_path / "small.csv", 10_000)
    _write(tmp_path / "big.csv", 1_000_000)
    small = _read(tmp_path, "small.csv")
    big = _read(tmp_path, "big.csv")
    assert small["rows"] == 10_000 and small["malformed"] == 2
    assert big["rows"] == 1_000_000 and big["malformed"] == 200
    # The big file is ~30 MB; holding it (or its rows) would add far more than this.
    assert big["peak_kb"] - small["peak_kb"] < 8 * 1024, (small, big)
