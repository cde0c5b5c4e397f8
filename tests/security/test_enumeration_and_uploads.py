"""A stranger learns nothing about who has an account, and no uploaded file, however malformed,
does more than get refused."""

import io
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from conftest import make_person, new_id_number, new_phone
from portal.errors import DomainError
from portal.images import decode_image
from reviews.photo_checks import check_photo
from tests import photoset
from tests.security.conftest import record

pytestmark = pytest.mark.django_db


def test_known_and_unknown_accounts_get_identical_answers(settings):
    settings.RATE_LIMITS = {scope: (10_000, period) for scope, (_limit, period) in settings.RATE_LIMITS.items()}
    known = make_person()
    probes = [  # (path, body for a known account, body for an unknown one)
        ("/api/v1/accounts/password-reset", {"username": known.phone}, {"username": new_phone()}),
        ("/api/v1/accounts/password-reset", {"username": known.id_number}, {"username": new_id_number()}),
        (
            "/api/v1/auth/token",
            {"username": known.phone, "password": "wrong-horse-0"},
            {"username": new_phone(), "password": "wrong-horse-0"},
        ),
        (
            "/api/v1/accounts/password-reset/confirm",
            {"username": known.phone, "code": "000000", "new_password": "12345678"},
            {"username": new_phone(), "code": "000000", "new_password": "12345678"},
        ),
        (
            "/api/v1/accounts/activate",
            {"id_number": known.id_number, "activation_code": "ABCDE-FGHJK", "password": "x"},
            {"id_number": new_id_number(), "activation_code": "ABCDE-FGHJK", "password": "x"},
        ),
    ]
    differing = []
    for path, for_known, for_unknown in probes:
        api = APIClient()
        a, b = api.post(path, for_known, format="json"), api.post(path, for_unknown, format="json")
        if (a.status_code, a.content) != (b.status_code, b.content):
            differing.append((path, a.status_code, b.status_code))
    record("Account enumeration", f"{len(probes)} known/unknown probes, {len(differing)} told apart")
    assert differing == []


JPEG = photoset.good(1).data
PNG_HEADER = b"\x89PNG\r\n\x1a\n"
TRIED = {"files": 0, "crashes": 0}


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(
    kind=st.sampled_from(["random", "flipped JPEG", "truncated JPEG", "PNG with a huge IHDR", "polyglot"]),
    data=st.binary(min_size=0, max_size=2048),
    position=st.integers(min_value=0, max_value=len(JPEG) - 1),
)
def test_no_upload_does_more_than_get_refused(kind, data, position):
    if kind == "random":
        upload = data
    elif kind == "flipped JPEG":
        upload = JPEG[:position] + bytes([JPEG[position] ^ 0xFF]) + JPEG[position + 1 :]
    elif kind == "truncated JPEG":
        upload = JPEG[:position]
    elif kind == "PNG with a huge IHDR":
        ihdr = b"IHDR" + (60000).to_bytes(4, "big") + (60000).to_bytes(4, "big") + b"\x08\x02\x00\x00\x00"
        upload = PNG_HEADER + len(ihdr[4:]).to_bytes(4, "big") + ihdr + zlib.crc32(ihdr).to_bytes(4, "big") + data
    else:
        upload = JPEG + b"PK\x03\x04" + data  # an archive riding behind the image
    TRIED["files"] += 1
    try:
        try:
            image = decode_image(upload)
        except DomainError as exc:
            assert exc.code in {"unreadable", "file_too_large"}
        else:
            assert image.jpeg.startswith(b"\xff\xd8") and b"PK\x03\x04" not in image.jpeg
        result = check_photo(upload)  # the checker never raises either
        assert isinstance(result.codes, list)
    except Exception:
        TRIED["crashes"] += 1
        raise
    finally:
        record("Upload fuzzing", f"{TRIED['files']} malformed, polyglot or bomb files, {TRIED['crashes']} crashes")


def test_a_decompression_bomb_is_refused_from_its_header():
    from PIL import Image

    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG", optimize=True)  # 400 Mpx in a few KiB
    with pytest.raises(DomainError) as refused:
        decode_image(out.getvalue())
    assert refused.value.code == "unreadable"
