"""The API schema is the contract: every documented operation is called for real, and every answer
must match what the schema documents for its status, with no field more and none missing."""

import copy
import io
import re
import uuid

import jsonschema
import pytest
from django.utils import timezone

from conftest import (
    LICENCE_DATA,
    PASSWORD,
    give_identity_photo,
    last_code,
    make_elicence,
    make_licence,
    make_organisation,
    make_person,
    new_phone,
    new_uscc,
)
from licences.services import licence_set_portrait
from portal.accounts.validators import id_number_with_check_digit
from tests import photoset

pytestmark = pytest.mark.django_db


def _as_json_schema(node, components: dict):
    """OpenAPI 3.0 → JSON Schema: refs inlined, `nullable` as a null type, no undocumented properties."""
    if isinstance(node, list):
        return [_as_json_schema(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _as_json_schema(components[node["$ref"].rsplit("/", 1)[1]], components)
    out = {key: _as_json_schema(value, components) for key, value in node.items() if key != "nullable"}
    if out.get("type") == "object" and "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


class Contract:
    def __init__(self, schema: dict, client, capture):
        self.schema = schema
        self.client = client
        self.capture = capture
        self.called: set[tuple[str, str]] = set()

    def call(self, method: str, template: str, *, format="json", **values):
        """Call the operation `method template` with path values; check the answer against the schema."""
        data = values.pop("data", None)
        path = template.format(**values)
        with self.capture(execute=True):
            response = (
                getattr(self.client, method)(path, data, format=format)
                if data is not None
                else (getattr(self.client, method)(path))
            )
        operation = self.schema["paths"][template][method]
        status = str(response.status_code)
        assert status in operation["responses"], (method, template, status, response.content[:300])
        documented = operation["responses"][status]
        content = documented.get("content", {})
        if "application/json" in content:
            body_schema = _as_json_schema(content["application/json"]["schema"], self.schema["components"]["schemas"])
            jsonschema.validate(response.json(), body_schema)
        elif content:
            assert response["Content-Type"].split(";")[0] in content, (template, response["Content-Type"])
        else:
            assert not response.content, (template, response.content[:200])
        if response.status_code < 300:
            self.called.add((method, template))
        return response


@pytest.fixture
def contract(api, client, django_capture_on_commit_callbacks, settings, tmp_path):
    settings.FACE_VERIFIER = "local"
    settings.MEDIA_ROOT = tmp_path
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    return Contract(copy.deepcopy(schema), api, django_capture_on_commit_callbacks)


def _file(data: bytes, name: str) -> io.BytesIO:
    upload = io.BytesIO(data)
    upload.name = name
    return upload


def test_every_documented_operation_answers_as_documented(contract, api, clerk, reviewer, authority):
    c = contract
    c.call("get", "/api/v1/health")

    # Accounts: the authority's register holds the person's ID photo; they register with an SMS code,
    # verify their face against it, log in, reset the password.
    id_number = id_number_with_check_digit("11010519880101234")
    api.force_authenticate(authority)
    identity = {"id_number": id_number, "photo": _file(photoset.good(9).data, "identity.jpg")}
    c.call("post", "/api/v1/authority/identity-photos", data=identity, format="multipart")
    api.force_authenticate(None)
    phone = new_phone()
    c.call("post", "/api/v1/accounts/phone-codes", data={"phone": phone})
    registered = c.call(
        "post",
        "/api/v1/accounts/register",
        data={
            "id_number": id_number,
            "name": "钱八",
            "phone": phone,
            "phone_code": last_code(phone),
            "password": PASSWORD,
        },
    )
    c.call("post", "/api/v1/accounts/register", data={"id_number": id_number, "name": "钱八", "phone": phone})
    token = c.call("post", "/api/v1/auth/token", data={"username": id_number, "password": PASSWORD}).json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    c.call("get", "/api/v1/accounts/me")
    face = {"selfie": _file(photoset.good(4).data, "selfie.jpg")}
    assert c.call("post", "/api/v1/accounts/face-verification", data=face, format="multipart").json()["verified"]
    api.credentials()
    c.call("post", "/api/v1/accounts/password-reset", data={"username": phone})
    confirm = {"username": phone, "code": last_code(phone), "new_password": "another-horse-12123"}
    c.call("post", "/api/v1/accounts/password-reset/confirm", data=confirm)
    assert registered.json()["real_name_status"] == "face_required"

    # Staff and organisations: a counter registration and its activation, an organisation approved.
    api.force_authenticate(clerk)
    counter = {"id_number": id_number_with_check_digit("11010519880101235"), "name": "孙九", "phone": new_phone()}
    code = c.call("post", "/api/v1/staff/counter-registrations", data=counter).json()["activation_code"]
    api.force_authenticate(None)
    activate = {"id_number": counter["id_number"], "activation_code": code, "password": PASSWORD}
    c.call("post", "/api/v1/accounts/activate", data=activate)
    founder = make_person(name="周十")
    api.force_authenticate(founder)
    organisation = {
        "name": "示范租车有限公司",
        "uscc": new_uscc(),
        "kind": "car_rental",
        "contact_name": "周十",
        "contact_phone": new_phone(),
    }
    created = c.call("post", "/api/v1/organisations", data=organisation).json()
    api.force_authenticate(clerk)
    c.call("post", "/api/v1/staff/organisations/{organisation_id}/approve", organisation_id=created["id"])
    school = make_organisation("driving_school")
    api.force_authenticate(make_person(name="赵教练", organisation=school))
    students = [{"id_number": id_number_with_check_digit("11010520050101123"), "name": "学员", "phone": new_phone()}]
    c.call("post", "/api/v1/organisations/{organisation_id}/students", organisation_id=school.pk, data=students)
    c.call("get", "/api/v1/organisations/{organisation_id}/students", organisation_id=school.pk)

    # The register, as the authority's system writes it.
    api.force_authenticate(authority)
    owner = make_person(name="张三")
    record = {key: value for key, value in LICENCE_DATA.items() if key not in ("status", "points", "nationality")}
    c.call("post", "/api/v1/authority/licences", data={**record, "number": owner.id_number})
    c.call("post", "/api/v1/authority/licences", data={**record, "number": owner.id_number, "points": 3})
    portrait = {"portrait": _file(photoset.good(9).data, "portrait.jpg")}
    portrait["number"] = owner.id_number
    c.call("post", "/api/v1/authority/licences/portrait", data=portrait, format="multipart")

    # The holder: licence, e-licence, QR, a verification and its receipt, shares.
    holder = make_person(name="王五")
    make_elicence(holder)
    api.force_authenticate(holder)
    c.call("get", "/api/v1/licence")
    c.call("get", "/api/v1/elicence")
    qr = c.call("get", "/api/v1/elicence/qr").json()
    api.force_authenticate(None)
    verified = c.call("post", "/api/v1/verifications", data={"token": qr["token"], "purpose": "租车"}).json()
    c.call("get", "/api/v1/receipts/public-key")
    c.call("post", "/api/v1/receipts/verify", data=verified["receipt"])
    c.call("get", "/api/v1/receipts/{signed_id}", signed_id=re.search(r"receipts/([^/]+)$", verified["receipt_url"])[1])
    c.call("post", "/api/v1/verifications", data={"token": "not-a-token"})
    offline = {"id": str(uuid.uuid4()), "token": qr["token"], "checked_at": timezone.now().isoformat()}
    c.call("post", "/api/v1/verifications/offline", data=offline)  # 201, then 200 for the same check
    c.call("post", "/api/v1/verifications/offline", data=offline)
    c.call("post", "/api/v1/verifications/offline", data={**offline, "token": "EL1:forged"})
    api.force_authenticate(holder)
    c.call("get", "/api/v1/elicence/verifications")
    share = c.call("post", "/api/v1/elicence/shares", data={"purpose": "入职", "valid_days": 7}).json()
    c.call("get", "/api/v1/elicence/shares")
    c.call("get", "/api/v1/elicence/shares/{share_id}/download", share_id=share["id"])
    c.call("delete", "/api/v1/elicence/shares/{share_id}", share_id=share["id"])
    c.call("delete", "/api/v1/elicence/shares/{share_id}", share_id="00000000-0000-0000-0000-000000000000")
    c.call("get", "/api/v1/elicence/mdoc")  # no portrait on record: 409
    licence_set_portrait(actor="test", number=holder.id_number, portrait=photoset.good(9).data)
    c.call("get", "/api/v1/elicence/mdoc")

    # Applications: one with a portrait on record, one that needs a photo a reviewer decides on.
    applicant = make_person(name="张三")
    make_licence(applicant)
    licence_set_portrait(actor="test", number=applicant.id_number, portrait=photoset.good(9).data)
    api.force_authenticate(applicant)
    apply = {"validity_start": "2022-05-04", "selfie": _file(photoset.good(4).data, "selfie.jpg")}
    application = c.call("post", "/api/v1/applications", data=apply, format="multipart").json()
    c.call("get", "/api/v1/applications")
    c.call("get", "/api/v1/applications/{application_id}", application_id=application["id"])
    c.call("post", "/api/v1/applications/{application_id}/cancel", application_id=application["id"])
    c.call("post", "/api/v1/applications/{application_id}/cancel", application_id=application["id"])

    without_portrait = make_person(name="张三")
    make_licence(without_portrait)
    give_identity_photo(without_portrait)
    api.force_authenticate(without_portrait)
    apply = {"validity_start": "2022-05-04", "selfie": _file(photoset.good(4).data, "selfie.jpg")}
    second = c.call("post", "/api/v1/applications", data=apply, format="multipart").json()
    assert second["status"] == "photo_required"
    dark = {"photo": _file(photoset.too_dark(4).data, "photo.jpg")}
    c.call(
        "post",
        "/api/v1/applications/{application_id}/photo",
        application_id=second["id"],
        data=dark,
        format="multipart",
    )
    api.force_authenticate(reviewer)
    queue = c.call("get", "/api/v1/staff/applications").json()
    assert [a["id"] for a in queue] == [second["id"]] and queue[0]["photo"]["problems"]
    decision = {"decision": "approve"}
    path = "/api/v1/staff/applications/{application_id}/decision"
    assert c.call("post", path, application_id=second["id"], data=decision).json()["status"] == "submitted"
    c.call("post", path, application_id=second["id"], data=decision)

    documented = {(method, path) for path, operations in c.schema["paths"].items() for method in operations}
    assert documented - c.called == set(), "documented but never called successfully"
