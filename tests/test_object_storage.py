"""Photos in an S3-compatible object store (issue 13), tested against a real S3 server on
127.0.0.1 (moto's server mode), not a mock: uploads land in the bucket, privately; the web nodes
and the worker read them from there; nothing is written to the local media folder."""

import socket
import subprocess
import sys

import pytest

from portal.settings import s3_storage
from reviews.models import Photo
from reviews.tests.test_applications import flagged_case, holder, submit, upload_photo
from tests import photoset
from tests.workers import ROOT, celery_workers, wait_for

BUCKET = "elicence-photos"


@pytest.fixture(scope="module")
def s3_server():
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(s3_server, settings, tmp_path, monkeypatch):
    """The portal configured as production would be (S3_* settings), with a fresh bucket."""
    import boto3

    env = {
        "S3_BUCKET": BUCKET,
        "S3_ENDPOINT_URL": s3_server,
        "S3_ACCESS_KEY_ID": "test",
        "S3_SECRET_ACCESS_KEY": "test",
    }
    client = boto3.client(
        "s3", endpoint_url=s3_server, aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    client.create_bucket(Bucket=BUCKET)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage()}  # exactly what production builds
    settings.MEDIA_ROOT = tmp_path / "local-media"
    yield client, env
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


@pytest.mark.django_db
def test_a_photo_goes_to_the_bucket_privately_and_staff_read_it_from_there(
    s3, api, client, reviewer, django_capture_on_commit_callbacks, tmp_path
):
    bucket, _env = s3
    _person, _application_id = flagged_case(api, django_capture_on_commit_callbacks)
    photo = Photo.objects.get()
    keys = [item["Key"] for item in bucket.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert photo.image.name in keys
    grants = bucket.get_object_acl(Bucket=BUCKET, Key=photo.image.name)["Grants"]
    assert all("URI" not in grant["Grantee"] for grant in grants), grants  # no AllUsers / AuthenticatedUsers
    assert not (tmp_path / "local-media").exists() or not any((tmp_path / "local-media").rglob("*.jpg"))
    client.force_login(reviewer)
    response = client.get(f"/staff/review/photo/{photo.pk}")
    stored = bucket.get_object(Bucket=BUCKET, Key=photo.image.name)["Body"].read()
    assert response.status_code == 200 and response.content == stored and stored[:2] == b"\xff\xd8"


@pytest.mark.django_db
def test_readiness_checks_the_object_store(s3, client):
    assert client.get("/readyz").json()["checks"]["storage"]["ok"] is True


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_two_web_nodes_and_a_worker_share_photos_through_the_bucket(s3, api, tmp_path):
    # Node 1 (this process) takes the upload; the worker (another process) checks it from the bucket;
    # node 2 (a third process) serves it to staff from the bucket.
    bucket, env = s3
    person, _licence = holder(portrait=False)
    application_id = submit(api, person).json()["id"]
    with celery_workers(1, tmp_path, queues="photos", MEDIA_ROOT=str(tmp_path / "worker-media"), **env):
        assert upload_photo(api, person, application_id, photoset.good(2).data).status_code == 202
        photo = wait_for(lambda: Photo.objects.filter(status="passed").first())
    assert photo.metrics["faces"] == 1  # measured by the worker, from the object it read
    assert not (tmp_path / "worker-media").exists()
    from tests.workers import database_url

    node2 = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from reviews.models import Photo; import sys; p = Photo.objects.get(); "
         "sys.stdout.write(str(len(p.image.open('rb').read())))"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**__import__("os").environ, "DATABASE_URL": database_url(), "MEDIA_ROOT": str(tmp_path / "node2"), **env},
    )  # fmt: skip
    assert node2.returncode == 0, node2.stderr
    stored = bucket.get_object(Bucket=BUCKET, Key=photo.image.name)["Body"].read()
    assert int(node2.stdout.strip().splitlines()[-1]) == len(stored) > 1000
