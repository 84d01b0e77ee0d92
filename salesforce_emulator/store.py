"""In-memory orgs and compact, column-oriented record storage.

Each object's records live in per-field columns (Python lists indexed by row number);
a record's Id encodes its row number, so no Id -> row dictionary is needed. Columns are
created only for fields that are ever set, and equality indexes (case-folded) are built
lazily per field on first use and then maintained on every write.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import schema

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B62_INDEX = {c: i for i, c in enumerate(B62)}
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
ID_CHARS_RE = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")
EMAIL_RE = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}$"
)
STRING_TYPES = {
    "string",
    "textarea",
    "phone",
    "url",
    "email",
    "picklist",
    "multipicklist",
    "combobox",
}
NUMBER_TYPES = {"double", "percent", "currency", "int"}


def id_suffix(id15: str) -> str:
    out = []
    for chunk in range(3):
        bits = 0
        for i, c in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if "A" <= c <= "Z":
                bits |= 1 << i
        out.append(_SUFFIX[bits])
    return "".join(out)


_UP = [1 if "A" <= c <= "Z" else 0 for c in B62]
_P2 = [(B62[a] + B62[b], _UP[a] | _UP[b] << 1) for a in range(62) for b in range(62)]
_P2_INDEX = {s: i for i, (s, _) in enumerate(_P2)}
_B5 = 62**5


def _chunk5(n: int) -> tuple[str, int]:
    a, rest = divmod(n, 3844 * 3844)
    b, c = divmod(rest, 3844)
    s1, bits1 = _P2[b]
    s2, bits2 = _P2[c]
    return B62[a] + s1 + s2, _UP[a] | bits1 << 1 | bits2 << 3


def make_id(prefix: str, pod: str, n: int) -> str:
    """The 18-character Id of row ``n``: prefix, pod, 10 base-62 digits, case-safe suffix."""
    head = prefix + pod
    hi, lo = divmod(n, _B5)
    hs, hbits = _chunk5(hi)
    ls, lbits = _chunk5(lo)
    return head + hs + ls + id_suffix(head)[0] + _SUFFIX[hbits] + _SUFFIX[lbits]


def decode_row(id_: str) -> int:
    n = B62_INDEX[id_[5]]
    idx = _P2_INDEX
    n = n * 3844 + idx[id_[6:8]]
    n = n * 3844 + idx[id_[8:10]]
    n = n * 62 + B62_INDEX[id_[10]]
    n = n * 3844 + idx[id_[11:13]]
    n = n * 3844 + idx[id_[13:15]]
    return n


def sf_datetime(ts: float | None = None) -> str:
    t = _dt.datetime.fromtimestamp(time.time() if ts is None else ts, _dt.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}+0000"


class SaveError(Exception):
    def __init__(self, status_code: str, message: str, fields=()):
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.fields = list(fields)

    def as_dict(self) -> dict:
        return {"statusCode": self.status_code, "message": self.message, "fields": self.fields}


@dataclass
class ValidationRule:
    name: str
    predicate: Callable[[Any], bool]  # returns True when the record is INVALID
    message: str
    field: str | None = None


@dataclass
class User:
    id: str
    username: str
    password: str
    first_name: str
    last_name: str
    email: str
    org_key: str


@dataclass
class ConnectedApp:
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    require_pkce: bool = True
    require_secret: bool = True
    name: str = "WalkMe Sync"


class RecordView:
    """Read-only mapping over a stored record plus pending changes (for validation rules)."""

    __slots__ = ("table", "row", "changes")

    def __init__(self, table: Table, row: int, changes: dict):
        self.table, self.row, self.changes = table, row, changes

    def __getitem__(self, name):
        if name in self.changes:
            return self.changes[name]
        return self.table.get(self.row, name)

    def get(self, name, default=None):
        v = self[name]
        return default if v is None else v


class Table:
    def __init__(self, org: Org, describe: dict):
        self.org = org
        self.name = describe["name"]
        self.prefix = describe["keyPrefix"]
        self._head = self.prefix + org.pod
        self._head_suffix = id_suffix(self._head)[0]
        self.describe = describe
        self.fields: dict[str, dict] = {f["name"]: f for f in describe["fields"]}
        self.lower: dict[str, str] = {n.lower(): n for n in self.fields}
        self.n = 0
        self.cols: dict[str, list] = {}
        self.deleted: set[int] = set()
        self.indexes: dict[str, dict] = {}
        self.created = sf_datetime(org.created_ts)
        self.autonumber_fields = [n for n, f in self.fields.items() if f["autoNumber"]]
        self.bool_fields = {n for n, f in self.fields.items() if f["type"] == "boolean"}

    # ----- ids
    def id_of(self, row: int) -> str:
        hi, lo = divmod(row, _B5)
        hs, hbits = _chunk5(hi)
        ls, lbits = _chunk5(lo)
        return self._head + hs + ls + self._head_suffix + _SUFFIX[hbits] + _SUFFIX[lbits]

    def parse_id(self, id_: Any) -> int | None:
        """Row for an id of this table (15 or 18 chars); None if malformed/other table."""
        if not isinstance(id_, str) or not ID_CHARS_RE.match(id_):
            return None
        if id_[:3] != self.prefix or id_[3:5] != self.org.pod:
            return None
        row = decode_row(id_)
        if len(id_) == 18 and id_[15:].upper() != self.id_of(row)[15:]:
            return None
        return row

    def exists(self, row: int | None) -> bool:
        return row is not None and 0 <= row < self.n

    # ----- reading
    def get(self, row: int, name: str):
        col = self.cols.get(name)
        v = col[row] if col is not None and row < len(col) else None
        if v is not None:
            return v
        return self.default(row, name)

    def default(self, row: int, name: str):
        if name == "Id":
            return self.id_of(row)
        if name in self.bool_fields:
            if name == "IsDeleted":
                return row in self.deleted
            if name == "IsActive":
                return True
            if self.fields[name]["calculated"]:
                return (self.get(row, "Sessions__c") or 0) > 10
            return False
        if name in ("CreatedDate", "LastModifiedDate", "SystemModstamp"):
            return self.created
        if name in ("OwnerId", "CreatedById", "LastModifiedById"):
            return self.org.admin_id
        if name == "Name" and self.name in ("Contact", "Lead", "User"):
            first = self.get(row, "FirstName")
            last = self.get(row, "LastName") or ""
            return f"{first} {last}" if first else last
        if name in self.autonumber_fields:
            return f"{self.prefix.upper()}-{row + 1:07d}"
        if name == "Engagement_Level__c":
            s = self.get(row, "Sessions_30d__c") or 0
            return "Power" if s >= 20 else "Active" if s >= 1 else "Dormant"
        if name == "Health__c":
            return "Known" if self.get(row, "Website") else "Unknown"
        if name == "Is_Admin__c":
            return row == 0
        return None

    def record(self, row: int, fields=None) -> dict:
        names = fields or self.visible_fields()
        return {n: self.get(row, n) for n in names}

    def visible_fields(self) -> list[str]:
        hidden = self.org.hidden_fields
        return [
            n
            for n, f in self.fields.items()
            if (self.name, n) not in hidden and f["type"] not in ("address", "location")
        ]

    def visible(self, name: str) -> bool:
        return name in self.fields and (self.name, name) not in self.org.hidden_fields

    def live_rows(self):
        deleted = self.deleted
        return (r for r in range(self.n) if r not in deleted)

    # ----- writing
    def set(self, row: int, name: str, value, undo: list | None = None):
        col = self.cols.get(name)
        if col is None:
            col = self.cols[name] = []
        if row >= len(col):
            col.extend([None] * (row + 1 - len(col)))
        old = col[row]
        if undo is not None:
            undo.append((self, row, name, old))
        col[row] = value
        idx = self.indexes.get(name)
        if idx is not None:
            if old is not None:
                _index_remove(idx, index_key(old), row)
            if value is not None:
                _index_add(idx, index_key(value), row)

    def append_rows(self, count: int) -> int:
        first = self.n
        self.n += count
        return first

    def insert(self, values: dict) -> str:
        row = self.append_rows(1)
        now = sf_datetime()
        for k in ("CreatedDate", "LastModifiedDate", "SystemModstamp"):
            if k in self.fields and k not in values:
                self.set(row, k, now)
        for k, v in values.items():
            canonical = self.lower.get(k.lower())
            if canonical is None:
                raise KeyError(f"No such column '{k}' on sobject of type {self.name}")
            if v is not None:
                self.set(row, canonical, v)
        return self.id_of(row)

    # ----- indexes
    def index(self, name: str) -> dict:
        idx = self.indexes.get(name)
        if idx is None:
            idx = {}
            col = self.cols.get(name, [])
            deleted = self.deleted
            for row, v in enumerate(col):
                if v is not None and row not in deleted:
                    _index_add(idx, index_key(v), row)
            self.indexes[name] = idx
        return idx


def index_key(v) -> str:
    if isinstance(v, str):
        k = v.casefold()
        return v if k == v else k
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).casefold()


def _index_add(idx: dict, key, row: int):
    cur = idx.get(key)
    if cur is None:
        idx[key] = row
    elif isinstance(cur, list):
        cur.append(row)
    else:
        idx[key] = [cur, row]


def _index_remove(idx: dict, key, row: int):
    cur = idx.get(key)
    if cur is None:
        return
    if isinstance(cur, list):
        try:
            cur.remove(row)
        except ValueError:
            return
        if len(cur) == 1:
            idx[key] = cur[0]
        elif not cur:
            del idx[key]
    elif cur == row:
        del idx[key]


@dataclass
class Org:
    key: str
    org_id: str
    name: str
    is_sandbox: bool
    pod: str
    created_ts: float = field(default_factory=time.time)
    users: dict[str, User] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    hidden_fields: set = field(default_factory=set)
    rules: dict[str, list[ValidationRule]] = field(default_factory=dict)
    api_max: int = 100_000
    api_used: int = 0
    locks: dict[str, int | None] = field(default_factory=dict)
    request_counts: Counter = field(default_factory=Counter)
    lock: threading.RLock = field(default_factory=threading.RLock)
    admin_id: str = ""

    def table(self, name: str) -> Table | None:
        t = self.tables.get(name)
        if t is None:
            for k, v in self.tables.items():
                if k.lower() == name.lower():
                    return v
        return t

    def table_for_id(self, id_: str) -> Table | None:
        if not isinstance(id_, str) or len(id_) < 3:
            return None
        for t in self.tables.values():
            if t.prefix == id_[:3]:
                return t
        return None

    def add_table(self, describe: dict) -> Table:
        t = Table(self, describe)
        self.tables[t.name] = t
        return t

    def check_lock(self, id18: str):
        if id18 in self.locks:
            remaining = self.locks[id18]
            if remaining is not None:
                if remaining <= 1:
                    del self.locks[id18]
                else:
                    self.locks[id18] = remaining - 1
            raise SaveError(
                "UNABLE_TO_LOCK_ROW",
                f"unable to obtain exclusive access to this record or 1 records: {id18}",
            )


# ----------------------------------------------------------------- value coercion


def _num_str(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def coerce(f: dict, value, from_csv: bool = False):
    """Convert an API value for field describe ``f``; raises SaveError on bad values."""
    name, label, ftype = f["name"], f["label"], f["type"]
    if value is None:
        if ftype == "boolean":
            raise SaveError(
                "INVALID_TYPE_ON_FIELD_IN_RECORD",
                f"{label}: value not of required type: null",
                [name],
            )
        if not f["nillable"]:
            raise SaveError(
                "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{name}]", [name]
            )
        if ftype == "picklist" and f["restrictedPicklist"]:
            return None
        return None
    if ftype in STRING_TYPES:
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (int, float)):
            value = _num_str(value)
        elif not isinstance(value, str):
            raise SaveError(
                "INVALID_TYPE_ON_FIELD_IN_RECORD",
                f"{label}: value not of required type: {value}",
                [name],
            )
        if len(value) > f["length"]:
            raise SaveError(
                "STRING_TOO_LONG",
                f"{label}: data value too large: {value[:255]} (max length={f['length']})",
                [name],
            )
        if ftype == "email" and not EMAIL_RE.match(value):
            raise SaveError(
                "INVALID_EMAIL_ADDRESS", f"{label}: invalid email address: {value}", [name]
            )
        if ftype == "picklist" and f["restrictedPicklist"]:
            if value not in {p["value"] for p in f["picklistValues"] if p["active"]}:
                raise SaveError(
                    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    f"{label}: bad value for restricted picklist field: {value}",
                    [name],
                )
        return value
    if ftype == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
            return value.lower() in ("true", "1")
        raise SaveError(
            "INVALID_TYPE_ON_FIELD_IN_RECORD",
            f"{label}: value not of required type: {value}",
            [name],
        )
    if ftype in NUMBER_TYPES:
        if isinstance(value, bool):
            num = None
        elif isinstance(value, (int, float)):
            num = float(value)
        else:
            try:
                num = float(str(value).strip())
            except ValueError:
                num = None
        if num is None or math.isnan(num) or math.isinf(num):
            raise SaveError(
                "INVALID_TYPE_ON_FIELD_IN_RECORD",
                f"{label}: value not of required type: {value}",
                [name],
            )
        scale = f["scale"]
        precision = f["precision"] or f.get("digits") or 18
        num = round(num, scale)
        if abs(num) >= 10 ** (precision - scale):
            raise SaveError(
                "NUMBER_OUTSIDE_VALID_RANGE",
                f"{label}: value outside of valid range on numeric field: {_num_str(value)}",
                [name],
            )
        if ftype == "int":
            return int(num)
        return num
    if ftype == "date":
        try:
            return _dt.date.fromisoformat(str(value)[:10]).isoformat()
        except ValueError:
            raise SaveError(
                "INVALID_TYPE_ON_FIELD_IN_RECORD",
                f"{label}: value not of required type: {value}",
                [name],
            ) from None
    if ftype == "datetime":
        try:
            s = str(value)
            if len(s) == 10:
                s += "T00:00:00"
            t = _dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
            if t.tzinfo is None:
                t = t.replace(tzinfo=_dt.UTC)
            t = t.astimezone(_dt.UTC)
            return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}+0000"
        except ValueError:
            raise SaveError(
                "INVALID_TYPE_ON_FIELD_IN_RECORD",
                f"{label}: value not of required type: {value}",
                [name],
            ) from None
    if ftype in ("reference", "id"):
        if not isinstance(value, str) or not ID_CHARS_RE.match(value):
            raise SaveError("MALFORMED_ID", f"{label}: id value of incorrect type: {value}", [name])
        if len(value) == 15:
            value = value + id_suffix(value)
        return value
    raise SaveError(
        "INVALID_FIELD_FOR_INSERT_UPDATE",
        f"Unable to create/update fields: {name}. Please check the security settings of this "
        "field and verify that it is read/write for your profile or permission set.",
        [name],
    )


def not_updateable(name: str) -> SaveError:
    return SaveError(
        "INVALID_FIELD_FOR_INSERT_UPDATE",
        f"Unable to create/update fields: {name}. Please check the security settings of this "
        "field and verify that it is read/write for your profile or permission set.",
        [name],
    )


def no_such_column(name: str, sobject: str) -> SaveError:
    return SaveError("INVALID_FIELD", f"No such column '{name}' on sobject of type {sobject}", [])


def resolve_field(table: Table, key: str, for_insert: bool = False) -> dict:
    canonical = table.lower.get(key.lower())
    if canonical is None or not table.visible(canonical):
        raise no_such_column(key, table.name)
    f = table.fields[canonical]
    if not (f["createable"] if for_insert else f["updateable"]):
        raise not_updateable(canonical)
    return f


def prepare_update(
    table: Table, row: int | None, id_value, values: dict, csv: bool = False
) -> dict:
    """Validate an update of one record; returns canonical field -> stored value.

    ``values`` excludes Id/attributes. Raises SaveError with Salesforce's code.
    """
    org = table.org
    if row is None:
        raise SaveError(
            "MALFORMED_ID",
            f"{table.describe['label']} ID: id value of incorrect type: {id_value}",
            ["Id"],
        )
    if not table.exists(row):
        raise SaveError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [])
    if row in table.deleted:
        raise SaveError("ENTITY_IS_DELETED", "entity is deleted", [])
    if org.locks:
        org.check_lock(table.id_of(row))
    changes = {}
    for key, value in values.items():
        f = resolve_field(table, key)
        if csv:
            if value == "":
                continue
            if value == "#N/A":
                value = None
        changes[f["name"]] = coerce(f, value, csv)
    run_rules(table, row, changes)
    return changes


def run_rules(table: Table, row: int, changes: dict):
    _check_rules(table, RecordView(table, row, changes))


def _check_rules(table: Table, view) -> None:
    """The org's validation rules on the record as it would be saved."""
    for rule in table.org.rules.get(table.name) or ():
        try:
            bad = rule.predicate(view)
        except Exception:
            bad = False  # a rule that cannot evaluate a record does not block it
        if bad:
            raise SaveError(
                "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                rule.message,
                [rule.field] if rule.field else [],
            )


def apply_update(
    table: Table, row: int, changes: dict, now: str | None = None, undo: list | None = None
):
    now = now or sf_datetime()
    for k, v in changes.items():
        table.set(row, k, v, undo)
    table.set(row, "LastModifiedDate", now, undo)
    table.set(row, "SystemModstamp", now, undo)


def rollback(undo: list):
    for table, row, name, old in reversed(undo):
        table.set(row, name, old)


def prepare_insert(table: Table, values: dict) -> dict:
    changes = {}
    for key, value in values.items():
        f = resolve_field(table, key, for_insert=True)
        changes[f["name"]] = coerce(f, value)
    missing = [
        n
        for n, f in table.fields.items()
        if not f["nillable"]
        and f["createable"]
        and not f["defaultedOnCreate"]
        and f["type"] != "boolean"
        and changes.get(n) is None
    ]
    if missing:
        raise SaveError(
            "REQUIRED_FIELD_MISSING",
            f"Required fields are missing: [{', '.join(missing)}]",
            missing,
        )
    # Rules see the new record through a throwaway view.
    _check_rules(table, _InsertView(RecordView(table, -1, changes)))
    return changes


class _InsertView:
    def __init__(self, view: RecordView):
        self.changes = view.changes

    def __getitem__(self, name):
        return self.changes.get(name)

    def get(self, name, default=None):
        v = self.changes.get(name)
        return default if v is None else v


def describe_for(table: Table) -> dict:
    """The describe as the API user sees it (hidden fields removed)."""
    d = dict(table.describe)
    hidden = table.org.hidden_fields
    d["fields"] = [f for f in table.describe["fields"] if (table.name, f["name"]) not in hidden]
    return d


def new_org(key: str, org_id: str, name: str, is_sandbox: bool, pod: str) -> Org:
    org = Org(key=key, org_id=org_id, name=name, is_sandbox=is_sandbox, pod=pod)
    for d in schema.base_describes().values():
        org.add_table(d)
    org.hidden_fields = set(schema.DEFAULT_HIDDEN)
    return org
