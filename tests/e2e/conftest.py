"""Browser fixtures: Playwright driving Debian's Chromium (no downloaded browsers here).

Screenshots go to test-artifacts/ so a failing run can be looked at. When chromium is
missing the tests are skipped, unless REQUIRE_BROWSER is set (CI sets it).
"""

import base64
import hashlib
import os
import shutil
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

# Playwright's sync API keeps an event loop running in the test thread; the ORM calls the
# tests make there (fixtures, assertions) are still synchronous, so Django must allow them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")


def spki_sha256(leaf_pem_path: Path) -> str:
    """Base64 SHA-256 of a certificate's SubjectPublicKeyInfo, as Chromium's SPKI lists want."""
    leaf = x509.load_pem_x509_certificate(leaf_pem_path.read_bytes())  # first cert = leaf
    spki = leaf.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


@pytest.fixture(scope="session")
def chromium_browser(salesforce_emulator_server):
    path = _chromium_path()
    if not path:
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail("Debian's chromium is required (REQUIRE_BROWSER is set) but not found")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Trust exactly the emulator's certificate (its sign-in pages are HTTPS), nothing else.
        leaf = Path(salesforce_emulator_server.cert_dir) / "server-chain.pem"
        trust_emulator = f"--ignore-certificate-errors-spki-list={spki_sha256(leaf)}"
        browser = playwright.chromium.launch(
            executable_path=path, headless=True, args=[*CHROMIUM_FLAGS, trust_emulator]
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium_browser, request):
    context = chromium_browser.new_context(ignore_https_errors=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-final.png"), full_page=True)
    context.close()


@pytest.fixture
def screenshot(page, request):
    """Call screenshot("step-name") to keep a picture of the current page as an artefact."""

    def take(step: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{request.node.name}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def admin_page(page, live_server, alice):
    """A browser page signed in to the admin as alice (the admin's login is allauth's)."""
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=login]", "alice")
    page.fill("input[name=password]", "alice-password-1")
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    return page
