"""Measure the emulator: memory for 1M Contacts, IN-list queries, Collections and Bulk throughput.

Run: ``python -m salesforce_emulator.bench [--contacts 1000000] [--threads 2]``.
Prints figures; no assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time

import requests

from . import seed
from .store import make_id
from .testing import login


def proc_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def proc_cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Remote:
    """Enough of EmulatorServer for testing.login(), for a server in another process."""

    def __init__(self, base, ca):
        self.base_url = self.production_login_url = base
        self.sandbox_login_url = base.replace("127.0.0.1", "localhost")
        self.ca_bundle = ca


def _session(ca):
    s = requests.Session()
    s.trust_env = False
    s.verify = ca
    return s


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--contacts", type=int, default=1_000_000)
    p.add_argument("--collection-records", type=int, default=100_000)
    p.add_argument("--bulk-records", type=int, default=200_000)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)

    import re
    import subprocess
    import sys

    cert_dir = tempfile.mkdtemp()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "salesforce_emulator",
            "--port",
            "0",
            "--cert-dir",
            cert_dir,
            "--control-token",
            "bench",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        out = ""
        while "control token" not in out:
            out += proc.stdout.readline()
        base_url = re.search(r"listening on (\S+)", out).group(1)
        ca = f"{cert_dir}/ca.pem"
        srv = _Remote(base_url, ca)
        ctl = {"X-Emulator-Token": "bench"}
        s = _session(ca)
        before = proc_rss_mb(proc.pid)
        t0 = time.perf_counter()
        r = s.post(
            f"{base_url}/__emulator__/generate-contacts", json={"n": args.contacts}, headers=ctl
        )
        first, n = r.json()["first_row"], r.json()["count"]
        gen_s = time.perf_counter() - t0
        after = proc_rss_mb(proc.pid)
        print(
            f"generate_contacts({n:,}): {gen_s:.2f} s, "
            f"server RSS +{after - before:.0f} MB (total {after:.0f} MB)"
        )
        tok = login(srv, s)
        base = f"{tok['instance_url']}/services/data/v62.0"
        h = {"Authorization": f"Bearer {tok['access_token']}"}

        class table:  # noqa: N801 - mimics Table.id_of
            @staticmethod
            def id_of(row):
                return make_id("003", seed.PRODUCTION_POD, row)

        _main_body(args, srv, s, base, h, table, first, n, proc)
    finally:
        proc.terminate()
        proc.wait()


def _main_body(args, srv, s, base, h, table, first, n, proc):
    if True:
        # IN-list query (index build on first use, then lookups)
        emails = [f"USER{i}@example.com" for i in range(0, 200 * 997, 997)]
        q = (
            "SELECT Id, Email FROM Contact WHERE Email IN ("
            + ",".join(f"'{e}'" for e in emails)
            + ")"
        )
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
        print(f"server RSS with the Email index: {proc_rss_mb(proc.pid):.0f} MB")

        # sObject Collections throughput
        total = args.collection_records
        per_thread = total // args.threads

        def worker(tid):
            sess = _session(srv.ca_bundle)
            start = first + tid * per_thread
            for off in range(0, per_thread, 200):
                recs = [
                    {
                        "attributes": {"type": "Contact"},
                        "id": table.id_of(start + off + i),
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
        cpu0 = proc_cpu_s(proc.pid)
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        el = time.perf_counter() - t0
        cpu = proc_cpu_s(proc.pid) - cpu0
        done = per_thread * args.threads
        print(
            f"composite/sobjects PATCH: {done:,} records in {el:.2f} s = {done / el:,.0f} records/s "  # noqa: E501
            f"({args.threads} client threads, 200 per request); server CPU {cpu:.2f} s = "
            f"{done / cpu:,.0f} records per server-CPU-second"
        )

        # Bulk ingest
        nb = min(args.bulk_records, n)
        lines = ["Id,Upsell_Signal__c,Sessions_30d__c"]
        lines += [f"{table.id_of(first + i)},Signal {i % 7},{i % 30}" for i in range(nb)]
        data = ("\n".join(lines) + "\n").encode()
        t0 = time.perf_counter()
        cpu0 = proc_cpu_s(proc.pid)
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
        cpu = proc_cpu_s(proc.pid) - cpu0
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
        print(f"final server RSS: {proc_rss_mb(proc.pid):.0f} MB")
        ctl = {"X-Emulator-Token": "bench"}
        print(
            "request counts:",
            s.get(f"{srv.base_url}/__emulator__/request-counts", headers=ctl).json(),
        )


if __name__ == "__main__":
    main()
