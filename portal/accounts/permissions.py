"""Staff roles, checked one way everywhere: `User.has_role` decides; these say no in each setting."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext as _

from portal.accounts.models import Role
from portal.errors import DomainError


def holds_role(user, role: Role) -> bool:
    return bool(user and user.is_authenticated and user.has_role(role))


def require_role(user, role: Role) -> None:
    """In services: a caller without the role gets `permission_denied` (403)."""
    if not holds_role(user, role):
        raise DomainError("permission_denied", _("You do not have permission to do this."), status=403)


def role_required(role: Role):
    """On pages: a visitor without the role gets Django's 403 page; staff who have not passed the
    second factor in this session are sent to it first."""

    def decorate(view):
        @wraps(view)
        def checked(request, *args, **kwargs):
            if not holds_role(request.user, role):
                raise PermissionDenied
            if not request.user.is_verified():  # staff pages need the second factor too
                return redirect_to_login(request.get_full_path(), login_url=reverse("accounts:second_factor"))
            return view(request, *args, **kwargs)

        return checked

    return decorate
