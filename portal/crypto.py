"""Personal data at rest: Fernet encryption (key rotation via MultiFernet) and keyed look-up hashes.

The full ID and phone numbers are stored encrypted; a keyed HMAC of the normalised value is
stored beside them so that look-ups and uniqueness work without decrypting (security.md).
"""

import hashlib
import hmac
import secrets
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.FIELD_ENCRYPTION_KEYS])


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError("encrypted value cannot be read with the configured keys") from None


def rotate(token: str) -> str:
    """Re-encrypt with the newest key (the value is unchanged)."""
    return _fernet().rotate(token.encode()).decode()


def lookup_hash(value: str, *, purpose: str = "pii") -> str:
    return hmac.new(settings.FIELD_HASH_KEY.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def constant_time_equals(a: str, b: str) -> bool:
    return secrets.compare_digest(a.encode(), b.encode())


class EncryptedTextField(models.TextField):
    """A text column whose value is Fernet-encrypted in the database and plain in Python."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
