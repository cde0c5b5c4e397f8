"""Dates as people and other systems send them: YYYY-MM-DD."""

from datetime import date, datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from portal.errors import DomainError


def field_error(field: str, message: str) -> DomainError:
    """Bad input in one named field: `invalid`, with the message on that field."""
    return DomainError("invalid", message, fields={field: [message]})


def parse_iso_date(value, *, field: str, required: bool = True) -> date | None:
    """A date object, or a YYYY-MM-DD text; `invalid` naming `field` otherwise (None when empty and optional)."""
    if value in (None, ""):
        if required:
            raise field_error(field, _("This field is required."))
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise field_error(field, _("Enter the date as YYYY-MM-DD.")) from None


def local_time(value: datetime | str | None) -> str:
    """A moment as people here read it, on every page, PDF and message: Beijing time (TIME_ZONE),
    YYYY-MM-DD HH:MM. Takes an aware datetime or the ISO text the API gives."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is None:
        return ""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
