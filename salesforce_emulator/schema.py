"""SObject metadata: real recorded describe bodies plus the emulator's custom fields.

The describe bodies of Contact, Lead and Account come verbatim from recordings of real
orgs (``data/describe_*.json``, from SFDO-Tooling/CumulusCI, BSD-3-Clause). Custom
fields are built from the recorded custom field of ``Custom__c`` so that every field
carries the same keys and value types as Salesforce's own.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"

SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "string": "xsd:string",
    "email": "xsd:string",
    "phone": "xsd:string",
    "url": "xsd:string",
    "picklist": "xsd:string",
    "multipicklist": "xsd:string",
    "textarea": "xsd:string",
    "combobox": "xsd:string",
    "boolean": "xsd:boolean",
    "double": "xsd:double",
    "percent": "xsd:double",
    "currency": "xsd:double",
    "int": "xsd:int",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
    "time": "xsd:time",
    "address": "urn:address",
    "location": "urn:location",
}


@cache
def load_recorded(name: str) -> dict:
    return json.loads((DATA_DIR / f"describe_{name}.json").read_text())


def _field_template() -> dict:
    base = load_recorded("Custom__c")
    for f in base["fields"]:
        if f["name"] == "CustomField__c":
            return copy.deepcopy(f)
    raise RuntimeError("recording lacks CustomField__c")


def make_field(name: str, label: str, ftype: str, **overrides) -> dict:
    """A field describe with every key Salesforce sends, for a custom field."""
    f = _field_template()
    f.update(
        name=name,
        label=label,
        type=ftype,
        soapType=SOAP_TYPES[ftype],
        custom=name.endswith("__c"),
        nameField=False,
        idLookup=False,
        length=0,
        byteLength=0,
        precision=0,
        scale=0,
        digits=0,
        nillable=True,
        defaultedOnCreate=False,
        permissionable=name.endswith("__c"),
        picklistValues=[],
        referenceTo=[],
        relationshipName=None,
        sortable=True,
        groupable=ftype not in ("double", "percent", "currency", "datetime", "textarea"),
        filterable=ftype != "textarea",
        aggregatable=True,
    )
    if ftype in ("string", "email", "phone", "url", "picklist", "textarea"):
        length = overrides.pop("length", 255 if ftype != "email" else 80)
        f["length"] = length
        f["byteLength"] = length * 3
    if ftype == "boolean":
        f["nillable"] = False
        f["defaultedOnCreate"] = True
        f["defaultValue"] = False
        f["groupable"] = True
    if ftype in ("id", "reference"):
        f["length"] = 18
        f["byteLength"] = 18
    if ftype == "int":
        f["digits"] = overrides.pop("digits", 9)
    f.update(overrides)
    if f.get("calculated") or f.get("autoNumber") or ftype == "id":
        f["updateable"] = False
        f["createable"] = False
    return f


def picklist(values, inactive=()) -> list[dict]:
    out = [
        {"active": True, "defaultValue": False, "label": v, "validFor": None, "value": v}
        for v in values
    ]
    out += [
        {"active": False, "defaultValue": False, "label": v, "validFor": None, "value": v}
        for v in inactive
    ]
    return out


def walkme_fields(prefix_label: str = "") -> list[dict]:
    """The custom fields added to Contact and Lead."""
    return [
        make_field("Onboarding_Completed__c", "Onboarding Completed", "boolean"),
        make_field(
            "Onboarding_Progress__c", "Onboarding Progress", "percent", precision=5, scale=2
        ),
        make_field("NPS_Score__c", "NPS Score", "double", precision=3, scale=0),
        make_field("Last_Seen__c", "Last Seen", "datetime"),
        make_field("Sessions_30d__c", "Sessions (30d)", "double", precision=18, scale=0),
        make_field(
            "Churn_Risk__c",
            "Churn Risk",
            "picklist",
            picklistValues=picklist(["High", "Medium", "Low"], inactive=["Critical"]),
            restrictedPicklist=True,
        ),
        make_field("Upsell_Signal__c", "Upsell Signal", "string", length=255),
        make_field(
            "WalkMe_User_Id__c",
            "WalkMe User Id",
            "string",
            length=36,
            externalId=True,
            unique=True,
            idLookup=True,
        ),
        make_field("Internal_Score__c", "Internal Score", "double", precision=18, scale=2),
        make_field(
            "Engagement_Level__c",
            "Engagement Level",
            "string",
            length=1300,
            calculated=True,
            calculatedFormula=(
                'IF(Sessions_30d__c >= 20, "Power", IF(Sessions_30d__c >= 1, "Active", "Dormant"))'
            ),
            nillable=True,
            groupable=False,
        ),
        make_field(
            "Member_Number__c",
            "Member Number",
            "string",
            length=30,
            autoNumber=True,
            nillable=False,
            defaultedOnCreate=True,
            idLookup=True,
        ),
    ]


# Fields hidden from the API user by field-level security in the demo seed.
DEFAULT_HIDDEN = {("Contact", "Internal_Score__c"), ("Lead", "Internal_Score__c")}


def _standard_describe(name: str) -> dict:
    d = copy.deepcopy(load_recorded(name))
    if name in ("Contact", "Lead"):
        d["fields"].extend(walkme_fields())
    elif name == "Account":
        d["fields"].extend(
            [
                make_field(
                    "Account_Number__c",
                    "Account Number (Auto)",
                    "string",
                    length=30,
                    autoNumber=True,
                    nillable=False,
                    defaultedOnCreate=True,
                ),
                make_field(
                    "Health__c",
                    "Health",
                    "string",
                    length=1300,
                    calculated=True,
                    calculatedFormula='IF(ISBLANK(Website), "Unknown", "Known")',
                ),
            ]
        )
        # The recording's org had a required managed-package lookup; make it optional.
        for f in d["fields"]:
            if f["name"] == "ns__LinkedAccount__c":
                f["nillable"] = True
    return d


def _custom_object(name: str, label: str, plural: str, key_prefix: str, fields: list[dict]) -> dict:
    d = copy.deepcopy(load_recorded("Custom__c"))
    d.update(
        name=name,
        label=label,
        labelPlural=plural,
        keyPrefix=key_prefix,
        customSetting=False,
        urls={
            "uiEditTemplate": "https://orgname.my.salesforce.com/{ID}/e",
            "sobject": f"/services/data/vxx.0/sobjects/{name}",
            "uiDetailTemplate": "https://orgname.my.salesforce.com/{ID}",
            "describe": f"/services/data/vxx.0/sobjects/{name}/describe",
            "rowTemplate": f"/services/data/vxx.0/sobjects/{name}/{{ID}}",
            "uiNewRecord": f"https://orgname.my.salesforce.com/{key_prefix}/e",
        },
    )
    d["fields"] = fields
    return d


def _system_fields(id_label: str, owner: bool = True) -> list[dict]:
    dt = dict(nillable=False, updateable=False, createable=False, defaultedOnCreate=True)
    ref = dict(referenceTo=["User"], **dt)
    out = [
        make_field("Id", id_label, "id", nillable=False, idLookup=True, defaultedOnCreate=True),
        make_field("IsDeleted", "Deleted", "boolean", updateable=False, createable=False),
    ]
    if owner:
        out.append(
            make_field(
                "OwnerId",
                "Owner ID",
                "reference",
                referenceTo=["User"],
                nillable=False,
                defaultedOnCreate=True,
                relationshipName="Owner",
            )
        )
    out += [
        make_field("CreatedDate", "Created Date", "datetime", **dt),
        make_field(
            "CreatedById", "Created By ID", "reference", relationshipName="CreatedBy", **ref
        ),
        make_field("LastModifiedDate", "Last Modified Date", "datetime", **dt),
        make_field(
            "LastModifiedById",
            "Last Modified By ID",
            "reference",
            relationshipName="LastModifiedBy",
            **ref,
        ),
        make_field("SystemModstamp", "System Modstamp", "datetime", **dt),
    ]
    for f in out:
        f["custom"] = False
        f["permissionable"] = False
    return out


def _walkme_usage() -> dict:
    fields = _system_fields("Record ID")
    fields.insert(
        2,
        make_field(
            "Name",
            "Usage Name",
            "string",
            length=80,
            nameField=True,
            idLookup=True,
            custom=False,
            permissionable=False,
        ),
    )
    fields += [
        make_field(
            "Contact__c",
            "Contact",
            "reference",
            referenceTo=["Contact"],
            relationshipName="Contact__r",
        ),
        make_field("Event_Date__c", "Event Date", "date"),
        make_field("Sessions__c", "Sessions", "double", precision=18, scale=0),
        make_field("Feature__c", "Feature", "string", length=255),
        make_field(
            "Usage_Number__c",
            "Usage Number",
            "string",
            length=30,
            autoNumber=True,
            nillable=False,
            defaultedOnCreate=True,
        ),
        make_field(
            "Is_Heavy__c",
            "Is Heavy",
            "boolean",
            calculated=True,
            calculatedFormula="Sessions__c > 10",
        ),
    ]
    return _custom_object("WalkMe_Usage__c", "WalkMe Usage", "WalkMe Usages", "a0W", fields)


def _user() -> dict:
    """A reasonable User describe, built with the recorded field shapes."""
    d = copy.deepcopy(load_recorded("Contact"))
    d.update(
        name="User",
        label="User",
        labelPlural="Users",
        keyPrefix="005",
        childRelationships=[],
        recordTypeInfos=[],
        deletable=False,
        mergeable=False,
        urls={
            k: v.replace("/Contact", "/User").replace("/003/", "/005/")
            for k, v in d["urls"].items()
        },
    )
    fields = _system_fields("User ID", owner=False)
    fields.pop(1)  # Users have no IsDeleted
    fields[1:1] = [
        make_field(
            "Username", "Username", "string", length=80, nillable=False, unique=True, idLookup=True
        ),
        make_field("LastName", "Last Name", "string", length=80, nillable=False),
        make_field("FirstName", "First Name", "string", length=40),
        make_field(
            "Name",
            "Full Name",
            "string",
            length=121,
            updateable=False,
            createable=False,
            nameField=True,
        ),
        make_field("CompanyName", "Company Name", "string", length=80),
        make_field("Email", "Email", "email", length=128, nillable=False),
        make_field("Alias", "Alias", "string", length=8, nillable=False),
        make_field("IsActive", "Active", "boolean"),
        make_field(
            "TimeZoneSidKey",
            "Time Zone",
            "picklist",
            nillable=False,
            restrictedPicklist=True,
            picklistValues=picklist(["America/Los_Angeles", "Europe/London", "Asia/Jerusalem"]),
        ),
        make_field(
            "UserType",
            "User Type",
            "picklist",
            updateable=False,
            createable=False,
            picklistValues=picklist(["Standard", "PowerPartner"]),
        ),
        make_field(
            "EmployeeNumber",
            "Employee Number",
            "string",
            length=30,
            autoNumber=True,
            nillable=False,
        ),
        make_field(
            "Is_Admin__c",
            "Is Admin",
            "boolean",
            calculated=True,
            calculatedFormula="Profile.Name = 'System Administrator'",
        ),
    ]
    for f in fields:
        if not f["name"].endswith("__c"):
            f["custom"] = False
            f["permissionable"] = f["updateable"]
    d["fields"] = fields
    return d


@cache
def base_describes() -> dict[str, dict]:
    """Full (unfiltered) describe of each emulated object."""
    return {
        "Account": _standard_describe("Account"),
        "Contact": _standard_describe("Contact"),
        "Lead": _standard_describe("Lead"),
        "User": _user(),
        "WalkMe_Usage__c": _walkme_usage(),
    }


@cache
def global_describe() -> dict:
    g = copy.deepcopy(load_recorded("Global"))
    names = {o["name"] for o in g["sobjects"]}
    template = next(o for o in g["sobjects"] if o["name"] == "Contact")
    for name, d in base_describes().items():
        if name in names:
            continue
        entry = copy.deepcopy(template)
        entry.update(
            name=name,
            label=d["label"],
            labelPlural=d["labelPlural"],
            keyPrefix=d["keyPrefix"],
            custom=d["custom"],
            feedEnabled=False,
            mergeable=False,
        )
        entry["urls"] = {k: v.replace("/Contact", f"/{name}") for k, v in template["urls"].items()}
        g["sobjects"].append(entry)
    return g


_VERSION_RE = re.compile(r"/v(?:xx|\d+)\.0/")
_HOST_RE = re.compile(r"https://[a-zA-Z0-9.-]+\.salesforce\.com")


def render(obj: dict, version: str, base_url: str) -> bytes:
    """Serialise a describe body, pointing its URLs at this API version and host."""
    text = json.dumps(obj, separators=(",", ":"))
    text = _VERSION_RE.sub(f"/v{version}/", text)
    return _HOST_RE.sub(base_url, text).encode()
