"""Measure the emulator: memory for 1M Contacts, IN-list queries, Collections and Bulk throughput.

Run: ``python -m salesforce_emulator.bench [--contacts 1000000] [--threads 2]``.
Prints figures; no assertions. The emulator runs in its own process (EmulatorProcess), so
its CPU and memory are measured apart from this client's.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time

import requests

from . import seed
from .process import EmulatorProcess
from .store import make_id
from .testing import login


def _session(ca: str) -> requests.Session:
    s = requests.Session()
    s.trust_env = False
    s.verify = ca
    return s


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--contacts", type=int, default=1_000_000)
    p.add_argument("--collection-records", type=int, default=100_000)
    p.add_argument("--bulk-records", type=int, default=200_000)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)

    with EmulatorProcess(tempfile.mkdtemp(), "bench") as server:
        before = server.rss_mb()
        t0 = time.perf_counter()
        generated = server.control("POST", "generate-contacts", n=args.contacts)
        first, n = generated["first_row"], generated["count"]
        gen_s = time.perf_counter() - t0
        after = server.rss_mb()
        print(
            f"generate_contacts({n:,}): {gen_s:.2f} s, "
            f"server RSS +{after - before:.0f} MB (total {after:.0f} MB)"
        )
        s = _session(server.ca_bundle)
        tok = login(server, s)
        base = f"{tok['instance_url']}/services/data/v62.0"
        h = {"Authorization": f"Bearer {tok['access_token']}"}
        _measure(args, server, s, base, h, first, n)


def _contact_id(row: int) -> str:
    return make_id("003", seed.PRODUCTION_POD, row)


def _measure(args, server: EmulatorProcess, s, base, h, first, n):
    # IN-list query (index build on first use, then lookups)
    emails = [f"USER{i}@example.com" for i in range(0, 200 * 997, 997)]
    q = "SELECT Id, Email FROM Contact WHERE Email IN (" + ",".join(f"'{e}'" for e in emails) + ")"
    t0 = time.perf_counter()
    body = {
        "compositeRequest": [
            {"method": "GET", "url": f"/services/data/v62.0/query/?q={q}", "referenceId": "q"}
        ]
    }
    r = s.post(f"{base}/composite", json=body, headers=h)
    first_q = time.perf_counter() - t0
    assert r.json()["compositeResponse"][0]["body"]["totalSize"] == 200, r.text[:300]
    t0 = time.perf_counter()
    reps = 50
    for _ in range(reps):
        s.post(f"{base}/composite", json=body, headers=h)
    per = (time.perf_counter() - t0) / reps
    print(
        f"IN-list query of 200 emails over {n:,} Contacts: first (builds index) {first_q * 1000:.0f} ms, "  # noqa: E501
        f"then {per * 1000:.1f} ms per composite call ({200 / per:,.0f} keys/s)"
    )
    print(f"server RSS with the Email index: {server.rss_mb():.0f} MB")

    # sObject Collections throughput
    total = args.collection_records
    per_thread = total // args.threads

    def worker(tid):
        sess = _session(server.ca_bundle)
        start = first + tid * per_thread
        for off in range(0, per_thread, 200):
            recs = [
                {
                    "attributes": {"type": "Contact"},
                    "id": _contact_id(start + off + i),
                    "Sessions_30d__c": (off + i) % 40,
                    "Churn_Risk__c": "Low",
                }
                for i in range(min(200, per_thread - off))
            ]
            r = sess.patch(
                f"{base}/composite/sobjects",
                data=json.dumps({"records": recs}),
                headers=dict(h, **{"Content-Type": "application/json"}),
            )
            assert r.status_code == 200, r.text[:200]

    t0 = time.perf_counter()
    cpu0 = server.cpu_seconds()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    el = time.perf_counter() - t0
    cpu = server.cpu_seconds() - cpu0
    done = per_thread * args.threads
    print(
        f"composite/sobjects PATCH: {done:,} records in {el:.2f} s = {done / el:,.0f} records/s "  # noqa: E501
        f"({args.threads} client threads, 200 per request); server CPU {cpu:.2f} s = "
        f"{done / cpu:,.0f} records per server-CPU-second"
    )

    # Bulk ingest
    nb = min(args.bulk_records, n)
    lines = ["Id,Upsell_Signal__c,Sessions_30d__c"]
    lines += [f"{_contact_id(first + i)},Signal {i % 7},{i % 30}" for i in range(nb)]
    data = ("\n".join(lines) + "\n").encode()
    t0 = time.perf_counter()
    cpu0 = server.cpu_seconds()
    job = s.post(
        f"{base}/jobs/ingest", json={"object": "Contact", "operation": "update"}, headers=h
    ).json()
    s.put(
        f"{base}/jobs/ingest/{job['id']}/batches",
        data=data,
        headers=dict(h, **{"Content-Type": "text/csv"}),
    )
    s.patch(f"{base}/jobs/ingest/{job['id']}", json={"state": "UploadComplete"}, headers=h)
    while True:
        info = s.get(f"{base}/jobs/ingest/{job['id']}", headers=h).json()
        if info["state"] in ("JobComplete", "Failed"):
            break
        time.sleep(0.05)
    el = time.perf_counter() - t0
    cpu = server.cpu_seconds() - cpu0
    print(f"  server processing time {info['totalProcessingTime']} ms, server CPU {cpu:.2f} s")
    print(
        f"Bulk 2.0 update: {info['numberRecordsProcessed']:,} rows ({len(data) / 1e6:.1f} MB CSV) "  # noqa: E501
        f"in {el:.2f} s = {nb / el:,.0f} records/s, failed {info['numberRecordsFailed']}"
    )
    t0 = time.perf_counter()
    res = s.get(f"{base}/jobs/ingest/{job['id']}/successfulResults/", headers=h)
    print(
        f"  successfulResults: {len(res.content) / 1e6:.1f} MB in {time.perf_counter() - t0:.2f} s"  # noqa: E501
    )
    print(f"final server RSS: {server.rss_mb():.0f} MB")
    print("request counts:", server.control("GET", "request-counts"))


if __name__ == "__main__":
    main()
