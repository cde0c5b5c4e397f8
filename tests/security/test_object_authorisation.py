"""Every endpoint and page that names an object × every role: nobody gets a 2xx for what is not theirs
to see or do. Unauthorised callers go first, so that a refusal is never just a state conflict."""

import io

import pytest
from rest_framework.test import APIClient

from conftest import (
    give_identity_photo,
    make_elicence,
    make_licence,
    make_organisation,
    make_person,
    make_staff,
)
from licences.services import share_create
from portal.accounts.models import AccountKind, User
from reviews import services as review_services
from tests import photoset
from tests.security.conftest import record

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "owner", "outsider", "other_school", "clerk", "reviewer", "supervisor", "authority", "police")


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.FACE_VERIFIER = "local"
    owner = make_person(name="张三")
    make_elicence(owner)
    share = share_create(user=owner, purpose="租车公司取车", valid_days=7)
    applicant = make_person(name="王五")
    make_licence(applicant)
    give_identity_photo(applicant)
    application = review_services.application_submit(
        user=applicant, validity_start="2022-05-04", selfie=photoset.good(4).data
    )
    photo = review_services.photo_upload(
        user=applicant, application_id=application.pk, photo=photoset.background_not_white(0).data
    )
    review_services.photo_check_run(photo_id=photo.pk)
    retaker = make_person(name="赵六")  # waits for a photo: the upload endpoint's object
    make_licence(retaker)
    give_identity_photo(retaker)
    waiting = review_services.application_submit(
        user=retaker, validity_start="2022-05-04", selfie=photoset.good(4).data
    )
    school = make_organisation("driving_school")
    people = {
        "owner": owner,
        "applicant": applicant,
        "retaker": retaker,
        "outsider": make_person(name="李四"),
        "school_member": make_person(name="赵教练", organisation=school),
        "other_school": make_person(name="钱教练", organisation=make_organisation("driving_school")),
        "clerk": make_staff("counter_clerk"),
        "reviewer": make_staff("reviewer"),
        "supervisor": make_staff("supervisor"),
        "authority": User.objects.create(username="authority-matrix", kind=AccountKind.AUTHORITY),
        "police": make_person(name="李警官", organisation=make_organisation("police")),
    }
    pending = make_organisation("insurer", approved=False)
    return {
        "people": people,
        "share": share,
        "application": application,
        "photo": photo,
        "school": school,
        "pending": pending,
        "waiting": waiting,
    }


def _photo():
    upload = io.BytesIO(photoset.good(2).data)
    upload.name = "photo.jpg"
    return upload


def test_nobody_gets_what_is_not_theirs(world, client):
    people, share, application = world["people"], world["share"], world["application"]
    # endpoint → (method, path, body, roles allowed a 2xx; "owner" means the object's own person)
    endpoints = {  # in this order: the decision needs the flagged photo that a retake or a cancel would end
        "decide photo": (
            "post",
            f"/api/v1/staff/applications/{application.pk}/decision",
            {"decision": "approve"},
            {"reviewer", "supervisor"},
        ),
        "GET application": ("get", f"/api/v1/applications/{application.pk}", None, {"applicant"}),
        "upload photo": ("post", f"/api/v1/applications/{world['waiting'].pk}/photo", "photo", {"retaker"}),
        "cancel application": ("post", f"/api/v1/applications/{application.pk}/cancel", None, {"applicant"}),
        "download share": ("get", f"/api/v1/elicence/shares/{share.pk}/download", None, {"owner"}),
        "revoke share": ("delete", f"/api/v1/elicence/shares/{share.pk}", None, {"owner"}),
        "list students": ("get", f"/api/v1/organisations/{world['school'].pk}/students", None, {"school_member"}),
        "import students": ("post", f"/api/v1/organisations/{world['school'].pk}/students", [], {"school_member"}),
        "approve organisation": (
            "post",
            f"/api/v1/staff/organisations/{world['pending'].pk}/approve",
            None,
            {"clerk", "supervisor"},
        ),
        "review queue": ("get", "/api/v1/staff/applications", None, {"reviewer", "supervisor"}),
    }
    pages = {
        "application page": (f"/applications/{application.pk}/", {"applicant"}),
        "share PDF page": (f"/licence/e/shares/{share.pk}/pdf/", {"owner"}),
        "review case page": (f"/staff/review/{application.pk}/", {"reviewer", "supervisor"}),
        "staff photo page": (f"/staff/review/photo/{world['photo'].pk}", {"reviewer", "supervisor"}),
    }
    callers = ["anonymous", *people]
    pairs, violations, served = 0, [], set()
    for name, (method, path, body, allowed) in endpoints.items():
        for who in sorted(callers, key=lambda w: w in allowed):  # the unauthorised first
            api = APIClient()
            if who != "anonymous":
                api.force_authenticate(people[who])
            data = {"photo": _photo()} if body == "photo" else body
            fmt = "multipart" if body == "photo" else "json"
            response = getattr(api, method)(path, data, format=fmt) if data is not None else getattr(api, method)(path)
            pairs += 1
            if response.status_code < 300 and who not in allowed:
                violations.append((name, who, response.status_code))
            served |= {name} if response.status_code < 300 and who in allowed else set()
    for name, (path, allowed) in pages.items():
        for who in sorted(callers, key=lambda w: w in allowed):
            client.logout()
            if who != "anonymous":
                client.force_login(people[who])
            response = client.get(path)
            pairs += 1
            if response.status_code < 300 and who not in allowed:
                violations.append((name, who, response.status_code))
            served |= {name} if response.status_code < 300 and who in allowed else set()
    record("Object authorisation matrix", f"{pairs} object × caller pairs tried, {len(violations)} unauthorised 2xx")
    assert violations == []
    assert served == set(endpoints) | set(pages)  # and each one does serve the callers it is for
