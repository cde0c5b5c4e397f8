"""Identity numbers: the 18-digit resident ID (GB 11643), the USCC (GB 32100) and mobile numbers."""

import re

from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, ValidationError

from portal.errors import DomainError

_PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


def normalise_phone(value: str) -> str:
    """'+86 139-1234-5678' → '13912345678'; '' when it is not a mainland mobile number."""
    digits = re.sub(r"[\s\-()]", "", value or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits if _PHONE_RE.match(digits) else ""


def normalise_id_number(value: str) -> str:
    return re.sub(r"\s", "", value or "").upper()


def clean_phone(value: str) -> str:
    phone = normalise_phone(value)
    if not phone:
        raise DomainError("invalid_phone", _("Enter a valid mainland mobile number (11 digits, starting with 1)."))
    return phone


def clean_id_number(value: str) -> str:
    number = normalise_id_number(value)
    if len(number) != 18:
        raise DomainError("invalid_id_number", _("The resident ID number must have 18 characters."))
    try:
        return ric.validate(number)
    except InvalidChecksum:
        raise DomainError(
            "invalid_id_number", _("The ID number's check digit is wrong. Please check the number on your ID card.")
        ) from None
    except ValidationError:
        raise DomainError(
            "invalid_id_number", _("This is not a valid resident ID number (birth date or region code is wrong).")
        ) from None


def clean_uscc(value: str) -> str:
    code = re.sub(r"\s", "", value or "").upper()
    try:
        return uscc.validate(code)
    except InvalidChecksum:
        raise DomainError("invalid_uscc", _("The unified social credit code's check character is wrong.")) from None
    except ValidationError:
        raise DomainError("invalid_uscc", _("Enter a valid 18-character unified social credit code.")) from None


def clean_name(value: str) -> str:
    name = " ".join((value or "").split())
    if not 2 <= len(name) <= 64:
        raise DomainError("invalid_name", _("Enter your name as printed on your ID card."))
    return name


def id_number_with_check_digit(first17: str) -> str:
    """Complete 17 digits (region, birth date, sequence) with the GB 11643 check character."""
    return first17 + ric.calc_check_digit(first17 + "0")
