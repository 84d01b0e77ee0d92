"""A deterministic, realistic WalkMe Insights report for the demo, tests and benchmarks.

Rows match the Salesforce emulator's generated contacts by email (`user{i}@example.com`),
and the values fit the emulator's Contact fields. A share of rows can be made messy the
way real exports are: blank keys, duplicate keys, bad numbers, mixed-case emails, and
emails that match no contact. The same arguments always produce the same bytes.

    python -m integrations.demo_report out.csv --rows 100000 --messy-share 0.05
"""

from __future__ import annotations

import argparse
import csv
import io
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

DEMO_COLUMNS = [
    "email",
    "walkme_user_id",
    "onboarding_completed",
    "onboarding_progress",
    "nps_score",
    "last_seen",
    "sessions_30d",
    "avg_session_minutes",
    "churn_risk",
    "upsell_signal",
]

# Fixed so the output is the same on every run; pass `now=` for a report that looks current.
DEFAULT_NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)

MESS_KINDS = ("blank_key", "duplicate_key", "bad_number", "mixed_case_email", "unknown_key")
UPSELL_SIGNALS = [
    "",
    "",
    "",
    "Hit seat limit",
    "Viewed pricing page",
    "Heavy use of Analytics add-on",
    "Read upgrade page twice",
    "Asked for SSO",
    "API usage near cap",
]
BAD_NUMBERS = ["n/a", "ten", "7.5.1", "--", "#VALUE!", "1,234,5"]


@dataclass
class DemoReportStats:
    rows: int = 0
    clean_rows: int = 0
    blank_keys: int = 0
    duplicate_keys: int = 0
    bad_numbers: int = 0
    mixed_case_emails: int = 0
    unknown_keys: int = 0
    # Emails (as written) of the rows expected to match a contact, without duplicates.
    matching_keys: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


def _mess_weights(messy_share: float, shares: dict[str, float | None]) -> list[tuple[str, float]]:
    """Cumulative thresholds: explicit shares win, the rest of messy_share splits evenly."""
    explicit = {kind: share for kind, share in shares.items() if share is not None}
    rest = [kind for kind in MESS_KINDS if kind not in explicit]
    leftover = max(messy_share - sum(explicit.values()), 0.0)
    per_kind = {kind: leftover / len(rest) for kind in rest} if rest else {}
    total = 0.0
    thresholds = []
    for kind in MESS_KINDS:
        total += explicit.get(kind, per_kind.get(kind, 0.0))
        thresholds.append((kind, total))
    if total > 1.0:
        raise ValueError("the messy shares add up to more than 1")
    return thresholds


def write_demo_report(
    path_or_file: str | Path | TextIO,
    rows: int,
    *,
    messy_share: float = 0.0,
    seed: int = 0,
    email_template: str = "user{i}@example.com",
    start: int = 0,
    blank_key_share: float | None = None,
    duplicate_key_share: float | None = None,
    bad_number_share: float | None = None,
    mixed_case_share: float | None = None,
    unknown_key_share: float | None = None,
    now: datetime = DEFAULT_NOW,
    delimiter: str = ",",
) -> DemoReportStats:
    """Stream `rows` report rows as CSV (header first) and say what was generated.

    Row n (0-based) is about contact `email_template.format(i=start + n)`. `messy_share` is
    the share of messy rows, split evenly over the kinds whose own share is not given.
    """
    thresholds = _mess_weights(
        messy_share,
        {
            "blank_key": blank_key_share,
            "duplicate_key": duplicate_key_share,
            "bad_number": bad_number_share,
            "mixed_case_email": mixed_case_share,
            "unknown_key": unknown_key_share,
        },
    )
    if isinstance(path_or_file, str | Path):
        with open(path_or_file, "w", newline="", encoding="utf-8") as handle:
            return _write(handle, rows, thresholds, seed, email_template, start, now, delimiter)
    return _write(path_or_file, rows, thresholds, seed, email_template, start, now, delimiter)


def _write(
    handle: TextIO,
    rows: int,
    thresholds: list[tuple[str, float]],
    seed: int,
    email_template: str,
    start: int,
    now: datetime,
    delimiter: str,
) -> DemoReportStats:
    rng = random.Random(seed)
    stats = DemoReportStats(by_kind=dict.fromkeys(MESS_KINDS, 0))
    writer = csv.writer(handle, delimiter=delimiter, lineterminator="\n")
    writer.writerow(DEMO_COLUMNS)
    # Days and times are formatted from small tables: datetime per row is the slow part.
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    day_prefix = [(today - timedelta(days=d)).strftime("%Y-%m-%dT") for d in range(122)]
    previous_email = None
    batch: list[list[str]] = []
    random_ = rng.random
    getrandbits = rng.getrandbits
    choice = rng.choice
    variant = "89ab"
    for n in range(rows):
        i = start + n
        email = email_template.format(i=i)
        progress = int(random_() * 101)
        completed = progress == 100 or (progress > 80 and random_() < 0.1)
        sessions = int(random_() * 61)
        seen_days_ago = int(random_() * 46) if sessions else 30 + int(random_() * 91)
        second = int(random_() * 86400)
        last_seen = (
            f"{day_prefix[seen_days_ago]}{second // 3600:02d}:{second // 60 % 60:02d}:"
            f"{second % 60:02d}Z"
        )
        churn = "High" if seen_days_ago >= 30 else ("Medium" if sessions < 8 else "Low")
        h = f"{getrandbits(128):032x}"
        guid = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"
        row = [
            email,
            guid,
            "true" if completed else "false",
            str(progress),
            str(int(random_() * 11)),
            last_seen,
            str(sessions),
            f"{random_() * 40 + 0.5:.1f}" if sessions else "0",
            churn,
            choice(UPSELL_SIGNALS),
        ]
        kind = None
        roll = random_()
        for candidate, threshold in thresholds:
            if roll < threshold:
                kind = candidate
                break
        if kind == "duplicate_key" and previous_email is None:
            kind = None  # nothing to duplicate yet
        if kind == "blank_key":
            row[0] = choice(["", " "])
        elif kind == "duplicate_key":
            row[0] = previous_email
        elif kind == "bad_number":
            row[choice((3, 4, 6))] = choice(BAD_NUMBERS)
        elif kind == "mixed_case_email":
            row[0] = " " + email.upper().replace("@EXAMPLE", "@Example") + " "
        elif kind == "unknown_key":
            row[0] = f"nobody{i}@unknown.example"
        if kind is None:
            stats.clean_rows += 1
        else:
            stats.by_kind[kind] += 1
        if kind not in ("blank_key", "duplicate_key", "unknown_key"):
            stats.matching_keys += 1
        if kind in (None, "bad_number"):
            previous_email = row[0]  # duplicates repeat a plain, matching key
        batch.append(row)
        if len(batch) >= 5000:
            writer.writerows(batch)
            batch.clear()
    writer.writerows(batch)
    stats.rows = rows
    stats.blank_keys = stats.by_kind["blank_key"]
    stats.duplicate_keys = stats.by_kind["duplicate_key"]
    stats.bad_numbers = stats.by_kind["bad_number"]
    stats.mixed_case_emails = stats.by_kind["mixed_case_email"]
    stats.unknown_keys = stats.by_kind["unknown_key"]
    return stats


def demo_report_bytes(rows: int, **options) -> bytes:
    """The demo report as UTF-8 bytes (small sizes: tests, the demo upload)."""
    buffer = io.StringIO()
    write_demo_report(buffer, rows, **options)
    return buffer.getvalue().encode("utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path")
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--messy-share", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--email-template", default="user{i}@example.com")
    args = parser.parse_args(argv)
    stats = write_demo_report(
        args.path,
        args.rows,
        messy_share=args.messy_share,
        seed=args.seed,
        start=args.start,
        email_template=args.email_template,
    )
    print(stats)


if __name__ == "__main__":
    main()
