"""`python -m salesforce_emulator` in a child process, for benchmarks that must not share a
CPU-bound interpreter with the emulator. Use as a context manager."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import requests

STARTUP_TIMEOUT_SECONDS = 60


class EmulatorProcess:
    """Starts the emulator, reads its banner for the URL, and drives its HTTP control API."""

    def __init__(self, cert_dir: Path | str, control_token: str) -> None:
        self.cert_dir = Path(cert_dir)
        self.control_token = control_token
        self.process: subprocess.Popen | None = None
        self.base_url = ""
        self.http = requests.Session()
        self.http.trust_env = False  # REQUESTS_CA_BUNDLE must not override the emulator's CA

    @property
    def ca_bundle(self) -> str:
        return str(self.cert_dir / "ca.pem")

    @property
    def production_login_url(self) -> str:
        return self.base_url

    @property
    def sandbox_login_url(self) -> str:
        return self.base_url.replace("127.0.0.1", "localhost")

    def __enter__(self) -> EmulatorProcess:
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
                self.control_token,
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        banner = ""
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
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

    def control(self, method: str, name: str, **body: object) -> dict:
        response = self.http.request(
            method,
            f"{self.base_url}/__emulator__/{name}",
            json=body or None,
            headers={"X-Emulator-Token": self.control_token},
            timeout=300,
        )
        response.raise_for_status()
        return response.json()

    def cpu_seconds(self) -> float:
        """CPU the emulator process has used so far (user + system)."""
        with open(f"/proc/{self.process.pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        """Resident memory of the emulator process now."""
        with open(f"/proc/{self.process.pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0
