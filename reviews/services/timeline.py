"""Each status change of an application: its timeline entry and message (R7), and its due time (R2)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from portal.accounts.messaging import message_send
from reviews import calendar
from reviews.models import Application, ApplicationStatus, TimelineEntry


def timeline_record(application: Application, status: str, note: str = "", *, notify: bool = True, **args) -> None:
    """Timeline entry + message to the applicant for each status change (R7). `note` is a key of
    `presenters.NOTES`; the entry keeps it with its arguments, so each reader gets their language."""
    entry = TimelineEntry.objects.create(application=application, status=status, note_key=note, note_args=args)
    applicant = application.applicant
    if notify and applicant.phone:
        message_send(recipient=applicant.phone, user=applicant, text=timeline_sms_text(entry))


def timeline_sms_text(entry: TimelineEntry) -> str:
    """The SMS that tells the applicant of a timeline entry, in the portal's language."""
    with translation.override(settings.LANGUAGE_CODE):
        label = ApplicationStatus(entry.status).label
        text = _("[E-licence] Your application: %(status)s.") % {"status": label}
        return f"{text} {entry.note_text}".strip()


def due_at_from(start: datetime) -> tuple[datetime | None, bool]:
    """When an application started at `start` is due, and whether the calendar of that year is unknown."""
    try:
        return calendar.add_working_days(start, settings.REVIEW_WAITING_WORKING_DAYS), False
    except calendar.CalendarUnknown:
        return None, True
