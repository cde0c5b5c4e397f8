"""Log-in by ID number or phone, API tokens, rate limits, and A6 password recovery."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from conftest import PASSWORD, last_code, make_person
from portal.accounts import sms
from portal.accounts.models import OneTimeCode

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "another-horse-45678"


def token(api, username, password=PASSWORD):
    return api.post("/api/v1/auth/token", {"username": username, "password": password}, format="json")


def test_token_by_id_number_phone_and_lowercase_x(api):
    person = make_person(id_number="11010519491231002X")
    for username in (person.id_number, person.id_number.lower(), person.phone, f"+86 {person.phone}"):
        response = token(api, username)
        assert response.status_code == 200, (username, response.content)
    key = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    me = api.get("/api/v1/accounts/me").json()
    assert me["id"] == str(person.pk)
    assert me["id_number_masked"] == "110105********002X"
    assert person.phone not in str(me)


def test_wrong_password_and_unknown_account_answer_alike(api):
    person = make_person()
    wrong = token(api, person.phone, "not-the-password")
    unknown = token(api, "13700000000", "not-the-password")
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "invalid_credentials"


def test_me_requires_authentication(api):
    response = api.get("/api/v1/accounts/me")
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"


def test_login_is_rate_limited_per_account_whatever_the_spelling(api, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login:account-ip": (3, 900)}
    person = make_person()
    spellings = [person.phone, person.id_number.lower(), f"+86 {person.phone[:3]} {person.phone[3:]}"]
    statuses = [token(api, name, "bad-password").status_code for name in spellings]
    assert statuses == [400, 400, 400]
    blocked = token(api, person.id_number)  # even the right password waits, under any spelling
    assert blocked.status_code == 429 and blocked.json()["code"] == "rate_limited"
    assert token(api, make_person().phone).status_code == 200  # other accounts are not affected


def test_a_stranger_cannot_lock_the_owner_out(api, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login:account-ip": (3, 900)}
    person = make_person()
    for _ in range(5):
        api.post(
            "/api/v1/auth/token",
            {"username": person.phone, "password": "guess"},
            format="json",
            REMOTE_ADDR="198.51.100.66",
        )
    right = {"username": person.phone, "password": PASSWORD}
    stranger = api.post("/api/v1/auth/token", right, format="json", REMOTE_ADDR="198.51.100.66")
    assert stranger.status_code == 429
    owner = api.post("/api/v1/auth/token", right, format="json", REMOTE_ADDR="203.0.113.5")
    assert owner.status_code == 200


def test_login_is_rate_limited_per_ip(api, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login:ip": (4, 900)}
    statuses = [token(api, make_person().phone, "bad-password").status_code for _ in range(6)]
    assert statuses == [400, 400, 400, 400, 429, 429]


def test_login_page_logs_in_and_rotates_session(client):
    person = make_person()
    client.get("/accounts/login/")
    before = client.session.session_key
    response = client.post("/accounts/login/", {"username": person.id_number, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/accounts/status/"
    assert client.session.session_key != before
    assert client.get("/accounts/status/").status_code == 200


def test_staff_session_is_shorter(client, clerk, settings):
    client.post("/accounts/login/", {"username": clerk.username, "password": PASSWORD})
    assert client.session.get_expiry_age() == settings.STAFF_SESSION_AGE < settings.SESSION_COOKIE_AGE


def request_reset(api, username, callbacks):
    with callbacks(execute=True):
        response = api.post("/api/v1/accounts/password-reset", {"username": username}, format="json")
    assert response.status_code == 202
    return response


def test_password_reset_flow(api, django_capture_on_commit_callbacks):
    person = make_person()
    Token.objects.create(user=person)
    request_reset(api, person.id_number, django_capture_on_commit_callbacks)
    code = last_code(person.phone)
    with django_capture_on_commit_callbacks(execute=True):
        done = api.post(
            "/api/v1/accounts/password-reset/confirm",
            {"username": person.id_number, "code": code, "new_password": NEW_PASSWORD},
            format="json",
        )
    assert done.status_code == 200, done.content
    assert token(api, person.phone, NEW_PASSWORD).status_code == 200
    assert token(api, person.phone, PASSWORD).status_code == 400
    assert "changed" in sms.outbox[-1]["text"] or "修改" in sms.outbox[-1]["text"]
    # The same code cannot be used twice.
    again = api.post(
        "/api/v1/accounts/password-reset/confirm",
        {"username": person.id_number, "code": code, "new_password": "third-horse-99999"},
        format="json",
    )
    assert again.status_code == 400 and again.json()["code"] == "code_invalid"


def test_password_reset_revokes_api_tokens(api, django_capture_on_commit_callbacks):
    person = make_person()
    old = Token.objects.create(user=person).key
    request_reset(api, person.phone, django_capture_on_commit_callbacks)
    api.post(
        "/api/v1/accounts/password-reset/confirm",
        {"username": person.phone, "code": last_code(person.phone), "new_password": NEW_PASSWORD},
        format="json",
    )
    api.credentials(HTTP_AUTHORIZATION=f"Token {old}")
    assert api.get("/api/v1/accounts/me").status_code == 401


def test_password_reset_for_unknown_account_looks_the_same_and_sends_nothing(api, django_capture_on_commit_callbacks):
    known = make_person()
    a = request_reset(api, known.phone, django_capture_on_commit_callbacks)
    b = request_reset(api, "13711112222", django_capture_on_commit_callbacks)
    assert a.status_code == b.status_code and a.content == b.content
    assert [m["to"] for m in sms.outbox] == [known.phone]


def test_password_reset_confirm_checks_the_code_first_and_answers_alike(
    api, settings, django_capture_on_commit_callbacks
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "reset:account-ip": (50, 3600), "reset:ip": (50, 3600)}
    known = make_person()
    request_reset(api, known.phone, django_capture_on_commit_callbacks)

    def confirm(username, code, password):
        body = {"username": username, "code": code, "new_password": password}
        return api.post("/api/v1/accounts/password-reset/confirm", body, format="json")

    unknown = confirm("13711112222", "000000", "12345678")
    wrong_code = confirm(known.phone, "000000", "12345678")
    assert unknown.status_code == wrong_code.status_code == 400
    assert unknown.json() == wrong_code.json() and unknown.json()["code"] == "code_invalid"
    for _ in range(6):  # past the attempt limit the answer is still the same
        locked = confirm(known.phone, "000000", NEW_PASSWORD)
    assert locked.json() == unknown.json()


def test_password_reset_expired_code_and_weak_password(api, django_capture_on_commit_callbacks):
    person = make_person()
    request_reset(api, person.phone, django_capture_on_commit_callbacks)
    code = last_code(person.phone)
    weak = api.post(
        "/api/v1/accounts/password-reset/confirm",
        {"username": person.phone, "code": code, "new_password": "12345678"},
        format="json",
    )
    assert weak.json()["code"] == "weak_password"
    OneTimeCode.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    expired = api.post(
        "/api/v1/accounts/password-reset/confirm",
        {"username": person.phone, "code": code, "new_password": NEW_PASSWORD},
        format="json",
    )
    assert expired.json()["code"] == "code_invalid"
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


def test_password_reset_is_rate_limited(api, settings, django_capture_on_commit_callbacks):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "reset:account-ip": (2, 3600)}
    person = make_person()
    codes = []
    for _ in range(2):
        request_reset(api, person.phone, django_capture_on_commit_callbacks)
        codes.append(last_code(person.phone))
    third = api.post("/api/v1/accounts/password-reset", {"username": person.phone}, format="json")
    assert third.status_code == 429
    assert len(sms.outbox) == 2


def test_password_reset_pages(client, django_capture_on_commit_callbacks):
    person = make_person()
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post("/accounts/password-reset/", {"username": person.id_number})
    assert sent.status_code == 302
    done = client.post(
        "/accounts/password-reset/confirm/",
        {"username": person.id_number, "code": last_code(person.phone), "new_password": NEW_PASSWORD},
    )
    assert done.status_code == 302 and done["Location"] == "/accounts/login/"
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)


@pytest.mark.parametrize(
    ("target", "lands_on"),
    [
        ("/licence/", "/licence/"),
        ("//evil.example/steal", "/accounts/status/"),
        ("https://evil.example/", "/accounts/status/"),
        ("/\\evil.example", "/accounts/status/"),
        ("javascript:alert(1)", "/accounts/status/"),
    ],
)
def test_login_follows_next_only_within_the_site(client, citizen, target, lands_on):
    response = client.post(
        f"/accounts/login/?next={target}", {"username": citizen.id_number, "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302 and response["Location"] == lands_on
