"""Applications for an e-licence (R1–R7), their photos, timelines, and the working-day calendar."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.dates import local_time


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
    licence = models.ForeignKey(
        "licences.Licence", on_delete=models.PROTECT, related_name="applications", verbose_name=_("licence")
    )
    licence_version = models.PositiveIntegerField(_("licence version"))
    validity_start = models.DateField(_("validity start"))
    status = models.CharField(_("status"), max_length=16, choices=ApplicationStatus.choices, db_index=True)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now, db_index=True)  # the console's order
    due_at = models.DateTimeField(_("due at"), null=True, blank=True, db_index=True)
    calendar_unknown = models.BooleanField(
        _("calendar unknown"), default=False, help_text=_("the due date falls in a year without calendar data")
    )
    face_verified = models.BooleanField(_("face verified"), default=False)
    face_metrics = models.JSONField(_("face check measurements"), default=dict, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    claimed_at = models.DateTimeField(
        _("claimed at"), null=True, blank=True, help_text=_("when an approval pass claimed it")
    )
    reason = models.CharField(_("reason"), max_length=32, blank=True)
    elicence = models.ForeignKey(
        "licences.ELicence", null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("e-licence")
    )

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
        indexes = [
            # The approval pass reads the due applications in due order, every minute, from a table that
            # grows by millions: only the waiting ones are indexed.
            models.Index(fields=["due_at"], condition=models.Q(status="submitted"), name="application_due_waiting"),
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
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="photos", verbose_name=_("application")
    )
    image = models.FileField(_("image"), upload_to=photo_path)
    status = models.CharField(_("status"), max_length=10, choices=PhotoStatus.choices, default=PhotoStatus.CHECKING)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    # What the original upload's EXIF said (editor software, when it was taken): the stored copy is
    # pixels only, so the checks read these. Never GPS or anything else.
    source_metadata = models.JSONField(_("metadata of the upload"), default=dict, blank=True)
    metrics = models.JSONField(_("measurements"), default=dict, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now, db_index=True)  # the console's order
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=32, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        kind = _("photo")
        return f"{kind} {local_time(self.uploaded_at)} · {self.get_status_display()}"


class TimelineEntry(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(_("time"), default=timezone.now)
    status = models.CharField(_("status"), max_length=16, choices=ApplicationStatus.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)  # entries written before notes had keys
    note_key = models.CharField(max_length=32, blank=True)  # reviews.presenters.NOTES
    note_args = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{local_time(self.at)} {self.get_status_display()}"

    @property
    def note_text(self) -> str:
        """The note in the reader's language."""
        from reviews.presenters import note_text

        return note_text(self.note_key, self.note_args) if self.note_key else self.note


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
        kind = _("working day") if self.is_working_day else _("day off")
        return f"{self.date} {kind}"
