from django.urls import path

from portal.accounts import views

app_name = "accounts"

urlpatterns = [
    path("register/", views.register, name="register"),
    path("face/", views.face, name="face"),
    path("login/", views.login_view, name="login"),
    path("login/second-factor/", views.second_factor, name="second_factor"),
    path("logout/", views.logout_view, name="logout"),
    path("status/", views.status, name="status"),
    path("password-reset/", views.password_reset, name="password_reset"),
    path("password-reset/confirm/", views.password_reset_confirm, name="password_reset_confirm"),
    path("activate/", views.activate, name="activate"),
    path("organisation/new/", views.organisation_new, name="organisation_new"),
    path("organisation/", views.organisation, name="organisation"),
]
