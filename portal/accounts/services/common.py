"""Rules that several account services apply: new passwords, and the rate-limit key of a log-in name."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from portal.accounts.models import User
from portal.accounts.validators import normalise_id_number, normalise_phone
from portal.errors import DomainError


def new_password_validate(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError("weak_password", " ".join(exc.messages), fields={"password": list(exc.messages)}) from None


def login_name_key(identifier: str) -> str:
    """The rate-limit key of a log-in name: the same for '139 1234 5678' and '+8613912345678'."""
    return normalise_phone(identifier) or normalise_id_number(identifier)
