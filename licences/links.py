"""Absolute links that leave the portal on paper and screens: the verification pages of a QR or a share,
a verification's receipt."""

from functools import lru_cache
from urllib.parse import quote

from django.urls import get_script_prefix, reverse


def share_url(request, code: str) -> str:
    return request.build_absolute_uri(reverse("licences:verify_share", args=[code]))


# base45's space and percent sign are the only characters of a signed token a URL fragment cannot carry.
_FRAGMENT_SAFE = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ$*+-./:"


def verify_offline_path(token: str) -> str:
    """The verifier page with the signed token in the fragment: what the display's QR holds. The
    fragment never reaches a server; the page checks the token online, or on the device offline."""
    return reverse("licences:verify_offline") + "#" + quote(token, safe=_FRAGMENT_SAFE)


def verify_offline_url(request, token: str) -> str:
    return request.build_absolute_uri(verify_offline_path(token))


@lru_cache(maxsize=8)
def _receipts_path(script_prefix: str) -> str:
    """The receipts' path under this script prefix, up to the signed id ("/api/v1/receipts/")."""
    return reverse("api-receipt", args=["-"])[:-1]


def receipt_url(request, signed_id: str) -> str:
    """The receipt's link in every verification's answer: `reverse` of the same route, without resolving
    the route again per verification (a quarter of the link's time in a request). A signed id is made of
    characters a path carries as they are (base64url and ":"), as `reverse` would leave them."""
    return request.build_absolute_uri(_receipts_path(get_script_prefix()) + signed_id)
