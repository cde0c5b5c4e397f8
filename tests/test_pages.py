"""The page crawler: every page the URL configuration names, as each role meets it, in both languages,
at phone and desktop width, in Debian's chromium with axe-core (WCAG 2.1 A and AA).

A page fails on: a status the role should not get (or a redirect away), a script error, horizontal
overflow, any axe violation, an internal value (problem code, status or enum value, ISO or UTC time,
a dict) in what a person reads, and English on a Chinese page or Chinese on an English one.
Screenshots go to var/crawler/ (a CI artefact); `UPDATE_SCREENSHOTS=1` also refreshes the README's.
"""

import os
import re
import shutil
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client

from conftest import PASSWORD
from tests import crawler

SHOTS = crawler.ROOT / "var" / "crawler"
README_SHOTS = {  # (role, language, width, page name) -> file under docs/screenshots
    ("citizen", "zh-hans", 360, "licences:elicence"): "elicence-zh-phone.jpg",
    ("applicant", "zh-hans", 360, "reviews:application"): "application-zh-phone.jpg",
    ("member", "en", 1280, "licences:verify"): "verify-police-en-desktop.jpg",
    ("reviewer", "zh-hans", 360, "reviews:case"): "review-case-zh-phone.jpg",
    ("supervisor", "en", 1280, "reviews:dashboard"): "dashboard-en-desktop.jpg",
    ("citizen", "en", 360, "licences:verifications"): "verification-log-en-phone.jpg",
}


def test_every_named_url_has_a_visit(db):
    """A new URL fails here until the crawler visits it (or NOT_PAGES says why it is not a page)."""
    world = crawler.build_world(PASSWORD)
    visited = {v.name for role_visits in crawler.visits(world).values() for v in role_visits}
    covered = visited | set(crawler.admin_refused_to_all(world))
    missing = sorted(n for n in crawler.all_url_names() if n not in covered and not crawler.not_a_page(n))
    assert missing == [], f"URLs the crawler does not visit: {missing}"


def test_other_roles_pages_are_never_an_error(db):
    """Another role's pages never answer a role with an error page; the admin pages no role's
    permissions open are refused to every staff role."""
    world = crawler.build_world(PASSWORD)
    everything = crawler.visits(world)
    paths = {v.name: v for role_visits in everything.values() for v in role_visits}
    for role in crawler.ROLES:
        if role == "pending_staff":
            continue
        client = Client()
        user = crawler.role_user(world, role)
        if user is not None:
            client.force_login(user)
        own = {v.name for v in everything[role]} | {v.name for v in everything["anonymous"]}  # public pages
        for name, visit in paths.items():
            if name in own or (name.startswith("admin:") and role in ("reviewer", "supervisor", "clerk")):
                continue
            status = client.get(visit.path()).status_code
            assert status < 500, f"{role} opening {name}: {status}"
    for role in ("reviewer", "supervisor", "clerk"):
        client = Client()
        client.force_login(crawler.role_user(world, role))
        for name, path in crawler.admin_refused_to_all(world).items():
            assert client.get(path).status_code == 403, f"{role} opening {name}"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_crawl_every_page(live_server, settings, tmp_path, browser_for_crawl):
    settings.MEDIA_ROOT = tmp_path / "media"
    started = time.monotonic()
    world = crawler.build_world(PASSWORD)
    raw, zh_texts, axe = crawler.raw_values(), crawler.zh_catalogue(), crawler.axe_source()
    everything = crawler.visits(world)
    failures, loads, checked = [], 0, set()
    spent = dict.fromkeys(("load", "text", "axe", "screenshot"), 0.0)
    shutil.rmtree(SHOTS, ignore_errors=True)
    for role in crawler.ROLES:
        for language in crawler.LANGUAGES:
            context = browser_for_crawl.new_context(viewport={"width": 360, "height": 780}, device_scale_factor=1)
            context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
            page = context.new_page()
            errors = []
            page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
            page.on("console", lambda m, errors=errors, page=page: _console_error(m, page, errors))
            _sign_in(page, context, live_server, world, role)
            for visit in everything[role]:
                path = visit.path()
                where = f"{role} {language} {path}"
                if visit.kind == "file":
                    response = context.request.get(f"{live_server.url}{path}")
                    loads += 1
                    if response.status != 200:
                        failures.append(f"{where}: status {response.status}")
                    continue
                for width, height in crawler.SIZES:
                    page.set_viewport_size({"width": width, "height": height})
                    path = visit.path()  # a fresh QR token each time
                    tick = time.monotonic()
                    response = page.goto(f"{live_server.url}{path}")
                    if response is None and "#" in path:  # only the fragment changed: load it as a new link
                        response = page.reload()
                    spent["load"] += time.monotonic() - tick
                    loads += 1
                    checked.add((visit.name, role, language, width))
                    failures += [f"{where} @{width}: {p}" for p in _page_problems(page, response, visit, path)]
                    failures += [f"{where} @{width}: script error {e}" for e in errors]
                    tick = time.monotonic()
                    state = page.evaluate(crawler.PAGE_STATE_JS)
                    failures += [
                        f"{where} @{width}: {p}"
                        for p in crawler.text_problems(
                            state, language=language, raw=raw, data_words=world.data_words, zh_texts=zh_texts
                        )
                    ]
                    if state["width"] > state["viewport"]:
                        failures.append(
                            f"{where} @{width}: {state['width']} px wide in a {state['viewport']} px window"
                        )
                    if state["scrollers"] and not path.startswith("/admin/"):  # the admin's lists may scroll
                        failures.append(f"{where} @{width}: scrolls sideways inside: {state['scrollers']}")
                    for wanted in visit.text:
                        if wanted not in state["text"]:
                            failures.append(f"{where} @{width}: does not show {wanted!r}")
                    spent["text"] += time.monotonic() - tick
                    tick = time.monotonic()
                    if not page.evaluate("() => typeof axe !== 'undefined'"):
                        page.evaluate(axe)
                    failures += [f"{where} @{width}: axe {v}" for v in page.evaluate(crawler.AXE_RUN_JS)]
                    spent["axe"] += time.monotonic() - tick
                    tick = time.monotonic()
                    _screenshot(page, role, language, width, visit.name)
                    spent["screenshot"] += time.monotonic() - tick
                    errors.clear()  # axe's own style elements break the page's CSP: not the page's fault
            context.close()
    pages = len({name for name, *_ in checked})
    summary = (
        f"crawler: {pages} pages, {len(crawler.ROLES)} roles, {len(crawler.LANGUAGES)} languages, "
        f"{len(crawler.SIZES)} sizes: {len(checked)} page checks, {loads} loads, {time.monotonic() - started:.0f} s "
        f"({', '.join(f'{k} {v:.0f} s' for k, v in spent.items())})"
    )
    crawler.SUMMARY.append(summary)
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "report.txt").write_text(summary + "\n" + "\n".join(failures) + "\n")
    assert failures == [], f"{len(failures)} problems (var/crawler/report.txt):\n" + "\n".join(failures[:80])


def _sign_in(page, context, live_server, world, role):
    user = crawler.role_user(world, role)
    if user is None:
        return
    if role == "pending_staff":  # a password log-in that still owes the second factor
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("#login")
        page.wait_for_url(re.compile(r".*/second-factor/.*"))
        return
    client = Client()
    client.force_login(user)  # staff: second factor included (conftest)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])


def _console_error(message, page, errors) -> None:
    if message.type != "error":
        return
    if message.text.startswith("Failed to load resource") and message.location.get("url") == page.url:
        return  # the page's own status, checked against the visit's (an error page answers its own)
    errors.append(message.text)


def _page_problems(page, response, visit, path) -> list[str]:
    problems = []
    if response is None or response.status != visit.status:
        problems.append(f"status {response.status if response else 'none'}")
    landed = urlsplit(page.url).path
    wanted = visit.expect_path or path
    if landed != urlsplit(wanted).path:
        problems.append(f"landed on {landed}")
    return problems


def _screenshot(page, role, language, width, name):
    target = SHOTS / role / f"{language}-{width}-{name.replace(':', '-')}.jpg"
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), full_page=True, type="jpeg", quality=70)
    readme = README_SHOTS.get((role, language, width, name))
    if readme and os.environ.get("UPDATE_SCREENSHOTS"):
        docs = Path(crawler.ROOT / "docs" / "screenshots")
        docs.mkdir(parents=True, exist_ok=True)
        shutil.copy(target, docs / readme)


@pytest.fixture(scope="module")
def browser_for_crawl():
    playwright_api = pytest.importorskip("playwright.sync_api")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with playwright_api.sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
