from datetime import datetime

from django.db import models
from django.utils import timezone

from portal.accounts.models import AuditEntry


def stored_ip(ip: str | None) -> str | None:
    """The client address as a record keeps it: none when it was not known."""
    return ip if ip and ip != "unknown" else None


def audit_values(
    *,
    actor,
    action: str,
    object_type: str = "",
    object_id: str = "",
    data: dict | None = None,
    ip: str | None = None,
    at: datetime | None = None,
) -> dict:
    """One audit entry's column values (`actor_id`, not the user), for a batch that inserts rows without
    building model instances. `data` must already be masked: no full ID or phone numbers."""
    actor_user = actor if getattr(actor, "is_authenticated", False) else None
    return {
        "at": at or timezone.now(),
        "actor_id": actor_user.pk if actor_user else None,
        "actor_label": (actor_user.username if actor_user else str(actor or "anonymous"))[:150],
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "data": data or {},
        "ip": stored_ip(ip),
    }


def audit_entry(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    data: dict | None = None,
    ip: str | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """One audit entry, not yet saved. `data` must already be masked: no full ID or phone numbers."""
    return AuditEntry(
        **audit_values(
            actor=actor,
            action=action,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            data=data,
            ip=ip,
            at=at,
        )
    )


def audit_record(
    *, actor, action: str, obj: models.Model | None = None, data: dict | None = None, ip: str | None = None
) -> AuditEntry:
    """Write one audit entry. `data` must already be masked: no full ID or phone numbers."""
    entry = audit_entry(actor=actor, action=action, obj=obj, data=data, ip=ip)
    entry.save(force_insert=True)
    return entry
