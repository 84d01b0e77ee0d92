"""``python -m salesforce_emulator --port 8443 [--seed demo] ...``: run the emulator standalone."""

from __future__ import annotations

import argparse
import signal
import threading

from . import seed
from .server import EmulatorServer


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m salesforce_emulator", description=__doc__)
    p.add_argument("--port", type=int, default=8443)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--seed", default="demo", choices=["demo", "empty"])
    p.add_argument("--latency-ms", type=int, default=0)
    p.add_argument(
        "--state", default=None, help="pickle file: loaded at start if present, saved at exit"
    )
    p.add_argument(
        "--redirect-uri", action="append", default=[], help="extra OAuth callback URL (repeatable)"
    )
    p.add_argument(
        "--control-token",
        default=None,
        help="X-Emulator-Token for /__emulator__/ (random if omitted)",
    )
    p.add_argument(
        "--cert-dir", default="var/emulator", help="where ca.pem and the server cert are written"
    )
    p.add_argument(
        "--generate-contacts",
        type=int,
        default=0,
        help="add N generated Contacts (user{i}@example.com)",
    )
    p.add_argument(
        "--bulk-delay", type=float, default=0.0, help="seconds before Bulk jobs complete"
    )
    args = p.parse_args(argv)

    server = EmulatorServer(
        port=args.port,
        host=args.host,
        seed=args.seed,
        latency_ms=args.latency_ms,
        state_file=args.state,
        cert_dir=args.cert_dir,
        control_token=args.control_token,
        redirect_uris=args.redirect_uri,
    )
    server.start()
    if args.generate_contacts:
        server.control.generate_contacts(args.generate_contacts)
    if args.bulk_delay:
        server.control.set_bulk_delay(args.bulk_delay)
    app = server.emu.apps[seed.DEMO_CLIENT_ID]
    print(f"Salesforce emulator listening on {server.base_url}", flush=True)
    print(f"  base URL:              {server.base_url}")
    print(f"  production login host: {server.production_login_url}")
    print(f"  sandbox login host:    {server.sandbox_login_url}")
    print(f"  CA bundle:             {server.ca_bundle}")
    print(f"  client_id:             {app.client_id}")
    print(f"  client_secret:         {app.client_secret}")
    print(f"  redirect URIs:         {', '.join(app.redirect_uris)}")
    print(f"  production user:       {seed.PRODUCTION_USERNAME} / {seed.DEMO_PASSWORD}")
    print(f"  sandbox user:          {seed.SANDBOX_USERNAME} / {seed.DEMO_PASSWORD}")
    for key, org in server.emu.orgs.items():
        print(f"  {key} org id:{' ' * (14 - len(key))}{org.org_id}")
    print(f"  control token:         {server.control_token}", flush=True)

    done = threading.Event()
    signal.signal(signal.SIGINT, lambda *a: done.set())
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    done.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
