"""Is a cast report value already what the record holds? Compared as typed values.

Salesforce answers 7.0 for a double the report says 7, datetimes as
2026-05-01T13:45:00.000+0000 where we send ...000Z, multi-select values in its own order:
all of those are "unchanged", and sending them would waste API calls and touch
LastModifiedDate for nothing.
"""

from datetime import datetime
from typing import Any

from salesforce_auth.metadata import FieldInfo


# Marks a report cell that leaves the field as it is (an empty cell with the "leave" policy).
class _Leave:
    __slots__ = ()

    def __repr__(self) -> str:
        return "LEAVE"


LEAVE = _Leave()

NUMERIC_TYPES = frozenset({"int", "double", "currency", "percent"})


def same_value(field: FieldInfo, new: Any, current: Any) -> bool:
    """True when writing `new` would not change a field whose value is `current`."""
    if new is None or new == "":
        return current is None or current == ""
    if current is None or current == "":
        return False
    kind = field.type
    if kind in NUMERIC_TYPES:
        try:
            return float(new) == float(current)
        except (TypeError, ValueError):
            return False
    if kind == "datetime":
        return _instant(new) == _instant(current)
    if kind == "multipicklist":
        return set(str(new).split(";")) == set(str(current).split(";"))
    if kind == "boolean":
        return bool(new) == (current is True or str(current).lower() == "true")
    return new == current


def _instant(value: Any) -> datetime | None:
    text = str(value)
    # Python 3.11 reads "+0000" and "Z" alike.
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def changed_fields(
    fields: tuple[FieldInfo, ...], values: tuple[Any, ...], record: dict[str, Any]
) -> int:
    """Bit mask of the positions in `values` that differ from `record` (0 = unchanged)."""
    mask = 0
    for position, (field, value) in enumerate(zip(fields, values, strict=True)):
        if value is LEAVE:
            continue
        if not same_value(field, value, record.get(field.name)):
            mask |= 1 << position
    return mask
