"""Becoming a user: online registration with a face check (A1), registration at a counter (A2) or by
a driving school (A4) with an activation code, and the "already registered" answer (A5)."""

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import ratelimit
from portal.accounts import selectors
from portal.accounts.audit import audit_record
from portal.accounts.face import FaceResult, get_face_verifier
from portal.accounts.models import (
    AccountKind,
    ActivationCode,
    CodePurpose,
    Organisation,
    RealNameStatus,
    RegisteredVia,
    Role,
    User,
)
from portal.accounts.permissions import require_role
from portal.accounts.services.codes import code_claim, one_time_code_consume
from portal.accounts.services.common import account_limits_hit, new_password_validate
from portal.accounts.validators import clean_id_number, clean_name, clean_phone, normalise_id_number
from portal.crypto import constant_time_equals, lookup_hash
from portal.errors import DomainError
from portal.images import decode_image
from portal.masking import mask_id_number, mask_phone

ACTIVATION_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud at a counter


def _already_registered(existing: User) -> DomainError:
    """A5: say that the ID number has an account and what to do, without any of its data."""
    if not existing.is_active and existing.activation_codes.filter(used_at__isnull=True).exists():
        if existing.registered_via == RegisteredVia.DRIVING_SCHOOL:
            detail = _(
                "Your driving school has already registered this ID number. Use the activation code "
                "the school gave you to set your password."
            )
        else:
            detail = _(
                "This ID number was registered at a service counter. Use the activation code you "
                "were given to set your password."
            )
    else:
        detail = _(
            "An account already exists for this ID number. Log in, or reset your password with a code "
            "sent to the registered mobile number."
        )
    return DomainError("already_registered", detail, status=409)


def _phone_taken() -> DomainError:
    return DomainError(
        "phone_taken",
        _("This mobile number is already used by another account. Log in, or use another number."),
        status=409,
    )


def _duplicate_error(id_number: str) -> DomainError:
    """After a unique-constraint failure: a concurrent registration of the same ID or phone won."""
    existing = selectors.user_by_id_number(id_number)
    return _already_registered(existing) if existing else _phone_taken()


@dataclass(frozen=True)
class Person:
    id_number: str
    name: str
    phone: str

    def audit_data(self) -> dict:
        return {"id_number": mask_id_number(self.id_number), "phone": mask_phone(self.phone)}


def _new_person_clean(*, id_number: str, name: str, phone: str, check_phone: bool = True) -> Person:
    """A person who may get a new account: valid numbers, an ID number with no account (A5) and,
    unless the caller checks it later, a phone number no one else uses."""
    person = Person(id_number=clean_id_number(id_number), name=clean_name(name), phone=clean_phone(phone))
    existing = selectors.user_by_id_number(person.id_number)
    if existing is not None:
        raise _already_registered(existing)
    if check_phone and selectors.user_by_phone(person.phone) is not None:
        raise _phone_taken()
    return person


def _new_personal_user(person: Person, **fields) -> User:
    return User(
        username=f"u{secrets.token_hex(8)}",
        kind=AccountKind.PERSONAL,
        name=person.name,
        id_number=person.id_number,
        phone=person.phone,
        **fields,
    )


# --- A1 online registration and face verification ------------------------------------------------
def account_register(*, id_number: str, name: str, phone: str, phone_code: str, password: str, ip: str) -> User:
    ratelimit.hit("register:ip", ip)
    # The phone is checked after the code: only its owner learns that another account uses it.
    person = _new_person_clean(id_number=id_number, name=name, phone=phone, check_phone=False)
    user = _new_personal_user(
        person, registered_via=RegisteredVia.ONLINE, real_name_status=RealNameStatus.FACE_REQUIRED
    )
    new_password_validate(password, user)
    one_time_code_consume(purpose=CodePurpose.REGISTER, phone=person.phone, code=phone_code)
    if selectors.user_by_phone(person.phone) is not None:
        raise _phone_taken()
    user.set_password(password)
    user.phone_verified_at = timezone.now()
    try:
        with transaction.atomic():
            user.save()
            audit_record(
                actor=user,
                action="account.registered",
                obj=user,
                data={
                    "id_number": mask_id_number(person.id_number),
                    "phone": mask_phone(person.phone),
                    "via": "online",
                },
                ip=ip,
            )
    except IntegrityError:
        raise _duplicate_error(person.id_number) from None
    return user


def face_verification_submit(*, user: User, selfie: bytes, ip: str) -> User:
    """A1's last step: a live selfie checked by the configured verifier. Never passes by default."""
    if user.kind != AccountKind.PERSONAL:
        raise DomainError("not_a_personal_account", _("Only personal accounts verify a face."))
    if user.real_name_status == RealNameStatus.VERIFIED:
        return user
    result = face_verify(user=user, selfie=selfie)
    # The selfie itself is not stored: only the outcome (security.md, PIPL).
    if not result.verified:
        audit_record(actor=user, action="face_verification.failed", obj=user, data={"detail": result.detail}, ip=ip)
        raise DomainError("face_verification_failed", result.detail or _("The face could not be verified."))
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(
            face_verified_at=timezone.now(), real_name_status=RealNameStatus.VERIFIED
        )
        audit_record(actor=user, action="face_verification.passed", obj=user, data=result.metrics or {}, ip=ip)
    user.refresh_from_db()
    return user


def face_verify(*, user: User, selfie: bytes) -> FaceResult:
    """Compare a selfie with the person's reference photo (A1, R1). A face alone is never enough:
    with no reference on record the answer is `no_reference_photo` (real-name checks at a counter).
    Each try counts against the account's face-check limit."""
    ratelimit.hit("face:account", str(user.pk))
    try:
        image = decode_image(selfie)
    except DomainError as exc:
        raise DomainError("face_verification_failed", exc.detail) from None
    reference = selectors.reference_photo_for(user)
    if reference is None:
        raise DomainError(
            "no_reference_photo",
            _(
                "There is no photo of you on record to compare your face with. Please complete "
                "real-name verification at a traffic-police service counter, with your ID card."
            ),
        )
    return get_face_verifier().verify(selfie=image.jpeg, reference=reference)


# --- A2 counter registration, A4 driving-school students, activation -----------------------------
def _activation_hash(user: User, code: str) -> str:
    return lookup_hash(f"{user.pk}:{code.replace('-', '').replace(' ', '').upper()}", purpose="activation")


def _activation_issue(*, user: User) -> str:
    raw = "".join(secrets.choice(ACTIVATION_ALPHABET) for _i in range(10))
    now = timezone.now()
    user.activation_codes.filter(used_at__isnull=True).update(used_at=now)
    ActivationCode.objects.create(
        user=user, code_hash=_activation_hash(user, raw), expires_at=now + settings.ACTIVATION_CODE_TTL
    )
    return f"{raw[:5]}-{raw[5:]}"


@dataclass(frozen=True)
class Preregistration:
    user: User
    activation_code: str


def account_preregister(
    *, id_number: str, name: str, phone: str, via: str, organisation: Organisation | None, actor, ip: str
) -> Preregistration:
    """An inactive personal account and its activation code. Raises on duplicates."""
    person = _new_person_clean(id_number=id_number, name=name, phone=phone)
    in_person = via == RegisteredVia.COUNTER
    user = _new_personal_user(
        person,
        is_active=False,
        registered_via=via,
        registered_by_organisation=organisation,
        # At a counter the clerk compared the person with the ID card: that is the real-name check.
        in_person_verified_at=timezone.now() if in_person else None,
        real_name_status=RealNameStatus.VERIFIED if in_person else RealNameStatus.FACE_REQUIRED,
    )
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
            code = _activation_issue(user=user)
            audit_record(
                actor=actor,
                action="account.preregistered",
                obj=user,
                data={
                    **person.audit_data(),
                    "via": via,
                    "organisation": str(organisation.pk) if organisation else None,
                },
                ip=ip,
            )
    except IntegrityError:
        raise _duplicate_error(person.id_number) from None
    return Preregistration(user=user, activation_code=code)


def counter_registration_create(*, clerk: User, id_number: str, name: str, phone: str, ip: str) -> Preregistration:
    """A2: a counter clerk registers a person whose ID card they have checked."""
    require_role(clerk, Role.COUNTER_CLERK)
    return account_preregister(
        id_number=id_number, name=name, phone=phone, via=RegisteredVia.COUNTER, organisation=None, actor=clerk, ip=ip
    )


def account_activate(*, id_number: str, activation_code: str, password: str, ip: str) -> User:
    account_limits_hit("activate", identifier=normalise_id_number(id_number), ip=ip)
    # One answer for an unknown ID number, a wrong, expired or used code: a stranger learns nothing
    # of who was pre-registered. The code has no lockout a stranger could trigger: its 31^10
    # possibilities behind the limits above cannot be guessed.
    invalid = DomainError(
        "activation_code_invalid",
        _("The ID number and activation code do not match, or the code has expired or was used."),
    )
    user = selectors.user_by_id_number(id_number)
    if user is None:
        raise invalid
    current = (
        user.activation_codes.filter(used_at__isnull=True, expires_at__gt=timezone.now())
        .order_by("-created_at")
        .first()
    )
    if current is None:
        raise invalid
    if not constant_time_equals(current.code_hash, _activation_hash(user, activation_code or "")):
        raise invalid
    new_password_validate(password, user)
    with transaction.atomic():
        code_claim(current, invalid=invalid)
        user.set_password(password)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
        audit_record(actor=user, action="account.activated", obj=user, ip=ip)
    return user
