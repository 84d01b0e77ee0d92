"""Run the web server, a Celery worker and Celery beat in one foreground command.

Without SALESFORCE_CLIENT_ID in the environment it also starts the Salesforce emulator
(a production and a sandbox org seeded with demo contacts) and points the app at it, and
creates a demo WalkMe report, so a fresh machine can try everything with no Salesforce.
With real SALESFORCE_CLIENT_ID / SALESFORCE_CLIENT_SECRET it talks to real Salesforce.

Ctrl-C (or SIGTERM) stops all of them; if one exits, the others are stopped too, so a
newcomer never ends up with half the system running.
"""

import argparse
import json
import os
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from salesforce_emulator import seed  # noqa: E402  (needs ROOT on sys.path)

# Both demo orgs get these contacts (user0@example.com ...); the demo report matches them.
DEMO_CONTACTS = 500


def _wait_for_port(host: str, port: int, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"The Salesforce emulator exited with code {process.returncode}.")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"The Salesforce emulator did not listen on {host}:{port} in {timeout}s.")


def start_emulator(python: str, var: Path, port: int, web_port: int):
    """Start the emulator; return (process, the environment that points the app at it)."""
    folder = var / "emulator"
    folder.mkdir(parents=True, exist_ok=True)
    # The orgs' records and refresh tokens survive restarts (saved on exit), so a connected
    # account keeps working: its first call after a restart refreshes the access token.
    state = folder / "state.pickle"
    fresh = not state.exists()
    token = secrets.token_urlsafe(18)
    command = [python, "-m", "salesforce_emulator", "--port", str(port), "--seed", "demo"]
    command += ["--cert-dir", str(folder), "--state", str(state), "--control-token", token]
    for host in ("127.0.0.1", "localhost"):
        command += ["--redirect-uri", f"http://{host}:{web_port}/salesforce/oauth/callback/"]
    if fresh:
        command += ["--generate-contacts", str(DEMO_CONTACTS)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    _wait_for_port("127.0.0.1", port, process, timeout=30)
    ca_bundle = folder / "ca.pem"
    if fresh:
        request = urllib.request.Request(
            f"https://127.0.0.1:{port}/__emulator__/generate-contacts",
            data=json.dumps({"n": DEMO_CONTACTS, "org": "sandbox"}).encode(),
            headers={"X-Emulator-Token": token, "Content-Type": "application/json"},
            method="POST",
        )
        context = ssl.create_default_context(cafile=str(ca_bundle))
        urllib.request.urlopen(request, context=context, timeout=30).read()
    env = {
        "SALESFORCE_CLIENT_ID": seed.DEMO_CLIENT_ID,
        "SALESFORCE_CLIENT_SECRET": seed.DEMO_CLIENT_SECRET,
        "SALESFORCE_LOGIN_URL_PRODUCTION": f"https://127.0.0.1:{port}",
        "SALESFORCE_LOGIN_URL_SANDBOX": f"https://localhost:{port}",
        "SALESFORCE_CA_BUNDLE": str(ca_bundle),
    }
    return process, env


def demo_instructions(admin_url: str, emulator: bool) -> str:
    lines = [f"  WalkMe → Salesforce is running. Admin: {admin_url}", ""]
    if emulator:
        lines += [
            "  No SALESFORCE_CLIENT_ID is set, so a Salesforce emulator plays Salesforce.",
            "  To try it:",
            "   1. Sign in to the admin (the user ensure_admin printed above).",
            "   2. Salesforce Integrations (step 1 on the admin home) → + Add account next to",
            f"      Sandbox; sign in as {seed.SANDBOX_USERNAME} / {seed.DEMO_PASSWORD}, then",
            "      Allow. Your browser does not know the emulator's local certificate authority",
            "      (var/emulator/ca.pem) and warns once: choose Advanced → Proceed.",
            "   3. Integrations → Create new integration: pick the sandbox account and",
            "      'Demo (WalkMe Production)', report 'Onboarding and NPS (demo)', object",
            "      Contact, key column email → field Email; map a few columns; Save.",
            "   4. In the integration's Options menu: Run now, then Logs → View log.",
            f"  (Production org user: {seed.PRODUCTION_USERNAME} / {seed.DEMO_PASSWORD}.)",
        ]
    lines += ["", "  Health: " + admin_url.replace("/admin/", "/healthz"), "  Ctrl-C stops all."]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--emulator-port", type=int, default=int(os.environ.get("SALESFORCE_EMULATOR_PORT", 8443))
    )
    args = parser.parse_args()

    python = sys.executable
    var = Path(os.environ.get("WALKME_VAR_DIR", ROOT / "var"))
    var.mkdir(exist_ok=True)
    processes: dict[str, subprocess.Popen] = {}
    env = dict(os.environ)
    use_emulator = not os.environ.get("SALESFORCE_CLIENT_ID")
    if use_emulator:
        processes["emulator"], emulator_env = start_emulator(
            python, var, args.emulator_port, args.port
        )
        env.update(emulator_env)
        seeded = subprocess.run([python, "manage.py", "seed_demo"], cwd=ROOT, env=env)
        if seeded.returncode != 0:
            processes["emulator"].terminate()
            processes["emulator"].wait(15)
            return seeded.returncode
    commands = {
        "web": [python, "manage.py", "runserver", f"{args.host}:{args.port}", "--noreload"],
        "worker": [
            python,
            "-m",
            "celery",
            "-A",
            "walkme_integration",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            "2",
        ],
        "beat": [
            python,
            "-m",
            "celery",
            "-A",
            "walkme_integration",
            "beat",
            "--loglevel",
            "INFO",
            "--scheduler",
            "django_celery_beat.schedulers:DatabaseScheduler",
            "--pidfile",
            str(var / "celerybeat.pid"),
        ],
    }
    for name, command in commands.items():
        processes[name] = subprocess.Popen(command, cwd=ROOT, env=env)

    admin_url = f"http://{args.host}:{args.port}/admin/"
    print("\n" + demo_instructions(admin_url, use_emulator) + "\n", flush=True)

    stopping = False

    def stop(*_signal_args) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, process in processes.items():
            code = process.poll()
            if code is not None:
                print(f"{name} exited with code {code}; stopping the rest.", file=sys.stderr)
                exit_code = code or 1
                stopping = True
                break
        time.sleep(0.5)

    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
