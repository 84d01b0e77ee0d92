"""Control API (Python and HTTP), CLI, state file and the Contact generator."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from salesforce_emulator import seed
from salesforce_emulator.server import EmulatorServer
from salesforce_emulator.testing import login, make_session, refresh

ROOT = Path(__file__).resolve().parents[2]


def test_http_control_api_requires_token(emulator, http):
    """Emulator control API: /__emulator__/ guarded by X-Emulator-Token."""
    url = f"{emulator.base_url}/__emulator__/info"
    assert http.get(url).status_code == 403
    assert http.get(url, headers={"X-Emulator-Token": "wrong"}).status_code == 403
    info = http.get(url, headers={"X-Emulator-Token": emulator.control_token}).json()
    assert info["base_url"] == emulator.base_url
    assert info["orgs"]["production"].startswith("00D")


def test_http_control_calls(emulator, http, sf):
    """Emulator control API: limits, faults, counts, records, generation, redirect URIs."""
    h = {"X-Emulator-Token": emulator.control_token}
    base = f"{emulator.base_url}/__emulator__"
    assert http.post(f"{base}/daily-limit", json={"max": 50, "used": 49}, headers=h).ok
    assert sf.limits()["DailyApiRequests"] == {"Max": 50, "Remaining": 0}
    assert http.post(f"{base}/daily-limit", json={"max": 1000, "used": 0}, headers=h).ok
    assert http.post(f"{base}/fail-next", json={"n": 1, "kind": "503"}, headers=h).ok
    r = http.get(f"{sf.base_url}limits", headers=sf.headers)
    assert r.status_code == 503
    counts = http.get(f"{base}/request-counts", headers=h).json()
    assert counts["limits"] >= 1
    assert http.delete(f"{base}/request-counts", headers=h).ok
    assert http.get(f"{base}/request-counts", headers=h).json()["limits"] == 0
    r = http.post(f"{base}/generate-contacts", json={"n": 1000}, headers=h).json()
    assert r["count"] == 1000
    recs = http.get(f"{base}/records/Contact", params={"limit": 5}, headers=h).json()
    assert recs["totalSize"] == len(seed._PEOPLE) + 1000
    assert len(recs["records"]) == 5
    one = http.get(f"{base}/records/Contact/{recs['records'][0]['Id']}", headers=h).json()
    assert one["Id"] == recs["records"][0]["Id"]
    uri = "https://app.example/cb"
    assert http.post(f"{base}/redirect-uris", json={"uri": uri}, headers=h).ok
    assert uri in emulator.emu.apps[seed.DEMO_CLIENT_ID].redirect_uris
    ids = [recs["records"][0]["Id"]]
    assert http.post(f"{base}/lock-records", json={"ids": ids, "times": 1}, headers=h).ok
    out = sf.restful(
        "composite/sobjects",
        method="PATCH",
        json={"records": [{"attributes": {"type": "Contact"}, "id": ids[0], "Title": "x"}]},
    )
    assert out[0]["errors"][0]["statusCode"] == "UNABLE_TO_LOCK_ROW"
    assert http.post(f"{base}/expire-sessions", headers=h).ok
    assert http.get(f"{sf.base_url}limits", headers=sf.headers).status_code == 401
    assert http.post(f"{base}/reset", headers=h).ok
    assert emulator.control.count("Contact") == len(seed._PEOPLE)


def test_generate_contacts_deterministic_and_indexed(emulator, sf):
    """Generator: user{i}@example.com from i = 0; IN-list lookups use the Email index."""
    first, n = emulator.control.generate_contacts(10_000)
    assert n == 10_000
    res = sf.query(
        "SELECT Id, Email FROM Contact WHERE Email IN ('user0@example.com', 'USER9999@example.com')"
    )
    assert sorted(r["Email"] for r in res["records"]) == [
        "user0@example.com",
        "user9999@example.com",
    ]
    table = emulator.emu.orgs["production"].tables["Contact"]
    assert "Email" in table.indexes
    # the index follows updates
    rid = res["records"][0]["Id"]
    sf.Contact.update(rid, {"Email": "moved@example.com"})
    again = sf.query(
        "SELECT Id FROM Contact WHERE Email IN ('moved@example.com', '"
        + res["records"][0]["Email"]
        + "')"
    )
    assert [r["Id"] for r in again["records"]] == [rid]


def test_demo_seed(emulator):
    """Seed: demo contacts, shared email, hidden field, orgs and users."""
    contacts = emulator.control.records("Contact")
    assert len(contacts) >= 30
    assert sum(1 for c in contacts if c["Email"] == seed.SHARED_EMAIL) == 2
    assert emulator.control.records("Contact", org="sandbox")
    users = emulator.control.users()
    assert seed.PRODUCTION_USERNAME in users["production"]
    assert seed.SANDBOX_USERNAME in users["sandbox"]
    assert seed.SANDBOX_USERNAME not in users["production"]
    uid = users["production"][seed.PRODUCTION_USERNAME]
    assert uid.startswith("005") and len(uid) == 18


def test_state_file_round_trip(tmp_path):
    """--state: records survive a restart."""
    state = tmp_path / "state.pickle"
    with EmulatorServer(cert_dir=tmp_path / "c1", state_file=state) as srv:
        cid = srv.control.records("Contact")[0]["Id"]
        s = make_session(srv)
        tok = login(srv, s)
        r = s.patch(
            f"{tok['instance_url']}/services/data/v62.0/sobjects/Contact/{cid}",
            json={"Upsell_Signal__c": "persisted"},
            headers={"Authorization": f"Bearer {tok['access_token']}"},
        )
        assert r.status_code == 204
    assert state.exists()
    with EmulatorServer(cert_dir=tmp_path / "c2", state_file=state) as srv:
        assert srv.control.get_record("Contact", cid)["Upsell_Signal__c"] == "persisted"
        # The old access token is gone, as after a session timeout; the refresh token still
        # works, so a connected app carries on after the emulator restarts.
        s = make_session(srv)
        expired = s.get(
            f"{srv.base_url}/services/data/v62.0/limits",
            headers={"Authorization": f"Bearer {tok['access_token']}"},
        )
        assert expired.status_code == 401
        refreshed = refresh(srv, s, tok["refresh_token"])
        assert refreshed.status_code == 200, refreshed.text
        assert refreshed.json()["access_token"]


def test_cli_prints_connection_details(tmp_path):
    """python -m salesforce_emulator: prints base URL, CA bundle, users, client id/secret."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "salesforce_emulator",
            "--port",
            "0",
            "--control-token",
            "t0k",
            "--redirect-uri",
            "https://extra.example/cb",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        deadline = time.time() + 30
        while time.time() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "control token" in line:
                break
        out = "".join(lines)
        assert seed.DEMO_CLIENT_ID in out and seed.DEMO_CLIENT_SECRET in out
        assert seed.PRODUCTION_USERNAME in out and seed.SANDBOX_USERNAME in out
        assert "https://extra.example/cb" in out
        base = re.search(r"listening on (https://127\.0\.0\.1:\d+)", out).group(1)
        ca = tmp_path / "var" / "emulator" / "ca.pem"
        assert ca.exists() and str(ca) in out
        s = requests.Session()
        s.trust_env = False
        r = s.get(f"{base}/__emulator__/info", headers={"X-Emulator-Token": "t0k"}, verify=str(ca))
        assert r.json()["base_url"] == base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize("n", [200_000])
def test_generator_is_fast(emulator, n):
    """Generator speed (not a benchmark assertion; 1M takes about a second, see bench.py)."""
    t0 = time.perf_counter()
    emulator.control.generate_contacts(n)
    assert time.perf_counter() - t0 < 30
    assert emulator.control.count("Contact") == len(seed._PEOPLE) + n


def test_ca_is_reused_across_restarts(tmp_path):
    """TLS: the CA in cert_dir is kept, so clients that trust ca.pem keep working."""
    with EmulatorServer(cert_dir=tmp_path) as a:
        first = Path(a.ca_bundle).read_bytes()
    with EmulatorServer(cert_dir=tmp_path) as b:
        assert Path(b.ca_bundle).read_bytes() == first
        s = make_session(b)
        assert s.get(f"{b.base_url}/services/data/").status_code == 200
        assert s.get(f"{b.sandbox_login_url}/services/data/").status_code == 200
