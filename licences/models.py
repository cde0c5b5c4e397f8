"""The licence register (L1), e-licences (L3), verifications (L4, L5) and shared copies (L6)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.crypto import EncryptedTextField, lookup_hash
from portal.dates import local_time
from portal.masking import mask_id_number, mask_name
from portal.models import AppendOnlyModel

# 准驾车型 (GB/T 35658 and the Ministry's regulations): the 17 codes a licence may permit.
VEHICLE_CLASSES = ("A1", "A2", "A3", "B1", "B2", "C1", "C2", "C3", "C4", "C5", "C6", "D", "E", "F", "M", "N", "P")


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class LicenceStatus(models.TextChoices):
    NORMAL = "normal", _("Normal")
    DETAINED = "detained", _("Detained")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


def portrait_path(instance, filename: str) -> str:
    return f"portraits/{uuid.uuid4().hex}.jpg"


class Licence(models.Model):
    """The authority's record of one driving licence. The licence number is the holder's ID number."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = EncryptedTextField(_("licence number"))
    number_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The masked form (first 6 and last 4 characters) is not secret: staff search by it.
    number_masked = models.CharField(_("licence number"), max_length=18, editable=False, db_index=True, default="")
    name = models.CharField(_("name"), max_length=64)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    nationality = models.CharField(_("nationality"), max_length=32, default="中国")
    birth_date = models.DateField(_("birth date"))
    address = models.CharField(_("address"), max_length=200)
    first_issued_on = models.DateField(_("first issued on"))
    classes = models.JSONField(_("vehicle classes"), default=list)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True, help_text=_("empty: long-term"))
    issuing_authority = models.CharField(_("issuing authority"), max_length=100)
    file_number = EncryptedTextField(_("file number"))
    status = models.CharField(_("status"), max_length=16, choices=LicenceStatus.choices, default=LicenceStatus.NORMAL)
    points = models.PositiveSmallIntegerField(_("points"), default=0)
    portrait = models.FileField(_("portrait"), upload_to=portrait_path, blank=True)
    # Bumped whenever classes, validity or issuing authority change (换证): old e-licences and
    # tokens name the version they were made for and stop working.
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("licence record")
        verbose_name_plural = _("licence register")
        constraints = [models.CheckConstraint(condition=models.Q(points__lte=12), name="licence_points_0_12")]

    def __str__(self) -> str:
        return f"{mask_name(self.name)} {self.number_masked}"

    def save(self, *args, **kwargs):
        self.number_hash = lookup_hash(self.number)
        self.number_masked = mask_id_number(self.number)
        super().save(*args, **kwargs)

    @property
    def file_number_masked(self) -> str:
        value = self.file_number or ""
        return value[:4] + "*" * max(len(value) - 6, 0) + value[-2:] if len(value) > 6 else "*" * len(value)

    @property
    def has_portrait(self) -> bool:
        return bool(self.portrait)

    @property
    def is_overdue(self) -> bool:
        """Past the end of its validity: overdue for renewal (换证)."""
        return self.valid_until is not None and self.valid_until < timezone.localdate()

    @property
    def paper_required(self) -> bool:
        """Detained: the paper licence is required for traffic business until it is returned."""
        return self.status == LicenceStatus.DETAINED

    @property
    def qr_colour(self) -> str:
        """As on 12123: red when points reach 12, the licence is overdue for renewal, or it is detained."""
        return "red" if self.qr_red_reasons else "green"

    @property
    def qr_red_reasons(self) -> list[str]:
        """Why the QR code is red, in words for the holder and the verifier (empty when green)."""
        reasons = []
        if self.points >= 12:
            reasons.append(_("12 or more points in this scoring period"))
        if self.is_overdue:
            reasons.append(_("the licence is overdue for renewal"))
        if self.paper_required:
            reasons.append(_("the licence is detained"))
        return reasons


class ELicenceState(models.TextChoices):
    VALID = "valid", _("Valid")
    INVALID = "invalid", _("Invalid")


class InvalidReason(models.TextChoices):
    LICENCE_CHANGED = "licence_changed", _("The licence was changed: apply again")
    LICENCE_REVOKED = "licence_revoked", _("The licence was revoked")
    LICENCE_CANCELLED = "licence_cancelled", _("The licence was cancelled")
    LICENCE_EXPIRED = "licence_expired", _("The licence has expired")
    LICENCE_SUSPENDED = "licence_suspended", _("The licence is suspended")


class ELicence(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="elicences", verbose_name=_("licence"))
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="elicences", verbose_name=_("holder")
    )
    licence_version = models.PositiveIntegerField(_("licence version"))
    state = models.CharField(_("state"), max_length=8, choices=ELicenceState.choices, default=ELicenceState.VALID)
    invalid_reason = models.CharField(_("invalid reason"), max_length=24, choices=InvalidReason.choices, blank=True)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now, db_index=True)  # the console's order
    invalidated_at = models.DateTimeField(_("invalidated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("e-licence")
        verbose_name_plural = _("e-licences")
        ordering = ["-issued_at"]
        constraints = [
            # At most one valid e-licence per licence, on SQLite and PostgreSQL alike.
            models.UniqueConstraint(
                fields=["licence"], condition=models.Q(state="valid"), name="one_valid_elicence_per_licence"
            )
        ]

    def __str__(self) -> str:
        kind = _("e-licence")
        return f"{self.licence} · {kind} · {self.get_state_display()}"

    @property
    def is_valid(self) -> bool:
        return self.state == ELicenceState.VALID

    @property
    def paper_required(self) -> bool:
        return self.is_valid and self.licence.paper_required


class QRCode(models.Model):
    """A short code to type instead of scanning, bound to one token's lifetime."""

    code = models.CharField(max_length=12, unique=True)
    elicence = models.ForeignKey(ELicence, on_delete=models.CASCADE, related_name="qr_codes")
    licence_version = models.PositiveIntegerField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.code} until {self.expires_at:%H:%M:%S}"


class Share(models.Model):
    """A copy the holder shares for one purpose, verifiable online until it expires or is revoked."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    elicence = models.ForeignKey(ELicence, on_delete=models.CASCADE, related_name="shares", verbose_name=_("e-licence"))
    purpose = models.CharField(_("purpose"), max_length=100)
    code = models.CharField(_("code"), max_length=16, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("shared copy")
        verbose_name_plural = _("shared copies")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.purpose} ({self.code})"


class VerificationMethod(models.TextChoices):
    QR = "qr", _("QR code")
    CODE = "code", _("Short code")
    SHARE = "share", _("Shared copy")
    OFFLINE = "offline", _("QR code, checked offline")


class Verification(AppendOnlyModel):
    """Every check of an e-licence (L4), shown to the holder (L5). Append-only like the audit log."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    elicence = models.ForeignKey(
        ELicence,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="verifications",
        verbose_name=_("e-licence"),
    )
    share = models.ForeignKey(Share, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("shared copy"))
    verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("verifier")
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("organisation")
    )
    method = models.CharField(_("method"), max_length=8, choices=VerificationMethod.choices)
    purpose = models.CharField(_("purpose"), max_length=100, blank=True)
    valid = models.BooleanField(_("valid"))
    reason = models.CharField(_("reason"), max_length=24, blank=True)
    paper_required = models.BooleanField(_("paper licence required"), default=False)
    checked_at = models.DateTimeField(_("checked at"), default=timezone.now, db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("verification")
        verbose_name_plural = _("verification log")
        ordering = ["-checked_at"]

    def __str__(self) -> str:
        outcome = _("valid") if self.valid else _("not valid")
        return f"{local_time(self.checked_at)} {self.get_method_display()} {outcome}"

    @property
    def result(self) -> str:
        """`valid`, or the reason it was not."""
        return "valid" if self.valid else self.reason
