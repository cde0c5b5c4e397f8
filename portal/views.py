"""Site-wide views: error pages (JSON under /api/, like every other API answer), liveness, readiness
and metrics."""

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST

from portal import health
from portal import metrics as portal_metrics
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
