"""The verifier page with the network switched off (issue 14): in Debian's chromium, after one visit
online, the page reloads from its service worker, reads the QR of a screenshot of the live display and
shows it valid, checked on the device; expired, forged and other-key codes show invalid; back online,
the checks made offline reach the holder's log."""

import io
import time
from datetime import timedelta
from unittest import mock

import pytest

from conftest import make_elicence, make_person
from tests.test_browser import CHROMIUM, PHONE, playwright_api, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def qr_png(path, text: str) -> str:
    import segno

    segno.make(text, error="m").save(str(path), scale=6, border=4)
    return str(path)


def link(live_server, token: str) -> str:
    from licences.links import verify_offline_path

    return live_server.url + verify_offline_path(token)


def verdict_after_upload(page, picture: str) -> dict:
    page.evaluate("() => { document.getElementById('verdict').setAttribute('data-valid', ''); }")
    page.set_input_files("#scan-file", picture)
    wait_until(page, "document.getElementById('verdict').getAttribute('data-valid') !== ''")
    return page.evaluate(
        """() => { const v = document.getElementById('verdict');
                   return {valid: v.getAttribute('data-valid'), reason: v.getAttribute('data-reason'),
                           how: v.getAttribute('data-how'), text: document.getElementById('verifier').innerText,
                           waiting: document.getElementById('queue-state').getAttribute('data-count')}; }"""
    )


def test_the_verifier_page_checks_a_screenshot_offline_and_uploads_when_back_online(
    live_server, tmp_path, settings, monkeypatch
):
    import base64

    from cryptography.hazmat.primitives.asymmetric import ec

    from licences.models import Verification
    from licences.services import elicence_qr_issue
    from tests.test_browser import _log_in

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    holder = make_person(name="张三")
    elicence = make_elicence(holder)
    with mock.patch("django.utils.timezone.now", return_value=__import__("django.utils.timezone").utils.timezone.now()
                    - timedelta(minutes=5)):  # fmt: skip
        expired = elicence_qr_issue(elicence=elicence).token
    genuine = elicence_qr_issue(elicence=elicence).token
    forged = genuine[:-3] + ("A" if genuine[-3] != "A" else "B") + genuine[-2:]
    own_key = settings.QR_SIGNING_KEY
    other = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value.to_bytes(32, "big")
    settings.QR_SIGNING_KEY = base64.urlsafe_b64encode(other).rstrip(b"=").decode()
    other_key = elicence_qr_issue(elicence=elicence).token  # right format, a key the portal does not publish
    settings.QR_SIGNING_KEY = own_key

    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        errors = []
        # The holder shows the live e-licence; a screenshot of its QR is what the verifier scans.
        shown = browser.new_context(viewport=PHONE, device_scale_factor=2)
        display = shown.new_page()
        _log_in(display, live_server, holder)
        display.goto(f"{live_server.url}/licence/e/")
        display.wait_for_selector("#qr[src^='data:']")
        wait_until(display, "document.getElementById('qr').complete && document.getElementById('qr').naturalWidth > 0")
        screenshot = str(tmp_path / "display.png")
        display.locator("#qr").screenshot(path=screenshot)

        verifier = browser.new_context(viewport=PHONE, device_scale_factor=2)
        page = verifier.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "ERR_INTERNET_DISCONNECTED"
                not in m.text and "Failed to load resource" not in m.text else None)  # fmt: skip
        # The one visit with a network: a scanned display QR opens the page, and the portal checks it.
        page.goto(link(live_server, elicence_qr_issue(elicence=elicence).token))
        wait_until(page, "document.getElementById('verdict').getAttribute('data-valid') !== ''")
        assert (
            page.get_attribute("#verdict", "data-valid") == "1"
            and page.get_attribute("#verdict", "data-how") == "online"
        )
        assert "*三" in page.inner_text("#holder")
        wait_until(page, "navigator.serviceWorker.controller !== null && localStorage.getItem('elicence-qr-keys')")
        page.goto(f"{live_server.url}/v/o")  # the page alone, no code in its address

        verifier.set_offline(True)
        page.reload()  # served by the service worker: the network is off
        wait_until(page, "document.getElementById('network-state').textContent.length > 0")
        assert "无网络" in page.inner_text("#network-state")

        seen = verdict_after_upload(page, screenshot)
        assert (seen["valid"], seen["how"], seen["waiting"]) == ("1", "offline", "1"), seen
        assert "*三" in seen["text"] and "C1" in seen["text"]  # the fields, masked as on the display
        for token, reason in ((expired, "expired"), (forged, "bad_token"), (other_key, "bad_token")):
            seen = verdict_after_upload(
                page, qr_png(tmp_path / f"{reason}-{time.monotonic()}.png", link(live_server, token))
            )
            assert (seen["valid"], seen["reason"]) == ("0", reason), (reason, seen)
        assert seen["waiting"] == "2"  # the genuine codes (valid, expired) wait for the network
        assert Verification.objects.filter(elicence=elicence).count() == 1  # the online one only, so far

        verifier.set_offline(False)
        page.evaluate("() => window.dispatchEvent(new Event('online'))")
        wait_until(page, "document.getElementById('queue-state').getAttribute('data-count') === '0'", timeout=20)
        page_text = page.inner_text("#verifier")
        browser.close()

    logged = sorted(Verification.objects.filter(elicence=elicence).values_list("method", "valid", "reason"))
    assert logged == [("offline", False, "expired"), ("offline", True, ""), ("qr", True, "")]
    assert errors == [], errors
    assert "EL1:" not in page_text  # the token itself is never shown


def test_the_verifier_page_reads_the_code_with_the_camera(live_server, tmp_path, monkeypatch):
    """Chromium's fake camera plays a video of the display's QR (a Motion JPEG file): the page finds the
    code in the camera frames and checks it."""
    from PIL import Image

    from licences.models import Verification
    from licences.services import elicence_qr_issue

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    elicence = make_elicence(make_person(name="张三"))
    picture = Image.open(qr_png(tmp_path / "qr.png", link(live_server, elicence_qr_issue(elicence=elicence).token)))
    frame = Image.new("RGB", (640, 480), "white")
    small = picture.convert("RGB").resize((440, 440))
    frame.paste(small, (100, 20))
    video = tmp_path / "camera.mjpeg"
    with open(video, "wb") as handle:
        for _ in range(30):
            out = io.BytesIO()
            frame.save(out, format="JPEG", quality=90)
            handle.write(out.getvalue())
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                  f"--use-file-for-fake-video-capture={video}"],
        )  # fmt: skip
        page = browser.new_context(viewport=PHONE).new_page()
        page.goto(f"{live_server.url}/v/o")
        page.click("#scan-start")
        wait_until(page, "document.getElementById('verdict').getAttribute('data-valid') !== ''", timeout=20)
        seen = (page.get_attribute("#verdict", "data-valid"), page.get_attribute("#verdict", "data-how"))
        browser.close()
    assert seen == ("1", "online")
    assert Verification.objects.filter(elicence=elicence, method="qr", valid=True).count() == 1
