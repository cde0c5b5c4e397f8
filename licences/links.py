"""Absolute links that leave the portal on paper and screens: the verification pages of a token or share."""

from django.urls import reverse


def verify_url(request, token: str) -> str:
    return request.build_absolute_uri(reverse("licences:verify", args=[token]))


def share_url(request, code: str) -> str:
    return request.build_absolute_uri(reverse("licences:verify_share", args=[code]))
