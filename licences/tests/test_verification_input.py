"""VerificationIn.plain (the verification body checked without building the serializer) must accept
exactly what the serializer accepts, with the same validated data, and leave everything else to it."""

import json

import pytest
from django.http import QueryDict

from licences.serializers import VerificationIn

TOKEN = "EL1:6BFOXN%TSMAHN-H"
BODIES = [
    {"token": TOKEN},
    {"token": "  ABCD2345 \n"},
    {"share_code": "KNXRTCHDBPHZ"},
    {"share_code": " KNXR-TCHD-BPHZ "},
    {"token": TOKEN, "purpose": "租车"},
    {"token": TOKEN, "purpose": "  roadside check  "},
    {"token": TOKEN, "purpose": ""},
    {"token": TOKEN, "purpose": "   "},
    {"token": TOKEN, "purpose": "x" * 100},
    {"token": TOKEN, "purpose": " " + "x" * 100 + " "},
    {"token": TOKEN, "purpose": "x" * 101},
    {"token": TOKEN, "purpose": "长" * 101},
    {"token": TOKEN, "extra": [1, 2], "verifier": "someone"},
    {"token": TOKEN, "share_code": "KNXRTCHDBPHZ"},
    {"token": TOKEN, "share_code": ""},
    {"token": "", "share_code": "KNXRTCHDBPHZ"},
    {"token": "   "},
    {"token": ""},
    {},
    {"purpose": "only a purpose"},
    {"token": None},
    {"token": TOKEN, "purpose": None},
    {"token": 12345678},
    {"token": 1.5},
    {"token": True},
    {"token": [TOKEN]},
    {"token": {"a": 1}},
    {"token": "EL1:\x00abc"},
    {"token": TOKEN, "purpose": "a\x00b"},
    {"token": TOKEN, "purpose": "a\ud800b"},
    {"share_code": "\udfffKNXRTCHDBPHZ"},
    {"token": "\u3000" + TOKEN + "\u3000"},
    {"token": TOKEN, "purpose": "\t\n"},
    [{"token": TOKEN}],
    "token",
    None,
]


@pytest.mark.parametrize("body", BODIES, ids=[f"body{i}" for i in range(len(BODIES))])
def test_plain_agrees_with_the_serializer(body):
    serializer = VerificationIn(data=body)
    valid = serializer.is_valid()
    plain = VerificationIn.plain(body)
    if plain is not None:
        assert valid, f"plain accepted what the serializer refuses: {serializer.errors}"
        assert plain == dict(serializer.validated_data)
    # The usual bodies take the plain path; the rest get the serializer's own errors.
    usual = (
        isinstance(body, dict)
        and valid
        and all(type(body.get(k, "")) is str for k in ("token", "share_code", "purpose"))
    )
    assert (plain is not None) == usual


def test_plain_knows_every_field_it_checks():
    """plain reads each field's required, blank and maximum length: the rest of a field's checks must be
    those of a plain CharField (trimmed, no minimum length, no other validators)."""
    from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
    from rest_framework.fields import CharField
    from rest_framework.validators import ProhibitSurrogateCharactersValidator

    for field in VerificationIn._declared_fields.values():
        assert type(field) is CharField and field.trim_whitespace and field.min_length is None
        expected = {ProhibitNullCharactersValidator, ProhibitSurrogateCharactersValidator}
        expected |= {MaxLengthValidator} if field.max_length is not None else set()
        assert {type(v) for v in field.validators} == expected and len(field.validators) == len(expected)


def test_form_bodies_go_to_the_serializer():
    form = QueryDict("token=EL1%3AABC&purpose=")
    assert VerificationIn.plain(form) is None
    assert VerificationIn(data=form).is_valid()


@pytest.mark.django_db
def test_bad_bodies_get_the_serializers_errors(client):
    for body, field in (({"token": "   "}, "token"), ({"token": "x", "purpose": "y" * 101}, "purpose")):
        response = client.post("/api/v1/verifications", json.dumps(body), content_type="application/json")
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"
        assert field in response.json()["fields"]
    response = client.post(
        "/api/v1/verifications",
        json.dumps({"purpose": "p"}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "Send either a token or a share code."
