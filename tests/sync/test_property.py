"""Random reports (blanks, duplicates, bad cells, unknown keys) against a simple model of
the rules: the counts add up, and the emulator's records are what the model predicts."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.models import IntegrationRun

from .conftest import sync

KNOWN = [
    "dana.levi@acme-corp.example",
    "noam.cohen@acme-corp.example",
    "maya.goldberg@globex.example",
    "jonathan.price@globex.example",
    "priya.raman@initech.example",
    "carlos.mendez@initech.example",
]
UNKNOWN = ["ghost1@nowhere.example", "ghost2@nowhere.example"]
NPS_CELLS = ["0", "3", "7", "10", "7.0", "", "abc", "42"]
CHURN_CELLS = ["High", "low", "Medium", "", "Extreme"]


def spelled(key: str) -> st.SearchStrategy[str]:
    return st.sampled_from([key, key.upper(), f"  {key} ", key.title()])


keys = st.one_of(
    st.sampled_from(KNOWN + UNKNOWN).flatmap(spelled),
    st.just("   "),
)
rows_strategy = st.lists(
    st.tuples(keys, st.sampled_from(NPS_CELLS), st.sampled_from(CHURN_CELLS)),
    min_size=1,
    max_size=14,
)


def cast(nps: str, churn: str):
    """The model's cast: (nps, churn) with "leave" for empty cells, or None if invalid."""
    if nps == "abc" or churn == "Extreme":
        return None
    nps_value = "leave" if nps == "" else float(nps)
    churn_value = "leave" if churn == "" else churn.capitalize()
    return nps_value, churn_value


def predict(rows, records_by_email):
    """Expected outcome counts and the expected (NPS, churn) per known email."""
    counts = {"invalid": 0, "duplicate": 0, "unmatched": 0, "updated": 0, "unchanged": 0}
    counts["failed"] = 0
    groups: dict[str, list] = {}
    for key, nps, churn in rows:
        values = cast(nps, churn)
        if not key.strip() or values is None:
            counts["invalid"] += 1
            continue
        groups.setdefault(key.strip().casefold(), []).append(values)
    expected = {
        email: (r["NPS_Score__c"], r["Churn_Risk__c"]) for email, r in records_by_email.items()
    }
    for key, group in groups.items():
        if any(values != group[0] for values in group):
            counts["duplicate"] += len(group)
            continue
        counts["duplicate"] += len(group) - 1
        if key not in expected:
            counts["unmatched"] += 1
            continue
        current = expected[key]
        new = tuple(c if v == "leave" else v for v, c in zip(group[0], current, strict=True))
        if new == current:
            counts["unchanged"] += 1
        elif new[0] == 42.0:  # the org's validation rule refuses NPS above 10
            counts["failed"] += 1
        else:
            counts["updated"] += 1
            expected[key] = new
    return {k: v for k, v in counts.items() if v}, expected


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=rows_strategy)
def test_it_lands_every_row_in_one_outcome_and_writes_what_the_rules_say(
    make_integration, emulator, rows
):
    def known_records():
        return {r["Email"]: r for r in emulator.control.records("Contact") if r["Email"] in KNOWN}

    counts, expected = predict(rows, known_records())
    integration = make_integration(
        ["email", "nps", "churn"],
        [list(row) for row in rows],
        {"nps": "NPS_Score__c", "churn": "Churn_Risk__c"},
    )
    run = sync(integration)
    got = {
        name.removeprefix("rows_"): getattr(run, name)
        for name in IntegrationRun.OUTCOME_FIELDS
        if getattr(run, name)
    }
    assert run.rows_read == len(rows)
    assert sum(got.values()) == len(rows)
    assert got == counts, run.raw_log
    after = {email: (r["NPS_Score__c"], r["Churn_Risk__c"]) for email, r in known_records().items()}
    assert after == expected
