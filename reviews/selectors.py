"""Reads of applications: a citizen's own, the reviewers' queue, one case, the supervisors' figures."""

from collections import Counter
from datetime import timedelta
from statistics import median

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.errors import NotFoundError
from reviews.models import OPEN_STATUSES, PHOTO_REPLACED, Application, ApplicationStatus, Photo, PhotoStatus

REVIEW_QUEUE_LIMIT = 500


def application_of_applicant(*, user: User, application_id) -> Application:
    """One of the user's own applications; anyone else's is 'not found' (X3)."""
    found = Application.objects.select_related("licence").filter(pk=application_id, applicant=user).first()
    if found is None:
        raise NotFoundError("not_found", _("Not found."))
    return found


def applications_of_applicant(user: User):
    return Application.objects.filter(applicant=user).prefetch_related("photos", "timeline")


def open_application_of(user: User) -> Application | None:
    return Application.objects.filter(applicant=user, status__in=OPEN_STATUSES).first()


def open_application_exists(licence) -> bool:
    return Application.objects.filter(licence=licence, status__in=OPEN_STATUSES).exists()


def rejected_photo_count(application: Application) -> int:
    """Photos a reviewer rejected; a photo replaced by the citizen's own retake does not count."""
    return application.photos.filter(status=PhotoStatus.REJECTED).exclude(reason=PHOTO_REPLACED).count()


def _flagged_photo(application: Application) -> Photo | None:
    """The photo waiting for a reviewer, from the prefetched photos where there are some."""
    return next((p for p in application.photos.all() if p.status == PhotoStatus.FLAGGED), None)


def flagged_problem_codes(application: Application) -> set[str]:
    """The problem codes of the photo waiting for a reviewer (none when no photo waits)."""
    photo = _flagged_photo(application)
    return {p["code"] for p in photo.problems} if photo else set()


def _needing_staff():
    """Applications staff must look at: photos with a reviewer, and due dates in an unknown year."""
    return Application.objects.filter(
        Q(status=ApplicationStatus.PHOTO_REVIEW) | Q(status=ApplicationStatus.SUBMITTED, calendar_unknown=True)
    )


def review_queue(*, status: str = "", problem: str = "", older_than_hours: int | None = None) -> list[Application]:
    """The reviewers' queue, oldest first: what needs staff (or every application in `status`),
    narrowed to a photo problem code and to a minimum age."""
    cases = Application.objects.filter(status=status) if status else _needing_staff()
    if older_than_hours is not None:
        cases = cases.filter(submitted_at__lte=timezone.now() - timedelta(hours=older_than_hours))
    cases = cases.select_related("licence", "applicant").prefetch_related("photos", "timeline")
    cases = cases.order_by("submitted_at")[:REVIEW_QUEUE_LIMIT]
    # JSON containment differs between SQLite and PostgreSQL: the problem code is matched here.
    return [case for case in cases if not problem or problem in flagged_problem_codes(case)]


def review_case(application_id) -> Application:
    found = (
        Application.objects.select_related("licence", "applicant")
        .prefetch_related("photos", "timeline")
        .filter(pk=application_id)
        .first()
    )
    if found is None:
        raise NotFoundError("not_found", _("Not found."))
    return found


def review_case_next(after: Application) -> Application | None:
    """The oldest other case needing staff, to open once a decision is saved."""
    return _needing_staff().exclude(pk=after.pk).order_by("submitted_at").first()


def review_photo(application: Application) -> Photo | None:
    """The photo a reviewer decides on: the flagged one, else the newest."""
    return _flagged_photo(application) or next(iter(application.photos.all()), None)


def photo_with_image(photo_id) -> Photo | None:
    """A stored photo whose image still exists (rejected ones are deleted after the retention period)."""
    return Photo.objects.filter(pk=photo_id).exclude(image="").first()


def dashboard_figures(*, days: int = 14) -> dict:
    """For supervisors (R6): queue size, median wait, approvals per day, top problem codes."""
    now = timezone.now()
    queue = list(_needing_staff())
    waits = [(now - a.submitted_at).total_seconds() / 3600 for a in queue]
    since = now - timedelta(days=days)
    per_day = Counter(
        timezone.localtime(at).date()
        for at in Application.objects.filter(status=ApplicationStatus.APPROVED, decided_at__gte=since).values_list(
            "decided_at", flat=True
        )
    )
    problems = Counter()
    for photos in Photo.objects.filter(uploaded_at__gte=since).values_list("problems", flat=True):
        problems.update(p["code"] for p in photos)
    today = timezone.localdate()
    return {
        "queue": len(queue),
        "calendar_unknown": sum(1 for a in queue if a.calendar_unknown),
        "median_wait_hours": round(median(waits), 1) if waits else 0,
        "approvals_per_day": [
            (today - timedelta(days=i), per_day.get(today - timedelta(days=i), 0)) for i in range(days - 1, -1, -1)
        ],
        "top_problems": problems.most_common(8),
    }
