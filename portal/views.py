"""Error pages of the whole site: under /api/ they are JSON like every other API answer."""

from django.http import JsonResponse
from django.views import defaults

from portal.exceptions import not_found_body


def page_not_found(request, exception):
    if request.path.startswith("/api/"):
        return JsonResponse(not_found_body(), status=404)
    return defaults.page_not_found(request, exception)


def favicon(request):
    """/favicon.ico: the portal's icon (its URL is known only once static files are collected)."""
    from django.shortcuts import redirect
    from django.templatetags.static import static

    return redirect(static("img/favicon.svg"), permanent=True)
