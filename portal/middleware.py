from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.handlers.exception import response_for_exception
from django.http import Http404, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from portal.errors import DomainError, NotFoundError


class PortalLocaleMiddleware:
    """Simplified Chinese unless the visitor chose otherwise.

    Pages follow the language cookie set by the language switch and ignore the browser's
    Accept-Language, so the portal opens in Chinese on an English-language phone too. API clients
    (the mobile app) may ask for a language with Accept-Language.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if request.path.startswith("/api/") and not language:
            language = translation.get_language_from_request(request)
        if language not in self.supported:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie", "Accept-Language"))
        response.headers.setdefault("Content-Language", language)
        return response


class SecurityHeadersMiddleware:
    """Content Security Policy (no inline scripts) and a strict permissions policy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
        return response


class RequestSizeLimitMiddleware:
    """Refuse a body larger than REQUEST_MAX_BYTES before Django reads it (uploads included).

    Django's DATA_UPLOAD_MAX_MEMORY_SIZE does not count files: without this a huge upload would be
    streamed to a temporary file before any view could say no.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.REQUEST_MAX_BYTES:
            from django.utils.translation import gettext as _

            detail = _("The request is too large (at most %(mb)s MB).") % {
                "mb": settings.REQUEST_MAX_BYTES // (1024 * 1024)
            }
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "file_too_large", "detail": detail}, status=413)
            return HttpResponse(detail, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class DomainErrorPageMiddleware:
    """Pages: a service's `NotFoundError` is the 404 page and a 403 refusal the 403 page.

    Errors a person can correct are shown on the form (portal.forms.ServiceForm); this is the one
    place for the rest. The API has its own handler (portal.exceptions).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, NotFoundError):
            return response_for_exception(request, Http404(str(exception.detail)))
        if isinstance(exception, DomainError) and exception.status == 403:
            return response_for_exception(request, PermissionDenied(str(exception.detail)))
        return None
