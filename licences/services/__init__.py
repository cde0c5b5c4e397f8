"""Licence services (L1–L7): the only place where licences, e-licences, shares and verifications change."""

from licences.services.elicences import (
    ISSUED_MESSAGE,
    QRIssue,
    elicence_invalidate,
    elicence_issue,
    elicence_mdoc_export,
    elicence_qr_issue,
    elicences_expire,
)
from licences.services.register import licence_clean, licence_set_portrait, licence_upsert
from licences.services.shares import SHARE_MAX_DAYS, share_create, share_revoke
from licences.services.verification import (
    VerificationOutcome,
    holder_fields_for,
    receipt_document_build,
    verification_record,
    verification_record_offline,
)

__all__ = [
    "ISSUED_MESSAGE",
    "SHARE_MAX_DAYS",
    "QRIssue",
    "VerificationOutcome",
    "elicence_invalidate",
    "elicence_issue",
    "elicence_mdoc_export",
    "elicence_qr_issue",
    "elicences_expire",
    "holder_fields_for",
    "licence_clean",
    "licence_set_portrait",
    "licence_upsert",
    "receipt_document_build",
    "share_create",
    "share_revoke",
    "verification_record",
    "verification_record_offline",
]
