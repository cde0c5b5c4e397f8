"""Error pages as a person meets them: in the portal's look and the reader's language, with a way on,
never Django's bare English "Not Found" / "Server Error (500)"; JSON under /api/. A database that is
unavailable answers 503 with Retry-After (try again), not 500. The crawler (tests/test_pages.py) also
opens the 404 page in chromium at phone and desktop width, with axe-core."""

import json
import re

import pytest
from django.db import IntegrityError, OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client

from conftest import make_staff

pytestmark = pytest.mark.django_db

TEXTS = {
    404: {"zh-hans": "页面不存在", "en": "Page not found"},
    403: {"zh-hans": "无权访问", "en": "No access"},
    "csrf": {"zh-hans": "表单已过期", "en": "This form has expired"},
    400: {"zh-hans": "无法识别该请求", "en": "The request could not be read"},
    500: {"zh-hans": "出错了", "en": "Something went wrong"},
    503: {"zh-hans": "服务繁忙", "en": "The service is busy"},
}


def reader(language: str, **options) -> Client:
    client = Client(raise_request_exception=False, **options)
    client.cookies["django_language"] = language
    return client


def assert_error_page(response, status, key, language):
    page = response.content.decode()
    other = "en" if language == "zh-hans" else "zh-hans"
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert f'<html lang="{language}">' in page
    assert TEXTS[key][language] in page and TEXTS[key][other] not in page
    assert 'href="/"' in page  # a way back to the home page
    assert re.search(r'<link rel="stylesheet" href="/static/css/portal[.\w]*\.css">', page)  # the portal's look
    for django_default in ("Not Found", "Server Error", "Forbidden", "CSRF", "Traceback"):
        assert django_default not in page
    if language == "zh-hans":  # no English sentence on a Chinese page
        assert not re.search(r"[A-Za-z]{4,} [a-z]{3,}", re.sub(r"<[^>]+>", " ", page))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_page_not_found(language):
    assert_error_page(reader(language).get("/no-such-page/"), 404, 404, language)


def test_api_not_found_is_still_json():
    response = reader("en").get("/api/v1/no-such-thing")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_no_access(language):
    client = reader(language)
    client.force_login(make_staff("reviewer"))
    assert_error_page(client.get("/admin/accounts/organisation/"), 403, 403, language)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_form_sent_without_its_token_has_expired(language):
    client = reader(language, enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "someone", "password": "whatever"})
    assert_error_page(response, 403, "csrf", language)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_bad_request(language):
    response = reader(language).get("/", HTTP_HOST="not-this-portal.example")  # a host not in ALLOWED_HOSTS
    assert_error_page(response, 400, 400, language)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_server_error_page(monkeypatch, citizen, language):
    def broken(user):
        raise RuntimeError("a bug")

    monkeypatch.setattr("licences.selectors.licence_for_user", broken)
    client = reader(language)
    client.force_login(citizen)
    response = client.get("/licence/")
    assert_error_page(response, 500, 500, language)
    assert "a bug" not in response.content.decode() and "Retry-After" not in response


@pytest.mark.parametrize("error", [RuntimeError("a bug"), IntegrityError("duplicate key")])
def test_server_error_api_is_json(monkeypatch, citizen, error):
    """Any other error, a database integrity or programming error included, is the portal's own fault:
    500 and no Retry-After (trying again would not help)."""

    def broken(user):
        raise error

    monkeypatch.setattr("licences.selectors.elicence_current_for_or_404", broken)
    client = reader("zh-hans")
    client.force_login(citizen)
    response = client.get("/api/v1/elicence", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    assert "Retry-After" not in response
    body = response.json()
    assert body["code"] == "server_error" and str(error) not in json.dumps(body)
    assert re.search(r"[\u4e00-\u9fff]", body["detail"])  # in the reader's language


@pytest.fixture
def database_down(monkeypatch):
    """Every statement fails as it does while PostgreSQL restarts or a failover is under way."""

    def refuse(self, *args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    def down():
        monkeypatch.setattr(CursorWrapper, "execute", refuse)
        monkeypatch.setattr(CursorWrapper, "executemany", refuse)

    return down


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_database_unavailable_page_is_503_try_again(citizen, database_down, language):
    client = reader(language)
    client.force_login(citizen)
    assert client.get("/licence/").status_code == 200
    database_down()
    response = client.get("/licence/")
    assert_error_page(response, 503, 503, language)
    assert response["Retry-After"] == "5"


@pytest.mark.parametrize(("language", "detail"), [("zh-hans", "服务繁忙，请稍后重试。"), ("en", "The service is busy")])
def test_database_unavailable_api_is_503_json(citizen, database_down, language, detail):
    client = reader(language)
    database_down()
    response = client.post(
        "/api/v1/verifications", {"token": "x" * 40}, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert response.json()["code"] == "unavailable" and detail in response.json()["detail"]


def test_page_not_found_needs_no_database(citizen, database_down):
    """The error pages read neither the session nor the user (no menu, no messages): a mistyped link
    during a database outage is still a 404 page, not a second error."""
    client = reader("zh-hans")
    client.force_login(citizen)
    database_down()
    assert_error_page(client.get("/no-such-page/"), 404, 404, "zh-hans")
