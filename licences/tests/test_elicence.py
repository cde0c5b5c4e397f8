"""L3 e-licence and its tokens; L4 verification by kind; L5 log; L6 shares; L7 invalidation."""

import base64
import json
import time
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from conftest import make_elicence, make_licence, make_person, redis_url
from licences import signed_qr, tokens
from licences.models import ELicence, Verification
from licences.services import elicences_expire, licence_upsert
from portal.accounts import sms
from portal.accounts.models import AuditEntry

pytestmark = pytest.mark.django_db


def qr(api, person):
    api.force_authenticate(person)
    response = api.get("/api/v1/elicence/qr")
    assert response.status_code == 200, response.content
    return response.json()


def verify(api, user=None, **body):
    api.force_authenticate(user)
    return api.post("/api/v1/verifications", body, format="json")


# --- tokens: the signed QR (licences/signed_qr.py) -------------------------------------------------
def signed(citizen, **claims_override):
    """A fresh signed QR token of the citizen's e-licence, and its issue."""
    from licences.services import elicence_qr_issue

    elicence = citizen.elicences.first() or make_elicence(citizen)
    return elicence_qr_issue(elicence=elicence)


def test_signed_token_round_trip_and_lifetime(citizen):
    issued = signed(citizen)
    assert issued.token.startswith("EL1:")
    now = time.time()
    claims = signed_qr.read(issued.token, keys=signed_qr.verify_keys(), now=now)
    assert claims["ref"] == issued.short_code and claims["name"] == "*三" and claims["ver"] == 1
    assert claims["classes"] == ["C1"] and claims["state"] == "valid" and claims["points"] == "0"
    assert claims["expires_at"] - claims["issued_at"] == tokens.QR_TOKEN_TTL <= 120
    expires = claims["expires_at"]
    signed_qr.read(issued.token, keys=signed_qr.verify_keys(), now=expires + tokens.CLOCK_SKEW, skew=tokens.CLOCK_SKEW)
    with pytest.raises(signed_qr.SignedQRError) as exc:
        signed_qr.read(issued.token, keys=signed_qr.verify_keys(), now=expires + 6, skew=tokens.CLOCK_SKEW)
    assert exc.value.reason == "expired"


def _cose(token: str) -> bytes:
    import zlib

    import base45

    return zlib.decompress(base45.b45decode(token[len(signed_qr.PREFIX) :]))


def _retokenise(cose: bytes) -> str:
    import zlib

    import base45

    return signed_qr.PREFIX + base45.b45encode(zlib.compress(cose)).decode()


@pytest.mark.parametrize(
    "mangle",
    [
        "claims",
        "signature",
        "truncate",
        "garbage",
        "empty",
        "no_prefix",
        "other_key",
        "unsigned",
        "bomb",
        "text_signature",
    ],
)
def test_forged_signed_tokens_are_bad(citizen, mangle):
    import zlib

    import cbor2

    token = signed(citizen).token
    keys = signed_qr.verify_keys()
    if mangle == "claims":  # a changed claim under the old signature
        tag = cbor2.loads(_cose(token))
        claims = cbor2.loads(tag.value[2])
        claims[signed_qr.CLAIM_ELICENCE]["points"] = "12"
        token = _retokenise(cbor2.dumps(cbor2.CBORTag(18, [*tag.value[:2], cbor2.dumps(claims), tag.value[3]])))
    elif mangle == "signature":
        tag = cbor2.loads(_cose(token))
        signature = bytearray(tag.value[3])
        signature[5] ^= 1
        token = _retokenise(cbor2.dumps(cbor2.CBORTag(18, [*tag.value[:3], bytes(signature)])))
    elif mangle == "truncate":
        token = token[:-6]
    elif mangle == "garbage":
        token = "EL1:not base45 at all ~~~"
    elif mangle == "empty":
        token = ""
    elif mangle == "no_prefix":
        token = token[len(signed_qr.PREFIX) :]
    elif mangle == "other_key":  # genuine format, signed by a key the verifier does not hold
        from cryptography.hazmat.primitives.asymmetric import ec

        other = ec.generate_private_key(ec.SECP256R1()).public_key()
        keys = [signed_qr.VerifyKey(signed_qr.key_id(other), other)]
    elif mangle == "text_signature":  # well-formed CBOR, but the signature is text, not bytes
        tag = cbor2.loads(_cose(token))
        token = _retokenise(cbor2.dumps(cbor2.CBORTag(18, [*tag.value[:3], "x" * 64])))
    elif mangle == "unsigned":  # the protected header says no algorithm at all
        tag = cbor2.loads(_cose(token))
        token = _retokenise(cbor2.dumps(cbor2.CBORTag(18, [cbor2.dumps({4: b"x"}), *tag.value[1:]])))
    else:  # a small token that inflates to megabytes
        token = signed_qr.PREFIX + __import__("base45").b45encode(zlib.compress(b"\0" * 5_000_000)).decode()
    with pytest.raises(signed_qr.SignedQRError) as exc:
        signed_qr.read(token, keys=keys, now=time.time())
    assert exc.value.reason == "bad_token"


def test_base45_decoding_agrees_with_the_base45_package():
    import os
    import random

    import base45

    for size in [0, 1, 2, 3, 4, 5, *random.sample(range(6, 3000), 40)]:
        data = os.urandom(size)
        text = base45.b45encode(data).decode()
        assert signed_qr.b45decode(text) == data == base45.b45decode(text)
    # Not base45: a character outside the alphabet, lower case, one character too many, a triplet
    # above 0xFFFF ("GGW" is 65,536), a pair above 0xFF ("::"), non-ASCII. Both refuse each.
    for text in ["AB~", "ab1", "ABCD", "GGW", "00::", "ÄBC", "0" * 7]:
        with pytest.raises(ValueError):
            signed_qr.b45decode(text)
        with pytest.raises(ValueError):
            base45.b45decode(text)


def test_signed_tokens_are_unique_and_fit_a_phone_screen(api, citizen):
    import segno

    tokens_issued = [signed(citizen).token for _ in range(20)]
    assert len(set(tokens_issued)) == 20  # each names its own short code (and ECDSA signatures differ)
    longest = max(tokens_issued, key=len)
    assert set(longest) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")  # QR alphanumeric mode
    qr_code = segno.make(longest, error="m")
    assert qr_code.mode == "alphanumeric" and qr_code.version <= 15, (len(longest), qr_code.version)
    # What the display's QR holds: the verifier page's address with the token in its fragment.
    url = qr(api, citizen)["url"]
    assert url.startswith("http://testserver/v/o#EL1:") and " " not in url
    display = segno.make(url, error="m")
    assert display.version <= 17, (len(url), display.version)  # 85 modules at most: 2.6 px each at 220 px


def test_a_rotated_key_still_verifies_until_its_tokens_expire(citizen, settings):
    from cryptography.hazmat.primitives.asymmetric import ec

    old_token = signed(citizen).token
    old_public = signed_qr.signing_key().public_key()
    new_scalar = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value.to_bytes(32, "big")
    settings.QR_SIGNING_KEY = base64.urlsafe_b64encode(new_scalar).rstrip(b"=").decode()
    with pytest.raises(signed_qr.SignedQRError):  # without the overlap the old token is refused
        signed_qr.read(old_token, keys=signed_qr.verify_keys(), now=time.time())
    settings.QR_VERIFY_KEYS = [signed_qr.public_point_b64(old_public)]
    assert [k.kid for k in signed_qr.verify_keys()][1] == signed_qr.key_id(old_public)
    assert signed_qr.read(old_token, keys=signed_qr.verify_keys(), now=time.time())["ref"]
    assert signed_qr.read(signed(citizen).token, keys=signed_qr.verify_keys(), now=time.time())["ref"]


# --- e-licence API and page --------------------------------------------------------------------------
def test_elicence_api_and_qr(api, citizen):
    from urllib.parse import unquote

    make_elicence(citizen)
    api.force_authenticate(citizen)
    body = api.get("/api/v1/elicence").json()
    assert body["state"] == "valid" and body["invalid_reason"] is None and body["paper_required"] is False
    assert body["classes"] == ["C1"] and body["qr_colour"] == "green"
    code = qr(api, citizen)
    assert code["token"].startswith("EL1:") and code["url"].startswith("http://testserver/v/o#EL1:")
    assert unquote(code["url"].split("#", 1)[1]) == code["token"]
    assert len(code["short_code"]) == tokens.SHORT_CODE_LENGTH
    assert code["svg"].startswith("data:image/svg+xml")
    lifetime = timezone.datetime.fromisoformat(code["expires_at"]) - timezone.datetime.fromisoformat(
        code["server_time"]
    )
    assert 0 < lifetime.total_seconds() <= 90


def test_the_qr_picture_is_optional_for_clients_that_draw_it(api, citizen):
    make_elicence(citizen)
    api.force_authenticate(citizen)
    drawn_here = api.get("/api/v1/elicence/qr?svg=0").json()
    assert drawn_here["svg"] == "" and drawn_here["url"].startswith("http://testserver/v/o#EL1:")
    assert api.get("/api/v1/elicence/qr").json()["svg"].startswith("data:image/svg+xml")


def test_no_elicence_is_404_and_others_are_never_shown(api, client, citizen, outsider):
    make_elicence(citizen)
    api.force_authenticate(outsider)
    assert api.get("/api/v1/elicence").status_code == 404
    assert api.get("/api/v1/elicence/qr").status_code == 404
    assert api.get("/api/v1/elicence/verifications").json() == []
    assert api.get("/api/v1/elicence/shares").json() == []
    client.force_login(outsider)
    assert client.get("/licence/e/").status_code == 404


def test_elicence_page_shows_card_without_inline_script(client, citizen):
    make_elicence(citizen)
    client.force_login(citizen)
    page = client.get("/licence/e/").content.decode()
    assert 'id="elicence"' in page and citizen.name in page and "js/elicence.js" in page
    assert "<script>" not in page and citizen.id_number not in page


@pytest.mark.parametrize(
    ("changes", "colour"),
    [({}, "green"), ({"points": 12}, "red"), ({"valid_until": "2025-01-01", "valid_from": "2015-01-01"}, "red")],
)
def test_qr_colour_by_status(citizen, changes, colour):
    assert make_licence(citizen, **changes).qr_colour == colour


# --- verification (L4) -------------------------------------------------------------------------------
def test_anonymous_sees_validity_and_masked_name_only(api, citizen):
    make_elicence(citizen)
    code = qr(api, citizen)
    response = verify(api, token=code["token"])
    body = response.json()
    assert body["valid"] is True and body["reason"] is None
    assert body["holder"] == {"name_masked": "*三"}
    stored = Verification.objects.get()
    assert stored.method == "qr" and stored.verifier is None and stored.valid


def test_police_see_everything_insurer_sees_their_fields(api, citizen, police_member, insurer_member):
    make_elicence(citizen, points=4)
    police = verify(api, police_member, token=qr(api, citizen)["token"], purpose="roadside check").json()["holder"]
    assert police["points"] == 4 and police["status"] == "normal" and "address" in police
    assert police["number_masked"].count("*") == 8
    insurer = verify(api, insurer_member, token=qr(api, citizen)["token"]).json()["holder"]
    assert set(insurer) == {"name_masked", "name", "classes", "valid_from", "valid_until", "status"}
    log = Verification.objects.order_by("checked_at")
    assert [v.organisation.kind for v in log] == ["police", "insurer"]
    assert log[0].purpose == "roadside check"


def test_unapproved_organisation_gets_the_anonymous_view(api, citizen):
    from conftest import make_organisation

    member = make_person(organisation=make_organisation("police", approved=False))
    make_elicence(citizen)
    holder = verify(api, member, token=qr(api, citizen)["token"]).json()["holder"]
    assert holder == {"name_masked": "*三"}


def test_short_code_verifies_like_the_qr(api, citizen):
    make_elicence(citizen)
    code = qr(api, citizen)["short_code"]
    body = verify(api, token=f"{code[:4]}-{code[4:].lower()}").json()
    assert body["valid"] is True and Verification.objects.get().method == "code"


@pytest.mark.parametrize(
    ("token", "reason"),
    [("AAAA" * 14, "bad_token"), ("ZZZZ2345", "not_found"), ("short", "bad_token")],
)
def test_bad_tokens_are_refused_and_logged(api, citizen, token, reason):
    make_elicence(citizen)
    body = verify(api, token=token).json()
    assert body["valid"] is False and body["reason"] == reason and body["holder"] == {}
    assert Verification.objects.get().valid is False


def test_expired_token_and_replay_are_refused(api, citizen, monkeypatch):
    make_elicence(citizen)
    code = qr(api, citizen)
    assert verify(api, token=code["token"]).json()["valid"] is True
    later = time.time() + tokens.QR_TOKEN_TTL + tokens.CLOCK_SKEW + 2
    monkeypatch.setattr(timezone, "now", lambda: datetime.fromtimestamp(later, tz=UTC))
    for presented in (code["token"], code["short_code"]):
        body = verify(api, token=presented).json()
        assert body["valid"] is False and body["reason"] == "expired"


def test_token_of_an_old_licence_version_is_refused(api, citizen):
    make_elicence(citizen)
    code = qr(api, citizen)
    make_licence(citizen, classes=["C1", "D"])  # 换证: the e-licence is invalidated
    body = verify(api, token=code["token"]).json()
    assert body["valid"] is False and body["reason"] == "licence_changed"


def test_receipt_is_signed_checkable_and_downloadable(api, client, citizen, police_member):
    make_elicence(citizen)
    body = verify(api, police_member, token=qr(api, citizen)["token"]).json()
    signed = body["receipt"]
    assert signed["receipt"]["valid"] is True and signed["receipt"]["verifier"]["kind"] == "police"
    api.force_authenticate(None)
    assert api.post("/api/v1/receipts/verify", signed, format="json").json() == {"authentic": True}
    forged = json.loads(json.dumps(signed))
    forged["receipt"]["valid"] = False
    assert api.post("/api/v1/receipts/verify", forged, format="json").json() == {"authentic": False}
    key = api.get("/api/v1/receipts/public-key").json()
    assert key["algorithm"] == "Ed25519" and key["key_id"] == signed["key_id"]
    # Offline check with the published key, as a third party would.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    public = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(key["public_key"] + "="))
    public.verify(base64.urlsafe_b64decode(signed["signature"] + "=="), tokens.canonical(signed["receipt"]))
    pdf = client.get(body["receipt_url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert client.get(body["receipt_url"][:-3] + "xyz").status_code == 404


def test_receipt_links_are_what_reverse_gives_under_any_script_prefix(rf, settings):
    import uuid

    from django.core import signing
    from django.urls import reverse, set_script_prefix

    from licences.links import receipt_url
    from licences.serializers import RECEIPT_SALT

    settings.ALLOWED_HOSTS = ["portal.example.cn"]
    request = rf.get("/", HTTP_HOST="portal.example.cn")
    try:
        for prefix in ("/", "/portal/", "/a b/"):
            set_script_prefix(prefix)
            for _ in range(20):
                signed_id = signing.dumps(str(uuid.uuid4()), salt=RECEIPT_SALT)
                expected = request.build_absolute_uri(reverse("api-receipt", args=[signed_id]))
                assert receipt_url(request, signed_id) == expected
                assert expected.startswith(f"http://portal.example.cn{prefix.replace(' ', '%20')}api/v1/receipts/")
    finally:
        set_script_prefix("/")


def test_verification_log_for_the_holder_only(api, client, citizen, outsider, insurer_member):
    make_elicence(citizen)
    verify(api, insurer_member, token=qr(api, citizen)["token"], purpose="car insurance")
    api.force_authenticate(citizen)
    log = api.get("/api/v1/elicence/verifications").json()
    assert (
        log[0]["organisation_kind"] == "insurer"
        and log[0]["purpose"] == "car insurance"
        and log[0]["result"] == "valid"
    )
    client.force_login(citizen)
    assert "car insurance" in client.get("/licence/e/verifications/").content.decode()
    client.force_login(outsider)
    assert "car insurance" not in client.get("/licence/e/verifications/").content.decode()


def test_verification_page_for_a_scanned_qr(api, client, citizen, police_member):
    make_elicence(citizen)
    code = qr(api, citizen)
    page = client.get(f"/v/{code['short_code']}").content.decode()
    assert 'data-valid="1"' in page and "*三" in page and "receipt-link" in page
    client.force_login(police_member)
    page = client.get(f"/v/{qr(api, citizen)['short_code']}").content.decode()
    assert "北京市朝阳区" in page  # the police see the address
    assert 'data-valid="0"' in client.get("/v/not-a-token").content.decode()


@pytest.mark.parametrize("store", ["database", "redis"])
def test_verification_is_rate_limited_per_ip(api, citizen, settings, store):
    """Short codes and signed tokens count alike (in Redis the count is sent before the token's signature is
    checked and read after); a refused check is not recorded."""
    if store == "redis":
        settings.RATE_LIMIT_STORE, settings.CACHE_URL = "cache", redis_url()
        assert settings.CACHE_URL, "Redis on 127.0.0.1:6379 (this machine's) is needed"
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "verify:ip": (3, 600)}
    make_elicence(citizen)
    token = qr(api, citizen)["token"]
    answers = [verify(api, token=presented) for presented in ("ZZZZ2345", token, token, token, "ZZZZ2345")]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429, 429]
    assert [answer.json().get("valid") for answer in answers[:3]] == [False, True, True]
    assert answers[3].json()["code"] == "rate_limited" and int(answers[3]["Retry-After"]) > 0
    assert Verification.objects.count() == 3


def test_a_silent_rate_limit_cache_refuses_the_verification_and_records_nothing(api, client, citizen, settings):
    """A Redis that hangs: the verifier is told to try again (503, Retry-After, in their language) within
    CACHE_TIMEOUT, nothing is recorded, and the page says the same in words, without a code."""
    from tests.fakes import SilentServer

    make_elicence(citizen)
    code = qr(api, citizen)
    with SilentServer() as server:
        settings.RATE_LIMIT_STORE, settings.CACHE_TIMEOUT = "cache", 0.3
        settings.CACHE_URL = f"redis://127.0.0.1:{server.port}/0"
        response = verify(api, token=code["token"])
        english = api.post("/api/v1/verifications", {"token": code["token"]}, format="json", HTTP_ACCEPT_LANGUAGE="en")
        page = client.get(f"/v/{code['short_code']}")
    assert response.status_code == 503 and int(response["Retry-After"]) > 0
    assert response.json() == {"code": "unavailable", "detail": "服务繁忙，请稍后重试。"}
    assert (
        english.status_code == 503 and english.json()["detail"] == "The service is busy. Please try again in a moment."
    )
    assert page.status_code == 503 and "服务繁忙，请稍后重试。" in page.content.decode()
    assert "unavailable" not in page.content.decode()
    assert not Verification.objects.exists()


# --- shares (L6) ---------------------------------------------------------------------------------------
def test_share_create_verify_download_revoke(api, client, citizen, insurer_member):
    make_elicence(citizen)
    api.force_authenticate(citizen)
    created = api.post("/api/v1/elicence/shares", {"purpose": "租车 car rental", "valid_days": 7}, format="json")
    assert created.status_code == 201, created.content
    share = created.json()
    assert share["url"].endswith(f"/v/s/{share['code']}")
    pdf = api.get(share["download_url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    body = verify(api, insurer_member, share_code=share["code"]).json()
    assert body["valid"] is True and body["holder"]["classes"] == ["C1"]
    assert Verification.objects.get().purpose == "租车 car rental"  # the share's purpose is logged
    api.force_authenticate(citizen)
    assert api.delete(f"/api/v1/elicence/shares/{share['id']}").status_code == 204
    body = verify(api, None, share_code=share["code"]).json()
    assert body["valid"] is False and body["reason"] == "revoked"
    assert 'data-reason="revoked"' in client.get(f"/v/s/{share['code']}").content.decode()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"purpose": "x", "valid_days": 5}, "purpose"),
        ({"purpose": "rental", "valid_days": 31}, "valid_days"),
        ({"purpose": "rental", "valid_days": 0}, "valid_days"),
    ],
)
def test_share_bad_input(api, citizen, body, field):
    make_elicence(citizen)
    api.force_authenticate(citizen)
    response = api.post("/api/v1/elicence/shares", body, format="json")
    assert response.status_code == 400 and field in response.json()["fields"]


def test_someone_elses_share_is_404(api, citizen, outsider):
    make_elicence(citizen)
    make_elicence(outsider)
    api.force_authenticate(citizen)
    share_id = api.post("/api/v1/elicence/shares", {"purpose": "rental", "valid_days": 3}, format="json").json()["id"]
    api.force_authenticate(outsider)
    assert api.delete(f"/api/v1/elicence/shares/{share_id}").status_code == 404
    assert api.get(f"/api/v1/elicence/shares/{share_id}/download").status_code == 404
    api.force_authenticate(citizen)
    assert len(api.get("/api/v1/elicence/shares").json()) == 1


def test_expired_share_is_refused(api, citizen):
    from licences.models import Share

    make_elicence(citizen)
    api.force_authenticate(citizen)
    code = api.post("/api/v1/elicence/shares", {"purpose": "rental", "valid_days": 1}, format="json").json()["code"]
    Share.objects.update(expires_at=timezone.now() - timezone.timedelta(seconds=1))
    assert verify(api, share_code=code).json()["reason"] == "expired"


# --- invalidation (L7) -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"classes": ["C1", "D"]}, "licence_changed"),
        ({"valid_until": "2034-05-04"}, "licence_changed"),
        ({"issuing_authority": "上海市公安局交通警察总队"}, "licence_changed"),
        ({"status": "revoked"}, "licence_revoked"),
        ({"status": "cancelled"}, "licence_cancelled"),
        ({"status": "expired"}, "licence_expired"),
        ({"status": "suspended"}, "licence_suspended"),
    ],
)
def test_changes_invalidate_and_notify(api, citizen, changes, reason, django_capture_on_commit_callbacks):
    make_elicence(citizen)
    sms.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        make_licence(citizen, **changes)
    elicence = ELicence.objects.get()
    assert elicence.state == "invalid" and elicence.invalid_reason == reason
    assert [m["to"] for m in sms.outbox] == [citizen.phone]
    api.force_authenticate(citizen)
    assert api.get("/api/v1/elicence").json()["invalid_reason"] == reason
    assert api.get("/api/v1/elicence/qr").status_code == 409


def test_detained_keeps_valid_with_paper_required(api, citizen, django_capture_on_commit_callbacks):
    make_elicence(citizen)
    with django_capture_on_commit_callbacks(execute=True):
        make_licence(citizen, status="detained")
    api.force_authenticate(citizen)
    body = api.get("/api/v1/elicence").json()
    assert body["state"] == "valid" and body["paper_required"] is True and body["qr_colour"] == "red"
    result = verify(api, token=qr(api, citizen)["token"]).json()
    assert result["valid"] is True and result["paper_required"] is True
    assert len(sms.outbox) >= 1


def test_points_change_does_not_invalidate(citizen):
    make_elicence(citizen)
    make_licence(citizen, points=6)
    assert ELicence.objects.get().state == "valid"


def test_daily_expiry_task_runs_twice_safely(citizen, outsider):
    from licences.tasks import expire_elicences

    make_elicence(citizen)
    make_elicence(outsider)
    from licences.models import Licence

    Licence.objects.filter(number_hash=citizen.id_number_hash).update(
        valid_until=timezone.localdate() - timezone.timedelta(days=1)
    )
    assert expire_elicences.delay().get() == 1
    assert expire_elicences.delay().get() == 0
    states = dict(ELicence.objects.values_list("holder__name", "invalid_reason"))
    assert states == {citizen.name: "licence_expired", outsider.name: ""}
    assert elicences_expire() == 0


ADMIN_LICENCE_FORM = {
    "sex": "M",
    "nationality": "中国",
    "birth_date": "1990-03-07",
    "address": "北京",
    "first_issued_on": "2012-05-04",
    "classes": "C1 C2",  # as staff type them: separated by spaces
    "valid_from": "2022-05-04",
    "valid_until": "2032-05-04",
    "issuing_authority": "北京市公安局公安交通管理局",
    "status": "normal",
    "points": 0,
}


def _licence_admin(client, supervisor, citizen):
    from django.contrib.auth.models import Permission

    elicence = make_elicence(citizen)
    client.force_login(supervisor)
    supervisor.user_permissions.add(Permission.objects.get(codename="change_licence"))
    return elicence, f"/admin/licences/licence/{elicence.licence_id}/change/"


def test_admin_edit_goes_through_the_service(client, supervisor, citizen):
    elicence, url = _licence_admin(client, supervisor, citizen)
    response = client.post(url, {**ADMIN_LICENCE_FORM, "name": citizen.name})
    assert response.status_code == 302, response.content.decode()[-2000:]
    elicence.refresh_from_db()
    assert elicence.state == "invalid" and elicence.invalid_reason == "licence_changed"
    assert AuditEntry.objects.filter(action="licence.updated", actor=supervisor).exists()


def test_admin_edit_the_register_refuses_is_shown_on_the_form_and_changes_nothing(client, supervisor, citizen):
    elicence, url = _licence_admin(client, supervisor, citizen)
    form = {**ADMIN_LICENCE_FORM, "name": citizen.name, "valid_until": "2020-01-01", "classes": "ZZ"}
    response = client.post(url, form)
    page = response.content.decode()
    assert response.status_code == 200 and "errorlist" in page
    assert "changed successfully" not in page and "成功" not in page
    elicence.refresh_from_db()
    assert elicence.state == "valid" and elicence.licence.classes == ["C1"]
    assert not AuditEntry.objects.filter(action="licence.updated", actor=supervisor).exists()


def test_issue_requires_normal_licence_and_one_at_a_time(citizen):
    from licences.services import elicence_issue
    from portal.errors import DomainError

    licence = make_licence(citizen)
    elicence_issue(licence=licence, holder=citizen)
    with pytest.raises(DomainError) as exc:
        elicence_issue(licence=licence, holder=citizen)
    assert exc.value.code == "elicence_already_active"
    detained = make_licence(make_person(), status="detained")
    with pytest.raises(DomainError) as exc:
        elicence_issue(licence=detained, holder=citizen)
    assert exc.value.code == "licence_not_holders"
    assert licence_upsert  # imported for the parametrised cases above


def test_verify_form_accepts_short_code_share_code_and_pasted_token(api, client, citizen):
    make_elicence(citizen)
    code = qr(api, citizen)
    for typed in (code["short_code"], code["token"]):
        assert 'data-valid="1"' in client.post("/v/", {"code": typed}).content.decode()
    api.force_authenticate(citizen)
    share = api.post("/api/v1/elicence/shares", {"purpose": "rental", "valid_days": 2}, format="json").json()
    assert 'data-valid="1"' in client.post("/v/", {"code": share["code"].lower()}).content.decode()


def test_shares_page_creates_lists_refuses_and_revokes(client, citizen, outsider):
    make_elicence(citizen)
    client.force_login(citizen)
    assert client.get("/licence/e/shares/").status_code == 200
    refused = client.post("/licence/e/shares/", {"purpose": "x", "valid_days": "45"})
    assert refused.status_code == 200 and refused.context["form"].errors["purpose"]
    created = client.post("/licence/e/shares/", {"purpose": "租车公司取车", "valid_days": "7"})
    assert created.status_code == 302
    share = citizen.elicences.get().shares.get()
    page = client.get("/licence/e/shares/").content.decode()
    assert share.code in page and "租车公司取车" in page
    client.force_login(outsider)
    assert client.post(f"/licence/e/shares/{share.pk}/revoke/").status_code == 404
    assert client.get(f"/licence/e/shares/{share.pk}/pdf/").status_code == 404
    client.force_login(citizen)
    assert client.post(f"/licence/e/shares/{share.pk}/revoke/").status_code == 302
    share.refresh_from_db()
    assert share.revoked_at is not None


def test_verification_answers_are_never_cached(api, client, citizen):
    make_elicence(citizen)
    api.force_authenticate(citizen)
    issued = api.get("/api/v1/elicence/qr").json()
    api.force_authenticate(None)
    answer = api.post("/api/v1/verifications", {"token": issued["token"]}, format="json")
    assert answer.status_code == 200 and "no-store" in answer["Cache-Control"]
    page = client.get(f"/v/{issued['short_code']}")
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert "no-store" in client.post("/v/", {"code": "ABCD-EFGH"})["Cache-Control"]


def test_a_pending_organisation_verifies_anonymously(api, citizen):
    from conftest import make_organisation

    make_elicence(citizen)
    pending = make_organisation("police", approved=False)
    self_styled = make_person(name="假警官", organisation=pending)
    api.force_authenticate(citizen)
    token = api.get("/api/v1/elicence/qr").json()["token"]
    api.force_authenticate(self_styled)
    answer = api.post("/api/v1/verifications", {"token": token}, format="json").json()
    assert answer["holder"] == {"name_masked": "*三"}
    assert answer["receipt"]["receipt"]["verifier"] is None
    api.force_authenticate(citizen)
    log = api.get("/api/v1/elicence/verifications").json()
    assert log[0]["organisation"] is None and log[0]["organisation_kind"] is None


def test_a_qr_token_shows_no_internal_identifier_nor_unmasked_data(citizen):
    """Anyone can read a signed QR's claims (that is what makes it verifiable offline): they name the
    e-licence by the display's short code and carry only what the display shows, masked."""
    issued = signed(citizen)
    elicence = citizen.elicences.get()
    cose = _cose(issued.token)
    for secret in (elicence.pk.bytes, elicence.pk.hex.encode(), str(elicence.pk).encode(), str(citizen.pk).encode(),
                   citizen.id_number.encode(), citizen.name.encode(), citizen.phone.encode()):  # fmt: skip
        assert secret not in cose
    assert issued.short_code.encode() in cose


def test_the_database_itself_keeps_the_audit_log_and_verifications_append_only():
    """Queryset update()/delete() and raw SQL skip the model's save(): triggers refuse them."""
    from django.db import DatabaseError, connection, transaction

    from portal.accounts.audit import audit_record

    entry = audit_record(actor=None, action="test.action", ip="127.0.0.1")
    check = Verification.objects.create(method="qr", valid=False, reason="bad_token")
    attempts = [
        lambda: AuditEntry.objects.filter(pk=entry.pk).update(action="rewritten"),
        lambda: AuditEntry.objects.filter(pk=entry.pk).delete(),
        lambda: connection.cursor().execute("UPDATE accounts_auditentry SET action = 'x'"),
        lambda: connection.cursor().execute("DELETE FROM accounts_auditentry"),
        lambda: Verification.objects.filter(pk=check.pk).update(valid=True),
        lambda: connection.cursor().execute("DELETE FROM licences_verification"),
    ]
    for attempt in attempts:
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.action"
    assert Verification.objects.get(pk=check.pk).valid is False


# --- the key set and the command-line verifier ---------------------------------------------------
def test_the_key_set_is_public_and_verifies_the_tokens(client, citizen):
    answer = client.get("/.well-known/jwks.json")
    assert answer.status_code == 200 and answer["Access-Control-Allow-Origin"] == "*"
    document = answer.json()
    (key,) = document["keys"]
    assert key["kty"] == "EC" and key["crv"] == "P-256" and key["alg"] == "ES256" and "d" not in key
    keys = signed_qr.keys_from_jwks(document)
    assert signed_qr.read(signed(citizen).token, keys=keys, now=time.time())["name"] == "*三"
    key["kid"] = "AAAAAAAAAAA"  # a kid that is not the key's own is refused, not trusted
    with pytest.raises(ValueError):
        signed_qr.keys_from_jwks(document)


def test_verify_qr_command_answers_from_the_key_set_alone(client, citizen, tmp_path):
    """The command runs with no database (a closed port), its own (different) signing key and no portal:
    it has only the JWK Set on disk, and gives the same answers as the portal."""
    import subprocess
    import sys
    from datetime import timedelta
    from pathlib import Path
    from unittest import mock

    from cryptography.hazmat.primitives.asymmetric import ec

    from licences.services import elicence_qr_issue

    keys_file = tmp_path / "jwks.json"
    keys_file.write_text(client.get("/.well-known/jwks.json").content.decode())
    elicence = make_elicence(citizen)
    fresh = elicence_qr_issue(elicence=elicence).token
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() - timedelta(minutes=5)):
        stale = elicence_qr_issue(elicence=elicence).token
    forged = fresh[:-3] + ("A" if fresh[-3] != "A" else "B") + fresh[-2:]
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    other_keys = tmp_path / "other.json"
    other_keys.write_text(json.dumps(signed_qr.jwks([signed_qr.VerifyKey(signed_qr.key_id(other), other)])))
    root = Path(__file__).resolve().parents[2]
    env = {**__import__("os").environ, "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", "VAR_DIR": str(tmp_path)}

    def run(keys, *tokens_given):
        done = subprocess.run([sys.executable, "manage.py", "verify_qr", "--keys", str(keys), *tokens_given],
                              cwd=root, env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
        return done.returncode, [json.loads(line) for line in done.stdout.splitlines()], done.stderr

    code, results, err = run(keys_file, fresh)
    assert code == 0, err
    assert results[0]["valid"] is True and results[0]["holder"]["name"] == "*三"
    assert results[0]["holder"]["number"].count("*") >= 8  # masked, as on the display
    code, results, _err = run(keys_file, fresh, stale, forged)
    assert code == 1
    assert [(r["valid"], r["reason"]) for r in results] == [(True, None), (False, "expired"), (False, "bad_token")]
    code, results, _err = run(other_keys, fresh)
    assert code == 1 and results == [{"valid": False, "reason": "bad_token"}]
    # The portal gives the same answers.
    api_answers = [verify(__import__("rest_framework.test", fromlist=["APIClient"]).APIClient(), token=t).json()
                   for t in (fresh, stale, forged)]  # fmt: skip
    assert [(a["valid"], a["reason"]) for a in api_answers] == [(True, None), (False, "expired"), (False, "bad_token")]


# --- checks made offline, uploaded later -----------------------------------------------------------
def test_an_offline_check_uploaded_later_reaches_the_holders_log_once(api, citizen, police_member):
    import uuid
    from datetime import timedelta

    issued = signed(citizen)
    checked_at = timezone.now()
    body = {"id": str(uuid.uuid4()), "token": issued.token, "checked_at": checked_at.isoformat(), "purpose": "路检"}
    api.force_authenticate(police_member)
    first = api.post("/api/v1/verifications/offline", body, format="json")
    assert first.status_code == 201 and first.json()["valid"] is True, first.content
    again = api.post("/api/v1/verifications/offline", body, format="json")  # the answer was lost: sent again
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    row = Verification.objects.get(pk=body["id"])
    assert row.method == "offline" and row.organisation == police_member.organisation and row.purpose == "路检"
    assert abs((row.checked_at - checked_at).total_seconds()) < 1
    api.force_authenticate(citizen)
    log = api.get("/api/v1/elicence/verifications").json()
    assert [(entry["method"], entry["result"]) for entry in log] == [("offline", "valid")]
    # A screenshot checked after its minute: recorded as the invalid check it was.
    from unittest import mock

    with mock.patch("django.utils.timezone.now", return_value=checked_at - timedelta(minutes=3)):
        old = signed(citizen).token
    late = {**body, "id": str(uuid.uuid4()), "token": old}
    api.force_authenticate(None)
    answer = api.post("/api/v1/verifications/offline", late, format="json")
    assert answer.status_code == 201 and answer.json()["valid"] is False and answer.json()["reason"] == "expired"


def test_one_code_cannot_fill_its_holders_log_with_offline_uploads(api, citizen, settings):
    """Offline uploads are counted per QR code as well as per address: a captured code uploaded as many
    'checks' from many addresses stops at the code's limit (429, recorded nothing); another code, a
    repeated upload of a recorded check and a forged code are not held up by it."""
    import uuid

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "verify:offline-code": (2, 24 * 60 * 60)}
    captured, other = signed(citizen).token, signed(citizen).token

    def upload(token, check_id=None, ip="198.51.100.1"):
        body = {"id": check_id or str(uuid.uuid4()), "token": token, "checked_at": timezone.now().isoformat()}
        return api.post("/api/v1/verifications/offline", body, format="json", REMOTE_ADDR=ip)

    first_id = str(uuid.uuid4())
    answers = [upload(captured, first_id, "198.51.100.1"), upload(captured, ip="198.51.100.2")]
    assert [a.status_code for a in answers] == [201, 201]
    before = Verification.objects.count()
    refused = upload(captured, ip="203.0.113.9")  # a third address: the code's own limit holds
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited", refused.content
    assert Verification.objects.count() == before
    assert upload(captured, first_id).status_code == 200  # the same check again: still answered, not counted
    assert upload(other).status_code == 201
    forged = captured[:-3] + ("A" if captured[-3] != "A" else "B") + captured[-2:]
    assert upload(forged).status_code == 400


@pytest.mark.parametrize("case", ["forged", "future", "too_old", "before_issue", "not_a_uuid"])
def test_an_unbelievable_offline_upload_is_refused_and_records_nothing(api, citizen, case):
    import uuid
    from datetime import timedelta

    issued = signed(citizen)
    body = {"id": str(uuid.uuid4()), "token": issued.token, "checked_at": timezone.now().isoformat()}
    if case == "forged":
        body["token"] = issued.token[:-3] + ("A" if issued.token[-3] != "A" else "B") + issued.token[-2:]
    elif case == "future":
        body["checked_at"] = (timezone.now() + timedelta(minutes=5)).isoformat()
    elif case == "too_old":
        body["checked_at"] = (timezone.now() - timedelta(days=8)).isoformat()
    elif case == "before_issue":
        body["checked_at"] = (timezone.now() - timedelta(minutes=10)).isoformat()
    else:
        body["id"] = "12"
    before = Verification.objects.count()
    answer = api.post("/api/v1/verifications/offline", body, format="json")
    assert answer.status_code == 400 and answer.json()["code"] in ("bad_token", "invalid"), answer.content
    assert Verification.objects.count() == before


def test_the_signed_token_is_cose_as_pycose_reads_and_writes_it(citizen):
    """Our COSE_Sign1 (built on OpenSSL for speed) checked against an independent COSE library."""
    import cbor2
    from pycose.algorithms import Es256
    from pycose.headers import KID, Algorithm
    from pycose.keys import EC2Key
    from pycose.keys.curves import P256
    from pycose.messages import Sign1Message

    key = signed_qr.verify_keys()[0]
    x, y = key.point
    message = Sign1Message.decode(_cose(signed(citizen).token))  # ours, read by pycose
    message.key = EC2Key(crv=P256, x=x, y=y)
    assert message.verify_signature() and message.phdr[KID] == key.kid
    assert cbor2.loads(message.payload)[signed_qr.CLAIM_ELICENCE]["name"] == "*三"
    # A token pycose signs with the portal's key reads here as genuine.
    private = signed_qr.signing_key().private_numbers().private_value.to_bytes(32, "big")
    claims = {1: "CN", 6: int(time.time()), 4: int(time.time()) + 60, signed_qr.CLAIM_ELICENCE: {"ref": "ABCDEFGH"}}
    theirs = Sign1Message(phdr={Algorithm: Es256, KID: key.kid}, payload=cbor2.dumps(claims))
    theirs.key = EC2Key(crv=P256, d=private, x=x, y=y)
    assert signed_qr.read(_retokenise(theirs.encode()), keys=[key], now=time.time())["ref"] == "ABCDEFGH"


def test_the_qr_answer_built_directly_is_what_its_declared_fields_give(citizen):
    # QROut.to_representation builds the answer without DRF's field machinery (every open display asks
    # each minute): it must give exactly what the declared fields (the schema) give.
    from django.test import RequestFactory
    from rest_framework import serializers

    from licences.serializers import QROut
    from licences.services import elicence_qr_issue

    elicence = make_elicence(citizen)
    issued = elicence_qr_issue(elicence=elicence)
    for svg in (True, False):
        context = {"request": RequestFactory().get("/api/v1/elicence/qr"), "elicence": elicence, "svg": svg}
        direct = QROut(issued, context=context).data
        declared = serializers.Serializer.to_representation(QROut(issued, context=context), issued)
        assert list(direct.items()) == list(declared.items())
        assert bool(direct["svg"]) is svg and direct["lifetime_seconds"] > 0


def _issue_with_a_taken_code(monkeypatch, elicence, around):
    """Issue a QR whose first drawn short code is already taken (inside `around`): the code is drawn
    again, and the token names the fresh one."""
    from licences.models import QRCode
    from licences.services import elicence_qr_issue

    taken = elicence_qr_issue(elicence=elicence).short_code
    fresh = tokens.random_code(tokens.SHORT_CODE_LENGTH)
    drawn = iter([taken, fresh])
    monkeypatch.setattr(tokens, "random_code", lambda length: next(drawn))
    with around:
        issued = elicence_qr_issue(elicence=elicence)
    assert issued.short_code == fresh
    assert signed_qr.read(issued.token, keys=signed_qr.verify_keys(), now=time.time())["ref"] == fresh
    assert sorted(QRCode.objects.filter(elicence=elicence).values_list("code", flat=True)) == sorted([taken, fresh])


def test_a_taken_short_code_is_drawn_again_inside_a_transaction(citizen, monkeypatch):
    # Here the caller holds a transaction open (as this test does): the failed INSERT must not spoil it.
    from contextlib import nullcontext

    from django.db import connection

    assert connection.in_atomic_block
    _issue_with_a_taken_code(monkeypatch, make_elicence(citizen), nullcontext())
    assert ELicence.objects.filter(holder=citizen).count() == 1  # the transaction still answers


@pytest.mark.django_db(transaction=True)
def test_a_taken_short_code_is_drawn_again_in_autocommit_without_opening_a_transaction(monkeypatch):
    # A request runs in autocommit: the QR's INSERT goes alone (BEGIN and COMMIT would be two more round
    # trips); a failed one is rolled back by itself, and the next one is sent.
    from contextlib import contextmanager

    from django.db import connection

    elicence = make_elicence(make_person(name="张三"))
    switched = []

    @contextmanager
    def watching_autocommit():
        real = connection.set_autocommit
        with monkeypatch.context() as watch:
            watch.setattr(connection, "set_autocommit", lambda *a, **kw: (switched.append(a), real(*a, **kw))[1])
            yield

    assert not connection.in_atomic_block
    _issue_with_a_taken_code(monkeypatch, elicence, watching_autocommit())
    assert switched == [] and connection.get_autocommit()


def test_no_token_is_signed_when_no_free_short_code_is_drawn(citizen, monkeypatch):
    from django.db import IntegrityError

    from licences.models import QRCode
    from licences.services import elicence_qr_issue

    elicence = make_elicence(citizen)
    taken = elicence_qr_issue(elicence=elicence).short_code
    monkeypatch.setattr(tokens, "random_code", lambda length: taken)
    with pytest.raises(IntegrityError):
        elicence_qr_issue(elicence=elicence)
    assert list(QRCode.objects.filter(elicence=elicence).values_list("code", flat=True)) == [taken]


def _upload_raced_by_a_twin(monkeypatch, holder, verifier):
    """Upload an offline check while the same check's other upload inserts its row first (between the
    service's look for it and its own INSERT): the upload answers with that row, not as new."""
    import uuid

    from licences import selectors
    from licences.services import verification_record_offline

    issued = signed(holder)
    check_id, checked_at = uuid.uuid4(), timezone.now()
    real = selectors.qr_code_by_code

    def found_while_the_twin_lands(code):
        found = real(code)
        Verification.objects.create(
            id=check_id, elicence=found.elicence, method="offline", valid=True, checked_at=checked_at
        )
        return found

    monkeypatch.setattr(selectors, "qr_code_by_code", found_while_the_twin_lands)
    row, created = verification_record_offline(
        verifier=verifier, check_id=check_id, token=issued.token, checked_at=checked_at
    )
    assert created is False and row.pk == check_id
    assert Verification.objects.filter(pk=check_id).count() == 1


def test_an_offline_check_uploaded_twice_at_once_inside_a_transaction(citizen, police_member, monkeypatch):
    from django.db import connection

    assert connection.in_atomic_block  # the failed INSERT must not spoil the caller's transaction
    _upload_raced_by_a_twin(monkeypatch, citizen, police_member)


@pytest.mark.django_db(transaction=True)
def test_an_offline_check_uploaded_twice_at_once_in_autocommit(monkeypatch):
    from conftest import make_organisation
    from portal.accounts.models import OrganisationKind

    police = make_person(name="李警官", organisation=make_organisation(OrganisationKind.POLICE))
    _upload_raced_by_a_twin(monkeypatch, make_person(name="张三"), police)
