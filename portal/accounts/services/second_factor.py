"""The staff's second factor (TOTP, django-otp): enrolment of an authenticator app, and the check."""

from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal import ratelimit
from portal.accounts.audit import audit_record
from portal.accounts.models import User
from portal.errors import DomainError

DEVICE_NAME = "authenticator app"


def second_factor_device(user: User) -> TOTPDevice:
    """The staff member's authenticator: the confirmed one, else one waiting to be enrolled."""
    if not user.is_staff:
        raise DomainError("permission_denied", _("You do not have permission to do this."), status=403)
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if confirmed is not None:
        return confirmed
    device, _created = TOTPDevice.objects.get_or_create(user=user, confirmed=False, defaults={"name": DEVICE_NAME})
    return device


def second_factor_check(*, user: User, otp_token: str, ip: str) -> TOTPDevice:
    """The device that accepted this 6-digit code (enrolling it if it was new); else `code_invalid`.

    Counted per account and address like a password, and each device throttles wrong codes itself."""
    ratelimit.hit("otp:account-ip", f"user:{user.pk}|{ip}")
    device = second_factor_device(user)
    if not device.verify_token((otp_token or "").strip()):
        audit_record(actor=user, action="login.second_factor_failed", obj=user, ip=ip)
        raise DomainError("code_invalid", _("The code from your authenticator app is wrong. Try the current one."))
    with transaction.atomic():
        if not device.confirmed:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            audit_record(actor=user, action="second_factor.enrolled", obj=user, ip=ip)
        audit_record(actor=user, action="login.second_factor_passed", obj=user, ip=ip)
    return device
