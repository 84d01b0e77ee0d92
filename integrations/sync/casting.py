"""Report cells (strings) to the values Salesforce expects, per describe type.

`cast_cell(field, raw)` is shared with the wizard's mapping preview: it takes a non-empty
cell and returns the JSON-ready value, or raises CastError whose text a user reads
("'abc' is not a number"). Empty cells are the caller's policy (leave or clear).
"""

import re
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from salesforce_auth.metadata import UNMAPPABLE_TYPES, FieldInfo

TEXT_TYPES = frozenset({"string", "textarea", "phone", "url", "combobox", "encryptedstring"})
NUMBER_TYPES = frozenset({"double", "currency", "percent"})
TRUE_WORDS = frozenset({"true", "1", "yes", "y"})
FALSE_WORDS = frozenset({"false", "0", "no", "n"})
ID_RE = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")
# Salesforce's own check is close to this: a local part of the usual characters, a domain
# of labels and a top-level domain of letters.
EMAIL_RE = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}$"
)
# 1,234,567.89 or 1234567.89 (a comma is a thousands separator only in groups of three).
GROUPED_NUMBER_RE = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")
PLAIN_NUMBER_RE = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
CURRENCY_SIGNS = "$€£¥"
_ID_SUFFIX_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


class CastError(ValueError):
    """A cell that cannot be written to its field; str(error) is the reason a user reads."""


def cast_cell(field: FieldInfo, raw: str) -> Any:
    """The value to send for a non-empty report cell `raw`, or CastError."""
    caster = _CASTERS.get(field.type)
    if caster is None:
        if field.type in UNMAPPABLE_TYPES:
            raise CastError(f"fields of type {field.type} cannot be written from a report")
        caster = _cast_text
    return caster(field, raw)


def _show(raw: str, limit: int = 40) -> str:
    return repr(raw if len(raw) <= limit else raw[:limit] + "…")


def _check_length(field: FieldInfo, value: str) -> str:
    if field.length and len(value) > field.length:
        raise CastError(
            f"{_show(value)} is {len(value)} characters long; {field.name} holds at most "
            f"{field.length}"
        )
    return value


def _cast_text(field: FieldInfo, raw: str) -> str:
    return _check_length(field, raw)


def _cast_email(field: FieldInfo, raw: str) -> str:
    value = raw.strip()
    if not EMAIL_RE.match(value):
        raise CastError(f"{_show(raw)} is not an email address")
    return _check_length(field, value)


def _picklist_value(field: FieldInfo, raw: str) -> str:
    value = raw.strip()
    if value in field.picklist_values:
        return value
    folded = value.casefold()
    for allowed in field.picklist_values:
        if allowed.casefold() == folded:
            return allowed
    if field.restricted_picklist:
        allowed_text = ", ".join(field.picklist_values[:10])
        more = "…" if len(field.picklist_values) > 10 else ""
        raise CastError(f"{_show(value)} is not one of the allowed values ({allowed_text}{more})")
    return _check_length(field, value)


def _cast_picklist(field: FieldInfo, raw: str) -> str:
    return _picklist_value(field, raw)


def _cast_multipicklist(field: FieldInfo, raw: str) -> str:
    values: list[str] = []
    for part in raw.split(";"):
        if part.strip():
            value = _picklist_value(field, part)
            if value not in values:
                values.append(value)
    if not values:
        raise CastError(f"{_show(raw)} holds no value")
    return ";".join(values)


def _cast_boolean(field: FieldInfo, raw: str) -> bool:
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CastError(f"{_show(raw)} is not true/false (accepted: true, false, 1, 0, yes, no, y, n)")


def _parse_decimal(raw: str, *, percent: bool = False, currency: bool = False) -> Decimal:
    text = raw.strip().replace("\u00a0", "").replace(" ", "").replace("_", "")
    if percent and text.endswith("%"):
        text = text[:-1]
    if currency and text[:1] in CURRENCY_SIGNS:
        text = text[1:]
    elif currency and text[:2] in {f"-{s}" for s in CURRENCY_SIGNS}:
        text = "-" + text[2:]
    if GROUPED_NUMBER_RE.match(text):
        text = text.replace(",", "")
    elif not PLAIN_NUMBER_RE.match(text):
        raise CastError(f"{_show(raw)} is not a number")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CastError(f"{_show(raw)} is not a number") from None
    if not number.is_finite():
        raise CastError(f"{_show(raw)} is not a number")
    return number


def _fit(field: FieldInfo, raw: str, number: Decimal, scale: int) -> Decimal:
    number = number.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
    precision = field.precision or 18
    integer_digits = max(precision - scale, 0)
    if abs(number) >= Decimal(10) ** integer_digits:
        raise CastError(
            f"{_show(raw)} is too large for {field.name} "
            f"(at most {integer_digits} digits before the decimal point)"
        )
    return number


def _cast_int(field: FieldInfo, raw: str) -> int:
    number = _parse_decimal(raw)
    if number != number.to_integral_value():
        raise CastError(f"{_show(raw)} is not a whole number")
    return int(_fit(field, raw, number, 0))


def _cast_number(field: FieldInfo, raw: str) -> float:
    number = _parse_decimal(raw, percent=field.type == "percent", currency=field.type == "currency")
    return float(_fit(field, raw, number, field.scale))


def _cast_date(field: FieldInfo, raw: str) -> str:
    text = raw.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text).isoformat()
        # A datetime in a date column: its calendar date, in UTC.
        return _parse_datetime(text).date().isoformat()
    except ValueError:
        raise CastError(f"{_show(raw)} is not a date (expected YYYY-MM-DD)") from None


def _parse_datetime(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
    if moment.tzinfo is None:
        # The report does not say which zone: Insights exports are in UTC.
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def format_datetime(moment: datetime) -> str:
    """Salesforce's preferred form: 2026-05-01T13:45:00.000Z."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _cast_datetime(field: FieldInfo, raw: str) -> str:
    try:
        return format_datetime(_parse_datetime(raw.strip()))
    except ValueError:
        raise CastError(
            f"{_show(raw)} is not a date and time (expected ISO 8601, e.g. 2026-05-01T13:45:00Z)"
        ) from None


def _cast_time(field: FieldInfo, raw: str) -> str:
    try:
        moment = time.fromisoformat(raw.strip().removesuffix("Z"))
    except ValueError:
        raise CastError(f"{_show(raw)} is not a time (expected HH:MM or HH:MM:SS)") from None
    return moment.strftime("%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def id18(value: str) -> str:
    """The 18-character form of a 15-character Salesforce Id (case-safe checksum)."""
    if len(value) != 15:
        return value
    suffix = ""
    for start in (0, 5, 10):
        bits = 0
        for i, char in enumerate(value[start : start + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << i
        suffix += _ID_SUFFIX_CHARS[bits]
    return value + suffix


def _cast_reference(field: FieldInfo, raw: str) -> str:
    value = raw.strip()
    if not ID_RE.match(value):
        raise CastError(f"{_show(raw)} is not a Salesforce Id (15 or 18 letters and digits)")
    if len(value) == 18 and id18(value[:15]) != value:
        raise CastError(f"{_show(raw)} is not a valid 18-character Salesforce Id")
    return id18(value)


_CASTERS = {
    **{name: _cast_text for name in TEXT_TYPES},
    "email": _cast_email,
    "picklist": _cast_picklist,
    "multipicklist": _cast_multipicklist,
    "boolean": _cast_boolean,
    "int": _cast_int,
    **{name: _cast_number for name in NUMBER_TYPES},
    "date": _cast_date,
    "datetime": _cast_datetime,
    "time": _cast_time,
    "reference": _cast_reference,
}
