"""Shared copies (L6): a copy for one purpose, verifiable until it expires or its holder revokes it."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from licences import selectors, tokens
from licences.models import Share
from portal.accounts.audit import audit_record
from portal.accounts.models import User
from portal.dates import field_error
from portal.errors import DomainError, NotFoundError

SHARE_MAX_DAYS = 30


def share_create(*, user: User, purpose: str, valid_days, ip: str | None = None) -> Share:
    elicence = selectors.elicence_current_for(user)
    if elicence is None:
        raise NotFoundError("not_found", _("You have no e-licence."))
    if not elicence.is_valid:
        raise DomainError("elicence_not_valid", _("This e-licence is not valid."), status=409)
    purpose = " ".join((purpose or "").split())
    if not 2 <= len(purpose) <= 100:
        raise field_error("purpose", _("Say what the copy is for (2 to 100 characters)."))
    try:
        days = int(valid_days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= SHARE_MAX_DAYS:
        raise field_error("valid_days", _("A copy is valid for 1 to 30 days."))
    with transaction.atomic():
        share = Share.objects.create(
            elicence=elicence,
            purpose=purpose,
            code=tokens.random_code(tokens.SHARE_CODE_LENGTH),
            expires_at=timezone.now() + timedelta(days=days),
        )
        audit_record(actor=user, action="share.created", obj=share, data={"purpose": purpose, "days": days}, ip=ip)
    return share


def share_revoke(*, user: User, share_id, ip: str | None = None) -> Share:
    share = selectors.share_of_holder(user=user, share_id=share_id)
    with transaction.atomic():
        if Share.objects.filter(pk=share.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
            audit_record(actor=user, action="share.revoked", obj=share, ip=ip)
    share.refresh_from_db()
    return share
