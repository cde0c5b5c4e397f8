"""Reads of accounts: who a log-in name or a full number belongs to, a school's students, status."""

from django.utils.translation import gettext as _

from portal.accounts.models import IdentityPhoto, Organisation, OrganisationKind, RealNameStatus, User
from portal.accounts.validators import normalise_id_number, normalise_phone
from portal.crypto import lookup_hash
from portal.errors import DomainError, NotFoundError


def user_by_id_number(id_number: str) -> User | None:
    number = normalise_id_number(id_number)
    return User.objects.filter(id_number_hash=lookup_hash(number)).first() if number else None


def user_by_phone(phone: str) -> User | None:
    return User.objects.filter(phone_hash=lookup_hash(phone)).first()


def user_by_personal_number(number: str) -> User | None:
    """A full mobile or 18-character ID number, matched through its keyed hash (the values are encrypted)."""
    phone = normalise_phone(number)
    if phone:
        return user_by_phone(phone)
    id_number = normalise_id_number(number)
    return user_by_id_number(id_number) if len(id_number) == 18 else None


def user_by_login_name(identifier: str) -> User | None:
    """Log-in name: an ID number, a mobile number, or (staff and machine accounts) a username."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    return user_by_personal_number(identifier) or User.objects.filter(username=identifier).first()


# Where else a reference photo may come from, asked in order after the identity register: apps above
# this one add theirs at start-up (licences: the licence portrait on record).
REFERENCE_PHOTO_FALLBACKS: list = []


def reference_photo_for(user: User) -> bytes | None:
    """The photo a selfie of this person is compared with (A1, R1): the identity register's, else a
    fallback such as the licence portrait; None when nothing is on record."""
    if not user.id_number_hash:
        return None
    record = IdentityPhoto.objects.filter(id_number_hash=user.id_number_hash).first()
    if record is not None and record.photo:
        with record.photo.open("rb") as fh:
            return fh.read()
    for fallback in REFERENCE_PHOTO_FALLBACKS:
        photo = fallback(user.id_number_hash)
        if photo:
            return photo
    return None


def driving_school_of_member(*, actor: User, organisation_id) -> Organisation:
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


def students_of_school(*, actor: User, organisation_id):
    organisation = driving_school_of_member(actor=actor, organisation_id=organisation_id)
    return User.objects.filter(registered_by_organisation=organisation).order_by("name")


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
