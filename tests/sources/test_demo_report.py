"""The demo report generator: deterministic, realistic values, messy rows counted."""

import csv
import io
import re

from integrations.demo_report import DEMO_COLUMNS, demo_report_bytes, write_demo_report

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def test_it_is_deterministic():
    assert demo_report_bytes(500, messy_share=0.2, seed=3) == demo_report_bytes(
        500, messy_share=0.2, seed=3
    )
    assert demo_report_bytes(500, seed=3) != demo_report_bytes(500, seed=4)


def test_it_writes_values_that_fit_the_contact_fields():
    rows = _rows(demo_report_bytes(2000, start=10))
    assert list(rows[0]) == DEMO_COLUMNS
    assert rows[0]["email"] == "user10@example.com"
    assert rows[-1]["email"] == "user2009@example.com"
    for row in rows:
        assert row["onboarding_completed"] in ("true", "false")
        assert 0 <= int(row["onboarding_progress"]) <= 100
        assert 0 <= int(row["nps_score"]) <= 10
        assert ISO_UTC.match(row["last_seen"])
        assert int(row["sessions_30d"]) >= 0
        assert float(row["avg_session_minutes"]) >= 0
        assert row["churn_risk"] in ("High", "Medium", "Low")
        assert len(row["upsell_signal"]) <= 255
        assert GUID.match(row["walkme_user_id"])
    assert len({row["walkme_user_id"] for row in rows}) == 2000


def test_it_makes_and_counts_messy_rows(tmp_path):
    path = tmp_path / "messy.csv"
    stats = write_demo_report(path, 5000, messy_share=0.25, seed=1, unknown_key_share=0.05)
    rows = _rows(path.read_bytes())
    emails = [row["email"] for row in rows]
    assert stats.rows == 5000
    assert sum(1 for e in emails if not e.strip()) == stats.blank_keys > 0
    assert sum(1 for e in emails if e.endswith("@unknown.example")) == stats.unknown_keys
    assert 200 < stats.unknown_keys < 300
    mixed = sum(1 for e in emails if e.strip() and e != e.strip().lower())
    assert mixed == stats.mixed_case_emails > 0
    non_blank = [e.strip().lower() for e in emails if e.strip()]
    assert len(non_blank) - len(set(non_blank)) == stats.duplicate_keys > 0
    numbers = ("onboarding_progress", "nps_score", "sessions_30d")
    bad = sum(1 for row in rows if not all(row[c].isdigit() for c in numbers))
    assert bad == stats.bad_numbers > 0
    assert stats.clean_rows + sum(stats.by_kind.values()) == 5000


def test_it_writes_a_clean_report_by_default():
    stats = write_demo_report(io.StringIO(), 1000)
    assert stats.clean_rows == stats.matching_keys == 1000
