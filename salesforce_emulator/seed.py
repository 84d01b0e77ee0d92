"""Seed data: the demo connected app, orgs, users, records and validation rules."""

from __future__ import annotations

import uuid

from .store import ConnectedApp, Org, User, ValidationRule, make_id, new_org, sf_datetime

DEMO_CLIENT_ID = "walkme-demo-client"
DEMO_CLIENT_SECRET = "walkme-demo-secret"
DEMO_REDIRECT_URIS = [
    "http://127.0.0.1:8000/salesforce/oauth/callback/",
    "http://localhost:8000/salesforce/oauth/callback/",
    "http://testserver/salesforce/oauth/callback/",
]
PRODUCTION_USERNAME = "admin@walkme-demo.example"
SANDBOX_USERNAME = "admin@walkme-demo.example.sandbox"
DEMO_PASSWORD = "demo-password"

PRODUCTION_POD = "5g"
SANDBOX_POD = "7e"
PRODUCTION_ORG_ID = make_id("00D", PRODUCTION_POD, 48213)
SANDBOX_ORG_ID = make_id("00D", SANDBOX_POD, 91377)

SHARED_EMAIL = "team.inbox@northwind-traders.example"
NPS_RULE_MESSAGE = "NPS score must be between 0 and 10"

_PEOPLE = [
    ("Dana", "Levi", "dana.levi@acme-corp.example"),
    ("Noam", "Cohen", "noam.cohen@acme-corp.example"),
    ("Maya", "Goldberg", "maya.goldberg@globex.example"),
    ("Jonathan", "Price", "jonathan.price@globex.example"),
    ("Priya", "Raman", "priya.raman@initech.example"),
    ("Carlos", "Mendez", "carlos.mendez@initech.example"),
    ("Emily", "Carter", "emily.carter@umbrella-health.example"),
    ("Hiro", "Tanaka", "hiro.tanaka@umbrella-health.example"),
    ("Sofia", "Rossi", "sofia.rossi@stark-industries.example"),
    ("Liam", "O'Brien", "liam.obrien@stark-industries.example"),
    ("Aisha", "Khan", "aisha.khan@wayne-enterprises.example"),
    ("Mateo", "Silva", "mateo.silva@wayne-enterprises.example"),
    ("Chloe", "Dubois", "chloe.dubois@hooli.example"),
    ("Ethan", "Brooks", "ethan.brooks@hooli.example"),
    ("Yael", "Friedman", "yael.friedman@piedpiper.example"),
    ("Oliver", "Schmidt", "oliver.schmidt@piedpiper.example"),
    ("Grace", "Kim", "grace.kim@vandelay.example"),
    ("Lucas", "Martin", "lucas.martin@vandelay.example"),
    ("Amara", "Okafor", "amara.okafor@soylent.example"),
    ("Benjamin", "Weiss", "benjamin.weiss@soylent.example"),
    ("Isabella", "Garcia", "isabella.garcia@cyberdyne.example"),
    ("Daniel", "Mizrahi", "daniel.mizrahi@cyberdyne.example"),
    ("Hannah", "Novak", "hannah.novak@tyrell.example"),
    ("Ravi", "Patel", "ravi.patel@tyrell.example"),
    ("Zoe", "Anderson", "zoe.anderson@oscorp.example"),
    ("Tomás", "Herrera", "tomas.herrera@oscorp.example"),
    ("Leah", "Shapiro", "leah.shapiro@massive-dynamic.example"),
    ("Kenji", "Watanabe", "kenji.watanabe@massive-dynamic.example"),
    ("Fatima", "Haddad", "fatima.haddad@aperture.example"),
    ("Samuel", "Green", "samuel.green@aperture.example"),
    ("Nina", "Petrova", "nina.petrova@black-mesa.example"),
    ("Omar", "Farouk", "omar.farouk@black-mesa.example"),
    ("Ruth", "Bauer", "ruth.bauer@northwind-traders.example"),
    ("Adam", "Stein", "adam.stein@northwind-traders.example"),
    ("Jessica", "Moore", SHARED_EMAIL),
    ("Michael", "Moore", SHARED_EMAIL),
]
_CHURN = ["Low", "Medium", "High", None]


def nps_rule(rec) -> bool:
    v = rec.get("NPS_Score__c")
    return v is not None and (v < 0 or v > 10)


def make_orgs() -> dict[str, Org]:
    prod = new_org("production", PRODUCTION_ORG_ID, "WalkMe Demo", False, PRODUCTION_POD)
    sbx = new_org("sandbox", SANDBOX_ORG_ID, "WalkMe Demo (Sandbox)", True, SANDBOX_POD)
    return {"production": prod, "sandbox": sbx}


def make_app() -> ConnectedApp:
    return ConnectedApp(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, list(DEMO_REDIRECT_URIS))


def _add_user(org: Org, username: str, first: str, last: str, email: str, password: str) -> User:
    users = org.tables["User"]
    uid = users.insert(
        {
            "Username": username,
            "FirstName": first,
            "LastName": last,
            "Email": email,
            "Alias": (first[:1] + last[:4]).lower(),
            "TimeZoneSidKey": "Europe/London",
            "UserType": "Standard",
        }
    )
    user = User(uid, username, password, first, last, email, org.key)
    org.users[username] = user
    if not org.admin_id:
        org.admin_id = uid
    return user


def seed_demo(orgs: dict[str, Org], contacts: bool = True) -> None:
    for org in orgs.values():
        for t in ("Contact", "Lead"):
            org.rules[t] = [ValidationRule("NPS_Range", nps_rule, NPS_RULE_MESSAGE, "NPS_Score__c")]
    prod, sbx = orgs["production"], orgs["sandbox"]
    _add_user(
        prod, PRODUCTION_USERNAME, "Avery", "Admin", "admin@walkme-demo.example", DEMO_PASSWORD
    )
    _add_user(
        prod,
        "integration@walkme-demo.example",
        "Sync",
        "Integration",
        "it@walkme-demo.example",
        DEMO_PASSWORD,
    )
    _add_user(sbx, SANDBOX_USERNAME, "Avery", "Admin", "admin@walkme-demo.example", DEMO_PASSWORD)
    if not contacts:
        return
    for org in (prod, sbx):
        _seed_records(org)


def _seed_records(org: Org) -> None:
    accounts = org.tables["Account"]
    acct_ids = {}
    for person in _PEOPLE:
        domain = person[2].split("@")[1]
        if domain not in acct_ids:
            name = domain.split(".")[0].replace("-", " ").title()
            acct_ids[domain] = accounts.insert({"Name": name, "Website": f"https://www.{domain}"})
    contacts = org.tables["Contact"]
    ns = uuid.UUID("6f1c1f5e-4a6b-4c36-9d7e-5a0b3c2d1e0f")
    for i, (first, last, email) in enumerate(_PEOPLE):
        values = {
            "FirstName": first,
            "LastName": last,
            "Email": email,
            "AccountId": acct_ids[email.split("@")[1]],
            "Title": ["VP Customer Success", "Product Manager", "Head of IT", "Operations Lead"][
                i % 4
            ],
            "LeadSource": ["Web", "Partner Referral", "Other"][i % 3],
            "Onboarding_Completed__c": i % 3 == 0,
        }
        if i % 4 != 3:
            values["WalkMe_User_Id__c"] = str(uuid.uuid5(ns, email + str(i)))
            values["Sessions_30d__c"] = float((i * 7) % 41)
            values["Onboarding_Progress__c"] = float((i * 13) % 101)
        if _CHURN[i % 4]:
            values["Churn_Risk__c"] = _CHURN[i % 4]
        if i % 5 == 0:
            values["NPS_Score__c"] = float(i % 11)
            values["Internal_Score__c"] = 42.5
        contacts.insert(values)
    leads = org.tables["Lead"]
    for i, (first, last, company) in enumerate(
        [
            ("Tal", "Ben-David", "Contoso"),
            ("Erin", "Walsh", "Fabrikam"),
            ("Marco", "Bianchi", "Tailspin Toys"),
            ("Ava", "Nguyen", "Wide World Importers"),
            ("Igor", "Sokolov", "Adventure Works"),
            ("Lena", "Fischer", "Litware"),
        ]
    ):
        leads.insert(
            {
                "FirstName": first,
                "LastName": last,
                "Company": company,
                "Status": "Open - Not Contacted",
                "Email": f"{first.lower()}.{last.lower().replace('-', '')}@{company.lower().replace(' ', '')}.example",  # noqa: E501
                "WalkMe_User_Id__c": str(uuid.uuid5(ns, "lead" + str(i))),
            }
        )
    usage = org.tables["WalkMe_Usage__c"]
    contact_ids = [contacts.id_of(r) for r in range(min(5, contacts.n))]
    for i, cid in enumerate(contact_ids):
        usage.insert(
            {
                "Name": f"Usage {i + 1}",
                "Contact__c": cid,
                "Sessions__c": float(i * 4),
                "Feature__c": "Smart Walk-Thru",
            }
        )


_FIRST = ["Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Robin", "Drew"]
_LAST = [
    "Smith",
    "Jones",
    "Brown",
    "Miller",
    "Davis",
    "Wilson",
    "Moore",
    "Clark",
    "Lewis",
    "Walker",
]


def generate_contacts(
    org: Org,
    n: int,
    start: int = 0,
    email_template: str = "user{i}@example.com",
    walkme_ids: bool = False,
    sobject: str = "Contact",
) -> tuple[int, int]:
    """Append ``n`` Contacts with emails ``user{i}@example.com`` (i from ``start``).

    Fast path: columns are extended in bulk and touched indexes dropped (they are rebuilt
    lazily). Returns (first_row, count).
    """
    with org.lock:
        t = org.tables[sobject]
        first = t.append_rows(n)
        fmt = email_template.format
        cols = {
            "Email": [fmt(i=i) for i in range(start, start + n)],
            "FirstName": [_FIRST[i % 10] for i in range(start, start + n)],
            "LastName": [_LAST[(i // 10) % 10] for i in range(start, start + n)],
        }
        if walkme_ids:
            cols["WalkMe_User_Id__c"] = [
                f"00000000-0000-4000-8000-{i:012d}" for i in range(start, start + n)
            ]
        if sobject == "Lead":
            cols["Company"] = ["Example Inc"] * n
        now = sf_datetime()
        cols["CreatedDate"] = [now] * n
        for name, values in cols.items():
            col = t.cols.setdefault(name, [])
            if len(col) < first:
                col.extend([None] * (first - len(col)))
            col.extend(values)
            t.indexes.pop(name, None)
        return first, n
