"""The integration wizard: three screens hosted inside the admin.

1. Environments: the connected Salesforce account and the WalkMe environment.
2. Report and object: the Insights report, the target object and the two key columns.
3. Field mapping: report column -> object field rows, with type and a cast preview.

The forms only gather choices; `integrations.services` holds the rules and does the saving.
Everything works without JavaScript (spare formset rows, delete boxes, a "Load columns and
fields" button); wizard.js only adds the + / X comfort and live previews.
"""

import difflib
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.forms import formset_factory
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse
from formtools.wizard.views import SessionWizardView

from integrations import services
from integrations.models import (
    ApiMode,
    EmptyCellPolicy,
    InsightsReport,
    Integration,
    WalkMeEnvironment,
)
from integrations.rules import IntegrationData, MappingData
from integrations.schedules import describe_schedule, next_run_at
from salesforce_auth.exceptions import SalesforceConnectionError
from salesforce_auth.metadata import FieldInfo, SObjectInfo
from salesforce_auth.models import ConnectionStatus, SalesforceConnection

STEP_ENVIRONMENTS = "environments"
STEP_REPORT = "report"
STEP_MAPPING = "mapping"
REFRESH_BUTTON = "wizard_refresh"
SPARE_ROWS = 2
PREVIEW_SAMPLES = 3


# --- Metadata access ------------------------------------------------------------------


def _org_objects(connection: SalesforceConnection) -> list[SObjectInfo]:
    from salesforce_auth import metadata

    objects = [info for info in metadata.list_objects(connection) if info.updateable]
    return sorted(objects, key=lambda info: (info.label.lower(), info.name))


def _object_fields(connection: SalesforceConnection, sobject_name: str) -> list[FieldInfo]:
    from salesforce_auth import metadata

    return list(metadata.describe_fields(connection, sobject_name))


def key_field_choices(fields: list[FieldInfo]) -> list[tuple[str, str]]:
    """Fields rows can be matched by, likely keys first (email, external ids, id lookups)."""
    keys = sorted(
        (info for info in fields if info.can_be_key),
        key=lambda info: (info.key_rank, info.label.lower()),
    )
    return [(info.name, f"{info.label} ({info.name}, {info.type})") for info in keys]


def _sample_values(report: InsightsReport, column: str) -> list[str]:
    values = []
    columns = list(report.columns or [])
    for row in report.sample_rows or []:
        if isinstance(row, dict):
            values.append(str(row.get(column) or ""))
        elif column in columns and columns.index(column) < len(row):
            values.append(str(row[columns.index(column)] or ""))
        if len(values) >= PREVIEW_SAMPLES:
            break
    return values


# --- Screen 1 ---------------------------------------------------------------------------


class ConnectionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: SalesforceConnection) -> str:
        return (
            f"{obj.get_environment_display()}: {obj.username or obj.user_id} "
            f"at {obj.instance_url} (org {obj.org_id})"
        )


class EnvironmentsForm(forms.Form):
    connection = ConnectionChoiceField(
        label="Salesforce account",
        queryset=SalesforceConnection.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        help_text="Connected accounts only. Production and Sandbox orgs are listed apart.",
    )
    walkme_environment = forms.ModelChoiceField(
        label="WalkMe environment",
        queryset=WalkMeEnvironment.objects.all(),
        help_text="The environment whose Insights reports are read.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["connection"].queryset = connected_accounts()


def connected_accounts() -> QuerySet[SalesforceConnection]:
    return SalesforceConnection.objects.filter(status=ConnectionStatus.CONNECTED).order_by(
        "environment", "username"
    )


# --- Screen 2 ---------------------------------------------------------------------------


class ReportObjectForm(forms.Form):
    """Choices of screen 2 depend on each other: columns on the report, key fields on the
    object. They are built from the submitted values, and "Load columns and fields" re-draws
    the screen after the report or the object changes."""

    report = forms.ModelChoiceField(
        label="Insights report", queryset=InsightsReport.objects.none(), empty_label="Choose…"
    )
    sobject_name = forms.ChoiceField(label="Salesforce object", choices=())
    report_key_column = forms.ChoiceField(
        label="Report's unique-identifier column",
        choices=(),
        help_text="The column holding each row's key, e.g. email.",
    )
    salesforce_key_field = forms.ChoiceField(
        label="Object's unique-identifier field",
        choices=(),
        help_text="Matched against the report key. Email, external-id and unique fields "
        "come first.",
    )

    def __init__(
        self,
        *args,
        connection: SalesforceConnection | None = None,
        walkme_environment: WalkMeEnvironment | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.connection = connection
        self.metadata_error = ""
        self.fields["report"].queryset = (
            InsightsReport.objects.filter(environment=walkme_environment)
            if walkme_environment
            else InsightsReport.objects.none()
        )
        objects: list[SObjectInfo] = []
        if connection is not None:
            try:
                objects = _org_objects(connection)
            except SalesforceConnectionError as exc:
                self.metadata_error = f"Could not read the objects of the org: {exc}"
        self.fields["sobject_name"].choices = [("", "Choose…")] + [
            (info.name, f"{info.label} ({info.name})") for info in objects
        ]

        report = self._chosen_report()
        columns = list(report.columns or []) if report else []
        self.fields["report_key_column"].choices = [("", "Choose…")] + [
            (column, column) for column in columns
        ]
        sobject_name = self._chosen("sobject_name")
        fields: list[FieldInfo] = []
        if connection is not None and sobject_name and not self.metadata_error:
            if any(info.name == sobject_name for info in objects):
                try:
                    fields = _object_fields(connection, sobject_name)
                except SalesforceConnectionError as exc:
                    self.metadata_error = f"Could not read the fields of {sobject_name}: {exc}"
        keys = key_field_choices(fields)
        self.fields["salesforce_key_field"].choices = [("", "Choose…")] + keys
        if not self.is_bound:
            # Suggest the likely keys once the report and object are known.
            if columns and not self.initial.get("report_key_column"):
                emails = [column for column in columns if "email" in column.lower()]
                self.initial["report_key_column"] = (emails or columns)[0]
            if keys and not self.initial.get("salesforce_key_field"):
                self.initial["salesforce_key_field"] = keys[0][0]

    def _chosen(self, name: str) -> str:
        if self.is_bound:
            return self.data.get(self.add_prefix(name), "") or ""
        return str(self.initial.get(name) or "")

    def _chosen_report(self) -> InsightsReport | None:
        report_id = self._chosen("report")
        if isinstance(self.initial.get("report"), InsightsReport) and not self.is_bound:
            return self.initial["report"]
        if not str(report_id).isdigit():
            return None
        return self.fields["report"].queryset.filter(pk=report_id).first()

    def clean(self):
        if self.metadata_error:
            raise ValidationError(self.metadata_error)
        report = self.cleaned_data.get("report")
        if report is not None and not report.columns:
            self.add_error(
                "report",
                f"The report {report.name} has no known columns yet; load its export first.",
            )
        return super().clean()


# --- Screen 3 ---------------------------------------------------------------------------


class KeptChoiceField(forms.ChoiceField):
    """A choice the rules judge, not the form: a field gone from the org or now the key gets
    the service's message naming it, instead of "Select a valid choice"."""

    def valid_value(self, value) -> bool:
        return True


class MappingRowForm(forms.Form):
    report_column = KeptChoiceField(label="Report column", choices=(), required=False)
    salesforce_field = KeptChoiceField(label="Object field", choices=(), required=False)
    empty_policy = forms.ChoiceField(
        label="Empty cells",
        choices=EmptyCellPolicy.choices,
        initial=EmptyCellPolicy.LEAVE,
        required=False,
    )

    def __init__(self, *args, column_choices=(), field_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        for name, choices in (
            ("report_column", list(column_choices)),
            ("salesforce_field", list(field_choices)),
        ):
            current = self.data.get(self.add_prefix(name)) if self.is_bound else None
            if current and current not in dict(choices):
                # Keep showing what was saved, so the message next to it makes sense.
                choices.append((current, f"{current} (not available)"))
            self.fields[name].choices = [("", "—")] + choices

    def clean(self):
        cleaned = super().clean()
        column, target = cleaned.get("report_column"), cleaned.get("salesforce_field")
        if self.cleaned_data.get("DELETE"):
            return cleaned
        if column and not target:
            self.add_error("salesforce_field", "Choose the field this column is written to.")
        if target and not column:
            self.add_error("report_column", "Choose the column written to this field.")
        return cleaned

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not data.get("report_column") and not data.get("salesforce_field")


class IntegrationSettingsForm(forms.Form):
    name = forms.CharField(
        label="Integration name",
        max_length=200,
        widget=forms.TextInput(attrs={"class": "vTextField"}),
    )
    enabled = forms.BooleanField(
        label="Enabled (runs daily at 09:00 UTC)", required=False, initial=True
    )
    update_all_matches = forms.BooleanField(
        label="Update every record a key matches",
        required=False,
        help_text="Otherwise a key matching several records is reported as ambiguous.",
    )
    api_mode = forms.ChoiceField(label="API", choices=ApiMode.choices, initial=ApiMode.AUTO)
    bulk_threshold = forms.IntegerField(
        label="Bulk API 2.0 above (changed records)", min_value=1, initial=10_000
    )


class BaseMappingFormSet(forms.BaseFormSet):
    """The mapping rows plus the integration's own settings, validated by the services."""

    def __init__(self, *args, context: "WizardChoices | None" = None, **kwargs):
        self.context = context
        kwargs.setdefault("prefix", STEP_MAPPING)
        if args or kwargs.get("data") is not None:
            # Suggestions only fill a fresh screen; posted rows stand on their own, or a
            # row equal to its suggestion would count as "unchanged" and be skipped.
            kwargs["initial"] = None
        if context is not None:
            # Enough empty rows for every column, so the screen works without JavaScript.
            self.extra = spare_rows(context.columns, len(kwargs.get("initial") or []))
        super().__init__(*args, **kwargs)
        self.settings_form = IntegrationSettingsForm(
            self.data if self.is_bound else None, prefix=f"{self.prefix}-settings"
        )

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if self.context:
            kwargs["column_choices"] = [(column, column) for column in self.context.columns]
            kwargs["field_choices"] = self.context.target_choices
        return kwargs

    def is_valid(self) -> bool:
        settings_valid = self.settings_form.is_valid()
        return super().is_valid() and settings_valid

    def kept_forms(self) -> list[tuple[int, MappingRowForm]]:
        return [
            (index, form)
            for index, form in enumerate(self.forms)
            if form.is_valid() and not self._should_delete_form(form) and not form.is_blank
        ]

    def mapping_data(self) -> list[MappingData]:
        return [
            MappingData(
                report_column=form.cleaned_data["report_column"],
                salesforce_field=form.cleaned_data["salesforce_field"],
                empty_policy=form.cleaned_data.get("empty_policy") or EmptyCellPolicy.LEAVE,
            )
            for _, form in self.kept_forms()
        ]

    def clean(self):
        # Rows with their own errors are left out; the rest still get the rules' verdicts.
        if self.context is None:
            return
        if not self.settings_form.is_valid() or self.context.base is None:
            return
        data = self.context.integration_data(self.settings_form.cleaned_data)
        try:
            services.validate_integration(data=data, mappings=self.mapping_data())
        except ValidationError as exc:
            self.apply_service_errors(exc)

    def apply_service_errors(self, exc: ValidationError) -> None:
        """Put each service message next to what it is about: a row, a setting, or the top."""
        kept = [index for index, _ in self.kept_forms()]
        general: list[str] = []
        for key, errors in exc.error_dict.items() if hasattr(exc, "error_dict") else ():
            for error in errors:
                message = " ".join(error.messages)
                params = error.params or {}
                if key == "mappings" and "row" in params and params["row"] < len(kept):
                    form = self.forms[kept[params["row"]]]
                    column = params.get("column", "salesforce_field")
                    field = column if column in form.fields else None
                    # The row number in the message counts saved rows; the screen marks it.
                    form.add_error(field, message.split(": ", 1)[-1])
                elif key in self.settings_form.fields:
                    self.settings_form.add_error(key, message)
                else:
                    general.append(message)
        if not hasattr(exc, "error_dict"):
            general.extend(exc.messages)
        if general:
            raise ValidationError(general)


def spare_rows(columns: list[str], rows_used: int) -> int:
    return max(SPARE_ROWS, len(columns) - rows_used)


MappingFormSet = formset_factory(
    MappingRowForm, formset=BaseMappingFormSet, extra=SPARE_ROWS, can_delete=True
)


@dataclass
class WizardChoices:
    """Screen 1 and 2 answers, and what the org says about the chosen object."""

    connection: SalesforceConnection | None
    walkme_environment: WalkMeEnvironment | None
    base: dict[str, Any] | None  # screen 2 cleaned data
    fields: list[FieldInfo]

    @property
    def report(self) -> InsightsReport | None:
        return self.base["report"] if self.base else None

    @property
    def columns(self) -> list[str]:
        return list(self.report.columns or []) if self.report else []

    @property
    def key_field(self) -> str:
        return self.base["salesforce_key_field"] if self.base else ""

    @property
    def targets(self) -> list[FieldInfo]:
        """Fields a column can be written to: writable, not the key, sorted by label."""
        return sorted(
            (info for info in self.fields if info.mappable and info.name != self.key_field),
            key=lambda info: info.label.lower(),
        )

    @property
    def target_choices(self) -> list[tuple[str, str]]:
        return [(info.name, f"{info.label} ({info.name})") for info in self.targets]

    def integration_data(self, settings: dict[str, Any]) -> IntegrationData:
        return IntegrationData(
            name=settings["name"],
            connection=self.connection,
            walkme_environment=self.walkme_environment,
            report=self.base["report"],
            sobject_name=self.base["sobject_name"],
            report_key_column=self.base["report_key_column"],
            salesforce_key_field=self.base["salesforce_key_field"],
            enabled=settings.get("enabled", True),
            update_all_matches=settings.get("update_all_matches", False),
            api_mode=settings.get("api_mode") or ApiMode.AUTO,
            bulk_threshold=settings.get("bulk_threshold") or 10_000,
        )


def _normalise(name: str) -> str:
    name = re.sub(r"__c$", "", name, flags=re.IGNORECASE)
    return re.sub(r"[^a-z0-9]", "", name.lower())


def suggest_mappings(columns: list[str], targets: list[FieldInfo]) -> list[dict[str, str]]:
    """Pre-fill rows by name similarity: nps_score -> NPS_Score__c, email -> Email."""
    by_name = {_normalise(info.name): info for info in targets}
    by_label = {_normalise(info.label): info for info in targets}
    used: set[str] = set()
    rows = []
    for column in columns:
        wanted = _normalise(column)
        match = by_name.get(wanted) or by_label.get(wanted)
        if match is None:
            close = difflib.get_close_matches(wanted, list(by_name), n=1, cutoff=0.85)
            match = by_name[close[0]] if close else None
        if match is not None and match.name not in used:
            used.add(match.name)
            rows.append(
                {
                    "report_column": column,
                    "salesforce_field": match.name,
                    "empty_policy": EmptyCellPolicy.LEAVE,
                }
            )
    return rows


def cast_preview(report: InsightsReport, column: str, target: FieldInfo) -> list[dict[str, Any]]:
    """The first sample values of `column` cast to `target`'s type, failures marked and why."""
    from integrations.sync.casting import CastError, cast_cell

    preview = []
    for raw in _sample_values(report, column):
        if raw.strip() == "":
            preview.append({"raw": "", "ok": True, "shown": ""})
            continue
        try:
            value = cast_cell(target, raw)
        except CastError as exc:
            preview.append({"raw": raw, "ok": False, "shown": str(exc)})
        else:
            shown = _show_value(value)
            preview.append({"raw": raw, "ok": True, "shown": "" if shown == raw else shown})
    return preview


def _show_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


# --- The view ---------------------------------------------------------------------------


class IntegrationWizard(SessionWizardView):
    form_list = [
        (STEP_ENVIRONMENTS, EnvironmentsForm),
        (STEP_REPORT, ReportObjectForm),
        (STEP_MAPPING, MappingFormSet),
    ]
    template_name = "integrations/wizard/wizard.html"
    step_titles = {
        STEP_ENVIRONMENTS: "Environments",
        STEP_REPORT: "Report and object",
        STEP_MAPPING: "Field mapping",
    }
    model_admin = None  # the IntegrationAdmin hosting the wizard (set by get_urls)
    integration: Integration | None = None

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        object_id = kwargs.get("object_id")
        if object_id is not None:
            self.integration = get_object_or_404(
                Integration.objects.select_related("connection", "report"), pk=object_id
            )
            allowed = self.model_admin.has_change_permission(request, self.integration)
        else:
            allowed = self.model_admin.has_add_permission(request)
        if not allowed:
            raise PermissionDenied
        self._refresh_initial: dict[str, Any] | None = None
        return super().dispatch(request, *args, **kwargs)

    def get_prefix(self, request, *args, **kwargs) -> str:
        # Separate storage per integration, so editing one does not clobber a new one.
        object_id = kwargs.get("object_id")
        return f"integration_wizard_{object_id or 'new'}"

    # Edit opens at screen 3 with the saved values; screens 1 and 2 hold them too.
    def get(self, request, *args, **kwargs):
        if self.integration is None:
            return super().get(request, *args, **kwargs)
        self.storage.reset()
        for step, data in saved_step_data(self.integration).items():
            self.storage.set_step_data(step, data)
        self.storage.current_step = STEP_MAPPING
        form = self.get_form(data=self.storage.get_step_data(STEP_MAPPING))
        return self.render(form)

    def post(self, *args, **kwargs):
        if REFRESH_BUTTON in self.request.POST and self.steps.current == STEP_REPORT:
            # Re-draw screen 2 with choices for the report and object just picked.
            self._refresh_initial = {
                name: self.request.POST.get(f"{STEP_REPORT}-{name}", "")
                for name in ReportObjectForm.base_fields
            }
            return self.render(self.get_form())
        return super().post(*args, **kwargs)

    def render_goto_step(self, goto_step, **kwargs):
        # Keep what was typed on this screen, so Back then Continue loses nothing.
        current = self.steps.current
        posted = self.request.POST
        if posted.get(f"{self.prefix}-current_step", current) == current and any(
            key.startswith(f"{current}-") for key in posted
        ):
            self.storage.set_step_data(current, posted)
        return super().render_goto_step(goto_step, **kwargs)

    def get_form_initial(self, step):
        if step == STEP_REPORT and self._refresh_initial is not None:
            return self._refresh_initial
        if step == STEP_MAPPING:
            choices = self.choices()
            if self.integration is None and choices.report is not None:
                return suggest_mappings(choices.columns, choices.targets)
            return []
        return super().get_form_initial(step)

    def get_form_kwargs(self, step=None):
        kwargs = super().get_form_kwargs(step)
        if step == STEP_REPORT:
            first = self.get_cleaned_data_for_step(STEP_ENVIRONMENTS) or {}
            kwargs["connection"] = first.get("connection")
            kwargs["walkme_environment"] = first.get("walkme_environment")
        elif step == STEP_MAPPING:
            kwargs["context"] = self.choices()
        return kwargs

    def get_form(self, step=None, data=None, files=None):
        form = super().get_form(step, data, files)
        if (step or self.steps.current) == STEP_MAPPING and not form.is_bound:
            form.settings_form.initial = self.default_settings()
        return form

    def default_settings(self) -> dict[str, Any]:
        choices = self.choices()
        name = ""
        if choices.report is not None and choices.base:
            name = f"{choices.report.name} → {choices.base['sobject_name']}"
        return {"name": name, "enabled": True, "api_mode": ApiMode.AUTO, "bulk_threshold": 10_000}

    def choices(self) -> WizardChoices:
        # Named so formtools drops it with its own caches when a step's data changes.
        if not hasattr(self, "_cleaned_data_cache_choices"):
            first = self.get_cleaned_data_for_step(STEP_ENVIRONMENTS) or {}
            base = self.get_cleaned_data_for_step(STEP_REPORT)
            fields: list[FieldInfo] = []
            connection = first.get("connection")
            if base and connection is not None:
                try:
                    fields = _object_fields(connection, base["sobject_name"])
                except SalesforceConnectionError:
                    fields = []
            self._cleaned_data_cache_choices = WizardChoices(
                connection=connection,
                walkme_environment=first.get("walkme_environment"),
                base=base,
                fields=fields,
            )
        return self._cleaned_data_cache_choices

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form=form, **kwargs)
        request = self.request
        opts = Integration._meta
        context.update(self.model_admin.admin_site.each_context(request))
        steps = [
            {"name": name, "title": self.step_titles[name], "number": number}
            for number, name in enumerate(self.get_form_list(), start=1)
        ]
        context.update(
            opts=opts,
            app_label=opts.app_label,
            integration=self.integration,
            title=(
                f"Edit integration: {self.integration.name}"
                if self.integration
                else "Create new integration"
            ),
            subtitle=self.step_titles[self.steps.current],
            wizard_steps=steps,
            refresh_button=REFRESH_BUTTON,
            add_account_url=_add_account_url(),
            has_view_permission=True,
        )
        if self.steps.current == STEP_ENVIRONMENTS:
            context["no_accounts"] = not connected_accounts().exists()
        if self.steps.current == STEP_MAPPING:
            context.update(self.mapping_context(form))
        return context

    def mapping_context(self, formset: BaseMappingFormSet) -> dict[str, Any]:
        choices = self.choices()
        targets = {info.name: info for info in choices.targets}
        report = choices.report
        rows = []
        for form in formset.forms:
            values = form.data if form.is_bound else {}
            column = (
                values.get(form.add_prefix("report_column"))
                if form.is_bound
                else form.initial.get("report_column")
            )
            target_name = (
                values.get(form.add_prefix("salesforce_field"))
                if form.is_bound
                else form.initial.get("salesforce_field")
            )
            target = targets.get(target_name or "")
            preview = cast_preview(report, column, target) if report and column and target else []
            rows.append({"form": form, "target": target, "preview": preview})
        # Every column x field preview, so the script can update rows without a round trip.
        live = {}
        if report is not None:
            for column in choices.columns:
                live[column] = {
                    name: cast_preview(report, column, info) for name, info in targets.items()
                }
        return {
            "mapping_rows": rows,
            "settings_form": formset.settings_form,
            "field_types": {name: info.type for name, info in targets.items()},
            "live_preview": live,
            "key_summary": choices.base,
            "sobject_name": choices.base["sobject_name"] if choices.base else "",
        }

    def render_done(self, form, **kwargs):
        # As formtools' render_done, but the stored answers survive a refused save, so the
        # user fixes screen 3 instead of starting over.
        final_forms = OrderedDict()
        for form_key in self.get_form_list():
            form_obj = self.get_form(
                step=form_key,
                data=self.storage.get_step_data(form_key),
                files=self.storage.get_step_files(form_key),
            )
            if not form_obj.is_valid():
                return self.render_revalidation_failure(form_key, form_obj, **kwargs)
            final_forms[form_key] = form_obj
        mapping_form: BaseMappingFormSet = final_forms[STEP_MAPPING]
        try:
            response = self.done(list(final_forms.values()), form_dict=final_forms, **kwargs)
        except ValidationError as exc:
            self.storage.current_step = STEP_MAPPING
            try:
                mapping_form.apply_service_errors(exc)
            except ValidationError as general:
                mapping_form._non_form_errors = mapping_form.error_class(general.messages)
            return self.render(mapping_form)
        self.storage.reset()
        return response

    def done(self, form_list, form_dict=None, **kwargs) -> HttpResponse:
        """Save through the service; a ValidationError goes back to screen 3."""
        mapping_form: BaseMappingFormSet = form_dict[STEP_MAPPING]
        integration = services.save_integration(
            integration=self.integration,
            data=self.choices().integration_data(mapping_form.settings_form.cleaned_data),
            mappings=mapping_form.mapping_data(),
            user=self.request.user,
        )
        upcoming = next_run_at(integration)
        when = (
            f"next run {upcoming:%Y-%m-%d %H:%M} UTC"
            if upcoming
            else "disabled: it will not run until enabled"
        )
        messages.success(
            self.request,
            f"The integration “{integration.name}” was saved: {describe_schedule(integration)}, "
            f"{when}.",
        )
        return redirect("admin:integrations_integration_changelist")


def saved_step_data(integration: Integration) -> dict[str, dict[str, list[str]]]:
    """The saved integration as the three screens would have posted it."""
    mappings = list(integration.mappings.all())
    mapping = {
        f"{STEP_MAPPING}-TOTAL_FORMS": [
            str(len(mappings) + spare_rows(integration.report.columns or [], len(mappings)))
        ],
        f"{STEP_MAPPING}-INITIAL_FORMS": [str(len(mappings))],
        f"{STEP_MAPPING}-MIN_NUM_FORMS": ["0"],
        f"{STEP_MAPPING}-MAX_NUM_FORMS": ["1000"],
        f"{STEP_MAPPING}-settings-name": [integration.name],
        f"{STEP_MAPPING}-settings-api_mode": [integration.api_mode],
        f"{STEP_MAPPING}-settings-bulk_threshold": [str(integration.bulk_threshold)],
    }
    if integration.enabled:
        mapping[f"{STEP_MAPPING}-settings-enabled"] = ["on"]
    if integration.update_all_matches:
        mapping[f"{STEP_MAPPING}-settings-update_all_matches"] = ["on"]
    for index, row in enumerate(mappings):
        mapping[f"{STEP_MAPPING}-{index}-report_column"] = [row.report_column]
        mapping[f"{STEP_MAPPING}-{index}-salesforce_field"] = [row.salesforce_field]
        mapping[f"{STEP_MAPPING}-{index}-empty_policy"] = [row.empty_policy]
    return {
        STEP_ENVIRONMENTS: {
            f"{STEP_ENVIRONMENTS}-connection": [str(integration.connection_id)],
            f"{STEP_ENVIRONMENTS}-walkme_environment": [str(integration.walkme_environment_id)],
        },
        STEP_REPORT: {
            f"{STEP_REPORT}-report": [str(integration.report_id)],
            f"{STEP_REPORT}-sobject_name": [integration.sobject_name],
            f"{STEP_REPORT}-report_key_column": [integration.report_key_column],
            f"{STEP_REPORT}-salesforce_key_field": [integration.salesforce_key_field],
        },
        STEP_MAPPING: mapping,
    }


def _add_account_url() -> str:
    try:
        return reverse("admin:salesforce_auth_salesforceconnection_changelist")
    except NoReverseMatch:
        return ""
