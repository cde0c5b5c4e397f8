"""Logging in (by ID number, phone or staff username), API tokens, and password recovery (A6)."""

from django.contrib.auth import authenticate
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from portal.accounts.audit import audit_record
from portal.accounts.messaging import message_send
from portal.accounts.models import CodePurpose, User
from portal.accounts.services.codes import code_claim, code_invalid, one_time_code_check, one_time_code_issue
from portal.accounts.services.common import account_limits_hit, new_password_validate
from portal.errors import DomainError


def user_authenticate(*, identifier: str, password: str, ip: str, request=None) -> User:
    """The user behind a log-in name and password; rate-limited per account and per IP, audited."""
    account_limits_hit("login", identifier=identifier, ip=ip)
    user = authenticate(request, username=identifier, password=password)
    if user is None:
        audit_record(actor=None, action="login.failed", data={}, ip=ip)
        raise DomainError(
            "invalid_credentials", _("The account or password is wrong, or the account is not activated yet.")
        )
    audit_record(actor=user, action="login.succeeded", obj=user, ip=ip)
    return user


def api_token_issue(*, user: User) -> str:
    token, _created = Token.objects.get_or_create(user=user)
    return token.key


def _recoverable(user: User | None) -> User | None:
    """An account whose password can be reset: active, with a phone to send the code to."""
    return user if user is not None and user.is_active and user.phone else None


def password_reset_request(*, username: str, ip: str) -> None:
    """Always the same answer; a code goes only to the registered phone of an active account."""
    user = _recoverable(account_limits_hit("reset", identifier=username, ip=ip))
    if user is None:
        audit_record(actor=None, action="password_reset.requested_unknown", ip=ip)
        return
    with transaction.atomic():
        code = one_time_code_issue(purpose=CodePurpose.PASSWORD_RESET, phone=user.phone)
        message_send(
            recipient=user.phone,
            user=user,
            text=_("[E-licence] Your password reset code is %(code)s. It expires in 10 minutes. Do not share it.")
            % {"code": code},
        )
        audit_record(actor=None, action="password_reset.requested", obj=user, ip=ip)


def password_reset_confirm(*, username: str, code: str, new_password: str, ip: str) -> User:
    user = _recoverable(account_limits_hit("reset", identifier=username, ip=ip))
    # The code first, and one answer for an unknown account, a wrong or used-up code: only the owner
    # of the registered phone learns that the account exists (or that the new password is weak).
    invalid = code_invalid()
    if user is None:
        raise invalid
    current = one_time_code_check(purpose=CodePurpose.PASSWORD_RESET, phone=user.phone, code=code, locked=invalid)
    new_password_validate(new_password, user)
    with transaction.atomic():
        code_claim(current, invalid=invalid)
        user.set_password(new_password)
        user.save(update_fields=["password"])
        Token.objects.filter(user=user).delete()  # API tokens die with the old password; sessions too
        audit_record(actor=user, action="password_reset.completed", obj=user, ip=ip)
        message_send(
            recipient=user.phone,
            user=user,
            text=_("[E-licence] Your password was changed. If this was not you, call the service hotline."),
        )
    return user
