"""Applying for an e-licence (R1) and cancelling an application."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from licences import selectors as licence_selectors
from licences.models import ELicenceState, LicenceStatus
from portal.accounts import services as account_services
from portal.accounts.audit import audit_record
from portal.accounts.models import RealNameStatus, User
from portal.dates import parse_iso_date
from portal.errors import DomainError
from reviews import selectors
from reviews.models import OPEN_STATUSES, Application, ApplicationStatus
from reviews.services.timeline import due_at_from, timeline_record


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
    result = account_services.face_verify(user=user, selfie=selfie)  # the same reference rule as A1; not stored
    if not result.verified:
        audit_record(actor=user, action="application.face_failed", obj=licence, data={"detail": result.detail}, ip=ip)
        raise DomainError("face_verification_failed", result.detail or _("The face could not be verified."))
    now = timezone.now()
    needs_photo = not licence.has_portrait
    due_at, unknown = (None, False) if needs_photo else due_at_from(now)
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
            timeline_record(application, application.status, "photo_needed" if needs_photo else "")
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
        timeline_record(application, ApplicationStatus.CANCELLED, notify=False)
        audit_record(actor=user, action="application.cancelled", obj=application, ip=ip)
    return application
