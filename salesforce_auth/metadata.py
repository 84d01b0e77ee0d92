"""Salesforce object and field metadata, as the wizard and the sync pipeline need it.

Describe results are reduced to small frozen dataclasses so the rest of the code never
digs through raw describe dictionaries.
"""

from dataclasses import dataclass
from typing import Any

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
    def key_rank(self) -> int:
        """Sort order for key-field choices: likely keys first (Email, external ids...)."""
        if self.type == "email":
            return 0
        if self.external_id or self.unique:
            return 1
        if self.id_lookup:
            return 2
        return 3
