"""The licence register (L1): records from the authority, checked; their changes follow to the e-licence (L7)."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from licences import selectors
from licences.models import VEHICLE_CLASSES, ELicenceState, InvalidReason, Licence, LicenceStatus
from licences.services.elicences import elicence_invalidate, holder_notify
from portal.accounts.audit import audit_record
from portal.accounts.validators import clean_id_number
from portal.crypto import lookup_hash
from portal.dates import field_error, parse_iso_date
from portal.errors import NotFoundError
from portal.images import decode_image
from portal.masking import mask_id_number

MATERIAL_FIELDS = ("classes", "valid_from", "valid_until", "issuing_authority")
STATUS_INVALIDATES = {
    LicenceStatus.REVOKED: InvalidReason.LICENCE_REVOKED,
    LicenceStatus.CANCELLED: InvalidReason.LICENCE_CANCELLED,
    LicenceStatus.EXPIRED: InvalidReason.LICENCE_EXPIRED,
    LicenceStatus.SUSPENDED: InvalidReason.LICENCE_SUSPENDED,
}


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
        holder_notify(
            elicence.holder,
            _("[E-licence] Your licence is detained: show the paper licence for traffic business until returned."),
        )
