"""Licence services (L1–L7): the only place where licences, e-licences, shares and verifications change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from licences import selectors, tokens
from licences.models import (
    VEHICLE_CLASSES,
    ELicence,
    ELicenceState,
    InvalidReason,
    Licence,
    LicenceStatus,
    QRCode,
    Share,
    Verification,
    VerificationMethod,
)
from portal import ratelimit
from portal.accounts.audit import audit_record
from portal.accounts.messaging import message_send
from portal.accounts.models import OrganisationKind, User
from portal.accounts.validators import clean_id_number
from portal.crypto import lookup_hash
from portal.dates import field_error, parse_iso_date
from portal.errors import DomainError, NotFoundError
from portal.images import decode_image
from portal.masking import mask_id_number, mask_name

MATERIAL_FIELDS = ("classes", "valid_from", "valid_until", "issuing_authority")
STATUS_INVALIDATES = {
    LicenceStatus.REVOKED: InvalidReason.LICENCE_REVOKED,
    LicenceStatus.CANCELLED: InvalidReason.LICENCE_CANCELLED,
    LicenceStatus.EXPIRED: InvalidReason.LICENCE_EXPIRED,
    LicenceStatus.SUSPENDED: InvalidReason.LICENCE_SUSPENDED,
}
SHARE_MAX_DAYS = 30


# --- L1: the register -----------------------------------------------------------------------------
def licence_clean(data: dict) -> dict:
    """Validate one licence record (as `GET licence` with full numbers); raise on the first problem."""
    text = {k: (str(v).strip() if isinstance(v, str | int) else v) for k, v in data.items()}
    cleaned: dict = {}
    for field in ("name", "address", "issuing_authority", "file_number"):
        if not text.get(field):
            raise field_error(field, _("This field is required."))
        cleaned[field] = text[field]
    cleaned["nationality"] = text.get("nationality") or "中国"
    sex = (text.get("sex") or "").upper()
    sex = {"男": "M", "女": "F"}.get(text.get("sex") or "", sex)
    if sex not in ("M", "F"):
        raise field_error("sex", _("Sex must be M or F."))
    cleaned["sex"] = sex
    raw_classes = data.get("classes")
    if isinstance(raw_classes, str):
        raw_classes = raw_classes.replace(",", " ").replace("，", " ").split()
    if not isinstance(raw_classes, list) or not raw_classes:
        raise field_error("classes", _("Give at least one vehicle class."))
    classes = [str(c).strip().upper() for c in raw_classes]
    unknown = [c for c in classes if c not in VEHICLE_CLASSES]
    if unknown:
        raise field_error("classes", _("Unknown vehicle classes: %(codes)s.") % {"codes": ", ".join(unknown)})
    cleaned["classes"] = sorted(set(classes), key=VEHICLE_CLASSES.index)
    for field in ("birth_date", "first_issued_on", "valid_from"):
        cleaned[field] = parse_iso_date(text.get(field), field=field)
    cleaned["valid_until"] = parse_iso_date(text.get("valid_until"), field="valid_until", required=False)
    if cleaned["valid_until"] and cleaned["valid_until"] <= cleaned["valid_from"]:
        raise field_error("valid_until", _("The validity must end after it starts."))
    if cleaned["first_issued_on"] < cleaned["birth_date"]:
        raise field_error("first_issued_on", _("The first issue date is before the birth date."))
    status = text.get("status") or LicenceStatus.NORMAL
    if status not in LicenceStatus.values:
        raise field_error("status", _("Unknown status: %(status)s.") % {"status": status})
    cleaned["status"] = status
    try:
        points = int(text.get("points") or 0)
    except (TypeError, ValueError):
        raise field_error("points", _("Points must be a whole number from 0 to 12.")) from None
    if not 0 <= points <= 12:
        raise field_error("points", _("Points must be a whole number from 0 to 12."))
    cleaned["points"] = points
    return cleaned


def licence_upsert(*, actor, number: str, data: dict, portrait: bytes | None = None, ip: str | None = None):
    """Create or update one record; a change of classes, validity or issuer, or of status, applies L7."""
    number = clean_id_number(number)
    cleaned = licence_clean(data)
    image = decode_image(portrait) if portrait else None
    with transaction.atomic():
        licence = Licence.objects.select_for_update().filter(number_hash=lookup_hash(number)).first()  # locks the row
        created = licence is None
        if created:
            licence = Licence(number=number, **cleaned)
            changed, old_status = [], None
        else:
            changed = [f for f in MATERIAL_FIELDS if getattr(licence, f) != cleaned[f]]
            old_status = licence.status
            for field, value in cleaned.items():
                setattr(licence, field, value)
            if changed:
                licence.version += 1
        replaced = licence.portrait.name if image is not None and not created else ""
        if image is not None:
            licence.portrait.save("portrait.jpg", ContentFile(image.jpeg), save=False)
        licence.save()
        if replaced:
            transaction.on_commit(lambda: licence.portrait.storage.delete(replaced))
        audit_record(
            actor=actor,
            action="licence.created" if created else "licence.updated",
            obj=licence,
            data={
                "number": mask_id_number(number),
                "changed": changed,
                "status": licence.status,
                "version": licence.version,
            },
            ip=ip,
        )
        if not created:
            _elicence_follow_licence(
                licence=licence, material_changed=bool(changed), old_status=old_status, actor=actor
            )
    return licence, created


def licence_set_portrait(*, actor, number: str, portrait: bytes, ip: str | None = None) -> Licence:
    licence = selectors.licence_by_number(clean_id_number(number))
    if licence is None:
        raise NotFoundError("not_found", _("Not found."))
    image = decode_image(portrait)
    with transaction.atomic():
        old = licence.portrait.name
        licence.portrait.save("portrait.jpg", ContentFile(image.jpeg), save=True)
        audit_record(actor=actor, action="licence.portrait_set", obj=licence, ip=ip)
        if old:
            transaction.on_commit(lambda: licence.portrait.storage.delete(old))
    return licence


def _holder_notify(holder: User, text: str) -> None:
    if holder.phone:
        message_send(recipient=holder.phone, user=holder, text=text)


def _elicence_follow_licence(*, licence: Licence, material_changed: bool, old_status: str | None, actor) -> None:
    """L7: invalidate or mark the e-licence, and tell its holder."""
    elicence = licence.elicences.filter(state=ELicenceState.VALID).select_related("holder").first()
    if elicence is None:
        return
    if material_changed:
        elicence_invalidate(elicence=elicence, reason=InvalidReason.LICENCE_CHANGED, actor=actor)
    elif licence.status in STATUS_INVALIDATES and licence.status != old_status:
        elicence_invalidate(elicence=elicence, reason=STATUS_INVALIDATES[licence.status], actor=actor)
    elif licence.status == LicenceStatus.DETAINED and old_status != LicenceStatus.DETAINED:
        audit_record(actor=actor, action="elicence.paper_required", obj=elicence)
        _holder_notify(
            elicence.holder,
            _("[E-licence] Your licence is detained: show the paper licence for traffic business until returned."),
        )


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
        _holder_notify(elicence.holder, _(MESSAGES_ON_INVALID[reason]))
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
            _holder_notify(
                holder, _("[E-licence] Your electronic driving licence was issued. Open the portal to show it.")
            )
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


def elicence_qr_issue(*, elicence: ELicence) -> QRIssue:
    if not elicence.is_valid or elicence.licence_version != elicence.licence.version:
        raise DomainError("elicence_not_valid", _("This e-licence is not valid."), status=409)
    now = timezone.now()
    token, expires_at = tokens.qr_token_issue(
        elicence_id=elicence.pk, licence_version=elicence.licence_version, now=now.timestamp()
    )
    for _attempt in range(5):
        code = tokens.random_code(tokens.SHORT_CODE_LENGTH)
        try:
            with transaction.atomic():
                QRCode.objects.create(
                    code=code, elicence=elicence, licence_version=elicence.licence_version, expires_at=expires_at
                )
            break
        except IntegrityError:
            continue
    return QRIssue(token=token, short_code=code, expires_at=expires_at, server_time=now)


# --- L4: verification -----------------------------------------------------------------------------
FIELDS_BY_KIND = {
    OrganisationKind.POLICE: (
        "name",
        "number_masked",
        "sex",
        "birth_date",
        "nationality",
        "address",
        "first_issued_on",
        "classes",
        "valid_from",
        "valid_until",
        "issuing_authority",
        "file_number_masked",
        "status",
        "points",
    ),
    OrganisationKind.INSURER: ("name", "classes", "valid_from", "valid_until", "status"),
    OrganisationKind.CAR_RENTAL: ("name", "classes", "valid_from", "valid_until", "status"),
    OrganisationKind.EMPLOYER: ("name", "classes", "valid_from", "valid_until", "status"),
}


def holder_fields_for(licence: Licence, verifier) -> dict:
    """The holder's fields this verifier may see (L4): anonymous and unapproved get the masked name only."""
    organisation = getattr(verifier, "organisation", None) if getattr(verifier, "is_authenticated", False) else None
    fields = FIELDS_BY_KIND.get(organisation.kind, ()) if organisation and organisation.is_approved else ()
    view = {"name_masked": mask_name(licence.name)}
    for field in fields:
        value = getattr(licence, field)
        view[field] = value.isoformat() if isinstance(value, date) else value
    return view


@dataclass
class VerificationOutcome:
    verification: Verification
    result: dict
    receipt: dict


@dataclass(frozen=True)
class Presented:
    """What a verifier presented, resolved: the e-licence (if found), the share, and why it fails (or None)."""

    method: str
    elicence: ELicence | None = None
    share: Share | None = None
    reason: str | None = None


def _presented_resolve(*, token: str | None, share_code: str | None, now: datetime) -> Presented:
    if share_code:
        share = selectors.share_by_code(tokens.normalise_code(share_code))
        method = VerificationMethod.SHARE
        if share is None:
            return Presented(method, reason="not_found")
        reason = "revoked" if share.revoked_at else "expired" if share.expires_at <= now else None
        return Presented(method, share.elicence, share, reason)
    token = (token or "").strip()
    if tokens.looks_like_short_code(token):
        found = selectors.qr_code_by_code(tokens.normalise_code(token))
        if found is None:
            return Presented(VerificationMethod.CODE, reason="not_found")
        if found.expires_at + timedelta(seconds=tokens.CLOCK_SKEW) < now:
            return Presented(VerificationMethod.CODE, found.elicence, reason="expired")
        changed = found.licence_version != found.elicence.licence_version
        return Presented(VerificationMethod.CODE, found.elicence, reason="licence_changed" if changed else None)
    try:
        claims = tokens.qr_token_read(token, now=now.timestamp())
    except tokens.TokenError as exc:
        return Presented(VerificationMethod.QR, reason=exc.reason)
    elicence = selectors.elicence_by_id(claims.elicence_id)
    if elicence is None:
        return Presented(VerificationMethod.QR, reason="not_found")
    changed = claims.licence_version != elicence.licence_version
    return Presented(VerificationMethod.QR, elicence, reason="licence_changed" if changed else None)


def verification_record(
    *, verifier, token: str | None = None, share_code: str | None = None, purpose: str = "", ip: str | None = None
) -> VerificationOutcome:
    """Check a QR token, short code or share code; store the check; return the answer and a signed receipt."""
    ratelimit.hit("verify:ip", ip or "unknown")
    now = timezone.now()
    presented = _presented_resolve(token=token, share_code=share_code, now=now)
    elicence, share, method, reason = presented.elicence, presented.share, presented.method, presented.reason
    licence = elicence.licence if elicence else None
    if reason is None and elicence is not None:
        if not elicence.is_valid:
            reason = elicence.invalid_reason or "licence_changed"
        elif elicence.licence_version != licence.version:
            reason = InvalidReason.LICENCE_CHANGED
    valid = reason is None
    paper = bool(valid and licence and licence.paper_required)
    user = verifier if getattr(verifier, "is_authenticated", False) else None
    organisation = user.organisation if user and user.organisation_id else None
    holder = holder_fields_for(licence, user) if (valid and licence) else {}
    # One transaction for the check and its audit entry: one commit (and fsync) instead of two.
    with transaction.atomic():
        verification = Verification.objects.create(
            elicence=elicence,
            share=share,
            verifier=user,
            organisation=organisation,
            method=method,
            purpose=(purpose or (share.purpose if share else ""))[:100],
            valid=valid,
            reason=reason or "",
            paper_required=paper,
            checked_at=now,
            ip=ip if ip and ip != "unknown" else None,
        )
        audit_record(
            actor=user,
            action="verification.recorded",
            obj=verification,
            data={"valid": valid, "reason": reason, "method": method},
            ip=ip,
        )
    document = receipt_document_build(verification, holder=holder)
    result = {key: document[key] for key in ("id", "valid", "reason", "paper_required", "checked_at", "holder")}
    return VerificationOutcome(verification, result, tokens.receipt_sign(document))


def receipt_document_build(verification: Verification, *, holder: dict | None = None) -> dict:
    """What the verifier saw, as signed in the receipt; rebuilt from the stored check for a later download."""
    if holder is None:
        licence = verification.elicence.licence if verification.elicence else None
        holder = holder_fields_for(licence, verification.verifier) if (verification.valid and licence) else {}
    organisation = verification.organisation
    return {
        "id": str(verification.pk),
        "valid": verification.valid,
        "reason": verification.reason or None,
        "paper_required": verification.paper_required,
        "checked_at": verification.checked_at.isoformat(),
        "holder": holder,
        "method": verification.method,
        "purpose": verification.purpose,
        "verifier": {"organisation": organisation.name, "kind": organisation.kind} if organisation else None,
        "issuer": "e-licence portal",
    }


# --- L6: shared copies ----------------------------------------------------------------------------
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


# --- the daily sweep ----------------------------------------------------------------------------------
def elicences_expire(*, today: date | None = None) -> int:
    """Invalidate e-licences whose licence validity has ended (daily beat task). Idempotent."""
    today = today or timezone.localdate()
    expired = 0
    for elicence in ELicence.objects.filter(state=ELicenceState.VALID, licence__valid_until__lt=today).select_related(
        "holder", "licence"
    ):
        expired += elicence_invalidate(elicence=elicence, reason=InvalidReason.LICENCE_EXPIRED)
    QRCode.objects.filter(expires_at__lt=timezone.now() - timedelta(days=1)).delete()
    return expired
