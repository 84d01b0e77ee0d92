"""Salesforce object and field metadata, as the wizard and the sync pipeline need it.

Describe results are reduced to small frozen dataclasses so the rest of the code never
digs through raw describe dictionaries.
"""

import re
import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

from salesforce_auth.client import get_client

# Key fields are matched with quoted SOQL string literals, so only types whose values are
# compared as text can be keys (a number or date key would need typed literals).
KEY_TYPES = frozenset({"string", "email", "phone", "url", "id", "reference", "picklist"})

# Describe types that cannot be filled from a report cell.
UNMAPPABLE_TYPES = frozenset({"id", "address", "location", "base64", "anyType", "complexvalue"})


@dataclass(frozen=True)
class SObjectInfo:
    name: str
    label: str
    custom: bool
    updateable: bool
    queryable: bool

    @classmethod
    def from_describe(cls, sobject: dict[str, Any]) -> "SObjectInfo":
        return cls(
            name=sobject["name"],
            label=sobject.get("label") or sobject["name"],
            custom=bool(sobject.get("custom")),
            updateable=bool(sobject.get("updateable")),
            queryable=bool(sobject.get("queryable")),
        )


@dataclass(frozen=True)
class FieldInfo:
    name: str
    label: str
    type: str  # the describe type: string, email, boolean, double, percent, datetime, ...
    length: int = 0
    precision: int = 0
    scale: int = 0
    updateable: bool = False
    filterable: bool = False
    nillable: bool = True
    unique: bool = False
    external_id: bool = False
    id_lookup: bool = False
    picklist_values: tuple[str, ...] = ()  # active values only, in Salesforce's order
    restricted_picklist: bool = False
    reference_to: tuple[str, ...] = ()

    @classmethod
    def from_describe(cls, field: dict[str, Any]) -> "FieldInfo":
        return cls(
            name=field["name"],
            label=field.get("label") or field["name"],
            type=field.get("type", "string"),
            length=int(field.get("length") or 0),
            precision=int(field.get("precision") or 0),
            scale=int(field.get("scale") or 0),
            updateable=bool(field.get("updateable")),
            filterable=bool(field.get("filterable")),
            nillable=bool(field.get("nillable")),
            unique=bool(field.get("unique")),
            external_id=bool(field.get("externalId")),
            id_lookup=bool(field.get("idLookup")),
            picklist_values=tuple(
                value["value"]
                for value in field.get("picklistValues") or ()
                if value.get("active", True)
            ),
            restricted_picklist=bool(field.get("restrictedPicklist")),
            reference_to=tuple(field.get("referenceTo") or ()),
        )

    @property
    def mappable(self) -> bool:
        """Can a report column be written to this field?"""
        return self.updateable and self.type not in UNMAPPABLE_TYPES

    @property
    def can_be_key(self) -> bool:
        """Can report rows be matched to records by this field?"""
        return self.filterable and self.type in KEY_TYPES

    @property
    def key_rank(self) -> int:
        """Sort order for key-field choices: likely keys first (Email, external ids...)."""
        if self.type == "email":
            return 0
        if self.external_id or self.unique:
            return 1
        if self.id_lookup:
            return 2
        return 3


# --- Fetching metadata from a connected org (cached) --------------------------------------
# Describe calls are slow and count against the API limit; the wizard asks for the same
# object several times while a user moves between screens. A generation number per
# connection lets clear_metadata_cache() drop every entry of a connection at once.
METADATA_CACHE_SECONDS = 5 * 60


def _generation_key(connection) -> str:
    # The org and user are part of the key, not only the row id: a row id can be reused
    # after a connection is deleted, and must never serve another org's metadata.
    return (
        f"salesforce-metadata-generation:{connection.pk}:{connection.org_id}:{connection.user_id}"
    )


def _cache_key(connection, what: str) -> str:
    generation = cache.get(_generation_key(connection), 0)
    return f"{_generation_key(connection)}:{generation}:{what}"


def clear_metadata_cache(connection) -> None:
    """Forget cached describes of `connection` (after reconnecting, or "Refresh metadata")."""
    cache.set(_generation_key(connection), time.time_ns(), timeout=None)


def _cached(connection, what: str, fetch):
    key = _cache_key(connection, what)
    value = cache.get(key)
    if value is None:
        value = fetch()
        cache.set(key, value, METADATA_CACHE_SECONDS)
    return value


def list_objects(connection) -> list[SObjectInfo]:
    """Objects of the org a report can be pushed into (updateable and queryable), by label."""

    def fetch() -> list[SObjectInfo]:
        described = get_client(connection).describe() or {}
        objects = [SObjectInfo.from_describe(item) for item in described.get("sobjects", [])]
        return sorted(
            (obj for obj in objects if obj.updateable and obj.queryable),
            key=lambda obj: (obj.label.lower(), obj.name),
        )

    return _cached(connection, "objects", fetch)


def describe_object(connection, sobject_name: str) -> dict[str, Any]:
    """The raw describe of one object (cached)."""
    # The name goes into a URL path: only an API name may, never "../" or a query.
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", sobject_name or ""):
        raise ValueError(f"Not a Salesforce object API name: {sobject_name!r}")

    def fetch() -> dict[str, Any]:
        return get_client(connection).restful(f"sobjects/{sobject_name}/describe")

    return _cached(connection, f"describe:{sobject_name}", fetch)


def describe_fields(connection, sobject_name: str) -> list[FieldInfo]:
    """The fields of one object the user can see, in Salesforce's order."""
    return [FieldInfo.from_describe(f) for f in describe_object(connection, sobject_name)["fields"]]
