"""Account pages: thin callers of services and selectors; errors go on the form (portal.forms)."""

from base64 import b32encode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from portal import masking
from portal.accounts import forms, selectors, services
from portal.accounts.models import RealNameStatus
from portal.errors import DomainError, NotFoundError
from portal.images import read_upload
from portal.ratelimit import client_ip


def home(request):
    return render(request, "portal/home.html")


def register(request):
    """A1 step 1. One form with two buttons: "send code" re-shows the form, "register" submits."""
    form = forms.RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if request.POST.get("action") == "send_code":
                services.phone_code_request(phone=data["phone"], ip=client_ip(request))
                messages.info(request, _("A 6-digit code was sent to your mobile number. It is valid for 10 minutes."))
                return render(request, "accounts/register.html", {"form": form, "code_sent": True})
            user = services.account_register(**data, ip=client_ip(request))
        except DomainError as exc:
            form.add_domain_error(exc)
            if exc.code == "already_registered":
                return render(request, "accounts/register.html", {"form": form, "already_registered": True}, status=409)
        else:
            auth_login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
            messages.success(request, _("Your account was created. One last step: verify your face."))
            return redirect("accounts:face")
    code_sent = request.POST.get("action") == "register"  # a registration attempt: the code was sent before
    return render(request, "accounts/register.html", {"form": form, "code_sent": code_sent})


@login_required
def face(request):
    if request.user.real_name_status == RealNameStatus.VERIFIED:
        return redirect("accounts:status")
    form = forms.FaceForm(request.POST or None, request.FILES or None)

    def verify(selfie):
        return services.face_verification_submit(user=request.user, selfie=read_upload(selfie), ip=client_ip(request))

    if form.submit(request, verify):
        messages.success(request, _("Your identity is verified. Next: apply for your e-licence."))
        return redirect("accounts:status")
    return render(request, "accounts/face.html", {"form": form})


def login_view(request):
    form = forms.LoginForm(request.POST or None)

    def log_in(username, password):
        return services.user_authenticate(
            identifier=username, password=password, ip=client_ip(request), request=request
        )

    if form.submit(request, log_in):
        user = form.result
        auth_login(request, user)  # rotates the session key
        target = _safe_next(request)
        if user.is_staff:
            request.session.set_expiry(settings.STAFF_SESSION_AGE)
            return redirect_to_login(target or reverse("admin:index"), login_url=reverse("accounts:second_factor"))
        return redirect(target or "accounts:status")
    return render(request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")})


def _safe_next(request) -> str:
    """Where to go after logging in: `next` if it stays on this site, else ""."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else ""


@login_required
def second_factor(request):
    """Staff: the code of their authenticator app; on the first log-in, the app is enrolled here."""
    if not request.user.is_staff:
        raise Http404
    target = _safe_next(request) or reverse("admin:index")
    if request.user.is_verified():
        return redirect(target)
    device = services.second_factor_device(request.user)
    form = forms.SecondFactorForm(request.POST or None)
    if form.submit(request, services.second_factor_check, user=request.user, ip=client_ip(request)):
        otp_login(request, form.result)
        return redirect(target)
    context = {"form": form, "next": target, "enrolling": not device.confirmed}
    if not device.confirmed:
        context["qr"] = segno.make(device.config_url, error="m").svg_data_uri(scale=4, border=2)
        context["secret"] = b32encode(device.bin_key).decode()
    return render(request, "accounts/second_factor.html", context)


@require_POST
def logout_view(request):
    auth_logout(request)
    return redirect("home")


@login_required
def status(request):
    """A7: what is verified and what is missing."""
    return render(request, "accounts/status.html", {"checklist": selectors.real_name_checklist(request.user)})


def password_reset(request):
    form = forms.PasswordResetForm(request.POST or None)
    if form.submit(request, services.password_reset_request, ip=client_ip(request)):
        messages.info(request, _("If the account exists, a code was sent to its registered mobile number."))
        request.session[RESET_NAME_KEY] = form.cleaned_data["username"]  # not asked for again on the next step
        return redirect("accounts:password_reset_confirm")
    return render(request, "accounts/password_reset.html", {"form": form})


RESET_NAME_KEY = "password_reset_username"


def password_reset_confirm(request):
    remembered = request.session.get(RESET_NAME_KEY, "")
    form = forms.PasswordResetConfirmForm(request.POST or None, remembered=bool(remembered))
    carried = {"username": remembered} if remembered else {}  # from the session, never through the page
    if form.submit(request, services.password_reset_confirm, ip=client_ip(request), **carried):
        request.session.pop(RESET_NAME_KEY, None)
        messages.success(request, _("Your password was changed. Please log in."))
        return redirect("accounts:login")
    context = {"form": form, "remembered": masking.mask_login_name(remembered) if remembered else ""}
    return render(request, "accounts/password_reset_confirm.html", context)


def activate(request):
    form = forms.ActivateForm(request.POST or None)
    if form.submit(request, services.account_activate, ip=client_ip(request)):
        messages.success(request, _("Your account is active. Please log in."))
        return redirect("accounts:login")
    return render(request, "accounts/activate.html", {"form": form})


def organisation_new(request):
    if not request.user.is_authenticated:  # say why an account comes first, rather than a bare log-in page
        return render(request, "accounts/organisation_new.html", {"needs_account": True})
    if request.user.organisation_id:
        return redirect("accounts:organisation")
    form = forms.OrganisationForm(request.POST or None)
    if form.submit(request, services.organisation_create, user=request.user, ip=client_ip(request)):
        messages.success(request, _("Your organisation was registered and is waiting for approval."))
        return redirect("accounts:organisation")
    return render(request, "accounts/organisation_new.html", {"form": form})


@login_required
def organisation(request):
    organisation = request.user.organisation
    if organisation is None:
        raise Http404
    form = forms.StudentsCsvForm(request.POST or None, request.FILES or None)

    def students_import(file):
        rows = services.students_parse_csv(read_upload(file, max_bytes=services.STUDENTS_CSV_MAX_BYTES))
        return services.students_import(
            actor=request.user, organisation_id=organisation.pk, rows=rows, ip=client_ip(request)
        )

    form.submit(request, students_import)
    try:
        students = selectors.students_of_school(actor=request.user, organisation_id=organisation.pk)
    except NotFoundError:
        raise
    except DomainError:
        students = None  # not a driving school, or not approved yet: the page says so
    context = {"organisation": organisation, "form": form, "results": form.result, "students": students}
    return render(request, "accounts/organisation.html", context)
