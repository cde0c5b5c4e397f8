"""Staff edits of accounts in the staff console: saved and audited here, never by the admin itself."""

from django.db import transaction
from django.utils.translation import gettext as _

from portal.accounts.audit import audit_record
from portal.accounts.models import User
from portal.errors import DomainError

# Only these are ever named in the audit entry's data: never a number or a password.
AUDITED_FIELDS = {"username", "kind", "name", "organisation", "is_active", "is_staff", "is_superuser", "password"}


def _require_change_permission(staff: User) -> None:
    if not (staff and staff.is_authenticated and staff.has_perm("accounts.change_user")):
        raise DomainError("permission_denied", _("You do not have permission to do this."), status=403)


def account_save_by_staff(*, staff: User, user: User, changed: list[str], ip: str | None = None) -> User:
    """Save a new or changed account as the change form left it, with an audit entry naming what changed."""
    _require_change_permission(staff)
    created = user._state.adding
    with transaction.atomic():
        user.save()
        audit_record(
            actor=staff,
            action="account.created_by_staff" if created else "account.updated_by_staff",
            obj=user,
            data={"changed": sorted(set(changed) & AUDITED_FIELDS)},
            ip=ip,
        )
    return user


def account_roles_set(*, staff: User, user: User, groups, ip: str | None = None) -> None:
    """Give an account exactly these staff roles (groups); audited when they change."""
    _require_change_permission(staff)
    before = set(user.groups.values_list("name", flat=True))
    with transaction.atomic():
        user.groups.set(groups)
        after = set(user.groups.values_list("name", flat=True))
        if after != before:
            audit_record(actor=staff, action="account.roles_changed", obj=user, data={"roles": sorted(after)}, ip=ip)
