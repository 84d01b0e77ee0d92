"""Key rotation for every EncryptedTextField in the project."""

from django.apps import apps
from django.db import transaction

from salesforce_auth import crypto
from salesforce_auth.fields import EncryptedTextField, EncryptedValue


def encrypted_fields() -> list[tuple[type, list[str]]]:
    """Every model with encrypted columns (SalesforceConnection tokens, report secrets...)."""
    found = []
    for model in apps.get_models():
        names = [f.name for f in model._meta.get_fields() if isinstance(f, EncryptedTextField)]
        if names:
            found.append((model, names))
    return found


def rotate_all_secrets() -> dict[str, int]:
    """Re-encrypt each stored secret with the first key; raises if a secret cannot be read.

    All or nothing: a value no key decrypts aborts the rotation before anything is written.
    """
    counts: dict[str, int] = {}
    with transaction.atomic():
        for model, names in encrypted_fields():
            rotated = 0
            for row in model._default_manager.select_for_update().only("pk", *names):
                changes = {
                    name: EncryptedValue(crypto.rotate(value.ciphertext))
                    for name in names
                    if isinstance(value := getattr(row, name), EncryptedValue) and value
                }
                if changes:
                    model._default_manager.filter(pk=row.pk).update(**changes)
                    rotated += len(changes)
            counts[f"{model._meta.app_label}.{model.__name__}"] = rotated
    return counts
