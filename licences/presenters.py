"""What people read about verifications: results, methods and the holder's fields as labels and
Beijing times, never the stored codes."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from licences.models import InvalidReason, LicenceStatus, Sex, VerificationMethod
from portal.dates import local_time

RESULT_LABELS = {
    "valid": gettext_lazy("Valid"),
    "expired": gettext_lazy("Code expired"),
    "revoked": gettext_lazy("Copy revoked by the holder"),
    "bad_token": gettext_lazy("Not a code of this portal"),
    "not_found": gettext_lazy("Not a code of this portal"),
    "licence_changed": gettext_lazy("Licence changed since the code was made"),
    **{reason.value: reason.label for reason in InvalidReason},
}

HOLDER_LABELS = {
    "name_masked": gettext_lazy("Name"),
    "name": gettext_lazy("Name"),
    "number_masked": gettext_lazy("Licence number"),
    "sex": gettext_lazy("Sex"),
    "birth_date": gettext_lazy("Birth date"),
    "nationality": gettext_lazy("Nationality"),
    "address": gettext_lazy("Address"),
    "first_issued_on": gettext_lazy("First issued on"),
    "classes": gettext_lazy("Vehicle classes"),
    "valid_from": gettext_lazy("Valid from"),
    "valid_until": gettext_lazy("Valid until"),
    "issuing_authority": gettext_lazy("Issuing authority"),
    "file_number_masked": gettext_lazy("File number"),
    "status": gettext_lazy("Status"),
    "points": gettext_lazy("Points"),
}


def result_label(code: str | None) -> str:
    return str(RESULT_LABELS.get(code or "valid", _("Not valid")))


def method_label(code: str) -> str:
    try:
        return str(VerificationMethod(code).label)
    except ValueError:
        return _("Other")


def _value(key: str, value) -> str:
    if isinstance(value, list):
        return " ".join(value)
    if value is None:
        return _("long-term")
    if key == "sex":
        return str(Sex(value).label) if value in Sex.values else str(value)
    if key == "status":
        return str(LicenceStatus(value).label) if value in LicenceStatus.values else str(value)
    if key == "points":
        return f"{value} / 12"
    return str(value)


def holder_rows(holder: dict) -> list[tuple[str, str]]:
    """The fields a verifier may see, labelled, in their language; one name row (the full name where
    the verifier may see it, the masked one otherwise)."""
    rows = []
    for key, value in holder.items():
        if key == "name_masked" and "name" in holder:
            continue
        rows.append((str(HOLDER_LABELS.get(key, key)), _value(key, value)))
    return rows


def log_rows(rows: list[dict]) -> list[dict]:
    """The holder's verification log as people read it."""
    return [
        {
            "at": local_time(row["at"]),
            "organisation": row["organisation"] or _("Anonymous"),
            "method": method_label(row["method"]),
            "purpose": row["purpose"] or "—",
            "result": result_label(row["result"]),
            "valid": row["result"] == "valid",
        }
        for row in rows
    ]
