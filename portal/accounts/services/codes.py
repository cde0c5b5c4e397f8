"""Single-use codes: 6-digit SMS codes that prove a phone number, and the attempt rules every code shares."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import ratelimit
from portal.accounts.audit import audit_record
from portal.accounts.messaging import message_send
from portal.accounts.models import CodePurpose, OneTimeCode, SingleUseCode
from portal.accounts.validators import clean_phone
from portal.crypto import constant_time_equals, lookup_hash
from portal.errors import DomainError
from portal.masking import mask_phone


def code_attempt(code: SingleUseCode, *, given_hash: str, invalid: DomainError, locked: DomainError) -> None:
    """Count one attempt at `code` and check it. Call it outside any transaction that may roll back,
    so that a wrong attempt stays counted."""
    if (
        not type(code)
        .objects.filter(pk=code.pk, attempts__lt=settings.ONE_TIME_CODE_MAX_ATTEMPTS)
        .update(attempts=F("attempts") + 1)
    ):
        raise locked
    if not constant_time_equals(code.code_hash, given_hash):
        raise invalid


def code_claim(code: SingleUseCode, *, invalid: DomainError) -> None:
    """Use `code` up; of two requests racing with the same code only one gets here without an error."""
    if not type(code).objects.filter(pk=code.pk, used_at__isnull=True).update(used_at=timezone.now()):
        raise invalid


def code_invalid() -> DomainError:
    return DomainError("code_invalid", _("The verification code is wrong or has expired. Request a new code."))


def _code_hash(target_hash: str, code: str) -> str:
    return lookup_hash(f"{target_hash}:{code}", purpose="otp")


def one_time_code_issue(*, purpose: str, phone: str) -> str:
    """A new code for `phone`; only the newest one counts, older unused ones stop working."""
    code = f"{secrets.randbelow(10**6):06d}"
    target_hash = lookup_hash(phone)
    now = timezone.now()
    OneTimeCode.objects.filter(purpose=purpose, target_hash=target_hash, used_at__isnull=True).update(used_at=now)
    OneTimeCode.objects.create(
        purpose=purpose,
        target_hash=target_hash,
        code_hash=_code_hash(target_hash, code),
        expires_at=now + settings.ONE_TIME_CODE_TTL,
    )
    return code


def one_time_code_check(*, purpose: str, phone: str, code: str, locked: DomainError | None = None) -> OneTimeCode:
    """The newest unused code for `phone`, if `code` matches it (the attempt is counted); else an error.

    `locked` is what too many wrong attempts answer (default: `code_locked`)."""
    invalid = code_invalid()
    target_hash = lookup_hash(phone)
    current = (
        OneTimeCode.objects.filter(
            purpose=purpose, target_hash=target_hash, used_at__isnull=True, expires_at__gt=timezone.now()
        )
        .order_by("-created_at")
        .first()
    )
    if current is None:
        raise invalid
    locked = locked or DomainError("code_locked", _("Too many wrong codes. Request a new code."))
    code_attempt(current, given_hash=_code_hash(target_hash, (code or "").strip()), invalid=invalid, locked=locked)
    return current


def one_time_code_consume(*, purpose: str, phone: str, code: str) -> None:
    current = one_time_code_check(purpose=purpose, phone=phone, code=code)
    code_claim(
        current,
        invalid=DomainError("code_invalid", _("The verification code is wrong or has expired. Request a new code.")),
    )


def one_time_codes_purge() -> int:
    deleted, _rows = OneTimeCode.objects.filter(expires_at__lt=timezone.now() - timedelta(days=1)).delete()
    return deleted


def phone_code_request(*, phone: str, purpose: str = CodePurpose.REGISTER, ip: str) -> None:
    """Send a registration code (A1). Always sent, also to a registered number: the owner proves it."""
    ratelimit.hit("code:ip", ip)
    phone = clean_phone(phone)
    ratelimit.hit("code:phone-burst", phone)
    ratelimit.hit("code:phone", phone)
    with transaction.atomic():
        code = one_time_code_issue(purpose=purpose, phone=phone)
        message_send(
            recipient=phone,
            text=_("[E-licence] Your verification code is %(code)s. It expires in 10 minutes. Do not share it.")
            % {"code": code},
        )
        audit_record(actor=None, action="phone_code.sent", data={"phone": mask_phone(phone), "purpose": purpose}, ip=ip)
