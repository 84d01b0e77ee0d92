"""Report keys: normalised the way Salesforce compares them, and grouped to find duplicates.

SOQL compares strings case-insensitively, so two report rows whose keys differ only in
case or surrounding spaces would hit the same record: they are the same key here too.
Ids (and references) are case-sensitive in Salesforce, so they are only trimmed.
"""

import marshal
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from integrations.sync.diff import LEAVE

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


# A million distinct keys must fit in a few hundred MB: each key's first row is kept as one
# marshal-ed bytes object (about 100 bytes for six cast values) instead of a KeyedRow, a
# tuple and an object per value (about 500). marshal knows bool, int, float, str and None;
# the LEAVE marker travels as Ellipsis. Packed rows are compared only once unpacked.
PACK_VERSION = 4


def pack_row(
    line: int, key: str, norm_key: str | None, values: tuple[Any, ...], *extra: Any
) -> bytes:
    """One row's first line, key as written (None when it equals the normalised key, to
    save its bytes; pass norm_key=None to keep it) and cast values, packed, followed by
    `extra` plain values (read back with unpack_extra)."""
    stored = tuple(Ellipsis if value is LEAVE else value for value in values)
    return marshal.dumps((line, None if key == norm_key else key, stored, *extra), PACK_VERSION)


def unpack_extra(packed: bytes) -> tuple[Any, ...]:
    return marshal.loads(packed)[3:]


def unpack_row(packed: bytes, norm_key: str | None = None) -> KeyedRow:
    line, key, stored = marshal.loads(packed)[:3]
    values = tuple(LEAVE if value is Ellipsis else value for value in stored)
    return KeyedRow(line, norm_key if key is None else key, values)


class PackedRows:
    """normalised key -> KeyedRow, stored packed (see pack_row); rows are built on access."""

    __slots__ = ("_packed",)

    def __init__(self) -> None:
        self._packed: dict[str, bytes] = {}

    def __len__(self) -> int:
        return len(self._packed)

    def __iter__(self) -> Iterator[str]:
        return iter(self._packed)

    def __contains__(self, norm_key: object) -> bool:
        return norm_key in self._packed

    def __getitem__(self, norm_key: str) -> KeyedRow:
        return unpack_row(self._packed[norm_key], norm_key)

    def __setitem__(self, norm_key: str, row: KeyedRow) -> None:
        self._packed[norm_key] = pack_row(row.line, row.key, norm_key, row.values)

    def __delitem__(self, norm_key: str) -> None:
        del self._packed[norm_key]

    def get(self, norm_key: str) -> KeyedRow | None:
        packed = self._packed.get(norm_key)
        return None if packed is None else unpack_row(packed, norm_key)

    def pop(self, norm_key: str) -> KeyedRow:
        return unpack_row(self._packed.pop(norm_key), norm_key)

    def pop_packed(self, norm_key: str) -> bytes:
        return self._packed.pop(norm_key)

    def add_packed(self, norm_key: str, packed: bytes) -> None:
        self._packed[norm_key] = packed

    def values(self) -> Iterator[KeyedRow]:
        for norm_key, packed in self._packed.items():
            yield unpack_row(packed, norm_key)

    def clear(self) -> None:
        self._packed.clear()


@dataclass
class KeyGroups:
    """Rows grouped by normalised key while the report streams past.

    Identical rows sharing a key are written once (the extras are `duplicate`); rows that
    share a key but disagree are all `duplicate` and none is written, because picking one
    would silently write wrong data. Only the first row per key is kept in full; the
    others leave a line number (and only while there are duplicates at all).
    """

    rows: PackedRows = field(default_factory=PackedRows)
    # normalised key -> line numbers of the extra rows, in report order
    extra_lines: dict[str, list[int]] = field(default_factory=dict)
    conflicting: set[str] = field(default_factory=set)

    def add(self, norm_key: str, line: int, key: str, values: tuple[Any, ...]) -> None:
        rows = self.rows
        if norm_key not in rows:
            rows.add_packed(norm_key, pack_row(line, key, norm_key, values))
            return
        self.extra_lines.setdefault(norm_key, []).append(line)
        if rows[norm_key].values != values:
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
