"""The Salesforce emulator in a separate process (`python -m salesforce_emulator`), driven
over its token-guarded HTTP control API, and an OAuth-free way to write records for setup."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import requests

CONTROL_TOKEN = "bench-control-token"


class RemoteEmulator:
    """Starts the emulator process and talks to it; use as a context manager."""

    def __init__(self, work_dir: Path) -> None:
        self.cert_dir = work_dir / "emulator"
        self.process: subprocess.Popen | None = None
        self.base_url = ""
        self.http = requests.Session()
        self.http.trust_env = False  # REQUESTS_CA_BUNDLE must not override our CA

    @property
    def ca_bundle(self) -> str:
        return str(self.cert_dir / "ca.pem")

    @property
    def production_login_url(self) -> str:
        return self.base_url

    @property
    def sandbox_login_url(self) -> str:
        return self.base_url.replace("127.0.0.1", "localhost")

    def __enter__(self) -> RemoteEmulator:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "salesforce_emulator",
                "--port",
                "0",
                "--cert-dir",
                str(self.cert_dir),
                "--control-token",
                CONTROL_TOKEN,
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        banner = ""
        deadline = time.monotonic() + 60
        while "control token" not in banner:
            line = self.process.stdout.readline()
            if not line or time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError(f"the emulator did not start:\n{banner}")
            banner += line
        self.base_url = re.search(r"listening on (\S+)", banner).group(1)
        self.http.verify = self.ca_bundle
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    # ------------------------------------------------------------------ control API

    def control(self, method: str, name: str, **body: object) -> dict:
        response = self.http.request(
            method,
            f"{self.base_url}/__emulator__/{name}",
            json=body or None,
            headers={"X-Emulator-Token": CONTROL_TOKEN},
            timeout=300,
        )
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        self.control("POST", "reset")

    def set_latency(self, ms: int) -> None:
        self.control("POST", "latency", ms=ms)

    def generate_contacts(self, n: int) -> int:
        """Adds Contacts user{i}@example.com, i in [0, n); returns the first one's row."""
        return int(self.control("POST", "generate-contacts", n=n)["first_row"])

    def request_counts(self) -> dict[str, int]:
        return self.control("GET", "request-counts")

    def reset_request_counts(self) -> None:
        self.control("DELETE", "request-counts")

    def server_cpu_seconds(self) -> float:
        """CPU the emulator process has used so far (user + system)."""
        import os

        with open(f"/proc/{self.process.pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
