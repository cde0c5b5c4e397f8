"""L1: the register — import command, authority API, validation; L2: my licence."""

import io
import json

import pytest
from django.core.management import call_command
from PIL import Image

from conftest import LICENCE_DATA, PASSWORD, make_licence, new_id_number
from licences.models import Licence
from portal.accounts.models import IdentityPhoto

pytestmark = pytest.mark.django_db


def test_authority_post_creates_then_updates(api, authority):
    number = new_id_number()
    api.force_authenticate(authority)
    created = api.post("/api/v1/authority/licences", {**LICENCE_DATA, "number": number}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["number_masked"] == number[:6] + "********" + number[-4:]
    updated = api.post("/api/v1/authority/licences", {**LICENCE_DATA, "number": number, "points": 3}, format="json")
    assert updated.status_code == 200 and updated.json()["points"] == 3
    licence = Licence.objects.get()
    assert licence.number == number and licence.version == 1  # points are not a material change


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"classes": ["C1", "Z9"]}, "classes"),
        ({"classes": []}, "classes"),
        ({"valid_from": "2022-13-40"}, "valid_from"),
        ({"valid_until": "2020-01-01"}, "valid_until"),
        ({"status": "stolen"}, "status"),
        ({"points": 13}, "points"),
        ({"sex": "X"}, "sex"),
        ({"name": ""}, "name"),
    ],
)
def test_authority_post_rejects_bad_records_and_changes_nothing(api, authority, change, field):
    number = new_id_number()
    api.force_authenticate(authority)
    api.post("/api/v1/authority/licences", {**LICENCE_DATA, "number": number}, format="json")
    response = api.post("/api/v1/authority/licences", {**LICENCE_DATA, "number": number, **change}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    licence = Licence.objects.get()
    assert licence.classes == ["C1"] and licence.status == "normal" and licence.points == 0


def test_authority_post_rejects_bad_number(api, authority):
    api.force_authenticate(authority)
    response = api.post("/api/v1/authority/licences", {**LICENCE_DATA, "number": "110105199003071230"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid_id_number"


@pytest.mark.parametrize("who", ["citizen", "clerk", None])
def test_only_the_authority_may_write_the_registers(api, who, citizen, clerk):
    if who:
        api.force_authenticate({"citizen": citizen, "clerk": clerk}[who])
    response = api.post("/api/v1/authority/licences", {**LICENCE_DATA, "number": new_id_number()}, format="json")
    assert response.status_code in (401, 403)
    photo = io.BytesIO(b"\xff\xd8\xff")
    photo.name = "p.jpg"
    body = {"id_number": new_id_number(), "photo": photo}
    response = api.post("/api/v1/authority/identity-photos", body, format="multipart")
    assert response.status_code in (401, 403)
    assert Licence.objects.count() == 0 and IdentityPhoto.objects.count() == 0


def test_retired_number_in_url_paths_are_gone(api, authority):
    api.force_authenticate(authority)
    number = new_id_number()
    assert api.put(f"/api/v1/authority/licences/{number}", LICENCE_DATA, format="json").status_code == 404


def test_authority_sets_portrait_reencoded(api, authority, citizen, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    make_licence(citizen)
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x0131] = "Secret camera serial 1234"
    Image.new("RGB", (300, 400), (200, 180, 170)).save(out, format="JPEG", exif=exif.tobytes())
    out.seek(0)
    out.name = "p.jpg"
    api.force_authenticate(authority)
    response = api.post(
        "/api/v1/authority/licences/portrait", {"number": citizen.id_number, "portrait": out}, format="multipart"
    )
    assert response.status_code == 200 and response.json()["has_portrait"] is True
    stored = Licence.objects.get().portrait.read()
    assert b"Secret camera" not in stored  # metadata dropped on re-encode
    bad = io.BytesIO(b"<svg/>")
    bad.name = "x.jpg"
    response = api.post(
        "/api/v1/authority/licences/portrait", {"number": citizen.id_number, "portrait": bad}, format="multipart"
    )
    assert response.status_code == 400 and response.json()["code"] == "unreadable"


def test_import_reports_created_updated_and_rejected(tmp_path, capsys, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    portrait = tmp_path / "p1.jpg"
    Image.new("RGB", (300, 400), "white").save(portrait)
    good, other = new_id_number(), new_id_number()
    bad_checksum = good[:-1] + ("0" if good[-1] != "0" else "1")
    header = (
        "number,name,sex,birth_date,address,first_issued_on,classes,valid_from,valid_until,"
        "issuing_authority,file_number,status,points,portrait\n"
    )
    rows = [
        f"{good},张三,M,1990-03-07,北京,2012-05-04,C1 D,2022-05-04,2032-05-04,北京交管局,110100001,normal,0,p1.jpg",
        f"{other},李四,F,1991-01-01,上海,2013-01-01,C1,2021-01-01,,上海交管局,310100002,detained,4,",
        f"{bad_checksum},坏号,M,1990-03-07,北京,2012-05-04,C1,2022-05-04,2032-05-04,北京交管局,1,normal,0,",
        f"{new_id_number()},坏车型,M,1990-03-07,北京,2012-05-04,Q7,2022-05-04,2032-05-04,北京交管局,1,normal,0,",
        f"{new_id_number()},坏日期,M,1990-03-07,北京,2012-05-04,C1,2022-02-30,2032-05-04,北京交管局,1,normal,0,",
        f"{new_id_number()},坏照片,M,1990-03-07,北京,2012-05-04,C1,2022-05-04,2032-05-04,北京交管局,1,normal,0,../../etc/passwd",
    ]
    csv_file = tmp_path / "licences.csv"
    csv_file.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    call_command("import_licences", str(csv_file), "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["created"] == 2 and report["updated"] == 0
    assert [r["line"] for r in report["rejected"]] == [4, 5, 6, 7]
    assert "classes" in report["rejected"][1]["reason"] and "valid_from" in report["rejected"][2]["reason"]
    assert Licence.objects.count() == 2
    first = Licence.objects.get(name="张三")
    assert first.classes == ["C1", "D"] and first.has_portrait
    assert Licence.objects.get(name="李四").valid_until is None  # long-term
    call_command("import_licences", str(csv_file), "--json")
    assert json.loads(capsys.readouterr().out)["updated"] == 2


def test_my_licence_api_and_page(api, client, citizen, outsider):
    make_licence(citizen)
    api.force_authenticate(citizen)
    body = api.get("/api/v1/licence").json()
    assert body["name"] == citizen.name and body["classes"] == ["C1"] and body["has_portrait"] is False
    assert citizen.id_number not in json.dumps(body) and "110100001234" not in json.dumps(body)
    api.force_authenticate(outsider)  # no record of their own: never someone else's
    response = api.get("/api/v1/licence")
    assert response.status_code == 404 and response.json()["code"] == "no_licence_record"
    client.force_login(citizen)
    page = client.get("/licence/").content.decode()
    assert "C1" in page and citizen.id_number not in page
    client.force_login(outsider)
    assert citizen.name not in client.get("/licence/").content.decode()


def test_portrait_served_only_to_its_owner(client, citizen, outsider, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from licences.services import licence_set_portrait

    make_licence(citizen)
    out = io.BytesIO()
    Image.new("RGB", (300, 400), "white").save(out, format="JPEG")
    licence_set_portrait(actor="test", number=citizen.id_number, portrait=out.getvalue())
    client.force_login(citizen)
    response = client.get("/licence/portrait/")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "no-store" and response["X-Content-Type-Options"] == "nosniff"
    client.force_login(outsider)
    assert client.get("/licence/portrait/").status_code == 404
    client.logout()
    assert client.get("/licence/portrait/").status_code == 302
    assert PASSWORD  # personas log in with it elsewhere


def test_admin_search_by_masked_number_and_name(client, supervisor, citizen, outsider):
    from django.contrib.auth.models import Permission

    supervisor.user_permissions.add(Permission.objects.get(codename="view_licence"))
    mine, other = make_licence(citizen), make_licence(outsider)
    client.force_login(supervisor)
    page = client.get("/admin/licences/licence/", {"q": mine.number_masked}).content.decode()
    assert citizen.name in page and outsider.name not in page
    assert citizen.id_number not in page
    page = client.get("/admin/licences/licence/", {"status": "normal", "q": outsider.name}).content.decode()
    assert outsider.name in page and other.number_masked in page


def test_admin_find_licence_by_full_number_via_post(client, supervisor, citizen):
    from django.contrib.auth.models import Permission

    supervisor.user_permissions.add(Permission.objects.get(codename="view_licence"))
    licence = make_licence(citizen)
    client.force_login(supervisor)
    found = client.post("/admin/licences/licence/find/", {"number": citizen.id_number.lower()})
    assert found.status_code == 302 and found["Location"] == f"/admin/licences/licence/{licence.pk}/change/"
    assert client.post("/admin/licences/licence/find/", {"number": new_id_number()}).status_code == 200


def test_the_licence_portrait_is_the_face_reference_when_the_identity_register_has_none(api, settings, tmp_path):
    from pathlib import Path

    from conftest import make_person
    from licences.services import licence_set_portrait

    real = Path(__file__).resolve().parents[2].parent / "shared" / "photos" / "real"
    settings.FACE_VERIFIER = "local"
    settings.MEDIA_ROOT = tmp_path
    person = make_person(verified=False)
    make_licence(person)
    licence_set_portrait(actor="test", number=person.id_number, portrait=(real / "obama3.jpg").read_bytes())
    api.force_authenticate(person)

    def selfie(name):
        upload = io.BytesIO((real / name).read_bytes())
        upload.name = "selfie.jpg"
        return api.post("/api/v1/accounts/face-verification", {"selfie": upload}, format="multipart").json()

    assert selfie("biden.jpg")["code"] == "face_verification_failed"
    assert selfie("obama.jpg") == {"verified": True}
