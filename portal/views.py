"""Site-wide views: error pages (JSON under /api/, like every other API answer), liveness, readiness
and metrics."""

import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST

from portal import health
from portal import metrics as portal_metrics
from portal.errors import service_busy
from portal.exceptions import domain_error_answer, not_found_body

# The database could not be reached, dropped the connection, or gave up on the statement (a restart, a
# failover, a pool at its limit, a lock or statement timeout): worth trying again. Other database
# errors (integrity, programming) are the portal's own faults and stay 500.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def page_not_found(request, exception):
    if request.path.startswith("/api/"):
        return JsonResponse(not_found_body(), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """An exception no view handled (handler500; called while it is being handled). A database that is
    unavailable answers 503 with Retry-After, as the rate limit's cache does; anything else 500. JSON
    under /api/; elsewhere a page in the reader's language that needs neither the database nor the
    request's context (no user menu)."""
    if isinstance(sys.exception(), DATABASE_UNAVAILABLE):
        busy = service_busy()
        body, headers = domain_error_answer(busy)  # as the API answers the rate limit's unavailable cache
        if request.path.startswith("/api/"):
            return JsonResponse(body, status=busy.status, headers=headers)
        return HttpResponse(loader.render_to_string("503.html"), status=busy.status, headers=headers)
    if request.path.startswith("/api/"):
        detail = _("An error on our side stopped this request. It has been recorded. Please try again later.")
        return JsonResponse({"code": "server_error", "detail": detail}, status=500)
    return defaults.server_error(request)


def favicon(request):
    """/favicon.ico: the portal's icon (its URL is known only once static files are collected)."""
    from django.shortcuts import redirect
    from django.templatetags.static import static

    return redirect(static("img/favicon.svg"), permanent=True)


@never_cache
def healthz(request):
    """Liveness: this process answers. Nothing else is checked (a database outage must not make an
    orchestrator restart every web node)."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    """Readiness: every dependency checked by name; 503 when one fails, so the balancer stops sending."""
    ready, checks = health.readiness()
    return JsonResponse({"status": "ok" if ready else "fail", "checks": checks}, status=200 if ready else 503)


@never_cache
def metrics(request):
    """Prometheus metrics, for the addresses in METRICS_ALLOWED only (the direct peer); 404 for the rest."""
    if not portal_metrics.allowed(request.META.get("REMOTE_ADDR"), settings.METRICS_ALLOWED):
        raise Http404
    queues = [queue.name for queue in settings.CELERY_TASK_QUEUES]
    return HttpResponse(portal_metrics.exposition(queues), content_type=CONTENT_TYPE_LATEST)
