"""A1 face-verification step: pluggable verifier, never passing by default, safe image decoding."""

import io
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from PIL import Image

from portal.accounts.models import AuditEntry, RealNameStatus

pytestmark = pytest.mark.django_db


def jpeg(size=(600, 800), colour=(230, 230, 230)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG")
    return out.getvalue()


def upload(api, data: bytes, name="selfie.jpg"):
    file = io.BytesIO(data)
    file.name = name
    return api.post("/api/v1/accounts/face-verification", {"selfie": file}, format="multipart")


@pytest.fixture
def newcomer(db, settings, tmp_path):
    """Registered online, face not yet verified; the identity register holds their ID-card photo."""
    from conftest import give_identity_photo, make_person

    settings.MEDIA_ROOT = tmp_path / "media"
    person = make_person(verified=False)
    give_identity_photo(person)
    return person


def stored_files(settings) -> set:
    from pathlib import Path

    return {p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()}


def test_local_verifier_refuses_a_picture_without_a_face(api, newcomer, settings):
    settings.FACE_VERIFIER = "local"
    api.force_authenticate(newcomer)
    response = upload(api, jpeg())
    assert response.status_code == 400
    assert response.json()["code"] == "face_verification_failed"
    newcomer.refresh_from_db()
    assert newcomer.real_name_status == RealNameStatus.FACE_REQUIRED
    assert AuditEntry.objects.filter(action="face_verification.failed").count() == 1


def test_local_verifier_accepts_a_real_selfie_and_keeps_no_image(api, newcomer, settings):
    from tests import photoset

    settings.FACE_VERIFIER = "local"
    before = stored_files(settings)
    api.force_authenticate(newcomer)
    response = upload(api, photoset.good(4).data)
    assert response.status_code == 200, response.content
    newcomer.refresh_from_db()
    assert newcomer.real_name_status == RealNameStatus.VERIFIED
    entry = AuditEntry.objects.get(action="face_verification.passed")
    assert entry.data["faces"] == 1
    assert stored_files(settings) == before  # the selfie was analysed in memory and not stored


def test_local_verifier_refuses_covered_eyes(api, newcomer, settings):
    from tests import photoset

    settings.FACE_VERIFIER = "local"
    api.force_authenticate(newcomer)
    response = upload(api, photoset.eyes_not_visible(1).data)
    assert response.status_code == 400 and response.json()["code"] == "face_verification_failed"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<svg xmlns='http://www.w3.org/2000/svg'></svg>",
        b"GIF89a" + b"\x00" * 100,
        jpeg()[:200],  # truncated
    ],
    ids=["empty", "svg", "gif", "truncated"],
)
def test_unreadable_selfie_is_refused(api, newcomer, data):
    api.force_authenticate(newcomer)
    response = upload(api, data)
    assert response.status_code == 400 and response.json()["code"] == "face_verification_failed"


def test_huge_pixel_png_is_refused_without_decoding(api, newcomer, settings):
    settings.IMAGE_MAX_PIXELS = 1_000_000
    out = io.BytesIO()
    Image.new("1", (2000, 2000)).save(out, format="PNG")  # small file, 4 Mpx
    api.force_authenticate(newcomer)
    api.credentials(HTTP_ACCEPT_LANGUAGE="en")
    response = upload(api, out.getvalue(), "big.png")
    assert response.status_code == 400 and "too many pixels" in response.json()["detail"]


def test_oversized_upload_is_refused(api, newcomer, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    api.force_authenticate(newcomer)
    response = upload(api, jpeg())
    assert response.status_code == 400 and response.json()["code"] == "file_too_large"


def test_face_verification_requires_login(api):
    assert upload(api, jpeg()).status_code in (401, 403)


class _Verifier(BaseHTTPRequestHandler):
    answer: dict = {"match": True, "score": 0.31}
    received: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append(body)
        payload = json.dumps(type(self).answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def identity_service(settings):
    server = HTTPServer(("127.0.0.1", 0), _Verifier)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.FACE_VERIFIER = "http"
    settings.FACE_VERIFIER_URL = f"http://127.0.0.1:{server.server_port}/verify"
    _Verifier.received = []
    _Verifier.answer = {"match": True, "score": 0.31}
    yield _Verifier
    server.shutdown()


def test_http_verifier_match_verifies_the_person(api, newcomer, identity_service):
    identity_service.answer = {"match": True, "score": 0.31}
    api.force_authenticate(newcomer)
    response = upload(api, jpeg())
    assert response.status_code == 200 and response.json() == {"verified": True}
    newcomer.refresh_from_db()
    assert newcomer.real_name_status == RealNameStatus.VERIFIED and newcomer.face_verified_at
    # The service got a re-encoded JPEG, not the uploaded bytes, and the identity register's photo.
    sent = identity_service.received[0]
    assert __import__("base64").b64decode(sent["selfie"])[:3] == b"\xff\xd8\xff"
    assert __import__("base64").b64decode(sent["reference"])[:3] == b"\xff\xd8\xff"


def test_http_verifier_mismatch_is_refused(api, newcomer, identity_service):
    identity_service.answer = {"match": False, "detail": "different person"}
    api.force_authenticate(newcomer)
    response = upload(api, jpeg())
    assert response.status_code == 400 and response.json()["detail"] == "different person"
    newcomer.refresh_from_db()
    assert newcomer.real_name_status == RealNameStatus.FACE_REQUIRED


def test_http_verifier_down_is_refused(api, newcomer, settings):
    settings.FACE_VERIFIER = "http"
    settings.FACE_VERIFIER_URL = "http://127.0.0.1:9/verify"  # discard port: nothing listens
    api.force_authenticate(newcomer)
    assert upload(api, jpeg()).json()["code"] == "face_verification_failed"


def test_face_page_flow(client, newcomer, identity_service):
    client.force_login(newcomer)
    assert client.get("/accounts/face/").status_code == 200
    file = io.BytesIO(jpeg())
    file.name = "selfie.jpg"
    response = client.post("/accounts/face/", {"selfie": file})
    assert response.status_code == 302, response.content.decode().split('role="alert"')[1:]
    assert response["Location"] == "/accounts/status/"
    status = client.get("/accounts/status/").content.decode()
    assert "已实名认证" in status


# --- the reference photo: the identity register, else the licence portrait, else a counter ------------
REAL = __import__("pathlib").Path(__file__).resolve().parents[3].parent / "shared" / "photos" / "real"


def real_photo(name: str) -> bytes:
    return (REAL / name).read_bytes()


def test_a_strangers_selfie_never_verifies_and_the_same_persons_photographs_do(api, settings):
    from conftest import give_identity_photo, make_person

    settings.FACE_VERIFIER = "local"
    person = make_person(verified=False)
    give_identity_photo(person, real_photo("obama3.jpg"))
    api.force_authenticate(person)
    stranger = upload(api, real_photo("biden.jpg"))
    assert stranger.status_code == 400 and stranger.json()["code"] == "face_verification_failed"
    person.refresh_from_db()
    assert person.real_name_status == RealNameStatus.FACE_REQUIRED
    same = upload(api, real_photo("obama.jpg"))
    assert same.status_code == 200 and same.json() == {"verified": True}
    entry = AuditEntry.objects.get(action="face_verification.passed", object_id=str(person.pk))
    assert entry.data["distance"] < 0.6


def test_without_a_reference_on_record_the_person_is_sent_to_a_counter(api, client, settings):
    from conftest import make_person

    settings.FACE_VERIFIER = "local"
    person = make_person(verified=False)
    api.force_authenticate(person)
    response = upload(api, real_photo("obama.jpg"))
    assert response.status_code == 400 and response.json()["code"] == "no_reference_photo"
    client.force_login(person)
    file = io.BytesIO(real_photo("obama.jpg"))
    file.name = "selfie.jpg"
    page = client.post("/accounts/face/", {"selfie": file})
    assert page.status_code == 200 and "窗口" in page.content.decode()


def test_import_identity_photos_from_a_folder_and_a_csv(tmp_path, settings, capsys):
    import json as jsonlib

    from django.core.management import call_command

    from conftest import new_id_number
    from portal.accounts.models import IdentityPhoto
    from tests import photoset

    settings.MEDIA_ROOT = tmp_path / "media"
    folder = tmp_path / "register"
    folder.mkdir()
    good, broken = new_id_number(), new_id_number()
    (folder / f"{good}.jpg").write_bytes(photoset.good(9).data)
    (folder / f"{broken}.jpg").write_bytes(b"not an image")
    (folder / "110105199003071230.jpg").write_bytes(photoset.good(9).data)  # a wrong check digit
    call_command("import_identity_photos", str(folder), "--json")
    report = jsonlib.loads(capsys.readouterr().out)
    assert report["created"] == 1 and len(report["rejected"]) == 2
    assert good not in jsonlib.dumps(report) and broken not in jsonlib.dumps(report)  # masked numbers only
    (tmp_path / "list.csv").write_text(f"id_number,photo\n{good},register/{good}.jpg\n{good},../../etc/passwd\n")
    call_command("import_identity_photos", str(tmp_path / "list.csv"), "--json")
    report = jsonlib.loads(capsys.readouterr().out)
    assert report["updated"] == 1 and len(report["rejected"]) == 1
    assert IdentityPhoto.objects.count() == 1
