from django.urls import path

from reviews import api

urlpatterns = [
    path("applications", api.ApplicationsView.as_view(), name="api-applications"),
    path("applications/<uuid:application_id>", api.ApplicationDetailView.as_view(), name="api-application"),
    path("applications/<uuid:application_id>/photo", api.ApplicationPhotoView.as_view(), name="api-application-photo"),
    path(
        "applications/<uuid:application_id>/cancel", api.ApplicationCancelView.as_view(), name="api-application-cancel"
    ),
    path("staff/applications", api.StaffApplicationsView.as_view(), name="api-staff-applications"),
    path(
        "staff/applications/<uuid:application_id>/decision",
        api.StaffDecisionView.as_view(),
        name="api-staff-decision",
    ),
]
