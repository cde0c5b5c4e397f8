"""/metrics (issue 13): Prometheus text for the allow-listed addresses only, with the portal's own
figures next to django-prometheus's request metrics."""

import json

import pytest
from prometheus_client import REGISTRY

from conftest import make_elicence, make_person
from licences.services import elicence_qr_issue

pytestmark = pytest.mark.django_db


def _sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_are_served_to_the_local_scraper(client):
    response = client.get("/metrics")  # the test client's address is 127.0.0.1
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "django_http_requests_total_by_method_total" in text
    for queue in ("celery", "photos", "approvals", "messages"):
        assert f'elicence_queue_depth{{queue="{queue}"}}' in text


@pytest.mark.parametrize("address", ["10.0.0.5", "192.168.1.20", "2001:db8::1"])
def test_anyone_else_gets_not_found_even_with_a_forged_forwarded_header(client, address):
    response = client.get("/metrics", REMOTE_ADDR=address, HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert response.status_code == 404
    assert b"elicence_" not in response.content


def test_the_allow_list_takes_ranges(client, settings):
    import ipaddress

    settings.METRICS_ALLOWED = [ipaddress.ip_network("10.20.0.0/16")]
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


def test_a_verification_is_counted_by_result(client):
    elicence = make_elicence(make_person())
    before_valid = _sample("elicence_verifications_total", result="valid", verifier="anonymous")
    before_invalid = _sample("elicence_verifications_total", result="invalid", verifier="anonymous")
    token = elicence_qr_issue(elicence=elicence).token
    assert client.post("/api/v1/verifications", json.dumps({"token": token}), content_type="application/json").json()[
        "valid"
    ]
    client.post("/api/v1/verifications", json.dumps({"token": "garbage"}), content_type="application/json")
    assert _sample("elicence_verifications_total", result="valid", verifier="anonymous") == before_valid + 1
    assert _sample("elicence_verifications_total", result="invalid", verifier="anonymous") == before_invalid + 1
    text = client.get("/metrics").content.decode()
    assert 'elicence_verifications_total{result="valid",verifier="anonymous"}' in text


def _depth(client, queue: str) -> float:
    for line in client.get("/metrics").content.decode().splitlines():
        if line.startswith(f'elicence_queue_depth{{queue="{queue}"}}'):
            return float(line.split()[-1])
    raise AssertionError(f"no depth for {queue}")


@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")  # publishing is the point
def test_queue_depth_counts_what_waits_for_a_worker(client):
    import uuid

    from portal.celery import app

    before = _depth(client, "approvals")
    # Published to the broker (send_task never runs eagerly); no worker runs in this test.
    app.send_task("reviews.tasks.approve_due", queue="approvals", task_id=str(uuid.uuid4()))
    try:
        assert _depth(client, "approvals") == before + 1
    finally:
        with app.connection_for_write() as connection:
            connection.default_channel.queue_purge("approvals")
    assert _depth(client, "approvals") == 0
