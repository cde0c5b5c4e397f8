"""Rules that several account services apply: new passwords, and the limits on attempts at an account."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from portal import ratelimit
from portal.accounts import selectors
from portal.accounts.models import User
from portal.accounts.validators import normalise_id_number, normalise_phone
from portal.errors import DomainError


def new_password_validate(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError("weak_password", " ".join(exc.messages), fields={"password": list(exc.messages)}) from None


def account_limits_hit(scope: str, *, identifier: str, ip: str) -> User | None:
    """Count one attempt at an account: per client address (`<scope>:ip`), then, whichever way its
    log-in name is spelt (ID number, phone in any format, username), per account and address
    (`<scope>:account-ip`) and per account with a far higher ceiling (`<scope>:account`). A name with
    no account is counted as that name. Returns the account the name belongs to, if any."""
    ratelimit.hit(f"{scope}:ip", ip)
    user = selectors.user_by_login_name(identifier)
    account = (
        f"user:{user.pk}"
        if user is not None
        else f"name:{normalise_phone(identifier) or normalise_id_number(identifier)}"
    )
    ratelimit.hit(f"{scope}:account-ip", f"{account}|{ip}")
    ratelimit.hit(f"{scope}:account", account)
    return user
