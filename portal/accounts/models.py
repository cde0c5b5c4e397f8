import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.crypto import EncryptedTextField, lookup_hash
from portal.dates import local_time
from portal.masking import mask_id_number, mask_phone
from portal.models import AppendOnlyModel


class Role(models.TextChoices):
    """Staff roles, kept as Django groups of the same names (made by the accounts migrations)."""

    COUNTER_CLERK = "counter_clerk", _("Counter clerk")
    REVIEWER = "reviewer", _("Reviewer")
    SUPERVISOR = "supervisor", _("Supervisor")


class RealNameStatus(models.TextChoices):
    FACE_REQUIRED = "face_required", _("Face verification required")
    VERIFIED = "verified", _("Verified")


class AccountKind(models.TextChoices):
    PERSONAL = "personal", _("Personal")
    STAFF = "staff", _("Staff")
    AUTHORITY = "authority", _("Authority system")


class RegisteredVia(models.TextChoices):
    ONLINE = "online", _("Online")
    COUNTER = "counter", _("At a counter")
    DRIVING_SCHOOL = "driving_school", _("By a driving school")


class User(AbstractUser):
    """Every person and machine that logs in. Citizens log in with their ID number or phone."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=AccountKind.choices, default=AccountKind.PERSONAL)
    name = models.CharField(_("real name"), max_length=64, blank=True)
    id_number = EncryptedTextField(_("ID number"), blank=True, default="")
    id_number_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    phone = EncryptedTextField(_("mobile number"), blank=True, default="")
    phone_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    real_name_status = models.CharField(
        _("real-name status"), max_length=16, choices=RealNameStatus.choices, default=RealNameStatus.FACE_REQUIRED
    )
    registered_via = models.CharField(
        _("registered via"), max_length=16, choices=RegisteredVia.choices, default=RegisteredVia.ONLINE
    )
    phone_verified_at = models.DateTimeField(_("phone verified at"), null=True, blank=True)
    face_verified_at = models.DateTimeField(_("face verified at"), null=True, blank=True)
    in_person_verified_at = models.DateTimeField(_("identity checked at a counter at"), null=True, blank=True)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    registered_by_organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("pre-registered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="students",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        # The staff console lists accounts newest first (UserAdmin.ordering): from an index, not a sort.
        indexes = [models.Index(fields=["date_joined"], name="user_date_joined")]

    def save(self, *args, **kwargs):
        # The look-up hashes follow the encrypted values; empty values must stay NULL (unique).
        self.id_number_hash = lookup_hash(self.id_number) if self.id_number else None
        self.phone_hash = lookup_hash(self.phone) if self.phone else None
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        if self.kind == AccountKind.PERSONAL and self.id_number:
            return f"{self.name} ({self.id_number_masked})"
        return self.username

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def display_name(self) -> str:
        return self.name or self.username

    @property
    def role_names(self) -> list[str]:
        return sorted(self.groups.values_list("name", flat=True))

    def has_role(self, role: Role) -> bool:
        """Staff roles are Django groups; a supervisor may do what every other staff role may."""
        if not self.is_active:
            return False
        if self.is_superuser:
            return True
        return self.groups.filter(name__in=[role, Role.SUPERVISOR]).exists()


class OrganisationKind(models.TextChoices):
    DRIVING_SCHOOL = "driving_school", _("Driving school")
    INSURER = "insurer", _("Insurer")
    CAR_RENTAL = "car_rental", _("Car-rental firm")
    EMPLOYER = "employer", _("Employer")
    POLICE = "police", _("Police / traffic unit")


class OrganisationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Organisation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=128)
    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=OrganisationKind.choices)
    contact_name = models.CharField(_("contact name"), max_length=64)
    contact_phone = EncryptedTextField(_("contact phone"))
    status = models.CharField(
        _("status"), max_length=16, choices=OrganisationStatus.choices, default=OrganisationStatus.PENDING
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_approved(self) -> bool:
        return self.status == OrganisationStatus.APPROVED

    @property
    def contact_phone_masked(self) -> str:
        return mask_phone(self.contact_phone)


class CodePurpose(models.TextChoices):
    REGISTER = "register", _("Registration")
    PASSWORD_RESET = "password_reset", _("Password reset")


class SingleUseCode(models.Model):
    """A secret code: only its keyed hash is stored; a limited number of attempts, used once."""

    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class OneTimeCode(SingleUseCode):
    """A 6-digit code sent by SMS to prove a phone number; short-lived."""

    purpose = models.CharField(max_length=16, choices=CodePurpose.choices)
    target_hash = models.CharField(max_length=64, db_index=True, help_text="keyed hash of the phone number")

    class Meta:
        indexes = [models.Index(fields=["purpose", "target_hash", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.purpose} code ({self.created_at:%Y-%m-%d %H:%M})"


class ActivationCode(SingleUseCode):
    """Given to people registered at a counter or by a driving school, to set their own password."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="activation_codes")

    def __str__(self) -> str:
        return f"activation code for {self.user_id}"


class MessageChannel(models.TextChoices):
    SMS = "sms", _("SMS")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    # Its worker stopped while sending (killed, host lost): the gateway may or may not have it. Never
    # sent again (at most once); a person who got nothing asks for a new code.
    UNKNOWN = "unknown", _("Outcome unknown")


class OutboundMessage(models.Model):
    """An SMS waiting for the worker. Recipient and text are encrypted: tasks get the id."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    channel = models.CharField(_("channel"), max_length=8, choices=MessageChannel.choices, default=MessageChannel.SMS)
    recipient = EncryptedTextField()
    text = EncryptedTextField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("account")
    )
    status = models.CharField(_("status"), max_length=8, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sending_since = models.DateTimeField(_("sending since"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        # The minutely sweeps look only at messages not yet done: a small index, whatever the history.
        indexes = [
            models.Index(
                fields=["status", "created_at"],
                name="message_not_done",
                condition=models.Q(status__in=["pending", "sending"]),
            )
        ]

    def __str__(self) -> str:
        return f"{local_time(self.created_at)} {self.get_channel_display()} · {self.get_status_display()}"


class AuditEntry(AppendOnlyModel):
    """Append-only record of every state change (X2): the product offers no way to edit one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("actor")
    )
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at"]

    def __str__(self) -> str:
        kind = _("audit entry")
        return f"{kind} {local_time(self.at)}"


def identity_photo_path(instance, filename: str) -> str:
    return f"identity/{uuid.uuid4().hex}.jpg"


class IdentityPhoto(models.Model):
    """The identity register: a person's ID-card photo as the authority's system pushed it (the
    stand-in for the population register). It is the reference of face verification (A1, R1)."""

    id_number_hash = models.CharField(max_length=64, unique=True, editable=False)
    id_number_masked = models.CharField(_("ID number"), max_length=18, editable=False)
    photo = models.FileField(_("photo"), upload_to=identity_photo_path)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("identity photo")
        verbose_name_plural = _("identity register")

    def __str__(self) -> str:
        return self.id_number_masked
