"""The script a user would otherwise write: for each report row, look the Contact up by
email and update it, one record at a time, with simple-salesforce.

`python -m bench.baseline --instance-url URL --token T --ca PEM REPORT.csv` prints JSON.
Like such scripts, it updates every matched row whether or not a value changed.
"""

from __future__ import annotations

import argparse
import csv
import json
import time

import requests
from simple_salesforce import Salesforce, format_soql
from simple_salesforce.exceptions import SalesforceError

from bench.workspace import KEY_COLUMN, MAPPING

NUMERIC = {"onboarding_progress", "nps_score"}


def row_values(row: dict[str, str]) -> dict:
    values = {}
    for column, field in MAPPING.items():
        cell = row[column].strip()
        if not cell:
            continue
        if column == "onboarding_completed":
            values[field] = cell.lower() == "true"
        elif column in NUMERIC:
            values[field] = float(cell)
        else:
            values[field] = cell
    return values


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("report")
    parser.add_argument("--instance-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--ca", required=True)
    args = parser.parse_args(argv)

    session = requests.Session()
    session.trust_env = False
    session.verify = args.ca
    sf = Salesforce(
        instance_url=args.instance_url, session_id=args.token, session=session, version="62.0"
    )
    counts = {"rows": 0, "updated": 0, "not_found": 0, "skipped": 0, "errors": 0}
    calls = {"query": 0, "update": 0}
    started = time.perf_counter()
    with open(args.report, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            counts["rows"] += 1
            email = row[KEY_COLUMN].strip()
            try:
                values = row_values(row)
            except ValueError:
                counts["skipped"] += 1
                continue
            if not email:
                counts["skipped"] += 1
                continue
            calls["query"] += 1
            found = sf.query(format_soql("SELECT Id FROM Contact WHERE Email = {}", email))
            if not found["records"]:
                counts["not_found"] += 1
                continue
            for record in found["records"]:
                calls["update"] += 1
                try:
                    sf.Contact.update(record["Id"], values)
                    counts["updated"] += 1
                except SalesforceError:
                    counts["errors"] += 1
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "api_calls": calls, **counts}))


if __name__ == "__main__":
    main()
