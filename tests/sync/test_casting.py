"""cast_cell per describe type: good values become what Salesforce expects, bad ones say why."""

import pytest

from integrations.sync.casting import CastError, cast_cell
from integrations.sync.diff import same_value
from salesforce_auth.metadata import FieldInfo


def field(type_: str, **extra) -> FieldInfo:
    return FieldInfo(name="F__c", label="F", type=type_, updateable=True, **extra)


TEXT = field("string", length=5)
EMAIL = field("email", length=80)
PICK = field("picklist", picklist_values=("High", "Medium", "Low"), restricted_picklist=True)
OPEN_PICK = field("picklist", length=20, picklist_values=("High",))
MULTI = field("multipicklist", picklist_values=("A", "B", "C"), restricted_picklist=True)
INT = field("int", precision=3)
DOUBLE = field("double", precision=6, scale=2)
CURRENCY = field("currency", precision=18, scale=2)
PERCENT = field("percent", precision=5, scale=1)


@pytest.mark.parametrize(
    ("target", "raw", "expected"),
    [
        (TEXT, "hello", "hello"),
        (EMAIL, " Dana@Example.com ", "Dana@Example.com"),
        (PICK, "high", "High"),
        (OPEN_PICK, "Whatever", "Whatever"),
        (MULTI, "b; a;B", "B;A"),
        (field("boolean"), "Yes", True),
        (field("boolean"), "n", False),
        (field("boolean"), "1", True),
        (field("boolean"), "FALSE", False),
        (INT, "1,234", None),  # too many digits for precision 3: checked below
        (INT, "42", 42),
        (INT, "7.0", 7),
        (DOUBLE, "1,234.567", 1234.57),
        (DOUBLE, "-0.5", -0.5),
        (CURRENCY, "$1,000,000.10", 1000000.1),
        (PERCENT, "12.5%", 12.5),
        (field("date"), "2026-05-01", "2026-05-01"),
        (field("datetime"), "2026-05-01T13:45:00", "2026-05-01T13:45:00.000Z"),
        (field("datetime"), "2026-05-01 15:45:00+02:00", "2026-05-01T13:45:00.000Z"),
        (field("datetime"), "2026-05-01T13:45:00.123Z", "2026-05-01T13:45:00.123Z"),
        (field("reference"), "001000000000001", "001000000000001AAA"),
        (field("reference"), "0015g00000AbCdEFGH", None),  # bad checksum: checked below
    ],
)
def test_it_casts_good_values(target, raw, expected):
    if expected is None:
        with pytest.raises(CastError):
            cast_cell(target, raw)
    else:
        assert cast_cell(target, raw) == expected


@pytest.mark.parametrize(
    ("target", "raw", "reason"),
    [
        (TEXT, "toolong", "'toolong' is 7 characters long; F__c holds at most 5"),
        (EMAIL, "not-an-email", "'not-an-email' is not an email address"),
        (PICK, "Extreme", "'Extreme' is not one of the allowed values (High, Medium, Low)"),
        (MULTI, "A;Z", "'Z' is not one of the allowed values (A, B, C)"),
        (field("boolean"), "maybe", "'maybe' is not true/false"),
        (INT, "abc", "'abc' is not a number"),
        (INT, "4.5", "'4.5' is not a whole number"),
        (INT, "1000", "'1000' is too large for F__c (at most 3 digits before the decimal point)"),
        (DOUBLE, "1,23", "'1,23' is not a number"),
        (DOUBLE, "10000", "'10000' is too large"),
        (DOUBLE, "nan", "'nan' is not a number"),
        (field("date"), "01/05/2026", "'01/05/2026' is not a date (expected YYYY-MM-DD)"),
        (field("date"), "2026-02-30", "'2026-02-30' is not a date"),
        (field("datetime"), "yesterday", "'yesterday' is not a date and time"),
        (field("reference"), "12345", "'12345' is not a Salesforce Id"),
        (field("address"), "1 Main St", "fields of type address cannot be written from a report"),
    ],
)
def test_it_explains_bad_values(target, raw, reason):
    with pytest.raises(CastError) as error:
        cast_cell(target, raw)
    assert str(error.value).startswith(reason)


@pytest.mark.parametrize(
    ("target", "new", "current"),
    [
        (DOUBLE, 7.0, 7),
        (INT, 7, 7.0),
        (field("datetime"), "2026-05-01T13:45:00.000Z", "2026-05-01T13:45:00.000+0000"),
        (MULTI, "B;A", "A;B"),
        (field("boolean"), False, False),
        (TEXT, None, None),
    ],
)
def test_it_sees_typed_equal_values_as_unchanged(target, new, current):
    assert same_value(target, new, current)


def test_it_sees_a_change_in_case_or_a_cleared_value_as_a_change():
    assert not same_value(TEXT, "Hello", "hello")
    assert not same_value(TEXT, None, "hello")
    assert not same_value(DOUBLE, 7.0, None)
