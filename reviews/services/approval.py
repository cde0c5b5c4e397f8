"""Auto-approval (R3): one pass over the due applications, exactly once with any number of workers."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from licences.models import ELicenceState, Licence, LicenceStatus
from licences.services import elicence_issue, licence_set_portrait
from portal.accounts.audit import audit_record
from reviews.models import Application, ApplicationStatus, PhotoStatus
from reviews.services.timeline import due_at_from, timeline_record

log = logging.getLogger(__name__)
STALE_CLAIM = timedelta(minutes=10)


def _approval_blocker(application: Application) -> str | None:
    """Why a due application may no longer be approved (a reason code), or None."""
    licence = Licence.objects.filter(pk=application.licence_id).first()
    if licence is None or licence.number_hash != application.applicant.id_number_hash:
        return "no_licence_record"
    if licence.version != application.licence_version or licence.valid_from != application.validity_start:
        return "licence_changed"
    if licence.status != LicenceStatus.NORMAL:
        return "licence_not_eligible"
    if not application.face_verified:
        return "face_verification_failed"
    if licence.elicences.filter(state=ELicenceState.VALID).exists():
        return "elicence_already_active"
    if (
        not licence.has_portrait
        and not application.photos.filter(status__in=[PhotoStatus.PASSED, PhotoStatus.APPROVED]).exists()
    ):
        return "photo_required"
    return None


def _application_approve_claimed(application_id) -> str:
    """Claimed by this worker: approve or reject it, inside one transaction."""
    application = Application.objects.select_related("applicant", "licence").get(pk=application_id)
    with transaction.atomic():
        reason = _approval_blocker(application)
        now = timezone.now()
        if reason:
            Application.objects.filter(pk=application.pk, status=ApplicationStatus.APPROVING).update(
                status=ApplicationStatus.REJECTED, reason=reason, decided_at=now
            )
            timeline_record(application, ApplicationStatus.REJECTED, "rejected", reason=reason)
            audit_record(actor=None, action="application.rejected", obj=application, data={"reason": reason})
            return "rejected"
        photo = application.photos.filter(status__in=[PhotoStatus.PASSED, PhotoStatus.APPROVED]).first()
        if photo is not None and not application.licence.has_portrait:
            with photo.image.open("rb") as fh:
                licence_set_portrait(actor="auto-approval", number=application.licence.number, portrait=fh.read())
        elicence = elicence_issue(licence=application.licence, holder=application.applicant, actor="auto-approval")
        Application.objects.filter(pk=application.pk, status=ApplicationStatus.APPROVING).update(
            status=ApplicationStatus.APPROVED, decided_at=now, elicence=elicence
        )
        timeline_record(application, ApplicationStatus.APPROVED, "ready", notify=False)
        audit_record(actor=None, action="application.approved", obj=application, data={"elicence": str(elicence.pk)})
    return "approved"


def applications_approve_due(*, as_of: datetime | None = None) -> dict:
    """One auto-approval pass (the beat task and `approve_due` both call this).

    Exactly once with any number of workers: each application is claimed by a conditional
    UPDATE (submitted → approving); a claim that updates no row belongs to another worker.
    A claim left behind by a crashed worker is released after STALE_CLAIM.
    """
    as_of = as_of or timezone.now()
    counts = {"approved": 0, "rejected": 0, "claimed_elsewhere": 0, "released": 0, "failed": 0}
    counts["rescheduled"] = applications_reschedule_unknown()
    counts["released"] = Application.objects.filter(
        status=ApplicationStatus.APPROVING, claimed_at__lt=timezone.now() - STALE_CLAIM
    ).update(status=ApplicationStatus.SUBMITTED)
    due = (
        Application.objects.filter(status=ApplicationStatus.SUBMITTED, due_at__lte=as_of, calendar_unknown=False)
        .order_by("due_at")
        .values_list("pk", flat=True)
    )
    for application_id in list(due):
        if not Application.objects.filter(pk=application_id, status=ApplicationStatus.SUBMITTED).update(
            status=ApplicationStatus.APPROVING, claimed_at=timezone.now()
        ):
            counts["claimed_elsewhere"] += 1
            continue
        try:
            counts[_application_approve_claimed(application_id)] += 1
        except Exception:
            # Never lose an application: hand it back for the next pass and say so in the log.
            log.exception("auto-approval failed for application %s", application_id)
            Application.objects.filter(pk=application_id, status=ApplicationStatus.APPROVING).update(
                status=ApplicationStatus.SUBMITTED
            )
            counts["failed"] += 1
    return counts


def applications_reschedule_unknown() -> int:
    """Give a due time to applications flagged for an unknown calendar year, once staff entered it."""
    rescheduled = 0
    for application in Application.objects.filter(status=ApplicationStatus.SUBMITTED, calendar_unknown=True):
        photo = application.photos.filter(status__in=[PhotoStatus.PASSED, PhotoStatus.APPROVED]).first()
        due_at, unknown = due_at_from(photo.uploaded_at if photo else application.submitted_at)
        if not unknown:
            rescheduled += Application.objects.filter(pk=application.pk, calendar_unknown=True).update(
                due_at=due_at, calendar_unknown=False
            )
            timeline_record(application, ApplicationStatus.SUBMITTED, "calendar_known", at=due_at.isoformat())
    return rescheduled
