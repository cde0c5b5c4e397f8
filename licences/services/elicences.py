"""E-licences (L3): issue, invalidate (L7), short-lived QR tokens, the daily expiry sweep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from licences import mdoc, selectors, signed_qr, tokens
from licences.models import ELicence, ELicenceState, InvalidReason, Licence, LicenceStatus, QRCode
from portal.accounts.audit import audit_record
from portal.accounts.messaging import message_send
from portal.accounts.models import User
from portal.db import savepoint_if_in_transaction
from portal.errors import DomainError
from portal.masking import mask_name


def holder_notify(holder: User, text: str) -> None:
    if holder.phone:
        message_send(recipient=holder.phone, user=holder, text=text)


ISSUED_MESSAGE = gettext_noop("[E-licence] Your electronic driving licence was issued. Open the portal to show it.")


# --- L3: e-licences ---------------------------------------------------------------------------------
MESSAGES_ON_INVALID = {
    InvalidReason.LICENCE_CHANGED: gettext_noop(
        "[E-licence] Your licence was changed (classes, validity or issuer). "
        "Your e-licence is no longer valid: please apply again."
    ),
    InvalidReason.LICENCE_REVOKED: gettext_noop(
        "[E-licence] Your licence was revoked. Your e-licence is no longer valid."
    ),
    InvalidReason.LICENCE_CANCELLED: gettext_noop(
        "[E-licence] Your licence was cancelled. Your e-licence is no longer valid."
    ),
    InvalidReason.LICENCE_EXPIRED: gettext_noop(
        "[E-licence] Your licence has expired. Your e-licence is no longer valid."
    ),
    InvalidReason.LICENCE_SUSPENDED: gettext_noop(
        "[E-licence] Your licence is suspended. Your e-licence is not valid meanwhile."
    ),
}


def elicence_invalidate(*, elicence: ELicence, reason: str, actor=None) -> bool:
    """Idempotent: an e-licence already invalid stays as it is (the first reason is kept)."""
    with transaction.atomic():
        done = ELicence.objects.filter(pk=elicence.pk, state=ELicenceState.VALID).update(
            state=ELicenceState.INVALID, invalid_reason=reason, invalidated_at=timezone.now()
        )
        if not done:
            return False
        audit_record(actor=actor, action="elicence.invalidated", obj=elicence, data={"reason": reason})
        holder_notify(elicence.holder, _(MESSAGES_ON_INVALID[reason]))
    elicence.refresh_from_db()
    return True


def elicence_issue(*, licence: Licence, holder: User, actor=None, ip: str | None = None) -> ELicence:
    """Issue the e-licence (called by auto-approval; staff may issue from the admin for testing)."""
    if holder.id_number_hash != licence.number_hash:
        raise DomainError("licence_not_holders", _("This licence belongs to someone else."), status=403)
    if licence.status != LicenceStatus.NORMAL:
        raise DomainError("licence_not_eligible", _("An e-licence cannot be issued for a licence in this status."))
    if licence.is_overdue:
        raise DomainError("licence_not_eligible", _("The licence has expired."))
    try:
        with transaction.atomic():
            elicence = ELicence.objects.create(licence=licence, holder=holder, licence_version=licence.version)
            audit_record(actor=actor, action="elicence.issued", obj=elicence, data={"version": licence.version}, ip=ip)
            holder_notify(holder, _(ISSUED_MESSAGE))
    except IntegrityError:
        raise DomainError(
            "elicence_already_active", _("An e-licence is already active for this licence."), status=409
        ) from None
    return elicence


@dataclass(frozen=True)
class QRIssue:
    token: str
    short_code: str
    expires_at: datetime
    server_time: datetime


def points_band(points: int) -> str:
    """The points as a band, as an offline verifier needs them: 0, 1-5, 6-11 or 12 (red)."""
    return "0" if points == 0 else "1-5" if points <= 5 else "6-11" if points < 12 else "12"


def elicence_offline_claims(elicence: ELicence) -> dict:
    """What the signed QR carries for a verifier without a network (licences/signed_qr.py): the same
    masked facts the live display shows, never a full name or number."""
    licence = elicence.licence
    return {
        "ver": elicence.licence_version,
        "name": mask_name(licence.name),
        "number": licence.number_masked,
        "classes": list(licence.classes),
        "valid_from": licence.valid_from.isoformat(),
        "valid_until": licence.valid_until.isoformat() if licence.valid_until else None,
        "status": licence.status,
        "state": elicence.state,
        "paper_required": licence.paper_required,
        "points": points_band(licence.points),
    }


def _require_valid(elicence: ELicence) -> None:
    """Only a valid e-licence of the licence's current version is shown, signed or exported."""
    if not elicence.is_valid or elicence.licence_version != elicence.licence.version:
        raise DomainError("elicence_not_valid", _("This e-licence is not valid."), status=409)


QR_CODE_DRAWS = 5  # short codes drawn for one QR issue before a taken code is raised as an error


def elicence_qr_issue(*, elicence: ELicence) -> QRIssue:
    _require_valid(elicence)
    now = timezone.now()
    issued_at = int(now.timestamp())
    expires_at = datetime.fromtimestamp(issued_at + tokens.QR_TOKEN_TTL, UTC)
    for draw in range(1, QR_CODE_DRAWS + 1):
        code = tokens.random_code(tokens.SHORT_CODE_LENGTH)
        try:
            with savepoint_if_in_transaction():  # BEGIN and COMMIT were two of a QR issue's five round trips
                QRCode.objects.create(
                    code=code, elicence=elicence, licence_version=elicence.licence_version, expires_at=expires_at
                )
            break
        except IntegrityError:
            if draw == QR_CODE_DRAWS:
                raise  # never sign a token naming a code that is not stored
    # The signed token names the e-licence by this display's short code, not by any identifier of ours.
    claims = {"ref": code, **elicence_offline_claims(elicence)}
    token = signed_qr.sign(claims, now=issued_at, ttl=tokens.QR_TOKEN_TTL)
    return QRIssue(token=token, short_code=code, expires_at=expires_at, server_time=now)


# --- the daily sweep ----------------------------------------------------------------------------------
def elicences_expire(*, today: date | None = None) -> int:
    """Invalidate e-licences whose licence validity has ended (daily beat task). Idempotent."""
    today = today or timezone.localdate()
    expired = 0
    for elicence in ELicence.objects.filter(state=ELicenceState.VALID, licence__valid_until__lt=today).select_related(
        "holder", "licence"
    ):
        expired += elicence_invalidate(elicence=elicence, reason=InvalidReason.LICENCE_EXPIRED)
    # Short codes are kept as long as a check made offline may still be uploaded (the signed QR names
    # its e-licence by them), and a day more.
    QRCode.objects.filter(expires_at__lt=timezone.now() - timedelta(days=8)).delete()
    return expired


# --- ISO 18013-5 export -----------------------------------------------------------------------------
def elicence_mdoc_export(*, user: User, ip: str | None = None) -> bytes:
    """The holder's valid e-licence as an issuer-signed mDL DeviceResponse (licences/mdoc.py)."""
    elicence = selectors.elicence_current_for_or_404(user)
    _require_valid(elicence)
    licence = elicence.licence
    if not licence.has_portrait:
        raise DomainError(
            "no_portrait", _("A mobile driving licence needs the portrait on record, and there is none."), status=409
        )
    with licence.portrait.open("rb") as handle:
        portrait = handle.read()
    exported = mdoc.device_response(mdoc.data_elements(licence, portrait))
    audit_record(actor=user, action="elicence.exported_mdoc", obj=elicence, ip=ip)
    return exported
