"""Absolute links that leave the portal on paper and screens: the verification pages of a QR or a share."""

from urllib.parse import quote

from django.urls import reverse


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
