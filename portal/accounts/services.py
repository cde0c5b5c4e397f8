"""Account services (A1–A7): the only place where account state changes.

Pages, API views, admin actions and commands all call these. Each service checks its inputs,
writes its audit entry and raises `DomainError` with a stable `code` on bad input. Rate-limit
hits and one-time-code attempts are counted outside the atomic block on purpose, so that a
failed attempt is still counted.
"""

import csv
import io
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from portal import ratelimit
from portal.accounts.audit import audit_record
from portal.accounts.face import get_face_verifier
from portal.accounts.messaging import message_send
from portal.accounts.models import (
    AccountKind,
    ActivationCode,
    CodePurpose,
    OneTimeCode,
    Organisation,
    OrganisationKind,
    OrganisationStatus,
    RealNameStatus,
    RegisteredVia,
    User,
)
from portal.accounts.validators import (
    clean_id_number,
    clean_name,
    clean_phone,
    clean_uscc,
    normalise_id_number,
    normalise_phone,
)
from portal.crypto import constant_time_equals, lookup_hash
from portal.errors import DomainError, NotFoundError
from portal.images import decode_image
from portal.masking import mask_id_number, mask_phone

ACTIVATION_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud at a counter
STUDENT_IMPORT_MAX_ROWS = 2000


# --- helpers ------------------------------------------------------------------------------------
def _require_role(user, *roles: str) -> None:
    if not (user and user.is_authenticated and user.has_role(*roles)):
        raise DomainError("permission_denied", _("You do not have permission to do this."), status=403)


def _validate_new_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError("weak_password", " ".join(exc.messages), fields={"password": list(exc.messages)}) from None


def _account_key(identifier: str) -> str:
    """The rate-limit key of a log-in name: the same for '139 1234 5678' and '+8613912345678'."""
    return normalise_phone(identifier) or normalise_id_number(identifier)


def _new_username() -> str:
    return f"u{secrets.token_hex(8)}"


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


# --- one-time codes (6 digits, single use, 10 minutes, limited attempts) -------------------------
def _code_hash(target_hash: str, code: str) -> str:
    return lookup_hash(f"{target_hash}:{code}", purpose="otp")


def _code_issue(*, purpose: str, phone: str) -> str:
    code = f"{secrets.randbelow(10**6):06d}"
    target_hash = lookup_hash(phone)
    now = timezone.now()
    # Only the newest code counts: older unused ones stop working.
    OneTimeCode.objects.filter(purpose=purpose, target_hash=target_hash, used_at__isnull=True).update(used_at=now)
    OneTimeCode.objects.create(
        purpose=purpose,
        target_hash=target_hash,
        code_hash=_code_hash(target_hash, code),
        expires_at=now + settings.ONE_TIME_CODE_TTL,
    )
    return code


def _code_consume(*, purpose: str, phone: str, code: str) -> None:
    invalid = DomainError("code_invalid", _("The verification code is wrong or has expired. Request a new code."))
    target_hash = lookup_hash(phone)
    now = timezone.now()
    current = (
        OneTimeCode.objects.filter(purpose=purpose, target_hash=target_hash, used_at__isnull=True, expires_at__gt=now)
        .order_by("-created_at")
        .first()
    )
    if current is None:
        raise invalid
    if not OneTimeCode.objects.filter(pk=current.pk, attempts__lt=settings.ONE_TIME_CODE_MAX_ATTEMPTS).update(
        attempts=F("attempts") + 1
    ):
        raise DomainError("code_locked", _("Too many wrong codes. Request a new code."))
    if not constant_time_equals(current.code_hash, _code_hash(target_hash, (code or "").strip())):
        raise invalid
    # Single use even when two requests race with the same code.
    if not OneTimeCode.objects.filter(pk=current.pk, used_at__isnull=True).update(used_at=now):
        raise invalid


def codes_purge_expired() -> int:
    deleted, _rows = OneTimeCode.objects.filter(expires_at__lt=timezone.now() - timedelta(days=1)).delete()
    return deleted


def phone_code_request(*, phone: str, purpose: str = CodePurpose.REGISTER, ip: str) -> None:
    """Send a registration code (A1). Always sent, also to a registered number: the owner proves it."""
    ratelimit.hit("code:ip", ip)
    phone = clean_phone(phone)
    ratelimit.hit("code:phone-burst", phone)
    ratelimit.hit("code:phone", phone)
    with transaction.atomic():
        code = _code_issue(purpose=purpose, phone=phone)
        message_send(
            recipient=phone,
            text=_("[E-licence] Your verification code is %(code)s. It expires in 10 minutes. Do not share it.")
            % {"code": code},
        )
        audit_record(actor=None, action="phone_code.sent", data={"phone": mask_phone(phone), "purpose": purpose}, ip=ip)


# --- A1 online registration and face verification ------------------------------------------------
def account_register(*, id_number: str, name: str, phone: str, phone_code: str, password: str, ip: str) -> User:
    ratelimit.hit("register:ip", ip)
    id_number = clean_id_number(id_number)
    name = clean_name(name)
    phone = clean_phone(phone)
    existing = User.objects.filter(id_number_hash=lookup_hash(id_number)).first()
    if existing is not None:
        raise _already_registered(existing)
    user = User(
        username=_new_username(),
        kind=AccountKind.PERSONAL,
        name=name,
        id_number=id_number,
        phone=phone,
        registered_via=RegisteredVia.ONLINE,
        real_name_status=RealNameStatus.FACE_REQUIRED,
    )
    _validate_new_password(password, user)
    _code_consume(purpose=CodePurpose.REGISTER, phone=phone, code=phone_code)
    if User.objects.filter(phone_hash=lookup_hash(phone)).exists():
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
                data={"id_number": mask_id_number(id_number), "phone": mask_phone(phone), "via": "online"},
                ip=ip,
            )
    except IntegrityError:  # a concurrent registration of the same ID or phone won
        existing = User.objects.filter(id_number_hash=lookup_hash(id_number)).first()
        raise (_already_registered(existing) if existing else _phone_taken()) from None
    return user


def face_verification_submit(*, user: User, selfie: bytes, ip: str) -> User:
    """A1's last step: a live selfie checked by the configured verifier. Never passes by default."""
    if user.kind != AccountKind.PERSONAL:
        raise DomainError("not_a_personal_account", _("Only personal accounts verify a face."))
    if user.real_name_status == RealNameStatus.VERIFIED:
        return user
    ratelimit.hit("face:account", str(user.pk))
    try:
        image = decode_image(selfie)
    except DomainError as exc:
        raise DomainError("face_verification_failed", exc.detail) from None
    # The portrait on record joins the comparison once the licence register exists (issue: licences).
    result = get_face_verifier().verify(selfie=image.jpeg, reference=None)
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


# --- log-in and tokens ---------------------------------------------------------------------------
def login_check(*, identifier: str, password: str, ip: str, request=None) -> User:
    """Log-in by ID number, phone or (staff) username; rate-limited per account and per IP."""
    ratelimit.hit("login:ip", ip)
    ratelimit.hit("login:account", _account_key(identifier))
    user = authenticate(request, username=identifier, password=password)
    if user is None:
        audit_record(actor=None, action="login.failed", data={}, ip=ip)
        raise DomainError(
            "invalid_credentials", _("The account or password is wrong, or the account is not activated yet.")
        )
    audit_record(actor=user, action="login.succeeded", obj=user, ip=ip)
    return user


def token_issue(*, user: User) -> str:
    token, _created = Token.objects.get_or_create(user=user)
    return token.key


# --- A6 password recovery ------------------------------------------------------------------------
def password_reset_request(*, username: str, ip: str) -> None:
    """Always the same answer; a code goes only to the registered phone of an active account."""
    ratelimit.hit("reset:ip", ip)
    ratelimit.hit("reset:account", _account_key(username))
    user = User.objects.get_by_identifier(username)
    if user is None or not user.is_active or not user.phone:
        audit_record(actor=None, action="password_reset.requested_unknown", ip=ip)
        return
    with transaction.atomic():
        code = _code_issue(purpose=CodePurpose.PASSWORD_RESET, phone=user.phone)
        message_send(
            recipient=user.phone,
            user=user,
            text=_("[E-licence] Your password reset code is %(code)s. It expires in 10 minutes. Do not share it.")
            % {"code": code},
        )
        audit_record(actor=None, action="password_reset.requested", obj=user, ip=ip)


def password_reset_confirm(*, username: str, code: str, new_password: str, ip: str) -> User:
    ratelimit.hit("reset:ip", ip)
    ratelimit.hit("reset:account", _account_key(username))
    user = User.objects.get_by_identifier(username)
    if user is None or not user.is_active or not user.phone:
        raise DomainError("code_invalid", _("The verification code is wrong or has expired. Request a new code."))
    _validate_new_password(new_password, user)
    _code_consume(purpose=CodePurpose.PASSWORD_RESET, phone=user.phone, code=code)
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        Token.objects.filter(user=user).delete()  # API tokens die with the old password; sessions too
        audit_record(actor=user, action="password_reset.completed", obj=user, ip=ip)
        message_send(
            recipient=user.phone,
            user=user,
            text=_("[E-licence] Your password was changed. If this was not you, call the service hotline."),
        )
    return user


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


def _preregister(
    *, id_number: str, name: str, phone: str, via: str, organisation: Organisation | None, actor, ip: str
) -> tuple[User, str]:
    """Create an inactive personal account and its activation code. Raises on duplicates."""
    id_number = clean_id_number(id_number)
    name = clean_name(name)
    phone = clean_phone(phone)
    existing = User.objects.filter(id_number_hash=lookup_hash(id_number)).first()
    if existing is not None:
        raise _already_registered(existing)
    if User.objects.filter(phone_hash=lookup_hash(phone)).exists():
        raise _phone_taken()
    now = timezone.now()
    in_person = via == RegisteredVia.COUNTER
    user = User(
        username=_new_username(),
        kind=AccountKind.PERSONAL,
        name=name,
        id_number=id_number,
        phone=phone,
        is_active=False,
        registered_via=via,
        registered_by_organisation=organisation,
        # At a counter the clerk compared the person with the ID card: that is the real-name check.
        in_person_verified_at=now if in_person else None,
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
                    "id_number": mask_id_number(id_number),
                    "phone": mask_phone(phone),
                    "via": via,
                    "organisation": str(organisation.pk) if organisation else None,
                },
                ip=ip,
            )
    except IntegrityError:
        raise _already_registered(User.objects.get(id_number_hash=lookup_hash(id_number))) from None
    return user, code


@dataclass(frozen=True)
class Preregistration:
    user: User
    activation_code: str


def counter_registration_create(*, clerk: User, id_number: str, name: str, phone: str, ip: str) -> Preregistration:
    """A2: a counter clerk registers a person whose ID card they have checked."""
    _require_role(clerk, "counter_clerk")
    user, code = _preregister(
        id_number=id_number, name=name, phone=phone, via=RegisteredVia.COUNTER, organisation=None, actor=clerk, ip=ip
    )
    return Preregistration(user=user, activation_code=code)


def account_activate(*, id_number: str, activation_code: str, password: str, ip: str) -> User:
    ratelimit.hit("activate:ip", ip)
    ratelimit.hit("activate:account", normalise_id_number(id_number))
    invalid = DomainError(
        "activation_code_invalid",
        _("The ID number and activation code do not match, or the code has expired or was used."),
    )
    number = normalise_id_number(id_number)
    user = User.objects.filter(id_number_hash=lookup_hash(number)).first() if number else None
    if user is None:
        raise invalid
    now = timezone.now()
    current = user.activation_codes.filter(used_at__isnull=True, expires_at__gt=now).order_by("-created_at").first()
    if current is None:
        raise invalid
    if not ActivationCode.objects.filter(pk=current.pk, attempts__lt=settings.ONE_TIME_CODE_MAX_ATTEMPTS).update(
        attempts=F("attempts") + 1
    ):
        raise DomainError(
            "code_locked", _("Too many wrong activation codes. Ask the counter or your driving school for a new code.")
        )
    if not constant_time_equals(current.code_hash, _activation_hash(user, activation_code or "")):
        raise invalid
    _validate_new_password(password, user)
    with transaction.atomic():
        if not ActivationCode.objects.filter(pk=current.pk, used_at__isnull=True).update(used_at=now):
            raise invalid
        user.set_password(password)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
        audit_record(actor=user, action="account.activated", obj=user, ip=ip)
    return user


# --- A3 organisations ----------------------------------------------------------------------------
def organisation_create(
    *, user: User, name: str, uscc: str, kind: str, contact_name: str, contact_phone: str, ip: str
) -> Organisation:
    if user.kind != AccountKind.PERSONAL:
        raise DomainError("not_a_personal_account", _("Only a personal account can register an organisation."))
    if user.organisation_id:
        raise DomainError("already_member", _("Your account already belongs to an organisation."), status=409)
    if kind not in OrganisationKind.values:
        raise DomainError("invalid_kind", _("Choose the kind of organisation."))
    name = " ".join((name or "").split())
    if not 2 <= len(name) <= 128:
        raise DomainError("invalid_name", _("Enter the organisation's registered name."))
    uscc = clean_uscc(uscc)
    contact_name = clean_name(contact_name)
    contact_phone = clean_phone(contact_phone)
    if Organisation.objects.filter(uscc=uscc).exists():
        raise DomainError(
            "organisation_exists", _("An organisation with this credit code is already registered."), status=409
        )
    try:
        with transaction.atomic():
            organisation = Organisation.objects.create(
                name=name, uscc=uscc, kind=kind, contact_name=contact_name, contact_phone=contact_phone, created_by=user
            )
            if not User.objects.filter(pk=user.pk, organisation__isnull=True).update(organisation=organisation):
                raise DomainError("already_member", _("Your account already belongs to an organisation."), status=409)
            audit_record(
                actor=user, action="organisation.created", obj=organisation, data={"uscc": uscc, "kind": kind}, ip=ip
            )
    except IntegrityError:
        raise DomainError(
            "organisation_exists", _("An organisation with this credit code is already registered."), status=409
        ) from None
    user.organisation = organisation
    return organisation


def organisation_decide(*, staff: User, organisation_id, approve: bool, ip: str | None = None) -> Organisation:
    """Staff approve (or reject) a pending organisation. Approving an approved one changes nothing."""
    _require_role(staff, "counter_clerk")
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        raise NotFoundError("not_found", _("Not found."))
    target = OrganisationStatus.APPROVED if approve else OrganisationStatus.REJECTED
    if organisation.status == target:
        return organisation
    with transaction.atomic():
        claimed = Organisation.objects.filter(pk=organisation.pk, status=OrganisationStatus.PENDING).update(
            status=target, decided_by=staff, decided_at=timezone.now()
        )
        if claimed != 1:
            raise DomainError("organisation_not_pending", _("This organisation has already been decided."), status=409)
        organisation.refresh_from_db()
        audit_record(actor=staff, action=f"organisation.{target}", obj=organisation, ip=ip)
        message_send(
            recipient=organisation.contact_phone,
            text=(
                _("[E-licence] %(name)s was approved: its members can now verify e-licences.")
                if approve
                else _("[E-licence] %(name)s was not approved. Please contact the service counter.")
            )
            % {"name": organisation.name},
        )
    return organisation


def _driving_school_of(*, actor: User, organisation_id) -> Organisation:
    """The caller's own approved driving school; any other organisation is 'not found' (X3)."""
    if not actor.is_authenticated or str(actor.organisation_id) != str(organisation_id):
        raise NotFoundError("not_found", _("Not found."))
    organisation = actor.organisation
    if organisation.kind != OrganisationKind.DRIVING_SCHOOL:
        raise DomainError("not_a_driving_school", _("Only driving schools register students."), status=403)
    if not organisation.is_approved:
        raise DomainError(
            "organisation_not_approved", _("Your organisation is waiting for approval by the authority."), status=403
        )
    return organisation


def students_parse_csv(data: bytes) -> list[dict]:
    """Columns id_number,name,phone (or 身份证号,姓名,手机号); UTF-8 (with or without BOM) or GB18030."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise DomainError("invalid_csv", _("The file is not a UTF-8 or GB18030 text file."))
    aliases = {"身份证号": "id_number", "姓名": "name", "手机号": "phone", "手机号码": "phone"}
    reader = csv.DictReader(io.StringIO(text))
    columns = {aliases.get((c or "").strip(), (c or "").strip()) for c in reader.fieldnames or []}
    missing = {"id_number", "name", "phone"} - columns
    if missing:
        raise DomainError(
            "invalid_csv",
            _("The CSV file needs the columns id_number, name and phone (missing: %(cols)s).")
            % {"cols": ", ".join(sorted(missing))},
        )
    rows = []
    for raw in reader:
        rows.append({aliases.get((k or "").strip(), (k or "").strip()): (v or "").strip() for k, v in raw.items() if k})
        if len(rows) > STUDENT_IMPORT_MAX_ROWS:
            raise DomainError("too_many_rows", _("At most %(n)s students per file.") % {"n": STUDENT_IMPORT_MAX_ROWS})
    return rows


def students_import(*, actor: User, organisation_id, rows: list[dict], ip: str) -> list[dict]:
    """A4: pre-register students. Each row stands alone: broken rows are reported, the rest imported."""
    organisation = _driving_school_of(actor=actor, organisation_id=organisation_id)
    if len(rows) > STUDENT_IMPORT_MAX_ROWS:
        raise DomainError("too_many_rows", _("At most %(n)s students per file.") % {"n": STUDENT_IMPORT_MAX_ROWS})
    results = []
    for number, row in enumerate(rows, start=1):
        row = row if isinstance(row, dict) else {}
        try:
            user, code = _preregister(
                id_number=str(row.get("id_number", "")),
                name=str(row.get("name", "")),
                phone=str(row.get("phone", "")),
                via=RegisteredVia.DRIVING_SCHOOL,
                organisation=organisation,
                actor=actor,
                ip=ip,
            )
        except DomainError as exc:
            status = "already_registered" if exc.code == "already_registered" else "error"
            results.append({"row": number, "status": status, "code": exc.code, "detail": str(exc.detail)})
            continue
        results.append(
            {
                "row": number,
                "status": "created",
                "id": str(user.pk),
                "name": user.name,
                "id_number_masked": user.id_number_masked,
                "activation_code": code,
            }
        )
    created = sum(1 for r in results if r["status"] == "created")
    audit_record(
        actor=actor,
        action="organisation.students_imported",
        obj=organisation,
        data={"rows": len(rows), "created": created},
        ip=ip,
    )
    return results


def students_list(*, actor: User, organisation_id):
    organisation = _driving_school_of(actor=actor, organisation_id=organisation_id)
    return User.objects.filter(registered_by_organisation=organisation).order_by("name")


# --- A7 real-name status -------------------------------------------------------------------------
def real_name_checklist(user: User) -> list[dict]:
    """What is done and what is missing for the real-name status page (A7)."""
    return [
        {"key": "id_number", "label": _("Resident ID number checked"), "done": bool(user.id_number), "at": None},
        {
            "key": "phone",
            "label": _("Mobile number verified"),
            "done": bool(user.phone_verified_at or user.in_person_verified_at),
            "at": user.phone_verified_at,
        },
        {
            "key": "face",
            "label": _("Face verification or identity check at a counter"),
            "done": user.real_name_status == RealNameStatus.VERIFIED,
            "at": user.face_verified_at or user.in_person_verified_at,
        },
    ]
