"""Supervisors' corrections of the working-day calendar (R2), audited."""

from __future__ import annotations

from django.db import transaction

from portal.accounts.audit import audit_record
from portal.accounts.models import Role, User
from portal.accounts.permissions import require_role
from reviews.models import WorkingDayOverride


def working_day_override_save(*, supervisor: User, override: WorkingDayOverride, ip: str | None = None) -> None:
    """A supervisor's correction of the calendar (or a day of a year the library does not know yet)."""
    require_role(supervisor, Role.SUPERVISOR)
    created = override._state.adding
    with transaction.atomic():
        override.save()
        audit_record(
            actor=supervisor,
            action="calendar.override_created" if created else "calendar.override_changed",
            obj=override,
            data={"date": override.date.isoformat(), "working_day": override.is_working_day},
            ip=ip,
        )


def working_day_override_delete(*, supervisor: User, override: WorkingDayOverride, ip: str | None = None) -> None:
    require_role(supervisor, Role.SUPERVISOR)
    with transaction.atomic():
        audit_record(
            actor=supervisor,
            action="calendar.override_deleted",
            obj=override,
            data={"date": override.date.isoformat()},
            ip=ip,
        )
        override.delete()
