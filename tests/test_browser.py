"""Browser tests in Debian's chromium (Playwright), at a 360 px phone viewport.

Registration in Chinese and in English, log-in, the language switch, and a layout check that
nothing overflows the phone's width.
"""

import os
import re

import pytest

from conftest import PASSWORD, make_person, new_id_number, new_phone
from portal.accounts import sms
from portal.accounts.models import User

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 360, "height": 740}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still sync.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield from _launch()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _launch():
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-dev-shm-usage",
                # A fake camera (a test pattern) for the getUserMedia test; no effect elsewhere.
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()
    assert errors == [], errors  # no script errors, no CSP violations


def wait_until(page, condition: str, timeout: float = 10.0) -> None:
    """Poll a JS condition. Playwright's wait_for_function needs eval, which the portal's CSP forbids."""
    import time

    deadline = time.monotonic() + timeout
    while not page.evaluate(f"() => Boolean({condition})"):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {condition}")
        page.wait_for_timeout(50)


def assert_fits_phone(page):
    """Nothing overflows sideways: at phone size (360 px) or whatever viewport the page has."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"page is {width}px wide in a {viewport}px viewport"


def register_through_the_page(page, live_server, *, name, id_number=None):
    phone, id_number = new_phone(), id_number or new_id_number()
    page.fill("#id_name", name)
    page.fill("#id_id_number", id_number)
    page.fill("#id_phone", phone)
    page.click("#send-code")
    page.wait_for_selector(".msg")
    code = re.search(r"\d{6}", [m for m in sms.outbox if m["to"] == phone][-1]["text"]).group(0)
    page.fill("#id_phone_code", code)
    page.fill("#id_password", PASSWORD)
    page.click("#register")
    page.wait_for_url(f"{live_server.url}/accounts/face/")
    return phone, id_number


def test_register_in_chinese_then_log_in(page, live_server):
    page.goto(f"{live_server.url}/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    # Each language is offered in its own name, whatever the page's language.
    assert page.locator("button[name=language][value=en]").inner_text() == "English"
    assert_fits_phone(page)
    page.click("text=注册 >> nth=0")
    page.wait_for_url(f"{live_server.url}/accounts/register/")
    assert_fits_phone(page)
    phone, _id_number = register_through_the_page(page, live_server, name="王芳")
    assert page.locator("h1").inner_text() == "人脸核验"
    assert_fits_phone(page)
    user = User.objects.get(name="王芳")
    assert user.real_name_status == "face_required"
    # Log out and back in with the phone number.
    page.click("text=退出")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", phone)
    page.fill("#id_password", PASSWORD)
    page.click("#login")
    page.wait_for_url(f"{live_server.url}/accounts/status/")
    assert page.locator("#me-name").inner_text() == "王芳"
    assert "待人脸核验" in page.locator("#real-name-status").inner_text()
    assert_fits_phone(page)


def test_register_in_english(page, live_server):
    page.goto(f"{live_server.url}/accounts/register/")
    page.click("button[name=language][value=en]")
    wait_until(page, "document.documentElement.lang === 'en'")
    assert page.url == f"{live_server.url}/accounts/register/"
    assert page.locator("h1").inner_text() == "Register"
    register_through_the_page(page, live_server, name="Li Lei")
    assert page.locator("h1").inner_text() == "Face verification"
    assert "Your account was created" in page.locator(".messages").inner_text()


def test_errors_shown_in_the_users_language(page, live_server):
    page.goto(f"{live_server.url}/accounts/register/")
    good = new_id_number()
    page.fill("#id_name", "王芳")
    page.fill("#id_id_number", good[:-1] + ("0" if good[-1] != "0" else "1"))
    page.fill("#id_phone", new_phone())
    page.click("#register")
    page.wait_for_selector("#id_id_number-error")
    assert "校验位" in page.locator("#id_id_number-error").inner_text()
    page.click("button[name=language][value=en]")
    wait_until(page, "document.documentElement.lang === 'en'")
    page.fill("#id_name", "Wang Fang")
    page.fill("#id_id_number", good[:-1] + ("0" if good[-1] != "0" else "1"))
    page.fill("#id_phone", new_phone())
    page.click("#register")
    page.wait_for_selector("#id_id_number-error")
    assert "check digit" in page.locator("#id_id_number-error").inner_text()
    assert User.objects.count() == 0


def test_language_switch_on_every_page(page, live_server):
    person = make_person(name="赵六")
    paths = ["/", "/accounts/login/", "/accounts/register/", "/accounts/password-reset/", "/accounts/activate/"]
    for path in paths:
        page.goto(f"{live_server.url}{path}")
        page.click("button[name=language][value=en]")
        wait_until(page, "document.documentElement.lang === 'en'")
        assert page.url == f"{live_server.url}{path}"
        page.click("button[name=language][value=zh-hans]")
        wait_until(page, "document.documentElement.lang === 'zh-hans'")
        assert_fits_phone(page)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", person.id_number)
    page.fill("#id_password", PASSWORD)
    page.click("#login")
    page.wait_for_url(f"{live_server.url}/accounts/status/")
    page.click("button[name=language][value=en]")
    wait_until(page, "document.documentElement.lang === 'en'")
    assert "My account" in page.locator("h1").inner_text()
    assert "Verified" in page.locator("#real-name-status").inner_text()


def test_screenshots_for_the_readme(browser, live_server, tmp_path):
    """Renders the home page at phone and desktop size; the images are checked for CJK glyphs by eye."""
    out = os.environ.get("SCREENSHOT_DIR")
    for label, viewport in (("phone", PHONE), ("desktop", {"width": 1280, "height": 800})):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        page.goto(f"{live_server.url}/")
        target = (out and os.path.join(out, f"home-{label}.png")) or str(tmp_path / f"home-{label}.png")
        page.screenshot(path=target, full_page=label == "phone")
        assert os.path.getsize(target) > 10_000
        context.close()


def _log_in(page, live_server, person):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", person.phone)
    page.fill("#id_password", PASSWORD)
    page.click("#login")
    page.wait_for_url(f"{live_server.url}/accounts/**")


def test_photo_precheck_warns_before_upload(page, live_server, tmp_path):
    import io

    from PIL import Image

    from tests import photoset

    person = make_person(verified=False)
    _log_in(page, live_server, person)
    page.goto(f"{live_server.url}/accounts/face/")
    dark = tmp_path / "dark.jpg"
    dark.write_bytes(photoset.too_dark(2).data)
    page.set_input_files("#id_selfie", str(dark))
    page.wait_for_selector("#precheck[data-state=done]")
    assert page.locator("#precheck .precheck-warning").first.get_attribute("data-code") == "too_dark"
    assert "太暗" in page.locator("#precheck").inner_text()
    assert_fits_phone(page)
    good = tmp_path / "good.jpg"
    good.write_bytes(photoset.good(2).data)
    page.set_input_files("#id_selfie", str(good))
    wait_until(
        page,
        "document.querySelector('#precheck').dataset.state === 'done' && document.querySelector('#precheck').hidden",
    )
    assert page.locator("#precheck .precheck-warning").count() == 0
    broken = tmp_path / "broken.jpg"
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="PNG")
    broken.write_bytes(b"not an image at all")
    page.set_input_files("#id_selfie", str(broken))
    page.wait_for_selector("#precheck .precheck-warning[data-code=unreadable]")


def test_photo_precheck_warns_about_light_clothes(page, live_server):
    """The rules' dark-clothes line, checked in the browser on the generated photos: light clothes
    warn, a dark jacket (with or without a white shirt at the neck) does not."""
    import base64

    from tests import photoset

    page.goto(f"{live_server.url}/accounts/login/")
    page.add_script_tag(url=f"{live_server.url}/static/js/photo-precheck.js")
    judge = """async (b64) => {
      const img = new Image();
      img.src = "data:image/jpeg;base64," + b64;
      await img.decode();
      const w = 160, h = Math.round(160 * img.naturalHeight / img.naturalWidth);
      const canvas = document.createElement("canvas");
      canvas.width = w; canvas.height = h;
      const ctx = canvas.getContext("2d");
      ctx.drawImage(img, 0, 0, w, h);
      return window.photoPrecheck.problems(
        window.photoPrecheck.analyse(ctx.getImageData(0, 0, w, h).data, w, h), ["light_clothing"]);
    }"""
    for seed in (1, 2, 5):
        light = base64.b64encode(photoset.light_clothing(seed).data).decode()
        assert page.evaluate(judge, light) == ["light_clothing"], seed
        dark = base64.b64encode(photoset.good(seed).data).decode()
        assert page.evaluate(judge, dark) == [], seed


def test_photo_precheck_background_rule(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    page.add_script_tag(url=f"{live_server.url}/static/js/photo-precheck.js")
    codes = page.evaluate(
        """() => {
          const make = (border, centre) => {
            const w = 60, h = 80, px = new Uint8ClampedArray(w * h * 4);
            for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
              const inner = x > 10 && x < 50 && y > 8;
              const [r, g, b] = inner ? centre : border;
              const i = (y * w + x) * 4; px[i] = r; px[i + 1] = g; px[i + 2] = b; px[i + 3] = 255;
            }
            return window.photoPrecheck.problems(
              window.photoPrecheck.analyse(px, w, h), ["too_dark", "background_not_white"]);
          };
          return {
            white: make([250, 250, 250], [180, 150, 130]),
            blue: make([67, 142, 219], [180, 150, 130]),
            dark: make([40, 40, 40], [30, 25, 20]),
          };
        }"""
    )
    assert codes == {"white": [], "blue": ["background_not_white"], "dark": ["too_dark", "background_not_white"]}


def test_elicence_qr_decodes_to_a_url_that_verifies_then_expires(page, live_server, tmp_path, monkeypatch):
    """The e-licence at phone size: decode the QR on screen, verify it, then again after its lifetime."""
    import time
    from datetime import UTC, datetime
    from urllib.parse import unquote

    import zxingcpp
    from django.test import Client
    from django.utils import timezone
    from PIL import Image

    from conftest import make_elicence
    from licences import tokens

    person = make_person(name="张三")
    make_elicence(person)
    _log_in(page, live_server, person)
    page.goto(f"{live_server.url}/licence/e/")
    page.wait_for_selector("#qr[src^='data:']")
    assert_fits_phone(page)
    clock = page.locator("#server-time").inner_text()
    wait_until(page, f"document.getElementById('server-time').textContent !== '{clock}'", timeout=5)  # it ticks
    assert person.name in page.locator("#watermark").inner_text()
    shot = tmp_path / "qr.png"
    decoded = []
    for _attempt in range(10):  # the data-URI image decodes asynchronously after src is set
        if page.evaluate(
            "() => document.getElementById('qr').complete && document.getElementById('qr').naturalWidth > 0"
        ):
            page.locator("#qr").screenshot(path=str(shot))
            decoded = zxingcpp.read_barcodes(Image.open(shot))
            if decoded:
                break
        page.wait_for_timeout(200)
    assert decoded, "no QR code found in the screenshot"
    url = decoded[0].text
    # The verifier page, with the signed token in the fragment (docs/offline.md).
    assert url.startswith(f"{live_server.url}/v/o#EL1:")
    token = unquote(url.split("#", 1)[1])
    checker = Client()
    answer = checker.post("/api/v1/verifications", {"token": token}, content_type="application/json").json()
    assert answer["valid"] is True
    later = time.time() + tokens.QR_TOKEN_TTL + tokens.CLOCK_SKEW + 1
    monkeypatch.setattr(timezone, "now", lambda: datetime.fromtimestamp(later, tz=UTC))
    answer = checker.post("/api/v1/verifications", {"token": token}, content_type="application/json").json()
    assert answer["valid"] is False and answer["reason"] == "expired"


def test_elicence_screenshot_for_the_docs(browser, live_server, tmp_path):
    from conftest import make_elicence

    out = os.environ.get("SCREENSHOT_DIR")
    person = make_person(name="张三")
    make_elicence(person)
    context = browser.new_context(viewport=PHONE, device_scale_factor=2)
    page = context.new_page()
    _log_in(page, live_server, person)
    page.goto(f"{live_server.url}/licence/e/")
    page.wait_for_selector("#qr[src^='data:']")
    target = os.path.join(out, "elicence-phone.png") if out else str(tmp_path / "elicence.png")
    page.screenshot(path=target, full_page=True)
    assert os.path.getsize(target) > 10_000
    context.close()


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 900}], ids=["phone", "desktop"])
def test_citizen_journey_register_apply_photo_approved_by_beat_and_worker(
    browser, live_server, tmp_path, settings, viewport
):
    """R1–R5 end to end in zh-hans: the approval comes from a real beat process and a real worker."""
    from datetime import timedelta

    from django.utils import timezone
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from licences.services import licence_upsert
    from reviews.models import Application
    from tests import photoset
    from tests.workers import celery_beat, celery_workers, wait_for

    page = browser.new_context(viewport=viewport).new_page()

    settings.FACE_VERIFIER = "local"
    settings.MEDIA_ROOT = tmp_path / "media"
    id_number = new_id_number()
    from conftest import LICENCE_DATA

    licence_upsert(actor="test", number=id_number, data={**LICENCE_DATA, "name": "王芳"})  # no portrait on record
    from portal.accounts.services import identity_photo_set

    identity_photo_set(actor="test", id_number=id_number, photo=photoset.good(9).data)  # the face step's reference
    selfie, photo = tmp_path / "selfie.jpg", tmp_path / "photo.jpg"
    selfie.write_bytes(photoset.good(4).data)
    photo.write_bytes(photoset.good(2).data)

    # Register (A1) and verify the face with a real selfie.
    page.goto(f"{live_server.url}/accounts/register/")
    register_through_the_page(page, live_server, name="王芳", id_number=id_number)
    page.set_input_files("#id_selfie", str(selfie))
    page.click("#verify")
    page.wait_for_url(f"{live_server.url}/accounts/status/")
    assert "已实名认证" in page.locator("#real-name-status").inner_text()

    # Apply (R1): no portrait on record, so a photo is asked for (R4).
    page.goto(f"{live_server.url}/licence/")
    page.click("#apply-link")
    page.fill("#validity_start", LICENCE_DATA["valid_from"])
    page.set_input_files("#selfie", str(selfie))
    page.click("#apply")
    page.wait_for_selector("#application-status[data-status=photo_required]")
    assert page.locator(".rules img").count() == 1 and "白色背景" in page.locator(".rules").inner_text()
    assert_fits_phone(page)
    page.set_input_files("#photo", str(photo))
    page.wait_for_selector("#precheck[data-state=done]", state="attached")
    assert page.locator("#precheck .precheck-warning").count() == 0  # a good photo: no warning
    page.click("#upload-photo")
    page.wait_for_selector("#application-status[data-status=submitted]")  # the checker passed it (R5)
    assert page.locator("#due-at").count() == 1

    # The wait is over (as `approve_due --as-of` would judge it). The periodic task (every minute in
    # production, every 2 s here) is sent by a real beat process and run by a real worker (R3).
    Application.objects.update(due_at=timezone.now() - timedelta(minutes=1))
    every_2s, _created = IntervalSchedule.objects.get_or_create(every=2, period="seconds")
    PeriodicTask.objects.update_or_create(
        name="reviews: approve due applications",
        defaults={"task": "reviews.tasks.approve_due", "interval": every_2s, "enabled": True},
    )
    env = {"MEDIA_ROOT": str(settings.MEDIA_ROOT), "SMS_BACKEND": "locmem"}
    with celery_workers(1, tmp_path, **env), celery_beat(tmp_path, **env):
        wait_for(lambda: Application.objects.filter(status="approved").exists(), timeout=120)
    page.reload()
    page.wait_for_selector("#application-status[data-status=approved]")
    assert "已通过" in page.locator("#timeline").inner_text()  # the status in words, not its stored value
    page.click("#open-elicence")
    page.wait_for_selector("#qr[src^='data:']")
    assert page.locator(".portrait").get_attribute("src")  # the approved photo is now on record
    assert_fits_phone(page)
    page.context.close()


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 900}], ids=["phone", "desktop"])
def test_reviewer_journey(browser, live_server, tmp_path, settings, viewport):
    from conftest import current_code, make_flagged_application, make_staff, staff_authenticator

    settings.FACE_VERIFIER = "local"
    settings.MEDIA_ROOT = tmp_path / "media"
    application = make_flagged_application(make_person(name="李四"))
    reviewer = make_staff("reviewer")
    authenticator = staff_authenticator(reviewer)
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", reviewer.username)
    page.fill("#id_password", PASSWORD)
    page.click("#login")
    page.wait_for_url(f"{live_server.url}/accounts/login/second-factor/**")  # staff: the second factor
    page.fill("#id_otp_token", current_code(authenticator))
    page.click("#verify-otp")
    page.wait_for_url(f"{live_server.url}/admin/")
    page.goto(f"{live_server.url}/staff/review/?problem=background_not_white")
    page.click("#queue a")
    page.wait_for_selector("#case-photo rect")  # the face box over the photo
    assert page.locator("#problems > li[data-code=background_not_white]").count() == 1
    assert "背景不是白色" in page.locator("#problems").inner_text()  # a label and measurements, not the code
    page.click("#approve")
    page.wait_for_url(f"{live_server.url}/staff/review/")
    assert "没有待审核的申请" in page.locator("#queue").inner_text()
    application.refresh_from_db()
    assert application.status == "submitted" and application.due_at is not None
    context.close()


def test_camera_capture_fills_the_photo_input(browser, live_server):
    """getUserMedia with Chromium's fake camera: the shot lands in the file input and is pre-checked."""
    from conftest import LICENCE_DATA
    from licences.services import licence_upsert

    person = make_person(name="赵六")
    licence_upsert(actor="test", number=person.id_number, data={**LICENCE_DATA, "name": "赵六"})
    context = browser.new_context(viewport=PHONE, permissions=["camera"])
    page = context.new_page()
    _log_in(page, live_server, person)
    page.goto(f"{live_server.url}/apply/")
    assert page.locator(".camera-shoot").is_hidden()  # no shutter before a camera runs ([hidden] over .button)
    page.click(".camera-start")
    page.wait_for_selector(".camera-shoot:not([hidden])")
    # The fake camera has delivered frames once the preview knows its size and has data to draw.
    wait_until(page, "(v => v && v.readyState >= 2 && v.videoWidth > 0)(document.querySelector('video'))")
    page.click(".camera-shoot")
    page.wait_for_selector(".camera-done:not([hidden])")
    assert page.evaluate("() => document.getElementById('selfie').files[0].type") == "image/jpeg"
    assert page.evaluate("() => document.getElementById('selfie').files[0].size") > 1000
    page.wait_for_selector("#precheck[data-state=done]", state="attached")
    assert_fits_phone(page)
    context.close()


def test_the_photo_page_follows_the_check_to_its_end_by_itself(browser, live_server, tmp_path, settings, monkeypatch):
    """While the worker checks the photo the page says so, then shows the result: nobody reloads."""
    from conftest import LICENCE_DATA, give_identity_photo
    from licences.services import licence_upsert
    from reviews import services
    from reviews.services import photos as photo_services
    from tests import photoset

    settings.MEDIA_ROOT = tmp_path / "media"
    person = make_person(name="周七")
    licence_upsert(actor="test", number=person.id_number, data={**LICENCE_DATA, "name": "周七"})
    give_identity_photo(person)
    application = services.application_submit(
        user=person, validity_start=LICENCE_DATA["valid_from"], selfie=photoset.good(4).data
    )
    monkeypatch.setattr(photo_services, "enqueue_on_commit", lambda *args, **kwargs: None)  # the worker is busy
    photo = services.photo_upload(user=person, application_id=application.pk, photo=photoset.good(2).data)
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _log_in(page, live_server, person)
    page.goto(f"{live_server.url}/applications/{application.pk}/")
    assert page.locator("#application-status").get_attribute("data-status") == "photo_checking"
    assert page.locator("#checking .spinner").count() == 1  # the page says the check is running
    services.photo_check_run(photo_id=photo.pk)  # the worker gets to it
    page.wait_for_selector("#application-status[data-status=submitted]", timeout=15_000)
    assert page.locator("#checking").count() == 0 and page.locator("#due-at").count() == 1
    assert errors == []
    context.close()
