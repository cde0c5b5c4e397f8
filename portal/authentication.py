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


# The encrypted particulars of a verifier and their organisation: a check neither shows nor stores them.
VERIFIER_UNUSED = ("user__id_number", "user__phone", "user__organisation__contact_phone")


@cache
def _verifier_token_lookup() -> PreparedLookup:
    from rest_framework.authtoken.models import Token

    queryset = Token.objects.select_related("user", "user__organisation").defer(*VERIFIER_UNUSED)
    return PreparedLookup(queryset, "key")


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token check, reading the user's organisation in the same query: a verifier's kind decides
    what a verification shows, so every authenticated verification needs it. The query is compiled once
    (portal/prepared.py): police verifications are the busiest authenticated requests.

    A view with `token_check_defers_particulars = True` (the verification endpoints) gets the user with
    their ID number and phone and their organisation's contact phone left unread (deferred): none of the
    three is decrypted at each check. Code that reads one anyway gets it from the database then (one more
    query), not a wrong value. One class either way, so the API schema names one token scheme."""

    lookup = staticmethod(_token_lookup)

    def authenticate(self, request):
        view = (getattr(request, "parser_context", None) or {}).get("view")
        if getattr(view, "token_check_defers_particulars", False):
            self.lookup = _verifier_token_lookup  # this instance serves this one request
        return super().authenticate(request)

    def authenticate_credentials(self, key):
        token = self.lookup().get(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)
