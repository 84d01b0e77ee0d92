"""The Salesforce emulator in a separate process (`python -m salesforce_emulator`), driven
over its token-guarded HTTP control API, and an OAuth-free way to write records for setup."""

from __future__ import annotations

from pathlib import Path

from salesforce_emulator.process import EmulatorProcess

CONTROL_TOKEN = "bench-control-token"


class RemoteEmulator(EmulatorProcess):
    """The emulator process with the control calls the benchmark makes."""

    def __init__(self, work_dir: Path) -> None:
        super().__init__(work_dir / "emulator", CONTROL_TOKEN)

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
