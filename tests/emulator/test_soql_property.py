"""Property: any string escaped by simple-salesforce's format_soql finds its record."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from simple_salesforce.format import format_soql

from salesforce_emulator import soql
from salesforce_emulator.store import index_key

text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=40,
)


@given(value=text)
@settings(max_examples=200, deadline=None)
def test_format_soql_round_trip_parser(value):
    """SOQL and SOSL Reference: Quoted String Escape Sequences (parser round trip)."""
    q = format_soql("SELECT Id FROM Contact WHERE LastName = {v}", v=value)
    cond = soql.parse(q).where
    assert cond.values == [value]


@given(values=st.lists(text, min_size=1, max_size=5))
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_in_list_over_the_wire(emulator, sf, values):
    """SOQL and SOSL Reference: IN operator, case-insensitive matching over REST."""
    ids = emulator.control.insert_records(
        "Contact", [{"LastName": "Prop", "Upsell_Signal__c": v} for v in values]
    )
    q = format_soql(
        "SELECT Id, Upsell_Signal__c FROM Contact WHERE Upsell_Signal__c IN {v}",
        v=[v.upper() for v in values],
    )
    composite = sf.restful(
        "composite",
        method="POST",
        json={
            "compositeRequest": [
                {
                    "method": "GET",
                    "url": "/services/data/v62.0/query/?q=" + _quote(q),
                    "referenceId": "q",
                }
            ]
        },
    )
    body = composite["compositeResponse"][0]["body"]
    found = {r["Id"] for r in body["records"]}
    wanted = {index_key(v.upper()) for v in values}
    for id_, v in zip(ids, values, strict=True):
        if index_key(v) in wanted:
            assert id_ in found, (v, q)


def _quote(q: str) -> str:
    from urllib.parse import quote

    return quote(q, safe="")
