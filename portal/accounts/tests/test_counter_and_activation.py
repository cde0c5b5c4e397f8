"""A2 counter registration by a clerk, activation codes, and who may call the staff endpoints."""

import pytest

from conftest import PASSWORD, make_person, new_id_number, new_phone
from portal.accounts.models import ActivationCode, AuditEntry, RealNameStatus, RegisteredVia, User

pytestmark = pytest.mark.django_db


def counter_register(api, user, **body):
    api.force_authenticate(user)
    payload = {"id_number": new_id_number(), "name": "钱窗口", "phone": new_phone(), **body}
    return api.post("/api/v1/staff/counter-registrations", payload, format="json"), payload


def activate(api, id_number, code, password=PASSWORD):
    api.force_authenticate(None)
    return api.post(
        "/api/v1/accounts/activate",
        {"id_number": id_number, "activation_code": code, "password": password},
        format="json",
    )


def test_clerk_registers_and_person_activates(api, clerk):
    response, payload = counter_register(api, clerk)
    assert response.status_code == 201, response.content
    code = response.json()["activation_code"]
    user = User.objects.get(pk=response.json()["id"])
    assert not user.is_active and not user.has_usable_password()
    assert user.registered_via == RegisteredVia.COUNTER
    assert user.real_name_status == RealNameStatus.VERIFIED  # the clerk checked the ID card
    assert AuditEntry.objects.filter(action="account.preregistered", actor=clerk).exists()
    # Not usable before activation.
    token = api.post("/api/v1/auth/token", {"username": payload["phone"], "password": PASSWORD}, format="json")
    assert token.status_code == 400
    assert activate(api, payload["id_number"], code.lower().replace("-", " ")).status_code == 200
    token = api.post("/api/v1/auth/token", {"username": payload["phone"], "password": PASSWORD}, format="json")
    assert token.status_code == 200
    # The code is single-use.
    again = activate(api, payload["id_number"], code, "another-horse-45678")
    assert again.status_code == 400 and again.json()["code"] == "activation_code_invalid"


@pytest.mark.parametrize("role", ["reviewer", None])
def test_citizen_and_other_staff_cannot_call_counter_endpoint(api, role, citizen, reviewer):
    caller = reviewer if role else citizen
    response, _payload = counter_register(api, caller)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert User.objects.count() == 2


def test_anonymous_cannot_call_counter_endpoint(api):
    api.force_authenticate(None)
    response = api.post("/api/v1/staff/counter-registrations", {}, format="json")
    assert response.status_code in (401, 403)


def test_supervisor_may_do_what_a_clerk_does(api, supervisor):
    response, _payload = counter_register(api, supervisor)
    assert response.status_code == 201


def test_counter_registration_of_existing_id_is_already_registered(api, clerk, citizen):
    response, _payload = counter_register(api, clerk, id_number=citizen.id_number)
    assert response.status_code == 409 and response.json()["code"] == "already_registered"


def test_forged_activation_code_is_refused_and_changes_nothing(api, clerk):
    response, payload = counter_register(api, clerk)
    forged = activate(api, payload["id_number"], "ABCDE-FGHJK")
    assert forged.status_code == 400 and forged.json()["code"] == "activation_code_invalid"
    user = User.objects.get(pk=response.json()["id"])
    assert not user.is_active and not user.has_usable_password()


def test_activation_code_of_another_person_is_refused(api, clerk):
    first, _p1 = counter_register(api, clerk)
    _second, p2 = counter_register(api, clerk)
    stolen = activate(api, p2["id_number"], first.json()["activation_code"])
    assert stolen.json()["code"] == "activation_code_invalid"


def activate_from(api, address, id_number, code, password=PASSWORD):
    api.force_authenticate(None)
    body = {"id_number": id_number, "activation_code": code, "password": password}
    return api.post("/api/v1/accounts/activate", body, format="json", REMOTE_ADDR=address)


def test_activation_attempts_are_limited_per_address_and_a_stranger_cannot_lock_the_owner_out(api, clerk, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "activate:account-ip": (4, 3600)}
    response, payload = counter_register(api, clerk)
    answers = [activate_from(api, "198.51.100.66", payload["id_number"], "ABCDE-FGHJK") for _ in range(5)]
    assert [a.status_code for a in answers] == [400, 400, 400, 400, 429]
    unknown = activate_from(api, "198.51.100.67", new_id_number(), "ABCDE-FGHJK")
    assert answers[0].json() == unknown.json()  # a pre-registered ID number answers like an unknown one
    owner = activate_from(api, "203.0.113.5", payload["id_number"], response.json()["activation_code"])
    assert owner.status_code == 200
    assert User.objects.get(pk=response.json()["id"]).is_active


def test_activation_unknown_id_answers_like_a_wrong_code(api):
    response = activate(api, new_id_number(), "ABCDE-FGHJK")
    assert response.status_code == 400 and response.json()["code"] == "activation_code_invalid"


def test_activation_weak_password_keeps_the_code(api, clerk):
    response, payload = counter_register(api, clerk)
    code = response.json()["activation_code"]
    assert activate(api, payload["id_number"], code, "12345678").json()["code"] == "weak_password"
    assert activate(api, payload["id_number"], code).status_code == 200
    assert ActivationCode.objects.filter(used_at__isnull=False).count() == 1


def test_admin_counter_registration_page(client, clerk, citizen):
    client.force_login(clerk)
    page = client.get("/admin/accounts/user/counter-registration/")
    assert page.status_code == 200
    payload = {"id_number": new_id_number(), "name": "孙面签", "phone": new_phone()}
    done = client.post("/admin/accounts/user/counter-registration/", payload)
    assert done.status_code == 200
    assert User.objects.filter(name="孙面签", registered_via=RegisteredVia.COUNTER).exists()
    assert b"activation-code" in done.content
    client.force_login(citizen)
    assert client.get("/admin/accounts/user/counter-registration/").status_code == 302  # to admin log-in


def test_admin_counter_registration_refused_to_reviewer(client, reviewer):
    client.force_login(reviewer)
    assert client.get("/admin/accounts/user/counter-registration/").status_code == 403


def test_activate_page(client, clerk, api):
    response, payload = counter_register(api, clerk)
    done = client.post(
        "/accounts/activate/",
        {
            "id_number": payload["id_number"],
            "activation_code": response.json()["activation_code"],
            "password": PASSWORD,
        },
    )
    assert done.status_code == 302
    assert client.post("/accounts/login/", {"username": payload["id_number"], "password": PASSWORD}).status_code == 302


def test_admin_find_person_by_full_id_number_via_post(client, supervisor):
    target = make_person(name="冯某某")
    make_person(name="陈某某")
    client.force_login(supervisor)
    found = client.post("/admin/accounts/user/find/", {"number": target.id_number})
    assert found.status_code == 302
    assert found["Location"] == f"/admin/accounts/user/{target.pk}/change/"
    assert target.id_number not in found["Location"]
    by_phone = client.post("/admin/accounts/user/find/", {"number": target.phone})
    assert by_phone["Location"] == found["Location"]
    page = client.get(found["Location"]).content.decode()
    assert "冯某某" in page and target.id_number not in page  # the change page shows the masked number
    missing = client.post("/admin/accounts/user/find/", {"number": "13700000000"})
    assert missing.status_code == 200


def test_admin_find_person_refused_to_citizen(client, citizen):
    client.force_login(citizen)
    assert client.post("/admin/accounts/user/find/", {"number": citizen.phone}).status_code == 302  # to log-in
