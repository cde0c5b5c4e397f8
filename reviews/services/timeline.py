"""Each status change of an application: its timeline entry and message (R7), and its due time (R2)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils.translation import gettext as _

from portal.accounts.messaging import message_send
from reviews import calendar
from reviews.models import Application, ApplicationStatus, TimelineEntry


def timeline_record(application: Application, status: str, note: str = "", *, notify: bool = True) -> None:
    """Timeline entry + message to the applicant for each status change (R7)."""
    TimelineEntry.objects.create(application=application, status=status, note=note[:500])
    applicant = application.applicant
    if notify and applicant.phone:
        label = ApplicationStatus(status).label
        text = _("[E-licence] Your application: %(status)s.") % {"status": label}
        message_send(recipient=applicant.phone, user=applicant, text=f"{text} {note}".strip())


def due_at_from(start: datetime) -> tuple[datetime | None, bool]:
    """When an application started at `start` is due, and whether the calendar of that year is unknown."""
    try:
        return calendar.add_working_days(start, settings.REVIEW_WAITING_WORKING_DAYS), False
    except calendar.CalendarUnknown:
        return None, True
