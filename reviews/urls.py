from django.urls import path

from reviews import views

app_name = "reviews"

urlpatterns = [
    path("apply/", views.apply, name="apply"),
    path("applications/", views.applications, name="applications"),
    path("applications/<uuid:application_id>/", views.application, name="application"),
    path("staff/review/", views.queue, name="queue"),
    path("staff/review/<uuid:application_id>/", views.case, name="case"),
    path("staff/review/photo/<uuid:photo_id>", views.staff_photo, name="staff_photo"),
    path("staff/dashboard/", views.dashboard, name="dashboard"),
]
