"""The rules an integration must follow, checked against the report and the org's metadata.

Pure functions over plain data: `integrations.services` fetches the metadata and calls
`check_integration`, so the wizard, the shell and every later caller get the same checks.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from integrations.models import (
    ApiMode,
    EmptyCellPolicy,
    InsightsReport,
    WalkMeEnvironment,
)
from salesforce_auth.metadata import FieldInfo, SObjectInfo
from salesforce_auth.models import SalesforceConnection

NON_FIELD = "__all__"


@dataclass(frozen=True)
class IntegrationData:
    """What an integration is made of, apart from its mappings."""

    name: str
    connection: SalesforceConnection
    walkme_environment: WalkMeEnvironment
    report: InsightsReport
    sobject_name: str
    report_key_column: str
    salesforce_key_field: str
    enabled: bool = True
    update_all_matches: bool = False
    api_mode: str = ApiMode.AUTO
    bulk_threshold: int = 10_000


@dataclass(frozen=True)
class MappingData:
    """One report column written to one Salesforce field."""

    report_column: str
    salesforce_field: str
    empty_policy: str = EmptyCellPolicy.LEAVE


@dataclass
class OrgMetadata:
    """What the org says about the target object; `fields` is None when the object is gone."""

    sobject: SObjectInfo | None
    fields: dict[str, FieldInfo] | None = None
    # Lower-cased name -> FieldInfo: Salesforce names are case-insensitive.
    _by_lower: dict[str, FieldInfo] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_lower = {name.lower(): info for name, info in (self.fields or {}).items()}

    def field(self, name: str) -> FieldInfo | None:
        return self._by_lower.get(name.lower())


class Problems:
    """Collects messages per form field and per mapping row, then raises them together."""

    def __init__(self) -> None:
        self.by_field: dict[str, list[ValidationError]] = {}

    def add(self, key: str, message: str, code: str, **params) -> None:
        self.by_field.setdefault(key, []).append(ValidationError(message, code, params))

    def add_row(self, row: int, column: str, message: str, code: str) -> None:
        """`row` is 0-based; messages say "Row N" counting from 1, as the screen does."""
        self.add("mappings", f"Row {row + 1}: {message}", code, row=row, column=column or "mapping")

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


def _gone_field_message(name: str, sobject: str) -> str:
    return (
        f"{name} is no longer a field of {sobject} in the Salesforce org (deleted, renamed, "
        "or hidden from the connected user)."
    )


def check_integration(
    data: IntegrationData, mappings: list[MappingData], metadata: OrgMetadata
) -> None:
    """Raise ValidationError listing every broken rule, by field and by mapping row."""
    problems = Problems()
    report = data.report
    columns = list(report.columns or [])

    if not data.name.strip():
        problems.add("name", "Give the integration a name.", "required")
    if not data.connection.is_usable:
        problems.add(
            "connection",
            f"The Salesforce account {data.connection} is not connected; reconnect it first.",
            "connection_unusable",
        )
    if report.environment_id != data.walkme_environment.pk:
        problems.add(
            "report",
            f"The report {report.name} belongs to the WalkMe environment "
            f"{report.environment}, not {data.walkme_environment}.",
            "report_environment",
        )
    if not columns:
        problems.add(
            "report",
            f"The report {report.name} has no known columns yet; load its export first.",
            "report_without_columns",
        )
    elif data.report_key_column not in columns:
        problems.add(
            "report_key_column",
            f"The column {data.report_key_column!r} is not in the report {report.name}.",
            "unknown_column",
        )

    sobject = metadata.sobject
    if sobject is None or metadata.fields is None:
        problems.add(
            "sobject_name",
            f"{data.sobject_name} is not an object of this Salesforce org (deleted, or hidden "
            "from the connected user).",
            "unknown_object",
        )
        problems.raise_if_any()
        return
    if not sobject.updateable:
        problems.add(
            "sobject_name",
            f"The connected user cannot update {sobject.name} records.",
            "object_not_updateable",
        )

    key_field = metadata.field(data.salesforce_key_field)
    if key_field is None:
        problems.add(
            "salesforce_key_field",
            _gone_field_message(data.salesforce_key_field, sobject.name),
            "unknown_field",
        )
    elif not key_field.filterable:
        problems.add(
            "salesforce_key_field",
            f"{key_field.name} cannot be the key: Salesforce cannot search records by it.",
            "key_not_filterable",
        )
    elif not key_field.can_be_key:
        problems.add(
            "salesforce_key_field",
            f"{key_field.name} is a {key_field.type} field and cannot be the key: choose a "
            "text, email, phone, URL, picklist or Id field (such as Email or an external id).",
            "key_type_unsupported",
        )

    if not mappings:
        problems.add("mappings", "Map at least one report column to a field.", "no_mappings")
    targets_seen: dict[str, int] = {}
    for row, mapping in enumerate(mappings):
        if mapping.report_column not in columns:
            problems.add_row(
                row,
                "report_column",
                f"the column {mapping.report_column!r} is not in the report {report.name}.",
                "unknown_column",
            )
        if mapping.empty_policy not in EmptyCellPolicy.values:
            problems.add_row(
                row, "empty_policy", "choose what an empty cell does.", "bad_empty_policy"
            )
        target = metadata.field(mapping.salesforce_field)
        if target is None:
            problems.add_row(
                row,
                "salesforce_field",
                _gone_field_message(mapping.salesforce_field, sobject.name),
                "unknown_field",
            )
            continue
        if key_field is not None and target.name == key_field.name:
            problems.add_row(
                row,
                "salesforce_field",
                f"{target.name} is the key field; it identifies the record and cannot be written.",
                "target_is_key",
            )
        elif not target.updateable:
            problems.add_row(
                row,
                "salesforce_field",
                f"{target.name} is read-only for the connected user.",
                "target_not_updateable",
            )
        elif not target.mappable:
            problems.add_row(
                row,
                "salesforce_field",
                f"{target.name} is of type {target.type}, which a report cell cannot fill.",
                "target_not_mappable",
            )
        if target.name in targets_seen:
            problems.add_row(
                row,
                "salesforce_field",
                f"{target.name} is already written by row {targets_seen[target.name] + 1}.",
                "duplicate_target",
            )
        else:
            targets_seen[target.name] = row
        if mapping.empty_policy == EmptyCellPolicy.CLEAR and not target.nillable:
            problems.add_row(
                row,
                "empty_policy",
                f"{target.name} cannot be cleared (Salesforce always requires a value); "
                "leave it unchanged instead.",
                "cannot_clear",
            )
    problems.raise_if_any()
