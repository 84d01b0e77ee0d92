"""Report keys: normalised the way Salesforce compares them, and grouped to find duplicates.

SOQL compares strings case-insensitively, so two report rows whose keys differ only in
case or surrounding spaces would hit the same record: they are the same key here too.
Ids (and references) are case-sensitive in Salesforce, so they are only trimmed.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

CASE_SENSITIVE_KEY_TYPES = frozenset({"id", "reference"})


def normalise_key(raw: str | None, key_type: str = "string") -> str:
    """The comparable form of a key cell; "" means the key is blank."""
    if raw is None:
        return ""
    key = raw.strip()
    if key_type in CASE_SENSITIVE_KEY_TYPES:
        return key
    return key.casefold()


@dataclass(slots=True)
class KeyedRow:
    """What the pipeline keeps per distinct key: the first line and its cast values."""

    line: int
    key: str  # as written in the report (trimmed), for the row results a user reads
    values: tuple[Any, ...]


@dataclass
class KeyGroups:
    """Rows grouped by normalised key while the report streams past.

    Identical rows sharing a key are written once (the extras are `duplicate`); rows that
    share a key but disagree are all `duplicate` and none is written, because picking one
    would silently write wrong data. Only the first row per key is kept in full; the
    others leave a line number (and only while there are duplicates at all).
    """

    rows: dict[str, KeyedRow] = field(default_factory=dict)
    # normalised key -> line numbers of the extra rows, in report order
    extra_lines: dict[str, list[int]] = field(default_factory=dict)
    conflicting: set[str] = field(default_factory=set)

    def add(self, norm_key: str, line: int, key: str, values: tuple[Any, ...]) -> None:
        first = self.rows.get(norm_key)
        if first is None:
            self.rows[norm_key] = KeyedRow(line, key, values)
            return
        self.extra_lines.setdefault(norm_key, []).append(line)
        if first.values != values:
            self.conflicting.add(norm_key)

    def duplicates(self) -> Iterator[tuple[int, str, str]]:
        """(line, key, reason) of every row counted `duplicate`; conflicting keys are
        removed from `rows` as they are reported, so they are never written."""
        for norm_key, extra in self.extra_lines.items():
            first = self.rows[norm_key]
            if norm_key in self.conflicting:
                lines = [first.line, *extra]
                reason = (
                    f"{len(lines)} rows share this key with different values "
                    f"(lines {_line_list(lines)}); none was written"
                )
                del self.rows[norm_key]
                for line in lines:
                    yield line, first.key, reason
            else:
                reason = f"same key and values as line {first.line}, which is written once"
                for line in extra:
                    yield line, first.key, reason

    def __len__(self) -> int:
        return len(self.rows)


def _line_list(lines: list[int], limit: int = 10) -> str:
    shown = ", ".join(str(n) for n in lines[:limit])
    return shown + (f" and {len(lines) - limit} more" if len(lines) > limit else "")
