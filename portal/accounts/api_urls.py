from django.urls import path

from portal.accounts import api

urlpatterns = [
    path("auth/token", api.TokenView.as_view(), name="api-token"),
    path("accounts/phone-codes", api.PhoneCodeView.as_view(), name="api-phone-codes"),
    path("accounts/register", api.RegisterView.as_view(), name="api-register"),
    path("accounts/face-verification", api.FaceVerificationView.as_view(), name="api-face-verification"),
    path("accounts/password-reset", api.PasswordResetView.as_view(), name="api-password-reset"),
    path("accounts/password-reset/confirm", api.PasswordResetConfirmView.as_view(), name="api-password-reset-confirm"),
    path("accounts/activate", api.ActivateView.as_view(), name="api-activate"),
    path("accounts/me", api.MeView.as_view(), name="api-me"),
    path("organisations", api.OrganisationCreateView.as_view(), name="api-organisations"),
    path("organisations/<uuid:organisation_id>/students", api.StudentsView.as_view(), name="api-students"),
    path(
        "staff/organisations/<uuid:organisation_id>/approve",
        api.StaffOrganisationApproveView.as_view(),
        name="api-staff-organisation-approve",
    ),
    path("staff/counter-registrations", api.CounterRegistrationView.as_view(), name="api-counter-registrations"),
]
