"""A1 online registration and A5 "already registered", through the API and the page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import PASSWORD, make_person, new_id_number, new_phone
from portal.accounts import sms
from portal.accounts.models import AuditEntry, OneTimeCode, RealNameStatus, RegisteredVia, User

pytestmark = pytest.mark.django_db


def register(api, **overrides):
    body = {"id_number": new_id_number(), "name": "王芳", "phone": new_phone(), "phone_code": "000000"}
    body["password"] = PASSWORD
    body.update(overrides)
    return api.post("/api/v1/accounts/register", body, format="json")


def test_register_with_valid_code_creates_account_needing_face_check(api, request_code):
    phone = new_phone()
    id_number = new_id_number()
    code = request_code(phone)
    response = register(api, id_number=id_number, phone=phone, phone_code=code)
    assert response.status_code == 201, response.content
    assert response.json()["real_name_status"] == "face_required"
    user = User.objects.get(pk=response.json()["id"])
    assert user.id_number == id_number and user.phone == phone
    assert user.phone_verified_at is not None
    assert user.password.startswith("argon2")
    assert AuditEntry.objects.filter(action="account.registered", object_id=str(user.pk)).exists()
    # The person can log in with the ID number or the phone.
    for username in (id_number, phone):
        token = api.post("/api/v1/auth/token", {"username": username, "password": PASSWORD}, format="json")
        assert token.status_code == 200 and token.json()["token"]


def test_audit_data_holds_only_masked_numbers(api, request_code):
    phone = new_phone()
    id_number = new_id_number()
    register(api, id_number=id_number, phone=phone, phone_code=request_code(phone))
    entry = AuditEntry.objects.get(action="account.registered")
    assert id_number not in str(entry.data) and phone not in str(entry.data)
    assert entry.data["id_number"] == id_number[:6] + "********" + id_number[-4:]


def test_wrong_id_checksum_is_refused_and_nothing_changes(api, request_code):
    phone = new_phone()
    code = request_code(phone)
    good = new_id_number()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = register(api, id_number=bad, phone=phone, phone_code=code)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_id_number"
    assert User.objects.count() == 0
    # The code was not spent by the failed attempt.
    assert register(api, id_number=good, phone=phone, phone_code=code).status_code == 201


def test_mismatched_code_is_refused(api, request_code):
    phone = new_phone()
    code = request_code(phone)
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    response = register(api, phone=phone, phone_code=wrong)
    assert response.status_code == 400 and response.json()["code"] == "code_invalid"
    assert User.objects.count() == 0


def test_code_for_another_phone_is_refused(api, request_code):
    code = request_code(new_phone())
    response = register(api, phone=new_phone(), phone_code=code)
    assert response.json()["code"] == "code_invalid"


def test_reused_code_is_refused(api, request_code):
    phone = new_phone()
    code = request_code(phone)
    assert register(api, phone=phone, phone_code=code).status_code == 201
    again = register(api, phone=phone, phone_code=code)
    assert again.status_code == 400 and again.json()["code"] == "code_invalid"
    assert User.objects.count() == 1


def test_expired_code_is_refused(api, request_code):
    phone = new_phone()
    code = request_code(phone)
    OneTimeCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = register(api, phone=phone, phone_code=code)
    assert response.status_code == 400 and response.json()["code"] == "code_invalid"
    assert User.objects.count() == 0


def test_code_attempts_are_limited(api, request_code):
    phone = new_phone()
    code = request_code(phone)
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    for _ in range(5):
        assert register(api, phone=phone, phone_code=wrong).json()["code"] == "code_invalid"
    locked = register(api, phone=phone, phone_code=code)  # even the right code is now refused
    assert locked.json()["code"] == "code_locked"
    assert User.objects.count() == 0


@pytest.mark.parametrize("password", ["12345678", "short", "password123"])
def test_weak_password_is_refused(api, request_code, password):
    phone = new_phone()
    response = register(api, phone=phone, phone_code=request_code(phone), password=password)
    assert response.status_code == 400
    assert response.json()["code"] == "weak_password"
    assert response.json()["fields"]["password"]
    assert User.objects.count() == 0


def test_duplicate_phone_is_refused(api, request_code):
    taken = make_person().phone
    response = register(api, phone=taken, phone_code=request_code(taken))
    assert response.status_code == 409 and response.json()["code"] == "phone_taken"
    assert User.objects.count() == 1


def test_already_registered_answers_with_the_way_forward_and_no_personal_data(api):
    existing = make_person(name="欧阳娜娜")
    response = register(api, id_number=existing.id_number)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "already_registered"
    assert existing.name not in str(body) and existing.phone[-4:] not in str(body)
    assert "reset" in body["detail"].lower() or "重置" in body["detail"]


def test_already_registered_by_driving_school_points_to_activation_code(api, school_member):
    from portal.accounts import services

    id_number = new_id_number()
    services.students_import(
        actor=school_member,
        organisation_id=school_member.organisation_id,
        rows=[{"id_number": id_number, "name": "孙学员", "phone": new_phone()}],
        ip="127.0.0.1",
    )
    api.credentials(HTTP_ACCEPT_LANGUAGE="en")
    response = register(api, id_number=id_number)
    assert response.status_code == 409
    assert "activation code" in response.json()["detail"]


def test_phone_code_rejects_bad_number_and_is_rate_limited(api, request_code):
    bad = api.post("/api/v1/accounts/phone-codes", {"phone": "12345"}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_phone"
    phone = new_phone()
    request_code(phone)
    again = api.post("/api/v1/accounts/phone-codes", {"phone": phone}, format="json")
    assert again.status_code == 429 and again.json()["code"] == "rate_limited"
    assert len([m for m in sms.outbox if m["to"] == phone]) == 1


def test_phone_code_rate_limited_per_ip(api, settings, django_capture_on_commit_callbacks):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "code:ip": (3, 3600)}
    statuses = [
        api.post("/api/v1/accounts/phone-codes", {"phone": new_phone()}, format="json").status_code for _ in range(5)
    ]
    assert statuses == [202, 202, 202, 429, 429]


def test_register_page_in_chinese_by_default_and_full_flow(client, django_capture_on_commit_callbacks):
    page = client.get("/accounts/register/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert page.status_code == 200
    assert "注册" in page.content.decode()
    phone = new_phone()
    id_number = new_id_number()
    form = {"name": "王芳", "id_number": id_number, "phone": phone, "phone_code": "", "password": ""}
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post("/accounts/register/", {**form, "action": "send_code"})
    assert sent.status_code == 200
    code = [m for m in sms.outbox if m["to"] == phone][-1]["text"]
    code = "".join(ch for ch in code if ch.isdigit())[:6]
    done = client.post("/accounts/register/", {**form, "phone_code": code, "password": PASSWORD, "action": "register"})
    assert done.status_code == 302 and done["Location"] == "/accounts/face/"
    user = User.objects.get()
    assert user.registered_via == RegisteredVia.ONLINE and user.real_name_status == RealNameStatus.FACE_REQUIRED
    status = client.get("/accounts/status/")
    assert "王芳" in status.content.decode()


def test_register_page_shows_error_next_to_the_field(client):
    good = new_id_number()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    client.cookies["django_language"] = "en"
    response = client.post(
        "/accounts/register/", {"name": "王芳", "id_number": bad, "phone": new_phone(), "action": "register"}
    )
    assert response.status_code == 200
    assert "check digit" in response.content.decode()
    assert User.objects.count() == 0
