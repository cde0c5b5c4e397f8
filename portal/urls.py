from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal import views as portal_views
from portal.accounts import views as account_views

urlpatterns = [
    path("api/v1/", include("portal.api_urls")),
    path("api/v1/", include("licences.api_urls")),
    path("api/v1/", include("portal.accounts.api_urls")),
    path("api/v1/", include("reviews.api_urls")),
    path("", account_views.home, name="home"),
    path("accounts/", include("portal.accounts.urls")),
    path("", include("licences.urls")),
    path("", include("reviews.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns += [
    path("favicon.ico", portal_views.favicon),  # browsers ask for it on pages that name none
    # For load balancers and orchestrators (deploy/, docs/scaling.md).
    path("healthz", portal_views.healthz, name="healthz"),
    path("readyz", portal_views.readyz, name="readyz"),
    path("metrics", portal_views.metrics, name="metrics"),  # Prometheus, METRICS_ALLOWED only
]

handler404 = "portal.views.page_not_found"
handler500 = "portal.views.server_error"
