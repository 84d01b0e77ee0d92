"""Encryption of secrets at rest (Salesforce tokens, report-source credentials).

MultiFernet over the keys in TOKEN_ENCRYPTION_KEYS: the first key encrypts, every key
decrypts, so keys can be rotated (see the `rotate_token_keys` management command).
"""

from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Encrypted values carry this prefix so a plaintext value can never be mistaken for one.
PREFIX = "fernet:"


class TokenDecryptionError(ImproperlyConfigured):
    """No configured key decrypts a stored secret: a configuration problem, not a revocation."""


def _dev_key_path() -> Path:
    return Path(settings.VAR_DIR) / "dev-token-key"


def _configured_keys() -> list[str]:
    keys = list(settings.TOKEN_ENCRYPTION_KEYS)
    if keys:
        return keys
    if not settings.DEBUG:
        raise ImproperlyConfigured("TOKEN_ENCRYPTION_KEYS must be set when DJANGO_DEBUG is off")
    # Development only: a key generated once into var/ so `make run` needs no setup.
    path = _dev_key_path()
    if not path.exists():
        path.write_text(Fernet.generate_key().decode())
        path.chmod(0o600)
    return [path.read_text().strip()]


@lru_cache(maxsize=8)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError):
        raise ImproperlyConfigured(
            "TOKEN_ENCRYPTION_KEYS holds a value that is not a Fernet key "
            "(32 url-safe base64-encoded bytes; make one with `python -c 'from "
            "cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)"
        ) from None


def fernet() -> MultiFernet:
    return _fernet_for(tuple(_configured_keys()))


def encrypt(plaintext: str) -> str:
    return PREFIX + fernet().encrypt(plaintext.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        raise TokenDecryptionError(
            "A stored secret is not in the encrypted format; refusing to use it"
        )
    try:
        return fernet().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        raise TokenDecryptionError(
            "No key in TOKEN_ENCRYPTION_KEYS decrypts a stored secret. Add the key it was "
            "encrypted with to TOKEN_ENCRYPTION_KEYS (after the current one) and restart."
        ) from None


def rotate(stored: str) -> str:
    """Re-encrypt a stored value with the first (current) key."""
    if not stored.startswith(PREFIX):
        raise TokenDecryptionError("A stored secret is not in the encrypted format")
    try:
        return PREFIX + fernet().rotate(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        raise TokenDecryptionError(
            "No key in TOKEN_ENCRYPTION_KEYS decrypts a stored secret"
        ) from None
