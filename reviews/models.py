"""Applications for an e-licence (R1–R7), their photos, timelines, and the working-day calendar."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Waiting for the due time")
    PHOTO_REQUIRED = "photo_required", _("Photo required")
    PHOTO_CHECKING = "photo_checking", _("Checking the photo")
    PHOTO_REVIEW = "photo_review", _("Photo with a reviewer")
    APPROVING = "approving", _("Being approved")  # a worker has claimed it; never seen for long
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.PHOTO_REQUIRED,
    ApplicationStatus.PHOTO_CHECKING,
    ApplicationStatus.PHOTO_REVIEW,
    ApplicationStatus.APPROVING,
)


class Application(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications", verbose_name=_("applicant")
    )
    licence = models.ForeignKey("licences.Licence", on_delete=models.PROTECT, related_name="applications")
    licence_version = models.PositiveIntegerField()
    validity_start = models.DateField(_("validity start"))
    status = models.CharField(_("status"), max_length=16, choices=ApplicationStatus.choices, db_index=True)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True, db_index=True)
    calendar_unknown = models.BooleanField(
        _("calendar unknown"), default=False, help_text=_("the due date falls in a year without calendar data")
    )
    face_verified = models.BooleanField(default=False)
    face_metrics = models.JSONField(default=dict, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="when an approval pass claimed it")
    reason = models.CharField(_("reason"), max_length=32, blank=True)
    elicence = models.ForeignKey("licences.ELicence", null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-submitted_at"]
        constraints = [
            # One open application per licence, enforced by the database on SQLite and PostgreSQL.
            models.UniqueConstraint(
                fields=["licence"],
                condition=models.Q(status__in=[s.value for s in OPEN_STATUSES]),
                name="one_open_application_per_licence",
            )
        ]

    def __str__(self) -> str:
        return f"{self.licence} {self.get_status_display()}"

    @property
    def current_photo(self) -> "Photo | None":
        """The photo that counts now: the newest one not replaced by a retake."""
        return next((p for p in self.photos.all() if p.reason != PHOTO_REPLACED), None)


class PhotoStatus(models.TextChoices):
    CHECKING = "checking", _("Checking")
    PASSED = "passed", _("Passed the checks")
    FLAGGED = "flagged", _("Flagged for a reviewer")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


PHOTO_REPLACED = "replaced"  # the reason of a photo the citizen replaced with a retake


def photo_path(instance, filename: str) -> str:
    return f"photos/{uuid.uuid4().hex}.jpg"


class Photo(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to=photo_path)
    status = models.CharField(max_length=10, choices=PhotoStatus.choices, default=PhotoStatus.CHECKING)
    problems = models.JSONField(default=list, blank=True)
    # What the original upload's EXIF said (editor software, when it was taken): the stored copy is
    # pixels only, so the checks read these. Never GPS or anything else.
    source_metadata = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)
    checked_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=32, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"photo {self.status} {self.uploaded_at:%Y-%m-%d %H:%M}"


class TimelineEntry(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=16, choices=ApplicationStatus.choices)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.status}"


class WorkingDayOverride(models.Model):
    """Staff corrections to the calendar, and the calendar for years the library does not know yet."""

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("working-day override")
        verbose_name_plural = _("working-day overrides")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'working' if self.is_working_day else 'day off'}"
