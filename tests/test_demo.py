"""`seed_demo`: idempotent, and a new user can walk the online registration with the face check."""

import io
import json

import pytest
from django.core.management import call_command

from conftest import last_code
from portal.accounts.models import IdentityPhoto, User
from reviews.management.commands.seed_demo import DEMO_REGISTRATION_ID

pytestmark = pytest.mark.django_db


def test_seed_demo_twice_and_the_readme_registration_walk(api, settings, tmp_path, capsys, request_code):
    from pathlib import Path

    settings.MEDIA_ROOT = tmp_path
    settings.FACE_VERIFIER = "local"
    call_command("seed_demo", "--json")
    call_command("seed_demo", "--json")
    logins = json.loads(capsys.readouterr().out.splitlines()[-1])["accounts"]
    assert {a["role"] for a in logins} >= {"supervisor", "reviewer", "counter_clerk", "insurer", "police", "authority"}
    assert IdentityPhoto.objects.count() == 2 and not User.objects.filter(name="王明").exists()
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert DEMO_REGISTRATION_ID in readme and "portal/accounts/demo_photos/selfie.jpg" in readme

    phone = "13700001234"
    body = {"id_number": DEMO_REGISTRATION_ID, "name": "王明", "phone": phone, "password": "wang-ming-12123"}
    registered = api.post("/api/v1/accounts/register", {**body, "phone_code": request_code(phone)}, format="json")
    assert registered.status_code == 201, registered.content
    api.force_authenticate(User.objects.get(pk=registered.json()["id"]))
    selfie = io.BytesIO(
        (Path(__file__).resolve().parent.parent / "portal/accounts/demo_photos/selfie.jpg").read_bytes()
    )
    selfie.name = "selfie.jpg"
    verified = api.post("/api/v1/accounts/face-verification", {"selfie": selfie}, format="multipart")
    assert verified.status_code == 200 and verified.json() == {"verified": True}
    assert api.get("/api/v1/licence").json()["name"] == "王明"
    assert last_code(phone)


def test_the_demo_selfie_does_not_verify_someone_else(api, settings, tmp_path, request_code):
    from pathlib import Path

    from conftest import make_person
    from portal.accounts.validators import id_number_with_check_digit

    settings.MEDIA_ROOT = tmp_path
    settings.FACE_VERIFIER = "local"
    call_command("seed_demo", "--json")
    chen = make_person(name="陈刚", id_number=id_number_with_check_digit("11010519750202023"), verified=False)
    api.force_authenticate(chen)
    selfie = io.BytesIO(
        (Path(__file__).resolve().parent.parent / "portal/accounts/demo_photos/selfie.jpg").read_bytes()
    )
    selfie.name = "selfie.jpg"
    refused = api.post("/api/v1/accounts/face-verification", {"selfie": selfie}, format="multipart")
    assert refused.status_code == 400 and refused.json()["code"] == "face_verification_failed"
