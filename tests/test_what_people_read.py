"""What people read, page by page: labels instead of stored codes, Beijing time, their language, and
no dead ends (issue 10). The crawler (test_pages.py) looks at every page; these pin each fix."""

import re
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.test import Client
from django.utils import translation

from conftest import (
    PASSWORD,
    make_elicence,
    make_flagged_application,
    make_person,
    new_id_number,
    new_phone,
)
from portal.accounts import sms

pytestmark = pytest.mark.django_db


def _page(client, path, language="zh-hans", **kwargs) -> str:
    client.cookies["django_language"] = language
    response = client.get(path, **kwargs)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()


def visible(html: str) -> str:
    """The text of a page without its tags and attributes (what a person can read)."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", "", html, flags=re.S))


def test_the_timeline_is_written_in_the_readers_language_with_labels_and_beijing_time(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    person = make_person(name="李四")
    application = make_flagged_application(person)
    assert application.status == "photo_review"
    client = Client()
    client.force_login(person)
    zh = _page(client, f"/applications/{application.pk}/")
    en = _page(client, f"/applications/{application.pk}/", "en")
    for html in (zh, en):
        assert "background_not_white" not in visible(html) and "photo_review" not in visible(html)
        assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}|\d{4}-\d{2}-\d{4}:", visible(html))
    assert "审核人员将查看您的照片：背景不是白色" in zh
    assert "A reviewer will look at your photo: Background not white" in en
    # While a reviewer has it: no upload form in the open, an explanation instead, the retake folded.
    assert 'id="with-reviewer"' in zh and '<details class="retake"' in zh
    entry = application.timeline.order_by("at").last()
    shown = entry.at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    assert shown in zh


def test_the_sms_about_a_flagged_photo_names_the_problems_in_words(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    person = make_person(name="李四")
    with django_capture_on_commit_callbacks(execute=True):
        make_flagged_application(person)
    texts = [m["text"] for m in sms.outbox if m["to"] == person.phone]
    assert any("背景不是白色" in t for t in texts), texts
    assert not any("background_not_white" in t for t in texts)


def test_after_approval_the_old_problems_are_not_listed(settings, tmp_path, reviewer):
    from reviews import services

    settings.MEDIA_ROOT = tmp_path
    person = make_person(name="李四")
    application = make_flagged_application(person)
    services.application_photo_decide(reviewer=reviewer, application_id=application.pk, decision="approve")
    client = Client()
    client.force_login(person)
    html = _page(client, f"/applications/{application.pk}/")
    assert 'id="problems"' not in html and 'id="photo-form"' not in html


def test_the_review_case_shows_labels_and_measurements_in_words(settings, tmp_path, reviewer):
    settings.MEDIA_ROOT = tmp_path
    application = make_flagged_application(make_person(name="李四"))
    client = Client()
    client.force_login(reviewer)
    zh = _page(client, f"/staff/review/{application.pk}/")
    en = _page(client, f"/staff/review/{application.pk}/", "en")
    assert "背景不是白色" in zh and re.search(r"背景亮度 [\d.]+，至少 89", zh)
    assert "Background not white" in en and re.search(r"background lightness [\d.]+, at least 89", en)
    assert "{'" not in zh and "lightness_min" not in visible(zh) and "核验码" not in zh
    queue = _page(client, "/staff/review/")
    assert ">背景不是白色<" in queue and ">background_not_white<" not in queue


@pytest.mark.parametrize(
    "code, zh_label, en_label, zh_measure, en_measure",
    [
        ("head_covering", "戴帽或头饰", "Hat or headwear", "头顶细节纹理", "fine detail on top of the head"),
        ("hands_visible", "画面中有手", "Hand in the picture", "脸旁肤色面积", "skin beside the face"),
        ("light_clothing", "浅色衣服", "Light clothes", "衣服亮度", "clothes lightness"),
    ],
)
def test_the_review_case_shows_the_dress_and_pose_codes_as_hints(
    settings, tmp_path, reviewer, code, zh_label, en_label, zh_measure, en_measure
):
    from tests import photoset

    settings.MEDIA_ROOT = tmp_path
    application = make_flagged_application(make_person(name="李四"), photo=photoset.GENERATORS[code](4).data)
    client = Client()
    client.force_login(reviewer)
    zh = _page(client, f"/staff/review/{application.pk}/")
    en = _page(client, f"/staff/review/{application.pk}/", "en")
    assert zh_label in zh and re.search(zh_measure + r"[^<]* [\d.]+，(至少|至多) [\d.]+", zh), visible(zh)
    assert en_label in en and re.search(en_measure + r"[^<]* [\d.]+, at (least|most) [\d.]+", en), visible(en)
    assert "仅供参考，并非定论" in zh and "a hint, not a certainty" in en
    assert code not in visible(zh) and "crown_" not in visible(en) and "None" not in visible(en)


def test_verification_log_and_verify_page_read_as_words_in_beijing_time(police_member):
    from licences import services

    holder = make_person(name="张三")
    elicence = make_elicence(holder)
    at = datetime(2026, 1, 5, 17, 30, tzinfo=UTC)  # 2026-01-06 01:30 in Beijing
    with mock.patch("django.utils.timezone.now", return_value=at), mock.patch("time.time", return_value=at.timestamp()):
        token = services.elicence_qr_issue(elicence=elicence).token
        services.verification_record(verifier=police_member, token=token, purpose="路面检查")
    client = Client()
    client.force_login(holder)
    log = _page(client, "/licence/e/verifications/")
    assert "2026-01-06 01:30" in log and "二维码" in log and "有效" in log
    assert ">qr<" not in log and ">valid<" not in log
    # The police see one name row, the status and sex as words, the time in Beijing time.
    client.force_login(police_member)
    page = _page(client, f"/v/{services.elicence_qr_issue(elicence=elicence).short_code}")
    holder_rows = re.search(r'<dl class="facts" id="holder">(.*?)</dl>', page, re.S).group(1)
    assert holder_rows.count("<dt>姓名</dt>") == 1
    assert "<dd>正常</dd>" in holder_rows and "<dd>男</dd>" in holder_rows
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}", visible(page))


def test_a_verifier_states_a_purpose_once_and_it_is_kept_for_scanned_codes(police_member):
    from licences import services
    from licences.models import Verification

    elicence = make_elicence(make_person(name="张三"))
    client = Client()
    client.force_login(police_member)
    short = Verification.objects.count()
    client.post("/v/", {"code": services.elicence_qr_issue(elicence=elicence).token, "purpose": "路面检查"})
    client.get(f"/v/{services.elicence_qr_issue(elicence=elicence).short_code}")  # a scanned QR: no form
    purposes = list(Verification.objects.order_by("checked_at").values_list("purpose", flat=True))[short:]
    assert purposes == ["路面检查", "路面检查"]


def test_an_empty_code_is_a_form_error_not_a_receipt():
    from licences.models import Verification

    response = Client().post("/v/", {"code": "  "})
    assert response.status_code == 400
    assert "请输入持证人二维码下方的核验码" in response.content.decode()
    assert "receipt-link" not in response.content.decode() and Verification.objects.count() == 0


def test_registration_checks_the_id_number_before_any_code_is_sent(django_capture_on_commit_callbacks):
    client = Client()
    good = new_id_number()
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    form = {"name": "王芳", "id_number": wrong, "phone": new_phone(), "action": "send_code"}
    page = client.post("/accounts/register/", form).content.decode()
    assert "校验位" in page and sms.outbox == []
    short = client.post("/accounts/register/", {**form, "id_number": good[:17]}).content.decode()
    assert "18 位" in short or "18个字符" in short or "18 个字符" in short, re.findall(
        r'class="error"[^>]*>([^<]*)', short
    )
    assert sms.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post("/accounts/register/", {**form, "id_number": good}).content.decode()
    assert len(sms.outbox) == 1 and 'class="current" aria-current="step">短信验证码' in sent


def test_password_rules_speak_chinese_on_chinese_pages():
    from portal.accounts.services.common import new_password_validate
    from portal.errors import DomainError

    with translation.override("zh-hans"), pytest.raises(DomainError) as refused:
        new_password_validate("ab1", make_person())
    assert "密码太短" in str(refused.value.detail) and "too short" not in str(refused.value.detail)


def test_a_rate_limit_says_how_long_to_wait_and_counts_down(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login:ip": (1, 15 * 60)}
    client = Client()
    client.post("/accounts/login/", {"username": "13900000000", "password": "x"})
    page = client.post("/accounts/login/", {"username": "13900000000", "password": "x"}).content.decode()
    assert re.search(r"请在 \d+ 分钟后再试", page)
    assert re.search(r'data-countdown="\d+"', page)
    api = client.post(
        "/api/v1/auth/token", {"username": "13900000000", "password": "x"}, content_type="application/json"
    )
    assert api.status_code == 429 and int(api["Retry-After"]) > 0


def test_dead_ends_lead_somewhere(citizen):
    client = Client()
    # Registering an organisation without an account says why, with the two ways on.
    page = _page(client, "/accounts/organisation/new/")
    assert 'id="needs-account"' in page and "/accounts/register/" in page
    # A holder of a valid e-licence is not shown the application form again.
    make_elicence(citizen)
    client.force_login(citizen)
    apply = _page(client, "/apply/")
    assert 'id="already-holder"' in apply and 'id="validity_start"' not in apply
    # After real-name verification the account page leads on to the licence.
    assert 'id="next-licence"' in _page(client, "/accounts/status/")


def test_a_red_qr_says_why(citizen):
    make_elicence(citizen, points=12)
    client = Client()
    client.force_login(citizen)
    page = _page(client, "/licence/e/")
    assert 'id="qr-red-why"' in page and "记满 12 分" in page


def test_the_reset_code_step_does_not_ask_for_the_account_again(citizen, django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password-reset/", {"username": citizen.phone})
    page = _page(client, "/accounts/password-reset/confirm/")
    assert 'name="username"' not in page and citizen.phone[-4:] in page and citizen.phone not in page
    code = re.search(r"\d{6}", sms.outbox[-1]["text"]).group(0)
    done = client.post(
        "/accounts/password-reset/confirm/",
        {"code": code, "new_password": "a-new-pass-12123"},
    )
    assert done.status_code == 302
    citizen.refresh_from_db()
    assert citizen.check_password("a-new-pass-12123") and not citizen.check_password(PASSWORD)


def test_the_catalogue_has_no_empty_or_fuzzy_entries_and_is_compiled():
    """`make messages` leaves nothing untranslated or guessed, and the compiled catalogue is current."""
    import gettext
    import json
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES"
    text = (folder / "django.po").read_text()
    assert "#, fuzzy" not in text.split("\n\n", 1)[1]  # the header block is always marked so
    entries = {}
    for block in text.split("\n\n")[1:]:
        parts, key = {}, None
        for line in block.splitlines():
            found = re.match(r'^(msgid|msgstr(?:\[0\])?|msgctxt|msgid_plural) (".*")$', line)
            if found:
                key = found.group(1)
                parts[key] = json.loads(found.group(2))
            elif line.startswith('"') and key:
                parts[key] += json.loads(line)
        if parts.get("msgid"):
            entries[parts["msgid"]] = parts.get("msgstr", parts.get("msgstr[0]", ""))
    assert len(entries) > 500
    assert [msgid for msgid, msgstr in entries.items() if not msgstr] == []
    with (folder / "django.mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)._catalog
    compiled_ids = {(k[0] if isinstance(k, tuple) else k).split("\x04")[-1] for k in compiled}
    assert set(entries) - compiled_ids == set()


def test_the_receipt_pdf_names_its_fields_and_gives_beijing_time(police_member):
    from licences import services
    from licences.pdf import receipt_lines, receipt_pdf

    elicence = make_elicence(make_person(name="张三"))
    at = datetime(2026, 1, 5, 17, 30, tzinfo=UTC)
    with mock.patch("django.utils.timezone.now", return_value=at), mock.patch("time.time", return_value=at.timestamp()):
        token = services.elicence_qr_issue(elicence=elicence).token
        outcome = services.verification_record(verifier=police_member, token=token, purpose="路面检查")
    lines = receipt_lines(outcome.receipt["receipt"])
    text = "\n".join(lines)
    assert "2026-01-06 01:30 (北京时间 Beijing time)" in text
    assert "姓名 Name: 张三" in text and "性别 Sex: 男" in text and "二维码 QR code" in text
    assert "name_masked" not in text and "number_masked" not in text and not re.search(r"\dT\d", text)
    assert receipt_pdf(signed=outcome.receipt).startswith(b"%PDF")


def test_roles_are_named_in_words_where_staff_see_an_account(supervisor, clerk):
    client = Client()
    client.force_login(supervisor)
    page = _page(client, f"/admin/accounts/user/{clerk.pk}/change/")
    # A supervisor may look at a clerk's account, not change it: the roles as a line, by their names.
    roles = re.search(r'field-roles_shown.*?class="readonly">([^<]*)<', page, re.S).group(1)
    assert roles == "窗口业务员"
