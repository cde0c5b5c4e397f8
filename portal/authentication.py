"""API authentication (kept apart from the views: DRF imports its authentication classes from settings
while `rest_framework.views` loads)."""

from functools import cache

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from portal.prepared import PreparedLookup


@cache
def _token_lookup() -> PreparedLookup:
    from rest_framework.authtoken.models import Token

    return PreparedLookup(Token.objects.select_related("user", "user__organisation"), "key")


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token check, reading the user's organisation in the same query: a verifier's kind decides
    what a verification shows, so every authenticated verification needs it. The query is compiled once
    (portal/prepared.py): police verifications are the busiest authenticated requests."""

    def authenticate_credentials(self, key):
        token = _token_lookup().get(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)
