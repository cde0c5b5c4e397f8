"""Staff log in through the portal's own log-in (limits, audit, a short session) and a second factor."""

import base64

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD, current_code, staff_authenticator
from portal.accounts.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_the_admins_own_log_in_is_no_way_in(client, clerk):
    page = client.get("/admin/login/?next=/admin/accounts/user/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/?next=")
    posted = client.post("/admin/login/", {"username": clerk.username, "password": PASSWORD, "next": "/admin/"})
    assert posted.status_code == 302 and "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_staff_log_in_needs_the_second_factor(client, reviewer, settings):
    device = staff_authenticator(reviewer)
    logged = client.post("/accounts/login/", {"username": reviewer.username, "password": PASSWORD})
    assert logged.status_code == 302 and logged["Location"].startswith("/accounts/login/second-factor/")
    assert client.session.get_expiry_age() == settings.STAFF_SESSION_AGE
    assert client.get("/admin/").status_code == 302  # password alone: no console
    console = client.get("/staff/review/")
    assert console.status_code == 302 and console["Location"].startswith("/accounts/login/second-factor/")
    wrong = client.post("/accounts/login/second-factor/", {"otp_token": "000000", "next": "/staff/review/"})
    assert wrong.status_code == 200 and wrong.context["form"].errors
    device.refresh_from_db()
    device.throttle_reset()  # django-otp makes the next try wait a second after a wrong code; the test does not
    right = client.post("/accounts/login/second-factor/", {"otp_token": current_code(device), "next": "/staff/review/"})
    assert right.status_code == 302 and right["Location"] == "/staff/review/"
    assert client.get("/staff/review/").status_code == 200 and client.get("/admin/").status_code == 200
    actions = list(AuditEntry.objects.filter(actor=reviewer).values_list("action", flat=True))
    assert {"login.succeeded", "login.second_factor_failed", "login.second_factor_passed"} <= set(actions)


def test_the_first_staff_log_in_enrols_an_authenticator_app(client, clerk):
    client.post("/accounts/login/", {"username": clerk.username, "password": PASSWORD})
    page = client.get("/accounts/login/second-factor/")
    assert page.status_code == 200 and page.context["enrolling"] and page.context["qr"].startswith("data:image/svg")
    key = base64.b32decode(page.context["secret"])
    code = f"{totp(key):06d}"
    done = client.post("/accounts/login/second-factor/", {"otp_token": code})
    assert done.status_code == 302 and done["Location"] == "/admin/"
    assert TOTPDevice.objects.get(user=clerk).confirmed
    assert AuditEntry.objects.filter(action="second_factor.enrolled", actor=clerk).exists()


def test_wrong_second_factor_codes_are_limited(client, clerk, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "otp:account-ip": (3, 900)}
    device = staff_authenticator(clerk)
    client.post("/accounts/login/", {"username": clerk.username, "password": PASSWORD})
    for _ in range(3):
        client.post("/accounts/login/second-factor/", {"otp_token": "000000"})
    blocked = client.post("/accounts/login/second-factor/", {"otp_token": current_code(device)})
    assert blocked.status_code == 200 and blocked.context["form"].domain_error_code == "rate_limited"


def test_citizens_have_no_second_factor_page(client, citizen):
    client.force_login(citizen)
    assert client.get("/accounts/login/second-factor/").status_code == 404
