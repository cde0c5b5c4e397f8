"""Error pages of the whole site: under /api/ they are JSON like every other API answer."""

from django.http import JsonResponse
from django.views import defaults

from portal.exceptions import not_found_body


def page_not_found(request, exception):
    if request.path.startswith("/api/"):
        return JsonResponse(not_found_body(), status=404)
    return defaults.page_not_found(request, exception)
