from datetime import date

from licences.models import ELicence, Licence, Verification
from licences.services import paper_required, qr_colour


def _iso(value):
    return value.isoformat() if isinstance(value, date) else value


def licence_payload(licence: Licence) -> dict:
    """`GET licence` (api.md): the holder's own record, with the numbers masked."""
    return {
        "number_masked": licence.number_masked,
        "name": licence.name,
        "sex": licence.sex,
        "birth_date": _iso(licence.birth_date),
        "nationality": licence.nationality,
        "address": licence.address,
        "first_issued_on": _iso(licence.first_issued_on),
        "classes": licence.classes,
        "valid_from": _iso(licence.valid_from),
        "valid_until": _iso(licence.valid_until),
        "issuing_authority": licence.issuing_authority,
        "file_number_masked": licence.file_number_masked,
        "status": licence.status,
        "points": licence.points,
        "has_portrait": licence.has_portrait,
    }


def elicence_payload(elicence: ELicence) -> dict:
    licence = elicence.licence
    return {
        "id": str(elicence.pk),
        "state": elicence.state,
        "invalid_reason": elicence.invalid_reason or None,
        "paper_required": elicence.is_valid and paper_required(licence),
        "issued_at": elicence.issued_at.isoformat(),
        "qr_colour": qr_colour(licence),
        **licence_payload(licence),
    }


def verification_payload(verification: Verification) -> dict:
    organisation = verification.organisation
    return {
        "at": verification.checked_at.isoformat(),
        "organisation": organisation.name if organisation else None,
        "organisation_kind": organisation.kind if organisation else None,
        "method": verification.method,
        "purpose": verification.purpose,
        "result": "valid" if verification.valid else verification.reason,
    }
