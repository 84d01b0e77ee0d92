"""Test-run defaults, set before Django reads its settings (loaded with `-p` in pyproject).

Tests use production settings (DEBUG off) with fixed test keys, over plain HTTP.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("TOKEN_ENCRYPTION_KEYS", "QaurrvAdUTBb51yZE_6diDCdTi8X54rJ-OBv-57inyo=")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "false")
os.environ.setdefault("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
os.environ.setdefault(
    "WALKME_VAR_DIR", os.path.join(os.path.dirname(os.path.dirname(__file__)), "var", "test")
)
