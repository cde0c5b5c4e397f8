"""ID photos (R4, R5): upload, the automatic check, the reviewer's decision (R6), deletion after retention."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import metrics as portal_metrics
from portal.accounts.audit import audit_record
from portal.accounts.models import Role, User
from portal.accounts.permissions import require_role
from portal.errors import DomainError
from portal.images import decode_image
from portal.queue import enqueue_on_commit
from reviews import selectors
from reviews.models import PHOTO_REPLACED, Application, ApplicationStatus, Photo, PhotoStatus
from reviews.presenters import REJECT_REASONS
from reviews.services.timeline import due_at_from, timeline_record

MAX_REJECTED_PHOTOS = 3


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
        kept = {key: str(image.exif[key])[:100] for key in ("software", "datetime_original") if key in image.exif}
        stored = Photo(application=application, source_metadata=kept)
        stored.image.save("photo.jpg", ContentFile(image.jpeg), save=False)
        stored.save()
        application.refresh_from_db()
        timeline_record(application, ApplicationStatus.PHOTO_CHECKING, notify=False)
        audit_record(actor=user, action="photo.uploaded", obj=stored, ip=ip)
        enqueue_on_commit("reviews.tasks.check_photo", str(stored.pk))
    return stored


# A photo still being checked this long after upload lost its task (the broker was down when it was
# enqueued): the sweep (every RECHECK_AFTER) enqueues its check again. Checking twice changes nothing
# (photo_check_run claims the photo); the long interval keeps a deep queue from being doubled often.
RECHECK_AFTER = timedelta(minutes=15)


def photos_recheck_waiting(*, now=None) -> int:
    """Enqueue the check of every photo left in `checking` longer than RECHECK_AFTER; returns how many."""
    cutoff = (now or timezone.now()) - RECHECK_AFTER
    waiting = Photo.objects.filter(status=PhotoStatus.CHECKING, uploaded_at__lt=cutoff).values_list("pk", flat=True)
    ids = [str(pk) for pk in waiting]
    for photo_id in ids:
        enqueue_on_commit("reviews.tasks.check_photo", photo_id)
    return len(ids)


def photo_check_run(*, photo_id) -> str | None:
    """The Celery task's work: check one photo. Idempotent: a photo already checked is left alone."""
    from reviews.photo_checks import check_photo

    photo = Photo.objects.select_related("application__applicant").filter(pk=photo_id).first()
    if photo is None or photo.status != PhotoStatus.CHECKING:
        return None
    with photo.image.open("rb") as fh:
        result = check_photo(
            fh.read(),
            max_bytes=settings.UPLOAD_MAX_BYTES,
            max_pixels=settings.IMAGE_MAX_PIXELS,
            metadata=photo.source_metadata,
        )
    problems = [
        {"code": p.code, "message": p.messages, "value": p.as_dict()["value"], "limit": p.as_dict()["limit"]}
        for p in result.problems
    ]
    metrics = result.as_dict()["metrics"]
    portal_metrics.PHOTO_CHECK_SECONDS.observe(metrics.get("total_ms", 0) / 1000)
    status = PhotoStatus.FLAGGED if problems else PhotoStatus.PASSED
    with transaction.atomic():
        claimed = Photo.objects.filter(pk=photo.pk, status=PhotoStatus.CHECKING).update(
            status=status, problems=problems, metrics=metrics, checked_at=timezone.now()
        )
        if not claimed:
            return None
        application = photo.application
        if status == PhotoStatus.PASSED:
            due_at, unknown = due_at_from(photo.uploaded_at)
            moved = Application.objects.filter(pk=application.pk, status=ApplicationStatus.PHOTO_CHECKING).update(
                status=ApplicationStatus.SUBMITTED, due_at=due_at, calendar_unknown=unknown
            )
            if moved:
                timeline_record(application, ApplicationStatus.SUBMITTED, "photo_passed")
        else:
            moved = Application.objects.filter(pk=application.pk, status=ApplicationStatus.PHOTO_CHECKING).update(
                status=ApplicationStatus.PHOTO_REVIEW
            )
            if moved:
                timeline_record(
                    application,
                    ApplicationStatus.PHOTO_REVIEW,
                    "photo_flagged",
                    problems=[p["code"] for p in problems],
                )
        audit_record(actor=None, action=f"photo.{status}", obj=photo, data={"problems": [p["code"] for p in problems]})
    return status


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
            due_at, unknown = due_at_from(photo.uploaded_at)
            Application.objects.filter(pk=application.pk, status=ApplicationStatus.PHOTO_REVIEW).update(
                status=ApplicationStatus.SUBMITTED, due_at=due_at, calendar_unknown=unknown
            )
            timeline_record(application, ApplicationStatus.SUBMITTED, "photo_approved")
        else:
            rejected = selectors.rejected_photo_count(application)
            if rejected >= MAX_REJECTED_PHOTOS:
                Application.objects.filter(pk=application.pk).update(
                    status=ApplicationStatus.REJECTED, reason="visit_counter", decided_at=now
                )
                timeline_record(application, ApplicationStatus.REJECTED, "visit_counter")
            else:
                Application.objects.filter(pk=application.pk, status=ApplicationStatus.PHOTO_REVIEW).update(
                    status=ApplicationStatus.PHOTO_REQUIRED
                )
                timeline_record(application, ApplicationStatus.PHOTO_REQUIRED, "photo_rejected", reason=reason)
        audit_record(
            actor=reviewer,
            action=f"application.photo_{decision}d",
            obj=application,
            data={"reason": reason, "note": note[:200]},
            ip=ip,
        )
    application.refresh_from_db()
    return application


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
