"""Application services (R1–R7): the only place where applications and their photos change state.

The page, the API, the staff console, `approve_due` and the Celery tasks all call these.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from licences import selectors as licence_selectors
from licences.models import ELicenceState, Licence, LicenceStatus
from licences.services import elicence_issue, licence_set_portrait
from portal import ratelimit
from portal.accounts.audit import audit_record
from portal.accounts.face import get_face_verifier
from portal.accounts.messaging import message_send
from portal.accounts.models import RealNameStatus, Role, User
from portal.accounts.permissions import require_role
from portal.dates import parse_iso_date
from portal.errors import DomainError
from portal.images import decode_image
from portal.queue import enqueue_on_commit
from reviews import calendar, selectors
from reviews.models import (
    OPEN_STATUSES,
    PHOTO_REPLACED,
    Application,
    ApplicationStatus,
    Photo,
    PhotoStatus,
    TimelineEntry,
    WorkingDayOverride,
)

log = logging.getLogger(__name__)
MAX_REJECTED_PHOTOS = 3
STALE_CLAIM = timedelta(minutes=10)
REJECT_REASONS = {
    "background": gettext_lazy("Background not plain white"),
    "face": gettext_lazy("Face not clearly visible"),
    "quality": gettext_lazy("Photo blurred, dark or badly lit"),
    "not_the_person": gettext_lazy("Not the person on record"),
    "other": gettext_lazy("Other (see the note)"),
}


def _timeline_record(application: Application, status: str, note: str = "", *, notify: bool = True) -> None:
    """Timeline entry + message to the applicant for each status change (R7)."""
    TimelineEntry.objects.create(application=application, status=status, note=note[:500])
    applicant = application.applicant
    if notify and applicant.phone:
        label = ApplicationStatus(status).label
        text = _("[E-licence] Your application: %(status)s.") % {"status": label}
        message_send(recipient=applicant.phone, user=applicant, text=f"{text} {note}".strip())


def _due_at(start: datetime) -> tuple[datetime | None, bool]:
    """When an application started at `start` is due, and whether the calendar of that year is unknown."""
    try:
        return calendar.add_working_days(start, settings.REVIEW_WAITING_WORKING_DAYS), False
    except calendar.CalendarUnknown:
        return None, True


# --- R1 apply ---------------------------------------------------------------------------------------
def application_submit(*, user: User, validity_start, selfie: bytes, ip: str | None = None) -> Application:
    if user.real_name_status != RealNameStatus.VERIFIED:
        raise DomainError("real_name_unverified", _("Complete real-name verification before applying."), status=403)
    start = parse_iso_date(validity_start, field="validity_start")
    if start > timezone.localdate():
        raise DomainError("validity_start_mismatch", _("The validity start date cannot be in the future."))
    licence = licence_selectors.licence_for_user(user)
    if licence is None:
        raise DomainError("no_licence_record", _("No licence record matches your ID number."))
    if licence.valid_from != start:
        raise DomainError(
            "validity_start_mismatch", _("The date does not match the validity start printed on your licence.")
        )
    if licence.status != LicenceStatus.NORMAL or licence.is_overdue:
        raise DomainError(
            "licence_not_eligible",
            _("An e-licence cannot be issued while the licence is %(status)s.")
            % {"status": _("overdue for renewal") if licence.is_overdue else licence.get_status_display()},
        )
    if licence.elicences.filter(state=ELicenceState.VALID, licence_version=licence.version).exists():
        raise DomainError("elicence_already_active", _("You already have a valid e-licence."), status=409)
    if selectors.open_application_exists(licence):
        raise DomainError("application_pending", _("You already have an open application."), status=409)
    ratelimit.hit("face:account", str(user.pk))
    try:
        image = decode_image(selfie)
    except DomainError as exc:
        raise DomainError("face_verification_failed", exc.detail) from None
    reference = licence.portrait.read() if licence.has_portrait else None
    result = get_face_verifier().verify(selfie=image.jpeg, reference=reference)  # the selfie is not stored
    if not result.verified:
        audit_record(actor=user, action="application.face_failed", obj=licence, data={"detail": result.detail}, ip=ip)
        raise DomainError("face_verification_failed", result.detail or _("The face could not be verified."))
    now = timezone.now()
    needs_photo = not licence.has_portrait
    due_at, unknown = (None, False) if needs_photo else _due_at(now)
    try:
        with transaction.atomic():
            application = Application.objects.create(
                applicant=user,
                licence=licence,
                licence_version=licence.version,
                validity_start=start,
                status=ApplicationStatus.PHOTO_REQUIRED if needs_photo else ApplicationStatus.SUBMITTED,
                submitted_at=now,
                due_at=due_at,
                calendar_unknown=unknown,
                face_verified=True,
                face_metrics=result.metrics or {},
            )
            note = _("No portrait on record: please upload a photo.") if needs_photo else ""
            _timeline_record(application, application.status, note)
            audit_record(actor=user, action="application.submitted", obj=application, ip=ip)
    except IntegrityError:  # a concurrent submission won the one-open-application constraint
        raise DomainError("application_pending", _("You already have an open application."), status=409) from None
    return application


def application_cancel(*, user: User, application_id, ip: str | None = None) -> Application:
    application = selectors.application_of_applicant(user=user, application_id=application_id)
    with transaction.atomic():
        done = Application.objects.filter(
            pk=application.pk, status__in=[s for s in OPEN_STATUSES if s != ApplicationStatus.APPROVING]
        ).update(status=ApplicationStatus.CANCELLED, decided_at=timezone.now())
        if not done:
            raise DomainError("not_cancellable", _("This application can no longer be cancelled."), status=409)
        application.refresh_from_db()
        _timeline_record(application, ApplicationStatus.CANCELLED, notify=False)
        audit_record(actor=user, action="application.cancelled", obj=application, ip=ip)
    return application


# --- R4/R5 photos -------------------------------------------------------------------------------------
def photo_upload(*, user: User, application_id, photo: bytes, ip: str | None = None) -> Photo:
    application = selectors.application_of_applicant(user=user, application_id=application_id)
    if selectors.rejected_photo_count(application) >= MAX_REJECTED_PHOTOS:
        raise DomainError("visit_counter", _("Three photos were rejected: please visit a counter."), status=409)
    if application.status not in (ApplicationStatus.PHOTO_REQUIRED, ApplicationStatus.PHOTO_REVIEW):
        raise DomainError("photo_not_expected", _("This application does not need a photo now."), status=409)
    image = decode_image(photo)  # unreadable / too many pixels: 400, nothing stored
    with transaction.atomic():
        moved = Application.objects.filter(
            pk=application.pk, status__in=[ApplicationStatus.PHOTO_REQUIRED, ApplicationStatus.PHOTO_REVIEW]
        ).update(status=ApplicationStatus.PHOTO_CHECKING)
        if not moved:
            raise DomainError("photo_not_expected", _("This application does not need a photo now."), status=409)
        # A retake replaces a photo still waiting for a reviewer.
        application.photos.filter(status__in=[PhotoStatus.FLAGGED, PhotoStatus.CHECKING]).update(
            status=PhotoStatus.REJECTED, reason=PHOTO_REPLACED, decided_at=timezone.now()
        )
        stored = Photo(application=application)
        stored.image.save("photo.jpg", ContentFile(image.jpeg), save=False)
        stored.save()
        application.refresh_from_db()
        _timeline_record(application, ApplicationStatus.PHOTO_CHECKING, notify=False)
        audit_record(actor=user, action="photo.uploaded", obj=stored, ip=ip)
        enqueue_on_commit("reviews.tasks.check_photo", str(stored.pk))
    return stored


def photo_check_run(*, photo_id) -> str | None:
    """The Celery task's work: check one photo. Idempotent: a photo already checked is left alone."""
    from reviews.photo_checks import check_photo

    photo = Photo.objects.select_related("application__applicant").filter(pk=photo_id).first()
    if photo is None or photo.status != PhotoStatus.CHECKING:
        return None
    with photo.image.open("rb") as fh:
        result = check_photo(fh.read(), max_bytes=settings.UPLOAD_MAX_BYTES, max_pixels=settings.IMAGE_MAX_PIXELS)
    problems = [
        {"code": p.code, "message": p.messages, "value": p.as_dict()["value"], "limit": p.as_dict()["limit"]}
        for p in result.problems
    ]
    metrics = result.as_dict()["metrics"]
    status = PhotoStatus.FLAGGED if problems else PhotoStatus.PASSED
    with transaction.atomic():
        claimed = Photo.objects.filter(pk=photo.pk, status=PhotoStatus.CHECKING).update(
            status=status, problems=problems, metrics=metrics, checked_at=timezone.now()
        )
        if not claimed:
            return None
        application = photo.application
        if status == PhotoStatus.PASSED:
            due_at, unknown = _due_at(photo.uploaded_at)
            moved = Application.objects.filter(pk=application.pk, status=ApplicationStatus.PHOTO_CHECKING).update(
                status=ApplicationStatus.SUBMITTED, due_at=due_at, calendar_unknown=unknown
            )
            if moved:
                _timeline_record(application, ApplicationStatus.SUBMITTED, _("The photo passed the checks."))
        else:
            moved = Application.objects.filter(pk=application.pk, status=ApplicationStatus.PHOTO_CHECKING).update(
                status=ApplicationStatus.PHOTO_REVIEW
            )
            if moved:
                names = ", ".join(p["code"] for p in problems)
                _timeline_record(
                    application,
                    ApplicationStatus.PHOTO_REVIEW,
                    _("A reviewer will look at: %(codes)s") % {"codes": names},
                )
        audit_record(actor=None, action=f"photo.{status}", obj=photo, data={"problems": [p["code"] for p in problems]})
    return status


# --- R6 staff decisions -------------------------------------------------------------------------------
def application_photo_decide(
    *, reviewer: User, application_id, decision: str, reason: str = "", note: str = "", ip: str | None = None
) -> Application:
    """A reviewer approves or rejects the flagged photo of an application (R6); the third rejection
    rejects the application."""
    require_role(reviewer, Role.REVIEWER)
    if decision not in ("approve", "reject"):
        raise DomainError("invalid", _("Decide approve or reject."), fields={"decision": [_("approve or reject")]})
    if decision == "reject" and reason not in REJECT_REASONS:
        raise DomainError("invalid", _("Choose a reason."), fields={"reason": list(REJECT_REASONS)})
    application = selectors.review_case(application_id)
    photo = application.photos.filter(status=PhotoStatus.FLAGGED).first()
    now = timezone.now()
    with transaction.atomic():
        if photo is None or not Photo.objects.filter(pk=photo.pk, status=PhotoStatus.FLAGGED).update(
            status=PhotoStatus.APPROVED if decision == "approve" else PhotoStatus.REJECTED,
            decided_by=reviewer,
            decided_at=now,
            reason=reason if decision == "reject" else "",
            note=note[:500],
        ):
            raise DomainError("already_decided", _("This case has already been decided."), status=409)
        if decision == "approve":
            due_at, unknown = _due_at(photo.uploaded_at)
            Application.objects.filter(pk=application.pk, status=ApplicationStatus.PHOTO_REVIEW).update(
                status=ApplicationStatus.SUBMITTED, due_at=due_at, calendar_unknown=unknown
            )
            _timeline_record(application, ApplicationStatus.SUBMITTED, _("A reviewer approved your photo."))
        else:
            rejected = selectors.rejected_photo_count(application)
            label = str(REJECT_REASONS[reason])
            if rejected >= MAX_REJECTED_PHOTOS:
                Application.objects.filter(pk=application.pk).update(
                    status=ApplicationStatus.REJECTED, reason="visit_counter", decided_at=now
                )
                _timeline_record(
                    application, ApplicationStatus.REJECTED, _("Three photos were rejected: please visit a counter.")
                )
            else:
                Application.objects.filter(pk=application.pk, status=ApplicationStatus.PHOTO_REVIEW).update(
                    status=ApplicationStatus.PHOTO_REQUIRED
                )
                _timeline_record(
                    application,
                    ApplicationStatus.PHOTO_REQUIRED,
                    _("Photo rejected: %(reason)s. Please take another.") % {"reason": label},
                )
        audit_record(
            actor=reviewer,
            action=f"application.photo_{decision}d",
            obj=application,
            data={"reason": reason, "note": note[:200]},
            ip=ip,
        )
    application.refresh_from_db()
    return application


# --- R3 auto-approval ---------------------------------------------------------------------------------
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
            _timeline_record(application, ApplicationStatus.REJECTED, reason)
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
        _timeline_record(application, ApplicationStatus.APPROVED, _("Your e-licence is ready."), notify=False)
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
        due_at, unknown = _due_at(photo.uploaded_at if photo else application.submitted_at)
        if not unknown:
            rescheduled += Application.objects.filter(pk=application.pk, calendar_unknown=True).update(
                due_at=due_at, calendar_unknown=False
            )
            _timeline_record(
                application,
                ApplicationStatus.SUBMITTED,
                _("The working-day calendar is known: due %(at)s.")
                % {"at": timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M")},
            )
    return rescheduled


# --- R2 the working-day calendar -------------------------------------------------------------------
def working_day_override_save(*, supervisor: User, override: WorkingDayOverride, ip: str | None = None) -> None:
    """A supervisor's correction of the calendar (or a day of a year the library does not know yet)."""
    require_role(supervisor, Role.SUPERVISOR)
    created = override._state.adding
    with transaction.atomic():
        override.save()
        audit_record(
            actor=supervisor,
            action="calendar.override_created" if created else "calendar.override_changed",
            obj=override,
            data={"date": override.date.isoformat(), "working_day": override.is_working_day},
            ip=ip,
        )


def working_day_override_delete(*, supervisor: User, override: WorkingDayOverride, ip: str | None = None) -> None:
    require_role(supervisor, Role.SUPERVISOR)
    with transaction.atomic():
        audit_record(
            actor=supervisor,
            action="calendar.override_deleted",
            obj=override,
            data={"date": override.date.isoformat()},
            ip=ip,
        )
        override.delete()


def photos_purge_rejected(*, now: datetime | None = None) -> int:
    """Delete the images of photos rejected more than PHOTO_RETENTION_DAYS ago. Idempotent."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.PHOTO_RETENTION_DAYS)
    purged = 0
    for photo in Photo.objects.filter(status=PhotoStatus.REJECTED, decided_at__lt=cutoff).exclude(image=""):
        name = photo.image.name
        if Photo.objects.filter(pk=photo.pk, image=name).update(image=""):
            photo.image.storage.delete(name)
            purged += 1
    return purged
