"""Supervisors' changes to the beat's schedules (django-celery-beat), audited like every other change."""

import json

from celery import current_app
from django.db import transaction
from django.utils.translation import gettext as _
from django_celery_beat.models import PeriodicTask, PeriodicTasks

from portal.accounts.audit import audit_record
from portal.accounts.models import Role, User
from portal.accounts.permissions import require_role
from portal.errors import DomainError


def periodic_task_save(*, supervisor: User, task: PeriodicTask, changed: list[str], ip: str | None = None) -> None:
    require_role(supervisor, Role.SUPERVISOR)
    with transaction.atomic():
        task.save()
        data = {"name": task.name, "changed": sorted(changed), "enabled": task.enabled}
        audit_record(actor=supervisor, action="schedule.changed", obj=task, data=data, ip=ip)


def periodic_tasks_set_enabled(*, supervisor: User, tasks, enabled: bool, ip: str | None = None) -> int:
    """Switch schedules on or off; the beat notices at its next tick."""
    require_role(supervisor, Role.SUPERVISOR)
    with transaction.atomic():
        chosen = list(tasks)
        changes = {"enabled": enabled} if enabled else {"enabled": False, "last_run_at": None}
        updated = PeriodicTask.objects.filter(pk__in=[t.pk for t in chosen]).update(**changes)
        PeriodicTasks.update_changed()
        for task in chosen:
            data = {"name": task.name, "enabled": enabled}
            audit_record(actor=supervisor, action="schedule.changed", obj=task, data=data, ip=ip)
    return updated


def periodic_tasks_run_now(*, supervisor: User, tasks, ip: str | None = None) -> int:
    """Send the schedules' tasks to the workers now (every task is idempotent, so this is safe)."""
    require_role(supervisor, Role.SUPERVISOR)
    chosen = list(tasks)
    current_app.loader.import_default_modules()
    unknown = [t.task for t in chosen if t.task not in current_app.tasks]
    if unknown:
        raise DomainError("unknown_task", _("No such task: %(names)s") % {"names": ", ".join(unknown)})
    for task in chosen:
        options = {"queue": task.queue} if task.queue else {}
        current_app.tasks[task.task].apply_async(
            args=json.loads(task.args or "[]"),
            kwargs=json.loads(task.kwargs or "{}"),
            headers={"periodic_task_name": task.name},
            **options,
        )
        audit_record(actor=supervisor, action="schedule.run_now", obj=task, data={"name": task.name}, ip=ip)
    return len(chosen)
