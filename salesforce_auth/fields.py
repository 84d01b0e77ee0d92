"""A text field whose column only ever holds ciphertext."""

from django.db import models

from salesforce_auth import crypto


class EncryptedTextField(models.TextField):
    """Encrypts on save and decrypts on load; an empty string means "no secret".

    Values are decrypted lazily by the descriptor-free approach of from_db_value: a bad key
    therefore fails loudly when the row is loaded, never by sending ciphertext as a token.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs["editable"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        if not value:
            return ""
        return EncryptedValue(value)

    def get_prep_value(self, value):
        # Checked before TextField's to_python, which would str() the wrapper into
        # "<encrypted>" and encrypt that in place of the real token.
        if isinstance(value, EncryptedValue):
            return value.ciphertext
        value = super().get_prep_value(value)
        if not value:
            return ""
        return crypto.encrypt(str(value))


class EncryptedValue:
    """Ciphertext loaded from the database, decrypted only when asked for.

    Its repr never shows the secret, so it cannot leak through logs or error pages.
    """

    __slots__ = ("ciphertext",)

    def __init__(self, ciphertext: str) -> None:
        self.ciphertext = ciphertext

    def reveal(self) -> str:
        return crypto.decrypt(self.ciphertext)

    def __bool__(self) -> bool:
        return bool(self.ciphertext)

    def __repr__(self) -> str:
        return "<encrypted>"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EncryptedValue) and other.ciphertext == self.ciphertext

    def __hash__(self) -> int:
        return hash(self.ciphertext)


def reveal(value: "EncryptedValue | str") -> str:
    """The plaintext of a field value, whether loaded from the database or just assigned."""
    if isinstance(value, EncryptedValue):
        return value.reveal()
    return value or ""
