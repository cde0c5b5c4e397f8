"""The request id (issue 13): taken from the balancer or made, echoed, carried by every log record,
and followed into the Celery tasks a request enqueues."""

import json
import logging
import re

import pytest

from conftest import new_phone
from portal import requestid
from tests.workers import celery_workers, wait_for


def test_a_plain_request_id_from_the_balancer_is_kept_and_echoed(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="haproxy-0a1b2c3d")
    assert response["X-Request-ID"] == "haproxy-0a1b2c3d"


@pytest.mark.parametrize("sent", ["", "short", "<script>alert(1)</script>", "x" * 65, "a b c d e f g h"])
def test_anything_else_gets_a_new_id(client, sent):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=sent)
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"]), response["X-Request-ID"]


def test_two_requests_get_two_ids(client):
    assert client.get("/healthz")["X-Request-ID"] != client.get("/healthz")["X-Request-ID"]


def test_json_log_lines_carry_the_request_id(settings):
    import io
    from logging.config import dictConfig

    out = io.StringIO()
    # The project's own filters and formatters, with the console handler writing JSON into `out`.
    console = {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": "json", "stream": out}
    stream_config = {
        **settings.LOGGING,
        "handlers": {"console": console},
        "root": {"handlers": ["console"], "level": "INFO"},
    }
    try:
        dictConfig(stream_config)
        token = requestid._current.set("req-0123456789")
        logging.getLogger("portal.test").info("hello %s", "world")
        requestid._current.reset(token)
        logging.getLogger("portal.test").info("outside")
    finally:
        dictConfig(settings.LOGGING)
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["request_id"] == "req-0123456789" and first["message"] == "hello world"
    assert first["level"] == "INFO" and first["logger"] == "portal.test"
    assert first["time"].endswith("+00:00")  # UTC, with its offset, whatever the server's zone
    assert second["request_id"] == "-"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_request_id_follows_the_request_into_the_worker_log(client, tmp_path):
    phone = new_phone()
    with celery_workers(1, tmp_path, queues="messages", LOG_FORMAT="json", SMS_BACKEND="file",
                        SMS_FILE_PATH=str(tmp_path / "sms.jsonl")):  # fmt: skip
        response = client.post(
            "/api/v1/accounts/phone-codes",
            {"phone": phone},
            content_type="application/json",
            HTTP_X_REQUEST_ID="req-follow-0001",
        )
        assert response.status_code == 202 and response["X-Request-ID"] == "req-follow-0001"
        log_file = tmp_path / "worker-0.log"

        def delivered():
            lines = [json.loads(x) for x in log_file.read_text().splitlines() if x.startswith("{")]
            return [x for x in lines if x["logger"] == "portal.accounts.tasks" and "sent" in x["message"]]

        line = wait_for(delivered)[0]
    assert line["request_id"] == "req-follow-0001"
    assert phone not in log_file.read_text()
