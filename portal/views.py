"""Error pages of the whole site: under /api/ they are JSON like every other API answer."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults


def page_not_found(request, exception):
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)
