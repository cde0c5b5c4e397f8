from django.contrib.auth.backends import ModelBackend

from portal.accounts import selectors
from portal.accounts.models import User


class IdentifierBackend(ModelBackend):
    """Authenticate by resident ID number, mobile number or username (staff, machine accounts)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = selectors.user_by_login_name(username)
        if user is None:
            User().set_password(password)  # same work as a real check: no timing hint of existence
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
