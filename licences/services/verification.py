"""Verification (L4): what was presented, whether it is valid, what this verifier may see, a signed receipt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from licences import selectors, signed_qr, tokens
from licences.models import ELicence, InvalidReason, Licence, Share, Verification, VerificationMethod
from portal import metrics, ratelimit
from portal.accounts.audit import stored_ip
from portal.accounts.models import Organisation, OrganisationKind
from portal.db import savepoint_if_in_transaction
from portal.errors import DomainError
from portal.masking import mask_name
from portal.prepared import PreparedInsert

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


# The verification row, inserted with its SQL compiled once (and prepared on PostgreSQL): no save signals,
# and Verification's save() only refuses changes.
VERIFICATION_INSERT = PreparedInsert(Verification)


def verifying_organisation(verifier) -> Organisation | None:
    """The verifier's organisation if the authority approved it. Unapproved means anonymous: its
    self-chosen name and kind reach neither the holder's log nor the signed receipt."""
    if not getattr(verifier, "is_authenticated", False) or not verifier.organisation_id:
        return None
    organisation = verifier.organisation
    return organisation if organisation.is_approved else None


def holder_fields_for(licence: Licence, organisation: Organisation | None) -> dict:
    """The holder's fields a verifier of this (approved) organisation may see (L4); others: the masked name."""
    fields = FIELDS_BY_KIND.get(organisation.kind, ()) if organisation else ()
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


@dataclass(frozen=True)
class Reference:
    """What a verifier presented, read without the database: how, the code to look up (a share code,
    or the short code of a QR token or typed in), or why it already fails."""

    method: str
    code: str | None = None
    reason: str | None = None


def reference_read(*, token: str | None, share_code: str | None, now: datetime) -> Reference:
    """What was presented, without the database: a share code, a typed short code, or a QR token whose
    signature and expiry are checked here (its short code, or why it fails)."""
    if share_code:
        return Reference(VerificationMethod.SHARE, tokens.normalise_code(share_code))
    token = (token or "").strip()
    if tokens.looks_like_short_code(token):
        return Reference(VerificationMethod.CODE, tokens.normalise_code(token))
    # The signed QR (licences/signed_qr.py): genuine and unexpired, then found by its short code.
    try:
        claims = signed_qr.read(token, keys=signed_qr.verify_keys(), now=now.timestamp(), skew=tokens.CLOCK_SKEW)
    except signed_qr.SignedQRError as exc:
        return Reference(VerificationMethod.QR, reason=exc.reason)
    code = claims.get("ref")
    if not isinstance(code, str) or not tokens.looks_like_short_code(code):
        return Reference(VerificationMethod.QR, reason="bad_token")  # signed by our key, yet not our claims
    return Reference(VerificationMethod.QR, tokens.normalise_code(code))


def _presented_resolve(reference: Reference, *, now: datetime) -> Presented:
    method = reference.method
    if reference.reason:
        return Presented(method, reason=reference.reason)
    if method == VerificationMethod.SHARE:
        share = selectors.share_by_code(reference.code)
        if share is None:
            return Presented(method, reason="not_found")
        reason = "revoked" if share.revoked_at else "expired" if share.expires_at <= now else None
        return Presented(method, share.elicence, share, reason)
    found = selectors.qr_code_by_code(reference.code)
    if found is None:
        return Presented(method, reason="not_found")
    if found.expires_at + timedelta(seconds=tokens.CLOCK_SKEW) < now:
        return Presented(method, found.elicence, reason="expired")
    changed = found.licence_version != found.elicence.licence_version
    return Presented(method, found.elicence, reason="licence_changed" if changed else None)


def _verifier_of_record(verifier) -> tuple:
    """Who a verification row names: the signed-in user (None when anonymous) and their approved
    organisation (None otherwise)."""
    user = verifier if getattr(verifier, "is_authenticated", False) else None
    return user, verifying_organisation(user)


def _count(valid: bool, organisation: Organisation | None) -> None:
    metrics.VERIFICATIONS.labels(
        "valid" if valid else "invalid", organisation.kind if organisation else "anonymous"
    ).inc()


def verification_record(
    *, verifier, token: str | None = None, share_code: str | None = None, purpose: str = "", ip: str | None = None
) -> VerificationOutcome:
    """Check a QR token, short code or share code; store the check; return the answer and a signed receipt."""
    now = timezone.now()
    # The token's signature is checked while the rate limit's count is on its way (Redis); the database
    # is read only once the limit is known.
    with ratelimit.counting("verify:ip", ip or "unknown"):
        reference = reference_read(token=token, share_code=share_code, now=now)
    presented = _presented_resolve(reference, now=now)
    elicence, share, method, reason = presented.elicence, presented.share, presented.method, presented.reason
    licence = elicence.licence if elicence else None
    if reason is None and elicence is not None:
        if not elicence.is_valid:
            reason = elicence.invalid_reason or "licence_changed"
        elif elicence.licence_version != licence.version:
            reason = InvalidReason.LICENCE_CHANGED
    valid = reason is None
    paper = bool(valid and licence and licence.paper_required)
    user, organisation = _verifier_of_record(verifier)
    # The verification row is its own audit record (append-only, like the audit log): one insert.
    verification = VERIFICATION_INSERT.create(
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
        ip=stored_ip(ip),
    )
    _count(valid, organisation)
    document = receipt_document_build(verification)
    result = {key: document[key] for key in ("id", "valid", "reason", "paper_required", "checked_at", "holder")}
    return VerificationOutcome(verification, result, tokens.receipt_sign(document))


def receipt_document_build(verification: Verification) -> dict:
    """What the verifier saw, as signed in the receipt: built from the stored check, at the time and for
    a later download alike."""
    licence = verification.elicence.licence if verification.elicence else None
    organisation = verification.organisation
    holder = holder_fields_for(licence, organisation) if (verification.valid and licence) else {}
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


# --- checks made offline, uploaded later (docs/offline.md) ---------------------------------------------
OFFLINE_UPLOAD_WINDOW = timedelta(days=7)


def verification_record_offline(
    *, verifier, check_id, token: str, checked_at: datetime, purpose: str = "", ip: str | None = None
) -> tuple[Verification, bool]:
    """A check a verifier's device made with no network (signature and expiry checked there), uploaded
    when the network returned, so the holder's log stays complete. Idempotent on the device's check id:
    an upload repeated after a lost answer records nothing twice. Returns the row and whether it is new."""
    ratelimit.hit("verify:ip", ip or "unknown")
    existing = Verification.objects.filter(pk=check_id).first()
    if existing is not None:
        return existing, False
    now = timezone.now()
    if checked_at > now + timedelta(seconds=tokens.CLOCK_SKEW) or checked_at < now - OFFLINE_UPLOAD_WINDOW:
        raise DomainError(
            "invalid", _("The time of the check is not believable."), fields={"checked_at": [_("out of range")]}
        )
    try:
        # Genuine first, whatever the time; its lifetime is judged at the time of the check below.
        claims = signed_qr.read(token, keys=signed_qr.verify_keys(), now=0)
    except signed_qr.SignedQRError:
        raise DomainError("bad_token", _("This is not a QR code of the portal.")) from None
    reference = str(claims.get("ref", ""))
    ratelimit.hit("verify:offline-code", reference)  # genuine codes only: a forged one costs no code its budget
    found = selectors.qr_code_by_code(reference)
    if found is None:
        raise DomainError("not_found", _("This QR code is too old to be recorded."), status=404)
    at = checked_at.timestamp()
    if at < claims["issued_at"] - tokens.CLOCK_SKEW:
        raise DomainError(
            "invalid", _("The time of the check is not believable."), fields={"checked_at": [_("before issue")]}
        )
    expired = at > claims["expires_at"] + tokens.CLOCK_SKEW
    valid = not expired and claims.get("state") == "valid"
    user, organisation = _verifier_of_record(verifier)
    try:
        with savepoint_if_in_transaction():
            verification = Verification.objects.create(
                id=check_id,
                elicence=found.elicence,
                verifier=user,
                organisation=organisation,
                method=VerificationMethod.OFFLINE,
                purpose=purpose[:100],
                valid=valid,
                reason="" if valid else "expired" if expired else "licence_changed",
                paper_required=bool(valid and claims.get("paper_required")),
                checked_at=checked_at,
                ip=stored_ip(ip),
            )
    except IntegrityError:  # the same check uploaded twice at once
        return Verification.objects.get(pk=check_id), False
    _count(valid, organisation)
    return verification, True
