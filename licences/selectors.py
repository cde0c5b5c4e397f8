"""Reads of the licence register, e-licences, shares and verifications."""

from django.utils.translation import gettext as _

from licences.models import ELicence, ELicenceState, Licence, QRCode, Share, Verification
from portal.accounts.models import User
from portal.crypto import lookup_hash
from portal.errors import NotFoundError
from portal.prepared import PreparedLookup


def licence_by_number(number: str) -> Licence | None:
    """The record of a full licence number (the holder's ID number), matched through its keyed hash."""
    return Licence.objects.filter(number_hash=lookup_hash(number)).first()


def portrait_of_number(number_hash: str) -> bytes | None:
    """The licence portrait on record for a licence (= ID) number's keyed hash, if there is one."""
    licence = Licence.objects.filter(number_hash=number_hash).first()
    if licence is None or not licence.has_portrait:
        return None
    with licence.portrait.open("rb") as fh:
        return fh.read()


def licence_for_user(user: User) -> Licence | None:
    """The record whose number is the user's ID number."""
    if not user.is_authenticated or not user.id_number_hash:
        return None
    return Licence.objects.filter(number_hash=user.id_number_hash).first()


# Reads of every display of an e-licence and of every verification, compiled to SQL once per process
# (portal/prepared.py).
_NEWEST_FIRST = ELicence.objects.select_related("licence").order_by("-issued_at")
_NEWEST_ELICENCE = PreparedLookup(_NEWEST_FIRST, "holder")
_NEWEST_ELICENCE_IN_STATE = PreparedLookup(_NEWEST_FIRST, "holder", "state")
_ELICENCE = PreparedLookup(ELicence.objects.select_related("licence"), "id")
_QR_CODE = PreparedLookup(QRCode.objects.select_related("elicence__licence"), "code")
_SHARE = PreparedLookup(Share.objects.select_related("elicence__licence"), "code")


def elicence_current_for(user: User) -> ELicence | None:
    """The user's current e-licence: the valid one, else the newest."""
    if not user.is_authenticated:
        return None
    return _NEWEST_ELICENCE_IN_STATE.get(user.pk, ELicenceState.VALID) or _NEWEST_ELICENCE.get(user.pk)


def elicence_current_for_or_404(user: User) -> ELicence:
    elicence = elicence_current_for(user)
    if elicence is None:
        raise NotFoundError("not_found", _("You have no e-licence."))
    return elicence


def elicence_by_id(elicence_id) -> ELicence | None:
    return _ELICENCE.get(elicence_id)


def qr_code_by_code(code: str) -> QRCode | None:
    return _QR_CODE.get(code)


def share_by_code(code: str) -> Share | None:
    return _SHARE.get(code)


def share_of_holder(*, user: User, share_id) -> Share:
    """One of the user's own shared copies; anyone else's is 'not found' (X3)."""
    share = Share.objects.select_related("elicence__licence").filter(pk=share_id, elicence__holder=user).first()
    if share is None:
        raise NotFoundError("not_found", _("Not found."))
    return share


def shares_of_holder(user: User) -> list[Share]:
    """The copies shared from the user's current e-licence, newest first."""
    elicence = elicence_current_for(user)
    return list(elicence.shares.all()) if elicence else []


def verifications_for_holder(user: User, *, limit: int = 200):
    """The checks of the user's e-licences (L5), newest first."""
    return (Verification.objects.filter(elicence__holder=user).select_related("organisation").order_by("-checked_at"))[
        :limit
    ]


def verification_for_receipt(verification_id) -> Verification | None:
    return (
        Verification.objects.select_related("elicence__licence", "organisation", "verifier")
        .filter(pk=verification_id)
        .first()
    )
